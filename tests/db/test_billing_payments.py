"""Money against a real DuckDB file: payments as typed (bad amounts write nothing), overpayments to
credit, credit applied and refunded, reversals, adjustments, insurer payments, A/R aging and plans."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

import db
from clinic.errors import (
    BadAmount,
    ClinicError,
    InvoiceAlreadyPaid,
    InvoiceNotPayable,
    NotEnoughCredit,
    ValidationError,
    VoidRefused,
)
from db import billing, users
from tests.conftest import make_patient, make_user
from tests.db.billing_factories import SERVICE_DAY, check_ledger, make_fees, make_invoice

D = Decimal


@pytest.fixture
def clerk(conn):
    make_fees(conn)
    return users.get(conn, make_user(conn, username="clerk", role="billing"))


def written(conn) -> tuple:
    """Everything a money write could leave behind, to show that a refusal left nothing."""
    return db.read(conn, "SELECT (SELECT count(*) FROM payments), (SELECT count(*) FROM payment_applications),"
                         " (SELECT count(*) FROM adjustments), (SELECT count(*) FROM refunds),"
                         " (SELECT count(*) FROM audit_log), (SELECT max(version) FROM invoices)")[0]


# --- patient payments ----------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["-1", "0", "0.00", "12.345", "abc", "", "NaN", "Infinity", "-Infinity", "1e3",
                                   D("NaN"), D("Infinity"), D("-5"), D("0"), D("1.005"), 12.5])
def test_a_bad_amount_is_refused_next_to_the_field_and_writes_nothing(conn, clerk, typed):
    invoice_id = make_invoice(conn, amount="100.00")
    before = written(conn)
    with pytest.raises(ClinicError) as err:
        billing.post_patient_payment(conn, invoice_id=invoice_id, amount=typed, method="cash", user=clerk)
    assert isinstance(err.value, BadAmount) and err.value.field == "amount"
    assert written(conn) == before
    assert billing.invoice_totals(conn, invoice_id)["status"] == "open"


def test_a_payment_as_typed_moves_the_invoice_from_open_to_partially_paid_to_paid(conn, clerk):
    invoice_id = make_invoice(conn, amount="100.00")
    first = billing.post_patient_payment(conn, invoice_id=invoice_id, amount="12.50", method="card", user=clerk,
                                         reference=" visa  4242 ")
    assert billing.get_payment(conn, first).reference == "visa 4242"
    assert billing.invoice_totals(conn, invoice_id)["status"] == "partially_paid"
    billing.post_patient_payment(conn, invoice_id=invoice_id, amount=D("87.50"), method="cash", user=clerk)
    totals = billing.invoice_totals(conn, invoice_id)
    assert (totals["payments"], totals["balance"], totals["status"]) == (D("100.00"), D("0.00"), "paid")
    assert db.read(conn, "SELECT count(*) FROM audit_log WHERE action = 'payment.post'")[0][0] == 2
    check_ledger(conn)


def test_an_overpayment_applies_what_is_due_and_puts_the_rest_on_credit(conn, clerk):
    invoice_id = make_invoice(conn, amount="80.00")
    patient = billing.get(conn, invoice_id).patient_id
    payment_id = billing.post_patient_payment(conn, invoice_id=invoice_id, amount="100", method="cash", user=clerk)
    payment = billing.get_payment(conn, payment_id)
    assert (payment.amount, payment.applied, payment.unapplied) == (D("100.00"), D("80.00"), D("20.00"))
    assert billing.invoice_totals(conn, invoice_id)["balance"] == D("0.00")
    assert billing.patient_credit(conn, patient) == D("20.00")
    billing.post_patient_payment(conn, invoice_id=invoice_id, amount="5", method="cash", user=clerk)  # already paid
    assert billing.patient_credit(conn, patient) == D("25.00")
    check_ledger(conn)


def test_money_is_not_posted_to_a_draft_or_a_void_invoice_but_can_be_taken_on_account(conn, clerk):
    draft = make_invoice(conn, amount="40.00", finalize=False)
    with pytest.raises(InvoiceNotPayable) as err:
        billing.post_patient_payment(conn, invoice_id=draft, amount="10", method="cash", user=clerk)
    assert "Finalise" in str(err.value)
    billing.void_invoice(conn, draft, reason="Duplicate", user=clerk)
    with pytest.raises(InvoiceNotPayable):
        billing.post_patient_payment(conn, invoice_id=draft, amount="10", method="cash", user=clerk)
    patient = billing.get(conn, draft).patient_id
    billing.post_payment_on_account(conn, patient_id=patient, amount="30", method="card", user=clerk)
    assert billing.patient_credit(conn, patient) == D("30.00")
    check_ledger(conn)


# --- credit ---------------------------------------------------------------------------------------


def test_credit_is_applied_to_another_invoice_and_refunded_never_below_zero(conn, clerk):
    patient = make_patient(conn)
    first = make_invoice(conn, patient_id=patient, amount="50.00")
    second = make_invoice(conn, patient_id=patient, amount="30.00")
    billing.post_patient_payment(conn, invoice_id=first, amount="90", method="cash", user=clerk)
    assert billing.patient_credit(conn, patient) == D("40.00")
    assert billing.apply_credit(conn, invoice_id=second, user=clerk) == D("30.00")
    assert billing.invoice_totals(conn, second)["status"] == "paid"
    assert billing.patient_credit(conn, patient) == D("10.00")
    with pytest.raises(InvoiceAlreadyPaid):
        billing.apply_credit(conn, invoice_id=second, user=clerk)
    with pytest.raises(NotEnoughCredit):
        billing.refund_credit(conn, patient_id=patient, amount="10.01", method="cash", reason="Overpaid", user=clerk)
    with pytest.raises(ClinicError) as err:
        billing.refund_credit(conn, patient_id=patient, amount="10", method="cash", reason="", user=clerk)
    assert err.value.field == "reason"
    assert billing.refund_credit(conn, patient_id=patient, amount="10", method="cash", reason="Overpaid",
                                 user=clerk) == D("10.00")
    assert billing.patient_credit(conn, patient) == D("0.00")
    third = make_invoice(conn, patient_id=patient, amount="5.00")
    with pytest.raises(NotEnoughCredit):
        billing.apply_credit(conn, invoice_id=third, user=clerk)
    check_ledger(conn)


def test_reversing_a_payment_gives_back_what_it_paid_everywhere_and_the_invoices_owe_it_again(conn, clerk):
    patient = make_patient(conn)
    first = make_invoice(conn, patient_id=patient, amount="60.00")
    second = make_invoice(conn, patient_id=patient, amount="25.00")
    bounced = billing.post_patient_payment(conn, invoice_id=first, amount="100", method="check", user=clerk)
    billing.apply_credit(conn, invoice_id=second, amount="20", user=clerk)
    assert billing.reverse_payment(conn, bounced, reason="Check bounced", user=clerk) == D("100.00")
    assert billing.invoice_totals(conn, first)["balance"] == D("60.00")
    assert billing.invoice_totals(conn, first)["status"] == "open"
    assert billing.invoice_totals(conn, second)["refunds"] == D("20.00")
    assert billing.patient_credit(conn, patient) == D("0.00")
    with pytest.raises(BadAmount):
        billing.reverse_payment(conn, bounced, reason="Again", user=clerk)
    with pytest.raises(VoidRefused):  # money was applied once: the history stays
        billing.void_invoice(conn, first, reason="Start over", user=clerk)
    check_ledger(conn)


# --- adjustments and insurers ------------------------------------------------------------------------


def test_an_adjustment_needs_a_kind_and_a_reason_and_cannot_take_the_balance_below_zero(conn, clerk):
    invoice_id = make_invoice(conn, amount="100.00")
    with pytest.raises(ClinicError) as err:
        billing.adjust_invoice(conn, invoice_id=invoice_id, kind="discount", amount="5", reason="x y z", user=clerk)
    assert err.value.field == "kind"
    with pytest.raises(ClinicError) as err:
        billing.adjust_invoice(conn, invoice_id=invoice_id, kind="courtesy", amount="5", reason="", user=clerk)
    assert err.value.field == "reason"
    before = written(conn)
    with pytest.raises(BadAmount):
        billing.adjust_invoice(conn, invoice_id=invoice_id, kind="write_off", amount="100.01", reason="Too much",
                               user=clerk)
    assert written(conn) == before
    billing.adjust_invoice(conn, invoice_id=invoice_id, kind="contractual", amount="30", reason="CO-45", user=clerk)
    billing.adjust_invoice(conn, invoice_id=invoice_id, kind="small_balance", amount="70", reason="Under $75 policy",
                           user=clerk)
    totals = billing.invoice_totals(conn, invoice_id)
    assert (totals["adjustments"], totals["balance"], totals["status"]) == (D("100.00"), D("0.00"), "paid")
    with pytest.raises(InvoiceAlreadyPaid):
        billing.adjust_invoice(conn, invoice_id=invoice_id, kind="courtesy", amount="1", reason="Nope", user=clerk)
    check_ledger(conn)


def test_an_insurer_pays_at_most_the_balance_and_never_leaves_credit(conn, clerk):
    (payer,) = db.read(conn, "INSERT INTO payers (name, kind) VALUES ('Aetna', 'commercial') RETURNING id")[0]
    invoice_id = make_invoice(conn, amount="135.00")
    with pytest.raises(BadAmount):
        billing.post_insurer_payment(conn, invoice_id=invoice_id, payer_id=payer, amount="135.01", method="eft",
                                     user=clerk)
    billing.post_insurer_payment(conn, invoice_id=invoice_id, payer_id=payer, amount="96.00", method="eft",
                                 reference="EFT 000123", user=clerk)
    assert billing.invoice_totals(conn, invoice_id)["balance"] == D("39.00")
    assert billing.patient_credit(conn, billing.get(conn, invoice_id).patient_id) == D("0.00")
    check_ledger(conn)


# --- A/R aging ----------------------------------------------------------------------------------------


def test_aging_puts_each_balance_in_its_bucket_and_the_buckets_add_up_to_the_total(conn, clerk):
    as_of = date(2026, 6, 30)
    for days, amount in ((0, "10.00"), (30, "20.00"), (31, "30.00"), (75, "40.00"), (120, "50.00"), (121, "60.05"),
                         (400, "70.00")):
        make_invoice(conn, amount=amount, service_date=as_of - timedelta(days=days))
    paid = make_invoice(conn, amount="99.00", service_date=as_of)
    billing.post_patient_payment(conn, invoice_id=paid, amount="99", method="cash", user=clerk)
    make_invoice(conn, amount="500.00", service_date=as_of, finalize=False)  # drafts are not owed yet
    aging = billing.ar_aging(conn, as_of=as_of)
    assert aging == {"0-30": D("30.00"), "31-60": D("30.00"), "61-90": D("40.00"), "91-120": D("50.00"),
                     "120+": D("130.05"), "total": D("280.05")}
    assert all(isinstance(v, Decimal) for v in aging.values())
    check_ledger(conn, as_of=as_of)


# --- payment plans ------------------------------------------------------------------------------------


def test_a_plan_splits_what_is_owed_and_payments_cover_the_oldest_instalment_first(conn, clerk, clinic_clock):
    from datetime import datetime, timezone

    clinic_clock(datetime(2026, 3, 2, 15, tzinfo=timezone.utc))
    patient = make_patient(conn)
    first = make_invoice(conn, patient_id=patient, amount="60.00")
    second = make_invoice(conn, patient_id=patient, amount="40.00")
    with pytest.raises(ValidationError):
        billing.create_plan(conn, patient_id=patient, instalments=1, frequency="monthly", first_due=SERVICE_DAY,
                            user=clerk)
    plan_id = billing.create_plan(conn, patient_id=patient, instalments=3, frequency="monthly",
                                  first_due=date(2026, 3, 15), user=clerk)
    plan = billing.get_plan(conn, plan_id)
    assert plan.total == D("100.00") and set(plan.invoice_ids) == {first, second}
    assert [(s.due, s.amount) for s in plan.instalments] == [(date(2026, 3, 15), D("33.34")),
                                                            (date(2026, 4, 15), D("33.33")),
                                                            (date(2026, 5, 15), D("33.33"))]
    with pytest.raises(ClinicError):  # already on a plan
        billing.create_plan(conn, patient_id=patient, instalments=2, frequency="weekly", first_due=SERVICE_DAY,
                            user=clerk, invoice_ids=[first])
    with pytest.raises(VoidRefused):
        billing.void_invoice(conn, second, reason="Plan invoice", user=clerk)
    billing.post_patient_payment(conn, invoice_id=second, amount="40", method="card", user=clerk)
    plan = billing.get_plan(conn, plan_id)
    assert [s.paid for s in plan.instalments] == [D("33.34"), D("6.66"), D("0.00")]
    assert plan.left == D("60.00")
    assert billing.overdue_instalments(conn, as_of=date(2026, 4, 16)) == [(plan_id, patient, 2, date(2026, 4, 15),
                                                                          D("26.67"))]
    billing.cancel_plan(conn, plan_id, reason="Paying in full next week", user=clerk)
    assert billing.active_plans_for(conn, patient) == []
    assert billing.overdue_instalments(conn, as_of=date(2026, 6, 1)) == []
    check_ledger(conn)
