-- 001: the foundation. Settings, users, the audit log, providers and their weekly hours,
-- visit types, patients, appointments and their status events.
--
-- DuckDB traps that shaped this file:
-- * No identity columns: ids come from sequences.
-- * A parent row referenced by a foreign key cannot have its key or any UNIQUE column
--   updated (nor be deleted), even after its children are gone. Keys and UNIQUE columns here
--   never change; everything that does change is a plain column.
-- * ALTER TABLE ADD COLUMN cannot carry a CHECK constraint: later migrations validate in clinic/.
-- * A foreign-key column is indexed, and updating an indexed column is a delete + insert, which
--   DuckDB refuses for a row that another table references. Appointments are referenced (by
--   their events, later by invoices and notes) yet must be movable to another provider or, on a
--   patient merge, to another patient: so appointments.patient_id/provider_id/type_id carry no
--   FOREIGN KEY. db/appointments.py checks they exist inside the booking transaction, and
--   tests/db/test_integrity.py checks that no appointment points at nothing.
-- * Likewise UPDATE ... RETURNING on a referenced row fails: update, then select.

CREATE TABLE settings (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE SEQUENCE users_id_seq START 1;
CREATE TABLE users (
    id                  BIGINT PRIMARY KEY DEFAULT nextval('users_id_seq'),
    username            VARCHAR NOT NULL UNIQUE,
    full_name           VARCHAR NOT NULL,
    role                VARCHAR NOT NULL
        CHECK (role IN ('front_desk', 'billing', 'clinician', 'manager', 'admin')),
    password_hash       VARCHAR NOT NULL,
    active              BOOLEAN NOT NULL DEFAULT TRUE,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    password_changed_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    last_sign_in_at     TIMESTAMPTZ
);

-- Who did what, when, to which record. Never updated or deleted. No foreign keys on purpose:
-- the trail must outlive anything it mentions.
CREATE SEQUENCE audit_log_id_seq START 1;
CREATE TABLE audit_log (
    id         BIGINT PRIMARY KEY DEFAULT nextval('audit_log_id_seq'),
    occurred_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    user_id    BIGINT,
    username   VARCHAR,
    action     VARCHAR NOT NULL,
    entity     VARCHAR,
    entity_id  VARCHAR,
    patient_id BIGINT,
    detail     VARCHAR
);

CREATE SEQUENCE providers_id_seq START 1;
CREATE TABLE providers (
    id              BIGINT PRIMARY KEY DEFAULT nextval('providers_id_seq'),
    name            VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL
        CHECK (kind IN ('physician', 'nurse_practitioner', 'physician_assistant', 'nurse')),
    colour          VARCHAR NOT NULL DEFAULT '#3b82f6',
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    accepting_new   BOOLEAN NOT NULL DEFAULT TRUE,
    user_id         BIGINT,
    -- Bumped by every booking for this provider. DuckDB has no exclusion constraints and
    -- check-then-insert is not race-free under its MVCC; updating this row first makes two
    -- concurrent bookers for one provider conflict, so the loser retries and sees the winner.
    booking_version BIGINT NOT NULL DEFAULT 0
);

-- Weekly working hours: several blocks a day allowed (e.g. 08:00-12:00 and 13:00-17:00).
-- weekday: 0 = Monday ... 6 = Sunday (Python's date.weekday()).
CREATE SEQUENCE provider_hours_id_seq START 1;
CREATE TABLE provider_hours (
    id          BIGINT PRIMARY KEY DEFAULT nextval('provider_hours_id_seq'),
    provider_id BIGINT NOT NULL REFERENCES providers (id),
    weekday     SMALLINT NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    start_time  TIME NOT NULL,
    end_time    TIME NOT NULL,
    CHECK (end_time > start_time)
);

CREATE SEQUENCE visit_types_id_seq START 1;
CREATE TABLE visit_types (
    id                BIGINT PRIMARY KEY DEFAULT nextval('visit_types_id_seq'),
    -- Unique by name in db/visit_types.py, not by a UNIQUE constraint: DuckDB cannot update a
    -- UNIQUE column of a row that a foreign key references (renaming a type in use).
    name              VARCHAR NOT NULL,
    duration_min      INTEGER NOT NULL CHECK (duration_min BETWEEN 5 AND 480),
    colour            VARCHAR NOT NULL DEFAULT '#64748b',
    new_patients_only BOOLEAN NOT NULL DEFAULT FALSE,
    buffer_after_min  INTEGER NOT NULL DEFAULT 0 CHECK (buffer_after_min BETWEEN 0 AND 120),
    default_fee_code  VARCHAR,
    active            BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE SEQUENCE patients_id_seq START 1;
-- Medical record numbers are never reused: they come from their own sequence.
CREATE SEQUENCE patients_mrn_seq START 100001;
CREATE TABLE patients (
    id              BIGINT PRIMARY KEY DEFAULT nextval('patients_id_seq'),
    mrn             VARCHAR NOT NULL UNIQUE,
    first_name      VARCHAR NOT NULL,
    last_name       VARCHAR NOT NULL,
    preferred_name  VARCHAR,
    date_of_birth   DATE NOT NULL,
    sex             VARCHAR NOT NULL CHECK (sex IN ('female', 'male', 'other', 'unknown')),
    phone_mobile    VARCHAR,
    email           VARCHAR,
    reminder_opt_in BOOLEAN NOT NULL DEFAULT FALSE,
    status          VARCHAR NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'merged')),
    merged_into     BIGINT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    -- Bumped by every booking for this patient: serializes bookers so that one patient cannot
    -- be booked twice at overlapping times (same trick as providers.booking_version).
    booking_version BIGINT NOT NULL DEFAULT 0
);

CREATE SEQUENCE appointments_id_seq START 1;
CREATE TABLE appointments (
    id            BIGINT PRIMARY KEY DEFAULT nextval('appointments_id_seq'),
    patient_id    BIGINT NOT NULL, -- patients.id (no FOREIGN KEY: see the note at the top)
    provider_id   BIGINT NOT NULL, -- providers.id
    type_id       BIGINT NOT NULL, -- visit_types.id
    start_at      TIMESTAMPTZ NOT NULL,
    end_at        TIMESTAMPTZ NOT NULL,
    -- end_at plus the visit type's buffer: the provider is busy until then.
    busy_until    TIMESTAMPTZ NOT NULL,
    status        VARCHAR NOT NULL DEFAULT 'scheduled'
        CHECK (status IN ('scheduled', 'confirmed', 'checked_in', 'completed', 'no_show', 'cancelled')),
    booked_at     TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    booked_by     BIGINT,
    reason        VARCHAR,
    notes         VARCHAR,
    arrived_at    TIMESTAMPTZ,
    cancel_reason VARCHAR,
    late_cancel   BOOLEAN,
    reminder_at   TIMESTAMPTZ,
    CHECK (end_at > start_at),
    CHECK (busy_until >= end_at)
);

CREATE SEQUENCE appointment_events_id_seq START 1;
CREATE TABLE appointment_events (
    id             BIGINT PRIMARY KEY DEFAULT nextval('appointment_events_id_seq'),
    appointment_id BIGINT NOT NULL REFERENCES appointments (id),
    occurred_at    TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    user_id        BIGINT,
    from_status    VARCHAR,
    to_status      VARCHAR NOT NULL,
    reason         VARCHAR
);
