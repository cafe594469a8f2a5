-- 016: an e-mail per account, for single sign-on (components/sso.py). The identity provider
-- (Microsoft Entra ID, Google Workspace, Keycloak) vouches for an e-mail; the account with that
-- e-mail is who signs in, with the role ClinicDesk gives it.
--
-- users.email: stored lower-case (db/users.py normalises it), so the unique index makes it unique
-- case-insensitively; NULL for an account without one (NULLs do not collide).
-- sso_sign_ins: every identity the provider handed back, once. Streamlit keeps the provider's
-- identity in its own cookie for 30 days; ClinicDesk starts a session from it only the first time
-- (and only while it is fresh), so an idle timeout or a sign-out is not undone by that cookie.
-- identity_hash is a SHA-256 of the identity token's issuer, subject, issue time and nonce;
-- user_id is NULL when the sign-in was refused. No foreign key, for the reason 005 gives.

ALTER TABLE users ADD COLUMN email VARCHAR;
CREATE UNIQUE INDEX users_email ON users (email);

CREATE TABLE sso_sign_ins (
    identity_hash VARCHAR PRIMARY KEY,
    user_id       BIGINT,
    provider      VARCHAR NOT NULL,
    used_at       TIMESTAMPTZ NOT NULL
);
