"""Manager › Data explorer through the real app: the manager asks a question in SQL and sees the
rows, a refused query says why right under the box and keeps what was typed (and changes nothing),
and a table is browsed and filtered. (Other roles are refused by tests/pages/test_every_page.py and
db.explorer itself: tests/db/test_explorer.py.)"""

from __future__ import annotations

from tests.conftest import query

PAGE = "pages/explorer.py"


def open_explorer(signed_in, role: str = "manager"):
    at = signed_in(role).run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def run_sql(at, sql: str):
    at.text_area(key="explorer_sql_text").input(sql)
    at.button(key="explorer_sql_run").click()
    return at.run()


def test_the_manager_runs_a_query_and_sees_the_rows(signed_in, app_env):
    (expected,) = query(app_env, "SELECT count(*) FROM appointments WHERE status = 'completed'")[0]
    at = run_sql(open_explorer(signed_in), "SELECT status, count(*) AS n FROM appointments GROUP BY status")

    assert not at.exception, at.exception
    assert [e.value for e in at.error] == []
    answer = at.dataframe[-1].value
    assert dict(zip(answer["status"], answer["n"]))["completed"] == expected
    assert any(c.value.endswith("rows.") for c in at.caption)
    assert query(app_env, "SELECT count(*) FROM audit_log WHERE action = 'explorer.query'") == [(1,)]


def test_a_refused_query_says_why_next_to_the_box_and_keeps_the_text(signed_in, app_env):
    (before,) = query(app_env, "SELECT count(*) FROM patients")[0]
    at = run_sql(open_explorer(signed_in), "DELETE FROM patients")

    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        "Only questions that read (SELECT or WITH … SELECT) can run here, not DELETE."]
    assert at.text_area(key="explorer_sql_text").value == "DELETE FROM patients"
    assert query(app_env, "SELECT count(*) FROM patients") == [(before,)]


def test_browsing_a_table_filters_its_rows(signed_in, app_env):
    ((last_name, matching),) = query(
        app_env, "SELECT last_name, count(*) OVER (PARTITION BY last_name) FROM patients ORDER BY id LIMIT 1")
    at = open_explorer(signed_in)
    at.selectbox(key="explorer_table").set_value("patients").run()
    at.selectbox(key="explorer_filter_column_patients").set_value("last_name").run()
    at.selectbox(key="explorer_match_patients").set_value("equals").run()
    at.text_input(key="explorer_value_patients").input(last_name).run()

    assert not at.exception, at.exception
    rows = at.dataframe[2].value  # after the list of tables and the table's columns
    assert set(rows["last_name"]) == {last_name} and len(rows) == matching
    assert [b.label for b in at.download_button][:2] == ["Download CSV", "Download Parquet"]

