"""Admin › Backups through the real app: no backup yet is a warning; "Back up now" makes one
whose rows are the database's, listed with its size and age; "Check it" checks it against its
manifest; the automatic daily backup runs on the first request after its hour; the settings save;
other roles are refused."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

from db import backups
from tests.conftest import ROOT, SEED_NOW, database, query

PAGE = "pages/backups.py"


def open_backups(signed_in):
    at = signed_in("admin")
    at.switch_page(PAGE)
    return at.run()


def test_the_admin_backs_up_now_and_checks_the_backup(signed_in, app_env):
    at = open_backups(signed_in)
    assert not at.exception
    assert any("There is no backup yet" in w.value for w in at.warning)

    at.button(key="backup_now").click().run()
    assert not at.exception
    (done,) = at.success
    assert done.value.startswith("Backed up: clinicdesk\\-")
    (backup,) = backups.list_backups(app_env.parent / "backups")
    with database(app_env) as conn:
        # The snapshot holds every row the database held (the backup's own audit row came after it).
        tables = [t for (t,) in conn.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
                                             " AND database_name = current_database()").fetchall()]
        rows = {t: conn.execute("SELECT count(*) FROM query_table(?)", [t]).fetchone()[0] for t in tables}
    assert {t: v["rows"] for t, v in backup.tables.items()} == {**rows, "audit_log": rows["audit_log"] - 1,
                                                                  "audit_chain": rows["audit_chain"] - 1}
    table = at.dataframe[0].value
    assert list(table["File"]) == [backup.path.name] and list(table["Rows"]) == [backup.rows]
    assert list(table["Manifest"]) == ["yes"]
    assert not any("There is no backup yet" in w.value for w in at.warning)

    at.button(key="backup_check").click().run()
    assert any("checks out" in s.value for s in at.success)


def test_an_old_newest_backup_is_a_warning(signed_in, app_env, clinic_clock):
    at = open_backups(signed_in)
    at.button(key="backup_now").click().run()
    clinic_clock(SEED_NOW + timedelta(days=2))
    at.run()
    assert any("The newest backup is 2 day(s) old" in w.value for w in at.warning)


def test_the_daily_backup_starts_on_the_first_request_after_its_hour(signed_in, app_env, monkeypatch):
    monkeypatch.setenv("CLINICDESK_DAILY_BACKUP", "on")
    at = signed_in("front_desk")  # any request: the clock says 10:00 in the clinic, past 07:00
    at.run()
    deadline = time.monotonic() + 30
    while not backups.list_backups(app_env.parent / "backups") and time.monotonic() < deadline:
        time.sleep(0.2)
    (daily,) = backups.list_backups(app_env.parent / "backups")
    assert daily.kind == "daily" and backups.verify(daily.path) == []
    deadline = time.monotonic() + 10  # its audit row follows the snapshot
    while not query(app_env, "SELECT action FROM audit_log WHERE action = 'backup.create'") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert query(app_env, "SELECT username FROM audit_log WHERE action = 'backup.create'") == [("app",)]


def test_the_admin_sets_the_hour_and_how_many_to_keep(signed_in, app_env):
    at = open_backups(signed_in)
    at.number_input(key="backup_hour").set_value(21)
    at.number_input(key="backup_keep").set_value(30)
    at.button(key="FormSubmitter:backup_settings-Save").click().run()
    assert not at.exception
    assert dict(query(app_env, "SELECT key, value FROM settings WHERE key LIKE 'backup_%'")) == {
        "backup_hour": "21", "backup_keep": "30"}


@pytest.mark.parametrize("role", ["front_desk", "billing", "clinician", "manager"])
def test_other_roles_are_refused_and_see_no_backup(app_env, demo_user_ids, role):
    # The page file itself, as a typed address would reach it (navigation does not list it).
    at = AppTest.from_file(str(ROOT / PAGE), default_timeout=30)
    at.session_state["user_id"] = demo_user_ids[role]
    at.run()
    assert not at.exception
    assert [e.value for e in at.error if "does not give access" in e.value]
    assert not at.title and all(b.key != "backup_now" for b in at.button)


def test_the_app_on_a_file_another_process_holds_says_so_in_one_line(app_env):
    import subprocess
    import sys

    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]);"
                               " print('held', flush=True); time.sleep(60)", str(app_env)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
        at.run()
        assert not at.exception
        assert [e.value for e in at.error] == [
            f"The database {app_env} is in use by another process (is the ClinicDesk app running?). "
            "Stop it first, or do this from inside the app."]
    finally:
        holder.kill()
        holder.wait()
