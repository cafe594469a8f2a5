-- 009: the ICD-10-CM code list, for searching diagnoses by code or words on an invoice line.
--
-- The list is not shipped in this file: db.diagnoses.ensure_loaded fills the table on first use,
-- in one set-wise insert, from the official tabular list that the pinned simple-icd-10-cm
-- package carries (CMS, public domain), and records that package's version in settings under
-- 'icd10_release' (a newer package reloads the table). Whether a code may be billed is decided by
-- clinic.icd10.check_code against the package itself; this table serves search and descriptions.
--
-- Every code of the tabular list is here (categories, subcategories, 7th-character extensions);
-- billable is TRUE for the ones that may go on a claim (leaves: E11.9, I10, S52.521A), FALSE for
-- headings that have more specific codes under them (E11, S52.521). Chapters and blocks are not.
-- No other table references this one, so a reload may delete and insert freely.
CREATE TABLE icd10_codes (
    code        VARCHAR PRIMARY KEY, -- with its dot, upper case: 'E11.9'
    description VARCHAR NOT NULL,
    billable    BOOLEAN NOT NULL,
    -- lower(code || ' ' || description), written at load: what a search by words looks in.
    words       VARCHAR NOT NULL
);
