"""The stock office's alerts: low stock counts what is on order and leaves expired lots out, the
expiry window, writing off expired lots, visit-kit shortfalls, and the counts on the Home tiles."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

import db
from clinic.errors import ClinicError, NotAllowed, NotFound
from db import inventory, settings, stock_alerts
from tests.conftest import make_appointment, make_user
from tests.db.inventory_factories import make_item, make_location, make_vendor, stock

TODAY = date(2026, 3, 2)


def order(conn, item_id: int, quantity: int, *, status: str = "ordered", received: int = 0) -> None:
    """A purchase order line put straight in the tables (the ordering screens are another module's)."""
    vendor = make_vendor(conn)
    (po,) = conn.execute("INSERT INTO purchase_orders (vendor_id, status) VALUES (?, ?) RETURNING id",
                         [vendor, status]).fetchone()
    conn.execute("INSERT INTO purchase_order_lines (po_id, item_id, quantity, unit_cost, received_quantity)"
                 " VALUES (?, ?, ?, 1.00, ?)", [po, item_id, quantity, received])


def low_ids(conn) -> list[int]:
    return [row.item_id for row in stock_alerts.low_stock(conn, today=TODAY)]


def movements(conn, kind: str) -> list[tuple]:
    return db.read(conn, "SELECT lot_id, location_id, quantity FROM stock_movements WHERE kind = ? ORDER BY location_id",
                   [kind])


# --- low stock -------------------------------------------------------------------------------------


def test_an_item_at_its_reorder_point_is_low_and_one_above_it_is_not(conn):
    vendor = make_vendor(conn, name="Henry Schein", lead_time_days=4)
    at_point = make_item(conn, reorder_point=5, vendor_id=vendor)
    above = make_item(conn, reorder_point=5)
    stock(conn, at_point, 5)
    stock(conn, above, 6)
    low = stock_alerts.low_stock(conn, today=TODAY)
    assert [row.item_id for row in low] == [at_point]
    assert (low[0].on_hand, low[0].vendor_name, low[0].lead_time_days) == (5, "Henry Schein", 4)


def test_what_is_on_order_keeps_an_item_off_the_low_list(conn):
    item = make_item(conn, reorder_point=5)
    stock(conn, item, 3)
    assert low_ids(conn) == [item]
    order(conn, item, 3)  # 3 on hand + 3 on order = 6 > 5
    assert low_ids(conn) == []
    assert stock_alerts.alert_counts(conn, today=TODAY)["low"] == 0


def test_only_the_part_of_an_order_not_yet_received_counts_and_drafts_do_not(conn):
    item = make_item(conn, reorder_point=5)
    stock(conn, item, 2)
    order(conn, item, 10, status="partially_received", received=8)  # 2 still to come: 2 + 2 <= 5
    order(conn, item, 50, status="draft")
    [row] = stock_alerts.low_stock(conn, today=TODAY)
    assert (row.item_id, row.on_hand, row.on_order) == (item, 2, 2)


def test_expired_stock_does_not_count_as_on_hand(conn):
    item = make_item(conn, reorder_point=5, lot_tracked=True, category="vaccine")
    stock(conn, item, 20, lot_number="OLD", expires_on=TODAY - timedelta(days=1))
    stock(conn, item, 2, lot_number="NEW", expires_on=TODAY + timedelta(days=200))
    [row] = stock_alerts.low_stock(conn, today=TODAY)
    assert row.on_hand == 2
    # The day before, the old lot was still usable: 22 on hand, not low.
    assert stock_alerts.low_stock(conn, today=TODAY - timedelta(days=1)) == []


def test_on_hand_adds_up_every_location_and_inactive_items_are_not_listed(conn):
    room = make_location(conn)
    item = make_item(conn, reorder_point=5)
    stock(conn, item, 3)
    stock(conn, item, 3, location_id=room)
    gone = make_item(conn, reorder_point=5)
    conn.execute("UPDATE stock_items SET active = FALSE WHERE id = ?", [gone])
    assert low_ids(conn) == []


# --- expiry ----------------------------------------------------------------------------------------


def test_the_expiry_window_includes_its_last_day_and_leaves_out_expired_and_empty_lots(conn):
    room = make_location(conn, "Exam room 1")
    item = make_item(conn, lot_tracked=True, category="vaccine", name="Flu vaccine")
    stock(conn, item, 4, lot_number="TODAY", expires_on=TODAY)
    stock(conn, item, 2, lot_number="LAST", expires_on=TODAY + timedelta(days=30))
    stock(conn, item, 3, lot_number="LAST", expires_on=TODAY + timedelta(days=30), location_id=room)
    stock(conn, item, 5, lot_number="LATER", expires_on=TODAY + timedelta(days=31))
    stock(conn, item, 6, lot_number="GONE", expires_on=TODAY - timedelta(days=1))
    empty = stock(conn, item, 1, lot_number="EMPTY", expires_on=TODAY + timedelta(days=3))
    inventory.use(conn, item_id=item, quantity=1, user="test", lot_id=empty, today=TODAY)

    soon = stock_alerts.expiring_lots(conn, today=TODAY, days=30)
    assert [(lot.lot_number, lot.days_left, lot.on_hand) for lot in soon] == [("TODAY", 0, 4), ("LAST", 30, 5)]
    assert soon[1].where == "Storeroom: 2, Exam room 1: 3"
    assert [(lot.lot_number, lot.on_hand) for lot in stock_alerts.expired_lots(conn, today=TODAY)] == [("GONE", 6)]


def test_the_expiry_counts_follow_the_warning_setting(conn):
    item = make_item(conn, lot_tracked=True)
    stock(conn, item, 1, lot_number="A", expires_on=TODAY + timedelta(days=20))
    stock(conn, item, 1, lot_number="B", expires_on=TODAY - timedelta(days=5))
    assert stock_alerts.alert_counts(conn, today=TODAY) == {"low": 1, "expiring": 1, "expired": 1, "shortfalls": 0}
    settings.set_many(conn, {"expiry_warning_days": "10"}, by="test")
    assert stock_alerts.alert_counts(conn, today=TODAY)["expiring"] == 0


def test_the_low_tile_counts_exactly_the_low_stock_list(conn):
    on_order = make_item(conn, reorder_point=5)   # 3 + 3 on order: not low
    drafted = make_item(conn, reorder_point=5)    # a draft order does not count: low
    expired = make_item(conn, reorder_point=5, lot_tracked=True)  # plenty, but expired: low
    no_point = make_item(conn, reorder_point=0)   # none at all, point 0: low
    stocked = make_item(conn, reorder_point=0)    # some, point 0: not low
    retired = make_item(conn, reorder_point=5)    # inactive: never counted
    stock(conn, on_order, 3)
    order(conn, on_order, 3)
    stock(conn, drafted, 3)
    order(conn, drafted, 3, status="draft")
    stock(conn, expired, 50, lot_number="OLD", expires_on=TODAY - timedelta(days=1))
    stock(conn, stocked, 1)
    conn.execute("UPDATE stock_items SET active = false WHERE id = ?", [retired])

    assert sorted(low_ids(conn)) == sorted([drafted, expired, no_point])
    assert stock_alerts.alert_counts(conn, today=TODAY)["low"] == 3


# --- writing off -----------------------------------------------------------------------------------


def test_writing_off_an_expired_lot_empties_it_everywhere_with_expired_movements(conn):
    room = make_location(conn)
    item = make_item(conn, lot_tracked=True, unit_cost="2.50")
    lot = stock(conn, item, 6, lot_number="X1", expires_on=TODAY - timedelta(days=3))
    inventory.transfer(conn, item_id=item, quantity=2, from_location_id=inventory.storeroom_id(conn),
                       to_location_id=room, user="test", lot_id=lot, today=TODAY - timedelta(days=10))
    fresh = stock(conn, item, 4, lot_number="X2", expires_on=TODAY + timedelta(days=90))

    assert stock_alerts.write_off_expired(conn, lot, user="test", today=TODAY) == 6
    assert movements(conn, "expired") == [(lot, inventory.storeroom_id(conn), -4), (lot, room, -2)]
    assert [(entry["lot_id"], entry["on_hand"]) for entry in inventory.lots(conn, item)] == [(lot, 0), (fresh, 4)]
    assert stock_alerts.expired_lots(conn, today=TODAY) == []
    assert db.read(conn, "SELECT count(*) FROM audit_log WHERE action = 'stock.write_off_expired'")[0][0] == 1
    # The waste is costed at the lot's cost.
    assert db.read(conn, "SELECT sum(-quantity * unit_cost) FROM stock_movements WHERE kind = 'expired'")[0][0] == 15


def test_writing_off_one_location_leaves_the_others(conn):
    room = make_location(conn)
    item = make_item(conn, lot_tracked=True)
    lot = stock(conn, item, 5, lot_number="Y", expires_on=TODAY - timedelta(days=1))
    stock(conn, item, 3, lot_number="Y", expires_on=TODAY - timedelta(days=1), location_id=room)
    assert stock_alerts.write_off_expired(conn, lot, user="test", location_id=room, today=TODAY) == 3
    assert [(e.location_id, e.on_hand) for e in stock_alerts.expired_lots(conn, today=TODAY)] == \
        [(inventory.storeroom_id(conn), 5)]


@pytest.mark.parametrize("case", ["not expired", "no such lot", "nothing there", "role without stock rights"])
def test_a_refused_write_off_writes_nothing(conn, case):
    room = make_location(conn)
    item = make_item(conn, lot_tracked=True)
    expired = stock(conn, item, 5, lot_number="OLD", expires_on=TODAY - timedelta(days=1))
    good = stock(conn, item, 5, lot_number="GOOD", expires_on=TODAY + timedelta(days=1))
    before = db.read(conn, "SELECT count(*) FROM stock_movements")[0][0]
    lot, user, location, error = {
        "not expired": (good, "test", None, ClinicError),
        "no such lot": (999_999, "test", None, NotFound),
        "nothing there": (expired, "test", room, ClinicError),
        "role without stock rights": (expired, make_user(conn, role="billing"), None, NotAllowed),
    }[case]
    with pytest.raises(error):
        stock_alerts.write_off_expired(conn, lot, user=user, location_id=location, today=TODAY)
    assert db.read(conn, "SELECT count(*) FROM stock_movements")[0][0] == before
    assert inventory.on_hand(conn, item) == 10
    assert db.read(conn, "SELECT count(*) FROM audit_log WHERE action = 'stock.write_off_expired'")[0][0] == 0


# --- shortfalls --------------------------------------------------------------------------------------


def test_open_shortfalls_come_newest_visit_first_and_a_lost_visit_last(conn):
    from datetime import datetime, timezone

    item = make_item(conn, name="Gauze")
    early = make_appointment(conn, status="completed", start_at=datetime(2026, 3, 2, 4, 30, tzinfo=timezone.utc))
    late = make_appointment(conn, status="completed", start_at=datetime(2026, 3, 2, 16, tzinfo=timezone.utc))
    for appointment in (late, early, 987654321, early, 987654322):  # two ids of no appointment
        conn.execute("INSERT INTO stock_shortfalls (appointment_id, item_id, quantity) VALUES (?, ?, 1)",
                     [appointment, item])
    ids = [row[0] for row in db.read(conn, "SELECT id FROM stock_shortfalls ORDER BY id")]

    listed = stock_alerts.open_shortfalls(conn)

    assert [s.shortfall_id for s in listed] == [ids[0], ids[3], ids[1], ids[4], ids[2]]
    assert [s.visit_date for s in listed] == [date(2026, 3, 2), date(2026, 3, 1), date(2026, 3, 1), None, None]
    assert listed[0].patient.startswith("Testpatient") and listed[-1].patient is None

def test_an_open_shortfall_is_listed_until_resolved_once(conn):
    item = make_item(conn, name="Alcohol swab")
    appointment = make_appointment(conn, status="completed")
    conn.execute("INSERT INTO stock_shortfalls (appointment_id, item_id, quantity) VALUES (?, ?, 2)",
                 [appointment, item])
    [short] = stock_alerts.open_shortfalls(conn)
    assert (short.item, short.quantity, short.appointment_id) == ("Alcohol swab", 2, appointment)
    assert short.patient.startswith("Testpatient") and short.visit_date == date(2026, 3, 2)
    assert stock_alerts.alert_counts(conn, today=TODAY)["shortfalls"] == 1

    with pytest.raises(ClinicError, match="under 500"):
        stock_alerts.resolve_shortfall(conn, short.shortfall_id, user="test", note="x" * 501)
    assert len(stock_alerts.open_shortfalls(conn)) == 1

    manager = make_user(conn, role="manager")
    stock_alerts.resolve_shortfall(conn, short.shortfall_id, user=manager, note="  found 2 in room 1 ")
    assert stock_alerts.open_shortfalls(conn) == []
    assert db.read(conn, "SELECT resolved_by, note FROM stock_shortfalls")[0] == (manager, "found 2 in room 1")
    with pytest.raises(ClinicError, match="already resolved"):
        stock_alerts.resolve_shortfall(conn, short.shortfall_id, user="test", note=None)
