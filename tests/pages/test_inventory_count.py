"""Inventory › Stock, Count and Restock tabs through the real app: counting a room (edit a count,
review the differences, record them as 'count' adjustments), a bad count refused under the table
with what was typed kept, and recording the morning restock list in one click."""

from __future__ import annotations

import pytest

from db import inventory
from tests.conftest import database, query
from tests.db.inventory_factories import make_item, make_location, stock

PAGE = "pages/inventory.py"
COUNT, RESTOCK = 4, 5  # tab positions


@pytest.fixture
def room(app_env):
    with database(app_env) as conn:
        room = make_location(conn, "Exam room 9")
        gloves = make_item(conn, sku="CNT-GLV", name="Count gloves", unit="box of 100")
        gauze = make_item(conn, sku="CNT-GZE", name="Count gauze", unit="pack")
        stock(conn, gloves, 10, location_id=room)
        stock(conn, gauze, 4, location_id=room)
        stock(conn, gloves, 30)  # storeroom
        conn.execute("INSERT INTO stock_par_levels (location_id, item_id, par) VALUES (?, ?, 12)", [room, gloves])
    return {"room": room, "gloves": gloves, "gauze": gauze}


def open_count(signed_in, room_id: int):
    at = signed_in("front_desk").run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    at.selectbox(key="stk_count_location").set_value(room_id).run()
    at.selectbox(key="stk_count_category").set_value("supply").run()
    assert not at.exception, at.exception
    return at


def sheet(at):
    return next(df.value for df in at.tabs[COUNT].dataframe if "Counted" in df.value.columns
                and "Expected" in df.value.columns)


def expected_by_sku(at) -> dict[str, int]:
    table = sheet(at)
    return {sku: n for sku, n in zip(table["SKU"], table["Expected"]) if sku.startswith("CNT-")}


def type_counts(at, room_id: int, counts: dict[str, str]) -> None:
    rows = list(sheet(at)["SKU"])
    at.session_state[f"stk_count_editor_{room_id}_supply_0"] = {
        "edited_rows": {rows.index(sku): {"Counted": value} for sku, value in counts.items()},
        "added_rows": [], "deleted_rows": []}


def adjustments(path) -> list[tuple]:
    return query(path, "SELECT i.sku, m.quantity, m.reason FROM stock_movements m JOIN stock_items i"
                       " ON i.id = m.item_id WHERE m.kind = 'adjustment' AND i.sku LIKE 'CNT-%' ORDER BY i.sku")


def test_counting_a_room_records_the_differences_after_review(signed_in, app_env, room):
    at = open_count(signed_in, room["room"])
    assert expected_by_sku(at) == {"CNT-GZE": 4, "CNT-GLV": 10}

    type_counts(at, room["room"], {"CNT-GLV": "8", "CNT-GZE": "5"})
    at.button(key="stk_count_review_button").click().run()
    assert not at.exception, at.exception
    review = next(df.value for df in at.tabs[COUNT].dataframe if "Change" in df.value.columns)
    assert list(zip(review["SKU"], review["Change"])) == [("CNT-GZE", "+1 pack"), ("CNT-GLV", "-2 box of 100")]
    assert adjustments(app_env) == []  # nothing written by reviewing

    at.button(key="stk_count_record").click().run()
    assert not at.exception, at.exception
    assert adjustments(app_env) == [("CNT-GLV", -2, "count"), ("CNT-GZE", 1, "count")]
    assert any("2 adjustments" in s.value for s in at.success)
    assert expected_by_sku(at) == {"CNT-GZE": 5, "CNT-GLV": 8}  # a fresh sheet, with the counted stock


def test_a_fractional_count_is_refused_under_the_table_and_nothing_is_written(signed_in, app_env, room):
    at = open_count(signed_in, room["room"])
    type_counts(at, room["room"], {"CNT-GLV": "7.5"})
    at.button(key="stk_count_review_button").click().run()
    assert not at.exception, at.exception
    assert any("CNT-GLV Count gloves" in e.value for e in at.tabs[COUNT].error)
    assert adjustments(app_env) == []
    # What was typed stays in the editor (AppTest shows an editor's data as given, so read its edits).
    row = list(sheet(at)["SKU"]).index("CNT-GLV")
    assert at.session_state[f"stk_count_editor_{room['room']}_supply_0"]["edited_rows"] == {row: {"Counted": "7.5"}}


def test_recording_the_restock_list_moves_stock_into_the_room(signed_in, app_env, room):
    at = signed_in("front_desk").run()
    at.switch_page(PAGE).run()
    restock = next(df.value for df in at.tabs[RESTOCK].dataframe if "Bring" in df.value.columns
                   and "Count gloves" in list(df.value["Item"]))
    assert list(restock["Bring"]) == [2]
    at.button(key="stk_restock_record").click().run()
    assert not at.exception, at.exception
    with database(app_env) as conn:
        assert inventory.on_hand(conn, room["gloves"], location_id=room["room"]) == 12
        assert inventory.on_hand(conn, room["gloves"], location_id=inventory.storeroom_id(conn)) == 28
    assert any("transfer" in s.value for s in at.success)
