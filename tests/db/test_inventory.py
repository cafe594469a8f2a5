"""Stock movements: receiving, first-expiry-first use across lots, transfers, refusals that write
nothing, balances that always equal the sum of movements, and a completed visit's supply kit."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import pytest

import db
from clinic.errors import ClinicError, NotAllowed, OutOfStock, ValidationError
from db import appointments, inventory, users
from tests.conftest import make_appointment, make_user, make_visit_type
from tests.db.inventory_factories import make_item, make_location, stock

TODAY = date(2026, 3, 2)
START = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)
NOW = START + timedelta(minutes=30)


def counts(conn) -> tuple[int, int, int]:
    return db.read_one(conn, "SELECT (SELECT count(*) FROM stock_movements), (SELECT count(*) FROM stock_lots),"
                             " (SELECT coalesce(sum(quantity), 0) FROM stock_balances)")


def balances_match_movements(conn) -> bool:
    (mismatches,) = db.read_one(conn, """
        SELECT count(*) FROM (
            SELECT lot_id, location_id, sum(quantity) AS moved FROM stock_movements GROUP BY ALL) m
        FULL JOIN stock_balances b USING (lot_id, location_id)
        WHERE coalesce(m.moved, 0) <> coalesce(b.quantity, 0)""")
    return mismatches == 0


# --- receiving ---------------------------------------------------------------------------------


def test_received_stock_lands_in_the_storeroom_and_counts_on_hand(conn):
    gloves = make_item(conn, name="Nitrile gloves", unit="box of 100")
    stock(conn, gloves, 12)
    storeroom = inventory.storeroom_id(conn)
    assert inventory.on_hand(conn, gloves) == 12
    assert inventory.on_hand(conn, gloves, location_id=storeroom) == 12
    kind, quantity, location = db.read_one(conn, "SELECT kind, quantity, location_id FROM stock_movements")
    assert (kind, quantity, location) == ("receipt", 12, storeroom)


def test_a_lot_tracked_item_cannot_be_received_without_lot_and_expiry_and_nothing_is_written(conn):
    vaccine = make_item(conn, name="Influenza vaccine", category="vaccine", unit="dose", lot_tracked=True)
    before = counts(conn)
    with pytest.raises(ValidationError) as refused:
        inventory.receive(conn, item_id=vaccine, quantity=10, user="test")
    assert set(refused.value.errors) == {"lot_number", "expires_on"}
    assert counts(conn) == before
    lot = stock(conn, vaccine, 10, lot_number="fl-2231", expires_on=date(2026, 9, 30))
    assert inventory.lots(conn, vaccine) == [
        {"lot_id": lot, "lot_number": "fl-2231", "expires_on": date(2026, 9, 30), "on_hand": 10}]


def test_a_known_lot_received_again_with_another_expiry_is_refused(conn):
    vaccine = make_item(conn, category="vaccine", lot_tracked=True)
    stock(conn, vaccine, 5, lot_number="A1", expires_on=date(2026, 9, 30))
    with pytest.raises(ValidationError) as refused:
        inventory.receive(conn, item_id=vaccine, quantity=5, user="test", lot_number="a1", expires_on=date(2027, 1, 1))
    assert "09/30/2026" in refused.value.errors["expires_on"]
    stock(conn, vaccine, 5, lot_number=" a1 ", expires_on=date(2026, 9, 30))  # the same lot, typed loosely
    assert [lot["on_hand"] for lot in inventory.lots(conn, vaccine)] == [10]


@pytest.mark.parametrize("quantity", [0, -2, "1.5", "ten", None])
def test_a_bad_quantity_is_refused_and_writes_nothing(conn, quantity):
    item = make_item(conn)
    stock(conn, item, 5)
    before = counts(conn)
    for action in (lambda: inventory.receive(conn, item_id=item, quantity=quantity, user="test"),
                   lambda: inventory.use(conn, item_id=item, quantity=quantity, user="test")):
        with pytest.raises(ClinicError) as refused:
            action()
        assert refused.value.field == "quantity"
    assert counts(conn) == before


# --- using -------------------------------------------------------------------------------------


def test_use_takes_the_first_lot_to_expire_and_spills_into_the_next(conn):
    vaccine = make_item(conn, category="vaccine", lot_tracked=True)
    later = stock(conn, vaccine, 5, lot_number="LATE", expires_on=date(2027, 1, 31))
    sooner = stock(conn, vaccine, 3, lot_number="SOON", expires_on=date(2026, 6, 30))
    assert inventory.use(conn, item_id=vaccine, quantity=4, user="test", today=TODAY) == [(sooner, 3), (later, 1)]
    assert [(lot["lot_number"], lot["on_hand"]) for lot in inventory.lots(conn, vaccine)] == [("SOON", 0), ("LATE", 4)]


def test_an_expired_lot_is_never_used_by_default_nor_when_chosen(conn):
    vaccine = make_item(conn, category="vaccine", lot_tracked=True, name="Tdap vaccine", unit="dose")
    old = stock(conn, vaccine, 5, lot_number="OLD", expires_on=date(2026, 2, 28))
    good = stock(conn, vaccine, 2, lot_number="GOOD", expires_on=date(2026, 12, 31))
    assert inventory.use(conn, item_id=vaccine, quantity=2, user="test", today=TODAY) == [(good, 2)]
    before = counts(conn)
    with pytest.raises(OutOfStock) as short:
        inventory.use(conn, item_id=vaccine, quantity=1, user="test", today=TODAY)
    assert "Tdap vaccine" in str(short.value) and "5 more are expired" in str(short.value)
    with pytest.raises(ClinicError) as refused:
        inventory.use(conn, item_id=vaccine, quantity=1, user="test", lot_id=old, today=TODAY)
    assert refused.value.field == "lot_id" and "expired" in str(refused.value)
    assert counts(conn) == before


def test_a_chosen_lot_is_used_even_when_another_expires_first(conn):
    vaccine = make_item(conn, category="vaccine", lot_tracked=True)
    stock(conn, vaccine, 5, lot_number="SOON", expires_on=date(2026, 6, 30))
    chosen = stock(conn, vaccine, 5, lot_number="LATE", expires_on=date(2027, 6, 30))
    assert inventory.use(conn, item_id=vaccine, quantity=2, user="test", lot_id=chosen, today=TODAY) == [(chosen, 2)]


def test_using_more_than_is_there_is_refused_and_writes_nothing(conn):
    item = make_item(conn, name="Gauze pads", unit="pack")
    stock(conn, item, 3)
    before = counts(conn)
    with pytest.raises(OutOfStock) as short:
        inventory.use(conn, item_id=item, quantity=4, user="test")
    assert short.value.field == "quantity" and "3 pack usable, 4 asked for" in str(short.value)
    assert counts(conn) == before and inventory.on_hand(conn, item) == 3


def test_a_clinician_may_not_record_stock_use(conn):
    item = make_item(conn)
    stock(conn, item, 3)
    doctor = users.get(conn, make_user(conn, role="clinician"))
    with pytest.raises(NotAllowed):
        inventory.use(conn, item_id=item, quantity=1, user=doctor)
    assert inventory.on_hand(conn, item) == 3


# --- moving ------------------------------------------------------------------------------------


def test_a_transfer_is_a_pair_of_movements_in_one_transaction(conn):
    room = make_location(conn, "Exam room 1")
    item = make_item(conn)
    stock(conn, item, 10)
    transfer_id = inventory.transfer(conn, item_id=item, quantity=4, from_location_id=inventory.storeroom_id(conn),
                                     to_location_id=room, user="test")
    assert inventory.on_hand(conn, item, location_id=room) == 4
    assert inventory.on_hand(conn, item) == 10
    pair = db.read(conn, "SELECT kind, location_id, quantity FROM stock_movements WHERE transfer_id = ? ORDER BY quantity",
                   [transfer_id])
    assert pair == [("transfer", inventory.storeroom_id(conn), -4), ("transfer", room, 4)]
    before = counts(conn)
    with pytest.raises(OutOfStock):
        inventory.transfer(conn, item_id=item, quantity=5, from_location_id=room,
                           to_location_id=inventory.storeroom_id(conn), user="test")
    assert counts(conn) == before


def test_balances_always_equal_the_sum_of_movements(conn):
    rng = random.Random(42)
    rooms = [inventory.storeroom_id(conn), make_location(conn), make_location(conn, kind="fridge")]
    items = [make_item(conn), make_item(conn, category="vaccine", lot_tracked=True)]
    for step in range(120):
        item = rng.choice(items)
        tracked = item == items[1]
        action = rng.choice(["receive", "use", "move"])
        try:
            if action == "receive":
                n = rng.randint(0, 2)
                inventory.receive(conn, item_id=item, quantity=rng.randint(1, 6), user="test",
                                  location_id=rng.choice(rooms), lot_number=f"L{n}" if tracked else None,
                                  expires_on=date(2026, 4 + n, 1) if tracked else None)
            elif action == "use":
                inventory.use(conn, item_id=item, quantity=rng.randint(1, 5), user="test",
                              location_id=rng.choice([None, *rooms]), today=TODAY)
            else:
                src, dst = rng.sample(rooms, 2)
                inventory.transfer(conn, item_id=item, quantity=rng.randint(1, 4), from_location_id=src,
                                   to_location_id=dst, user="test", today=TODAY)
        except OutOfStock:
            pass
    assert db.read_one(conn, "SELECT count(*) FROM stock_movements")[0] > 60
    assert balances_match_movements(conn)
    assert db.read_one(conn, "SELECT min(quantity) FROM stock_balances")[0] >= 0


# --- a completed visit's supply kit --------------------------------------------------------------


@pytest.fixture
def vaccination(conn):
    room = make_location(conn, "Exam room 1")
    fridge = make_location(conn, "Vaccine fridge", kind="fridge")
    syringe = make_item(conn, name="Syringe 3 ml")
    swab = make_item(conn, name="Alcohol swab")
    dose = make_item(conn, name="Influenza vaccine", category="vaccine", lot_tracked=True)
    type_id = make_visit_type(conn, name="Vaccination")
    cur = conn.cursor()
    for item, quantity in ((syringe, 1), (swab, 2), (dose, 1)):
        cur.execute("INSERT INTO visit_type_supplies VALUES (?, ?, ?)", [type_id, item, quantity])
    stock(conn, syringe, 10)
    stock(conn, syringe, 1, location_id=room)
    stock(conn, swab, 1)
    stock(conn, dose, 3, lot_number="FL1", expires_on=date(2026, 10, 1), location_id=fridge)
    desk = users.get(conn, make_user(conn, role="front_desk"))
    return {"type": type_id, "room": room, "fridge": fridge, "syringe": syringe, "swab": swab, "dose": dose,
            "desk": desk}


def kit_rows(conn, visit):
    return db.read(conn, "SELECT item_id, location_id, quantity FROM stock_movements WHERE appointment_id = ?"
                         " ORDER BY item_id, location_id", [visit])


def test_completing_a_visit_takes_its_kit_once_from_the_room_first_and_flags_a_shortfall(conn, vaccination):
    v = vaccination
    visit = make_appointment(conn, status="checked_in", start_at=START, type_id=v["type"])
    appointments.change_status(conn, visit, "completed", user=v["desk"], now=NOW)
    assert kit_rows(conn, visit) == [
        (v["syringe"], v["room"], -1),          # the room's syringe, not the storeroom's
        (v["swab"], inventory.storeroom_id(conn), -1),
        (v["dose"], v["fridge"], -1),
    ]
    # One swab was short: the visit completed all the same, and the shortfall is listed.
    assert appointments.get(conn, visit).status == "completed"
    assert db.read(conn, "SELECT item_id, quantity FROM stock_shortfalls WHERE resolved_at IS NULL") == [(v["swab"], 1)]
    # A second click is refused as already completed and takes nothing more.
    with pytest.raises(ClinicError):
        appointments.change_status(conn, visit, "completed", user=v["desk"], now=NOW)
    assert len(kit_rows(conn, visit)) == 3


def test_undoing_a_completion_puts_the_kit_back_and_completing_again_takes_it_once(conn, vaccination):
    v = vaccination
    visit = make_appointment(conn, status="checked_in", start_at=START, type_id=v["type"])
    appointments.change_status(conn, visit, "completed", user=v["desk"], now=NOW)
    appointments.change_status(conn, visit, "checked_in", user=v["desk"], now=NOW, reason="Completed by mistake")
    assert inventory.on_hand(conn, v["dose"]) == 3 and inventory.on_hand(conn, v["syringe"]) == 11
    assert db.read(conn, "SELECT count(*) FROM stock_shortfalls WHERE resolved_at IS NULL") == [(0,)]
    appointments.change_status(conn, visit, "completed", user=v["desk"], now=NOW)
    assert inventory.on_hand(conn, v["dose"]) == 2 and inventory.on_hand(conn, v["syringe"]) == 10
    assert balances_match_movements(conn)


def test_a_visit_type_without_a_kit_completes_without_touching_stock(conn, vaccination):
    visit = make_appointment(conn, status="checked_in", start_at=START)
    appointments.change_status(conn, visit, "completed", user=vaccination["desk"], now=NOW)
    assert kit_rows(conn, visit) == []
