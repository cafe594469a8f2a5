"""bench/desk.py on the small seeded clinic at 10:30 on its Monday: every desk figure is reported,
and each timed write really happened (what a user would see afterwards in the app)."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal

import pytest

import db
from bench import desk
from bench.core import Context
from clinic import timeutil
from clinic.errors import ClinicError
from tests.conftest import SEED_TODAY, TZ

EXPECTED = {
    "next 8 free slots, any provider, one patient": 100,
    "book one appointment": 25,
    "reschedule one appointment": 25,
    "check in": None,
    "complete a visit (status, invoice, kit)": None,
    "patient search by name fragment": 50,
    "patient search by phone": 50,
    "patient search by date of birth": 50,
    "open a patient file (its reads)": None,
    "post a patient payment": 25,
    "use one unit of stock (FEFO)": None,
}


def test_desk_cases_time_every_operation_and_really_change_the_clinic(seeded, seeded_path, clinic_clock):
    now = timeutil.local_to_utc(datetime.combine(SEED_TODAY, time(10, 30)), TZ)  # as `python -m bench` sets it
    clinic_clock(now)
    balance = dict(db.read(seeded, "SELECT invoice_id, balance FROM invoice_balances"))
    on_hand = dict(db.read(seeded, "SELECT item_id, sum(quantity) FROM stock_balances GROUP BY item_id"))

    rows = {r.name: r for r in desk.cases(Context(seeded, seeded_path, 1, SEED_TODAY, TZ, "test"))}
    runs = desk.RUNS_PER_REPEAT  # timed runs of each operation for a repeat of 1

    assert {name: r.target_ms for name, r in rows.items()} == EXPECTED
    for r in rows.values():
        assert r.group == "desk" and r.samples == runs and r.target_on == "p95_ms"
        assert 0 < r.median_ms <= r.p95_ms
        assert r.baseline == "SELECT 1 round trip" and r.baseline_ms > 0
    changed = {name: r.extra["changed"] for name, r in rows.items() if "changed" in r.extra}
    assert all(len(done) == runs + 1 for done in changed.values())  # the warm-up's change and the timed ones

    def appointment(appointment_id: int) -> tuple:
        return db.read_one(seeded, "SELECT status, booked_by, start_at, arrived_at FROM appointments WHERE id = ?",
                           [appointment_id])

    desk_id = db.read_one(seeded, "SELECT id FROM users WHERE username = 'frontdesk'")[0]
    for booked in changed["book one appointment"]:  # later runs may have checked it in and completed it
        assert appointment(booked)[:2] in {(s, desk_id) for s in ("scheduled", "checked_in", "completed")}
    for moved, start in changed["reschedule one appointment"]:
        assert appointment(moved)[2] == start
    for arrived in changed["check in"]:
        status, _, _, arrived_at = appointment(arrived)
        assert status in ("checked_in", "completed") and arrived_at == now
    completed = changed["complete a visit (status, invoice, kit)"]
    for visit in completed:
        assert appointment(visit)[0] == "completed"
        assert db.read_one(seeded, "SELECT count(*) FROM invoices WHERE appointment_id = ? AND status = 'draft'",
                           [visit])[0] == 1
        assert db.read_one(seeded, "SELECT (SELECT count(*) FROM stock_movements WHERE appointment_id = $a AND kind ="
                                   " 'usage') + (SELECT count(*) FROM stock_shortfalls WHERE appointment_id = $a)",
                           {"a": visit})[0] > 0

    for invoice_id, payment_id in changed["post a patient payment"]:
        after = db.read_one(seeded, "SELECT balance FROM invoice_balances WHERE invoice_id = ?", [invoice_id])[0]
        assert balance[invoice_id] - after == Decimal("1.00")
        assert db.read_one(seeded, "SELECT amount FROM payments WHERE id = ?", [payment_id])[0] == Decimal("1.00")

    for item_id, units in changed["use one unit of stock (FEFO)"]:
        kits = db.read_one(seeded, "SELECT coalesce(sum(-quantity), 0) FROM stock_movements WHERE item_id = ? AND"
                                   " list_contains(?, appointment_id)", [item_id, completed])[0]
        after = db.read_one(seeded, "SELECT sum(quantity) FROM stock_balances WHERE item_id = ?", [item_id])[0]
        assert units == 1 and after == on_hand[item_id] - 1 - kits


def test_a_refused_candidate_gives_way_to_the_next_and_mostly_refused_raises():
    def act(n: int) -> int:
        if n % 2:
            raise ClinicError("That time is taken.")
        return n

    samples, changed, failed = desk.sample_changes("even", act, range(10), 3)
    assert len(samples) == 3 and changed == [0, 2, 4, 6] and failed == ["1: That time is taken.",
                                                                     "3: That time is taken.", "5: That time is taken."]
    with pytest.raises(RuntimeError, match="odd: 0 of 4 runs"):
        desk.sample_changes("odd", lambda n: act(2 * n + 1), range(4), 3)
