-- 011: imported records. Rows that came from another system carry where they came from
-- (import_source: 'noshow' for the public "Medical Appointment No Shows" file, 'synthea' for a Synthea
-- CSV export) and their id there (external_id), so importing the same file again adds nothing:
-- db/imports/ inserts only the (import_source, external_id) pairs not yet present. Rows made in
-- ClinicDesk leave both NULL (DuckDB's UNIQUE treats NULLs as distinct, so they never clash).
--
-- DuckDB traps kept in mind (see 001):
-- * ALTER TABLE ADD COLUMN cannot carry constraints: the UNIQUE rule is a separate index.
-- * A UNIQUE index on a table that foreign keys reference makes its indexed columns
--   un-updatable on referenced rows. import_source and external_id are written once, by the insert,
--   and never changed (a patient merge moves appointments, it does not rewrite these).
-- * The column is import_source, not source: payments.source (patient or insurer) exists.
--
-- appointments.reminder_sent: whether a reminder was sent before the visit, as the source says
-- (the no-show file's SMS_received). NULL for appointments made here, whose reminders are the
-- calls recorded in reminder_outcome / reminder_at.

ALTER TABLE patients ADD COLUMN import_source VARCHAR;
ALTER TABLE patients ADD COLUMN external_id VARCHAR;
CREATE UNIQUE INDEX patients_external ON patients (import_source, external_id);

ALTER TABLE providers ADD COLUMN import_source VARCHAR;
ALTER TABLE providers ADD COLUMN external_id VARCHAR;
CREATE UNIQUE INDEX providers_external ON providers (import_source, external_id);

ALTER TABLE payers ADD COLUMN import_source VARCHAR;
ALTER TABLE payers ADD COLUMN external_id VARCHAR;
CREATE UNIQUE INDEX payers_external ON payers (import_source, external_id);

ALTER TABLE appointments ADD COLUMN import_source VARCHAR;
ALTER TABLE appointments ADD COLUMN external_id VARCHAR;
ALTER TABLE appointments ADD COLUMN reminder_sent BOOLEAN;
CREATE UNIQUE INDEX appointments_external ON appointments (import_source, external_id);

ALTER TABLE invoices ADD COLUMN import_source VARCHAR;
ALTER TABLE invoices ADD COLUMN external_id VARCHAR;
CREATE UNIQUE INDEX invoices_external ON invoices (import_source, external_id);

ALTER TABLE claims ADD COLUMN import_source VARCHAR;
ALTER TABLE claims ADD COLUMN external_id VARCHAR;
CREATE UNIQUE INDEX claims_external ON claims (import_source, external_id);

ALTER TABLE payments ADD COLUMN import_source VARCHAR;
ALTER TABLE payments ADD COLUMN external_id VARCHAR;
CREATE UNIQUE INDEX payments_external ON payments (import_source, external_id);

-- Stock movements carry the source line they came from (a Synthea supplies row has no id of its
-- own: the importer makes one from the row's fields). No index: two million movements at the
-- large scale; the importer's anti-join reads only the imported ones.
ALTER TABLE stock_movements ADD COLUMN import_source VARCHAR;
ALTER TABLE stock_movements ADD COLUMN external_id VARCHAR;
