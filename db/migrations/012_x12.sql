-- 012: electronic claims. 837P claim files sent (a batch per file, its claims, the file itself so
-- it can be downloaded again) and 835 remittances read (the file, each claim payment in it and
-- what was done with it, the provider-level adjustments). The billing provider's identity (NPI,
-- tax ID, address, submitter and receiver IDs) lives in settings; each provider's NPI here.
--
-- DuckDB traps (see 001, 007, 008): claims are parents of foreign keys, so nothing here adds a
-- column to them; a claim's batches are read from claim_batch_claims.

ALTER TABLE providers ADD COLUMN npi VARCHAR;        -- 10 digits with a valid check digit (clinic/npi.py)

-- Interchange control numbers (ISA13, GS06): one per file, never reused, 9 digits.
CREATE SEQUENCE x12_interchange_seq START 1;

CREATE SEQUENCE claim_batches_id_seq START 1;
CREATE TABLE claim_batches (
    id                  BIGINT PRIMARY KEY DEFAULT nextval('claim_batches_id_seq'),
    interchange_control INTEGER NOT NULL UNIQUE,
    file_name           VARCHAR NOT NULL,
    content             VARCHAR NOT NULL,   -- the 837P file exactly as written
    claim_count         INTEGER NOT NULL CHECK (claim_count > 0),
    total_charge        DECIMAL(12,2) NOT NULL CHECK (total_charge >= 0),
    usage               VARCHAR NOT NULL CHECK (usage IN ('T', 'P')),  -- ISA15: test or production
    created_at          TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    created_by          BIGINT
);

CREATE TABLE claim_batch_claims (
    batch_id BIGINT NOT NULL REFERENCES claim_batches (id),
    claim_id BIGINT NOT NULL,
    PRIMARY KEY (batch_id, claim_id)
);

-- One 835 file read in (a payment or remittance advice from one payer).
CREATE SEQUENCE remittances_id_seq START 1;
CREATE TABLE remittances (
    id             BIGINT PRIMARY KEY DEFAULT nextval('remittances_id_seq'),
    file_name      VARCHAR NOT NULL,
    content        VARCHAR NOT NULL,
    payer_name     VARCHAR,
    payer_key      VARCHAR NOT NULL,         -- TRN03 (the payer's company ID), else its N1*PR name
    trace_number   VARCHAR NOT NULL,         -- TRN02: the check or EFT trace number
    method         VARCHAR NOT NULL,         -- BPR04: CHK, ACH, FWT, BOP, NON
    payment_amount DECIMAL(12,2) NOT NULL,   -- BPR02
    paid_on        DATE,                     -- BPR16
    provider_adjustment_total DECIMAL(12,2) NOT NULL DEFAULT 0,  -- sum of PLB amounts
    imported_at    TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    imported_by    BIGINT
);

-- Each claim payment (CLP) of a remittance and what ClinicDesk did with it.
CREATE TABLE remittance_claims (
    remittance_id      BIGINT NOT NULL REFERENCES remittances (id),
    position           INTEGER NOT NULL,     -- order in the file
    control_number     VARCHAR NOT NULL,     -- CLP01: our claim's number
    status_code        VARCHAR NOT NULL,     -- CLP02
    charge             DECIMAL(12,2) NOT NULL,
    paid               DECIMAL(12,2) NOT NULL,
    patient_responsibility DECIMAL(12,2),
    payer_claim_number VARCHAR,              -- CLP07
    claim_id           BIGINT,               -- NULL: no claim of ours has that number
    answer_id          BIGINT,               -- the claim_answers row posted from it
    outcome            VARCHAR NOT NULL CHECK (outcome IN ('posted', 'unmatched', 'already_posted', 'not_posted')),
    reason             VARCHAR,              -- why it was not posted
    PRIMARY KEY (remittance_id, position)
);

-- What makes importing the same 835 twice post nothing the second time: a claim payment is
-- posted once per payer, trace number, claim number and its occurrence in that payment.
CREATE TABLE remittance_postings (
    payer_key      VARCHAR NOT NULL,
    trace_number   VARCHAR NOT NULL,
    control_number VARCHAR NOT NULL,
    occurrence     INTEGER NOT NULL,
    answer_id      BIGINT NOT NULL,
    remittance_id  BIGINT NOT NULL,
    PRIMARY KEY (payer_key, trace_number, control_number, occurrence)
);

-- Provider-level adjustments (PLB): money taken or given back outside any claim (an earlier
-- overpayment recovered, interest). Shown apart; they are not posted to an invoice.
CREATE TABLE remittance_provider_adjustments (
    remittance_id BIGINT NOT NULL REFERENCES remittances (id),
    reason_code   VARCHAR NOT NULL,
    reference     VARCHAR,
    amount        DECIMAL(12,2) NOT NULL     -- positive reduces the payment, as the 835 gives it
);
