-- 018: the views invoice_balances (007) and invoice_ar (008) for the invoices of a few patients.
-- The views total every invoice's lines and money before a filter on the patient applies (DuckDB
-- cannot push a patient filter into aggregates keyed by invoice): about 300 ms for one patient's
-- file on the large clinic. These macros read only the listed patients' invoices (about 15 ms).
-- Their rules are the views' own, word for word; tests/db/test_patient_balances.py checks that both
-- give the same rows for every patient, so a change to a view must be made here too.
CREATE MACRO patients_invoice_balances(patient_ids) AS TABLE
WITH inv AS (SELECT id, patient_id, status, service_date FROM invoices WHERE list_contains(patient_ids, patient_id)),
l AS (SELECT invoice_id, sum(quantity * unit_price) AS total FROM invoice_lines
      WHERE invoice_id IN (SELECT id FROM inv) GROUP BY invoice_id),
a AS (SELECT invoice_id, sum(amount) AS total FROM payment_applications
      WHERE invoice_id IN (SELECT id FROM inv) GROUP BY invoice_id),
j AS (SELECT invoice_id, sum(amount) AS total FROM adjustments
      WHERE invoice_id IN (SELECT id FROM inv) GROUP BY invoice_id),
r AS (SELECT invoice_id, sum(amount) AS total FROM refunds
      WHERE invoice_id IS NOT NULL AND invoice_id IN (SELECT id FROM inv) GROUP BY invoice_id)
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
FROM inv i
LEFT JOIN l ON l.invoice_id = i.id
LEFT JOIN a ON a.invoice_id = i.id
LEFT JOIN j ON j.invoice_id = i.id
LEFT JOIN r ON r.invoice_id = i.id;

CREATE MACRO patients_invoice_ar(patient_ids) AS TABLE
SELECT
    b.invoice_id,
    b.patient_id,
    b.service_date,
    b.balance,
    c.payer_id,
    c.claim_id,
    CASE WHEN c.claim_id IS NULL THEN 'patient' ELSE 'insurance' END AS responsibility
FROM patients_invoice_balances(patient_ids) b
LEFT JOIN (
    SELECT invoice_id, payer_id, id AS claim_id,
           row_number() OVER (PARTITION BY invoice_id ORDER BY rank DESC, id DESC) AS n
    FROM claims
    WHERE status IN ('draft', 'submitted', 'accepted', 'appealed')
      AND invoice_id IN (SELECT id FROM invoices WHERE list_contains(patient_ids, patient_id))
) c ON c.invoice_id = b.invoice_id AND c.n = 1
WHERE b.status IN ('open', 'partially_paid') AND b.balance > 0;
