"""Stock under concurrency: racing takers never drive stock below zero (one success per unit,
clear refusals for the rest, nothing half-written), and two threads completing the same visit
take its supply kit once."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone

import pytest

import db
from clinic import scheduling
from clinic.errors import ClinicError, OutOfStock
from db import appointments, inventory, users
from tests.conftest import make_appointment, make_user, make_visit_type
from tests.db.inventory_factories import make_item, make_location, stock

pytestmark = pytest.mark.serial

TODAY = date(2026, 3, 2)


def race(n: int, action) -> tuple[list, list, list]:
    barrier = threading.Barrier(n)
    done, refused, other = [], [], []

    def go() -> None:
        barrier.wait()
        try:
            done.append(action())
        except OutOfStock as exc:
            refused.append(exc)
        except Exception as exc:  # noqa: BLE001 - reported by the assertions
            other.append(exc)

    threads = [threading.Thread(target=go) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done, refused, other


def test_sixteen_people_using_the_last_box_at_once_give_one_success_and_fifteen_refusals(conn):
    gloves = make_item(conn, name="Nitrile gloves", unit="box")
    stock(conn, gloves, 1)
    done, refused, other = race(16, lambda: inventory.use(conn, item_id=gloves, quantity=1, user="test"))
    assert other == []
    assert len(done) == 1 and len(refused) == 15
    assert inventory.on_hand(conn, gloves) == 0
    assert db.read_one(conn, "SELECT count(*) FROM stock_movements WHERE kind = 'usage'")[0] == 1


def test_sixteen_racing_takers_across_lots_and_rooms_never_drive_stock_below_zero(conn):
    room = make_location(conn)
    vaccine = make_item(conn, category="vaccine", lot_tracked=True)
    stock(conn, vaccine, 3, lot_number="A", expires_on=date(2026, 6, 1))
    stock(conn, vaccine, 4, lot_number="B", expires_on=date(2026, 9, 1), location_id=room)
    # Sixteen takers of 2: at most three succeed (7 units), whatever the interleaving.
    done, refused, other = race(16, lambda: inventory.use(conn, item_id=vaccine, quantity=2, user="test", today=TODAY))
    assert other == []
    assert len(done) == 3 and len(refused) == 13
    assert inventory.on_hand(conn, vaccine) == 1
    assert db.read_one(conn, "SELECT min(quantity) FROM stock_balances")[0] >= 0
    (taken,) = db.read_one(conn, "SELECT -sum(quantity) FROM stock_movements WHERE kind = 'usage'")
    assert taken == 6


@pytest.mark.parametrize("round_", range(2))
def test_two_threads_completing_the_same_visit_take_its_kit_once(conn, round_):
    syringe = make_item(conn, name="Syringe")
    type_id = make_visit_type(conn, name="Vaccination")
    conn.cursor().execute("INSERT INTO visit_type_supplies VALUES (?, ?, 1)", [type_id, syringe])
    stock(conn, syringe, 10)
    desk = users.get(conn, make_user(conn, role="front_desk"))
    start = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)
    visit = make_appointment(conn, status="checked_in", start_at=start, type_id=type_id)
    barrier = threading.Barrier(2)
    done, refused, other = [], [], []

    def go() -> None:
        barrier.wait()
        try:
            done.append(appointments.change_status(conn, visit, "completed", user=desk, now=start + timedelta(minutes=20)))
        except ClinicError as exc:
            refused.append(exc)
        except Exception as exc:  # noqa: BLE001
            other.append(exc)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert other == []
    assert len(done) == 1 and isinstance(refused[0], scheduling.InvalidTransition)
    assert inventory.on_hand(conn, syringe) == 9
