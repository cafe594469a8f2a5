"""Billing › Claims through the real app: the work list, submitting a claim, and posting an insurer's
answer line by line (a line that does not add up is refused next to it and what was typed stays;
a good answer moves the invoice's money)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import db
from db import billing
from tests.conftest import SEED_TODAY, database, query

D = Decimal


def make_claim(path, *, submit: bool = True) -> tuple[int, int, list[int]]:
    """A finalised two-line invoice (120.00 + 15.00) of a seeded insured patient and its claim."""
    with database(path) as conn:
        patient_id = db.read(
            conn, "SELECT i.patient_id FROM patient_insurance i JOIN payers p ON p.id = i.payer_id"
                  " WHERE i.rank = 1 AND i.active AND p.kind <> 'self_pay' ORDER BY i.patient_id LIMIT 1")[0][0]
        invoice_id = billing.create_invoice(conn, patient_id=patient_id, service_date=SEED_TODAY - timedelta(days=10),
                                            user="test")
        for code, description, price in (("99213", "Office visit", "120.00"), ("36415", "Blood draw", "15.00")):
            billing.add_line(conn, invoice_id, code=code, description=description, unit_price=price,
                             version=billing.get(conn, invoice_id).version, user="test", diagnoses=["I10"])
        billing.finalize_invoice(conn, invoice_id, user="test")
        claim_id = billing.create_claim(conn, invoice_id, user="test")
        if submit:
            billing.submit_claim(conn, claim_id, user="test")
        lines = [r[0] for r in db.read(conn, "SELECT id FROM claim_lines WHERE claim_id = ? ORDER BY position",
                                       [claim_id])]
    return invoice_id, claim_id, lines


def open_claim(signed_in, claim_id: int, role: str = "billing"):
    at = signed_in(role).run()
    at.switch_page("pages/claims.py").run()
    assert not at.exception, at.exception
    at.selectbox(key="claims_pick").select(claim_id).run()
    assert not at.exception, at.exception
    return at


def post(at):
    next(b for b in at.button if b.label == "Post answer").click()
    return at.run()


def test_a_line_that_does_not_add_up_is_shown_next_to_it_then_the_fixed_answer_posts_the_money(signed_in, app_env):
    invoice_id, claim_id, (visit, draw) = make_claim(app_env)
    at = open_claim(signed_in, claim_id)
    k = f"ans_{claim_id}_"
    at.text_input(key=f"{k}{visit}_allowed").input("80.00")
    at.text_input(key=f"{k}{visit}_paid").input("60.00")
    at.selectbox(key=f"{k}{visit}_r0").select("CO-45")
    at.text_input(key=f"{k}{visit}_a0").input("40.00")
    at.selectbox(key=f"{k}{visit}_r1").select("PR-2")
    at.text_input(key=f"{k}{visit}_a1").input("2O.00")  # a letter O typed for a zero
    at.text_input(key=f"{k}{draw}_allowed").input("15.00")
    at.text_input(key=f"{k}{draw}_paid").input("15.00")
    at = post(at)
    assert not at.exception, at.exception
    assert "“2O.00” is not an amount: use digits, e.g. 12.50." in [e.value for e in at.error]
    assert at.text_input(key=f"{k}{visit}_a1").value == "2O.00"
    assert at.text_input(key=f"{k}{visit}_paid").value == "60.00"
    assert query(app_env, "SELECT count(*) FROM claim_answers WHERE claim_id = ?", [claim_id]) == [(0,)]

    at.text_input(key=f"{k}{visit}_a1").input("10.00")
    at = post(at)
    assert ("Line 1 does not add up: the charge is $120.00, paid plus adjustments make $110.00 ($10.00 missing)."
            in [e.value for e in at.error])
    assert query(app_env, "SELECT count(*) FROM payment_applications WHERE invoice_id = ?", [invoice_id]) == [(0,)]

    at.text_input(key=f"{k}{visit}_a1").input("20.00")
    at.text_input(key=f"{k}reference").input("EFT 5521")
    at = post(at)
    assert not at.exception, at.exception
    assert not at.error
    assert any("Answer posted to claim" in s.value and "paid $75.00" in s.value for s in at.success)
    with database(app_env) as conn:
        totals = billing.invoice_totals(conn, invoice_id)
        assert (totals["payments"], totals["adjustments"], totals["balance"], totals["status"]) == (
            D("75.00"), D("40.00"), D("20.00"), "partially_paid")
        assert billing.get_claim(conn, claim_id).status == "paid"
    assert query(app_env, "SELECT p.source, p.reference, u.username FROM payments p JOIN users u ON u.id = p.received_by"
                          " JOIN payment_applications a ON a.payment_id = p.id WHERE a.invoice_id = ?",
                 [invoice_id]) == [("insurer", "EFT 5521", "billing")]


def test_a_draft_claim_is_submitted_from_its_page_and_leaves_a_dated_event(signed_in, app_env):
    _invoice, claim_id, _lines = make_claim(app_env, submit=False)
    at = open_claim(signed_in, claim_id, "manager")
    assert not [b for b in at.button if b.label == "Post answer"]
    next(b for b in at.button if b.label == "Submit").click()
    at.run()
    assert not at.exception, at.exception
    assert query(app_env, "SELECT status, submitted_at IS NOT NULL FROM claims WHERE id = ?", [claim_id]) == [
        ("submitted", True)]
    assert query(app_env, "SELECT e.from_status, e.to_status, u.username FROM claim_events e JOIN users u"
                          " ON u.id = e.by_user WHERE claim_id = ? AND e.from_status IS NOT NULL", [claim_id]) == [
        ("draft", "submitted", "manager")]
    with database(app_env) as conn:
        count, total = billing.claims_awaiting_count(conn), billing.claims_awaiting_total(conn)
    assert next(m.value for m in at.metric if m.label == "Awaiting an answer") == f"{count:,}"
    assert next(m.value for m in at.metric if m.label == "Billed on those claims") == f"${total:,}"


def test_a_denied_claim_is_listed_with_its_reason_and_opens_with_its_answer(signed_in, app_env):
    _invoice, claim_id, (visit, draw) = make_claim(app_env)
    with database(app_env) as conn:
        billing.post_answer(conn, claim_id, received_on=SEED_TODAY, remainder_to="patient", user="test", lines=[
            billing.LineAnswer(visit, "0", "0", [billing.Adjustment("CO-197", "120.00")]),
            billing.LineAnswer(draw, "0", "0", [billing.Adjustment("CO-197", "15.00")])])
        control = billing.get_claim(conn, claim_id).control_number
    at = open_claim(signed_in, claim_id)
    denied = next(d.value for d in at.dataframe if "reasons" in d.value.columns).set_index("claim")
    assert denied.loc[control, "reasons"].startswith("CO-197: Precertification")
    assert [b.label for b in at.button if b.label in ("Appeal", "Resubmit", "Post answer")] == ["Resubmit", "Appeal"]
    next(b for b in at.button if b.label == "Appeal").click()
    at.run()
    assert "Say what the appeal argues." in [e.value for e in at.error]
    assert query(app_env, "SELECT status FROM claims WHERE id = ?", [claim_id]) == [("denied",)]


def test_a_long_work_list_lists_the_most_urgent_claims_and_says_how_many_there_are(signed_in, app_env,
                                                                                  monkeypatch):
    from components.claims import work_list

    monkeypatch.setattr(work_list, "LIST_LIMIT", 3)
    with database(app_env) as conn:
        work = billing.claim_work_list(conn, as_of=SEED_TODAY)
    assert len(work.open_items) > 3
    at = signed_in("billing").run()
    at.switch_page("pages/claims.py").run()
    assert not at.exception, at.exception
    listed = at.dataframe[1].value  # after the counts by status
    assert list(listed["claim"]) == [i.control_number for i in work.open_items[:3]]
    assert any(f"The first 3 of these {len(work.open_items):,} claims are listed" in c.value for c in at.caption)
    assert at.selectbox(key="claims_pick").options == [work_list.item_label(i) for i in work.open_items[:3]]
