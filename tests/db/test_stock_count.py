"""The stock count: the sheet for a location and category, the differences shown for review, and
recording them as 'adjustment' movements with reason "count" (or nothing at all)."""

from __future__ import annotations

from datetime import date

import pytest

from clinic.errors import ClinicError
from db import inventory, read
from db.stock_count import apply_count, count_sheet, preview_count
from tests.conftest import make_user
from tests.db.inventory_factories import make_item, make_location, stock


def movements(conn) -> list[tuple]:
    return read(conn, "SELECT kind, item_id, lot_id, location_id, quantity, reason FROM stock_movements"
                      " WHERE kind = 'adjustment' ORDER BY id")


def all_movements(conn) -> int:
    return read(conn, "SELECT count(*) FROM stock_movements")[0][0]


def expected_of(sheet) -> dict:
    return {line.key: line.expected for line in sheet}


@pytest.fixture
def room(conn) -> int:
    return make_location(conn, "Exam room 1")


@pytest.fixture
def clerk(conn) -> int:
    return make_user(conn, role="front_desk")


def test_the_sheet_lists_every_item_of_the_category_once_per_lot_here(conn, room):
    gloves = make_item(conn, name="Gloves", category="supply")
    syringes = make_item(conn, name="Syringes", category="supply")  # none anywhere: still listed
    flu = make_item(conn, name="Flu vaccine", category="supply", lot_tracked=True)
    make_item(conn, name="Paper", category="office")
    stock(conn, gloves, 7, location_id=room)
    a = stock(conn, flu, 3, lot_number="A1", expires_on=date(2027, 1, 1), location_id=room)
    b = stock(conn, flu, 2, lot_number="B2", expires_on=date(2026, 12, 1), location_id=room)
    stock(conn, flu, 9, lot_number="C3", expires_on=date(2026, 11, 1))  # storeroom only

    sheet = count_sheet(conn, location_id=room, category="supply")

    assert [(line.name, line.lot_id, line.expected) for line in sheet] == [
        ("Flu vaccine", b, 2), ("Flu vaccine", a, 3), ("Gloves", sheet[2].lot_id, 7), ("Syringes", None, 0)]


def test_a_lot_tracked_item_with_nothing_here_has_one_line_without_a_lot(conn, room):
    flu = make_item(conn, name="Flu vaccine", lot_tracked=True)
    stock(conn, flu, 9, lot_number="C3", expires_on=date(2026, 11, 1))  # in the storeroom
    (line,) = count_sheet(conn, location_id=room, category="supply")
    assert (line.item_id, line.lot_id, line.expected) == (flu, None, 0)


def test_differences_of_minus_two_and_plus_one_become_count_adjustments(conn, room, clerk):
    gloves = make_item(conn, name="Gloves")
    gauze = make_item(conn, name="Gauze")
    masks = make_item(conn, name="Masks")
    g_lot = stock(conn, gloves, 10, location_id=room)
    z_lot = stock(conn, gauze, 4, location_id=room)
    stock(conn, masks, 5, location_id=room)
    sheet = count_sheet(conn, location_id=room, category="supply")
    keys = {line.name: line.key for line in sheet}
    counted = {keys["Gloves"]: 8, keys["Gauze"]: "5", keys["Masks"]: 5}

    review = preview_count(conn, location_id=room, counted=counted)
    assert [(d.name, d.on_hand, d.counted, d.change) for d in review] == [("Gauze", 4, 5, 1), ("Gloves", 10, 8, -2)]
    assert movements(conn) == []  # reviewing writes nothing

    written = apply_count(conn, location_id=room, counted=counted, expected=expected_of(sheet), user=clerk)

    assert written == 2
    assert sorted(movements(conn)) == sorted([("adjustment", gloves, g_lot, room, -2, "count"),
                                              ("adjustment", gauze, z_lot, room, 1, "count")])
    assert inventory.on_hand(conn, gloves, location_id=room) == 8
    assert inventory.on_hand(conn, gauze, location_id=room) == 5
    assert read(conn, "SELECT count(*) FROM audit_log WHERE action = 'stock.count'")[0][0] == 1


def test_equal_counts_and_uncounted_lines_write_nothing(conn, room, clerk):
    gloves = make_item(conn, name="Gloves")
    gauze = make_item(conn, name="Gauze")
    stock(conn, gloves, 10, location_id=room)
    stock(conn, gauze, 4, location_id=room)
    sheet = count_sheet(conn, location_id=room, category="supply")
    before = all_movements(conn)
    counted = {sheet[0].key: sheet[0].expected, sheet[1].key: None}

    assert preview_count(conn, location_id=room, counted=counted) == []
    assert apply_count(conn, location_id=room, counted=counted, expected=expected_of(sheet), user=clerk) == 0
    assert all_movements(conn) == before
    assert read(conn, "SELECT count(*) FROM audit_log WHERE action = 'stock.count'")[0][0] == 0


def test_a_count_is_refused_when_stock_moved_since_the_sheet_was_read(conn, room, clerk):
    gloves = make_item(conn, name="Gloves")
    gauze = make_item(conn, name="Gauze")
    stock(conn, gloves, 10, location_id=room)
    stock(conn, gauze, 4, location_id=room)
    sheet = count_sheet(conn, location_id=room, category="supply")
    inventory.use(conn, item_id=gloves, quantity=1, user="test", location_id=room)  # meanwhile
    before = all_movements(conn)

    with pytest.raises(ClinicError, match=r"Gloves.*changed since this sheet was read.*reload") as refused:
        apply_count(conn, location_id=room, counted={line.key: 3 for line in sheet},
                    expected=expected_of(sheet), user=clerk)

    assert refused.value.field == "counted"
    assert all_movements(conn) == before
    assert inventory.on_hand(conn, gauze, location_id=room) == 4  # the good line was not written either


@pytest.mark.parametrize("bad", [-1, 2.5, "1.5", "three"])
def test_a_negative_or_fractional_count_is_refused_naming_the_line(conn, room, clerk, bad):
    gloves = make_item(conn, sku="GLV-M", name="Nitrile gloves")
    gauze = make_item(conn, name="Gauze")
    stock(conn, gloves, 10, location_id=room)
    stock(conn, gauze, 4, location_id=room)
    sheet = count_sheet(conn, location_id=room, category="supply")
    keys = {line.name: line.key for line in sheet}
    before = all_movements(conn)
    counted = {keys["Gauze"]: 2, keys["Nitrile gloves"]: bad}

    with pytest.raises(ClinicError, match="GLV-M Nitrile gloves") as refused:
        preview_count(conn, location_id=room, counted=counted)
    assert refused.value.field == "counted"
    with pytest.raises(ClinicError, match="GLV-M Nitrile gloves"):
        apply_count(conn, location_id=room, counted=counted, expected=expected_of(sheet), user=clerk)
    assert all_movements(conn) == before


def test_an_untracked_item_never_stocked_here_can_be_counted_in(conn, room, clerk):
    tape = make_item(conn, name="Tape")  # no lot row yet: never received
    sheet = count_sheet(conn, location_id=room, category="supply")
    assert [(line.lot_id, line.expected) for line in sheet] == [(None, 0)]

    assert apply_count(conn, location_id=room, counted={sheet[0].key: 3}, expected=expected_of(sheet), user=clerk) == 1
    assert inventory.on_hand(conn, tape, location_id=room) == 3


def test_a_found_box_of_a_lot_tracked_item_needs_a_known_lot_number(conn, room, clerk):
    flu = make_item(conn, name="Flu vaccine", lot_tracked=True)
    lot = stock(conn, flu, 9, lot_number="C3", expires_on=date(2026, 11, 1))  # storeroom
    sheet = count_sheet(conn, location_id=room, category="supply")
    key = sheet[0].key

    with pytest.raises(ClinicError, match="lot number"):
        apply_count(conn, location_id=room, counted={key: 1}, expected=expected_of(sheet), user=clerk)
    with pytest.raises(ClinicError, match="lot ZZ9 is not on record"):
        apply_count(conn, location_id=room, counted={key: 1}, lot_numbers={flu: "ZZ9"},
                    expected=expected_of(sheet), user=clerk)
    assert movements(conn) == []

    assert apply_count(conn, location_id=room, counted={key: 1}, lot_numbers={flu: " c3 "},
                       expected=expected_of(sheet), user=clerk) == 1
    assert movements(conn) == [("adjustment", flu, lot, room, 1, "count")]


def test_a_clinician_may_not_record_a_count(conn, room):
    gloves = make_item(conn, name="Gloves")
    stock(conn, gloves, 10, location_id=room)
    sheet = count_sheet(conn, location_id=room, category="supply")
    doctor = make_user(conn, role="clinician")
    with pytest.raises(ClinicError, match="does not allow"):
        apply_count(conn, location_id=room, counted={sheet[0].key: 1}, expected=expected_of(sheet), user=doctor)
    assert movements(conn) == []
