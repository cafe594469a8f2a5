-- 015: sign-in security. Failed sign-ins are counted in the database (not in a browser
-- session), so a lockout holds across tabs, browsers and restarts; an admin's password reset
-- makes the account choose a new password at its next sign-in; the idle timeout drops to
-- 15 minutes where it is still the old default.
--
-- users.locked_until: refused sign-ins until then (set when the lockout_attempts-th failure
-- within lockout_minutes happens; cleared by an admin's unlock or a successful sign-in after it).
-- users.last_failed_sign_in_at: written first by every failed sign-in, so that two at once write
-- the same row and DuckDB makes one of them retry (db/users.py).
-- No foreign key from sign_in_failures to users, for the reason 005 gives for user_sessions:
-- a referenced users row could no longer have its indexed columns updated, nor be altered by
-- later migrations. tests/db/test_sign_in_security.py checks that every row names a user.

ALTER TABLE users ADD COLUMN must_change_password BOOLEAN DEFAULT false;
ALTER TABLE users ADD COLUMN locked_until TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN last_failed_sign_in_at TIMESTAMPTZ;
UPDATE users SET must_change_password = false WHERE must_change_password IS NULL;

CREATE SEQUENCE sign_in_failures_id_seq START 1;
CREATE TABLE sign_in_failures (
    id        BIGINT PRIMARY KEY DEFAULT nextval('sign_in_failures_id_seq'),
    user_id   BIGINT NOT NULL,
    failed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sign_in_failures_user ON sign_in_failures (user_id);

INSERT INTO settings (key, value) VALUES
    ('lockout_attempts', '5'),
    ('lockout_minutes', '15'),
    ('password_min_length', '12')
ON CONFLICT (key) DO NOTHING;

-- Only where nobody chose another value: 30 was 005's default.
UPDATE settings SET value = '15' WHERE key = 'session_idle_min' AND value = '30';
