"""db.connect locks DuckDB's file access down: straight through conn.execute (no explorer checks in
the way), the machine's files cannot be read, copied to, attached or loaded as extensions, while
the app's own folders beside the database (backups/, imports/) and any allow_dirs still work, and
time zones (ICU, built in) behave as before."""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import pytest

import db

DENIED = (duckdb.PermissionException, duckdb.IOException, duckdb.CatalogException)


def test_the_machines_files_cannot_be_read_even_through_conn_execute(conn):
    for sql in ("SELECT * FROM read_csv('/etc/passwd')", "SELECT * FROM read_text('/etc/passwd')",
                "SELECT * FROM '/etc/passwd'", "SELECT * FROM glob('/etc/*')"):
        with pytest.raises(DENIED):
            conn.execute(sql).fetchall()


def test_a_path_that_climbs_out_of_an_allowed_folder_is_refused(conn, db_path):
    sneaky = f"{db_path.parent / 'imports'}/../../../../../etc/passwd"
    with pytest.raises(duckdb.PermissionException):
        conn.execute("SELECT * FROM read_text(?)", [sneaky]).fetchall()


def test_a_file_inside_imports_can_be_read_and_backups_can_be_written(conn, db_path):
    imports = db.app_folder(conn, "imports")
    assert imports == (db_path.parent / "imports").resolve() and imports.is_dir()
    (imports / "visits.csv").write_text("visit,fee\n1,12.50\n2,3.05\n", encoding="utf-8")
    rows = conn.execute("SELECT visit, fee FROM read_csv(?)", [str(imports / "visits.csv")]).fetchall()
    assert [r[0] for r in rows] == [1, 2]

    backup = db.app_folder(conn, "backups") / "copy.duckdb"
    conn.execute("ATTACH ? AS bk", [str(backup)])
    conn.execute("COPY FROM DATABASE clinic TO bk")
    conn.execute("DETACH bk")
    assert backup.stat().st_size > 0


def test_copy_and_attach_outside_the_app_folders_are_refused(conn, tmp_path):
    with pytest.raises(duckdb.PermissionException):
        conn.execute("COPY (SELECT 1) TO ?", [str(tmp_path / "out.csv")])
    with pytest.raises(duckdb.PermissionException):
        conn.execute("ATTACH ? AS other", [str(tmp_path / "other.duckdb")])
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "other.duckdb").exists()


def test_extensions_cannot_be_installed_or_loaded(conn):
    with pytest.raises(duckdb.Error):
        conn.execute("INSTALL httpfs")
    with pytest.raises(duckdb.Error):
        conn.execute("LOAD httpfs")


def test_external_access_cannot_be_switched_back_on(conn):
    with pytest.raises(duckdb.Error):
        conn.execute("SET enable_external_access = true")
    with pytest.raises(duckdb.Error):
        conn.execute("SET allowed_directories = ['/']")
    assert conn.execute("SELECT current_setting('enable_external_access')").fetchone() == (False,)


def test_an_extra_folder_given_to_connect_can_be_read(tmp_path):
    extra = tmp_path / "uploads"
    extra.mkdir()
    (extra / "a.csv").write_text("n\n7\n", encoding="utf-8")
    conn = db.connect(tmp_path / "db" / "clinic.duckdb", allow_dirs=[extra])
    try:
        assert conn.execute("SELECT n FROM read_csv(?)", [str(extra / "a.csv")]).fetchall() == [(7,)]
    finally:
        conn.close()


def test_a_second_connection_in_this_process_shares_the_lock_down(conn, db_path, tmp_path):
    second = db.connect(db_path)  # as tests and the app's own helpers do while the app holds the file
    try:
        with pytest.raises(duckdb.PermissionException):
            second.execute("SELECT * FROM read_text('/etc/passwd')").fetchall()
        with pytest.raises(RuntimeError, match="pass allow_dirs to the first connect"):
            db.connect(db_path, allow_dirs=[tmp_path / "elsewhere"])
    finally:
        second.close()


def test_time_zones_still_work_after_the_lock_down(conn):
    # ICU is built into DuckDB: nothing is loaded from disk, so the lock-down leaves it working.
    instant = datetime(2026, 3, 8, 12, 0, tzinfo=timezone.utc)  # the US spring-forward day
    (local,) = conn.execute("SELECT timezone('America/New_York', ?::TIMESTAMPTZ)", [instant]).fetchone()
    assert local == datetime(2026, 3, 8, 8, 0)
    (back,) = conn.execute("SELECT timezone('America/New_York', TIMESTAMP '2026-03-08 01:30')").fetchone()
    assert back == datetime(2026, 3, 8, 6, 30, tzinfo=timezone.utc)
