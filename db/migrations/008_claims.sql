-- 008: insurance claims. What a claim needs from its payer; claims made from invoices (their
-- lines mirror the invoice's); each insurer answer (an EOB typed in, later an 835) with, per
-- line, the allowed and paid amounts and the adjustments as CARC group + reason + amount
-- (CO-45 contractual, PR-1 deductible, PR-2 coinsurance, PR-3 copay, CO-97 ...: the 835's CAS
-- segment, so typing an EOB and importing a remittance store the same thing); every status
-- change dated and by whom; and the view of who owes each invoice's balance (insurance or the
-- patient) that the A/R reports read.
--
-- Money effects of an answer are written through the billing tables of 007 in the same
-- transaction: the paid amounts as an insurer payment applied to the invoice, CO amounts as
-- contractual adjustments; PR amounts stay on the invoice as the patient's share.
--
-- DuckDB traps (see 001 and 007): ids from sequences; claims and claim_lines are parents of
-- foreign keys, so their UNIQUE columns (control_number) are never updated, and everything that
-- changes (status, version, dates) is a plain column.

-- What claims need from a payer. (ALTER TABLE ADD COLUMN cannot carry CHECK constraints in
-- DuckDB: db/payers.py validates.)
ALTER TABLE payers ADD COLUMN electronic_id VARCHAR;      -- the payer's ID at the clearinghouse
ALTER TABLE payers ADD COLUMN filing_address VARCHAR;     -- where paper claims go (several lines)
ALTER TABLE payers ADD COLUMN timely_filing_days INTEGER; -- days from service to file; NULL = not known

CREATE SEQUENCE claims_id_seq START 1;
CREATE TABLE claims (
    id              BIGINT PRIMARY KEY DEFAULT nextval('claims_id_seq'),
    invoice_id      BIGINT NOT NULL REFERENCES invoices (id),
    payer_id        BIGINT NOT NULL,
    rank            SMALLINT NOT NULL CHECK (rank IN (1, 2)), -- 1 = primary, 2 = secondary
    -- The claim's own number (CLM01 in an 837P), by which an answer finds it. Never reused.
    control_number  VARCHAR NOT NULL UNIQUE,
    -- The coverage as it was when the claim was made (a later intake edit does not rewrite it).
    member_id       VARCHAR NOT NULL,
    group_number    VARCHAR,
    subscriber_name VARCHAR,
    subscriber_relationship VARCHAR NOT NULL DEFAULT 'self',
    status          VARCHAR NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'submitted', 'accepted', 'denied', 'partially_paid', 'paid', 'appealed')),
    version         BIGINT NOT NULL DEFAULT 0, -- bumped first by every write to the claim
    primary_claim_id BIGINT,                    -- for a secondary claim: the primary it follows
    -- The claim's diagnoses in pointer order (A-L), comma-separated: what its lines' pointers index.
    diagnoses       VARCHAR,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    created_by      BIGINT,
    submitted_at    TIMESTAMPTZ,                -- the latest submission (or resubmission)
    answered_at     TIMESTAMPTZ,                -- the latest answer posted
    note            VARCHAR,
    -- One claim per invoice and rank, ever: a denied claim is appealed or resubmitted, not made
    -- again; a corrected invoice (void + new) gets its own claims. Never updated (see above).
    UNIQUE (invoice_id, rank)
);

CREATE SEQUENCE claim_lines_id_seq START 1;
CREATE TABLE claim_lines (
    id              BIGINT PRIMARY KEY DEFAULT nextval('claim_lines_id_seq'),
    claim_id        BIGINT NOT NULL REFERENCES claims (id),
    invoice_line_id BIGINT NOT NULL,
    position        INTEGER NOT NULL,
    code            VARCHAR NOT NULL,
    modifiers       VARCHAR,
    quantity        INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 999),
    charge          DECIMAL(12,2) NOT NULL CHECK (charge >= 0), -- quantity x unit price
    pointers        VARCHAR  -- diagnosis pointers into the claim's diagnoses, e.g. 'A,C'
);

-- One answer from the insurer to one claim (an EOB line set typed in, or a claim in an 835).
CREATE SEQUENCE claim_answers_id_seq START 1;
CREATE TABLE claim_answers (
    id           BIGINT PRIMARY KEY DEFAULT nextval('claim_answers_id_seq'),
    claim_id     BIGINT NOT NULL REFERENCES claims (id),
    received_on  DATE NOT NULL,
    source       VARCHAR NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', '835')),
    payment_id   BIGINT,  -- payments.id of the insurer's money (NULL when nothing was paid)
    -- What the clerk chose for what the insurer left unpaid: bill the secondary payer, leave it
    -- to the patient, or nothing left.
    remainder_to VARCHAR NOT NULL DEFAULT 'patient' CHECK (remainder_to IN ('secondary', 'patient', 'none')),
    status_after VARCHAR NOT NULL,
    note         VARCHAR,
    posted_at    TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    posted_by    BIGINT
);

CREATE SEQUENCE claim_line_answers_id_seq START 1;
CREATE TABLE claim_line_answers (
    id            BIGINT PRIMARY KEY DEFAULT nextval('claim_line_answers_id_seq'),
    answer_id     BIGINT NOT NULL REFERENCES claim_answers (id),
    claim_line_id BIGINT NOT NULL REFERENCES claim_lines (id),
    allowed       DECIMAL(12,2) NOT NULL CHECK (allowed >= 0),
    paid          DECIMAL(12,2) NOT NULL CHECK (paid >= 0)
);

-- The line's adjustments as the insurer reports them: group (CO, PR, OA, PI), CARC reason and
-- amount. PR-1/PR-2/PR-3 are the patient's deductible/coinsurance/copay.
CREATE TABLE claim_line_adjustments (
    line_answer_id BIGINT NOT NULL REFERENCES claim_line_answers (id),
    group_code     VARCHAR NOT NULL CHECK (group_code IN ('CO', 'PR', 'OA', 'PI')),
    reason_code    VARCHAR NOT NULL,
    amount         DECIMAL(12,2) NOT NULL,
    note           VARCHAR
);

-- Every status change of a claim: when, by whom, from what to what, and why.
CREATE SEQUENCE claim_events_id_seq START 1;
CREATE TABLE claim_events (
    id          BIGINT PRIMARY KEY DEFAULT nextval('claim_events_id_seq'),
    claim_id    BIGINT NOT NULL,
    changed_at  TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    by_user     BIGINT,
    from_status VARCHAR,  -- NULL when the claim was made
    to_status   VARCHAR NOT NULL,
    note        VARCHAR
);

-- Who owes each owing invoice's balance. While the invoice has a claim that is not yet answered
-- (draft, submitted, accepted, appealed) the balance is insurance A/R, under that claim's payer
-- (the secondary's when both wait); otherwise it is the patient's. The A/R reports, the Home
-- tiles and the patient's statement all read this one rule.
CREATE VIEW invoice_ar AS
SELECT
    b.invoice_id,
    b.patient_id,
    b.service_date,
    b.balance,
    c.payer_id,
    c.claim_id,
    CASE WHEN c.claim_id IS NULL THEN 'patient' ELSE 'insurance' END AS responsibility
FROM invoice_balances b
LEFT JOIN (
    SELECT invoice_id, payer_id, id AS claim_id,
           row_number() OVER (PARTITION BY invoice_id ORDER BY rank DESC, id DESC) AS n
    FROM claims
    WHERE status IN ('draft', 'submitted', 'accepted', 'appealed')
) c ON c.invoice_id = b.invoice_id AND c.n = 1
WHERE b.status IN ('open', 'partially_paid') AND b.balance > 0;
