"""db.ledger reads one invoice's money with its own filter-first query (for the speed of every
money write); it must give exactly the view invoice_balances' money (migration 007) for any
invoice, whatever money it has seen (lines, payments, adjustments, refunds, draft and void). A view
changed without the ledger's query fails here. A payment's money worked out without reading it
again (InvoiceMoney.paid) must be what a read gives after the payment."""

from __future__ import annotations

from decimal import Decimal

import db
from db import ledger, payments, users

_VIEW = ("SELECT invoice_id, patient_id, status, service_date, lines_total, charges, payments, adjustments, refunds,"
         " balance FROM invoice_balances WHERE list_contains(?, invoice_id) ORDER BY invoice_id")
# Every invoice of a rarer kind (refunded, adjusted, draft, void, no lines), and an even spread of
# the rest: one query each, so not all 1,600 of the seeded clinic.
_PICKED = ("SELECT invoice_id FROM invoice_balances WHERE refunds > 0 OR adjustments > 0 OR lines_total = 0"
           " OR status IN ('draft', 'void') UNION SELECT invoice_id FROM invoice_balances WHERE invoice_id % 10 = 0")


def _ledger_rows(conn, ids: list[int]) -> list[tuple]:
    cur = conn.cursor()
    try:
        rows = []
        for invoice_id in ids:
            m = ledger.money_in(cur, invoice_id)
            rows.append((m.id, m.patient_id, m.status, m.service_date, m.lines_total, m.charges, m.payments,
                         m.adjustments, m.refunds, m.balance))
        return rows
    finally:
        cur.close()


def test_the_ledger_reads_the_views_money_for_every_kind_of_invoice(seeded):
    # A refund against an invoice too (the seed makes none): reverse a payment applied to one.
    payment_id, _invoice = db.read_one(
        seeded, "SELECT a.payment_id, a.invoice_id FROM payment_applications a JOIN payments p ON p.id = a.payment_id"
                " WHERE p.source = 'patient' AND NOT a.from_credit ORDER BY a.id LIMIT 1")
    payments.reverse_payment(seeded, payment_id, reason="Card charged twice",
                             user=users.find_by_username(seeded, "billing"))
    kinds = db.read_one(seeded, "SELECT count(*) FILTER (WHERE payments > 0), count(*) FILTER (WHERE adjustments > 0),"
                                " count(*) FILTER (WHERE refunds > 0), count(*) FILTER (WHERE status = 'draft'),"
                                " count(*) FILTER (WHERE status = 'void'), count(*) FILTER (WHERE lines_total = 0)"
                                " FROM invoice_balances")
    assert all(kinds[:4]), kinds  # every kind of money is there to compare
    ids = sorted(i for (i,) in db.read(seeded, _PICKED))
    assert 100 < len(ids) < db.read_one(seeded, "SELECT count(*) FROM invoices")[0]
    assert _ledger_rows(seeded, ids) == db.read(seeded, _VIEW, [ids])


def test_a_payment_worked_out_is_the_money_read_after_it(seeded):
    clerk = users.find_by_username(seeded, "billing")
    owing = [i for (i,) in db.read(seeded, "SELECT invoice_id FROM invoice_balances WHERE status IN"
                                           " ('open', 'partially_paid') AND balance > 0 ORDER BY invoice_id LIMIT 3")]
    for invoice_id, amount in zip(owing, ("1.00", "all", "10000.00")):
        before = ledger.invoice_totals(seeded, invoice_id)
        typed = str(before["balance"]) if amount == "all" else amount
        cur = seeded.cursor()
        worked_out = ledger.money_in(cur, invoice_id).paid(min(Decimal(typed), before["balance"]))
        cur.close()
        payments.post_patient_payment(seeded, invoice_id=invoice_id, amount=typed, method="card", user=clerk)
        after = ledger.invoice_totals(seeded, invoice_id)
        status = after.pop("status")
        assert {k: v for k, v in worked_out.totals.items() if k != "status"} == after
        assert status == ("paid" if after["balance"] == 0 else "partially_paid")
