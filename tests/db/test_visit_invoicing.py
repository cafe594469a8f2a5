"""Invoices from visits: completing a visit creates its draft invoice in the same transaction, once
(two clicks or two threads give one invoice); undoing the completion voids a draft and is refused
once the invoice is finalised or has money; a visit completed before billing existed is billed
from the unbilled list."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

import db
from clinic import scheduling
from clinic.errors import ClinicError, InvoiceNotEditable, NotAllowed, VoidRefused
from db import appointments, billing, fees, users
from tests.conftest import make_appointment, make_user
from tests.db.billing_factories import check_ledger, complete_visit, make_billed_visit_type, make_fees

D = Decimal
START = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)
NOW = START + timedelta(minutes=30)


@pytest.fixture
def clinic(conn):
    make_fees(conn)
    return {
        "conn": conn,
        "desk": users.get(conn, make_user(conn, username="desk", role="front_desk")),
        "clerk": users.get(conn, make_user(conn, username="clerk", role="billing")),
        "visit_type": make_billed_visit_type(conn, name="Follow-up"),
    }


def checked_in_visit(clinic) -> int:
    return make_appointment(clinic["conn"], status="checked_in", start_at=START, type_id=clinic["visit_type"])


def complete(clinic, visit: int):
    return appointments.change_status(clinic["conn"], visit, "completed", user=clinic["desk"], now=NOW)


def undo(clinic, visit: int):
    return appointments.change_status(clinic["conn"], visit, "checked_in", user=clinic["desk"], now=NOW,
                                      reason="Marked completed by mistake")


def invoices_of(conn, visit: int) -> list[tuple]:
    return db.read(conn, "SELECT id, status, appointment_id, replaces_id, void_reason FROM invoices"
                         " WHERE visit_id = ? ORDER BY id", [visit])


# --- completing ----------------------------------------------------------------------------------


def test_completing_a_visit_creates_its_draft_invoice_with_the_default_lines(clinic):
    conn = clinic["conn"]
    visit = checked_in_visit(clinic)
    assert complete(clinic, visit).status == "completed"
    invoice_id = billing.invoice_for_appointment(conn, visit)
    assert invoices_of(conn, visit) == [(invoice_id, "draft", visit, None, None)]
    assert [(x.code, x.unit_price) for x in billing.lines(conn, invoice_id)] == [("99213", D("120.00")),
                                                                                 ("36415", D("15.00"))]
    assert billing.get(conn, invoice_id).service_date == date(2026, 3, 2)
    assert billing.unbilled_visits(conn, as_of=date(2026, 3, 9)) == []
    # The invoice is made by the person who completed the visit, audited as such.
    assert db.read(conn, "SELECT user_id FROM audit_log WHERE action = 'invoice.create'") == [(clinic["desk"].id,)]


def test_clicking_complete_twice_gives_one_invoice_and_a_clear_refusal(clinic):
    conn = clinic["conn"]
    visit = checked_in_visit(clinic)
    complete(clinic, visit)
    with pytest.raises(scheduling.InvalidTransition):
        complete(clinic, visit)
    assert len(invoices_of(conn, visit)) == 1


def test_when_the_invoice_cannot_be_made_the_visit_stays_checked_in(clinic, monkeypatch):
    conn = clinic["conn"]
    visit = checked_in_visit(clinic)

    def broken(*_args, **_kwargs):
        raise RuntimeError("fee schedule unreadable")

    monkeypatch.setattr(fees, "default_lines", broken)
    with pytest.raises(RuntimeError):
        complete(clinic, visit)
    assert appointments.get(conn, visit).status == "checked_in"  # one transaction: nothing was written
    assert invoices_of(conn, visit) == []
    assert db.read(conn, "SELECT count(*) FROM appointment_events WHERE appointment_id = ?", [visit])[0][0] == 0


@pytest.mark.serial
@pytest.mark.parametrize("round_", range(3))
def test_two_threads_completing_the_same_visit_give_one_invoice(clinic, round_):
    conn = clinic["conn"]
    visit = checked_in_visit(clinic)
    barrier = threading.Barrier(2)
    done, refused, other = [], [], []

    def go() -> None:
        barrier.wait()
        try:
            done.append(complete(clinic, visit))
        except ClinicError as exc:
            refused.append(exc)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            other.append(exc)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert other == []
    assert len(done) == 1 and len(refused) == 1 and isinstance(refused[0], scheduling.InvalidTransition)
    assert len(invoices_of(conn, visit)) == 1
    assert db.read(conn, "SELECT count(*) FROM invoice_lines")[0][0] == 2
    assert db.read(conn, "SELECT count(*) FROM appointment_events WHERE appointment_id = ? AND to_status = 'completed'",
                   [visit])[0][0] == 1


# --- undoing a completion ------------------------------------------------------------------------


def test_undoing_a_completion_voids_the_draft_and_completing_again_makes_a_fresh_one(clinic):
    conn = clinic["conn"]
    visit = checked_in_visit(clinic)
    complete(clinic, visit)
    first = billing.invoice_for_appointment(conn, visit)
    assert undo(clinic, visit).status == "checked_in"
    assert invoices_of(conn, visit) == [(first, "void", visit, None, "visit completion undone")]
    complete(clinic, visit)
    (_, (second, status, appointment_id, replaces, _reason)) = invoices_of(conn, visit)
    assert (status, appointment_id, replaces) == ("draft", None, first)
    assert billing.invoice_for_appointment(conn, visit) == second
    assert [x.code for x in billing.lines(conn, second)] == ["99213", "36415"]
    check_ledger(conn)


def test_undoing_a_completion_is_refused_once_the_invoice_is_finalised(clinic):
    conn = clinic["conn"]
    visit = checked_in_visit(clinic)
    complete(clinic, visit)
    invoice_id = billing.invoice_for_appointment(conn, visit)
    billing.finalize_invoice(conn, invoice_id, user=clinic["clerk"])
    with pytest.raises(InvoiceNotEditable) as err:
        undo(clinic, visit)
    assert err.value.field == "status" and "void it first" in str(err.value)
    assert appointments.get(conn, visit).status == "completed"
    assert billing.get(conn, invoice_id).status == "open"
    # Once the clerk voids it, the completion may be undone.
    billing.void_invoice(conn, invoice_id, reason="Visit not held", user=clinic["clerk"])
    assert undo(clinic, visit).status == "checked_in"


def test_undoing_a_completion_is_refused_once_money_was_posted(clinic):
    conn = clinic["conn"]
    visit = checked_in_visit(clinic)
    complete(clinic, visit)
    invoice_id = billing.invoice_for_appointment(conn, visit)
    billing.finalize_invoice(conn, invoice_id, user=clinic["clerk"])
    billing.post_patient_payment(conn, invoice_id=invoice_id, amount="20.00", method="cash", user=clinic["clerk"])
    with pytest.raises(VoidRefused) as err:
        undo(clinic, visit)
    assert err.value.field == "status" and "Money was posted" in str(err.value)
    assert appointments.get(conn, visit).status == "completed"
    assert billing.invoice_totals(conn, invoice_id)["balance"] == D("115.00")
    check_ledger(conn)


# --- visits completed before billing existed ---------------------------------------------------------


def test_a_visit_completed_before_billing_is_billed_from_the_unbilled_list_once(clinic):
    conn, clerk = clinic["conn"], clinic["clerk"]
    old = complete_visit(conn, type_id=clinic["visit_type"])  # completed, no invoice
    assert [a for a, *_ in billing.unbilled_visits(conn, as_of=date(2026, 3, 9))] == [old]
    invoice_id = billing.invoice_completed_visit(conn, old, user=clerk)
    assert billing.invoice_completed_visit(conn, old, user=clerk) == invoice_id  # twice: the same invoice
    assert invoices_of(conn, old) == [(invoice_id, "draft", old, None, None)]
    assert billing.invoice_totals(conn, invoice_id)["lines_total"] == D("135.00")
    assert billing.unbilled_visits(conn, as_of=date(2026, 3, 9)) == []


def test_only_a_completed_visit_is_billed_and_only_by_the_billing_office(clinic):
    conn = clinic["conn"]
    waiting = checked_in_visit(clinic)
    with pytest.raises(ClinicError) as err:
        billing.invoice_completed_visit(conn, waiting, user=clinic["clerk"])
    assert err.value.field == "status"
    old = complete_visit(conn, type_id=clinic["visit_type"])
    with pytest.raises(NotAllowed):
        billing.invoice_completed_visit(conn, old, user=clinic["desk"])
    assert db.read(conn, "SELECT count(*) FROM invoices")[0][0] == 0
