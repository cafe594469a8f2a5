"""Payment plans, pure: instalments add up exactly, due dates by frequency, payments cover the
oldest instalment first, and overdue ones are found."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinic import payment_plans as plans
from clinic.errors import ValidationError

D = Decimal


@given(st.integers(min_value=1000, max_value=10**8), st.integers(min_value=2, max_value=36),
       st.sampled_from(plans.FREQUENCIES), st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)))
def test_a_plan_splits_the_balance_into_instalments_that_add_up_exactly(total_cents, count, frequency, first):
    total = D(total_cents) / 100
    parts = plans.split(total, count, frequency, first)
    assert sum(p.amount for p in parts) == total
    assert [p.number for p in parts] == list(range(1, count + 1))
    assert parts[0].due == first
    assert all(a.due < b.due for a, b in zip(parts, parts[1:]))
    assert max(p.amount for p in parts) - min(p.amount for p in parts) <= D("0.01")


def test_due_dates_weekly_every_two_weeks_and_monthly_keeping_the_day_of_month():
    assert plans.due_dates(date(2026, 3, 2), 3, "weekly") == [date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16)]
    assert plans.due_dates(date(2026, 3, 2), 3, "biweekly") == [date(2026, 3, 2), date(2026, 3, 16), date(2026, 3, 30)]
    assert plans.due_dates(date(2026, 1, 31), 4, "monthly") == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31),
                                                               date(2026, 4, 30)]
    assert plans.due_dates(date(2026, 11, 15), 3, "monthly")[-1] == date(2027, 1, 15)


def test_one_hundred_in_three_gives_the_odd_cent_to_the_first_instalment():
    assert [p.amount for p in plans.split(D("100.00"), 3, "monthly", date(2026, 4, 1))] == [D("33.34"), D("33.33"),
                                                                                          D("33.33")]


def test_payments_cover_the_oldest_instalment_first():
    parts = plans.split(D("100.00"), 4, "weekly", date(2026, 3, 2))
    states = plans.allocate(parts, D("60.00"))
    assert [s.paid for s in states] == [D("25.00"), D("25.00"), D("10.00"), D("0.00")]
    assert [s.left for s in states] == [D("0.00"), D("0.00"), D("15.00"), D("25.00")]
    assert plans.next_due(states).number == 3
    assert [s.number for s in plans.overdue(states, date(2026, 3, 17))] == [3]
    assert [s.number for s in plans.overdue(states, date(2026, 3, 16))] == []  # due that day: not yet overdue
    assert [s.paid for s in plans.allocate(parts, D("-5"))] == [D("0.00")] * 4
    assert plans.next_due(plans.allocate(parts, D("100.00"))) is None


@given(st.integers(min_value=0, max_value=20000), st.integers(min_value=2, max_value=12))
def test_what_is_paid_is_shared_out_without_losing_a_cent(paid_cents, count):
    parts = plans.split(D("100.00"), count, "monthly", date(2026, 1, 31))
    states = plans.allocate(parts, D(paid_cents) / 100)
    assert sum(s.paid for s in states) == min(D(paid_cents) / 100, D("100.00"))
    assert all(D(0) <= s.paid <= s.amount for s in states)


def test_plan_terms_are_checked_field_by_field():
    today = date(2026, 3, 2)
    assert plans.check_plan(D("100.00"), "4", "monthly", today, today=today) == 4
    with pytest.raises(ValidationError) as err:
        plans.check_plan(D("100.00"), "1", "daily", date(2026, 3, 1), today=today)
    assert set(err.value.errors) == {"instalments", "frequency", "first_due"}
    with pytest.raises(ValidationError) as err:
        plans.check_plan(D("12.00"), 3, "weekly", today, today=today)
    assert "at least" in err.value.errors["instalments"]
    with pytest.raises(ValidationError) as err:
        plans.check_plan(D("0.00"), 3, "weekly", today, today=today)
    assert "invoices" in err.value.errors
