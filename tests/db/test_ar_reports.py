"""A/R reports against a real DuckDB file: aging split into insurance and patient A/R (each adding up
to its total and both to db.billing.ar_aging, to the cent), aging by payer (claims made with
db.claims), the Home tiles' sums, a patient's ledger with its running balance and credit, and
overdue plan instalments to call about."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

import db
from clinic.billing import AGING_KEYS
from db import ar_reports, billing, users
from tests.conftest import make_patient, make_user
from tests.db.billing_factories import SERVICE_DAY, check_ledger, make_fees, make_invoice

D = Decimal
AS_OF = date(2026, 6, 30)


@pytest.fixture
def clerk(conn):
    make_fees(conn)
    return users.get(conn, make_user(conn, username="clerk", role="billing"))


def make_payer(conn, name: str) -> int:
    (payer_id,) = db.read(conn, "INSERT INTO payers (name, kind) VALUES (?, 'commercial') RETURNING id", [name])[0]
    return payer_id


def insure(conn, patient_id: int, payer_id: int) -> None:
    db.read(conn, "INSERT INTO patient_insurance (patient_id, rank, payer_id, member_id) VALUES (?, 1, ?, 'M1')",
            [patient_id, payer_id])


def make_claim(conn, invoice_id: int, user, *moves: str) -> int:
    """The invoice's primary claim (db.billing.create_claim), then moved by hand through ``moves``."""
    claim_id = billing.create_claim(conn, invoice_id, user=user)
    for status in moves:
        billing.change_claim_status(conn, claim_id, status, user=user, note="As the insurer said")
    return claim_id


@pytest.fixture
def clinic_ar(conn, clerk):
    """Two insurers and three patients with invoices of odd cents in every bucket: some wait on
    claims (draft, submitted, accepted, appealed), one claim was denied (the patient's now), some
    invoices have no claim, some are part paid or adjusted."""
    acme, zenith = make_payer(conn, "Acme Health"), make_payer(conn, "Zenith Mutual")
    ann, bob, cat = make_patient(conn), make_patient(conn), make_patient(conn)
    insure(conn, ann, acme)
    insure(conn, bob, acme)
    insure(conn, cat, zenith)
    days = {"0-30": 3, "31-60": 45, "61-90": 61, "91-120": 120, "120+": 121}
    invoices = {}
    for key, age in days.items():
        served = AS_OF - timedelta(days=age)
        invoices[("ann", key)] = make_invoice(conn, patient_id=ann, amount="100.01", service_date=served, user=clerk)
        invoices[("bob", key)] = make_invoice(conn, patient_id=bob, amount="33.33", service_date=served, user=clerk)
    invoices[("cat", "120+")] = make_invoice(conn, patient_id=cat, amount="100.01",
                                             service_date=AS_OF - timedelta(days=121), user=clerk)
    make_claim(conn, invoices[("ann", "0-30")], clerk, "submitted")
    make_claim(conn, invoices[("ann", "61-90")], clerk, "submitted", "accepted")
    make_claim(conn, invoices[("cat", "120+")], clerk, "submitted", "denied", "appealed")
    make_claim(conn, invoices[("bob", "31-60")], clerk, "submitted", "denied")  # answered: the patient's now
    make_claim(conn, invoices[("bob", "91-120")], clerk)  # a draft: insurance A/R, not yet sent
    billing.post_patient_payment(conn, invoice_id=invoices[("ann", "61-90")], amount="0.07", method="cash",
                                 user=clerk)
    billing.post_patient_payment(conn, invoice_id=invoices[("bob", "120+")], amount="10.10", method="card",
                                 user=clerk)
    billing.adjust_invoice(conn, invoice_id=invoices[("bob", "0-30")], kind="courtesy", amount="3.33",
                           reason="Staff family", user=clerk)
    return {"acme": acme, "zenith": zenith, "ann": ann, "bob": bob, "cat": cat, "invoices": invoices}


def test_insurance_and_patient_aging_each_add_up_and_together_equal_the_clinic_aging(conn, clinic_ar):
    split = ar_reports.aging_split(conn, as_of=AS_OF)
    clinic = billing.ar_aging(conn, as_of=AS_OF)
    for part in (split.insurance, split.patient, split.total):
        assert sum((part[k] for k in AGING_KEYS), D("0.00")) == part["total"]
    assert split.insurance["total"] + split.patient["total"] == clinic["total"]
    assert split.total == clinic
    # Insurance: ann's 0-30 (100.01) and 61-90 (100.01 - 0.07), bob's draft 91-120, cat's appeal.
    assert split.insurance == {"0-30": D("100.01"), "31-60": D("0.00"), "61-90": D("99.94"), "91-120": D("33.33"),
                               "120+": D("100.01"), "total": D("333.29")}
    # Patients: the rest, including bob's denied claim's invoice.
    assert split.patient == {"0-30": D("30.00"), "31-60": D("133.34"), "61-90": D("33.33"), "91-120": D("100.01"),
                             "120+": D("123.24"), "total": D("419.92")}
    assert check_ledger(conn, as_of=AS_OF)["owed"] == clinic["total"] == D("753.21")


def test_aging_by_payer_lists_each_insurer_then_the_patients_and_adds_up_to_the_total(conn, clinic_ar):
    rows = ar_reports.aging_by_payer(conn, as_of=AS_OF)
    assert [(r.name, r.responsibility, r.invoices, r.total) for r in rows] == [
        ("Acme Health", "insurance", 3, D("233.28")),
        ("Zenith Mutual", "insurance", 1, D("100.01")),
        (ar_reports.PATIENT_ROW, "patient", 7, D("419.92")),
    ]
    assert rows[0].buckets == {"0-30": D("100.01"), "31-60": D("0.00"), "61-90": D("99.94"), "91-120": D("33.33"),
                               "120+": D("0.00"), "total": D("233.28")}
    assert sum((r.total for r in rows), D("0.00")) == billing.ar_aging(conn, as_of=AS_OF)["total"]
    for r in rows:
        assert sum((r.buckets[k] for k in AGING_KEYS), D("0.00")) == r.total


def test_a_claim_answered_moves_its_balance_from_insurance_to_the_patient(conn, clinic_ar, clerk):
    (claim,) = billing.claims_for_invoice(conn, clinic_ar["invoices"][("ann", "0-30")])
    before = ar_reports.aging_split(conn, as_of=AS_OF)
    billing.change_claim_status(conn, claim.id, "denied", user=clerk, note="CO-97")
    after = ar_reports.aging_split(conn, as_of=AS_OF)
    assert after.insurance["0-30"] == before.insurance["0-30"] - D("100.01")
    assert after.patient["0-30"] == before.patient["0-30"] + D("100.01")
    assert after.total == before.total


def test_the_home_tiles_count_unpaid_invoices_and_claims_awaiting_an_answer(conn, clinic_ar, clerk):
    assert ar_reports.unpaid_invoices_summary(conn) == (11, D("753.21"))
    # submitted, accepted and appealed wait for the insurer; a draft (not sent) and a denial do not.
    assert ar_reports.claims_awaiting_summary(conn) == (3, D("300.03"))
    paid_off = clinic_ar["invoices"][("bob", "31-60")]
    billing.post_patient_payment(conn, invoice_id=paid_off, amount="33.33", method="cash", user=clerk)
    assert ar_reports.unpaid_invoices_summary(conn) == (10, D("719.88"))


def test_empty_books_show_zero_everywhere(conn):
    assert ar_reports.unpaid_invoices_summary(conn) == (0, D("0.00"))
    assert ar_reports.claims_awaiting_summary(conn) == (0, D("0.00"))
    assert ar_reports.aging_by_payer(conn, as_of=AS_OF) == []
    assert ar_reports.aging_split(conn, as_of=AS_OF).total["total"] == D("0.00")


def test_the_patient_ledger_runs_its_balance_and_credit_to_what_the_file_header_shows(conn, clerk):
    patient = make_patient(conn)
    first = make_invoice(conn, patient_id=patient, amount="120.00", user=clerk)
    second = make_invoice(conn, patient_id=patient, amount="45.50", service_date=SERVICE_DAY + timedelta(days=7),
                          user=clerk)
    make_invoice(conn, patient_id=patient, amount="99.99", finalize=False, user=clerk)  # a draft charges nothing
    billing.post_patient_payment(conn, invoice_id=first, amount="150.00", method="card", user=clerk,
                                 reference="visa 4242")  # 120 applied, 30 to credit
    billing.apply_credit(conn, invoice_id=second, user=clerk)  # 30 of credit to the second invoice
    billing.adjust_invoice(conn, invoice_id=second, kind="courtesy", amount="5.50", reason="Long wait", user=clerk)
    cash = billing.post_patient_payment(conn, invoice_id=second, amount="20.00", method="cash", user=clerk)
    billing.reverse_payment(conn, cash, reason="Counterfeit note", user=clerk)

    ledger = ar_reports.patient_ledger(conn, patient)
    steps = [(line.kind, line.invoice_id, line.amount, line.credit_change, line.balance, line.credit)
             for line in ledger.lines]
    assert steps == [
        ("charge", first, D("120.00"), D("0.00"), D("120.00"), D("0.00")),
        ("charge", second, D("45.50"), D("0.00"), D("165.50"), D("0.00")),
        ("payment", first, D("-120.00"), D("30.00"), D("45.50"), D("30.00")),
        ("credit_applied", second, D("-30.00"), D("-30.00"), D("15.50"), D("0.00")),
        ("adjustment", second, D("-5.50"), D("0.00"), D("10.00"), D("0.00")),
        ("payment", second, D("-10.00"), D("10.00"), D("0.00"), D("10.00")),
        ("refund", second, D("10.00"), D("0.00"), D("10.00"), D("10.00")),
        ("credit_refund", None, D("0.00"), D("-10.00"), D("10.00"), D("0.00")),
    ]
    assert ledger.lines[2].detail == "Card · visa 4242"
    assert ledger.lines[4].detail == "Courtesy · Long wait"
    assert ledger.balance == billing.patient_balance(conn, patient) == ledger.lines[-1].balance == D("10.00")
    assert ledger.credit == billing.patient_credit(conn, patient) == ledger.lines[-1].credit == D("0.00")
    assert [(o.invoice_id, o.balance, o.responsibility) for o in ledger.owed] == [(second, D("10.00"), "patient")]
    assert ledger.patient_owes == D("10.00")


def test_the_ledger_shows_an_active_plan_and_the_next_instalment(conn, clerk):
    patient = make_patient(conn)
    invoice_id = make_invoice(conn, patient_id=patient, amount="100.00", user=clerk)
    first_due = date.today() + timedelta(days=3)
    billing.create_plan(conn, patient_id=patient, instalments=3, frequency="monthly", first_due=first_due,
                        user=clerk)
    billing.post_patient_payment(conn, invoice_id=invoice_id, amount="40.00", method="cash", user=clerk)
    (plan,) = ar_reports.patient_ledger(conn, patient).plans
    assert plan.left == D("60.00")
    nxt = ar_reports.next_instalment(plan)
    assert (nxt.number, nxt.due, nxt.left) == (2, plan.instalments[1].due, D("26.67"))


def test_overdue_instalments_give_the_front_desk_who_to_call_and_how_much(conn, clerk):
    patient = make_patient(conn, phone_mobile="+15555550123")
    make_invoice(conn, patient_id=patient, amount="90.00", user=clerk)
    first_due = date.today() + timedelta(days=1)
    billing.create_plan(conn, patient_id=patient, instalments=3, frequency="weekly", first_due=first_due, user=clerk)
    assert ar_reports.overdue_instalment_calls(conn, as_of=first_due) == []
    (call,) = ar_reports.overdue_instalment_calls(conn, as_of=first_due + timedelta(days=8))
    assert (call.patient_id, call.instalments, call.first_due, call.overdue) == (patient, 2, first_due, D("60.00"))
    assert call.phone == "+15555550123"


def test_balances_for_a_days_patients_counts_only_what_is_owed(conn, clerk):
    owes, paid_up, nothing = make_patient(conn), make_patient(conn), make_patient(conn)
    make_invoice(conn, patient_id=owes, amount="12.34", user=clerk)
    paid = make_invoice(conn, patient_id=paid_up, amount="50.00", user=clerk)
    billing.post_patient_payment(conn, invoice_id=paid, amount="50.00", method="cash", user=clerk)
    make_invoice(conn, patient_id=nothing, amount="80.00", finalize=False, user=clerk)
    assert ar_reports.balances_for(conn, [owes, paid_up, nothing]) == {owes: D("12.34")}
    assert ar_reports.balances_for(conn, []) == {}


def test_balances_for_a_days_patients_equal_the_ledger_view_on_the_seeded_clinic(seeded):
    """balances_for reads the patients' own invoices only; its amounts are the view's, to the cent."""
    expected = dict(db.read(seeded, "SELECT patient_id, CAST(sum(balance) AS DECIMAL(18, 2)) FROM invoice_balances"
                                    " WHERE status IN ('open', 'partially_paid') AND balance > 0 GROUP BY patient_id"))
    assert len(expected) > 10
    patients = sorted(expected)[:40] + [r[0] for r in db.read(seeded, "SELECT id FROM patients LIMIT 20")]
    assert ar_reports.balances_for(seeded, patients) == {p: expected[p] for p in patients if p in expected}
