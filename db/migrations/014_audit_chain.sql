-- The audit trail's tamper evidence (db/audit_chain.py). One row per sealed audit_log row, in the
-- order it was sealed: seq counts 1, 2, 3, ... without gaps, and mac is the HMAC-SHA256 (key in
-- secrets.toml, never in the database) over the audit row, the previous row's mac, seq and
-- sealed_at. A changed, deleted, inserted or moved audit row no longer matches its mac; a cut
-- tail is caught by the signed head file beside the database (<database file>.audit-head).
-- The app only ever appends here. Rows written before this migration are sealed when the
-- database is first opened by a version that has it (one "audit.chain_started" row says so).
CREATE TABLE audit_chain (
    seq       BIGINT PRIMARY KEY,
    audit_id  BIGINT UNIQUE NOT NULL,
    mac       VARCHAR NOT NULL,
    sealed_at TIMESTAMPTZ NOT NULL
);
