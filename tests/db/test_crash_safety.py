"""Crash safety: a writer process doing the desk's mixed work (booking, checking in and
completing a visit with its invoice and kit usage, taking payments, using stock) is killed with
SIGKILL at a random moment, 20 rounds. After each kill the file opens; every commit the writer had
acknowledged (it logs each id to a side file, fsynced, after COMMIT returned) is there; and nothing
is half-written: no appointment without its event, no invoice without its lines, no payment
without its audit row, no overlapping bookings, no stock below zero.

The writer is a forked child of this test process (so a round costs a second, not a Python
start); the parent holds no connection while it runs.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import random
import signal
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

import db
from clinic.errors import ClinicError
from tests.conftest import SEED_NOW

ROUNDS = 20

pytestmark = pytest.mark.reliability


def _log(fd: int, text: str) -> None:
    os.write(fd, (text + "\n").encode())
    os.fsync(fd)


def _writer(path: str, log_path: str, seed: int) -> None:
    from db import appointments, billing, inventory, slots, users

    rng = random.Random(seed)
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    conn = db.connect(path)
    desk = users.get(conn, db.read(conn, "SELECT id FROM users WHERE username = 'frontdesk'")[0][0])
    patients = [r[0] for r in db.read(conn, "SELECT id FROM patients WHERE status = 'active' ORDER BY id LIMIT 60")]
    visit_type = db.read(conn, "SELECT id FROM visit_types WHERE NOT new_patients_only ORDER BY id LIMIT 1")[0][0]
    items = [r[0] for r in db.read(conn, "SELECT item_id FROM stock_balances GROUP BY item_id"
                                         " HAVING sum(quantity) > 50 ORDER BY item_id LIMIT 8")]
    booked: list[tuple[int, object]] = []
    _log(fd, "ready")
    while True:
        try:
            choice = rng.random()
            if choice < 0.35 or not booked:
                after = SEED_NOW + timedelta(days=rng.randint(1, 60), hours=rng.randint(0, 8))
                free = slots.find_next_available(conn, visit_type, after=after, limit=1)
                if free:
                    appointment = appointments.book(conn, patient_id=rng.choice(patients),
                                                    provider_id=free[0].provider_id, type_id=visit_type,
                                                    start=free[0].start, user=desk, now=SEED_NOW)
                    booked.append((appointment, free[0].start))
                    _log(fd, f"appointment {appointment}")
            elif choice < 0.55:
                appointment, start = booked.pop(rng.randrange(len(booked)))
                appointments.change_status(conn, appointment, "checked_in", user=desk, now=start)
                appointments.change_status(conn, appointment, "completed", user=desk,
                                           now=start + timedelta(minutes=20))
                _log(fd, f"visit {appointment}")
            elif choice < 0.8:
                invoice = db.read(conn, "SELECT id FROM invoices WHERE status = 'open' ORDER BY random() LIMIT 1")
                if invoice:
                    payment = billing.post_patient_payment(conn, invoice_id=invoice[0][0], amount=Decimal("2.50"),
                                                           method="cash", user=desk)
                    _log(fd, f"payment {payment}")
            elif items:
                inventory.use(conn, item_id=rng.choice(items), quantity=1, user=desk, today=SEED_NOW.date())
                _log(fd, "use 1")
        except ClinicError:
            pass  # a rule said no (a slot gone): the desk goes on


def _acknowledged(log_path: Path) -> dict[str, list[int]]:
    done: dict[str, list[int]] = {"appointment": [], "visit": [], "payment": [], "use": []}
    for line in log_path.read_text().splitlines():
        kind, _, value = line.partition(" ")
        if kind in done and value.isdigit():
            done[kind].append(int(value))
    return done


def _check(path: Path, acked: dict[str, list[int]], baseline: dict[str, int]) -> None:
    with contextlib.closing(db.connect(path)) as conn:  # it opens, every time

        def ids(sql: str) -> set[int]:
            return {r[0] for r in db.read(conn, sql)}

        assert set(acked["appointment"]) <= ids("SELECT id FROM appointments")
        assert set(acked["visit"]) <= ids("SELECT id FROM appointments WHERE status = 'completed'")
        assert set(acked["visit"]) <= ids("SELECT appointment_id FROM invoices WHERE appointment_id IS NOT NULL")
        assert set(acked["payment"]) <= ids("SELECT id FROM payments")
        used = db.read(conn, "SELECT count(*) FROM stock_movements WHERE kind = 'usage' AND id > ?",
                       [baseline["movement"]])[0][0]
        assert used >= sum(acked["use"])
        # Nothing half-written among what the writers made.
        assert db.read(conn, "SELECT count(*) FROM appointments a WHERE a.id > ? AND NOT EXISTS"
                             " (SELECT 1 FROM appointment_events e WHERE e.appointment_id = a.id)",
                       [baseline["appointment"]]) == [(0,)]
        assert db.read(conn, "SELECT count(*) FROM invoices i WHERE i.id > ? AND NOT EXISTS"
                             " (SELECT 1 FROM invoice_lines l WHERE l.invoice_id = i.id)",
                       [baseline["invoice"]]) == [(0,)]
        assert db.read(conn, "SELECT count(*) FROM payments p WHERE p.id > ? AND NOT EXISTS"
                             " (SELECT 1 FROM audit_log a WHERE a.entity = 'payment'"
                             " AND a.entity_id = CAST(p.id AS VARCHAR))", [baseline["payment"]]) == [(0,)]
        assert db.read(conn, "SELECT count(*) FROM appointments a JOIN appointments b ON a.provider_id = b.provider_id"
                             " AND a.id < b.id AND a.status <> 'cancelled' AND b.status <> 'cancelled'"
                             " AND a.start_at < b.busy_until AND b.start_at < a.busy_until") == [(0,)]
        assert db.read(conn, "SELECT count(*) FROM stock_balances WHERE quantity < 0") == [(0,)]


def test_a_writer_killed_at_any_moment_loses_no_acknowledged_commit_and_leaves_nothing_half_written(seeded_path,
                                                                                                    tmp_path):
    with contextlib.closing(db.connect(seeded_path)) as conn:
        baseline = dict(zip(("appointment", "invoice", "payment", "movement"), db.read(
            conn, "SELECT (SELECT max(id) FROM appointments), (SELECT max(id) FROM invoices),"
                  " (SELECT coalesce(max(id), 0) FROM payments), (SELECT max(id) FROM stock_movements)")[0]))
    fork = multiprocessing.get_context("fork")
    rng = random.Random(2026)
    log_path = tmp_path / "acknowledged.log"
    committed = 0
    for round_ in range(ROUNDS):
        writer = fork.Process(target=_writer, args=(str(seeded_path), str(log_path), round_), daemon=True)
        writer.start()
        deadline = time.monotonic() + 30
        while (not log_path.exists() or log_path.read_text().count("ready") <= round_) and time.monotonic() < deadline:
            assert writer.is_alive(), "the writer stopped before it was ready"
            time.sleep(0.01)
        time.sleep(rng.uniform(0.05, 0.8))
        os.kill(writer.pid, signal.SIGKILL)
        writer.join(timeout=10)
        assert writer.exitcode == -signal.SIGKILL
        acked = _acknowledged(log_path)
        _check(seeded_path, acked, baseline)
        committed = sum(len(v) for v in acked.values())
    assert committed >= ROUNDS  # the writers did get work done between the kills, of every kind
    assert all(acked[kind] for kind in ("appointment", "visit", "payment", "use")), {k: len(v) for k, v in acked.items()}
