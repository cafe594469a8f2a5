-- 005: server-side sign-in sessions, so a refresh, a second tab or a bookmark keeps the user
-- signed in. The browser holds an opaque random token in a cookie; only its SHA-256 hash is
-- stored here, so a copy of the database cannot be replayed as a sign-in.
-- No foreign key to users on purpose (DuckDB refuses updates of a referenced row's indexed
-- columns in some cases; tests/db/test_sessions.py checks that every session names a user).

CREATE SEQUENCE user_sessions_id_seq START 1;
CREATE TABLE user_sessions (
    id             BIGINT PRIMARY KEY DEFAULT nextval('user_sessions_id_seq'),
    user_id        BIGINT NOT NULL,
    token_hash     VARCHAR NOT NULL UNIQUE,
    created_at     TIMESTAMPTZ NOT NULL,
    last_seen_at   TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL,
    revoked_at     TIMESTAMPTZ,
    revoked_reason VARCHAR
);
CREATE INDEX user_sessions_user ON user_sessions (user_id);

INSERT INTO settings (key, value) VALUES ('session_idle_min', '30'), ('session_max_hours', '12')
ON CONFLICT (key) DO NOTHING;
