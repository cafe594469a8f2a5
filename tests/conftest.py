"""Shared fixtures: a fresh temporary DuckDB per test, factories, a seeded database, AppTest sign-in.

Factories follow datasette's habit: ``make_patient(conn, **overrides)`` inserts one row with
believable defaults and returns its id, so a test states only what it cares about.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import tempfile
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from clinic import passwords

# Password hashing at test cost inside the test processes: argon2id at production cost takes a
# fifth of a second per hash on these machines, and the suite makes and checks hundreds of
# accounts. Servers the browser tests start hash at production cost (they rehash a test-cost hash
# at its first sign-in); a test that needs production cost asks for ``production_password_cost``.
PRODUCTION_HASHER = passwords._hasher
passwords._hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)

import duckdb  # noqa: E402

# Database files the test processes create use DuckDB's smallest block size, 16 KB, instead of its
# 256 KB default: the small seeded clinic is then a 4 MB file instead of 35 MB (and seeds faster),
# and the suite copies a template for most of its tests, about 1,500 copies, which at 35 MB each
# wrote over 50 GB to disk per run and spent about a tenth of the page tests' time in the copy.
# Only how the file is laid out changes: the SQL, its results and the app's code are the same.
# Files the app creates in its own processes (the servers of the browser tests, manage.py) keep the
# default, as a clinic's do.
TEST_BLOCK_SIZE = 16_384
_duckdb_connect = duckdb.connect


def _connect_with_small_blocks(database=":memory:", read_only: bool = False, config: dict | None = None, **kwargs):
    return _duckdb_connect(database, read_only=read_only,
                           config={"default_block_size": TEST_BLOCK_SIZE, **(config or {})}, **kwargs)


duckdb.connect = _connect_with_small_blocks

import db  # noqa: E402
from db import users as _users  # noqa: E402

_users._DUMMY_HASH = passwords.hash_password("not-a-real-password")

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
SEED_TODAY = date(2026, 3, 2)  # a Monday, a week before the US spring-forward change
# The clinic clock every page test starts from: SEED_TODAY 10:00 in New York (EST, UTC-5).
SEED_NOW = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)
TZ = "America/New_York"

_counter = itertools.count(1)

# The audit key (clinic.app_secrets) comes from a secrets file of this test process, never the
# repository's .streamlit/secrets.toml; servers the tests start inherit it through the environment.
# No automatic daily backup in the app under test (components/daily_backup.py): every page test
# would start one on its short-lived database. tests/pages/test_backups_page.py switches it on.
os.environ["CLINICDESK_DAILY_BACKUP"] = "off"
os.environ["CLINICDESK_SECRETS"] = str(Path(tempfile.mkdtemp(prefix="clinicdesk-secrets-")) / "secrets.toml")


def copy_database(source: Path, target: Path) -> Path:
    """Copy a closed, checkpointed database file and its audit head file (db/audit_chain.py)
    beside it: without the head the copy's audit trail would not verify."""
    shutil.copyfile(source, target)
    head = source.with_name(source.name + ".audit-head")
    if head.exists():
        shutil.copyfile(head, target.with_name(target.name + ".audit-head"))
    return target


# --- databases -------------------------------------------------------------------------------


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "clinic.duckdb"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Path:
    """An empty database with every migration applied, made once per session (migrating takes a
    quarter of a second; copying the checkpointed file, a few milliseconds)."""
    path = tmp_path_factory.mktemp("migrated") / "empty.duckdb"
    connection = db.connect(path)
    connection.execute("CHECKPOINT")
    connection.close()
    return path


@pytest.fixture
def conn(db_path: Path, migrated_template: Path):
    """A fresh, migrated, empty database file for one test (a copy of the session's template;
    tests/db/test_migrations.py migrates from scratch)."""
    copy_database(migrated_template, db_path)
    connection = db.connect(db_path)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory) -> Path:
    """A small seeded database built once per session; tests get their own copy."""
    from demo import seed

    path = tmp_path_factory.mktemp("template") / "seeded.duckdb"
    connection = db.connect(path)
    seed.seed(connection, scale="test", seed=7, timezone=TZ, today=SEED_TODAY)
    connection.execute("CHECKPOINT")
    connection.close()
    return path


@pytest.fixture
def seeded_path(seeded_template: Path, tmp_path: Path) -> Path:
    # A plain file copy is safe here: the template was checkpointed and closed (no WAL).
    path = tmp_path / "seeded.duckdb"
    return copy_database(seeded_template, path)


@pytest.fixture
def seeded(seeded_path: Path):
    connection = db.connect(seeded_path)
    yield connection
    connection.close()


@pytest.fixture
def production_password_cost(monkeypatch):
    """argon2id at the cost the app uses (see the top of this file), for tests about it."""
    monkeypatch.setattr(passwords, "_hasher", PRODUCTION_HASHER)
    monkeypatch.setattr(_users, "_DUMMY_HASH", PRODUCTION_HASHER.hash("not-a-real-password"))


# --- reading a test's database from outside the app -------------------------------------------


@contextlib.contextmanager
def database(path: Path):
    """A connection to ``path`` for the length of a with-block. Inside one process DuckDB shares
    the database between connections, so this sees what the app under AppTest wrote."""
    connection = db.connect(path)
    try:
        yield connection
    finally:
        connection.close()


def query(path: Path, sql: str, params=None) -> list[tuple]:
    with database(path) as connection:
        return db.read(connection, sql, params)


# --- factories -------------------------------------------------------------------------------


def make_user(conn, **overrides: Any) -> int:
    from db import users

    n = next(_counter)
    values = {"username": f"user{n}", "full_name": f"Test User {n}", "role": "front_desk", "password": "correct horse"}
    values.update(overrides)
    return users.create(conn, by="test", **values)


def make_provider(conn, **overrides: Any) -> int:
    n = next(_counter)
    values = {"name": f"Dr. Test {n}", "kind": "physician", "colour": "#2563eb", "active": True,
              "accepting_new": True, "user_id": None}
    values.update(overrides)
    hours = values.pop("hours", [(wd, time(8), time(12)) for wd in range(5)] + [(wd, time(13), time(17)) for wd in range(5)])
    cur = conn.cursor()
    (provider_id,) = cur.execute(
        "INSERT INTO providers (name, kind, colour, active, accepting_new, user_id)"
        " VALUES ($name, $kind, $colour, $active, $accepting_new, $user_id) RETURNING id",
        values,
    ).fetchone()
    for weekday, start, end in hours:
        cur.execute(
            "INSERT INTO provider_hours (provider_id, weekday, start_time, end_time) VALUES (?, ?, ?, ?)",
            [provider_id, weekday, start, end],
        )
    return provider_id


def make_visit_type(conn, **overrides: Any) -> int:
    n = next(_counter)
    values = {"name": f"Visit type {n}", "duration_min": 15, "colour": "#64748b", "new_patients_only": False,
              "buffer_after_min": 0, "default_fee_code": "99213"}
    values.update(overrides)
    (type_id,) = conn.cursor().execute(
        "INSERT INTO visit_types (name, duration_min, colour, new_patients_only, buffer_after_min, default_fee_code)"
        " VALUES ($name, $duration_min, $colour, $new_patients_only, $buffer_after_min, $default_fee_code) RETURNING id",
        values,
    ).fetchone()
    return type_id


def make_patient(conn, **overrides: Any) -> int:
    n = next(_counter)
    values = {"first_name": "Alex", "last_name": f"Testpatient{n}", "date_of_birth": date(1980, 1, 1) + timedelta(days=n),
              "sex": "female", "phone_mobile": f"+1212555{n % 10000:04d}", "email": f"alex{n}@example.com",
              "reminder_opt_in": True}
    values.update(overrides)
    (patient_id,) = conn.cursor().execute(
        "INSERT INTO patients (mrn, first_name, last_name, date_of_birth, sex, phone_mobile, email, reminder_opt_in)"
        " VALUES (nextval('patients_mrn_seq')::VARCHAR, $first_name, $last_name, $date_of_birth, $sex,"
        " $phone_mobile, $email, $reminder_opt_in) RETURNING id",
        values,
    ).fetchone()
    return patient_id


def make_appointment(conn, **overrides: Any) -> int:
    """Insert an appointment row directly (no booking rules): for setting up a scene."""
    values = {"status": "scheduled", "start_at": datetime(2026, 3, 2, 14, 0, tzinfo=timezone.utc), "minutes": 15,
              "reason": "Check-up"}
    values.update(overrides)
    if "patient_id" not in values:
        values["patient_id"] = make_patient(conn)
    if "provider_id" not in values:
        values["provider_id"] = make_provider(conn)
    if "type_id" not in values:
        values["type_id"] = make_visit_type(conn, duration_min=values["minutes"])
    end = values["start_at"] + timedelta(minutes=values.pop("minutes"))
    values["end_at"] = end
    (appointment_id,) = conn.cursor().execute(
        "INSERT INTO appointments (patient_id, provider_id, type_id, start_at, end_at, busy_until, status, reason)"
        " VALUES ($patient_id, $provider_id, $type_id, $start_at, $end_at, $end_at, $status, $reason) RETURNING id",
        values,
    ).fetchone()
    return appointment_id


# --- AppTest ---------------------------------------------------------------------------------


@pytest.fixture
def app_env(seeded_path: Path, monkeypatch):
    """Point the app at a private seeded database, give it a clean Streamlit cache and set the
    clinic clock to SEED_NOW (a test that needs another moment uses ``clinic_clock``)."""
    import streamlit as st

    from clinic import timeutil

    monkeypatch.setenv("CLINICDESK_DB", str(seeded_path))
    st.cache_resource.clear()
    st.cache_data.clear()
    # A clock fixture that ran before this one (an autouse ``clinic_clock`` call, e.g. "the
    # seeded Monday at 07:00") has already chosen the moment: keep it. Otherwise start at SEED_NOW.
    if timeutil._frozen_at is None:
        timeutil.set_clock(SEED_NOW)
    try:
        yield seeded_path
    finally:
        timeutil.set_clock(None)
        st.cache_resource.clear()
        st.cache_data.clear()


def app_test():
    from streamlit.testing.v1 import AppTest

    from bench.pages import like_the_server

    like_the_server()  # app.py on every run, components scanned and scripts compiled once
    return AppTest.from_file(APP, default_timeout=30)


def user_id_for(path: Path, username: str) -> int:
    connection = db.connect(path)
    try:
        row = db.read_one(connection, "SELECT id FROM users WHERE username = ?", [username])
    finally:
        connection.close()
    assert row, f"no user {username}"
    return row[0]


DEMO_USER_FOR_ROLE = {
    "front_desk": "frontdesk",
    "billing": "billing",
    "clinician": "doctor",
    "manager": "manager",
    "admin": "admin",
}


@pytest.fixture(scope="session")
def demo_user_ids(seeded_template: Path) -> dict[str, int]:
    """The demo accounts' ids, the same in every copy of the seeded template."""
    return {role: user_id_for(seeded_template, username) for role, username in DEMO_USER_FOR_ROLE.items()}


@pytest.fixture
def signed_in(app_env: Path, demo_user_ids: dict[str, int]):
    """``signed_in("admin")`` returns an AppTest already signed in as that role's demo user.

    The test holds a connection to the app's database for its whole length, as the running app
    does: every other connection (the app's, the test's reads) then shares its open instance
    instead of opening the file again (a fortieth of a second each time)."""

    def sign_in(role: str):
        at = app_test()
        at.session_state["user_id"] = demo_user_ids[role]
        return at

    held = db.connect(app_env)
    try:
        yield sign_in
    finally:
        held.close()


# --- marks by folder -------------------------------------------------------------------------


def pytest_collection_modifyitems(config, items):
    """Every browser test is ``e2e`` and ``slow``; every AppTest page test is ``slow``.

    Marked here by folder, so a new test file cannot forget its mark. ``make test`` runs them
    all; ``make test-fast`` skips the slow ones while you work.
    """
    for item in items:
        parts = Path(str(item.fspath)).parts
        if "e2e" in parts:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.slow)
        elif "pages" in parts:
            item.add_marker(pytest.mark.slow)
        # Under ``--dist loadgroup`` (tests/run_all.py) a file's tests stay on one worker, with its
        # module-scoped servers; the seeder's tests all go to one, which seeds their shared
        # databases once (package-scoped fixtures would be built again on each worker).
        item.add_marker(pytest.mark.xdist_group("demo" if "demo" in parts else str(item.fspath)))
    # Browser files spread evenly through the run: while one worker's browser test waits on the
    # page, the other worker's test has the processor (two browser tests at once mostly wait on
    # each other's browsers and servers), and no worker is left finishing a long browser file alone.
    items[:] = _browser_files_spread(items)


def _browser_files_spread(items: list) -> list:
    files: dict[str, list] = {}
    for item in items:
        files.setdefault(str(item.fspath), []).append(item)
    browser = [tests for path, tests in files.items() if "e2e" in Path(path).parts]
    other = [tests for path, tests in files.items() if "e2e" not in Path(path).parts]
    spread, b, o = [], 0, 0
    while b < len(browser) or o < len(other):
        # Take from whichever list is behind, in proportion to its length.
        if o >= len(other) or (b < len(browser) and b / len(browser) <= o / len(other)):
            spread += browser[b]
            b += 1
        else:
            spread += other[o]
            o += 1
    return spread


@pytest.fixture
def clinic_clock():
    """``clinic_clock(instant)`` sets the clinic clock for this test; it is reset afterwards."""
    from clinic import timeutil

    yield timeutil.set_clock
    timeutil.set_clock(None)
