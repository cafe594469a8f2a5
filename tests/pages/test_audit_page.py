"""Admin › Audit trail through the real app: the admin and the manager read it, other roles are
refused before any row is read; the filters narrow the table; the totals, pages and rows shown
are the database's; reading is audited once per question and the CSV download once per click; the
tamper check says when it is not available and lists the problems it finds; and the patient file's
"Who looked" tab lists who opened the record (manager, admin only).

The clinic clock is set to the real time here: audit rows carry the database's own clock, and the
report's default period (the last 7 clinic days) must cover the rows these tests write.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from streamlit.testing.v1 import AppTest

import db
from tests.pages.test_patients import download_bytes, media_managers  # noqa: F401 (a fixture)
from clinic import timeutil
from db import patients, users
from tests.conftest import DEMO_USER_FOR_ROLE, ROOT, TZ, database, query, user_id_for

PAGE = "pages/audit.py"
NAV_KEY = "_nav_patient_id"


@pytest.fixture(autouse=True)
def real_clock(clinic_clock):
    """Runs before app_env (autouse), which then keeps this moment."""
    clinic_clock(datetime.now(timezone.utc))


def period() -> tuple[datetime, datetime]:
    """The default period as UTC instants: the last 7 clinic days, today included."""
    today = timeutil.today(TZ)
    return timeutil.day_bounds(today - timedelta(days=6), TZ)[0], timeutil.day_bounds(today, TZ)[1]


def rows_in_period(path, *, username: str | None = None, action: str | None = None,
                   patient_id: int | None = None) -> int:
    since, until = period()
    return query(path, "SELECT count(*) FROM audit_log WHERE occurred_at >= $since AND occurred_at < $until"
                       " AND ($username IS NULL OR username = $username) AND ($action IS NULL OR action = $action)"
                       " AND ($patient IS NULL OR patient_id = $patient)",
                 {"since": since, "until": until, "username": username, "action": action, "patient": patient_id})[0][0]


def views_by(path, username: str, count: int) -> list[int]:
    """``username`` opens the files of ``count`` patients (the audited view of each)."""
    with database(path) as conn:
        user = users.get(conn, user_id_for(path, username))
        ids = [r[0] for r in db.read(conn, "SELECT id FROM patients WHERE status = 'active' ORDER BY id LIMIT ?",
                                     [count])]
        for patient_id in ids:
            patients.record_view(conn, patient_id, by=user)
    return ids


def open_report(signed_in, role: str = "manager"):
    at = signed_in(role).run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


TOTAL = re.compile(r"^([\d,]+) (?:rows match|row matches) \(")


def shown_total(at) -> int:
    caption = next(c.value for c in at.caption if TOTAL.match(c.value))
    return int(TOTAL.match(caption).group(1).replace(",", ""))


def frame_with(at, column: str):
    """The table that has ``column`` (a plain st.dataframe carries no key in AppTest)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def table(at):
    return frame_with(at, "Action")


def page_line(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("Rows "))


# --- who may read it -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_the_admin_and_the_manager_read_the_trail_in_clinic_time(signed_in, app_env, role):
    views_by(app_env, "frontdesk", 3)
    at = open_report(signed_in, role)

    assert [t.value for t in at.title] == ["Audit trail"]
    assert shown_total(at) == rows_in_period(app_env)
    newest = table(at).iloc[0]
    assert (newest["Action"], newest["User"], newest["Category"]) == ("audit.read", DEMO_USER_FOR_ROLE[role],
                                                                      "Security")
    (occurred_at,) = query(app_env, "SELECT occurred_at FROM audit_log WHERE id = ?", [int(newest["Row"])])[0]
    assert newest["When"].to_pydatetime() == timeutil.to_local(occurred_at, TZ).replace(tzinfo=None)
    assert any(f"times in {TZ}" in c.value for c in at.caption)


@pytest.mark.parametrize("role", ["front_desk", "billing", "clinician"])
def test_other_roles_are_refused_and_read_nothing(app_env, role):
    at = AppTest.from_file(str(ROOT / PAGE), default_timeout=30)
    at.session_state["user_id"] = user_id_for(app_env, DEMO_USER_FOR_ROLE[role])
    at.run()

    assert not at.exception, at.exception
    assert [e.value for e in at.error if "does not give access" in e.value]
    assert not at.dataframe and not at.title and not at.download_button
    assert query(app_env, "SELECT count(*) FROM audit_log WHERE action LIKE 'audit.%'") == [(0,)]


@pytest.mark.parametrize("role", ["front_desk", "billing", "clinician", "manager", "admin"])
def test_only_the_admin_and_the_manager_find_it_in_the_menu(signed_in, role):
    at = signed_in(role).run()
    assert not at.exception
    reachable = True
    try:
        at.switch_page(PAGE).run()
    except Exception:  # noqa: BLE001 - AppTest refuses a page the navigation does not list
        reachable = False
    if reachable:
        reachable = [t.value for t in at.title] == ["Audit trail"]
    assert reachable == (role in ("manager", "admin"))


# --- filters and numbers -------------------------------------------------------------------------


def test_filters_narrow_the_table_to_the_rows_the_database_holds_for_them(signed_in, app_env):
    views_by(app_env, "frontdesk", 4)
    views_by(app_env, "doctor", 2)
    at = open_report(signed_in)

    at.selectbox(key="audit_f_user").set_value("frontdesk").run()
    assert not at.exception, at.exception
    frame = table(at)
    assert set(frame["User"]) == {"frontdesk"} and set(frame["Role"]) == {"Front desk"}
    assert len(frame) == shown_total(at) == rows_in_period(app_env, username="frontdesk")

    at.selectbox(key="audit_f_user").set_value(None).run()
    at.selectbox(key="audit_f_action").set_value("patient.view").run()
    at.selectbox(key="audit_f_category").set_value("demographics").run()
    frame = table(at)
    assert set(frame["Action"]) == {"patient.view"} and set(frame["User"]) == {"frontdesk", "doctor"}
    assert shown_total(at) == rows_in_period(app_env, action="patient.view") == 6

    at.selectbox(key="audit_f_outcome").set_value("refused").run()
    assert shown_total_or_none(at) is None
    assert any("No audit row matches" in i.value for i in at.info)


def shown_total_or_none(at):
    return next((c.value for c in at.caption if TOTAL.match(c.value)), None)


def test_a_patient_filter_shows_only_that_patients_rows(signed_in, app_env):
    first, second = views_by(app_env, "doctor", 2)
    mrn = query(app_env, "SELECT mrn FROM patients WHERE id = ?", [first])[0][0]
    at = open_report(signed_in)
    at.text_input(key="audit_f_patient_find").input(mrn).run()
    at.button(key=f"audit_f_patient_find_pick_{first}").click().run()

    assert not at.exception, at.exception
    frame = table(at)
    assert len(frame) == shown_total(at) == rows_in_period(app_env, patient_id=first)
    assert all(f"MRN {mrn})" in p for p in frame["Patient"])


def test_pages_show_fifty_rows_at_a_time_and_the_whole_count(signed_in, app_env):
    views_by(app_env, "frontdesk", 60)
    at = open_report(signed_in)
    at.selectbox(key="audit_f_user").set_value("frontdesk").run()
    total = rows_in_period(app_env, username="frontdesk")
    assert total == 60

    assert len(table(at)) == 50 and page_line(at) == "Rows 1–50 of 60 · page 1 of 2"
    first_page = list(table(at)["Row"])
    at.button(key="audit_next").click().run()
    assert not at.exception, at.exception
    assert len(table(at)) == 10 and page_line(at) == "Rows 51–60 of 60 · page 2 of 2"
    ids = [r[0] for r in query(app_env, "SELECT id FROM audit_log WHERE username = 'frontdesk'"
                                        " ORDER BY occurred_at DESC, id DESC")]
    assert first_page + list(table(at)["Row"]) == ids


def test_sorting_orders_the_rows_from_the_database(signed_in, app_env):
    views_by(app_env, "frontdesk", 2)
    at = open_report(signed_in)
    at.selectbox(key="audit_sort").set_value("oldest").run()
    ids = [r[0] for r in query(app_env, "SELECT id FROM audit_log WHERE occurred_at >= ? ORDER BY occurred_at, id"
                                        " LIMIT 50", [period()[0]])]
    assert list(table(at)["Row"]) == ids


# --- reading and downloading are audited ---------------------------------------------------------


def audit_reads(path) -> list[tuple]:
    return query(path, "SELECT username, role, category, detail FROM audit_log WHERE action = 'audit.read' ORDER BY id")


def test_reading_is_audited_once_per_question_not_on_every_rerun(signed_in, app_env):
    at = open_report(signed_in)
    at.run()
    assert [r[:3] for r in audit_reads(app_env)] == [("manager", "manager", "security")]
    at.selectbox(key="audit_f_user").set_value("frontdesk").run()
    reads = audit_reads(app_env)
    assert len(reads) == 2 and '"user": "frontdesk"' in reads[-1][3]


def test_downloading_the_csv_writes_an_audit_export_row(signed_in, app_env, media_managers):
    views_by(app_env, "frontdesk", 3)
    at = open_report(signed_in)
    at.selectbox(key="audit_f_user").set_value("frontdesk").run()
    assert query(app_env, "SELECT count(*) FROM audit_log WHERE action = 'audit.export'") == [(0,)]
    # The row is written when the browser fetches the file (the click builds it).
    content = download_bytes(media_managers[-1], at.download_button(key="audit_csv"))
    assert content.decode().count("\n") >= 4  # a header and the three views

    assert not at.exception, at.exception
    ((username, role, category, detail),) = query(
        app_env, "SELECT username, role, category, detail FROM audit_log WHERE action = 'audit.export'")
    assert (username, role, category) == ("manager", "manager", "security")
    assert '"rows": 3' in detail and '"user": "frontdesk"' in detail


# --- the tamper check -----------------------------------------------------------------------------


def check_tab(at):
    at.button(key="audit_check").click().run()
    assert not at.exception, at.exception
    return at


def test_the_check_runs_the_tamper_check_and_an_untouched_trail_passes(signed_in, app_env):
    views_by(app_env, "frontdesk", 2)
    at = check_tab(open_report(signed_in, "admin"))
    (rows,) = query(app_env, "SELECT count(*) FROM audit_log WHERE action <> 'audit.verify'")[0]
    message = next(s.value for s in at.success if s.value.startswith("The trail is intact"))
    checked = int(re.search(r"([\d,]+) rows? checked", message).group(1).replace(",", ""))
    assert checked == rows
    assert query(app_env, "SELECT username, category, detail FROM audit_log WHERE action = 'audit.verify'") == [
        ("admin", "security", f'{{"ok": true, "problems": 0, "rows_checked": {rows}}}')]


@dataclass(frozen=True)
class _Problem:
    audit_id: int | None
    kind: str
    message: str


@dataclass(frozen=True)
class _Report:
    ok: bool
    rows_checked: int
    problems: list


def test_the_check_lists_every_problem_by_row(signed_in, app_env, monkeypatch):
    from db import audit_chain

    calls = []

    def verify(conn, head_path=None):
        calls.append(head_path)
        return _Report(False, 120, [_Problem(17, "changed", "Row 17 was changed after it was written."),
                                    _Problem(None, "tail_cut", "2 rows are missing at the end.")])

    monkeypatch.setattr(audit_chain, "verify", verify)
    at = check_tab(open_report(signed_in, "admin"))

    assert calls == [app_env.with_name(app_env.name + ".audit-head")]  # the head file beside the database
    assert any("The trail is broken: 2 problems in 120 rows checked." in e.value for e in at.error)
    problems = frame_with(at, "Problem")
    assert list(problems["Row"]) == ["17", ""]
    assert list(problems["Problem"]) == ["Changed", "Rows cut from the end"]
    assert list(problems["What the check found"]) == ["Row 17 was changed after it was written.",
                                                      "2 rows are missing at the end."]
    assert query(app_env, "SELECT detail FROM audit_log WHERE action = 'audit.verify'") == [
        ('{"ok": false, "problems": 2, "rows_checked": 120}',)]


def test_without_the_chain_module_the_check_says_it_is_not_available(signed_in, app_env, monkeypatch):
    from components.audit import chain

    monkeypatch.setattr(chain, "_chain_module", lambda: None)
    at = open_report(signed_in, "manager")
    assert not at.exception, at.exception
    assert any("Tamper check not available" in i.value for i in at.info)
    assert "audit_check" not in [b.key for b in at.button]


def test_a_missing_chain_module_is_found_missing_rather_than_failing(monkeypatch):
    from components.audit import chain

    monkeypatch.delattr(db, "audit_chain", raising=False)
    monkeypatch.setitem(sys.modules, "db.audit_chain", None)  # importing it now fails
    assert chain._chain_module() is None
    monkeypatch.undo()
    assert chain._chain_module() is not None


# --- the patient file's "Who looked" -------------------------------------------------------------


def open_file(signed_in, role: str, patient: int):
    at = signed_in(role)
    at.session_state[NAV_KEY] = patient
    at.run()
    at.switch_page("pages/patients.py").run()
    assert not at.exception, at.exception
    return at


def test_the_manager_sees_who_looked_at_a_record_with_role_and_time(signed_in, app_env):
    (patient,) = views_by(app_env, "frontdesk", 1)
    views_by(app_env, "doctor", 1)
    at = open_file(signed_in, "manager", patient)
    assert "Who looked" in [t.label for t in at.tabs]
    at.button(key=f"pf_who_looked_{patient}").click().run()

    assert not at.exception, at.exception
    frame = frame_with(at, "Who")
    looked = query(app_env, "SELECT username, role, occurred_at FROM audit_log WHERE patient_id = ?"
                            " AND action = 'patient.view' ORDER BY occurred_at DESC, id DESC", [patient])
    assert [(u, r) for u, r, _ in looked] == [("manager", "manager"), ("doctor", "clinician"),
                                              ("frontdesk", "front_desk")]
    assert list(frame["Who"]) == [u for u, _, _ in looked]
    assert list(frame["Role"]) == ["Office manager", "Clinician", "Front desk"]
    assert [w.to_pydatetime() for w in frame["When"]] == [
        timeutil.to_local(t, TZ).replace(tzinfo=None) for _, _, t in looked]
    assert query(app_env, "SELECT username, patient_id FROM audit_log WHERE action = 'audit.read'") == [
        ("manager", patient)]


@pytest.mark.parametrize("role", ["front_desk", "billing", "clinician"])
def test_other_roles_have_no_who_looked_tab(signed_in, app_env, role):
    (patient,) = views_by(app_env, "frontdesk", 1)
    at = open_file(signed_in, role, patient)
    assert "Who looked" not in [t.label for t in at.tabs]
    assert not [b for b in at.button if (b.key or "").startswith("pf_who_looked")]


# --- downloads elsewhere leave a row --------------------------------------------------------------


def test_printing_a_statement_from_the_patient_file_is_audited_with_the_patient(signed_in, app_env, media_managers):
    (patient,) = views_by(app_env, "frontdesk", 1)
    at = open_file(signed_in, "billing", patient)
    assert download_bytes(media_managers[-1], at.download_button(key=f"pf_statement_{patient}")).startswith(b"%PDF")

    assert not at.exception, at.exception
    assert query(app_env, "SELECT username, role, category, patient_id, entity FROM audit_log"
                          " WHERE action = 'export.statement_pdf'") == [("billing", "billing", "billing", patient,
                                                                          "patient")]
