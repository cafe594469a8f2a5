"""The macros patients_invoice_balances and patients_invoice_ar (migration 018) read a few patients'
invoices only, for speed; they must give exactly the rows of the views invoice_balances (007) and
invoice_ar (008) for those patients, whatever money the invoices have seen (lines, payments,
adjustments, refunds to an invoice, claims waiting). A view changed without its macro fails here."""

from __future__ import annotations

import db
from db import payments, users

# Rows in one and not the other, both ways (fixed text per pair: no SQL is built from values).
_SAME = {
    "invoice_balances": "SELECT count(*) FROM ((SELECT * FROM invoice_balances WHERE list_contains($ids, patient_id)"
                        " EXCEPT ALL SELECT * FROM patients_invoice_balances($ids)) UNION ALL"
                        " (SELECT * FROM patients_invoice_balances($ids) EXCEPT ALL"
                        " SELECT * FROM invoice_balances WHERE list_contains($ids, patient_id)))",
    "invoice_ar": "SELECT count(*) FROM ((SELECT * FROM invoice_ar WHERE list_contains($ids, patient_id)"
                  " EXCEPT ALL SELECT * FROM patients_invoice_ar($ids)) UNION ALL"
                  " (SELECT * FROM patients_invoice_ar($ids) EXCEPT ALL"
                  " SELECT * FROM invoice_ar WHERE list_contains($ids, patient_id)))",
    # A macro that forgot refunds, for the test that the comparison would see it.
    "no_refunds": "SELECT count(*) FROM ((SELECT * FROM invoice_balances WHERE list_contains($ids, patient_id)"
                  " EXCEPT ALL SELECT * FROM no_refunds($ids)) UNION ALL (SELECT * FROM no_refunds($ids) EXCEPT ALL"
                  " SELECT * FROM invoice_balances WHERE list_contains($ids, patient_id)))",
}


def _differences(conn, ids: list[int]) -> dict[str, int]:
    return {view: db.read_one(conn, _SAME[view], {"ids": ids})[0] for view in ("invoice_balances", "invoice_ar")}


def test_the_macros_give_the_views_rows_for_every_patient_and_for_one(seeded):
    # A refund against an invoice too (the seed makes none): reverse a payment applied to one.
    payment_id, invoice_id = db.read_one(
        seeded, "SELECT a.payment_id, a.invoice_id FROM payment_applications a JOIN payments p ON p.id = a.payment_id"
                " WHERE p.source = 'patient' AND NOT a.from_credit ORDER BY a.id LIMIT 1")
    payments.reverse_payment(seeded, payment_id, reason="Card charged twice", user=users.find_by_username(
        seeded, "billing"))
    assert db.read_one(seeded, "SELECT count(*) FROM refunds WHERE invoice_id = ?", [invoice_id])[0] == 1

    everyone = [pid for (pid,) in db.read(seeded, "SELECT id FROM patients ORDER BY id")]
    kinds = db.read_one(seeded, "SELECT count(*) FILTER (WHERE payments > 0), count(*) FILTER (WHERE adjustments > 0),"
                                " count(*) FILTER (WHERE refunds > 0), count(*) FILTER (WHERE status = 'draft')"
                                " FROM invoice_balances")
    assert all(kinds), kinds  # every kind of money is there to compare
    assert db.read_one(seeded, "SELECT count(DISTINCT responsibility) FROM invoice_ar")[0] == 2

    assert _differences(seeded, everyone) == {"invoice_balances": 0, "invoice_ar": 0}
    (owner,) = db.read_one(seeded, "SELECT patient_id FROM invoices WHERE id = ?", [invoice_id])
    assert _differences(seeded, [owner]) == {"invoice_balances": 0, "invoice_ar": 0}
    assert db.read_one(seeded, "SELECT count(*) FROM patients_invoice_balances([?])", [owner])[0] == db.read_one(
        seeded, "SELECT count(*) FROM invoices WHERE patient_id = ?", [owner])[0] > 0


def test_a_changed_rule_would_be_caught(seeded):
    """The comparison sees a single cent: a macro that forgot refunds differs from the view."""
    cur = seeded.cursor()
    cur.execute("CREATE MACRO no_refunds(patient_ids) AS TABLE SELECT * REPLACE ("
                " CAST(balance - refunds AS DECIMAL(18, 2)) AS balance) FROM patients_invoice_balances(patient_ids)")
    payment_id, invoice_id = db.read_one(
        seeded, "SELECT a.payment_id, a.invoice_id FROM payment_applications a JOIN payments p ON p.id = a.payment_id"
                " WHERE p.source = 'patient' AND NOT a.from_credit ORDER BY a.id LIMIT 1")
    payments.reverse_payment(seeded, payment_id, reason="Card charged twice", user=users.find_by_username(
        seeded, "billing"))
    (owner,) = db.read_one(seeded, "SELECT patient_id FROM invoices WHERE id = ?", [invoice_id])
    differ = db.read_one(seeded, _SAME["no_refunds"], {"ids": [owner]})[0]
    assert differ == 2  # the refunded invoice's row, once from each side
    cur.close()


# invoice_ar as migration 008 wrote it, over the whole invoice_balances view: migration 019 rewrote
# the view to total only the invoices that can owe, and must give exactly these rows.
_AR_BY_008 = """
SELECT b.invoice_id, b.patient_id, b.service_date, b.balance, c.payer_id, c.claim_id,
       CASE WHEN c.claim_id IS NULL THEN 'patient' ELSE 'insurance' END AS responsibility
FROM invoice_balances b
LEFT JOIN (SELECT invoice_id, payer_id, id AS claim_id,
                  row_number() OVER (PARTITION BY invoice_id ORDER BY rank DESC, id DESC) AS n
           FROM claims WHERE status IN ('draft', 'submitted', 'accepted', 'appealed')) c
    ON c.invoice_id = b.invoice_id AND c.n = 1
WHERE b.status IN ('open', 'partially_paid') AND b.balance > 0
"""
_AR_SAME = ("SELECT count(*) FROM ((SELECT * FROM invoice_ar EXCEPT ALL (" + _AR_BY_008 + ")) UNION ALL"
            " ((" + _AR_BY_008 + ") EXCEPT ALL SELECT * FROM invoice_ar))")
_BALANCES_SAME = ("SELECT count(*) FROM ((SELECT * FROM invoice_balances WHERE list_contains($ids, invoice_id)"
                  " EXCEPT ALL SELECT * FROM invoices_balances($ids)) UNION ALL (SELECT * FROM invoices_balances($ids)"
                  " EXCEPT ALL SELECT * FROM invoice_balances WHERE list_contains($ids, invoice_id)))")


def test_invoice_ar_and_invoices_balances_give_the_whole_views_rows(seeded):
    """Migration 019: invoice_ar reads only the open and partly paid invoices, and the macro
    invoices_balances(ids) the listed ones; both give the rows of the rules they stand in for, for
    every invoice, after a refund, a payment that settles an invoice and a claim made."""
    billing = users.find_by_username(seeded, "billing")
    payment_id, _ = db.read_one(
        seeded, "SELECT a.payment_id, a.invoice_id FROM payment_applications a JOIN payments p ON p.id = a.payment_id"
                " WHERE p.source = 'patient' AND NOT a.from_credit ORDER BY a.id LIMIT 1")
    payments.reverse_payment(seeded, payment_id, reason="Card charged twice", user=billing)
    owing_id, balance = db.read_one(
        seeded, "SELECT invoice_id, balance FROM invoice_ar WHERE responsibility = 'patient'"
                " ORDER BY invoice_id LIMIT 1")
    payments.post_patient_payment(seeded, invoice_id=owing_id, amount=balance, method="cash", user=billing)
    assert db.read_one(seeded, "SELECT count(*) FROM invoice_ar WHERE invoice_id = ?", [owing_id])[0] == 0

    (rows,) = db.read_one(seeded, "SELECT count(*) FROM invoice_ar")
    assert rows > 0 and db.read_one(seeded, "SELECT count(DISTINCT responsibility) FROM invoice_ar")[0] == 2
    assert db.read_one(seeded, _AR_SAME)[0] == 0
    every = [i for (i,) in db.read(seeded, "SELECT id FROM invoices ORDER BY id")]
    assert db.read_one(seeded, _BALANCES_SAME, {"ids": every})[0] == 0
    assert db.read_one(seeded, _BALANCES_SAME, {"ids": every[::7]})[0] == 0
    assert db.read_one(seeded, "SELECT count(*) FROM invoices_balances($ids)", {"ids": every[::7]})[0] == len(every[::7])
    assert db.read_one(seeded, "SELECT count(*) FROM invoices_balances($ids)", {"ids": []})[0] == 0
