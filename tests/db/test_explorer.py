"""The data explorer's SQL box (db.explorer.run_query) and table browser (db.explorer_browse) on a
real database file: questions that read are answered; writes, file access, several statements and
functions with side effects are refused with one line why and change nothing; the row and time
limits hold; hidden columns stay hidden; every query and every download leaves an audit row."""

from __future__ import annotations

import io
import json
import time
from datetime import datetime, timezone
from decimal import Decimal

import pyarrow.parquet as pq
import pytest

import db
from clinic.errors import NotAllowed, QueryRefused
from db import explorer
from db import explorer_browse as browser
from tests.conftest import make_appointment, make_patient, make_provider, make_user, make_visit_type


@pytest.fixture
def manager(conn) -> int:
    return make_user(conn, role="manager", username="mgr")


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """(connection, manager id) of one database for the checks that only refuse: a refused query
    must change nothing, so they can all share it (and save a migrated database each)."""
    connection = db.connect(tmp_path_factory.mktemp("explorer") / "clinic.duckdb")
    manager = make_user(connection, role="manager", username="mgr")
    make_patient(connection)
    yield connection, manager
    connection.close()


def ask(conn, sql, user, **limits):
    return explorer.run_query(conn, sql, user=user, **limits)


def refusal(conn, sql, user) -> str:
    with pytest.raises(QueryRefused) as caught:
        ask(conn, sql, user)
    message = str(caught.value)
    assert "\n" not in message and caught.value.field == "sql"
    return message


def audit_rows(conn, action="explorer.query") -> list[dict]:
    rows = db.read(conn, "SELECT username, detail FROM audit_log WHERE action = ? ORDER BY id", [action])
    return [dict(json.loads(detail), username=username) for username, detail in rows]


def snapshot(conn) -> tuple:
    """What a write would change: every table's row count (but the audit log's, which grows by one
    row per query) and the sequences' positions."""
    counts = tuple((r.name, r.rows) for r in browser.list_relations(conn)
                   if r.name not in ("audit_log", "audit_chain"))  # the trail and its seals grow
    sequences = db.read(conn, "SELECT sequence_name, last_value FROM duckdb_sequences()"
                        " WHERE sequence_name <> 'audit_log_id_seq' ORDER BY 1")
    return counts, tuple(sequences)


# --- answering --------------------------------------------------------------------------------


def test_a_with_select_with_joins_and_aggregates_is_answered(conn, manager):
    kind = make_visit_type(conn, name="Check-up")
    busy, quiet = make_provider(conn, name="Dr. Busy"), make_provider(conn, name="Dr. Quiet")
    for hour in (14, 15, 16):
        make_appointment(conn, provider_id=busy, type_id=kind, start_at=datetime(2026, 3, 2, hour, tzinfo=timezone.utc))
    make_appointment(conn, provider_id=quiet, type_id=kind, status="no_show")

    frame = ask(conn, """
        WITH per_provider AS (
            SELECT provider_id, count(*) AS visits, count(*) FILTER (WHERE status = 'no_show') AS missed
            FROM appointments GROUP BY provider_id
        )
        SELECT p.name, pp.visits, pp.missed
        FROM per_provider pp JOIN providers p ON p.id = pp.provider_id
        ORDER BY pp.visits DESC
    """, manager)

    assert frame.to_dict("records") == [{"name": "Dr. Busy", "visits": 3, "missed": 0},
                                        {"name": "Dr. Quiet", "visits": 1, "missed": 1}]
    assert frame.attrs["truncated"] is False


def test_duckdb_from_first_and_union_questions_are_answered(conn, manager):
    make_patient(conn)
    assert ask(conn, "FROM patients SELECT count(*) AS n", manager)["n"].tolist() == [1]
    assert ask(conn, "SELECT 1 AS x UNION ALL SELECT 2 ORDER BY x", manager)["x"].tolist() == [1, 2]


# --- refusing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("sql", [
    "INSERT INTO patients (first_name) VALUES ('Eve')",
    "UPDATE patients SET first_name = 'Eve'",
    "DELETE FROM patients",
    "CREATE TABLE copy_of_patients AS SELECT * FROM patients",
    "DROP TABLE patients",
    "ALTER TABLE patients ADD COLUMN x INTEGER",
    "CREATE SEQUENCE s",
    "SELECT * INTO copy_of_patients FROM patients",
    "TRUNCATE patients",
])
def test_writes_are_refused_and_change_nothing(shared, sql):
    conn, manager = shared
    before = snapshot(conn)
    assert refusal(conn, sql, manager)
    assert snapshot(conn) == before


def test_several_statements_are_refused_even_when_the_first_only_reads(conn, manager):
    make_patient(conn)
    assert refusal(conn, "SELECT 1; DROP TABLE patients", manager).startswith("One statement at a time")
    assert db.read(conn, "SELECT count(*) FROM patients") == [(1,)]


@pytest.mark.parametrize("sql, word", [
    ("COPY patients TO 'patients.csv'", "COPY"),
    ("COPY patients FROM 'patients.csv'", "COPY"),
    ("ATTACH 'other.duckdb' AS other", "ATTACH"),
    ("DETACH other", "DETACH"),
    ("PRAGMA database_list", "PRAGMA"),
    ("SET threads = 1", "SET"),
    ("INSTALL httpfs", "INSTALL"),
    ("LOAD httpfs", "LOAD"),
    ("CALL pragma_version()", "CALL"),
    ("EXPORT DATABASE 'out'", None),
    ("CHECKPOINT", None),
    ("DESCRIBE patients", "DESCRIBE"),
])
def test_commands_other_than_select_are_refused(shared, sql, word):
    conn, manager = shared
    message = refusal(conn, sql, manager)
    if word:
        assert word in message


@pytest.mark.parametrize("sql, says", [
    ("SELECT * FROM read_csv('/etc/passwd')", "read_csv()"),
    ("SELECT * FROM read_csv_auto('/etc/passwd')", "read_csv_auto()"),
    ("SELECT * FROM '/etc/passwd'", "“/etc/passwd” is not one of the clinic's tables"),
    ('SELECT * FROM "/etc/passwd"', "“/etc/passwd” is not one of the clinic's tables"),
    ("SELECT * FROM glob('*')", "glob()"),
    ("SELECT * FROM read_text('/etc/passwd')", "read_text()"),
    ("SELECT * FROM read_blob('clinic.duckdb')", "read_blob()"),
    ("SELECT * FROM read_parquet('x.parquet')", "read_parquet()"),
    ("SELECT * FROM parquet_scan('x.parquet')", "parquet_scan()"),
    ("SELECT * FROM read_json('x.json')", "read_json()"),
    ("SELECT * FROM sniff_csv('/etc/passwd')", "sniff_csv()"),
    ("SELECT (SELECT count(*) FROM read_text('/etc/passwd')) AS n", "read_text()"),
    ("SELECT * FROM patients, LATERAL (SELECT * FROM read_text('/etc/passwd'))", "read_text()"),
    ("SELECT * FROM query('DROP TABLE patients')", "query()"),
    ("SELECT * FROM duckdb_settings()", "duckdb_settings()"),
    ("SELECT * FROM duckdb_databases()", "duckdb_databases()"),
    ("SELECT * FROM pragma_database_list", "“pragma_database_list” is not one of the clinic's tables"),
    ("SELECT current_setting('allowed_directories')", "current_setting()"),
    ("SELECT * FROM other_db.main.patients", "is not one of the clinic's tables"),
])
def test_files_and_the_servers_own_tables_cannot_be_read(shared, sql, says):
    conn, manager = shared
    assert says in refusal(conn, sql, manager)


@pytest.mark.parametrize("sql", ["SELECT nextval('patients_mrn_seq')", "SELECT setval('patients_mrn_seq', 1)",
                                 "SELECT currval('patients_mrn_seq')"])
def test_sequence_functions_are_refused_and_the_sequence_does_not_move(shared, sql):
    conn, manager = shared
    before = snapshot(conn)
    assert "changes the database" in refusal(conn, sql, manager)
    assert snapshot(conn) == before


def test_a_write_that_slipped_past_the_checker_is_still_refused_by_the_read_only_transaction(conn):
    make_patient(conn)
    before = snapshot(conn)
    with pytest.raises(QueryRefused, match="read-only"):
        explorer._fetch(conn, "SELECT nextval('patients_mrn_seq')", max_rows=10, timeout_s=5)
    with pytest.raises(QueryRefused, match="read-only"):
        explorer._fetch(conn, "DELETE FROM patients", max_rows=10, timeout_s=5)
    assert snapshot(conn) == before


def test_sql_that_cannot_be_read_is_refused_in_one_line(conn, manager):
    assert refusal(conn, "SELEC * FROM patients", manager).startswith("Could not read this SQL")
    assert refusal(conn, "   ", manager) == "Type a question in SQL first."


def test_a_question_the_database_cannot_answer_says_why_in_one_line(conn, manager):
    assert "no_such_column" in refusal(conn, "SELECT no_such_column FROM patients", manager)


# --- hidden columns ---------------------------------------------------------------------------


def test_password_hashes_and_document_contents_are_never_shown(conn, manager):
    frame = ask(conn, "SELECT * FROM users", manager)
    assert "password_hash" not in frame.columns and frame["username"].tolist() == ["mgr"]
    assert "password_hash" in refusal(conn, "SELECT password_hash FROM users", manager)
    assert "password_hash" in refusal(conn, "SELECT u.password_hash FROM main.users AS u", manager)
    assert "token_hash" in refusal(conn, "SELECT token_hash FROM user_sessions", manager)
    assert "content" in refusal(conn, "SELECT content FROM documents", manager)
    for sneaky in ("TABLE users", "FROM users", "SELECT to_json(u) AS row FROM clinic.main.users AS u",
                   "SELECT * FROM (SELECT * FROM users) AS q NATURAL JOIN users"):
        answer = ask(conn, sneaky, manager)
        assert "argon2" not in answer.to_string() and "password_hash" not in answer.columns, sneaky
    # A WITH part named like the table would dodge the cut: refused.
    assert "another name" in refusal(conn, "WITH users AS (SELECT 1) SELECT * FROM users", manager)


# --- limits -----------------------------------------------------------------------------------


def test_at_most_max_rows_come_back_and_the_frame_says_there_were_more(conn, manager):
    frame = ask(conn, "SELECT * FROM range(25) t(n)", manager, max_rows=10)
    assert frame["n"].tolist() == list(range(10)) and frame.attrs["truncated"] is True
    whole = ask(conn, "SELECT * FROM range(25) t(n)", manager, max_rows=25)
    assert len(whole) == 25 and whole.attrs["truncated"] is False


def test_a_runaway_query_is_interrupted_and_the_connection_still_works(conn, manager):
    started = time.monotonic()
    # 10^12 rows: minutes of work on any machine.
    with pytest.raises(QueryRefused, match="Stopped after 0.5 seconds"):
        ask(conn, "SELECT sum(a.range * b.range) FROM range(1000000) a CROSS JOIN range(1000000) b", manager,
            timeout_s=0.5)
    assert time.monotonic() - started < 10
    assert ask(conn, "SELECT 42 AS answer", manager)["answer"].tolist() == [42]
    make_patient(conn)  # and writes go on as before
    assert db.read(conn, "SELECT count(*) FROM patients") == [(1,)]
    assert [row["outcome"] for row in audit_rows(conn)] == ["refused", "answered"]


# --- who may, and the audit trail -------------------------------------------------------------


def test_every_query_leaves_one_audit_row_with_its_sql_and_outcome(conn, manager):
    ask(conn, "SELECT 1 AS one", manager)
    refusal(conn, "DELETE FROM patients", manager)
    refusal(conn, "SELECT nope FROM patients", manager)

    rows = audit_rows(conn)
    assert [(r["username"], r["sql"], r["outcome"]) for r in rows] == [
        ("mgr", "SELECT 1 AS one", "answered"),
        ("mgr", "DELETE FROM patients", "refused"),
        ("mgr", "SELECT nope FROM patients", "refused"),
    ]
    assert rows[0]["rows"] == 1
    assert rows[1]["reason"].startswith("Only questions that read")


@pytest.mark.parametrize("role", ["clinician", "front_desk", "billing"])
def test_only_managers_and_admins_may_ask(conn, role):
    someone = make_user(conn, role=role)
    with pytest.raises(NotAllowed):
        ask(conn, "SELECT 1", someone)
    assert [r["outcome"] for r in audit_rows(conn)] == ["not allowed"]
    admin = make_user(conn, role="admin")
    assert ask(conn, "SELECT 1 AS one", admin)["one"].tolist() == [1]


# --- the table browser ------------------------------------------------------------------------


def test_the_browser_lists_tables_and_views_with_columns_and_row_counts(conn):
    make_patient(conn)
    make_patient(conn)
    found = {r.name: r for r in browser.list_relations(conn)}
    assert found["patients"].rows == 2 and found["patients"].kind == "table"
    assert found["stock_on_order"].kind == "view" and found["stock_on_order"].rows is None
    assert "pragma_database_list" not in found and "duckdb_settings" not in found
    users = [c.name for c in browser.columns_of(conn, "users")]
    assert "username" in users and "password_hash" not in users
    assert found["users"].columns == len(users)


def test_browsing_filters_on_contains_or_equals_and_sorts(conn):
    for first in ("Zoe", "zora", "Adam"):
        make_patient(conn, first_name=first)
    page = browser.browse(conn, "patients", column="first_name", value="ZO", sort="first_name", descending=True)
    assert page.matching == 2 and page.frame["first_name"].tolist() == ["zora", "Zoe"]
    adam = browser.browse(conn, "patients", column="first_name", match="equals", value="Adam")
    assert adam.matching == 1
    (adam_id,) = adam.frame["id"].tolist()
    assert browser.browse(conn, "patients", column="id", match="equals", value=str(adam_id)).matching == 1
    everyone = browser.browse(conn, "patients", sort="first_name", limit=2)
    assert everyone.matching == 3 and everyone.frame["first_name"].tolist() == ["Adam", "Zoe"]


def test_browsing_refuses_unknown_tables_and_values_the_column_cannot_hold(conn):
    with pytest.raises(QueryRefused, match="There is no table") as caught:
        browser.browse(conn, "pragma_database_list")
    assert caught.value.field == "table"
    with pytest.raises(QueryRefused, match="is not a value") as caught:
        browser.browse(conn, "patients", column="id", match="equals", value="abc")
    assert caught.value.field == "value"
    with pytest.raises(QueryRefused, match="has no column"):
        browser.browse(conn, "users", column="password_hash", value="$argon2")


def test_a_download_holds_every_matching_row_with_exact_amounts_and_is_audited(conn, manager):
    cur = conn.cursor()
    cur.execute("CREATE TABLE price_list (code VARCHAR, fee DECIMAL(12,2))")  # a tiny table of our own
    cur.executemany("INSERT INTO price_list VALUES (?, ?)", [["A1", Decimal("12.50")], ["B2", Decimal("3.05")],
                                                             ["A3", Decimal("7.00")]])
    text = browser.export(conn, "price_list", user=manager, column="code", value="a", sort="fee").decode()
    assert text.splitlines() == ['"code","fee"', '"A3",7.00', '"A1",12.50']
    parquet = pq.read_table(io.BytesIO(browser.export(conn, "price_list", user=manager, fmt="parquet")))
    assert parquet.num_rows == 3 and str(parquet.schema.field("fee").type) == "decimal128(12, 2)"
    downloads = audit_rows(conn, browser.DOWNLOAD)
    assert [(d["table"], d["format"], d["rows"]) for d in downloads] == [("price_list", "csv", 2),
                                                                      ("price_list", "parquet", 3)]


def test_users_file_has_no_password_hashes_and_only_managers_may_download(conn, manager):
    text = browser.export(conn, "users", user=manager).decode()
    assert "password_hash" not in text and "argon2" not in text and "mgr" in text
    with pytest.raises(NotAllowed):
        browser.export(conn, "patients", user=make_user(conn, role="front_desk"))
