-- 004: versions for records that several people edit, and the history of every draft note.
--
-- * patients.version: bumped by every change to a patient's intake (NOT booking_version, which
--   bookings bump to serialise themselves). An edit carries the version the user saw; a save from
--   a form opened before someone else's save is refused (db/patient_intake.py).
-- * visit_notes.revision: the number of the draft revision the note holds now; a save or a
--   signature carries the revision the clinician saw (db/notes.py).
-- * note_revisions: every saved draft body, never updated. Notes written before this migration
--   get their current body as revision 1.
--
-- patients and visit_notes are referenced by foreign keys, and DuckDB then refuses ALTER TABLE
-- with NOT NULL: the columns carry a DEFAULT and the code never writes NULL into them.

ALTER TABLE patients ADD COLUMN version BIGINT DEFAULT 0;
ALTER TABLE visit_notes ADD COLUMN revision BIGINT DEFAULT 1;

CREATE TABLE note_revisions (
    note_id  BIGINT NOT NULL REFERENCES visit_notes (id),
    revision BIGINT NOT NULL,
    body     VARCHAR NOT NULL,
    saved_by BIGINT,
    saved_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (note_id, revision)
);

INSERT INTO note_revisions (note_id, revision, body, saved_by, saved_at)
SELECT id, 1, body, author_id, updated_at FROM visit_notes;
