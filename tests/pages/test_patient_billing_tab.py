"""The patient file's Billing tab through the real app: the balance in the header and the tab, a
payment posted from the tab lowering both, a bad amount refused next to the field, a plan set up,
and who sees money at all (clinicians do not)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from db import billing, providers
from tests.conftest import (SEED_NOW, SEED_TODAY, database, make_appointment, make_patient, query,
                            user_id_for)
from tests.db.billing_factories import make_invoice

NAV_KEY = "_nav_patient_id"


@pytest.fixture
def owing_patient(app_env) -> int:
    """A new patient with two finalised invoices: 120.00 and 35.55 (155.55 due)."""
    with database(app_env) as conn:
        patient = make_patient(conn, first_name="Billie", last_name="Ledger")
        make_invoice(conn, patient_id=patient, amount="120.00", service_date=SEED_TODAY - timedelta(days=40))
        make_invoice(conn, patient_id=patient, amount="35.55", service_date=SEED_TODAY - timedelta(days=5))
    return patient


def open_file(signed_in, role: str, patient: int):
    at = signed_in(role)
    at.session_state[NAV_KEY] = patient
    at.run()
    at.switch_page("pages/patients.py").run()
    assert not at.exception, at.exception
    return at


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def header_balance(at) -> str:
    """The header's "Balance due" tile (a bordered box of caption + markdown, not a metric)."""
    captions = [c.value for c in at.caption]
    assert "Balance due" in captions
    texts = [m.value.replace("\\", "") for m in at.markdown]  # money is escaped in Markdown ("\\$")
    return next(t for t in texts if t.startswith(":red[**$") or t.startswith("**$"))


def balance_in_db(path, patient: int) -> Decimal:
    return query(path, "SELECT CAST(coalesce(sum(balance), 0) AS DECIMAL(18, 2)) FROM invoice_balances"
                       " WHERE patient_id = ? AND status IN ('open', 'partially_paid')", [patient])[0][0]


def test_a_payment_posted_from_the_tab_lowers_the_balance_shown(signed_in, app_env, owing_patient):
    at = open_file(signed_in, "front_desk", owing_patient)
    assert [t.label for t in at.tabs][:2] == ["Appointments", "Billing"]
    assert metric(at, "Balance due") == "$155.55"
    assert "$155.55" in header_balance(at)
    at.text_input(key="pf_pay_amount").input("20.00").run()
    at.selectbox(key="pf_pay_method").select("card").run()
    at.button(key="pf_pay_post").click().run()
    assert not at.exception, at.exception
    assert balance_in_db(app_env, owing_patient) == Decimal("135.55")
    assert metric(at, "Balance due") == "$135.55"
    assert "$135.55" in header_balance(at)
    assert any("Payment of $20.00 posted on invoice" in s.value.replace("\\", "") for s in at.success)
    assert at.text_input(key="pf_pay_amount").value == ""  # ready for the next payment
    ledger = at.dataframe[-1].value
    assert list(ledger["What"])[0] == "Payment" and list(ledger["Balance due"])[0] == "$135.55"


def test_more_than_is_due_goes_on_credit_and_credit_can_be_applied(signed_in, app_env, owing_patient):
    at = open_file(signed_in, "billing", owing_patient)
    oldest = query(app_env, "SELECT min(id) FROM invoices WHERE patient_id = ?", [owing_patient])[0][0]
    assert at.selectbox(key="pf_pay_invoice").value == oldest
    at.text_input(key="pf_pay_amount").input("150.00").run()
    at.button(key="pf_pay_post").click().run()
    assert metric(at, "Credit") == "$30.00"
    assert metric(at, "Balance due") == "$35.55"
    at.button(key="pf_credit_apply").click().run()
    assert not at.exception, at.exception
    assert metric(at, "Credit") == "$0.00"
    assert metric(at, "Balance due") == "$5.55"
    assert balance_in_db(app_env, owing_patient) == Decimal("5.55")


def test_a_copay_taken_on_account_becomes_credit(signed_in, app_env, owing_patient):
    at = open_file(signed_in, "front_desk", owing_patient)
    at.selectbox(key="pf_pay_invoice").set_value(0).run()  # "On account"
    at.text_input(key="pf_pay_amount").input("15").run()
    at.button(key="pf_pay_post").click().run()
    assert not at.exception, at.exception
    assert metric(at, "Credit") == "$15.00"
    assert metric(at, "Balance due") == "$155.55"
    assert any("posted on account" in s.value for s in at.success)


@pytest.mark.parametrize("typed", ["12.345", "-5", "abc", "0"])
def test_a_bad_amount_is_refused_next_to_the_field_and_nothing_is_posted(signed_in, app_env, owing_patient, typed):
    at = open_file(signed_in, "front_desk", owing_patient)
    at.text_input(key="pf_pay_amount").input(typed).run()
    at.button(key="pf_pay_post").click().run()
    assert not at.exception, at.exception
    assert at.error, "a message next to the amount"
    assert at.text_input(key="pf_pay_amount").value == typed  # what was typed is kept
    assert query(app_env, "SELECT count(*) FROM payments WHERE patient_id = ?", [owing_patient])[0][0] == 0
    assert metric(at, "Balance due") == "$155.55"


def test_the_billing_clerk_sets_up_a_plan_and_sees_the_next_instalment(signed_in, app_env, owing_patient):
    at = open_file(signed_in, "billing", owing_patient)
    at.number_input(key="pf_plan_count").set_value(3).run()
    at.button(key="pf_plan_create").click().run()
    assert not at.exception, at.exception
    assert metric(at, "Plan left") == "$155.55"
    assert any("Next instalment: **$51.85**" in m.value.replace("\\", "") for m in at.markdown)
    with database(app_env) as conn:
        (plan,) = billing.active_plans_for(conn, owing_patient)
    assert plan.total == Decimal("155.55") and len(plan.instalments) == 3


def test_the_front_desk_takes_payments_but_sets_up_no_plan(signed_in, app_env, owing_patient):
    at = open_file(signed_in, "front_desk", owing_patient)
    assert "pf_plan_create" not in {b.key for b in at.button}
    assert "pf_pay_post" in {b.key for b in at.button}


def test_a_clinician_sees_neither_the_billing_tab_nor_the_balance(signed_in, app_env, owing_patient):
    at = open_file(signed_in, "clinician", owing_patient)
    assert "Billing" not in [t.label for t in at.tabs]
    assert "Balance due" not in [c.value for c in at.caption]
    assert not any("155" in m.value for m in at.markdown)


@pytest.mark.parametrize("role, offered", [("front_desk", True), ("clinician", False)])
def test_checking_out_a_patient_who_owes_offers_take_payment_on_today(signed_in, app_env, owing_patient, role,
                                                                       offered):
    with database(app_env) as conn:  # the demo doctor's own patient, so that their Today lists the visit
        doctor = providers.for_user(conn, user_id_for(app_env, "doctor"))
        make_appointment(conn, patient_id=owing_patient, provider_id=doctor.id, start_at=SEED_NOW, status="completed")
    at = signed_in(role).run()
    at.switch_page("pages/today.py").run()
    assert not at.exception, at.exception
    links = {link.value.replace("\\", ""): link.proto.query_string for link in at.get("page_link")}
    assert any("Ledger" in label for label in links), "the visit's row is on the page"
    assert ("Take payment · $155.55" in links) is offered
    if offered:
        assert links["Take payment · $155.55"] == f"patient={owing_patient}&tab=billing"


def test_an_overdue_instalment_puts_the_patient_on_the_front_desks_inbox_to_call(signed_in, app_env, owing_patient,
                                                                                  clinic_clock):
    with database(app_env) as conn:
        billing.create_plan(conn, patient_id=owing_patient, instalments=3, frequency="weekly", first_due=SEED_TODAY,
                            user="test")
    at = signed_in("front_desk").run()
    at.switch_page("pages/inbox.py").run()
    assert not any("Ledger, Billie" in m.value for m in at.markdown)  # nothing is late yet
    clinic_clock(SEED_NOW + timedelta(days=8))  # two instalments (51.85 each) are past due
    at.run()
    assert not at.exception, at.exception
    (line,) = [m.value.replace("\\", "") for m in at.markdown if "Ledger, Billie" in m.value]
    assert "$103.70 overdue" in line and "2 instalments" in line
    links = {link.proto.query_string for link in at.get("page_link")}
    assert f"patient={owing_patient}&tab=billing" in links
