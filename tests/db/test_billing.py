"""Invoices against a real DuckDB file: the draft a completed visit creates (once), editing a
draft's lines, finalising, voiding, the fee schedule, and who may do what."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest

import db
from clinic.errors import (
    ClinicError,
    InvoiceNotEditable,
    NotAllowed,
    NotFound,
    StaleRecord,
    ValidationError,
    VoidRefused,
)
from db import billing, fees, users
from tests.conftest import make_patient, make_user
from tests.db.billing_factories import (
    check_ledger,
    complete_visit,
    draft_for,
    make_billed_visit_type,
    make_fees,
    make_invoice,
)

D = Decimal


@pytest.fixture
def clinic(conn):
    make_fees(conn)
    return {
        "conn": conn,
        "clerk": users.get(conn, make_user(conn, username="clerk", role="billing")),
        "desk": users.get(conn, make_user(conn, username="desk", role="front_desk")),
        "doctor": users.get(conn, make_user(conn, username="doc", role="clinician")),
        "visit_type": make_billed_visit_type(conn, name="Follow-up"),
    }


def audit_count(conn, action: str) -> int:
    return db.read(conn, "SELECT count(*) FROM audit_log WHERE action = ?", [action])[0][0]


# --- the draft a completed visit creates -----------------------------------------------------------


def test_completing_a_visit_creates_one_draft_with_the_visit_types_default_lines(clinic):
    conn = clinic["conn"]
    visit = complete_visit(conn, type_id=clinic["visit_type"])
    invoice_id = draft_for(conn, visit)
    assert draft_for(conn, visit) == invoice_id  # twice: the same invoice
    assert billing.invoice_for_appointment(conn, visit) == invoice_id
    assert [(x.code, x.quantity, x.unit_price) for x in billing.lines(conn, invoice_id)] == [
        ("99213", 1, D("120.00")), ("36415", 1, D("15.00"))]
    invoice = billing.get(conn, invoice_id)
    assert (invoice.status, invoice.service_date, invoice.visit_id) == ("draft", date(2026, 3, 2), visit)
    assert billing.invoice_totals(conn, invoice_id) == {
        "charges": D("0.00"), "payments": D("0.00"), "adjustments": D("0.00"), "refunds": D("0.00"),
        "balance": D("0.00"), "status": "draft", "lines_total": D("135.00")}
    assert db.read(conn, "SELECT count(*) FROM invoices")[0][0] == 1
    assert audit_count(conn, "invoice.create") == 1


def test_eight_threads_completing_the_same_visit_give_one_invoice(clinic):
    conn = clinic["conn"]
    visit = complete_visit(conn, type_id=clinic["visit_type"])
    barrier = threading.Barrier(8)
    ids, errors = [], []

    def complete() -> None:
        barrier.wait()
        try:
            ids.append(draft_for(conn, visit))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=complete) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(ids)) == 1
    assert db.read(conn, "SELECT count(*) FROM invoices WHERE appointment_id = ?", [visit])[0][0] == 1
    assert db.read(conn, "SELECT count(*) FROM invoice_lines")[0][0] == 2


def test_a_default_code_missing_from_the_fee_schedule_becomes_a_zero_line_that_says_so(clinic):
    conn = clinic["conn"]
    from tests.conftest import make_visit_type

    type_id = make_visit_type(conn, default_fee_code="G0439")
    invoice_id = draft_for(conn, complete_visit(conn, type_id=type_id))
    (line,) = billing.lines(conn, invoice_id)
    assert (line.code, line.unit_price) == ("G0439", D("0.00"))
    assert "not in the fee schedule" in line.description


def test_only_a_completed_visit_is_invoiced_and_an_unknown_visit_has_no_invoice(clinic):
    conn = clinic["conn"]
    with pytest.raises(ClinicError):
        draft_for(conn, complete_visit(conn, status="checked_in", type_id=clinic["visit_type"]))
    assert billing.invoice_for_appointment(conn, 9999) is None
    with pytest.raises(NotFound):
        billing.get(conn, 9999)


def test_completed_visits_without_an_invoice_are_listed_as_leakage_with_their_age(clinic):
    conn = clinic["conn"]
    billed = complete_visit(conn, type_id=clinic["visit_type"])
    draft_for(conn, billed)
    unbilled = complete_visit(conn, type_id=clinic["visit_type"])
    assert [(a, d, age) for a, _, d, age in billing.unbilled_visits(conn, as_of=date(2026, 3, 12))] == [
        (unbilled, date(2026, 3, 2), 10)]


# --- editing a draft -----------------------------------------------------------------------------


def test_the_clerk_edits_a_drafts_lines_with_prices_from_the_fee_schedule(clinic):
    conn, clerk = clinic["conn"], clinic["clerk"]
    invoice_id = draft_for(conn, complete_visit(conn, type_id=clinic["visit_type"]))
    version = billing.get(conn, invoice_id).version
    line_id = billing.add_line(conn, invoice_id, code="j1100", quantity=4, diagnoses=["e11.9", "I10"], version=version,
                               user=clerk)
    added = billing.lines(conn, invoice_id)[-1]
    assert (added.id, added.code, added.description, added.amount) == (line_id, "J1100", "Dexamethasone sodium "
                                                                                       "phosphate, 1 mg", D("34.00"))
    assert added.diagnoses == ("E11.9", "I10")
    version = billing.get(conn, invoice_id).version
    billing.update_line(conn, line_id, code="J1100", quantity=2, unit_price="9.25", description="Dexamethasone 1 mg",
                        diagnoses=["E11.9"], modifiers=["JW"], version=version, user=clerk)
    changed = billing.lines(conn, invoice_id)[-1]
    assert (changed.quantity, changed.unit_price, changed.modifiers) == (2, D("9.25"), ("JW",))
    first = billing.lines(conn, invoice_id)[0]
    billing.remove_line(conn, first.id, version=billing.get(conn, invoice_id).version, user=clerk)
    assert billing.invoice_totals(conn, invoice_id)["lines_total"] == D("15.00") + D("18.50")
    assert audit_count(conn, "invoice.line_add") == audit_count(conn, "invoice.line_change") == 1


def test_a_stale_edit_is_refused_and_changes_nothing(clinic):
    conn, clerk = clinic["conn"], clinic["clerk"]
    invoice_id = draft_for(conn, complete_visit(conn, type_id=clinic["visit_type"]))
    seen = billing.get(conn, invoice_id).version
    billing.add_line(conn, invoice_id, code="36415", version=seen, user=clerk)
    with pytest.raises(StaleRecord):
        billing.add_line(conn, invoice_id, code="J1100", version=seen, user=clerk)
    assert [x.code for x in billing.lines(conn, invoice_id)] == ["99213", "36415", "36415"]


def test_a_code_outside_the_fee_schedule_needs_a_price_and_a_description(clinic):
    conn, clerk = clinic["conn"], clinic["clerk"]
    invoice_id = draft_for(conn, complete_visit(conn, type_id=clinic["visit_type"]))
    with pytest.raises(ValidationError) as err:
        billing.add_line(conn, invoice_id, code="A4550", version=billing.get(conn, invoice_id).version, user=clerk)
    assert "not in the fee schedule" in err.value.errors["code"]
    billing.add_line(conn, invoice_id, code="A4550", unit_price="4.00", description="Surgical tray",
                     version=billing.get(conn, invoice_id).version, user=clerk)
    with pytest.raises(ValidationError) as err:
        billing.add_line(conn, invoice_id, code="A4550", unit_price="-4", description="Tray",
                         version=billing.get(conn, invoice_id).version, user=clerk)
    assert "positive" in err.value.errors["unit_price"]


def test_finalising_opens_the_invoice_and_then_its_lines_are_frozen(clinic):
    conn, clerk = clinic["conn"], clinic["clerk"]
    invoice_id = draft_for(conn, complete_visit(conn, type_id=clinic["visit_type"]))
    billing.finalize_invoice(conn, invoice_id, user=clerk)
    assert billing.invoice_totals(conn, invoice_id)["status"] == "open"
    assert billing.invoice_totals(conn, invoice_id)["balance"] == D("135.00")
    with pytest.raises(InvoiceNotEditable):
        billing.add_line(conn, invoice_id, code="36415", version=billing.get(conn, invoice_id).version, user=clerk)
    with pytest.raises(InvoiceNotEditable):
        billing.finalize_invoice(conn, invoice_id, user=clerk)
    assert audit_count(conn, "invoice.finalize") == 1


def test_an_empty_draft_is_not_finalised_and_a_no_charge_one_is_paid_at_once(clinic):
    conn, clerk = clinic["conn"], clinic["clerk"]
    empty = billing.create_invoice(conn, patient_id=make_patient(conn), service_date=date(2026, 3, 2), user=clerk)
    with pytest.raises(ClinicError) as err:
        billing.finalize_invoice(conn, empty, user=clerk)
    assert err.value.field == "lines"
    free = make_invoice(conn, amount="0", finalize=False)
    billing.finalize_invoice(conn, free, user=clerk)
    assert billing.invoice_totals(conn, free)["status"] == "paid"


# --- voiding -------------------------------------------------------------------------------------


def test_voiding_needs_a_reason_and_is_refused_once_money_was_applied(clinic):
    conn, clerk = clinic["conn"], clinic["clerk"]
    invoice_id = make_invoice(conn, amount="80.00")
    with pytest.raises(ClinicError) as err:
        billing.void_invoice(conn, invoice_id, reason=" ", user=clerk)
    assert err.value.field == "reason"
    billing.post_patient_payment(conn, invoice_id=invoice_id, amount="10", method="cash", user=clerk)
    with pytest.raises(VoidRefused):
        billing.void_invoice(conn, invoice_id, reason="Billed the wrong patient", user=clerk)
    assert billing.invoice_totals(conn, invoice_id)["status"] == "partially_paid"


def test_a_void_leaves_aging_and_a_correction_copies_the_lines_into_a_new_draft(clinic):
    conn, clerk = clinic["conn"], clinic["clerk"]
    visit = complete_visit(conn, type_id=clinic["visit_type"])
    invoice_id = draft_for(conn, visit)
    billing.finalize_invoice(conn, invoice_id, user=clerk)
    assert billing.ar_aging(conn, as_of=date(2026, 3, 2))["total"] == D("135.00")
    new_id = billing.void_invoice(conn, invoice_id, reason="Wrong visit type", user=clerk, rebill=True)
    assert billing.invoice_totals(conn, invoice_id)["status"] == "void"
    assert billing.invoice_totals(conn, invoice_id)["balance"] == D("0.00")
    assert billing.ar_aging(conn, as_of=date(2026, 3, 2))["total"] == D("0.00")
    new = billing.get(conn, new_id)
    assert (new.status, new.replaces_id, new.visit_id, new.appointment_id) == ("draft", invoice_id, visit, None)
    assert [x.code for x in billing.lines(conn, new_id)] == ["99213", "36415"]
    assert billing.invoice_for_appointment(conn, visit) == new_id  # the visit's live invoice is the correction
    assert draft_for(conn, visit) == new_id  # completing again makes no third invoice
    cur = conn.cursor()
    assert billing.has_live_invoice_in(cur, visit)  # the correction is live: undoing the completion is refused
    with pytest.raises(VoidRefused):
        billing.void_invoice(conn, invoice_id, reason="again", user=clerk)
    with pytest.raises(StaleRecord):
        billing.void_invoice(conn, new_id, reason="Stale screen", user=clerk, version=new.version - 1)
    check_ledger(conn)


# --- who may ------------------------------------------------------------------------------------


def test_billing_actions_follow_the_access_table_and_recheck_the_account(clinic):
    conn, desk, doctor, clerk = clinic["conn"], clinic["desk"], clinic["doctor"], clinic["clerk"]
    invoice_id = make_invoice(conn, amount="50.00")
    with pytest.raises(NotAllowed):
        billing.finalize_invoice(conn, make_invoice(conn, finalize=False), user=desk)
    with pytest.raises(NotAllowed):
        billing.adjust_invoice(conn, invoice_id=invoice_id, kind="courtesy", amount="5", reason="Courtesy", user=desk)
    with pytest.raises(NotAllowed):
        billing.post_patient_payment(conn, invoice_id=invoice_id, amount="5", method="cash", user=doctor)
    billing.post_patient_payment(conn, invoice_id=invoice_id, amount="5", method="cash", user=desk)  # at check-out
    users.set_active(conn, clerk.id, False, by="test")
    with pytest.raises(NotAllowed):
        billing.post_patient_payment(conn, invoice_id=invoice_id, amount="5", method="cash", user=clerk)
    assert billing.invoice_totals(conn, invoice_id)["payments"] == D("5.00")


# --- the fee schedule ----------------------------------------------------------------------------


def test_the_fee_in_force_on_the_service_date_is_used_and_periods_do_not_overlap(clinic):
    conn, clerk = clinic["conn"], clinic["clerk"]
    fees.save_fee(conn, code="99214", description="Office visit, moderate", price="150.00",
                  effective_from=date(2025, 1, 1), effective_to=date(2025, 12, 31), user=clerk)
    fees.save_fee(conn, code="99214", description="Office visit, moderate", price="155.00",
                  effective_from=date(2026, 1, 1), user=clerk)
    with pytest.raises(ValidationError) as err:
        fees.save_fee(conn, code="99214", description="x", price="1", effective_from=date(2025, 6, 1), user=clerk)
    assert "effective_from" in err.value.errors
    with pytest.raises(ValidationError) as err:
        fees.save_fee(conn, code="99214", description="x", price="1.001", effective_from=date(2030, 1, 1), user=clerk)
    assert "price" in err.value.errors
    cur = conn.cursor()
    assert fees.price_on(cur, "99214", date(2025, 7, 1)).price == D("150.00")
    assert fees.price_on(cur, "99214", date(2026, 3, 2)).price == D("155.00")
    assert fees.price_on(cur, "99214", date(2024, 3, 2)) is None
    assert [f.price for f in fees.list_fees(conn, on=date(2026, 3, 2)) if f.code == "99214"] == [D("155.00")]
    with pytest.raises(NotAllowed):
        fees.save_fee(conn, code="99215", description="x", price="1", effective_from=date(2026, 1, 1),
                      user=clinic["desk"])
