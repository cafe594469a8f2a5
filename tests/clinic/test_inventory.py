"""Inventory rules: quantities, FEFO, low stock, order suggestions, days of supply, restocking."""

from __future__ import annotations

from datetime import date

import pytest

from clinic import inventory as rules
from clinic.errors import ClinicError, OutOfStock

TODAY = date(2026, 3, 2)


@pytest.mark.parametrize("typed", ["2", 2, "1,000", 3.0, " 7 "])
def test_whole_numbers_of_units_are_accepted(typed):
    assert rules.whole_quantity(typed) > 0


@pytest.mark.parametrize("typed", ["", "two", "1.5", 0, -3, "-1", None, True, float("nan"), "1e9"])
def test_a_quantity_that_is_not_a_positive_whole_number_is_refused_naming_the_field(typed):
    with pytest.raises(ClinicError) as refused:
        rules.whole_quantity(typed, field="count")
    assert refused.value.field == "count"


def test_zero_is_a_valid_count_but_not_a_valid_use():
    assert rules.whole_quantity("0", allow_zero=True) == 0
    with pytest.raises(ClinicError):
        rules.whole_quantity("0")


def lot(lot_id, expires, on_hand, kind="storeroom", location=1):
    return rules.LotStock(lot_id, location, expires, on_hand, kind)


def test_fefo_takes_the_first_to_expire_and_spills_into_the_next_lot():
    later, sooner, no_expiry = lot(1, date(2027, 1, 1), 5), lot(2, date(2026, 6, 1), 3), lot(3, None, 10)
    plan = rules.plan_fefo([later, no_expiry, sooner], 6, today=TODAY)
    assert [(s.lot_id, n) for s, n in plan] == [(2, 3), (1, 3)]


def test_fefo_never_plans_an_expired_lot_and_says_how_many_are_expired_when_short():
    expired, good = lot(1, date(2026, 3, 1), 10), lot(2, date(2026, 3, 2), 2)  # usable through its expiry day
    assert [(s.lot_id, n) for s, n in rules.plan_fefo([expired, good], 2, today=TODAY)] == [(2, 2)]
    with pytest.raises(OutOfStock) as short:
        rules.plan_fefo([expired, good], 3, today=TODAY)
    assert short.value.available == 2 and "expired" in str(short.value)


def test_fefo_prefers_the_room_over_the_storeroom_for_the_same_lot():
    plan = rules.plan_fefo([lot(1, None, 5, "storeroom", 1), lot(1, None, 5, "room", 2)], 3, today=TODAY)
    assert [(s.location_id, n) for s, n in plan] == [(2, 3)]


def test_low_counts_what_is_already_on_order():
    assert rules.is_low(on_hand=5, on_order=0, reorder_point=5)
    assert not rules.is_low(on_hand=2, on_order=10, reorder_point=5)


def test_the_suggested_order_is_whole_packs_and_covers_the_lead_time():
    # 4 on hand, reorder point 10, 3 a day over a 5-day lead time: 10 + 15 + 1 - 4 = 22 -> 3 packs of 10.
    assert rules.suggested_order(on_hand=4, on_order=0, reorder_point=10, reorder_quantity=5, pack_size=10,
                                 daily_usage=3.0, lead_time_days=5) == 30
    # The reorder quantity is the least ordered.
    assert rules.suggested_order(on_hand=4, on_order=0, reorder_point=5, reorder_quantity=50, pack_size=12,
                                 daily_usage=0.0, lead_time_days=5) == 60
    assert rules.suggested_order(on_hand=40, on_order=0, reorder_point=5, reorder_quantity=50, pack_size=12,
                                 daily_usage=1.0, lead_time_days=5) == 0


def test_days_of_supply_and_the_stock_out_date():
    assert rules.days_of_supply(30, 2.0) == 15
    assert rules.stockout_date(TODAY, 30, 2.0) == date(2026, 3, 17)
    assert rules.days_of_supply(30, 0) is None and rules.stockout_date(TODAY, 30, 0) is None


def test_a_room_is_brought_to_par_with_what_the_storeroom_has():
    assert rules.restock_need(par=10, in_room=4, in_storeroom=100) == 6
    assert rules.restock_need(par=10, in_room=4, in_storeroom=2) == 2
    assert rules.restock_need(par=10, in_room=12, in_storeroom=100) == 0


def test_a_contract_is_listed_for_renewal_sixty_days_before_it_ends():
    assert not rules.renewal_due(date(2026, 5, 2), TODAY)
    assert rules.renewal_due(date(2026, 5, 1), TODAY)
    assert rules.renewal_due(date(2026, 1, 1), TODAY)
    assert not rules.renewal_due(None, TODAY)


def test_purchase_order_moves():
    rules.check_po_move("draft", "ordered")
    rules.check_po_move("ordered", "partially_received")
    for current, to in (("received", "cancelled"), ("cancelled", "ordered"), ("draft", "received")):
        with pytest.raises(ClinicError) as refused:
            rules.check_po_move(current, to)
        assert refused.value.field == "status"
