"""Billing rules, pure: amounts as typed, the words, statuses derived from the money, aging buckets,
invoice lines and diagnosis pointers, and the CARC list."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinic import billing, carc
from clinic.errors import BadAmount, ClinicError, InvalidClaimMove, InvoiceNotEditable, ValidationError, VoidRefused
from clinic.money import money_text, parse_amount, split_evenly

D = Decimal

# --- amounts ------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed, amount", [
    ("12.50", D("12.50")), ("12.5", D("12.50")), ("12", D("12.00")), (" 7.05 ", D("7.05")), ("$1,250.00", D("1250.00")),
    ("0.01", D("0.01")), (".5", D("0.50")), ("12.", D("12.00")), (D("3.10"), D("3.10")), (5, D("5.00")),
    ("999999.99", D("999999.99")),
])
def test_amounts_as_typed_become_exact_cents(typed, amount):
    parsed = parse_amount(typed)
    assert parsed == amount and isinstance(parsed, Decimal) and parsed.as_tuple().exponent == -2


@pytest.mark.parametrize("typed, words", [
    ("-1", "positive"), ("-0.50", "positive"), (D("-3"), "positive"),
    ("0", "more than zero"), ("0.00", "more than zero"), (D("0"), "more than zero"),
    ("12.345", "2 decimals"), (D("0.001"), "2 decimals"),
    ("abc", "not an amount"), ("", "Enter an amount"), ("   ", "Enter an amount"), ("1e3", "not an amount"),
    ("NaN", "not an amount"), ("nan", "not an amount"), ("Infinity", "not an amount"), ("inf", "not an amount"),
    (D("NaN"), "real amount"), (D("Infinity"), "real amount"), (D("-Infinity"), "real amount"),
    ("1,23", "not an amount"), ("+5", "not an amount"), ("12 50", "not an amount"), ("1000000", "largest"),
    (12.5, "as typed"), (float("nan"), "as typed"), (True, "as typed"), (None, "Enter an amount"),
])
def test_bad_amounts_are_refused_with_a_clear_message_naming_the_field(typed, words):
    with pytest.raises(BadAmount) as err:
        parse_amount(typed, field="payment_amount")
    assert words in str(err.value)
    assert err.value.field == "payment_amount"
    assert isinstance(err.value, ClinicError)


def test_a_zero_price_is_allowed_only_when_asked_for():
    assert parse_amount("0", allow_zero=True) == D("0.00")
    with pytest.raises(BadAmount):
        parse_amount("0")


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=60))
def test_splitting_an_amount_adds_up_exactly_and_differs_by_at_most_a_cent(total_cents, parts):
    total = D(total_cents) / 100
    shares = split_evenly(total, parts)
    assert len(shares) == parts
    assert sum(shares) == total
    assert max(shares) - min(shares) <= D("0.01")
    assert shares == sorted(shares, reverse=True)  # the odd cents go first


def test_money_reads_like_money():
    assert money_text(D("1234.5")) == "$1,234.50"
    assert money_text(D("-12")) == "-$12.00"
    assert money_text(None) == "—"


# --- the words and the moves --------------------------------------------------------------------


def test_the_words_are_exactly_the_design_cards():
    assert billing.INVOICE_STATUSES == ("draft", "open", "partially_paid", "paid", "void")
    assert billing.CLAIM_STATUSES == ("draft", "submitted", "accepted", "denied", "partially_paid", "paid", "appealed")
    assert billing.PAYMENT_METHODS == ("cash", "card", "check", "eft", "other")
    assert billing.ADJUSTMENT_KINDS == ("contractual", "write_off", "bad_debt", "small_balance", "courtesy")
    assert billing.PAYER_KINDS == ("commercial", "medicare", "medicaid", "self_pay")
    assert billing.AGING_KEYS == ("0-30", "31-60", "61-90", "91-120", "120+")


def test_the_move_tables_name_only_known_statuses():
    tables = ((billing.INVOICE_MOVES, billing.INVOICE_STATUSES), (billing.CLAIM_MOVES, billing.CLAIM_STATUSES))
    for table, words in tables:
        assert set(table) == set(words)
        assert all(set(moves) <= set(words) for moves in table.values())
    assert billing.INVOICE_MOVES["void"] == frozenset() and billing.CLAIM_MOVES["paid"] == frozenset()


def test_status_follows_the_money_and_draft_and_void_stay_put():
    charges = D("100.00")
    assert billing.derive_status("open", charges, D("100.00")) == "open"
    assert billing.derive_status("open", charges, D("40.00")) == "partially_paid"
    assert billing.derive_status("partially_paid", charges, D("0.00")) == "paid"
    assert billing.derive_status("paid", charges, D("100.00")) == "open"  # a payment reversed
    assert billing.derive_status("draft", charges, D("0.00")) == "draft"
    assert billing.derive_status("void", charges, D("0.00")) == "void"
    assert billing.derive_status("open", D("0.00"), D("0.00")) == "paid"  # a no-charge visit
    with pytest.raises(AssertionError):
        billing.derive_status("open", charges, D("-0.01"))


def test_every_status_the_money_can_give_is_an_allowed_move():
    amounts = [D("0.00"), D("40.00"), D("100.00")]
    for current in ("open", "partially_paid", "paid"):
        for balance in amounts:
            billing.check_move(current, billing.derive_status(current, D("100.00"), balance))


def test_balance_is_charges_minus_payments_minus_adjustments_plus_refunds():
    assert billing.balance(D("100"), D("30"), D("20"), D("5")) == D("55.00")
    assert billing.Totals(D("100"), D("30"), D("20"), D("5")).balance == D("55.00")


def test_claim_moves_follow_the_table():
    billing.check_claim_move("draft", "submitted")
    billing.check_claim_move("denied", "appealed")
    billing.check_claim_move("appealed", "paid")
    with pytest.raises(InvalidClaimMove) as err:
        billing.check_claim_move("paid", "denied")
    assert err.value.field == "status"
    with pytest.raises(InvalidClaimMove):
        billing.check_claim_move("draft", "paid")


def test_only_a_draft_is_edited_and_voiding_needs_no_money_applied():
    billing.check_editable("draft")
    for status in ("open", "partially_paid", "paid", "void"):
        with pytest.raises(InvoiceNotEditable):
            billing.check_editable(status)
    billing.check_can_void("open", False)
    with pytest.raises(VoidRefused):
        billing.check_can_void("open", True)
    with pytest.raises(VoidRefused):
        billing.check_can_void("void", False)
    with pytest.raises(VoidRefused):
        billing.check_can_void("open", False, in_plan=True)


def test_a_payment_applies_what_is_due_and_the_rest_is_credit():
    assert billing.split_payment(D("50.00"), D("80.00")) == (D("50.00"), D("0.00"))
    assert billing.split_payment(D("100.00"), D("80.00")) == (D("80.00"), D("20.00"))
    assert billing.split_payment(D("10.00"), D("0.00")) == (D("0.00"), D("10.00"))


def test_credit_is_drawn_from_the_pools_in_order():
    assert billing.draw([(1, D("5.00")), (2, D("20.00"))], D("12.00")) == [(1, D("5.00")), (2, D("7.00"))]
    with pytest.raises(ValueError):
        billing.draw([(1, D("5.00"))], D("6.00"))


def test_reasons_methods_and_kinds_are_checked():
    assert billing.check_reason("  wrong   patient ") == "wrong patient"
    with pytest.raises(ClinicError) as err:
        billing.check_reason(" ", field="why")
    assert err.value.field == "why"
    with pytest.raises(ClinicError):
        billing.check_method("bitcoin")
    with pytest.raises(ClinicError):
        billing.check_adjustment_kind("discount")


# --- aging -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("days, key", [(-3, "0-30"), (0, "0-30"), (30, "0-30"), (31, "31-60"), (60, "31-60"),
                                       (61, "61-90"), (90, "61-90"), (91, "91-120"), (120, "91-120"),
                                       (121, "120+"), (900, "120+")])
def test_aging_buckets_by_days_since_the_service_date(days, key):
    as_of = date(2026, 3, 2)
    assert billing.aging_bucket(as_of - timedelta(days=days), as_of) == key


@given(st.lists(st.tuples(st.integers(min_value=-10, max_value=400), st.integers(min_value=0, max_value=10**8)),
                max_size=40))
def test_aging_buckets_always_add_up_to_the_total_to_the_cent(rows):
    as_of = date(2026, 3, 2)
    aged = billing.age_balances([(as_of - timedelta(days=d), D(c) / 100) for d, c in rows], as_of)
    assert list(aged) == [*billing.AGING_KEYS, "total"]
    assert sum(aged[k] for k in billing.AGING_KEYS) == aged["total"] == sum((D(c) / 100 for _, c in rows), D("0"))


# --- lines and diagnoses -------------------------------------------------------------------------


def test_a_line_is_validated_and_its_amount_is_exact():
    line = billing.check_line(code=" 99213 ", description="Office  visit", quantity="3", unit_price="33.33",
                              diagnoses=["e119", "I10", ""], modifiers=["25"])
    assert (line.code, line.description, line.quantity, line.unit_price) == ("99213", "Office visit", 3, D("33.33"))
    assert line.diagnoses == ("E11.9", "I10") and line.modifiers == ("25",)
    assert line.amount == D("99.99")


def test_a_bad_line_names_every_bad_field():
    with pytest.raises(ValidationError) as err:
        billing.check_line(code="9", description=" ", quantity="0", unit_price="1.234",
                           diagnoses=["A00", "B01", "C02", "D03", "E04"], modifiers=["TOOLONG"])
    assert set(err.value.errors) == {"code", "description", "quantity", "unit_price", "diagnoses", "modifiers"}
    with pytest.raises(ValidationError) as err:
        billing.check_line(code="99213", description="x", quantity=1, unit_price="1", diagnoses=["not-a-code"])
    assert "ICD-10-CM" in err.value.errors["diagnoses"]


def test_diagnosis_pointers_letter_each_code_once_in_order_of_use():
    codes, pointers = billing.diagnosis_pointers([("E11.9", "I10"), ("I10",), (), ("Z00.00", "E11.9")])
    assert codes == ["E11.9", "I10", "Z00.00"]
    assert pointers == ["AB", "B", "", "CA"]
    with pytest.raises(ClinicError):
        billing.diagnosis_pointers([(f"A{n:02d}",) for n in range(13)])


# --- reason codes --------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["CO-45", "CO-97", "PR-1", "PR-2", "PR-3", "CO-16", "CO-18", "CO-29", "CO-50",
                                  "OA-23", "PI-204"])
def test_the_reason_codes_the_clerk_needs_are_known(code):
    group, reason = carc.parse(code)
    assert f"{group}-{reason}" == code
    assert carc.REASONS[reason].description


def test_reason_codes_are_read_loosely_and_unknown_or_retired_ones_are_refused():
    assert carc.parse(" co 45 ") == ("CO", "45")
    assert carc.parse("pr-1") == ("PR", "1")
    for bad in ("XX-45", "CO-9999", "", "CO-A2"):
        with pytest.raises(carc.UnknownReasonCode):
            carc.parse(bad)
    assert carc.parse("CO-A2", allow_retired=True) == ("CO", "A2")
    assert carc.label("CO", "45").startswith("CO-45: ")
    assert [k for k, _ in carc.choices()] == list(carc.COMMON)
    assert carc.PATIENT_SHARE == {"deductible": ("PR", "1"), "coinsurance": ("PR", "2"), "copay": ("PR", "3")}
