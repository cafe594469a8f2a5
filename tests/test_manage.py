"""manage.py as an operator uses it: real processes, real files."""

from __future__ import annotations

import subprocess
import sys

import db
from tests.conftest import ROOT


def manage(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        capture_output=True, text=True, cwd=ROOT, timeout=120, stdin=subprocess.DEVNULL, env=env,
    )


def test_init_creates_an_empty_clinic_with_one_admin_who_can_sign_in(tmp_path):
    path = tmp_path / "new.duckdb"
    done = manage("init", "--db", str(path), "--admin-username", "alice", "--admin-name", "Alice Admin",
                  "--admin-password", "a good password", "--clinic-name", "Hillside Clinic")
    assert done.returncode == 0, done.stderr
    conn = db.connect(path)
    try:
        from db import settings, users

        assert users.authenticate(conn, "alice", "a good password").role == "admin"
        assert settings.get(conn, "clinic_name") == "Hillside Clinic"
        assert not settings.is_demo(conn)
        assert db.read(conn, "SELECT count(*) FROM patients")[0][0] == 0
    finally:
        conn.close()


def test_seed_builds_a_new_file_and_refuses_to_overwrite_it(tmp_path):
    path = tmp_path / "demo.duckdb"
    first = manage("seed", "--scale", "test", "--db", str(path))
    assert first.returncode == 0, first.stderr
    assert "Seeded" in first.stdout
    assert not (tmp_path / "demo.duckdb.partial").exists()
    conn = db.connect(path)
    patients = db.read(conn, "SELECT count(*) FROM patients")[0][0]
    conn.close()
    again = manage("seed", "--scale", "test", "--db", str(path))
    assert again.returncode == 1
    assert "already has patients" in again.stderr
    conn = db.connect(path)
    assert db.read(conn, "SELECT count(*) FROM patients")[0][0] == patients
    conn.close()


def test_a_file_held_by_another_process_is_reported_in_one_line_with_exit_status_2(tmp_path):
    path = tmp_path / "held.duckdb"
    db.connect(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); time.sleep(60)", str(path)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        done = manage("create-user", "--db", str(path), "--username", "bob", "--full-name", "Bob Ray",
                      "--role", "billing", "--password", "long enough")
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "in use by another process" in lines[0]


def test_create_user_refuses_a_short_password_with_a_message(tmp_path):
    path = tmp_path / "c.duckdb"
    done = manage("create-user", "--db", str(path), "--username", "bob", "--full-name", "Bob Ray",
                  "--role", "billing", "--password", "short")
    assert done.returncode == 1
    assert "password: Use at least 12 characters." in done.stderr


def test_describe_prints_the_address_and_the_demo_logins(tmp_path):
    path = tmp_path / "demo.duckdb"
    assert manage("seed", "--scale", "test", "--db", str(path)).returncode == 0
    out = manage("describe", "--db", str(path), "--port", "8599").stdout
    assert "http://127.0.0.1:8599" in out
    assert "frontdesk" in out and "'demo'" in out


def test_seed_never_puts_demo_users_into_a_clinics_database(tmp_path):
    path = tmp_path / "clinic.duckdb"
    made = manage("init", "--db", str(path), "--admin-username", "boss", "--admin-name", "Pat Boss",
                  "--admin-password", "long unusual passphrase 42")
    assert made.returncode == 0, made.stderr
    seeded = manage("seed", "--scale", "test", "--db", str(path))
    assert seeded.returncode == 1 and "clinic's database" in seeded.stderr
    conn = db.connect(path)
    assert db.read(conn, "SELECT username FROM users") == [("boss",)]
    conn.close()
