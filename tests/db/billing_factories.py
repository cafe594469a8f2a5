"""Factories for the billing tests: a small fee schedule, a visit type with default lines, a
finalised invoice of a chosen amount, and the ledger's invariants checked from the base tables
(not through the views the code uses, so the check is independent of the code it checks)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import db
from db import billing, fees
from db.actors import operator
from tests.conftest import make_appointment, make_patient, make_visit_type

SERVICE_DAY = date(2026, 3, 2)


def make_fees(conn) -> None:
    """99213 office visit 120.00, 36415 blood draw 15.00, J1100 injection 8.50 (from 2020 on)."""
    for code, description, price in (("99213", "Office visit, established patient", "120.00"),
                                     ("36415", "Routine venipuncture", "15.00"),
                                     ("J1100", "Dexamethasone sodium phosphate, 1 mg", "8.50")):
        fees.save_fee(conn, code=code, description=description, price=price, effective_from=date(2020, 1, 1),
                      user="test")


def make_billed_visit_type(conn, **overrides: Any) -> int:
    """A visit type whose invoice is 99213 plus one blood draw (135.00 in all)."""
    type_id = make_visit_type(conn, default_fee_code="99213", **overrides)
    fees.set_visit_type_lines(conn, type_id, [("36415", 1)], user="test")
    return type_id


def complete_visit(conn, **overrides: Any) -> int:
    """A completed appointment (inserted directly) on the service day; returns its id."""
    values = {"status": "completed", "start_at": datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)}
    values.update(overrides)
    return make_appointment(conn, **values)


def draft_for(conn, appointment_id: int, by: str = "test") -> int:
    return db.atomic(conn, lambda cur: billing.create_draft_invoice_in(cur, appointment_id, operator(by)))


def make_invoice(conn, *, patient_id: int | None = None, amount: str | Decimal = "100.00",
                 service_date: date = SERVICE_DAY, finalize: bool = True, user: Any = "test") -> int:
    """A hand-made invoice with one line of ``amount`` (finalised unless told otherwise)."""
    patient_id = patient_id or make_patient(conn)
    invoice_id = billing.create_invoice(conn, patient_id=patient_id, service_date=service_date, user=user)
    version = billing.get(conn, invoice_id).version
    billing.add_line(conn, invoice_id, code="99213", unit_price=amount, description="Office visit", version=version,
                     user=user)
    if finalize:
        billing.finalize_invoice(conn, invoice_id, user=user)
    return invoice_id


SAMPLE = 150  # invoices (and patients) whose app-side totals check_ledger compares, at most about


def check_ledger(conn, *, as_of: date = SERVICE_DAY) -> dict[str, Decimal]:
    """Assert the issue's invariants over the whole database; returns the grand totals.

    For every invoice: balance = charges - payments - adjustments + refunds >= 0 and its status
    is the one its money gives. For every patient: credit >= 0. The sum of all owed balances is
    the aging total, and the buckets add up to it. Money in = money applied + credit + credit
    refunded (and, net of every refund: money kept = applied net of invoice refunds + credit).
    """
    from clinic.billing import AGING_KEYS, derive_status

    zero = Decimal("0.00")
    invoices = db.read(
        conn,
        "SELECT i.id, i.status,"
        " (SELECT coalesce(sum(quantity * unit_price), 0) FROM invoice_lines l WHERE l.invoice_id = i.id),"
        " (SELECT coalesce(sum(amount), 0) FROM payment_applications a WHERE a.invoice_id = i.id),"
        " (SELECT coalesce(sum(amount), 0) FROM adjustments j WHERE j.invoice_id = i.id),"
        " (SELECT coalesce(sum(amount), 0) FROM refunds r WHERE r.invoice_id = i.id)"
        " FROM invoices i ORDER BY i.id",
    )
    owed = zero
    # The app's own per-invoice reading is compared on every invoice of a small ledger and on an
    # even spread of a seeded one (a query each); the invariants above it hold for all of them.
    sampled = {row[0] for row in invoices[::max(1, len(invoices) // SAMPLE)]}
    for invoice_id, status, lines_total, paid, adjusted, refunded in invoices:
        charges = zero if status in ("draft", "void") else lines_total
        balance = charges - paid - adjusted + refunded
        assert balance >= 0, f"invoice {invoice_id} has a negative balance {balance}"
        if invoice_id in sampled:
            totals = billing.invoice_totals(conn, invoice_id)
            assert totals["balance"] == balance and totals["charges"] == charges
            assert totals["payments"] == paid and totals["adjustments"] == adjusted and totals["refunds"] == refunded
            assert all(isinstance(totals[k], Decimal) for k in ("charges", "payments", "adjustments", "refunds",
                                                                "balance"))
        assert derive_status(status, charges, balance) == status, f"invoice {invoice_id}: {status} with {balance}"
        if status in ("draft", "void"):
            assert paid == adjusted == refunded == 0, f"money on a {status} invoice {invoice_id}"
        else:
            owed += balance
    credit_total = zero
    credits = db.read(  # each paying patient's credit, as the app's view gives it
        conn,
        "SELECT patient_id, CAST(coalesce(sum(unapplied), 0) AS DECIMAL(18, 2)) FROM payment_balances"
        " GROUP BY patient_id ORDER BY patient_id",
    )
    sampled = {row[0] for row in credits[::max(1, len(credits) // SAMPLE)]}
    for patient_id, credit in credits:
        assert credit >= 0, f"patient {patient_id} has negative credit {credit}"
        if patient_id in sampled:
            assert billing.patient_credit(conn, patient_id) == credit, patient_id
        credit_total += credit
    aging = billing.ar_aging(conn, as_of=as_of)
    assert sum((aging[k] for k in AGING_KEYS), zero) == aging["total"] == owed
    money_in, applied, refunds_credit, refunds_invoice = db.read(
        conn,
        "SELECT (SELECT coalesce(sum(amount), 0) FROM payments),"
        " (SELECT coalesce(sum(amount), 0) FROM payment_applications),"
        " (SELECT coalesce(sum(amount), 0) FROM refunds WHERE invoice_id IS NULL),"
        " (SELECT coalesce(sum(amount), 0) FROM refunds WHERE invoice_id IS NOT NULL)",
    )[0]
    assert money_in == applied + credit_total + refunds_credit
    assert money_in - refunds_credit - refunds_invoice == (applied - refunds_invoice) + credit_total
    return {"money_in": money_in, "applied": applied, "credit": credit_total, "owed": owed}


def make_drafts(conn, n: int = 8) -> list[int]:
    """Turn the ``n`` newest claims still waiting for an answer (submitted, none posted) back into
    unsent drafts, as claims made and not yet sent are: the seeded template's clock leaves none."""
    ids = [r[0] for r in db.read(
        conn, "SELECT id FROM claims c WHERE status = 'submitted' AND rank = 1"
              " AND NOT EXISTS (SELECT 1 FROM claim_answers a WHERE a.claim_id = c.id) ORDER BY id DESC LIMIT ?", [n])]
    conn.execute("UPDATE claims SET status = 'draft', submitted_at = NULL WHERE list_contains(?, id)", [ids])
    conn.execute("DELETE FROM claim_events WHERE to_status = 'submitted' AND list_contains(?, claim_id)", [ids])
    return sorted(ids)
