-- 002: scheduling. Provider time off, clinic closures, public-holiday switches, the waitlist,
-- reminder outcomes, and the moment a patient is taken in ("started").

CREATE SEQUENCE provider_time_off_id_seq START 1;
CREATE TABLE provider_time_off (
    id          BIGINT PRIMARY KEY DEFAULT nextval('provider_time_off_id_seq'),
    provider_id BIGINT NOT NULL REFERENCES providers (id),
    start_at    TIMESTAMPTZ NOT NULL,
    end_at      TIMESTAMPTZ NOT NULL,
    reason      VARCHAR,
    CHECK (end_at > start_at)
);

-- Whole clinic-local days when nobody is booked (besides public holidays, which come from the
-- holidays package and are switched off one by one in holiday_overrides).
CREATE SEQUENCE clinic_closures_id_seq START 1;
CREATE TABLE clinic_closures (
    id     BIGINT PRIMARY KEY DEFAULT nextval('clinic_closures_id_seq'),
    day    DATE NOT NULL UNIQUE,
    reason VARCHAR
);

-- A public holiday on which the clinic opens all the same.
CREATE TABLE holiday_overrides (
    day  DATE PRIMARY KEY,
    note VARCHAR
);

ALTER TABLE appointments ADD COLUMN started_at TIMESTAMPTZ;
ALTER TABLE appointments ADD COLUMN reminder_outcome VARCHAR;
ALTER TABLE appointments ADD COLUMN series_id BIGINT;
CREATE SEQUENCE appointment_series_id_seq START 1;

CREATE SEQUENCE waitlist_id_seq START 1;
CREATE TABLE waitlist (
    id             BIGINT PRIMARY KEY DEFAULT nextval('waitlist_id_seq'),
    patient_id     BIGINT NOT NULL REFERENCES patients (id),
    provider_id    BIGINT REFERENCES providers (id),
    type_id        BIGINT NOT NULL REFERENCES visit_types (id),
    -- Comma-separated weekday numbers, Monday = 0 (e.g. '0,2,4'); NULL = any day.
    preferred_days VARCHAR,
    note           VARCHAR,
    status         VARCHAR NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'booked', 'removed')),
    created_at     TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    created_by     BIGINT,
    appointment_id BIGINT
);
