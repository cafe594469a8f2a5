"""manage.py import-noshow / import-synthea as an operator runs them: real processes, real files."""

from __future__ import annotations

import shutil

import db
from tests.conftest import ROOT
from tests.test_manage import manage

DATA = ROOT / "tests" / "data"


def test_import_noshow_creates_the_database_and_prints_what_it_did(tmp_path):
    source = tmp_path / "downloads" / "noshow.csv"
    source.parent.mkdir()
    shutil.copyfile(DATA / "noshow_sample.csv", source)
    path = tmp_path / "new" / "clinic.duckdb"
    done = manage("import-noshow", str(source), "--db", str(path))
    assert done.returncode == 0, done.stderr
    assert "Imported 10 appointments" in done.stdout
    assert "1 × appointment day before the day it was scheduled (e.g. AppointmentID 5000006)" in done.stdout
    assert "manage.py init" in done.stdout  # a new database has no users yet
    again = manage("import-noshow", str(source), "--db", str(path))
    assert again.returncode == 0, again.stderr
    assert "Imported 0 appointments" in again.stdout and "Skipped 11 rows already imported" in again.stdout
    conn = db.connect(path)
    try:
        assert db.read(conn, "SELECT count(*) FROM appointments WHERE import_source = 'noshow'")[0][0] == 10
        assert db.read(conn, "SELECT username FROM audit_log WHERE action = 'data.import'") == [("manage.py",)] * 2
    finally:
        conn.close()


def test_import_synthea_imports_a_folder(tmp_path):
    folder = tmp_path / "synthea_csv"
    shutil.copytree(DATA / "synthea", folder)
    path = tmp_path / "clinic.duckdb"
    done = manage("import-synthea", str(folder), "--db", str(path))
    assert done.returncode == 0, done.stderr
    assert "Imported 4 appointments" in done.stdout
    assert "3 patients" in done.stdout and "4 invoices" in done.stdout


def test_a_missing_file_or_a_wrong_format_is_one_line_and_exit_status_1(tmp_path):
    path = tmp_path / "clinic.duckdb"
    missing = manage("import-noshow", str(tmp_path / "nope.csv"), "--db", str(path))
    assert missing.returncode == 1 and "There is no file" in missing.stderr
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n", encoding="utf-8")
    refused = manage("import-noshow", str(wrong), "--db", str(path))
    assert refused.returncode == 1
    assert len(refused.stderr.strip().splitlines()) == 1 and "not in the no-show format" in refused.stderr
