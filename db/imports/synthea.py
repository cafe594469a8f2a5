"""Importing a Synthea CSV export (``output/csv``) so a practice can try ClinicDesk on a realistic record.

What is read and what it becomes (every row keeps its Synthea id in ``external_id``):

* payers.csv -> payers (kind from the name/ownership: Medicare and Dual Eligible ``medicare``,
  Medicaid ``medicaid``, other private ``commercial``, NO_INSURANCE ``self_pay``).
* providers.csv -> providers, only the clinicians the encounters name; inactive, not accepting
  new patients and without weekly hours: history only (make one active in the schedule settings
  to book with them). Synthea's digits after names ("Ted955 Reilly981") are dropped.
* patients.csv -> patients (name, sex, birth date, address; a patient with a DEATHDATE is
  ``inactive``); payer_transitions.csv (optional) -> each new patient's latest coverage.
* encounters.csv -> ``completed`` appointments, visit type from ENCOUNTERCLASS
  (:data:`CLASS_TYPES`, inactive "... (imported)" types), booked at their start (Synthea has no
  booking time). Times are taken as written, in the clinic's zone, like the no-show import.
* claims.csv + claims_transactions.csv -> one finalised invoice per claim (``visit_id`` = the
  encounter's appointment; ``appointment_id`` stays NULL because Synthea often bills one
  encounter in several claims), one line per CHARGE row, one payment fully applied to it per
  PAYMENT row, one contractual adjustment per ADJUSTMENT row; so per patient the charges,
  payments and balance equal the source's. A payment is the insurer's when the line was with the
  claim's primary (or, after a transfer, secondary) payer and the method is not COPAY; otherwise
  the patient's. Methods: CASH cash, CC card, CHECK check, ECHECK eft, COPAY/other other.
  The claim is also a ClinicDesk claim per insured payer (rank 1, 2): BILLED -> ``submitted``,
  CLOSED -> ``paid`` (also when the payer's share was 0: Synthea's payers cover every encounter,
  so a zero payment is the deductible or copay, not a denial; Synthea has no denials). Synthea
  leaves STATUS2 empty when there IS a secondary payer: the secondary then follows STATUS1.
  Diagnoses are SNOMED CT, not ICD-10, so they go in the claim's note, not its diagnosis list.
* supplies.csv (optional) -> stock items (SKU ``SCT-<code>``, category ``supply``) with one
  ``usage`` movement per encounter and code against the visit, preceded by a ``receipt`` of the
  same total (Synthea records use, never deliveries; stock never goes below zero), at no cost.

Rows that cannot be imported are counted by file and reason (an encounter whose patient or
clinician is missing, an unreadable date or amount, a claim paid more than charged...). Everything
is one transaction, set-wise; importing the same export again adds nothing.
"""

from __future__ import annotations

import time as clock
from pathlib import Path

import duckdb

from db import Connection, atomic, audit, settings
from db.actors import acting
from db.imports import ImportSummary, Progress, define_macros, refused, report

SOURCE = "synthea"
REQUIRED = {
    "patients.csv": ("Id", "BIRTHDATE", "DEATHDATE", "FIRST", "LAST", "GENDER", "ADDRESS", "CITY", "STATE", "ZIP"),
    "providers.csv": ("Id", "NAME"),
    "payers.csv": ("Id", "NAME", "OWNERSHIP"),
    "encounters.csv": ("Id", "START", "STOP", "PATIENT", "PROVIDER", "ENCOUNTERCLASS", "DESCRIPTION",
                       "REASONDESCRIPTION"),
    "claims.csv": ("Id", "PATIENTID", "PROVIDERID", "PRIMARYPATIENTINSURANCEID", "SECONDARYPATIENTINSURANCEID",
                   "APPOINTMENTID", "SERVICEDATE", "STATUS1", "STATUS2", "DIAGNOSIS1", "DIAGNOSIS2",
                   "DIAGNOSIS3", "DIAGNOSIS4"),
    "claims_transactions.csv": ("ID", "CLAIMID", "CHARGEID", "PATIENTID", "TYPE", "AMOUNT", "METHOD", "FROMDATE",
                                "PROCEDURECODE", "UNITS", "UNITAMOUNT", "TRANSFERTYPE", "PAYMENTS", "ADJUSTMENTS",
                                "NOTES", "PATIENTINSURANCEID"),
}
OPTIONAL = {
    "supplies.csv": ("DATE", "PATIENT", "ENCOUNTER", "CODE", "DESCRIPTION", "QUANTITY"),
    "payer_transitions.csv": ("PATIENT", "MEMBERID", "START_DATE", "END_DATE", "PAYER", "SECONDARY_PAYER",
                              "PLAN_OWNERSHIP", "OWNER_NAME"),
}
# Temp table per file (names fixed here, never from input).
_TABLES = {"patients.csv": "syn_patients", "providers.csv": "syn_providers", "payers.csv": "syn_payers",
           "encounters.csv": "syn_encounters", "claims.csv": "syn_claims",
           "claims_transactions.csv": "syn_transactions", "supplies.csv": "syn_supplies",
           "payer_transitions.csv": "syn_transitions"}
_LOAD = {table: f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM read_csv($path, all_varchar = true,"
                f" header = true)" for table in _TABLES.values()}
_EMPTY = {table: f"CREATE OR REPLACE TEMP TABLE {table} ("
                 + ", ".join(f'"{c}" VARCHAR' for c in OPTIONAL[name]) + ")"
          for name, table in _TABLES.items() if name in OPTIONAL}
_COLUMNS = "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND database_name = 'temp'"

# ENCOUNTERCLASS -> (visit type name, minutes). Anything else: "Other encounter (imported)".
CLASS_TYPES = {
    "ambulatory": ("Office visit (imported)", 30),
    "wellness": ("Wellness visit (imported)", 30),
    "outpatient": ("Outpatient visit (imported)", 30),
    "urgentcare": ("Urgent care visit (imported)", 30),
    "emergency": ("Emergency visit (imported)", 120),
    "inpatient": ("Inpatient stay (imported)", 480),
    "snf": ("Skilled nursing stay (imported)", 480),
    "hospice": ("Hospice care (imported)", 60),
    "home": ("Home visit (imported)", 60),
    "virtual": ("Virtual visit (imported)", 15),
}
OTHER_TYPE = ("Other encounter (imported)", 30)
DEFAULT_MINUTES = 15  # an encounter whose STOP is missing or not after its START

_PAYERS = """
INSERT INTO payers (name, kind, import_source, external_id)
SELECT CASE WHEN upper(trim(NAME)) = 'NO_INSURANCE' THEN 'No insurance (self-pay)' ELSE trim(NAME) END,
       CASE WHEN upper(trim(NAME)) = 'NO_INSURANCE' OR upper(trim(OWNERSHIP)) = 'NO_INSURANCE' THEN 'self_pay'
            WHEN upper(NAME) LIKE '%MEDICAID%' THEN 'medicaid'
            WHEN upper(NAME) LIKE '%MEDICARE%' OR upper(NAME) LIKE '%DUAL%' THEN 'medicare'
            WHEN upper(trim(OWNERSHIP)) = 'GOVERNMENT' THEN 'medicaid'
            ELSE 'commercial' END,
       $source, trim(Id)
FROM syn_payers s
WHERE nullif(trim(Id), '') IS NOT NULL AND nullif(trim(NAME), '') IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM payers p WHERE p.import_source = $source AND p.external_id = trim(s.Id))
QUALIFY row_number() OVER (PARTITION BY trim(Id)) = 1
"""

_PROVIDERS = """
INSERT INTO providers (name, kind, colour, active, accepting_new, import_source, external_id)
SELECT trim(regexp_replace(regexp_replace(NAME, '[0-9]+', '', 'g'), '\\s+', ' ', 'g')), 'physician', '#64748b',
       FALSE, FALSE, $source, trim(Id)
FROM syn_providers s
WHERE nullif(trim(NAME), '') IS NOT NULL
  AND trim(Id) IN (SELECT trim(PROVIDER) FROM syn_encounters)
  AND NOT EXISTS (SELECT 1 FROM providers p WHERE p.import_source = $source AND p.external_id = trim(s.Id))
QUALIFY row_number() OVER (PARTITION BY trim(Id)) = 1
"""

_PATIENT_STAGE = """
CREATE OR REPLACE TEMP TABLE syn_patient_rows AS
SELECT trim(Id) AS ext,
       trim(regexp_replace(FIRST, '[0-9]+', '', 'g')) AS first_name,
       trim(regexp_replace(LAST, '[0-9]+', '', 'g')) AS last_name,
       try_cast(trim(BIRTHDATE) AS DATE) AS date_of_birth,
       CASE upper(trim(GENDER)) WHEN 'F' THEN 'female' WHEN 'M' THEN 'male' ELSE 'unknown' END AS sex,
       nullif(trim(ADDRESS), '') AS address, nullif(trim(CITY), '') AS city, nullif(trim(STATE), '') AS state,
       nullif(trim(ZIP), '') AS zip, nullif(trim(DEATHDATE), '') IS NOT NULL AS deceased,
       CASE WHEN nullif(trim(Id), '') IS NULL THEN 'patients.csv: Id missing'
            WHEN nullif(trim(regexp_replace(FIRST, '[0-9]+', '', 'g')), '') IS NULL
              OR nullif(trim(regexp_replace(LAST, '[0-9]+', '', 'g')), '') IS NULL THEN 'patients.csv: name missing'
            WHEN try_cast(trim(BIRTHDATE) AS DATE) IS NULL THEN 'patients.csv: BIRTHDATE not a readable date'
       END AS reason
FROM syn_patients
"""

_PATIENTS = """
INSERT INTO patients (mrn, first_name, last_name, date_of_birth, sex, address_line1, city, state, postal_code,
                      status, reminder_opt_in, created_by, import_source, external_id)
SELECT nextval('patients_mrn_seq')::VARCHAR, first_name, last_name, date_of_birth, sex, address, city, state, zip,
       CASE WHEN deceased THEN 'inactive' ELSE 'active' END, FALSE, $actor_id, $source, ext
FROM syn_patient_rows s
WHERE reason IS NULL
  AND NOT EXISTS (SELECT 1 FROM patients p WHERE p.import_source = $source AND p.external_id = s.ext)
QUALIFY row_number() OVER (PARTITION BY ext) = 1
"""

_ENCOUNTER_STAGE = """
CREATE OR REPLACE TEMP TABLE syn_encounter_rows AS
SELECT trim(e.Id) AS ext, lower(trim(e.ENCOUNTERCLASS)) AS class,
       as_written(e.START) AS start_local, as_written(e.STOP) AS stop_local,
       nullif(trim(concat_ws(': ', nullif(trim(e.DESCRIPTION), ''), nullif(trim(e.REASONDESCRIPTION), ''))), '')
           AS reason_text,
       p.id AS patient_id, p.status AS patient_status, p.merged_into, pr.id AS provider_id,
       CASE WHEN nullif(trim(e.Id), '') IS NULL THEN 'encounters.csv: Id missing'
            WHEN as_written(e.START) IS NULL THEN 'encounters.csv: START not a readable date'
            WHEN p.id IS NULL THEN 'encounters.csv: patient not in patients.csv (or not imported)'
            WHEN pr.id IS NULL THEN 'encounters.csv: clinician not in providers.csv'
       END AS reason
FROM syn_encounters e
LEFT JOIN patients p ON p.import_source = $source AND p.external_id = trim(e.PATIENT)
LEFT JOIN providers pr ON pr.import_source = $source AND pr.external_id = trim(e.PROVIDER)
"""

_FRESH_ENCOUNTERS = """
CREATE OR REPLACE TEMP TABLE syn_fresh_encounters AS
SELECT s.*, coalesce(t.type_id, $other_type_id) AS type_id, coalesce(t.minutes, $other_minutes) AS minutes
FROM syn_encounter_rows s
LEFT JOIN syn_types t ON t.class = s.class
WHERE s.reason IS NULL
  AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.import_source = $source AND a.external_id = s.ext)
QUALIFY row_number() OVER (PARTITION BY s.ext ORDER BY s.start_local) = 1
"""

_APPOINTMENTS = """
INSERT INTO appointments (patient_id, provider_id, type_id, start_at, end_at, busy_until, status, booked_at,
                          booked_by, reason, import_source, external_id)
SELECT CASE WHEN patient_status = 'merged' AND merged_into IS NOT NULL THEN merged_into ELSE patient_id END,
       provider_id, type_id, timezone($tz, start_local), ends, ends, 'completed', timezone($tz, start_local),
       $actor_id, left(reason_text, 200), $source, ext
FROM (
    SELECT *, CASE WHEN timezone($tz, stop_local) > timezone($tz, start_local) THEN timezone($tz, stop_local)
                   ELSE timezone($tz, start_local) + to_minutes($default_minutes) END AS ends
    FROM syn_fresh_encounters
)
"""

_EVENTS = """
INSERT INTO appointment_events (appointment_id, occurred_at, user_id, from_status, to_status, reason)
SELECT a.id, a.start_at, $actor_id, NULL, a.status, 'imported from Synthea'
FROM appointments a
WHERE a.import_source = $source AND a.id > $after_id
"""

# Each transaction with the party responsible for its line at that moment: Synthea marks the
# CHARGE with TRANSFERTYPE 1 (primary payer) and each TRANSFERIN with 1, 2 (secondary) or p
# (patient); CHARGEID orders a claim's transactions.
_TRANSACTIONS = """
CREATE OR REPLACE TEMP TABLE syn_tx AS
SELECT trim(ID) AS ext, trim(CLAIMID) AS claim_ext, try_cast(CHARGEID AS BIGINT) AS seq, upper(trim(TYPE)) AS type,
       try_cast(nullif(trim(AMOUNT), '') AS DECIMAL(12, 2)) AS amount,
       try_cast(nullif(trim(PAYMENTS), '') AS DECIMAL(12, 2)) AS paid,
       try_cast(nullif(trim(ADJUSTMENTS), '') AS DECIMAL(12, 2)) AS adjusted,
       try_cast(nullif(trim(UNITS), '') AS DECIMAL(12, 2)) AS units,
       try_cast(nullif(trim(UNITAMOUNT), '') AS DECIMAL(12, 2)) AS unit_amount,
       upper(trim(METHOD)) AS method, as_written(FROMDATE) AS from_local,
       coalesce(nullif(trim(PROCEDURECODE), ''), 'SYNTHEA') AS code,
       coalesce(nullif(trim(NOTES), ''), 'Synthea charge') AS description,
       nullif(trim(PATIENTINSURANCEID), '') AS member_id,
       coalesce(last_value(nullif(trim(TRANSFERTYPE), '') IGNORE NULLS) OVER (
           PARTITION BY trim(CLAIMID) ORDER BY try_cast(CHARGEID AS BIGINT), trim(ID)
           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), '1') AS responsible
FROM syn_transactions
"""

_CLAIM_STAGE = """
CREATE OR REPLACE TEMP TABLE syn_claim_rows AS
SELECT trim(c.Id) AS ext, nullif(trim(c.PRIMARYPATIENTINSURANCEID), '') AS payer1,
       nullif(trim(c.SECONDARYPATIENTINSURANCEID), '') AS payer2, as_written(c.SERVICEDATE) AS service_local,
       -- Still with the payer (BILLED), per rank. Synthea leaves STATUS2 empty on claims that HAVE a
       -- secondary payer (and CLOSED on those without), so an empty STATUS2 follows STATUS1.
       [upper(trim(c.STATUS1)) = 'BILLED',
        coalesce(nullif(upper(trim(c.STATUS2)), ''), upper(trim(c.STATUS1))) = 'BILLED'] AS open_for,
       concat_ws(', ', nullif(trim(c.DIAGNOSIS1), ''), nullif(trim(c.DIAGNOSIS2), ''),
                 nullif(trim(c.DIAGNOSIS3), ''), nullif(trim(c.DIAGNOSIS4), '')) AS diagnoses,
       a.id AS appointment_id, a.patient_id, a.provider_id,
       t.charges, t.payments, t.adjustments, t.member_id,
       CASE WHEN nullif(trim(c.Id), '') IS NULL THEN 'claims.csv: Id missing'
            WHEN a.id IS NULL THEN 'claims.csv: encounter not imported'
            WHEN as_written(c.SERVICEDATE) IS NULL THEN 'claims.csv: SERVICEDATE not a readable date'
            WHEN coalesce(t.charge_lines, 0) = 0 THEN 'claims.csv: no CHARGE rows in claims_transactions.csv'
            WHEN t.unreadable > 0 THEN 'claims_transactions.csv: an amount is not readable or negative'
            WHEN t.payments + t.adjustments > t.charges THEN 'claims.csv: paid more than charged'
       END AS reason
FROM syn_claims c
LEFT JOIN appointments a ON a.import_source = $source AND a.external_id = trim(c.APPOINTMENTID)
LEFT JOIN (
    SELECT claim_ext,
           count(*) FILTER (WHERE type = 'CHARGE') AS charge_lines,
           count(*) FILTER (WHERE (type = 'CHARGE' AND (amount IS NULL OR amount < 0))
                               OR (type = 'PAYMENT' AND (paid IS NULL OR paid < 0))
                               OR (type = 'ADJUSTMENT' AND (adjusted IS NULL OR adjusted < 0))) AS unreadable,
           coalesce(sum(amount) FILTER (WHERE type = 'CHARGE'), 0) AS charges,
           coalesce(sum(paid) FILTER (WHERE type = 'PAYMENT'), 0) AS payments,
           coalesce(sum(adjusted) FILTER (WHERE type = 'ADJUSTMENT'), 0) AS adjustments,
           min(member_id) AS member_id
    FROM syn_tx GROUP BY claim_ext
) t ON t.claim_ext = trim(c.Id)
"""

_INVOICES = """
INSERT INTO invoices (patient_id, appointment_id, visit_id, provider_id, service_date, status, note, created_by,
                      finalized_at, finalized_by, import_source, external_id)
SELECT patient_id, NULL, appointment_id, provider_id, CAST(service_local AS DATE),
       -- As clinic/billing.derive_status: nothing owed paid, all of it open, else partially paid.
       CASE WHEN charges - payments - adjustments = 0 THEN 'paid'
            WHEN payments + adjustments = 0 THEN 'open' ELSE 'partially_paid' END,
       'Imported from Synthea claim ' || ext, $actor_id, timezone($tz, service_local), $actor_id, $source, ext
FROM syn_claim_rows s
WHERE reason IS NULL
  AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.import_source = $source AND i.external_id = s.ext)
QUALIFY row_number() OVER (PARTITION BY ext) = 1
"""

# Quantity x unit price when Synthea's units are whole and multiply out exactly; else 1 x amount.
_LINES = """
INSERT INTO invoice_lines (invoice_id, position, code, description, quantity, unit_price)
SELECT i.id, row_number() OVER (PARTITION BY i.id ORDER BY t.seq, t.ext), left(t.code, 40), left(t.description, 200),
       CASE WHEN exact THEN CAST(t.units AS INTEGER) ELSE 1 END,
       CASE WHEN exact THEN t.unit_amount ELSE t.amount END
FROM (SELECT *, coalesce(units = round(units) AND units BETWEEN 1 AND 999 AND units * unit_amount = amount, FALSE)
                AS exact FROM syn_tx WHERE type = 'CHARGE') t
JOIN invoices i ON i.import_source = $source AND i.external_id = t.claim_ext AND i.id > $after_invoice
"""

_PAYMENTS = """
INSERT INTO payments (patient_id, source, payer_id, method, amount, received_at, received_by, note,
                      import_source, external_id)
SELECT i.patient_id, CASE WHEN py.id IS NULL THEN 'patient' ELSE 'insurer' END, py.id,
       CASE t.method WHEN 'CASH' THEN 'cash' WHEN 'CC' THEN 'card' WHEN 'CHECK' THEN 'check'
                     WHEN 'ECHECK' THEN 'eft' ELSE 'other' END,
       t.paid, timezone($tz, coalesce(t.from_local, c.service_local)), $actor_id,
       'Synthea ' || coalesce(lower(t.method), 'payment'), $source, t.ext
FROM syn_tx t
JOIN invoices i ON i.import_source = $source AND i.external_id = t.claim_ext AND i.id > $after_invoice
JOIN syn_claim_rows c ON c.ext = t.claim_ext
LEFT JOIN payers py ON py.import_source = $source AND py.kind <> 'self_pay' AND t.method <> 'COPAY'
     AND py.external_id = CASE t.responsible WHEN '1' THEN c.payer1 WHEN '2' THEN c.payer2 END
WHERE t.type = 'PAYMENT' AND t.paid > 0
  AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.import_source = $source AND p.external_id = t.ext)
QUALIFY row_number() OVER (PARTITION BY t.ext) = 1
"""

_APPLICATIONS = """
INSERT INTO payment_applications (payment_id, invoice_id, amount, applied_at, applied_by)
SELECT p.id, i.id, p.amount, p.received_at, $actor_id
FROM payments p
JOIN syn_tx t ON t.ext = p.external_id AND t.type = 'PAYMENT'
JOIN invoices i ON i.import_source = $source AND i.external_id = t.claim_ext
WHERE p.import_source = $source AND p.id > $after_payment
"""

_ADJUSTMENTS = """
INSERT INTO adjustments (invoice_id, kind, amount, reason, adjusted_at, adjusted_by)
SELECT i.id, 'contractual', t.adjusted, 'Synthea adjustment', timezone($tz, coalesce(t.from_local, c.service_local)),
       $actor_id
FROM syn_tx t
JOIN invoices i ON i.import_source = $source AND i.external_id = t.claim_ext AND i.id > $after_invoice
JOIN syn_claim_rows c ON c.ext = t.claim_ext
WHERE t.type = 'ADJUSTMENT' AND t.adjusted > 0
"""

_CLAIMS = """
INSERT INTO claims (invoice_id, payer_id, rank, control_number, member_id, status, created_at, created_by,
                    submitted_at, answered_at, note, import_source, external_id)
SELECT i.id, py.id, r.rank, c.ext || '-' || r.rank, coalesce(c.member_id, 'unknown'),
       CASE WHEN c.open_for[r.rank] THEN 'submitted' ELSE 'paid' END,
       timezone($tz, c.service_local), $actor_id, timezone($tz, c.service_local),
       CASE WHEN NOT c.open_for[r.rank] THEN timezone($tz, c.service_local) END,
       'Imported from Synthea' || CASE WHEN c.diagnoses <> '' THEN '; diagnoses (SNOMED CT): ' || c.diagnoses
                                       ELSE '' END,
       $source, c.ext || ':' || r.rank
FROM syn_claim_rows c
JOIN invoices i ON i.import_source = $source AND i.external_id = c.ext AND i.id > $after_invoice
CROSS JOIN (VALUES (1), (2)) r(rank)
JOIN payers py ON py.import_source = $source AND py.kind <> 'self_pay'
     AND py.external_id = CASE r.rank WHEN 1 THEN c.payer1 ELSE c.payer2 END
"""

_CLAIM_LINES = """
INSERT INTO claim_lines (claim_id, invoice_line_id, position, code, quantity, charge)
SELECT cl.id, l.id, l.position, l.code, l.quantity, l.quantity * l.unit_price
FROM claims cl JOIN invoice_lines l ON l.invoice_id = cl.invoice_id
WHERE cl.import_source = $source AND cl.id > $after_claim
"""

_CLAIM_EVENTS = """
INSERT INTO claim_events (claim_id, changed_at, by_user, from_status, to_status, note)
SELECT id, created_at, $actor_id, NULL, status, 'imported from Synthea'
FROM claims WHERE import_source = $source AND id > $after_claim
"""

_INSURANCE = """
INSERT INTO patient_insurance (patient_id, rank, payer_id, member_id, subscriber_name, subscriber_relationship)
SELECT p.id, r.rank, py.id, coalesce(nullif(trim(t.MEMBERID), ''), 'unknown'),
       nullif(trim(regexp_replace(t.OWNER_NAME, '[0-9]+', '', 'g')), ''),
       CASE lower(trim(t.PLAN_OWNERSHIP)) WHEN 'self' THEN 'self' WHEN 'spouse' THEN 'spouse'
                                          WHEN 'guardian' THEN 'child' ELSE 'other' END
FROM (SELECT * FROM syn_transitions
      QUALIFY row_number() OVER (PARTITION BY trim(PATIENT)
                                 ORDER BY as_written(START_DATE) DESC NULLS LAST) = 1) t
JOIN patients p ON p.import_source = $source AND p.external_id = trim(t.PATIENT) AND p.id > $after_patient
CROSS JOIN (VALUES (1), (2)) r(rank)
JOIN payers py ON py.import_source = $source AND py.kind <> 'self_pay'
     AND py.external_id = trim(CASE r.rank WHEN 1 THEN t.PAYER ELSE t.SECONDARY_PAYER END)
"""

_SUPPLY_STAGE = """
CREATE OR REPLACE TEMP TABLE syn_supply_rows AS
SELECT trim(s.ENCOUNTER) || ':' || trim(s.CODE) || ':' || trim(s.DATE) AS ext, trim(s.CODE) AS code,
       trim(regexp_replace(s.DESCRIPTION, '\\s*\\((physical object|product)\\)\\s*$', '')) AS name,
       try_cast(trim(s.QUANTITY) AS INTEGER) AS quantity, a.id AS appointment_id, a.start_at,
       CASE WHEN nullif(trim(s.CODE), '') IS NULL THEN 'supplies.csv: CODE missing'
            WHEN coalesce(try_cast(trim(s.QUANTITY) AS INTEGER), 0) <= 0
                THEN 'supplies.csv: QUANTITY not a whole number above 0'
            WHEN a.id IS NULL THEN 'supplies.csv: encounter not imported'
       END AS reason
FROM syn_supplies s
LEFT JOIN appointments a ON a.import_source = $source AND a.external_id = trim(s.ENCOUNTER)
"""

_FRESH_SUPPLIES = """
CREATE OR REPLACE TEMP TABLE syn_fresh_supplies AS
SELECT ext, code, any_value(name) AS name, sum(quantity) AS quantity, any_value(appointment_id) AS appointment_id,
       any_value(start_at) AS start_at
FROM syn_supply_rows s
WHERE reason IS NULL
  AND NOT EXISTS (SELECT 1 FROM stock_movements m WHERE m.import_source = $source AND m.external_id = s.ext)
GROUP BY ext, code
"""

_ITEMS = """
INSERT INTO stock_items (sku, name, category, unit)
SELECT 'SCT-' || upper(code), left(any_value(name), 120), 'supply', 'each'
FROM syn_fresh_supplies
WHERE NOT EXISTS (SELECT 1 FROM stock_items i WHERE i.sku = 'SCT-' || upper(code))
GROUP BY code
"""

_LOTS = """
INSERT INTO stock_lots (item_id, lot_number, lot_key, expires_on)
SELECT DISTINCT i.id, NULL, '', NULL
FROM syn_fresh_supplies s JOIN stock_items i ON i.sku = 'SCT-' || upper(s.code)
WHERE NOT EXISTS (SELECT 1 FROM stock_lots l WHERE l.item_id = i.id AND l.lot_key = '')
"""

_MOVEMENTS = """
INSERT INTO stock_movements (kind, item_id, lot_id, location_id, quantity, unit_cost, occurred_at, user_id, username,
                             reason, appointment_id, import_source, external_id)
SELECT kind, item_id, lot_id, $location_id, quantity, 0, occurred_at, $actor_id, $actor_name, reason, appointment_id,
       $source, ext
FROM (
    SELECT 'receipt' AS kind, i.id AS item_id, l.id AS lot_id, sum(s.quantity) AS quantity,
           min(s.start_at) - to_minutes(1) AS occurred_at,
           'Imported from Synthea: stock for the use it records' AS reason, NULL AS appointment_id,
           'receipt:' || min(s.ext) AS ext
    FROM syn_fresh_supplies s
    JOIN stock_items i ON i.sku = 'SCT-' || upper(s.code)
    JOIN stock_lots l ON l.item_id = i.id AND l.lot_key = ''
    GROUP BY i.id, l.id
    UNION ALL
    SELECT 'usage', i.id, l.id, -s.quantity, s.start_at, 'Synthea supplies', s.appointment_id, s.ext
    FROM syn_fresh_supplies s
    JOIN stock_items i ON i.sku = 'SCT-' || upper(s.code)
    JOIN stock_lots l ON l.item_id = i.id AND l.lot_key = ''
)
"""

# Receipts equal usage, so an existing balance row keeps its quantity; a new lot gets a 0 row.
_BALANCES = """
INSERT INTO stock_balances (lot_id, location_id, item_id, quantity)
SELECT DISTINCT m.lot_id, m.location_id, m.item_id, 0
FROM stock_movements m
WHERE m.import_source = $source AND m.id > $after_movement
  AND NOT EXISTS (SELECT 1 FROM stock_balances b WHERE b.lot_id = m.lot_id AND b.location_id = m.location_id)
"""

_DROP = tuple(f"DROP TABLE IF EXISTS {t}" for t in (
    *_TABLES.values(), "syn_types", "syn_patient_rows", "syn_encounter_rows", "syn_fresh_encounters", "syn_tx",
    "syn_claim_rows", "syn_supply_rows", "syn_fresh_supplies"))


def _count(cur: Connection, sql: str, params: dict | list | None = None) -> int:
    return int(cur.execute(sql, params or []).fetchone()[0])


_MAX_IDS = {
    "patients": "SELECT coalesce(max(id), 0) FROM patients",
    "appointments": "SELECT coalesce(max(id), 0) FROM appointments",
    "invoices": "SELECT coalesce(max(id), 0) FROM invoices",
    "payments": "SELECT coalesce(max(id), 0) FROM payments",
    "claims": "SELECT coalesce(max(id), 0) FROM claims",
    "movements": "SELECT coalesce(max(id), 0) FROM stock_movements",
    "payers": "SELECT coalesce(max(id), 0) FROM payers",
    "providers": "SELECT coalesce(max(id), 0) FROM providers",
}
_ADDED = {
    "payers": "SELECT count(*) FROM payers WHERE import_source = $source AND id > $after",
    "providers": "SELECT count(*) FROM providers WHERE import_source = $source AND id > $after",
    "patients": "SELECT count(*) FROM patients WHERE import_source = $source AND id > $after",
    "appointments": "SELECT count(*) FROM appointments WHERE import_source = $source AND id > $after",
    "invoices": "SELECT count(*) FROM invoices WHERE import_source = $source AND id > $after",
    "payments": "SELECT count(*) FROM payments WHERE import_source = $source AND id > $after",
    "claims": "SELECT count(*) FROM claims WHERE import_source = $source AND id > $after",
    "stock movements": "SELECT count(*) FROM stock_movements WHERE import_source = $source AND id > $after",
}
_REJECTS = (
    "SELECT reason, count(*), list(coalesce(nullif(ext, ''), '(no id)') ORDER BY ext)[1:3] FROM syn_patient_rows"
    " WHERE reason IS NOT NULL GROUP BY reason",
    "SELECT reason, count(*), list(coalesce(nullif(ext, ''), '(no id)') ORDER BY ext)[1:3] FROM syn_encounter_rows"
    " WHERE reason IS NOT NULL GROUP BY reason",
    "SELECT reason, count(*), list(coalesce(nullif(ext, ''), '(no id)') ORDER BY ext)[1:3] FROM syn_claim_rows"
    " WHERE reason IS NOT NULL GROUP BY reason",
    "SELECT reason, count(*), list(coalesce(nullif(ext, ''), '(no id)') ORDER BY ext)[1:3] FROM syn_supply_rows"
    " WHERE reason IS NOT NULL GROUP BY reason",
)


def _check_files(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        raise refused(f"There is no folder {folder}.")
    missing = [name for name in REQUIRED if not (folder / name).is_file()]
    if missing:
        raise refused(f"{folder.name} is not a Synthea CSV export: {', '.join(missing)} missing.")
    return {name: folder / name for name in (*REQUIRED, *OPTIONAL) if (folder / name).is_file()}


def _load(cur: Connection, files: dict[str, Path]) -> None:
    """Each file into its temp table, all text; refuse a file without the columns we read."""
    for name, table in _TABLES.items():
        if name not in files:
            cur.execute(_EMPTY[table])
            continue
        try:
            cur.execute(_LOAD[table], {"path": str(files[name])})
        except duckdb.PermissionException as exc:
            raise refused(f"{name} is outside the folders this database may read: put the export in the"
                          " database's imports folder.") from exc
        except (duckdb.IOException, duckdb.InvalidInputException) as exc:
            raise refused(f"{name} could not be read: {str(exc).splitlines()[0]}") from exc
        have = {row[0] for row in cur.execute(_COLUMNS, [table]).fetchall()}
        needed = REQUIRED.get(name) or OPTIONAL[name]
        lacking = [c for c in needed if c not in have]
        if lacking:
            raise refused(f"{name} is not in Synthea's format: no column {', '.join(lacking)}.")


def _visit_types(cur: Connection) -> None:
    """syn_types(class, type_id, minutes): the inactive visit type for each encounter class."""
    cur.execute("CREATE OR REPLACE TEMP TABLE syn_types (class VARCHAR, type_id BIGINT, minutes INTEGER)")
    for klass, (name, minutes) in (*CLASS_TYPES.items(), ("", OTHER_TYPE)):
        row = cur.execute("SELECT id FROM visit_types WHERE lower(name) = lower(?) ORDER BY id LIMIT 1",
                          [name]).fetchone()
        type_id = row[0] if row else cur.execute(
            "INSERT INTO visit_types (name, duration_min, colour, active) VALUES (?, ?, '#94a3b8', FALSE)"
            " RETURNING id", [name, minutes]).fetchone()[0]
        cur.execute("INSERT INTO syn_types VALUES (?, ?, ?)", [klass, type_id, minutes])


def import_synthea(conn: Connection, folder: str | Path, *, user, progress: Progress | None = None) -> ImportSummary:
    """Import the Synthea CSV export in ``folder`` (readable by DuckDB: see :mod:`db.imports`).

    One transaction with one audit row; requires ``data.import`` (manager, admin) or an operator.
    ``imported`` counts appointments (encounters); ``added`` every kind of row.
    """
    folder = Path(folder)
    started = clock.perf_counter()
    files = _check_files(folder)
    tz = settings.timezone(conn)

    def write(cur: Connection) -> ImportSummary:
        actor = acting(cur, user, "data.import")
        base = {"source": SOURCE}
        define_macros(cur)
        report(progress, 0.05, "Reading the files")
        _load(cur, files)
        before = {key: _count(cur, sql) for key, sql in _MAX_IDS.items()}
        who = {**base, "actor_id": actor.id, "tz": tz}

        report(progress, 0.2, "Adding payers, clinicians and patients")
        cur.execute(_PAYERS, base)
        cur.execute(_PROVIDERS, base)
        cur.execute(_PATIENT_STAGE)
        cur.execute(_PATIENTS, {**base, "actor_id": actor.id})
        cur.execute(_INSURANCE, {**base, "after_patient": before["patients"]})

        report(progress, 0.4, "Adding encounters as appointments")
        _visit_types(cur)
        other_type = cur.execute("SELECT type_id, minutes FROM syn_types WHERE class = ''").fetchone()
        cur.execute(_ENCOUNTER_STAGE, base)
        cur.execute(_FRESH_ENCOUNTERS, {**base, "other_type_id": other_type[0], "other_minutes": other_type[1]})
        valid = _count(cur, "SELECT count(DISTINCT ext) FROM syn_encounter_rows WHERE reason IS NULL")
        fresh = _count(cur, "SELECT count(*) FROM syn_fresh_encounters")
        cur.execute(_APPOINTMENTS, {**who, "default_minutes": DEFAULT_MINUTES})
        cur.execute(_EVENTS, {**base, "actor_id": actor.id, "after_id": before["appointments"]})

        report(progress, 0.6, "Adding invoices, payments and claims")
        cur.execute(_TRANSACTIONS)
        cur.execute(_CLAIM_STAGE, base)
        cur.execute(_INVOICES, who)
        money = {**who, "after_invoice": before["invoices"]}
        cur.execute(_LINES, {**base, "after_invoice": before["invoices"]})
        cur.execute(_PAYMENTS, money)
        cur.execute(_APPLICATIONS, {**base, "actor_id": actor.id, "after_payment": before["payments"]})
        cur.execute(_ADJUSTMENTS, money)
        cur.execute(_CLAIMS, money)
        cur.execute(_CLAIM_LINES, {**base, "after_claim": before["claims"]})
        cur.execute(_CLAIM_EVENTS, {**base, "actor_id": actor.id, "after_claim": before["claims"]})

        report(progress, 0.85, "Adding supplies as stock usage")
        cur.execute(_SUPPLY_STAGE, base)
        cur.execute(_FRESH_SUPPLIES, base)
        cur.execute(_ITEMS)
        cur.execute(_LOTS)
        location_id = cur.execute("SELECT id FROM stock_locations WHERE kind = 'storeroom' ORDER BY id LIMIT 1"
                                  ).fetchone()[0]
        cur.execute(_MOVEMENTS, {**base, "location_id": location_id, "actor_id": actor.id,
                                 "actor_name": actor.username})
        cur.execute(_BALANCES, {**base, "after_movement": before["movements"]})

        rejected: dict[str, int] = {}
        examples: dict[str, list[str]] = {}
        for sql in _REJECTS:
            for reason, n, sample in cur.execute(sql).fetchall():
                rejected[reason] = n
                examples[reason] = sample
        added = {}
        for label, sql in _ADDED.items():
            key = "movements" if label == "stock movements" else label
            added[label] = _count(cur, sql, {**base, "after": before[key]})
        for statement in _DROP:
            cur.execute(statement)
        summary = ImportSummary(imported=added["appointments"], rejected=rejected, duplicates=valid - fresh,
                                added=added, examples=examples, seconds=clock.perf_counter() - started)
        audit.record(cur, actor, "data.import", "appointments", None, detail={
            "source": SOURCE, "folder": folder.name, "added": added, "duplicates": summary.duplicates,
            "rejected": rejected,
        })
        return summary

    summary = atomic(conn, write)
    report(progress, 1.0, "Done")
    return summary
