"""Claim rules, pure: an insurer's answer checked line by line, the status it gives, its money,
where the remainder goes, hand-made moves, and the work list's days."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from clinic import claims
from clinic.claims import Adjustment, LineAnswer
from clinic.errors import BadAmount, ClinicError, InvalidClaimMove, ValidationError

D = Decimal
CHARGES = {7: (1, D("120.00")), 8: (2, D("15.00"))}


def answer(*lines: LineAnswer) -> claims.CheckedAnswer:
    return claims.check_answer(CHARGES, list(lines))


def test_a_paid_answer_with_a_contractual_cut_and_coinsurance_is_paid_and_splits_the_money():
    checked = answer(LineAnswer(7, "80.00", "60.00", [Adjustment("CO-45", "40.00"), Adjustment("pr 2", "20")]),
                     LineAnswer(8, "15", "15.00"))
    assert checked.status_after == "paid"
    assert (checked.paid, checked.write_off, checked.patient_share) == (D("75.00"), D("40.00"), D("20.00"))
    assert checked.lines[0].adjustments[1].group == "PR" and checked.lines[0].adjustments[1].reason == "2"


def test_a_line_that_does_not_add_up_names_the_line_and_the_gap():
    with pytest.raises(ValidationError) as err:
        answer(LineAnswer(7, "80.00", "60.00", [Adjustment("CO-45", "40.00")]),
               LineAnswer(8, "15.00", "10.00", [Adjustment("PR-3", "10.00")]))
    assert err.value.errors == {
        "line_7": "Line 1 does not add up: the charge is $120.00, paid plus adjustments make $100.00 ($20.00 missing).",
        "line_8": "Line 2 does not add up: the charge is $15.00, paid plus adjustments make $20.00 ($5.00 too much).",
    }


@pytest.mark.parametrize("typed, field", [
    (LineAnswer(7, "-1", "0", [Adjustment("CO-45", "121")]), "line_7_allowed"),
    (LineAnswer(7, "120", "12.345", []), "line_7_paid"),
    (LineAnswer(7, "120", "NaN", []), "line_7_paid"),
    (LineAnswer(7, "120", "0", [Adjustment("CO-45", "0")]), "line_7_adj0"),
    (LineAnswer(7, "120", "0", [Adjustment("XX-45", "120")]), "line_7_adj0"),
    (LineAnswer(7, "120", "0", [Adjustment("", "120")]), "line_7_adj0"),
    (LineAnswer(7, "130", "120", []), "line_7_allowed"),
    (LineAnswer(7, "100", "110", [Adjustment("CO-45", "10")]), "line_7_paid"),
])
def test_a_bad_amount_or_reason_is_named_by_its_field(typed, field):
    with pytest.raises(ValidationError) as err:
        answer(typed, LineAnswer(8, "15", "15"))
    assert list(err.value.errors) == [field]


def test_every_line_must_be_answered():
    with pytest.raises(ValidationError) as err:
        answer(LineAnswer(7, "120", "120"))
    assert err.value.errors == {"line_8": "Line 2: enter what the insurer said about it."}


@pytest.mark.parametrize("first, second, status", [
    # Deductible took all of line 1: processed, not denied.
    ((D("0"), [("PR-1", "120")]), (D("15"), []), "paid"),
    ((D("0"), [("CO-50", "120")]), (D("0"), [("CO-97", "15")]), "denied"),
    ((D("80"), [("CO-45", "40")]), (D("0"), [("CO-97", "15")]), "partially_paid"),
    ((D("60"), [("CO-45", "40"), ("CO-16", "20")]), (D("15"), []), "partially_paid"),
])
def test_the_status_after_follows_from_what_was_paid_and_why_not(first, second, status):
    def line(line_id, paid, adjustments):
        return LineAnswer(line_id, str(paid), str(paid), [Adjustment(r, a) for r, a in adjustments])

    assert answer(line(7, *first), line(8, *second)).status_after == status


def test_a_denial_amount_is_not_written_off():
    checked = answer(LineAnswer(7, "0", "0", [Adjustment("CO-50", "120")]), LineAnswer(8, "0", "0", [Adjustment("CO-50", "15")]))
    money = claims.answer_money(checked, balance=D("135.00"))
    assert (money.paid, money.write_off, money.balance_after) == (D("0.00"), D("0.00"), D("135.00"))


def test_more_paid_than_the_invoice_owes_is_refused():
    checked = answer(LineAnswer(7, "120", "120"), LineAnswer(8, "15", "15"))
    with pytest.raises(BadAmount, match="owes only \\$100.00"):
        claims.answer_money(checked, balance=D("100.00"))


def test_the_write_off_never_takes_the_balance_below_zero():
    # The patient already paid 50.00 of 135.00; their share was only 20.00.
    checked = answer(LineAnswer(7, "80", "60", [Adjustment("CO-45", "40"), Adjustment("PR-3", "20")]),
                     LineAnswer(8, "15", "15"))
    money = claims.answer_money(checked, balance=D("85.00"))
    assert (money.paid, money.write_off, money.not_written_off, money.balance_after) == (
        D("75.00"), D("10.00"), D("30.00"), D("0.00"))


def test_a_later_answer_posts_only_the_increase_and_refuses_a_decrease():
    checked = answer(LineAnswer(7, "80", "80", [Adjustment("CO-45", "40")]), LineAnswer(8, "15", "15"))
    money = claims.answer_money(checked, balance=D("15.00"), paid_before=D("80.00"), write_off_before=D("40.00"))
    assert (money.paid, money.write_off, money.balance_after) == (D("15.00"), D("0.00"), D("0.00"))
    with pytest.raises(BadAmount, match="less than the insurer's earlier answer"):
        claims.answer_money(checked, balance=D("15.00"), paid_before=D("100.00"))


def test_the_remainder_needs_somewhere_to_go():
    assert claims.check_remainder("secondary", balance_after=D("0.00"), has_secondary=False) == "none"
    assert claims.check_remainder("patient", balance_after=D("20.00"), has_secondary=False) == "patient"
    with pytest.raises(ClinicError, match="no secondary insurance"):
        claims.check_remainder("secondary", balance_after=D("20.00"), has_secondary=False)
    with pytest.raises(ClinicError, match=r"\$20.00 is still owed"):
        claims.check_remainder("none", balance_after=D("20.00"), has_secondary=True)


def test_hand_moves_follow_the_claim_table_and_denying_or_appealing_needs_a_reason():
    assert claims.check_hand_move("draft", "submitted", "  sent  by  fax ") == "sent by fax"
    assert claims.check_hand_move("denied", "submitted", "") is None
    with pytest.raises(ClinicError, match="Say why"):
        claims.check_hand_move("submitted", "denied", " ")
    with pytest.raises(ClinicError, match="Post the insurer's answer"):
        claims.check_hand_move("submitted", "paid", "")
    with pytest.raises(InvalidClaimMove):
        claims.check_hand_move("paid", "appealed", "they underpaid")
    with pytest.raises(ClinicError, match="submit it first"):
        claims.check_answer_move("draft", "paid")


def test_filing_days_left_and_the_work_list_flags():
    as_of = date(2026, 4, 1)
    assert claims.filing_days_left(date(2026, 1, 11), 90, as_of) == 10
    assert claims.filing_days_left(date(2026, 1, 11), None, as_of) is None
    assert claims.near_filing_limit("draft", 14) and claims.near_filing_limit("draft", -3)
    assert claims.near_filing_limit("denied", 0) and not claims.near_filing_limit("denied", -3)
    assert claims.needs_work("draft", Decimal("0.00")) and claims.needs_work("denied", Decimal("0.01"))
    assert not claims.needs_work("denied", Decimal("0.00")) and not claims.needs_work("paid", Decimal("5.00"))
    assert not claims.needs_work("partially_paid", Decimal("12.58")) and claims.needs_work("appealed", Decimal("0"))
    assert not claims.near_filing_limit("draft", 15) and not claims.near_filing_limit("submitted", 2)
    assert claims.unanswered_too_long("accepted", 31) and not claims.unanswered_too_long("accepted", 30)
    assert not claims.unanswered_too_long("denied", 90)
    assert claims.control_number(42) == "CD00000042"
