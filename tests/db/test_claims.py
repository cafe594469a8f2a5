"""Insurance claims against a real DuckDB file: a claim made from a finalised invoice of an insured
patient, its moves and history, posting the insurer's answer with its money (checked through
db.billing.invoice_totals, to the cent), the secondary claim, refusals that write nothing, and the
work list's groups."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

import db
from clinic import timeutil
from clinic.errors import BadAmount, ClinicError, InvalidClaimMove, NotAllowed, ValidationError
from db import billing, payers, users
from db.claim_answers import Adjustment, claim_answers
from db.claims import claim_events, claim_lines
from tests.conftest import make_patient, make_user
from tests.db.billing_factories import SERVICE_DAY, check_ledger, make_fees

D = Decimal
NOW = datetime(2026, 4, 1, 15, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def clock():
    timeutil.set_clock(NOW)
    yield
    timeutil.set_clock(None)


@pytest.fixture
def clerk(conn):
    make_fees(conn)
    return users.get(conn, make_user(conn, username="clerk", role="billing"))


def make_payer(conn, name: str, *, kind: str = "commercial", timely_filing_days: int | None = 90) -> int:
    payer_id = payers.save(conn, name=name, payer_code=name[:4].upper(), kind=kind, by="test")
    db.read(conn, "UPDATE payers SET timely_filing_days = ? WHERE id = ?", [timely_filing_days, payer_id])
    return payer_id


def insure(conn, patient_id: int, payer_id: int, *, rank: int = 1, member_id: str = "M123") -> None:
    conn.cursor().execute(
        "INSERT INTO patient_insurance (patient_id, rank, payer_id, member_id, group_number, subscriber_name)"
        " VALUES (?, ?, ?, ?, 'G-77', 'Alex Test')", [patient_id, rank, payer_id, member_id])


def insured_patient(conn, *, secondary: bool = False) -> int:
    patient_id = make_patient(conn)
    insure(conn, patient_id, make_payer(conn, f"Blue Harbor {patient_id}"))
    if secondary:
        insure(conn, patient_id, make_payer(conn, f"Medicare {patient_id}", kind="medicare"), rank=2, member_id="S9")
    return patient_id


def two_line_invoice(conn, patient_id: int, *, service_date: date = SERVICE_DAY, finalize: bool = True) -> int:
    """99213 office visit 120.00 (E11.9, I10) + 36415 blood draw 15.00 (I10): 135.00."""
    invoice_id = billing.create_invoice(conn, patient_id=patient_id, service_date=service_date, user="test")
    billing.add_line(conn, invoice_id, code="99213", version=billing.get(conn, invoice_id).version, user="test",
                     diagnoses=["E11.9", "I10"])
    billing.add_line(conn, invoice_id, code="36415", version=billing.get(conn, invoice_id).version, user="test",
                     diagnoses=["I10"])
    if finalize:
        billing.finalize_invoice(conn, invoice_id, user="test")
    return invoice_id


def submitted_claim(conn, clerk, *, secondary: bool = False) -> tuple[int, int]:
    invoice_id = two_line_invoice(conn, insured_patient(conn, secondary=secondary))
    claim_id = billing.create_claim(conn, invoice_id, user=clerk)
    billing.submit_claim(conn, claim_id, user=clerk)
    return invoice_id, claim_id


def line_ids(conn, claim_id: int) -> tuple[int, int]:
    first, second = (line.id for line in claim_lines(conn, claim_id))
    return first, second


def written(conn) -> tuple:
    return db.read(conn, "SELECT (SELECT count(*) FROM payments), (SELECT count(*) FROM adjustments),"
                         " (SELECT count(*) FROM claim_answers), (SELECT count(*) FROM claim_line_answers),"
                         " (SELECT count(*) FROM claim_line_adjustments), (SELECT count(*) FROM claims),"
                         " (SELECT count(*) FROM claim_events), (SELECT count(*) FROM audit_log)")[0]


# --- making a claim ------------------------------------------------------------------------------


def test_a_claim_mirrors_the_invoice_lines_and_copies_the_coverage(conn, clerk):
    patient_id = insured_patient(conn)
    invoice_id = two_line_invoice(conn, patient_id)
    claim_id = billing.create_claim(conn, invoice_id, user=clerk)

    claim = billing.get_claim(conn, claim_id)
    assert (claim.status, claim.rank, claim.patient_id, claim.member_id, claim.group_number) == (
        "draft", 1, patient_id, "M123", "G-77")
    assert claim.control_number == f"CD{claim_id:08d}"
    assert claim.total_charge == D("135.00") and claim.diagnoses == ("E11.9", "I10")
    assert [(x.code, x.quantity, x.charge, x.pointers) for x in claim_lines(conn, claim_id)] == [
        ("99213", 1, D("120.00"), "A,B"), ("36415", 1, D("15.00"), "B")]
    assert [c.id for c in billing.claims_for_invoice(conn, invoice_id)] == [claim_id]
    # A later change to the patient's coverage does not rewrite the claim.
    db.read(conn, "UPDATE patient_insurance SET member_id = 'NEW' WHERE patient_id = ?", [patient_id])
    assert billing.get_claim(conn, claim_id).member_id == "M123"
    assert [(e.from_status, e.to_status) for e in claim_events(conn, claim_id)] == [(None, "draft")]


def test_a_second_claim_to_the_same_insurer_is_refused(conn, clerk):
    invoice_id = two_line_invoice(conn, insured_patient(conn))
    claim_id = billing.create_claim(conn, invoice_id, user=clerk)
    with pytest.raises(ClinicError, match=f"already has a primary claim \\(CD{claim_id:08d}\\)"):
        billing.create_claim(conn, invoice_id, user=clerk)
    assert len(billing.claims_for_invoice(conn, invoice_id)) == 1


@pytest.mark.parametrize("case, message", [
    ("draft", "Finalise the invoice"),
    ("uninsured", "no primary insurance"),
    ("self_pay", "no primary insurance"),
    ("secondary_first", "Post the primary insurer's answer"),
])
def test_a_claim_is_refused_when_the_invoice_or_the_coverage_does_not_allow_it(conn, clerk, case, message):
    patient_id = make_patient(conn) if case in ("uninsured", "self_pay") else insured_patient(conn, secondary=True)
    if case == "self_pay":
        insure(conn, patient_id, make_payer(conn, "Self", kind="self_pay"))
    invoice_id = two_line_invoice(conn, patient_id, finalize=case != "draft")
    before = written(conn)
    with pytest.raises(ClinicError, match=message):
        billing.create_claim(conn, invoice_id, user=clerk, rank=2 if case == "secondary_first" else 1)
    assert written(conn) == before


def test_only_the_billing_office_makes_claims(conn, clerk):
    desk = users.get(conn, make_user(conn, username="desk", role="front_desk"))
    invoice_id = two_line_invoice(conn, insured_patient(conn))
    with pytest.raises(NotAllowed):
        billing.create_claim(conn, invoice_id, user=desk)


# --- moves ---------------------------------------------------------------------------------------


def test_moves_are_dated_by_whom_and_audited_and_a_denial_by_hand_needs_a_reason(conn, clerk):
    _invoice, claim_id = submitted_claim(conn, clerk)
    assert billing.get_claim(conn, claim_id).submitted_at == NOW
    billing.change_claim_status(conn, claim_id, "accepted", user=clerk)
    with pytest.raises(ClinicError, match="Say why") as err:
        billing.change_claim_status(conn, claim_id, "denied", user=clerk, note="")
    assert err.value.field == "note"
    billing.change_claim_status(conn, claim_id, "denied", user=clerk, note="Coverage ended in January")
    with pytest.raises(InvalidClaimMove):
        billing.change_claim_status(conn, claim_id, "accepted", user=clerk)
    with pytest.raises(ClinicError, match="Post the insurer's answer"):
        billing.change_claim_status(conn, claim_id, "paid", user=clerk)
    billing.submit_claim(conn, claim_id, user=clerk)  # corrected and sent again

    events = claim_events(conn, claim_id)
    assert [(e.from_status, e.to_status) for e in events] == [
        (None, "draft"), ("draft", "submitted"), ("submitted", "accepted"), ("accepted", "denied"),
        ("denied", "submitted")]
    assert events[3].note == "Coverage ended in January" and {e.by_name for e in events} == {clerk.full_name}
    assert db.read(conn, "SELECT count(*) FROM audit_log WHERE action = 'claim.status' AND entity_id = ?",
                   [str(claim_id)])[0][0] == 4


# --- posting an answer ---------------------------------------------------------------------------


def test_a_paid_answer_posts_the_payment_and_the_contractual_write_off_and_leaves_the_patient_share(conn, clerk):
    invoice_id, claim_id = submitted_claim(conn, clerk)
    visit, draw = line_ids(conn, claim_id)
    answer_id = billing.post_answer(conn, claim_id, received_on=date(2026, 3, 30), remainder_to="patient", user=clerk,
                                    reference="EFT 991", lines=[
        billing.LineAnswer(visit, allowed="80.00", paid="60.00",
                           adjustments=[Adjustment("CO-45", "40.00"), Adjustment("PR-2", "20.00")]),
        billing.LineAnswer(draw, allowed="15.00", paid="15.00"),
    ])

    totals = billing.invoice_totals(conn, invoice_id)
    assert (totals["charges"], totals["payments"], totals["adjustments"], totals["balance"], totals["status"]) == (
        D("135.00"), D("75.00"), D("40.00"), D("20.00"), "partially_paid")
    claim = billing.get_claim(conn, claim_id)
    assert claim.status == "paid" and claim.answered_at == NOW
    (answer,) = claim_answers(conn, claim_id)
    assert answer.id == answer_id and answer.paid == D("75.00") and answer.remainder_to == "patient"
    assert answer.lines[0].adjustments == (("CO", "45", D("40.00"), None), ("PR", "2", D("20.00"), None))
    payment = billing.get_payment(conn, answer.payment_id)
    assert (payment.source, payment.payer_id, payment.reference, payment.method) == (
        "insurer", claim.payer_id, "EFT 991", "eft")
    reason = db.read(conn, "SELECT kind, reason FROM adjustments WHERE invoice_id = ?", [invoice_id])[0]
    assert reason[0] == "contractual" and "CO-45" in reason[1] and claim.control_number in reason[1]
    # The 20.00 left is now the patient's (no claim waits any more).
    assert db.read(conn, "SELECT responsibility, balance FROM invoice_ar WHERE invoice_id = ?", [invoice_id]) == [
        ("patient", D("20.00"))]
    check_ledger(conn)


def test_a_denial_posts_no_money_and_keeps_the_reason_for_the_work_list(conn, clerk):
    invoice_id, claim_id = submitted_claim(conn, clerk)
    visit, draw = line_ids(conn, claim_id)
    billing.post_answer(conn, claim_id, received_on=date(2026, 3, 30), remainder_to="patient", user=clerk, lines=[
        billing.LineAnswer(visit, allowed="0", paid="0", adjustments=[Adjustment("CO-50", "120.00", "not necessary")]),
        billing.LineAnswer(draw, allowed="0", paid="0", adjustments=[Adjustment("CO-50", "15.00")]),
    ])
    assert billing.get_claim(conn, claim_id).status == "denied"
    # A denial reason (CO-50) is not a contractual write-off: nothing leaves the invoice.
    assert billing.invoice_totals(conn, invoice_id)["balance"] == D("135.00")
    assert billing.invoice_totals(conn, invoice_id)["adjustments"] == D("0.00")
    assert db.read(conn, "SELECT count(*) FROM payments")[0][0] == 0
    work = billing.claim_work_list(conn, as_of=date(2026, 4, 1))
    (denied,) = work.denied
    assert denied.claim_id == claim_id and denied.reasons[0].startswith("CO-50:")


def test_a_line_that_does_not_add_up_is_refused_by_name_and_writes_nothing(conn, clerk):
    invoice_id, claim_id = submitted_claim(conn, clerk)
    visit, draw = line_ids(conn, claim_id)
    before = written(conn)
    with pytest.raises(ValidationError) as err:
        billing.post_answer(conn, claim_id, received_on=date(2026, 3, 30), remainder_to="patient", user=clerk, lines=[
            billing.LineAnswer(visit, allowed="80.00", paid="60.00", adjustments=[Adjustment("CO-45", "40.00")]),
            billing.LineAnswer(draw, allowed="15.00", paid="15.00"),
        ])
    assert err.value.errors == {f"line_{visit}": "Line 1 does not add up: the charge is $120.00, paid plus "
                                                 "adjustments make $100.00 ($20.00 missing)."}
    assert written(conn) == before
    assert billing.invoice_totals(conn, invoice_id)["balance"] == D("135.00")
    assert billing.get_claim(conn, claim_id).status == "submitted"


def test_an_insurer_paying_more_than_the_invoice_owes_is_refused(conn, clerk):
    invoice_id, claim_id = submitted_claim(conn, clerk)
    billing.post_patient_payment(conn, invoice_id=invoice_id, amount="100.00", method="cash", user=clerk)
    visit, draw = line_ids(conn, claim_id)
    before = written(conn)
    with pytest.raises(BadAmount, match="owes only \\$35.00"):
        billing.post_answer(conn, claim_id, received_on=date(2026, 3, 30), remainder_to="patient", user=clerk, lines=[
            billing.LineAnswer(visit, allowed="120.00", paid="120.00"),
            billing.LineAnswer(draw, allowed="15.00", paid="15.00"),
        ])
    assert written(conn) == before


def test_the_copay_paid_at_check_out_leaves_nothing_owed_after_the_answer(conn, clerk):
    invoice_id, claim_id = submitted_claim(conn, clerk)
    billing.post_patient_payment(conn, invoice_id=invoice_id, amount="20.00", method="card", user=clerk)
    visit, draw = line_ids(conn, claim_id)
    billing.post_answer(conn, claim_id, received_on=date(2026, 3, 30), remainder_to="patient", user=clerk, lines=[
        billing.LineAnswer(visit, allowed="80.00", paid="60.00",
                           adjustments=[Adjustment("CO-45", "40.00"), Adjustment("PR-3", "20.00")]),
        billing.LineAnswer(draw, allowed="15.00", paid="15.00"),
    ])
    totals = billing.invoice_totals(conn, invoice_id)
    assert (totals["balance"], totals["status"]) == (D("0.00"), "paid")
    assert claim_answers(conn, claim_id)[0].remainder_to == "none"
    check_ledger(conn)


def test_the_remainder_goes_to_a_secondary_claim_in_the_same_transaction(conn, clerk):
    invoice_id, claim_id = submitted_claim(conn, clerk, secondary=True)
    visit, draw = line_ids(conn, claim_id)
    billing.post_answer(conn, claim_id, received_on=date(2026, 3, 30), remainder_to="secondary", user=clerk, lines=[
        billing.LineAnswer(visit, allowed="100.00", paid="80.00",
                           adjustments=[Adjustment("CO-45", "20.00"), Adjustment("PR-1", "20.00")]),
        billing.LineAnswer(draw, allowed="15.00", paid="15.00"),
    ])
    primary, secondary = billing.claims_for_invoice(conn, invoice_id)
    assert (primary.status, secondary.rank, secondary.status, secondary.primary_claim_id) == (
        "paid", 2, "draft", claim_id)
    assert secondary.member_id == "S9" and secondary.payer_id != primary.payer_id
    assert db.read(conn, "SELECT responsibility, claim_id, balance FROM invoice_ar WHERE invoice_id = ?",
                   [invoice_id]) == [("insurance", secondary.id, D("20.00"))]


def test_a_remainder_for_a_secondary_the_patient_does_not_have_is_refused_and_writes_nothing(conn, clerk):
    _invoice, claim_id = submitted_claim(conn, clerk)
    visit, draw = line_ids(conn, claim_id)
    before = written(conn)
    with pytest.raises(ClinicError, match="no secondary insurance") as err:
        billing.post_answer(conn, claim_id, received_on=date(2026, 3, 30), remainder_to="secondary", user=clerk, lines=[
            billing.LineAnswer(visit, allowed="100.00", paid="80.00",
                               adjustments=[Adjustment("CO-45", "20.00"), Adjustment("PR-1", "20.00")]),
            billing.LineAnswer(draw, allowed="15.00", paid="15.00"),
        ])
    assert err.value.field == "remainder_to" and written(conn) == before


def test_an_appeal_answered_later_posts_only_what_the_insurer_adds(conn, clerk):
    invoice_id, claim_id = submitted_claim(conn, clerk)
    visit, draw = line_ids(conn, claim_id)
    billing.post_answer(conn, claim_id, received_on=date(2026, 3, 20), remainder_to="patient", user=clerk, lines=[
        billing.LineAnswer(visit, allowed="80.00", paid="80.00", adjustments=[Adjustment("CO-45", "40.00")]),
        billing.LineAnswer(draw, allowed="0", paid="0", adjustments=[Adjustment("CO-97", "15.00")]),
    ])
    assert billing.get_claim(conn, claim_id).status == "partially_paid"
    billing.change_claim_status(conn, claim_id, "appealed", user=clerk, note="Blood draw is separate")
    billing.post_answer(conn, claim_id, received_on=date(2026, 3, 31), remainder_to="patient", user=clerk, lines=[
        billing.LineAnswer(visit, allowed="80.00", paid="80.00", adjustments=[Adjustment("CO-45", "40.00")]),
        billing.LineAnswer(draw, allowed="15.00", paid="15.00"),
    ])
    totals = billing.invoice_totals(conn, invoice_id)
    assert (totals["payments"], totals["adjustments"], totals["balance"], totals["status"]) == (
        D("95.00"), D("40.00"), D("0.00"), "paid")
    assert billing.get_claim(conn, claim_id).status == "paid"
    check_ledger(conn)


def test_an_answer_to_a_claim_not_yet_sent_is_refused(conn, clerk):
    invoice_id = two_line_invoice(conn, insured_patient(conn))
    claim_id = billing.create_claim(conn, invoice_id, user=clerk)
    visit, draw = line_ids(conn, claim_id)
    with pytest.raises(ClinicError, match="submit it first"):
        billing.post_answer(conn, claim_id, received_on=date(2026, 3, 30), remainder_to="patient", user=clerk, lines=[
            billing.LineAnswer(visit, allowed="120.00", paid="120.00"),
            billing.LineAnswer(draw, allowed="15.00", paid="15.00")])


# --- the work list -------------------------------------------------------------------------------


def test_the_work_list_groups_claims_by_status_age_silence_and_filing_limit(conn, clerk):
    as_of = date(2026, 4, 1)
    # Sent 45 days ago and never answered.
    timeutil.set_clock(NOW - timedelta(days=45))
    _i, old = submitted_claim(conn, clerk)
    timeutil.set_clock(NOW)
    # Sent yesterday.
    _i, fresh = submitted_claim(conn, clerk)
    # A draft whose payer allows 90 days, for a service 80 days ago: 10 days left.
    late_patient = insured_patient(conn)
    late_invoice = two_line_invoice(conn, late_patient, service_date=as_of - timedelta(days=80))
    late = billing.create_claim(conn, late_invoice, user=clerk)
    # A draft with plenty of time left.
    calm = billing.create_claim(conn, two_line_invoice(conn, insured_patient(conn), service_date=as_of), user=clerk)

    work = billing.claim_work_list(conn, as_of=as_of)
    counts = {s.status: s.count for s in work.by_status}
    assert counts["submitted"] == 2 and counts["draft"] == 2 and counts["paid"] == 0
    assert [i.claim_id for i in work.unanswered] == [old] and work.unanswered[0].days_since_submitted == 45
    assert [(i.claim_id, i.filing_days_left) for i in work.near_filing_limit] == [(late, 10)]
    assert {i.claim_id for i in work.open_items} == {old, fresh, late, calm}
    assert billing.claims_awaiting_count(conn) == 2
    assert billing.claims_awaiting_total(conn) == D("270.00")


def test_a_denial_whose_invoice_is_settled_leaves_the_work_list(conn, clerk):
    invoice_id, claim_id = submitted_claim(conn, clerk)
    billing.change_claim_status(conn, claim_id, "denied", user=clerk, note="Not covered")
    work = billing.claim_work_list(conn, as_of=date(2026, 4, 1))
    assert [i.claim_id for i in work.denied] == [claim_id]
    assert work.denied[0].reasons == ("Not covered",)
    owed = billing.invoice_totals(conn, invoice_id)["balance"]
    billing.adjust_invoice(conn, invoice_id=invoice_id, kind="write_off", amount=owed, reason="Not worth appealing",
                           user=clerk)
    work = billing.claim_work_list(conn, as_of=date(2026, 4, 1))
    assert work.denied == [] and claim_id not in {i.claim_id for i in work.open_items}
    assert {s.status: s.count for s in work.by_status}["denied"] == 1  # still counted by status


def test_two_clerks_posting_the_same_answer_at_once_post_it_once(conn, clerk):
    import threading

    invoice_id, claim_id = submitted_claim(conn, clerk)
    visit, draw = line_ids(conn, claim_id)
    lines = [billing.LineAnswer(visit, allowed="80.00", paid="80.00", adjustments=[Adjustment("CO-45", "40.00")]),
             billing.LineAnswer(draw, allowed="15.00", paid="15.00")]
    start = threading.Barrier(4)
    outcomes: list[str] = []

    def clerk_posts() -> None:
        start.wait()
        try:
            billing.post_answer(conn, claim_id, lines=lines, received_on=date(2026, 3, 30), remainder_to="patient",
                                user=clerk)
            outcomes.append("posted")
        except ClinicError as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=clerk_posts) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("posted") == 1, outcomes
    assert len(claim_answers(conn, claim_id)) == 1
    totals = billing.invoice_totals(conn, invoice_id)
    assert (totals["payments"], totals["adjustments"], totals["balance"]) == (D("95.00"), D("40.00"), D("0.00"))
    check_ledger(conn)
