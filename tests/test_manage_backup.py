"""manage.py backup, verify-backup and restore, as an operator runs them with the app stopped."""

from __future__ import annotations

import contextlib

import db
from tests.test_manage import manage


def test_backup_verify_and_restore_from_the_command_line(seeded_path, tmp_path):
    folder = tmp_path / "offsite"
    made = manage("backup", "--db", str(seeded_path), "--to", str(folder))
    assert made.returncode == 0, made.stderr
    assert "Backed up" in made.stdout and "rows" in made.stdout
    (backup,) = folder.glob("clinicdesk-*.duckdb")
    assert (folder / (backup.name + ".manifest.json")).exists()

    checked = manage("verify-backup", str(backup))
    assert checked.returncode == 0, checked.stderr
    assert "checks out" in checked.stdout

    target = tmp_path / "restored.duckdb"
    restored = manage("restore", str(backup), "--to", str(target))
    assert restored.returncode == 0, restored.stderr
    with contextlib.closing(db.connect(seeded_path)) as source, contextlib.closing(db.connect(target)) as copy:
        patients = db.read(source, "SELECT count(*) FROM patients")[0][0]
        assert db.read(copy, "SELECT count(*) FROM patients")[0][0] == patients
    assert f"  patients: {patients} rows" in restored.stdout

    # Never over an existing file; a damaged backup is refused by both commands.
    again = manage("restore", str(backup), "--to", str(target))
    assert again.returncode == 1 and "never overwrites" in again.stderr
    data = bytearray(backup.read_bytes())
    for block in range(12288 + 4096, len(data), 262144):  # a scratch in every data block
        data[block:block + 64] = b"\xa5" * 64
    backup.write_bytes(bytes(data))
    damaged = manage("verify-backup", str(backup))
    assert damaged.returncode == 1 and "does not check out" in damaged.stderr
    refused = manage("restore", str(backup), "--to", str(tmp_path / "other.duckdb"))
    assert refused.returncode == 1 and not (tmp_path / "other.duckdb").exists()


def test_doctor_reports_a_healthy_file_and_exits_non_zero_on_a_problem(seeded_path, tmp_path):
    first = manage("doctor", "--db", str(seeded_path))
    # No backup yet: a warning, and a non-zero exit for monitoring to notice.
    assert first.returncode == 1, first.stdout + first.stderr
    assert "[WARN] No backup in" in first.stdout
    assert "[ok  ] Schema version" in first.stdout and "[ok  ] Every table reads back whole" in first.stdout
    assert "[ok  ] Audit trail intact" in first.stdout

    assert manage("backup", "--db", str(seeded_path), "--to", str(seeded_path.parent / "backups")).returncode == 0
    healthy = manage("doctor", "--db", str(seeded_path))
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert "Newest backup in" in healthy.stdout and "FAIL" not in healthy.stdout

    # A damaged file: a table no longer reads back.
    broken = tmp_path / "broken.duckdb"
    data = bytearray(seeded_path.read_bytes())
    for block in range(12288 + 4096, len(data), 262144):
        data[block:block + 64] = b"\xa5" * 64
    broken.write_bytes(bytes(data))
    sick = manage("doctor", "--db", str(broken))
    assert sick.returncode == 1 and "FAIL" in sick.stdout + sick.stderr
