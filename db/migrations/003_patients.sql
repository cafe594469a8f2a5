-- 003: patients. Full intake fields, payers and insurance, intake history, documents, the
-- message and call log, and visit notes with addenda.
-- (ALTER TABLE ADD COLUMN cannot carry CHECK constraints in DuckDB: clinic/intake.py validates.)

ALTER TABLE patients ADD COLUMN middle_name VARCHAR;
ALTER TABLE patients ADD COLUMN preferred_language VARCHAR;
ALTER TABLE patients ADD COLUMN phone_home VARCHAR;
ALTER TABLE patients ADD COLUMN address_line1 VARCHAR;
ALTER TABLE patients ADD COLUMN address_line2 VARCHAR;
ALTER TABLE patients ADD COLUMN city VARCHAR;
ALTER TABLE patients ADD COLUMN state VARCHAR;
ALTER TABLE patients ADD COLUMN postal_code VARCHAR;
-- phone, sms, email, letter
ALTER TABLE patients ADD COLUMN preferred_contact VARCHAR;
ALTER TABLE patients ADD COLUMN consent_sms BOOLEAN DEFAULT FALSE;
ALTER TABLE patients ADD COLUMN consent_email BOOLEAN DEFAULT FALSE;
ALTER TABLE patients ADD COLUMN emergency_name VARCHAR;
ALTER TABLE patients ADD COLUMN emergency_relationship VARCHAR;
ALTER TABLE patients ADD COLUMN emergency_phone VARCHAR;
ALTER TABLE patients ADD COLUMN allergies VARCHAR;
ALTER TABLE patients ADD COLUMN medications VARCHAR;
ALTER TABLE patients ADD COLUMN conditions VARCHAR;
ALTER TABLE patients ADD COLUMN first_visit_reason VARCHAR;
ALTER TABLE patients ADD COLUMN privacy_ack_on DATE;
ALTER TABLE patients ADD COLUMN financial_policy_on DATE;
ALTER TABLE patients ADD COLUMN updated_at TIMESTAMPTZ;
ALTER TABLE patients ADD COLUMN created_by BIGINT;

CREATE SEQUENCE payers_id_seq START 1;
CREATE TABLE payers (
    id         BIGINT PRIMARY KEY DEFAULT nextval('payers_id_seq'),
    name       VARCHAR NOT NULL,
    payer_code VARCHAR,
    kind       VARCHAR NOT NULL CHECK (kind IN ('commercial', 'medicare', 'medicaid', 'self_pay')),
    active     BOOLEAN NOT NULL DEFAULT TRUE
);

-- rank 1 = primary, 2 = secondary. No foreign keys: a merge moves these rows to the survivor.
CREATE SEQUENCE patient_insurance_id_seq START 1;
CREATE TABLE patient_insurance (
    id                      BIGINT PRIMARY KEY DEFAULT nextval('patient_insurance_id_seq'),
    patient_id              BIGINT NOT NULL,
    rank                    SMALLINT NOT NULL CHECK (rank IN (1, 2)),
    payer_id                BIGINT NOT NULL,
    member_id               VARCHAR NOT NULL,
    group_number            VARCHAR,
    subscriber_name         VARCHAR,
    subscriber_relationship VARCHAR NOT NULL DEFAULT 'self'
        CHECK (subscriber_relationship IN ('self', 'spouse', 'child', 'other')),
    active                  BOOLEAN NOT NULL DEFAULT TRUE
);

-- Intake history: one row per changed field, who and when. Never updated.
CREATE SEQUENCE patient_changes_id_seq START 1;
CREATE TABLE patient_changes (
    id          BIGINT PRIMARY KEY DEFAULT nextval('patient_changes_id_seq'),
    patient_id  BIGINT NOT NULL,
    changed_at  TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    user_id     BIGINT,
    field       VARCHAR NOT NULL,
    old_value   VARCHAR,
    new_value   VARCHAR
);

-- Documents live inside the database (so a backup of the database covers them).
CREATE SEQUENCE documents_id_seq START 1;
CREATE TABLE documents (
    id          BIGINT PRIMARY KEY DEFAULT nextval('documents_id_seq'),
    patient_id  BIGINT NOT NULL,
    category    VARCHAR NOT NULL CHECK (category IN ('id_card', 'insurance_card', 'referral', 'lab_report',
                    'imaging_report', 'consent_form', 'correspondence', 'other')),
    doc_date    DATE NOT NULL,
    note        VARCHAR,
    filename    VARCHAR NOT NULL,
    mime_type   VARCHAR NOT NULL CHECK (mime_type IN ('application/pdf', 'image/png', 'image/jpeg')),
    size_bytes  BIGINT NOT NULL CHECK (size_bytes > 0 AND size_bytes <= 10485760),
    sha256      VARCHAR NOT NULL,
    content     BLOB NOT NULL,
    uploaded_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    uploaded_by BIGINT
);

CREATE SEQUENCE messages_id_seq START 1;
CREATE TABLE messages (
    id            BIGINT PRIMARY KEY DEFAULT nextval('messages_id_seq'),
    patient_id    BIGINT,
    channel       VARCHAR NOT NULL CHECK (channel IN ('phone_in', 'phone_out', 'email', 'portal', 'letter')),
    request_type  VARCHAR NOT NULL CHECK (request_type IN ('appointment', 'refill', 'referral', 'billing',
                      'results', 'other')),
    subject       VARCHAR NOT NULL,
    body          VARCHAR,
    status        VARCHAR NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'waiting', 'done')),
    assignee_user BIGINT,
    assignee_role VARCHAR CHECK (assignee_role IS NULL OR assignee_role IN
                      ('front_desk', 'billing', 'clinician', 'manager', 'admin')),
    due_on        DATE,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    created_by    BIGINT,
    closed_at     TIMESTAMPTZ,
    closed_by     BIGINT,
    closed_note   VARCHAR
);

-- A visit note belongs to an appointment; signing locks it; later changes are addenda.
CREATE SEQUENCE visit_notes_id_seq START 1;
CREATE TABLE visit_notes (
    id             BIGINT PRIMARY KEY DEFAULT nextval('visit_notes_id_seq'),
    appointment_id BIGINT NOT NULL UNIQUE,
    patient_id     BIGINT NOT NULL,
    author_id      BIGINT NOT NULL,
    body           VARCHAR NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    signed_at      TIMESTAMPTZ,
    signed_by      BIGINT
);

CREATE SEQUENCE note_addenda_id_seq START 1;
CREATE TABLE note_addenda (
    id         BIGINT PRIMARY KEY DEFAULT nextval('note_addenda_id_seq'),
    note_id    BIGINT NOT NULL REFERENCES visit_notes (id),
    author_id  BIGINT NOT NULL,
    body       VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);
