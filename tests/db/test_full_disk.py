"""A full disk: a write fails with one clear message, the database stays as it was, reads go on,
and once there is room again writes work.

Where the machine allows it (root, as in CI), the database lives on a real 16 MB tmpfs that the
test fills to the last byte, so DuckDB itself meets "No space left on device". Elsewhere the same
failure is injected where DuckDB raises it (the COMMIT), and the test says so in its id.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest

import db
from clinic.errors import DiskFull
from db import appointments, patients, users
from tests.conftest import copy_database, make_patient, make_provider, make_user, make_visit_type

pytestmark = pytest.mark.reliability

START = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)  # Monday 10:00 in New York


def _mount_small_disk(folder: Path) -> bool:
    folder.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(folder)],
                              capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _fill(folder: Path) -> Path:
    """Fill the disk under ``folder`` to its last byte; returns the filler file."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as out:
        for size in (1 << 20, 1 << 16, 1 << 12, 1):
            with contextlib.suppress(OSError):
                while True:
                    out.write(b"\0" * size)
    return filler


class _InjectedFullDisk:
    """Make COMMIT fail as DuckDB fails it on a full disk (for machines that cannot mount one)."""

    def __init__(self, monkeypatch) -> None:
        self.full = False
        real = db.transaction

        @contextlib.contextmanager
        def transaction(conn):
            with real(conn) as cur:
                yield cur
                if self.full:
                    raise duckdb.TransactionException(
                        'TransactionContext Error: Failed to commit: Could not write file "clinic.duckdb.wal": '
                        "No space left on device")

        monkeypatch.setattr(db, "transaction", transaction)


@pytest.fixture(params=["tmpfs", "injected"])
def disk(request, tmp_path, migrated_template, monkeypatch):
    """(connection, fill, free): a database on a disk that ``fill()`` makes full."""
    folder = tmp_path / "disk"
    if request.param == "tmpfs":
        if not _mount_small_disk(folder):
            pytest.skip("this machine cannot mount a small tmpfs (not root): the injected case covers it")
        request.addfinalizer(lambda: subprocess.run(["umount", "-l", str(folder)], capture_output=True))
    else:
        folder.mkdir()
    conn = db.connect(copy_database(migrated_template, folder / "clinic.duckdb"))
    request.addfinalizer(conn.close)
    if request.param == "tmpfs":
        state = {}

        def fill():
            state["filler"] = _fill(folder)

        def free():
            os.remove(state["filler"])
    else:
        injected = _InjectedFullDisk(monkeypatch)

        def fill():
            injected.full = True

        def free():
            injected.full = False
    return conn, fill, free


def test_a_write_on_a_full_disk_says_so_changes_nothing_and_reads_go_on(disk, caplog):
    conn, fill, free = disk
    desk = users.get(conn, make_user(conn, username="desk"))
    provider, visit = make_provider(conn), make_visit_type(conn)
    patient = make_patient(conn, last_name="Fullwood")
    before = db.read(conn, "SELECT (SELECT count(*) FROM appointments), (SELECT count(*) FROM audit_log)")

    conn.execute("CHECKPOINT")  # an empty write-ahead log: the booking needs new room on the disk
    fill()
    with caplog.at_level(logging.ERROR, logger="db"), pytest.raises(DiskFull) as refused:
        appointments.book(conn, patient_id=patient, provider_id=provider, type_id=visit, start=START, user=desk,
                          now=START.replace(hour=12))
    assert str(refused.value).startswith("The disk is full; nothing was saved.")
    # Not mistaken for a write conflict: no retries, one error in the log.
    assert [r.levelname for r in caplog.records if "disk is full" in r.getMessage()] == ["ERROR"]
    assert db.read(conn, "SELECT (SELECT count(*) FROM appointments), (SELECT count(*) FROM audit_log)") == before
    # Reads go on: the desk still finds the patient.
    assert [p.id for p in patients.search(conn, "Fullwood")] == [patient]

    free()
    booked = appointments.book(conn, patient_id=patient, provider_id=provider, type_id=visit, start=START,
                               user=desk, now=START.replace(hour=12))
    assert db.read(conn, "SELECT patient_id FROM appointments WHERE id = ?", [booked]) == [(patient,)]
    # And the file opens again with exactly that one booking added.
    path = db.read(conn, "SELECT path FROM duckdb_databases() WHERE database_name = current_database()")[0][0]
    conn.close()
    with contextlib.closing(db.connect(path)) as reopened:
        assert db.read(reopened, "SELECT count(*) FROM appointments") == [(before[0][0] + 1,)]
