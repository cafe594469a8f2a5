"""Race-freedom of a freed slot taken back: one thread checks a no-show patient in (a late
arrival) while others book the slot their no-show freed. At most one may hold the time."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

import db
from clinic import scheduling
from db import Connection, appointments, atomic, booking_context, users
from tests.conftest import make_patient, make_provider, make_user, make_visit_type
from tests.db.race_helpers import book_naively

NY = ZoneInfo("America/New_York")
THREADS = 20

pytestmark = pytest.mark.serial


def at(hh: int, mm: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 3, day, hh, mm, tzinfo=NY).astimezone(timezone.utc)


@pytest.fixture
def scene(conn):
    """Dr. Ames's 16:25 patient marked no-show at 16:41: the slot is free again."""
    user = users.get(conn, make_user(conn, username="desk"))
    provider = make_provider(conn, name="Dr. Ames")
    visit = make_visit_type(conn, name="Follow-up", duration_min=15)
    no_show = appointments.book(conn, patient_id=make_patient(conn), provider_id=provider, type_id=visit,
                                start=at(16, 25), user=user, now=at(7))
    appointments.change_status(conn, no_show, "no_show", user=user, now=at(16, 41))
    return {"conn": conn, "user": user, "provider": provider, "visit": visit, "no_show": no_show}


def overlapping_pairs(conn) -> int:
    """Pairs of appointments that hold the same provider's time at once."""
    return db.read(
        conn,
        "SELECT count(*) FROM appointments a JOIN appointments b ON a.provider_id = b.provider_id AND a.id < b.id"
        " AND a.start_at < b.busy_until AND b.start_at < a.busy_until"
        " WHERE list_contains($blocking, a.status) AND list_contains($blocking, b.status)",
        {"blocking": sorted(scheduling.BLOCKING)},
    )[0][0]


def holding_the_slot(conn) -> int:
    return db.read(conn, "SELECT count(*) FROM appointments WHERE start_at = ? AND list_contains(?, status)",
                   [at(16, 25), sorted(scheduling.BLOCKING)])[0][0]


def run_together(jobs) -> tuple[list, list, list]:
    """Run each job on its own thread, all released at once; sort outcomes into won/refused/other."""
    barrier = threading.Barrier(len(jobs))
    won, refused, other = [], [], []

    def worker(name, job):
        barrier.wait()
        try:
            job()
            won.append(name)
        except scheduling.SlotTaken:
            refused.append(name)
        except BaseException as exc:  # noqa: BLE001 - any other escape fails the test
            other.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(name, job)) for name, job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return won, refused, other


@pytest.mark.parametrize("round_", range(3))
def test_a_late_check_in_racing_bookings_for_the_freed_slot_leaves_one_appointment_holding_it(scene, round_):
    conn = scene["conn"]
    patients = [make_patient(conn) for _ in range(THREADS - 1)]

    def check_in():
        appointments.change_status(conn, scene["no_show"], "checked_in", user=scene["user"], now=at(16, 45))

    def booker(patient_id):
        return lambda: appointments.book(conn, patient_id=patient_id, provider_id=scene["provider"],
                                         type_id=scene["visit"], start=at(16, 25), user=scene["user"],
                                         now=at(16, 20))

    # The check-in goes first, in the middle, or last in the list of threads started.
    jobs = [(f"book {i}", booker(p)) for i, p in enumerate(patients)]
    jobs.insert([0, THREADS // 2, THREADS - 1][round_], ("check in", check_in))
    won, refused, other = run_together(jobs)
    assert other == []
    assert len(won) == 1 and len(refused) == THREADS - 1
    assert holding_the_slot(conn) == 1
    assert overlapping_pairs(conn) == 0
    checked_in = appointments.get(conn, scene["no_show"]).status == "checked_in"
    assert checked_in == (won == ["check in"])


def _check_in_naively(conn: Connection, appointment_id: int, after_check) -> None:
    """Test-only: the overlap check WITHOUT the version bumps (what change_status did before)."""

    def write(cur: Connection) -> None:
        start, end, busy_until, patient_id, provider_id = cur.execute(
            "SELECT start_at, end_at, busy_until, patient_id, provider_id FROM appointments WHERE id = ?",
            [appointment_id],
        ).fetchone()
        provider = booking_context.provider_facts(cur, provider_id)
        ctx = booking_context.load(cur, ({}, scheduling.Rules()), provider=provider, provider_id=provider_id,
                                   patient_id=patient_id, start=start, exclude_id=appointment_id)
        scheduling.check_still_free(start, end, busy_until, ctx)
        after_check()
        cur.execute("UPDATE appointments SET status = 'checked_in' WHERE id = ?", [appointment_id])

    atomic(conn, write, attempts=1)


def test_the_race_test_catches_a_check_in_that_checks_without_the_version_bumps(scene):
    # Force the interleaving MVCC allows: the naive check-in and a naive booker have both seen a
    # free slot before either writes. Both then hold the time, and the counts above notice it.
    conn = scene["conn"]
    both_checked = threading.Barrier(2, timeout=30)
    patient = make_patient(conn)
    won, refused, other = run_together([
        ("check in", lambda: _check_in_naively(conn, scene["no_show"], both_checked.wait)),
        ("book", lambda: book_naively(conn, patient_id=patient, provider_id=scene["provider"],
                                      type_id=scene["visit"], start=at(16, 25), after_check=both_checked.wait)),
    ])
    assert other == [] and refused == [] and len(won) == 2
    assert holding_the_slot(conn) == 2
    assert overlapping_pairs(conn) == 1


def test_a_real_check_in_and_booking_forced_into_the_same_interleaving_hold_the_slot_once(scene, monkeypatch):
    # The same interleaving attempted against the real functions: each one, after its version
    # bumps and overlap check, waits until the other has checked too, or has hit a write
    # conflict. With the bumps the second to bump conflicts (it never gets to check), the first
    # commits, and db.atomic retries the second with a fresh snapshot: it sees the winner and is
    # refused. Without the bumps both check, both write, and the slot is held twice.
    conn = scene["conn"]
    turn = threading.Condition()
    state = {"checked": 0, "conflicted": False}
    real_is_conflict = db.is_conflict

    def is_conflict(exc):
        found = real_is_conflict(exc)
        if found:
            with turn:
                state["conflicted"] = True
                turn.notify_all()
        return found

    def wait_for_the_other():
        with turn:
            state["checked"] += 1
            turn.notify_all()
            turn.wait_for(lambda: state["checked"] >= 2 or state["conflicted"], timeout=20)

    real_still_free, real_check_booking = scheduling.check_still_free, scheduling.check_booking

    def still_free(*args, **kwargs):
        real_still_free(*args, **kwargs)
        wait_for_the_other()

    def check_booking(*args, **kwargs):
        result = real_check_booking(*args, **kwargs)
        wait_for_the_other()
        return result

    monkeypatch.setattr(db, "is_conflict", is_conflict)
    monkeypatch.setattr(scheduling, "check_still_free", still_free)
    monkeypatch.setattr(scheduling, "check_booking", check_booking)
    patient = make_patient(conn)
    won, refused, other = run_together([
        ("check in", lambda: appointments.change_status(conn, scene["no_show"], "checked_in", user=scene["user"],
                                                        now=at(16, 45))),
        ("book", lambda: appointments.book(conn, patient_id=patient, provider_id=scene["provider"],
                                           type_id=scene["visit"], start=at(16, 25), user=scene["user"],
                                           now=at(16, 20))),
    ])
    assert other == []
    assert len(won) == 1 and len(refused) == 1
    assert holding_the_slot(conn) == 1


def test_the_slot_stays_free_for_bookers_when_a_refused_check_in_rolls_back(scene):
    conn = scene["conn"]
    appointments.book(conn, patient_id=make_patient(conn), provider_id=scene["provider"], type_id=scene["visit"],
                      start=at(16, 25), user=scene["user"], now=at(16, 20))
    with pytest.raises(scheduling.ProviderBusy):
        appointments.change_status(conn, scene["no_show"], "checked_in", user=scene["user"],
                                   now=at(16, 45))
    # The refused check-in left nothing behind: the next patient books the 16:40 slot at once.
    appointments.book(conn, patient_id=make_patient(conn), provider_id=scene["provider"], type_id=scene["visit"],
                      start=at(16, 40), user=scene["user"], now=at(16, 20) + timedelta(minutes=1))
    assert overlapping_pairs(conn) == 0
