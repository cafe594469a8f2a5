"""Inventory › Stock through the real app: receiving shows the new on-hand, a lot-tracked item is
refused without its lot and expiry, using more than is in stock or typing a non-number is refused
next to the quantity with what was typed kept and nothing written, and writing off an expired lot."""

from __future__ import annotations

from datetime import timedelta

import pytest

from clinic import timeutil
from db import inventory
from tests.conftest import SEED_TODAY, TZ, database, query
from tests.db.inventory_factories import make_item, stock

PAGE = "pages/inventory.py"
RECEIVE, USE, EXPIRY = 1, 2, 6  # tab positions


@pytest.fixture
def items(app_env):
    with database(app_env) as conn:
        gloves = make_item(conn, name="Nitrile gloves, medium", unit="box of 100", reorder_point=4)
        vaccine = make_item(conn, name="Influenza vaccine", category="vaccine", unit="dose", lot_tracked=True,
                            reorder_point=2)
        stock(conn, gloves, 3)
        old = stock(conn, vaccine, 5, lot_number="FLU-OLD", expires_on=SEED_TODAY - timedelta(days=2))
    return {"gloves": gloves, "vaccine": vaccine, "old_lot": old}


def open_page(signed_in, role: str = "front_desk"):
    at = signed_in(role).run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def movement_count(path) -> int:
    return query(path, "SELECT count(*) FROM stock_movements")[0][0]


def on_hand(path, item_id: int) -> int:
    with database(path) as conn:
        return inventory.on_hand(conn, item_id)


def stock_row(at, sku: str):
    table = next(df.value for df in at.dataframe if "Status" in df.value.columns)
    return table[table["SKU"] == sku].iloc[0]


def test_receiving_through_the_page_shows_the_new_on_hand(signed_in, app_env, items):
    at = open_page(signed_in)
    sku = query(app_env, "SELECT sku FROM stock_items WHERE id = ?", [items["gloves"]])[0][0]
    assert (stock_row(at, sku)["On hand"], stock_row(at, sku)["Status"]) == (3, "Low")
    at.selectbox(key="stk_recv_item_id").set_value(items["gloves"]).run()
    at.text_input(key="stk_recv_quantity").input("4")
    at.button(key="stk_recv_save").click().run()
    assert not at.exception, at.exception
    assert on_hand(app_env, items["gloves"]) == 7
    assert any("in the clinic: 7 × box of 100" in s.value for s in at.tabs[RECEIVE].success)
    assert (stock_row(at, sku)["On hand"], stock_row(at, sku)["Status"]) == (7, "OK")
    assert at.text_input(key="stk_recv_quantity").value == ""  # ready for the next delivery


def test_a_lot_tracked_item_needs_its_lot_number_and_expiry_and_nothing_is_written(signed_in, app_env, items):
    at = open_page(signed_in)
    before = movement_count(app_env)
    at.selectbox(key="stk_recv_item_id").set_value(items["vaccine"]).run()
    at.text_input(key="stk_recv_quantity").input("10")
    at.button(key="stk_recv_save").click().run()
    lot_col, expiry_col = at.tabs[RECEIVE].columns[3:5]
    assert "enter the lot number" in lot_col.error[0].value
    assert "enter the expiry date" in expiry_col.error[0].value
    assert movement_count(app_env) == before
    assert at.text_input(key="stk_recv_quantity").value == "10"


def test_using_more_than_is_in_stock_is_refused_next_to_the_quantity(signed_in, app_env, items):
    at = open_page(signed_in)
    before = movement_count(app_env)
    at.selectbox(key="stk_use_item_id").set_value(items["gloves"]).run()
    at.text_input(key="stk_use_quantity").input("5")
    at.button(key="stk_use_save").click().run()
    assert not at.exception, at.exception
    quantity_col = at.tabs[USE].columns[0]
    assert "Not enough Nitrile gloves, medium in stock: 3 box of 100 usable, 5 asked for" in quantity_col.error[0].value
    assert at.text_input(key="stk_use_quantity").value == "5"
    assert movement_count(app_env) == before and on_hand(app_env, items["gloves"]) == 3


@pytest.mark.parametrize("typed", ["two", "1.5", "-1"])
def test_a_quantity_that_is_not_a_whole_number_gets_a_message_and_writes_nothing(signed_in, app_env, items, typed):
    at = open_page(signed_in)
    before = movement_count(app_env)
    at.selectbox(key="stk_use_item_id").set_value(items["gloves"]).run()
    at.text_input(key="stk_use_quantity").input(typed)
    at.button(key="stk_use_save").click().run()
    assert "whole number" in at.tabs[USE].columns[0].error[0].value
    assert at.text_input(key="stk_use_quantity").value == typed
    assert movement_count(app_env) == before


def test_an_expired_lot_is_written_off_from_the_expiry_tab(signed_in, app_env, items):
    at = open_page(signed_in)
    today = timeutil.today(TZ)
    assert today > SEED_TODAY - timedelta(days=2)
    storeroom = query(app_env, "SELECT id FROM stock_locations WHERE kind = 'storeroom'")[0][0]
    at.button(key=f"stk_writeoff_{items['old_lot']}_{storeroom}").click().run()
    assert not at.exception, at.exception
    assert on_hand(app_env, items["vaccine"]) == 0
    assert query(app_env, "SELECT sum(quantity) FROM stock_movements WHERE kind = 'expired'")[0][0] == -5
    assert any("Wrote off 5 of Influenza vaccine" in s.value for s in at.success)
    assert f"stk_writeoff_{items['old_lot']}_{storeroom}" not in [b.key for b in at.button]
