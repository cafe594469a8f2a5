-- 007: billing. The fee schedule and each visit type's default lines, invoices and their lines,
-- payments and where they were applied, adjustments, refunds, each patient's billing account (the
-- conflict point for their credit), and payment plans with their instalments.
--
-- The money model (all DECIMAL(12,2); sums are computed, never stored):
-- * An invoice's charges are its lines' total once finalised (zero while draft or void).
-- * A payment is money received, from the patient or an insurer; it is never updated.
--   payment_applications says how much of it went to which invoice. What is not applied is the
--   patient's CREDIT: credit = payments - applied - refunded from credit. There is no separate
--   credit balance to drift out of step; applying credit to another invoice is one more
--   application of the same payment.
-- * A refund gives money back: from credit (invoice_id NULL), or reversing money applied to an
--   invoice (invoice_id set; that invoice then owes it again).
-- * balance = charges - payments applied - adjustments + refunds on the invoice, never below zero
--   (the code refuses an over-large adjustment; a large payment leaves the rest as credit).
-- * invoices.status is derived from that money by clinic/billing.py and rewritten in the same
--   transaction as every change to it; only finalising and voiding are moves made by hand.
--
-- DuckDB traps that shaped this file (see 001):
-- * Ids from sequences, no identity columns.
-- * invoices, payments and payment_plans are parents of foreign keys, so their UNIQUE/indexed
--   columns can never be updated. Everything that changes (status, version, void fields,
--   patient_id on a patient merge) is a plain, unindexed column. invoices.appointment_id is UNIQUE
--   (completing a visit twice gives one invoice) and never changes after the insert.
-- * No index on patient_id here for the same reason: a merge must be able to move these rows.
--   patient_id carries no FOREIGN KEY either (as for appointments), so a merge can move them.
-- * Concurrency: every write to an invoice's money first bumps invoices.version, every write
--   that takes credit first bumps billing_accounts.version: two clerks on one invoice (or one
--   patient's credit) conflict there, and db.atomic retries the loser on a fresh snapshot.

CREATE SEQUENCE fee_schedule_id_seq START 1;
CREATE TABLE fee_schedule (
    id             BIGINT PRIMARY KEY DEFAULT nextval('fee_schedule_id_seq'),
    -- HCPCS Level II or a practice-defined code. Not UNIQUE: one row per effective period.
    code           VARCHAR NOT NULL,
    description    VARCHAR NOT NULL,
    price          DECIMAL(12,2) NOT NULL CHECK (price >= 0),
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    effective_from DATE NOT NULL,
    effective_to   DATE, -- inclusive; NULL = until further notice
    CHECK (effective_to IS NULL OR effective_to >= effective_from)
);

-- A visit type's default invoice lines, besides visit_types.default_fee_code (which, when set,
-- is the first line). Replaced as a set by db.fees.set_visit_type_lines.
CREATE TABLE visit_type_fee_lines (
    visit_type_id BIGINT NOT NULL REFERENCES visit_types (id),
    code          VARCHAR NOT NULL,
    quantity      INTEGER NOT NULL DEFAULT 1 CHECK (quantity BETWEEN 1 AND 999),
    position      INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (visit_type_id, code)
);

-- One row per patient with any credit-taking activity: the row that writes taking a patient's
-- credit (applying it, refunding it, reversing a payment) bump first. Created on demand.
CREATE TABLE billing_accounts (
    patient_id BIGINT PRIMARY KEY,
    version    BIGINT NOT NULL DEFAULT 0
);

CREATE SEQUENCE invoices_id_seq START 1;
CREATE TABLE invoices (
    id             BIGINT PRIMARY KEY DEFAULT nextval('invoices_id_seq'),
    patient_id     BIGINT NOT NULL, -- patients.id (no FOREIGN KEY, no index: a merge moves it)
    -- The visit whose completion created this invoice; NULL for a correction or one made by hand.
    appointment_id BIGINT UNIQUE,
    -- The visit billed (also on a correction) and its provider, for the ledger's filters.
    visit_id       BIGINT,
    provider_id    BIGINT,
    service_date   DATE NOT NULL, -- the clinic-local date of the service: what A/R ages from
    status         VARCHAR NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'open', 'partially_paid', 'paid', 'void')),
    -- Bumped FIRST by every write to this invoice (lines, status, money): the conflict point.
    version        BIGINT NOT NULL DEFAULT 0,
    replaces_id    BIGINT, -- the void invoice this one corrects
    note           VARCHAR,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    created_by     BIGINT,
    finalized_at   TIMESTAMPTZ,
    finalized_by   BIGINT,
    voided_at      TIMESTAMPTZ,
    voided_by      BIGINT,
    void_reason    VARCHAR
);

CREATE SEQUENCE invoice_lines_id_seq START 1;
CREATE TABLE invoice_lines (
    id          BIGINT PRIMARY KEY DEFAULT nextval('invoice_lines_id_seq'),
    invoice_id  BIGINT NOT NULL REFERENCES invoices (id),
    position    INTEGER NOT NULL,
    code        VARCHAR NOT NULL,
    description VARCHAR NOT NULL,
    modifiers   VARCHAR, -- up to 4 two-character modifiers, comma-separated (e.g. '25,59')
    quantity    INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 999),
    unit_price  DECIMAL(12,2) NOT NULL CHECK (unit_price >= 0),
    -- Up to 4 ICD-10-CM codes; the claim's pointers (A-L) are derived from them in order.
    dx1         VARCHAR,
    dx2         VARCHAR,
    dx3         VARCHAR,
    dx4         VARCHAR
);

CREATE SEQUENCE payments_id_seq START 1;
CREATE TABLE payments (
    id          BIGINT PRIMARY KEY DEFAULT nextval('payments_id_seq'),
    patient_id  BIGINT NOT NULL, -- whose account it is on (no FOREIGN KEY: a merge moves it)
    source      VARCHAR NOT NULL CHECK (source IN ('patient', 'insurer')),
    payer_id    BIGINT,          -- payers.id for an insurer's payment
    method      VARCHAR NOT NULL CHECK (method IN ('cash', 'card', 'check', 'eft', 'other')),
    reference   VARCHAR,
    amount      DECIMAL(12,2) NOT NULL CHECK (amount > 0),
    received_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    received_by BIGINT,
    note        VARCHAR
);

CREATE SEQUENCE payment_applications_id_seq START 1;
CREATE TABLE payment_applications (
    id          BIGINT PRIMARY KEY DEFAULT nextval('payment_applications_id_seq'),
    payment_id  BIGINT NOT NULL REFERENCES payments (id),
    invoice_id  BIGINT NOT NULL REFERENCES invoices (id),
    amount      DECIMAL(12,2) NOT NULL CHECK (amount > 0),
    from_credit BOOLEAN NOT NULL DEFAULT FALSE, -- applied later from the patient's credit
    applied_at  TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    applied_by  BIGINT
);

CREATE SEQUENCE adjustments_id_seq START 1;
CREATE TABLE adjustments (
    id          BIGINT PRIMARY KEY DEFAULT nextval('adjustments_id_seq'),
    invoice_id  BIGINT NOT NULL REFERENCES invoices (id),
    kind        VARCHAR NOT NULL
        CHECK (kind IN ('contractual', 'write_off', 'bad_debt', 'small_balance', 'courtesy')),
    amount      DECIMAL(12,2) NOT NULL CHECK (amount > 0),
    reason      VARCHAR NOT NULL,
    adjusted_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    adjusted_by BIGINT
);

CREATE SEQUENCE refunds_id_seq START 1;
CREATE TABLE refunds (
    id          BIGINT PRIMARY KEY DEFAULT nextval('refunds_id_seq'),
    payment_id  BIGINT NOT NULL REFERENCES payments (id), -- the money given back came from it
    invoice_id  BIGINT REFERENCES invoices (id),          -- NULL = refunded from credit
    amount      DECIMAL(12,2) NOT NULL CHECK (amount > 0),
    method      VARCHAR NOT NULL CHECK (method IN ('cash', 'card', 'check', 'eft', 'other')),
    reason      VARCHAR NOT NULL,
    refunded_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    refunded_by BIGINT
);

CREATE SEQUENCE payment_plans_id_seq START 1;
CREATE TABLE payment_plans (
    id            BIGINT PRIMARY KEY DEFAULT nextval('payment_plans_id_seq'),
    patient_id    BIGINT NOT NULL,
    total         DECIMAL(12,2) NOT NULL CHECK (total > 0), -- what the invoices owed when it was set up
    frequency     VARCHAR NOT NULL CHECK (frequency IN ('weekly', 'biweekly', 'monthly')),
    status        VARCHAR NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'cancelled')),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    created_by    BIGINT,
    cancelled_at  TIMESTAMPTZ,
    cancelled_by  BIGINT,
    cancel_reason VARCHAR
);

CREATE TABLE payment_plan_instalments (
    plan_id  BIGINT NOT NULL REFERENCES payment_plans (id),
    number   INTEGER NOT NULL,
    due_date DATE NOT NULL,
    amount   DECIMAL(12,2) NOT NULL CHECK (amount > 0),
    PRIMARY KEY (plan_id, number)
);

CREATE TABLE payment_plan_invoices (
    plan_id    BIGINT NOT NULL REFERENCES payment_plans (id),
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    PRIMARY KEY (plan_id, invoice_id)
);

-- Each invoice's money, computed (never stored). Every read of a balance goes through here, so
-- the ledger, the aging report and the invariant tests all use the one formula.
CREATE VIEW invoice_balances AS
SELECT
    i.id AS invoice_id,
    i.patient_id,
    i.status,
    i.service_date,
    CAST(coalesce(l.total, 0) AS DECIMAL(18, 2)) AS lines_total,
    CAST(CASE WHEN i.status IN ('draft', 'void') THEN 0 ELSE coalesce(l.total, 0) END AS DECIMAL(18, 2)) AS charges,
    CAST(coalesce(a.total, 0) AS DECIMAL(18, 2)) AS payments,
    CAST(coalesce(j.total, 0) AS DECIMAL(18, 2)) AS adjustments,
    CAST(coalesce(r.total, 0) AS DECIMAL(18, 2)) AS refunds,
    CAST(CASE WHEN i.status IN ('draft', 'void') THEN 0 ELSE coalesce(l.total, 0) END
         - coalesce(a.total, 0) - coalesce(j.total, 0) + coalesce(r.total, 0) AS DECIMAL(18, 2)) AS balance
FROM invoices i
LEFT JOIN (SELECT invoice_id, sum(quantity * unit_price) AS total FROM invoice_lines GROUP BY invoice_id) l
    ON l.invoice_id = i.id
LEFT JOIN (SELECT invoice_id, sum(amount) AS total FROM payment_applications GROUP BY invoice_id) a
    ON a.invoice_id = i.id
LEFT JOIN (SELECT invoice_id, sum(amount) AS total FROM adjustments GROUP BY invoice_id) j
    ON j.invoice_id = i.id
LEFT JOIN (SELECT invoice_id, sum(amount) AS total FROM refunds WHERE invoice_id IS NOT NULL GROUP BY invoice_id) r
    ON r.invoice_id = i.id;

-- Each payment's money: applied to invoices, refunded (from an invoice or from credit), and what
-- is left unapplied (the patient's credit from this payment).
CREATE VIEW payment_balances AS
SELECT
    p.id AS payment_id,
    p.patient_id,
    p.source,
    p.method,
    p.received_at,
    p.amount,
    CAST(coalesce(a.total, 0) AS DECIMAL(18, 2)) AS applied,
    CAST(coalesce(rc.total, 0) AS DECIMAL(18, 2)) AS refunded_from_credit,
    CAST(p.amount - coalesce(a.total, 0) - coalesce(rc.total, 0) AS DECIMAL(18, 2)) AS unapplied
FROM payments p
LEFT JOIN (SELECT payment_id, sum(amount) AS total FROM payment_applications GROUP BY payment_id) a
    ON a.payment_id = p.id
LEFT JOIN (SELECT payment_id, sum(amount) AS total FROM refunds WHERE invoice_id IS NULL GROUP BY payment_id) rc
    ON rc.payment_id = p.id;
