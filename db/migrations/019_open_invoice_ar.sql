-- 019: who owes each owing invoice (invoice_ar, 008) without totalling every invoice first.
-- The view read invoice_balances (007), which totals the lines and money of all of a clinic's
-- invoices before its status filter applies: about a second on the large clinic for every read of
-- A/R (the A/R aging page, the ledger, the Home tiles), when only the open and partly paid ones, a
-- tenth of them, can owe. invoices_balances(ids) is invoice_balances' rule for the listed invoices
-- only (their lines and money read through a semi-join); invoice_ar now gives it the invoices that
-- can owe, and the claims work list the invoices of its claims. The rows are the same: the rule is
-- the view's, word for word, and tests/db/test_patient_balances.py holds the macro and the new
-- view to invoice_balances and to the old invoice_ar's rule for every invoice. The patients' macro of
-- 018 now reads through it too, so the rule for some invoices is written once in the schema.
CREATE MACRO invoices_balances(invoice_ids) AS TABLE
WITH inv AS (SELECT id, patient_id, status, service_date FROM invoices WHERE id IN (SELECT unnest(invoice_ids))),
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

CREATE OR REPLACE MACRO patients_invoice_balances(patient_ids) AS TABLE
SELECT * FROM invoices_balances((SELECT list(id) FROM invoices WHERE list_contains(patient_ids, patient_id)));

CREATE OR REPLACE VIEW invoice_ar AS
SELECT
    b.invoice_id,
    b.patient_id,
    b.service_date,
    b.balance,
    c.payer_id,
    c.claim_id,
    CASE WHEN c.claim_id IS NULL THEN 'patient' ELSE 'insurance' END AS responsibility
FROM invoices_balances((SELECT list(id) FROM invoices WHERE status IN ('open', 'partially_paid'))) b
LEFT JOIN (
    SELECT invoice_id, payer_id, id AS claim_id,
           row_number() OVER (PARTITION BY invoice_id ORDER BY rank DESC, id DESC) AS n
    FROM claims
    WHERE status IN ('draft', 'submitted', 'accepted', 'appealed')
      AND invoice_id IN (SELECT id FROM invoices WHERE status IN ('open', 'partially_paid'))
) c ON c.invoice_id = b.invoice_id AND c.n = 1
WHERE b.status IN ('open', 'partially_paid') AND b.balance > 0;
