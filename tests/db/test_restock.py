"""The morning restock list: what each room needs from the storeroom to reach par, limited by what
the storeroom has, and one click recording every move as transfers (all or nothing)."""

from __future__ import annotations

from datetime import date

import pytest

from clinic.errors import ClinicError
from db import inventory, read
from db.restock import record_restock, restock_list
from tests.conftest import make_user
from tests.db.inventory_factories import make_item, make_location, stock

TODAY = date(2026, 3, 2)


def set_par(conn, location_id: int, item_id: int, par: int) -> None:
    conn.execute("INSERT INTO stock_par_levels (location_id, item_id, par) VALUES (?, ?, ?)",
                 [location_id, item_id, par])


def summary(lines) -> list[tuple]:
    return [(line.location_name, line.name, line.in_room, line.bring, line.short) for line in lines]


@pytest.fixture
def clerk(conn) -> int:
    return make_user(conn, role="front_desk")


def test_the_list_brings_each_room_up_to_par_from_the_storeroom(conn):
    room1, room2 = make_location(conn, "Exam room 1"), make_location(conn, "Exam room 2")
    gloves, gauze = make_item(conn, name="Gloves"), make_item(conn, name="Gauze")
    stock(conn, gloves, 50)
    stock(conn, gauze, 50)
    stock(conn, gloves, 3, location_id=room1)
    stock(conn, gauze, 6, location_id=room1)
    set_par(conn, room1, gloves, 10)
    set_par(conn, room1, gauze, 6)  # at par: not listed
    set_par(conn, room2, gloves, 4)

    assert summary(restock_list(conn, today=TODAY)) == [("Exam room 1", "Gloves", 3, 7, False),
                                                          ("Exam room 2", "Gloves", 0, 4, False)]


def test_the_list_is_limited_by_the_storeroom_and_flags_the_rooms_it_cannot_fill(conn):
    room1, room2 = make_location(conn, "Exam room 1"), make_location(conn, "Exam room 2")
    fridge = make_location(conn, "Vaccine fridge", kind="fridge")
    gloves = make_item(conn, name="Gloves")
    flu = make_item(conn, name="Flu vaccine", lot_tracked=True)
    stock(conn, gloves, 6)  # both rooms want 5: the first room gets 5, the second the last 1
    stock(conn, flu, 4, lot_number="OLD", expires_on=date(2026, 2, 1))  # expired: never brought
    set_par(conn, room1, gloves, 5)
    set_par(conn, room2, gloves, 5)
    set_par(conn, fridge, flu, 10)

    assert summary(restock_list(conn, today=TODAY)) == [("Exam room 1", "Gloves", 0, 5, False),
                                                          ("Exam room 2", "Gloves", 0, 1, True),
                                                          ("Vaccine fridge", "Flu vaccine", 0, 0, True)]


def test_recording_the_list_moves_stock_from_the_storeroom_into_the_rooms(conn, clerk):
    room1, room2 = make_location(conn, "Exam room 1"), make_location(conn, "Exam room 2")
    gloves, gauze = make_item(conn, name="Gloves"), make_item(conn, name="Gauze")
    storeroom = inventory.storeroom_id(conn)
    stock(conn, gloves, 20)
    stock(conn, gauze, 20)
    set_par(conn, room1, gloves, 10)
    set_par(conn, room1, gauze, 5)
    set_par(conn, room2, gloves, 4)
    lines = restock_list(conn, today=TODAY)

    made = record_restock(conn, [(line.location_id, line.item_id, line.bring) for line in lines], user=clerk,
                          today=TODAY)

    assert made == 3
    assert inventory.on_hand(conn, gloves, location_id=storeroom) == 6
    assert inventory.on_hand(conn, gloves, location_id=room1) == 10
    assert inventory.on_hand(conn, gloves, location_id=room2) == 4
    assert inventory.on_hand(conn, gauze, location_id=room1) == 5
    pairs = read(conn, "SELECT transfer_id, sum(quantity), count(*), min(quantity) FROM stock_movements"
                       " WHERE kind = 'transfer' GROUP BY transfer_id")
    assert len(pairs) == 3 and all(total == 0 and n == 2 and out < 0 for _, total, n, out in pairs)
    assert restock_list(conn, today=TODAY) == []


def test_a_line_that_cannot_be_moved_refuses_the_whole_list_naming_the_item(conn, clerk):
    room = make_location(conn, "Exam room 1")
    gloves, gauze = make_item(conn, name="Gloves"), make_item(conn, name="Gauze")
    stock(conn, gloves, 20)
    stock(conn, gauze, 2)
    set_par(conn, room, gloves, 10)
    set_par(conn, room, gauze, 5)
    before = read(conn, "SELECT count(*) FROM stock_movements")[0][0]

    with pytest.raises(ClinicError, match="Gauze for Exam room 1"):
        record_restock(conn, [(room, gloves, 10), (room, gauze, 5)], user=clerk, today=TODAY)

    assert read(conn, "SELECT count(*) FROM stock_movements")[0][0] == before
    assert inventory.on_hand(conn, gloves, location_id=room) == 0


def test_recording_the_same_list_twice_is_refused_the_second_time(conn, clerk):
    room = make_location(conn, "Exam room 1")
    gloves = make_item(conn, name="Gloves")
    stock(conn, gloves, 20)
    set_par(conn, room, gloves, 10)
    lines = [(line.location_id, line.item_id, line.bring) for line in restock_list(conn, today=TODAY)]
    assert record_restock(conn, lines, user=clerk, today=TODAY) == 1

    with pytest.raises(ClinicError, match="Gloves for Exam room 1.*overfill"):
        record_restock(conn, lines, user=clerk, today=TODAY)
    assert inventory.on_hand(conn, gloves, location_id=room) == 10
