"""The demo seeder bills its visits: the ledger's invariants hold, statuses follow from the money,
claims are answered and denied as a real practice sees them, and the billing screens have
something to show (drafts, unbilled visits, claims awaiting an answer, old balances, plans)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

import db
from clinic import carc, icd10
from clinic.billing import AGING_KEYS, CLAIM_MOVES
from db import billing, fees, payment_plans
from demo import fees as demo_fees
from tests.db.billing_factories import check_ledger
from tests.demo.seeding import TODAY, TZ, hashes, seeded_db

BILLING_HASHES = {
    table: f"SELECT md5(string_agg(t::VARCHAR, chr(10) ORDER BY id)) FROM {table} t"
    for table in ("fee_schedule", "invoices", "invoice_lines", "claims", "claim_lines", "claim_answers",
                  "claim_line_answers", "claim_events", "payments", "payment_applications", "adjustments",
                  "payment_plans")
}


def one(conn, sql: str, params=None):
    return db.read_one(conn, sql, params)[0]


# --- the money adds up -----------------------------------------------------------------------------


def test_the_ledger_invariants_hold_after_seeding(small):
    totals = check_ledger(small, as_of=TODAY)
    assert totals["owed"] > 0 and totals["applied"] > 0


def test_every_invoice_status_follows_from_its_money_and_no_balance_is_negative(demo):
    wrong = one(demo, "SELECT count(*) FROM invoice_balances WHERE balance < 0 OR status <> CASE"
                      " WHEN status IN ('draft', 'void') THEN status WHEN balance = 0 THEN 'paid'"
                      " WHEN balance >= charges THEN 'open' ELSE 'partially_paid' END")
    assert wrong == 0
    assert one(demo, "SELECT count(*) FROM invoice_balances WHERE status = 'draft' AND"
                     " (payments <> 0 OR adjustments <> 0)") == 0
    statuses = dict(db.read(demo, "SELECT status, count(*) FROM invoices GROUP BY status"))
    assert statuses.keys() >= {"draft", "open", "partially_paid", "paid"}


def test_no_payment_is_applied_beyond_its_amount_and_credit_is_never_negative(demo):
    assert one(demo, "SELECT count(*) FROM payment_balances WHERE unapplied < 0 OR applied > amount") == 0
    credit = one(demo, "SELECT sum(unapplied) FROM payment_balances")
    assert credit > 0  # a few patients overpaid
    assert one(demo, "SELECT count(*) FROM refunds WHERE invoice_id IS NULL") > 0


def test_the_aging_buckets_add_up_to_what_is_owed_and_some_balances_are_old(demo):
    aging = billing.ar_aging(demo, as_of=TODAY)
    owed = one(demo, "SELECT sum(balance) FROM invoice_balances WHERE status IN ('open', 'partially_paid')")
    assert sum(aging[k] for k in AGING_KEYS) == aging["total"] == owed
    assert aging["91-120"] > 0 and aging["120+"] > 0
    assert aging["0-30"] > aging["91-120"]


# --- claims and answers ----------------------------------------------------------------------------


def test_five_to_ten_percent_of_answers_are_denials_with_a_reason_code(demo):
    answers, denied = db.read(demo, "SELECT count(*), count(*) FILTER (status_after = 'denied') FROM claim_answers")[0]
    assert 0.05 <= denied / answers <= 0.10
    reasons = db.read(demo, "SELECT DISTINCT j.group_code, j.reason_code FROM claim_answers a"
                            " JOIN claim_line_answers la ON la.answer_id = a.id"
                            " JOIN claim_line_adjustments j ON j.line_answer_id = la.id WHERE a.status_after = 'denied'")
    assert len(reasons) >= 5
    for group, code in reasons:
        assert carc.parse(f"{group}-{code}") == (group, code)
    worklist = billing.claim_work_list(demo, as_of=TODAY)
    assert worklist.denied and all(item.reasons for item in worklist.denied)
    assert worklist.unanswered  # a few claims wait more than 30 days


def test_most_claims_are_answered_two_to_six_weeks_after_the_visit(demo):
    lags = [d for (d,) in db.read(
        demo, "SELECT a.received_on - i.service_date FROM claim_answers a JOIN claims c ON c.id = a.claim_id"
              " JOIN invoices i ON i.id = c.invoice_id WHERE i.service_date < ?", [TODAY - timedelta(days=120)])]
    within = sum(14 <= d <= 42 for d in lags) / len(lags)
    assert 0.7 <= within < 1.0
    assert one(demo, "SELECT count(*) FROM claim_answers a JOIN claims c ON c.id = a.claim_id"
                     " WHERE c.submitted_at IS NULL OR a.posted_at < c.submitted_at") == 0


def test_the_last_ten_days_claims_are_sent_and_await_an_answer(demo):
    recent = dict(db.read(demo, "SELECT c.status, count(*) FROM claims c JOIN invoices i ON i.id = c.invoice_id"
                                " WHERE i.service_date >= ? GROUP BY c.status", [TODAY - timedelta(days=7)]))
    assert recent and set(recent) <= {"draft", "submitted", "accepted"}
    assert recent.get("submitted", 0) + recent.get("accepted", 0) > recent.get("draft", 0)
    assert billing.claims_awaiting_count(demo) > 0


def test_every_answer_line_adds_up_and_its_money_reached_the_invoice(small):
    # The rule of clinic.claims: charge = paid + sum(adjustments), per line.
    assert one(small, "SELECT count(*) FROM claim_line_answers la JOIN claim_lines l ON l.id = la.claim_line_id"
                      " WHERE l.charge <> la.paid + (SELECT coalesce(sum(amount), 0) FROM claim_line_adjustments j"
                      " WHERE j.line_answer_id = la.id) OR la.paid > la.allowed OR la.allowed > l.charge") == 0
    # What an answer paid is the insurer's payment, applied to the claim's invoice.
    rows = db.read(small, "SELECT a.id, (SELECT sum(paid) FROM claim_line_answers WHERE answer_id = a.id), p.amount,"
                          " p.source, (SELECT sum(amount) FROM payment_applications x WHERE x.payment_id = p.id"
                          " AND x.invoice_id = c.invoice_id) FROM claim_answers a JOIN claims c ON c.id = a.claim_id"
                          " LEFT JOIN payments p ON p.id = a.payment_id")
    assert rows
    for _answer, paid, amount, source, applied in rows:
        if paid > 0:
            assert (amount, source, applied) == (paid, "insurer", paid)
        else:
            assert amount is None
    # Claim lines mirror the invoice's lines.
    assert one(small, "SELECT count(*) FROM claim_lines l JOIN invoice_lines il ON il.id = l.invoice_line_id"
                      " WHERE l.code <> il.code OR l.charge <> il.quantity * il.unit_price") == 0


def test_every_claim_status_change_is_an_allowed_move_and_ends_at_its_status(small):
    events = db.read(small, "SELECT e.claim_id, e.from_status, e.to_status, e.changed_at, c.status FROM claim_events e"
                            " JOIN claims c ON c.id = e.claim_id ORDER BY e.claim_id, e.changed_at, e.id")
    last: dict[int, tuple[str, str]] = {}
    for claim_id, from_status, to_status, _at, status in events:
        if from_status is None:
            assert to_status == "draft" and claim_id not in last
        else:
            assert last[claim_id][0] == from_status
            assert to_status in CLAIM_MOVES[from_status], (from_status, to_status)
        last[claim_id] = (to_status, status)
    assert all(to == status for to, status in last.values())
    assert one(small, "SELECT count(*) FROM claims") == len(last)


def test_claims_go_only_to_insured_patients_payers_with_what_claims_need(small):
    assert one(small, "SELECT count(*) FROM claims c JOIN payers p ON p.id = c.payer_id WHERE p.kind = 'self_pay'"
                      " OR p.electronic_id IS NULL OR p.filing_address IS NULL OR p.timely_filing_days IS NULL") == 0
    assert one(small, "SELECT count(*) FROM claims WHERE NOT regexp_full_match(control_number, 'CD[0-9]{8}')") == 0


# --- what the billing screens show -----------------------------------------------------------------


def test_recent_visits_leave_drafts_and_a_few_unbilled_visits(small):
    drafts = db.read(small, "SELECT service_date FROM invoices WHERE status = 'draft'")
    assert drafts and all(TODAY - d <= timedelta(days=7) for (d,) in drafts)
    unbilled = billing.unbilled_visits(small, as_of=TODAY)
    assert 0 < len(unbilled) < 0.1 * one(small, "SELECT count(*) FROM invoices")
    assert all(age <= 14 for *_, age in unbilled)


def test_a_few_patients_are_on_payment_plans_that_add_up(demo):
    plans = [payment_plans.get_plan(demo, plan_id) for (plan_id,) in db.read(demo, "SELECT id FROM payment_plans")]
    assert 2 <= len(plans) <= 20
    for plan in plans:
        assert sum(s.amount for s in plan.instalments) == plan.total
        assert Decimal("0.00") <= plan.paid <= plan.total
    assert any(plan.paid > 0 for plan in plans)
    assert payment_plans.overdue_instalments(demo, as_of=TODAY)


def test_every_diagnosis_on_a_line_is_a_billable_icd10_code(small):
    on_lines = {code for (code,) in db.read(small, "SELECT DISTINCT unnest([dx1, dx2, dx3, dx4]) FROM invoice_lines")
                if code}
    assert on_lines and on_lines <= demo_fees.all_diagnoses()
    for code in sorted(demo_fees.all_diagnoses()):
        assert icd10.check_code(code) == code


def test_the_fee_schedule_prices_every_visit_types_default_lines_with_no_cpt_code(small):
    cur = small.cursor()
    try:
        for (type_id,) in cur.execute("SELECT id FROM visit_types ORDER BY id").fetchall():
            lines = fees.default_lines(cur, type_id, TODAY)
            assert lines and all(line.unit_price and line.unit_price > 0 and line.description for line in lines)
    finally:
        cur.close()
    codes = {code for (code,) in db.read(small, "SELECT DISTINCT code FROM fee_schedule")}
    hcpcs = set(demo_fees.hcpcs_slice())
    assert codes == hcpcs | set(demo_fees.PRACTICE_CODES)
    assert all(re.fullmatch(r"[A-V][0-9]{4}", code) for code in hcpcs)  # Level II, never a CPT (5 digits)
    # Invoice lines carry the price in force on their service date.
    assert one(small, "SELECT count(*) FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id"
                      " JOIN fee_schedule f ON f.code = l.code AND i.service_date BETWEEN f.effective_from"
                      " AND coalesce(f.effective_to, DATE '9999-12-31') WHERE f.price <> l.unit_price") == 0


def test_old_visits_carry_last_years_prices(demo):
    years = db.read(demo, "SELECT year(i.service_date), min(l.unit_price) FROM invoice_lines l"
                          " JOIN invoices i ON i.id = l.invoice_id WHERE l.code = 'OVEST' GROUP BY 1 ORDER BY 1")
    prices = [p for _, p in years]
    assert len(prices) >= 2 and prices == sorted(prices) and prices[0] < prices[-1]


@pytest.mark.slow
def test_the_same_seed_gives_the_same_billing(small, tmp_path):
    again = seeded_db(tmp_path / "t.duckdb")
    try:
        assert hashes(again, BILLING_HASHES) == hashes(small, BILLING_HASHES)
    finally:
        again.close()


def test_the_demo_practice_can_send_claims_with_synthetic_numbers_that_pass_their_checks(small):
    from clinic import practice
    from clinic.npi import check_tax_id, npi_ok
    from db import settings

    values = settings.get_all(small)
    assert practice.missing_identity(values) == []
    assert npi_ok(values["billing_npi"]) and check_tax_id(values["billing_tax_id"]) == values["billing_tax_id"]
    assert values["x12_usage"] == "T"  # the demo's files are test files
    npis = [r[0] for r in db.read(small, "SELECT npi FROM providers ORDER BY id")]
    assert npis and all(npi_ok(n) for n in npis) and len(set(npis)) == len(npis)
