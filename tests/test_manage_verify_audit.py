"""manage.py verify-audit as an operator runs it: a real process on a real file, exit 1 when broken."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import db
from tests.conftest import ROOT


def manage(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        capture_output=True, text=True, cwd=ROOT, timeout=120, stdin=subprocess.DEVNULL, env=env,
    )


def tamper(path: Path, *statements: str | tuple[str, list]) -> None:
    conn = db.connect(path, seal=False)
    try:
        for statement in statements:
            sql, params = statement if isinstance(statement, tuple) else (statement, [])
            conn.execute(sql, params)
    finally:
        conn.close()


def audit_rows(path: Path) -> tuple[int, int, int]:
    """(audit rows, seals, last audit id)."""
    conn = db.connect(path, seal=False)
    try:
        return db.read_one(conn, "SELECT (SELECT count(*) FROM audit_log), (SELECT count(*) FROM audit_chain),"
                                 " (SELECT max(id) FROM audit_log)")
    finally:
        conn.close()


def test_an_untouched_copy_passes(seeded_path):
    done = manage("verify-audit", "--db", str(seeded_path))
    assert done.returncode == 0, done.stdout + done.stderr
    rows, _, _ = audit_rows(seeded_path)
    assert done.stdout.strip() == f"Audit trail intact: {rows} rows checked."


def test_every_kind_of_tampering_is_listed_by_row_and_exits_1(seeded_path):
    from db import audit

    conn = db.connect(seeded_path)
    try:
        for patient_id in range(1, 11):
            db.atomic(conn, lambda cur: audit.record(cur, "doctor", "patient.view", "patient", patient_id,
                                                     patient_id=patient_id))
    finally:
        conn.close()
    _, _, last = audit_rows(seeded_path)
    assert last >= 12
    tamper(seeded_path,
           "UPDATE audit_log SET detail = 'nothing to see' WHERE id = 2",  # edited
           "DELETE FROM audit_log WHERE id = 4",  # deleted
           "UPDATE audit_log SET id = 100000 WHERE id = 8",  # 8 and 9 swapped
           "UPDATE audit_log SET id = 8 WHERE id = 9",
           "UPDATE audit_log SET id = 9 WHERE id = 100000",
           ("DELETE FROM audit_log WHERE id >= ?", [last - 1]),  # the tail cut: the last two rows and seals
           ("DELETE FROM audit_chain WHERE audit_id >= ?", [last - 1]),
           "INSERT INTO audit_log (action, username, occurred_at)"  # a back-dated row slipped in
           " VALUES ('patient.view', 'manager', current_timestamp - INTERVAL 30 DAY)")
    done = manage("verify-audit", "--db", str(seeded_path))
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Audit trail broken: 6 problems found")
    listed = {line.split(":")[0].strip() for line in lines[1:]}
    assert listed == {f"[tail_cut] row {last}", "[changed] row 2", "[deleted] row 4", "[reordered] row 8",
                      "[reordered] row 9", f"[inserted] row {last + 1}"}


def test_a_copy_with_its_head_file_passes_in_another_folder_and_fails_without_it(seeded_path, tmp_path):
    copy = tmp_path / "elsewhere" / "clinic-copy.duckdb"
    copy.parent.mkdir()
    shutil.copyfile(seeded_path, copy)
    assert manage("verify-audit", "--db", str(copy)).returncode == 1  # no head file beside it
    head = seeded_path.with_name(seeded_path.name + ".audit-head")
    done = manage("verify-audit", "--db", str(copy), "--head", str(head))
    assert done.returncode == 0, done.stdout
    shutil.copyfile(head, copy.with_name(copy.name + ".audit-head"))
    assert manage("verify-audit", "--db", str(copy)).returncode == 0


def test_verify_audit_seals_nothing_and_reports_late_rows(seeded_path):
    tamper(seeded_path, "INSERT INTO audit_log (action, username) VALUES ('patient.view', 'doctor')")
    before = audit_rows(seeded_path)
    done = manage("verify-audit", "--db", str(seeded_path))
    assert done.returncode == 1
    assert "[unsealed]" in done.stdout
    assert audit_rows(seeded_path) == before


def test_verify_audit_without_the_key_says_so_and_creates_none(seeded_path, tmp_path):
    secrets = tmp_path / "empty" / "secrets.toml"
    done = manage("verify-audit", "--db", str(seeded_path), env={**os.environ, "CLINICDESK_SECRETS": str(secrets)})
    assert done.returncode == 1
    assert "no audit_key" in done.stderr
    assert not secrets.exists()


def test_init_writes_the_audit_key_into_the_secrets_file(tmp_path):
    secrets = tmp_path / "conf" / "secrets.toml"
    path = tmp_path / "new.duckdb"
    env = {**os.environ, "CLINICDESK_SECRETS": str(secrets)}
    done = manage("init", "--db", str(path), "--admin-password", "a good password", env=env)
    assert done.returncode == 0, done.stderr
    assert len(bytes.fromhex(tomllib.loads(secrets.read_text())["audit_key"])) == 32
    assert str(secrets) in done.stdout
    assert manage("verify-audit", "--db", str(path), env=env).returncode == 0


def test_reanchor_records_what_was_found_and_starts_a_new_head(seeded_path):
    seeded_path.with_name(seeded_path.name + ".audit-head").unlink()
    assert manage("verify-audit", "--db", str(seeded_path)).returncode == 1
    done = manage("verify-audit", "--db", str(seeded_path), "--reanchor")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[head_missing]" in done.stdout
    assert manage("verify-audit", "--db", str(seeded_path)).returncode == 0
