"""The A/R aging page through the real app: its numbers are the database's (db.billing.ar_aging
and db.ar_reports), an invoice waiting on a claim counts as insurance A/R under its payer, the
as-of day moves balances between buckets, and only the billing office opens it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from clinic import timeutil
from clinic.billing import AGING_KEYS
from clinic.money import money_text
from db import ar_reports, billing
from tests.conftest import SEED_TODAY, TZ, database, make_patient
from tests.db.billing_factories import make_invoice

BUCKETS = ["0–30 days", "31–60 days", "61–90 days", "91–120 days", "Over 120 days", "Total"]


def open_aging(signed_in, role: str = "billing"):
    at = signed_in(role).run()
    at.switch_page("pages/ar_aging.py").run()
    assert not at.exception, at.exception
    return at


def rows(frame, first: str) -> dict[str, list[str]]:
    return {r[first]: [r[b] for b in BUCKETS] for r in frame.to_dict("records")}


def texts(buckets: dict) -> list[str]:
    return [money_text(buckets[k]) for k in (*AGING_KEYS, "total")]


@pytest.fixture
def waiting_claim(app_env):
    """A new insured patient whose 250.05 invoice (served 45 days ago) waits on a submitted claim
    to a new payer, and a 19.99 invoice of theirs with no claim (the patient's own)."""
    with database(app_env) as conn:
        (payer,) = conn.execute("INSERT INTO payers (name, kind) VALUES ('Aging Test Mutual', 'commercial')"
                                " RETURNING id").fetchone()
        patient = make_patient(conn, first_name="Agnes", last_name="Aging")
        conn.execute("INSERT INTO patient_insurance (patient_id, rank, payer_id, member_id) VALUES (?, 1, ?, 'AT1')",
                     [patient, payer])
        claimed = make_invoice(conn, patient_id=patient, amount="250.05",
                               service_date=SEED_TODAY - timedelta(days=45))
        make_invoice(conn, patient_id=patient, amount="19.99", service_date=SEED_TODAY - timedelta(days=2))
        claim_id = billing.create_claim(conn, claimed, user="test")
        billing.submit_claim(conn, claim_id, user="test")
    return payer


def test_the_buckets_are_the_databases_and_add_up(signed_in, app_env, waiting_claim):
    at = open_aging(signed_in)
    buckets, payers = at.dataframe[0].value, at.dataframe[1].value
    today = timeutil.today(TZ)
    with database(app_env) as conn:
        clinic = billing.ar_aging(conn, as_of=today)
        split = ar_reports.aging_split(conn, as_of=today)
        by_payer = ar_reports.aging_by_payer(conn, as_of=today)
    shown = rows(buckets, "Who owes")
    assert shown == {"Insurance": texts(split.insurance), "Patients": texts(split.patient), "Total": texts(clinic)}
    assert rows(payers, "Payer") == {r.name: texts(r.buckets) for r in by_payer}
    assert rows(payers, "Payer")["Aging Test Mutual"] == ["$0.00", "$250.05", "$0.00", "$0.00", "$0.00", "$250.05"]
    assert next(m.value for m in at.metric if m.label == "Total A/R") == money_text(clinic["total"])
    assert next(m.value for m in at.metric if m.label == "Insurance A/R") == money_text(split.insurance["total"])


def test_an_earlier_as_of_day_ages_the_balances_less(signed_in, app_env, waiting_claim):
    at = open_aging(signed_in)
    at.date_input(key="aging_as_of").set_value(SEED_TODAY - timedelta(days=20)).run()
    assert not at.exception, at.exception
    payers = rows(at.dataframe[1].value, "Payer")
    assert payers["Aging Test Mutual"] == ["$250.05", "$0.00", "$0.00", "$0.00", "$0.00", "$250.05"]


@pytest.mark.parametrize("role", ["front_desk", "clinician"])
def test_the_aging_page_is_not_in_the_menu_of_the_front_desk_or_clinicians(signed_in, role):
    at = signed_in(role).run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/ar_aging.py")


def test_home_shows_the_billing_office_unpaid_invoices_and_claims_awaiting_an_answer(signed_in, app_env,
                                                                                     waiting_claim):
    at = signed_in("billing").run()
    assert not at.exception, at.exception
    with database(app_env) as conn:
        unpaid = ar_reports.unpaid_invoices_summary(conn)
        awaiting = ar_reports.claims_awaiting_summary(conn)
    shown = {m.label: m.value for m in at.metric}
    assert (shown["Unpaid invoices"], shown["Owed on them"]) == (str(unpaid[0]), money_text(unpaid[1]))
    assert (shown["Claims awaiting an answer"], shown["Billed on those claims"]) == (str(awaiting[0]),
                                                                                      money_text(awaiting[1]))
    assert awaiting[0] >= 1 and awaiting[1] >= Decimal("250.05")  # at least the claim made above
    front_desk = signed_in("front_desk").run()
    assert "Appointments today" in {m.label for m in front_desk.metric}
    assert "Unpaid invoices" not in {m.label for m in front_desk.metric}
