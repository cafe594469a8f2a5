-- 017: emergency ("break-glass") access. A clinician opens the clinical part of a record that
-- is not on their own schedule by giving a reason; the grant runs for a limited time, and the
-- manager reviews each one with what was done under it (the audit rows of that user on that
-- patient between started_at and ends_at).
CREATE SEQUENCE break_glass_id_seq;
CREATE TABLE break_glass (
    id          BIGINT PRIMARY KEY DEFAULT nextval('break_glass_id_seq'),
    user_id     BIGINT NOT NULL,
    patient_id  BIGINT NOT NULL,
    reason      VARCHAR NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    ends_at     TIMESTAMPTZ NOT NULL,
    reviewed_by BIGINT,
    reviewed_at TIMESTAMPTZ,
    review_note VARCHAR
);
CREATE INDEX break_glass_user_patient ON break_glass (user_id, patient_id);
