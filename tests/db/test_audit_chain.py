"""The tamper-evident audit trail: what verify() reports after each kind of tampering, and when rows
are sealed (after a commit, on opening a file, never on a rollback, under concurrent writers).

Tampering is done the way an intruder with the database file but not the key would: plain SQL on
the file, edits to the head file. ``db.connect(path, seal=False)`` opens it as verify-audit does.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import threading
from pathlib import Path

import pytest

import db
from clinic import app_secrets
from db import audit, audit_chain


def record(conn, n: int = 1, *, action: str = "patient.view", user: str = "doctor") -> None:
    for i in range(n):
        db.atomic(conn, lambda cur: audit.record(cur, user, action, "patient", i, patient_id=i))


@pytest.fixture
def trail(tmp_path: Path) -> Path:
    """A closed database file whose trail has 10 sealed rows (ids 1 to 10), with its head file."""
    path = tmp_path / "trail" / "clinic.duckdb"
    conn = db.connect(path)
    record(conn, 10)
    conn.execute("CHECKPOINT")
    conn.close()
    return path


def head_of(path: Path) -> Path:
    return path.with_name(path.name + ".audit-head")


def tamper(path: Path, *statements: str) -> None:
    conn = db.connect(path, seal=False)
    try:
        for sql in statements:
            conn.execute(sql)
    finally:
        conn.close()


def check(path: Path, head: Path | None = None) -> audit_chain.ChainReport:
    conn = db.connect(path, seal=False)
    try:
        return audit_chain.verify(conn, head)
    finally:
        conn.close()


def found(report: audit_chain.ChainReport) -> list[tuple[int | None, str]]:
    return [(p.audit_id, p.kind) for p in report.problems]


def count(path: Path, sql: str) -> int:
    conn = db.connect(path, seal=False)
    try:
        return db.read_one(conn, sql)[0]
    finally:
        conn.close()


# --- an untouched trail ------------------------------------------------------------------------


def test_an_untouched_copy_of_the_seeded_clinic_verifies(seeded_path):
    report = check(seeded_path)
    assert report.ok, report.problems
    assert report.rows_checked == count(seeded_path, "SELECT count(*) FROM audit_log") > 0
    assert report.summary() == f"Audit trail intact: {report.rows_checked} rows checked"


def test_every_write_is_sealed_when_it_commits_and_the_head_file_follows(trail):
    conn = db.connect(trail)
    try:
        record(conn, 3)
        assert db.read(conn, "SELECT count(*) FROM audit_log WHERE id NOT IN (SELECT audit_id FROM audit_chain)") == [(0,)]
        head = json.loads(head_of(trail).read_text())
        assert (head["rows"], head["last_seq"], head["last_audit_id"]) == (13, 13, 13)
        assert audit_chain.verify(conn).ok
    finally:
        conn.close()


def test_a_copy_with_its_head_file_in_another_folder_still_verifies(trail, tmp_path):
    elsewhere = tmp_path / "backup" / "copy-of-clinic.duckdb"
    elsewhere.parent.mkdir()
    shutil.copyfile(trail, elsewhere)
    shutil.copyfile(head_of(trail), head_of(elsewhere))
    assert check(elsewhere).ok


def test_an_in_memory_database_is_chained_without_a_head_file():
    conn = db.connect(":memory:")
    try:
        record(conn, 3)
        assert audit_chain.head_path_for(conn) is None
        assert audit_chain.verify(conn).ok
        conn.execute("UPDATE audit_log SET username = 'nurse' WHERE id = 2")
        assert found(audit_chain.verify(conn)) == [(2, "changed")]
    finally:
        conn.close()


# --- each kind of tampering, by id -------------------------------------------------------------


def test_an_edited_row_is_reported_as_changed_with_its_id(trail):
    tamper(trail, "UPDATE audit_log SET username = 'nurse' WHERE id = 4")
    report = check(trail)
    assert not report.ok
    assert found(report) == [(4, "changed")]
    assert "Row 4" in report.problems[0].message and "changed" in report.problems[0].message


@pytest.mark.parametrize("edit", [
    "UPDATE audit_log SET entity = '' WHERE id = 6 AND entity IS NOT NULL",
    "UPDATE audit_log SET detail = '' WHERE id = 6",  # detail was NULL: empty is not the same
    "UPDATE audit_log SET occurred_at = occurred_at + INTERVAL 1 SECOND WHERE id = 6",
    "UPDATE audit_log SET patient_id = 99 WHERE id = 6",
    "UPDATE audit_log SET outcome = 'failure' WHERE id = 6",
    "UPDATE audit_chain SET mac = repeat('0', 64) WHERE audit_id = 6",
])
def test_any_change_to_a_row_or_its_seal_is_caught(trail, edit):
    tamper(trail, edit)
    assert found(check(trail)) == [(6, "changed")]


def test_a_deleted_row_is_reported_with_its_id(trail):
    tamper(trail, "DELETE FROM audit_log WHERE id = 5")
    assert found(check(trail)) == [(5, "deleted")]


def test_a_row_deleted_with_its_seal_is_reported_with_its_id(trail):
    tamper(trail, "DELETE FROM audit_log WHERE id = 5", "DELETE FROM audit_chain WHERE audit_id = 5")
    report = check(trail)
    assert found(report) == [(5, "deleted")]
    assert "row 6" in report.problems[0].message  # the next row cannot be checked either: it says so


def test_a_back_dated_row_added_at_the_end_is_reported_as_inserted(trail):
    tamper(trail, "INSERT INTO audit_log (action, username, patient_id, occurred_at)"
                  " VALUES ('patient.view', 'manager', 3, current_timestamp - INTERVAL 2 DAY)")
    report = check(trail)
    assert found(report) == [(11, "inserted")]
    assert "added afterwards" in report.problems[0].message


def leave_a_gap_at_11(trail: Path) -> None:
    """Rows 12 and 13 sealed after a rolled-back write took id 11: the gap a rollback leaves."""
    conn = db.connect(trail)
    try:
        def write_then_fail(cur):
            audit.record(cur, "doctor", "patient.view", "patient", 1)  # takes id 11, then rolls back
            raise RuntimeError("no")

        with pytest.raises(RuntimeError):
            db.atomic(conn, write_then_fail)
        record(conn, 2)  # ids 12 and 13
        conn.execute("CHECKPOINT")
    finally:
        conn.close()
    assert check(trail).ok


# Dated long before the last seal, or long after row 12 (above it) was sealed: no honest row is.
@pytest.mark.parametrize("dated", ["current_timestamp - INTERVAL 2 DAY", "current_timestamp + INTERVAL 1 HOUR"])
def test_a_row_slipped_into_a_gap_among_sealed_rows_is_reported_as_inserted(trail, dated):
    leave_a_gap_at_11(trail)
    tamper(trail, "INSERT INTO audit_log (id, action, username, occurred_at)"
                  f" VALUES (11, 'patient.view', 'manager', {dated})")
    report = check(trail)
    assert found(report) == [(11, "inserted")]
    assert "added afterwards" in report.problems[0].message
    if "HOUR" in dated:
        assert "row 12" in report.problems[0].message
    conn = db.connect(trail)  # and opening the file does not seal it late
    conn.close()
    assert found(check(trail)) == [(11, "inserted")]
    assert count(trail, "SELECT count(*) FROM audit_log WHERE action = 'audit.seal_late'") == 0


def test_a_row_slipped_into_a_gap_dated_as_just_written_is_sealed_late_and_named(trail):
    # Indistinguishable from a commit that was overtaken by row 12's seal (below), as a row
    # appended at the end dated now is from a late one: sealing it leaves a row that names it.
    leave_a_gap_at_11(trail)
    tamper(trail, "INSERT INTO audit_log (id, action, username) VALUES (11, 'patient.view', 'manager')")
    assert found(check(trail)) == [(11, "unsealed")]
    conn = db.connect(trail)
    try:
        (detail,) = db.read_one(conn, "SELECT detail FROM audit_log WHERE action = ?", [audit_chain.SEAL_LATE])
        assert json.loads(detail) == {"rows": 1, "first_id": 11, "last_id": 11}
    finally:
        conn.close()
    assert check(trail).ok


def test_two_swapped_rows_are_reported_as_reordered_with_both_ids(trail):
    tamper(trail,
           "UPDATE audit_log SET id = 1000 WHERE id = 3",
           "UPDATE audit_log SET id = 3 WHERE id = 7",
           "UPDATE audit_log SET id = 7 WHERE id = 1000")
    report = check(trail)
    assert found(report) == [(3, "reordered"), (7, "reordered")]
    assert "now row 7" in report.problems[0].message


def test_a_cut_tail_is_reported_by_the_head_file(trail):
    tamper(trail, "DELETE FROM audit_log WHERE id >= 8", "DELETE FROM audit_chain WHERE audit_id >= 8")
    report = check(trail)
    assert found(report) == [(10, "tail_cut")]
    assert "10 sealed rows" in report.problems[0].message and "row 7" in report.problems[0].message


def test_seals_cut_from_the_end_are_reported_for_the_rows_left_behind(trail):
    tamper(trail, "DELETE FROM audit_chain WHERE audit_id >= 9")
    assert found(check(trail)) == [(9, "tail_cut"), (10, "tail_cut")]


def test_a_forged_head_file_is_reported(trail):
    head = head_of(trail)
    data = json.loads(head.read_text())
    data["rows"] = data["last_seq"] = 8  # hide a cut of two rows: the signature no longer matches
    head.write_text(json.dumps(data))
    tamper(trail, "DELETE FROM audit_log WHERE id >= 9", "DELETE FROM audit_chain WHERE audit_id >= 9")
    assert found(check(trail)) == [(None, "head_forged")]


def test_a_missing_head_file_is_reported(trail):
    head_of(trail).unlink()
    report = check(trail)
    assert found(report) == [(None, "head_missing")]
    assert "clinic.duckdb.audit-head" in report.problems[0].message


def test_verify_can_read_the_head_file_from_elsewhere(trail, tmp_path):
    kept = tmp_path / "kept.audit-head"
    head_of(trail).rename(kept)
    assert check(trail, kept).ok


def test_a_trail_checked_with_another_key_is_broken_everywhere(trail, tmp_path, monkeypatch):
    monkeypatch.setenv("CLINICDESK_SECRETS", str(tmp_path / "other-secrets.toml"))
    app_secrets.forget_cached_keys()
    try:
        app_secrets.audit_key(create=True)
        kinds = {kind for _, kind in found(check(trail))}
    finally:
        monkeypatch.undo()
        app_secrets.forget_cached_keys()
    assert kinds == {"changed", "head_forged"}


# --- when rows are sealed ----------------------------------------------------------------------


def test_verify_seals_nothing(trail):
    tamper(trail, "INSERT INTO audit_log (action, username) VALUES ('patient.view', 'doctor')")
    assert found(check(trail)) == [(11, "unsealed")]
    assert found(check(trail)) == [(11, "unsealed")]
    assert count(trail, "SELECT count(*) FROM audit_chain") == 10


def test_a_rolled_back_write_leaves_nothing_to_seal(trail, monkeypatch):
    conn = db.connect(trail)
    seals = []
    real = audit_chain.seal
    monkeypatch.setattr(audit_chain, "seal", lambda c, **kw: seals.append(kw) or real(c, **kw))
    try:
        def refused(cur):
            audit.record(cur, "doctor", "patient.view", "patient", 1)
            raise ValueError("refused")

        with pytest.raises(ValueError):
            db.atomic(conn, refused)
        assert seals == []
        assert db._unsealed.rows is None and db._unsealed.since is None
        record(conn, 1)  # the next write seals its own row only
        assert [len(kw["rows"]) for kw in seals] == [1]
        assert audit_chain.verify(conn).ok
        assert db.read(conn, "SELECT count(*), max(seq) FROM audit_chain") == [(11, 11)]
    finally:
        conn.close()


def test_a_read_seals_nothing(trail, monkeypatch):
    conn = db.connect(trail)
    seals = []
    monkeypatch.setattr(audit_chain, "seal", lambda c, **kw: seals.append(kw))
    try:
        db.atomic(conn, lambda cur: cur.execute("SELECT count(*) FROM audit_log").fetchall())
        db.read(conn, "SELECT 1")
    finally:
        conn.close()
    assert seals == []


def test_eight_threads_writing_at_once_leave_one_intact_chain(trail):
    conn = db.connect(trail)
    start = threading.Barrier(8)
    errors = []

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(6):
                db.atomic(conn, lambda cur: (audit.record(cur, f"user{n}", "patient.view", "patient", i),
                                             audit.record(cur, f"user{n}", "patient.print", "patient", i)))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert db.read(conn, "SELECT count(*), min(seq), max(seq), count(DISTINCT audit_id) FROM audit_chain") == [
            (10 + 96, 1, 10 + 96, 10 + 96)]
        assert db.read(conn, "SELECT count(*) FROM audit_log WHERE id NOT IN (SELECT audit_id FROM audit_chain)") == [(0,)]
        assert audit_chain.verify(conn).ok
    finally:
        conn.close()
    assert check(trail).ok


def test_opening_the_file_seals_late_rows_and_says_how_many(trail):
    # Rows written without a seal: an older version, or a stop between a commit and its seal.
    conn = db.connect(trail, seal=False)
    try:
        for i in range(3):
            db.atomic(conn, lambda cur: audit.write_row(cur, "doctor", "patient.view", "patient", i))
    finally:
        conn.close()
    assert found(check(trail)) == [(11, "unsealed"), (12, "unsealed"), (13, "unsealed")]
    conn = db.connect(trail)
    try:
        late = db.read(conn, "SELECT id, username, detail FROM audit_log WHERE action = ?", [audit_chain.SEAL_LATE])
        assert [(i, u, json.loads(d)["rows"]) for i, u, d in late] == [(14, "system", 3)]
        assert audit_chain.verify(conn).ok
    finally:
        conn.close()
    assert check(trail).ok
    conn = db.connect(trail)  # nothing late the second time
    conn.close()
    assert count(trail, "SELECT count(*) FROM audit_log WHERE action = 'audit.seal_late'") == 1


def commit_after_a_later_row_is_sealed(conn) -> list:
    """The race between ids and seals, step by step: writer A inserts row 11 and stays open; writer
    B inserts row 12, commits and seals it; then A commits. Returns A's row as its own seal would
    take it, which the app does right after the commit and a backup or a stop can come before."""
    a = conn.cursor()
    try:
        a.execute("BEGIN TRANSACTION")
        assert audit.write_row(a, "nurse", "patient.view", "patient", 1) == 11
        assert audit_chain.verify(conn).ok  # not committed: nobody else sees it
        record(conn, 1)  # writer B
        assert db.read(conn, "SELECT seq, audit_id FROM audit_chain WHERE seq > 10") == [(11, 12)]
        a.execute("COMMIT")
        row = a.execute("SELECT * FROM audit_log WHERE id = 11").fetchone()
        return [(tuple(d[0] for d in a.description), row)]
    finally:
        a.close()


def test_a_commit_overtaken_by_a_later_rows_seal_is_late_not_inserted(trail):
    conn = db.connect(trail)
    try:
        own = commit_after_a_later_row_is_sealed(conn)
        report = audit_chain.verify(conn)
        assert found(report) == [(11, "unsealed")]
        assert "opening the database in ClinicDesk seals it" in report.problems[0].message
        audit_chain.seal(conn, rows=own)  # A's own seal, as db.transaction takes it
        assert audit_chain.verify(conn).ok
        chain = db.read(conn, "SELECT seq, audit_id FROM audit_chain WHERE seq > 10 ORDER BY seq")
        assert chain == [(11, 12), (12, 11)]  # verify follows seq, not id
    finally:
        conn.close()
    assert check(trail).ok


def test_a_backup_taken_between_such_a_commit_and_its_seal_verifies_once_opened(trail, tmp_path):
    from db import backups

    conn = db.connect(trail)
    try:
        own = commit_after_a_later_row_is_sealed(conn)
        made = backups.snapshot(conn, kind="manual")  # into backups/ beside it, the one folder it may write
        audit_chain.seal(conn, rows=own)
        assert audit_chain.verify(conn).ok
    finally:
        conn.close()
    copy = tmp_path / "restored" / "clinic.duckdb"
    backups.restore(made.path, copy)
    assert found(check(copy)) == [(11, "unsealed")]
    conn = db.connect(copy)  # seals it late, and says so
    try:
        (detail,) = db.read_one(conn, "SELECT detail FROM audit_log WHERE action = ?", [audit_chain.SEAL_LATE])
        assert json.loads(detail) == {"rows": 1, "first_id": 11, "last_id": 11}
        assert audit_chain.verify(conn).ok
    finally:
        conn.close()
    assert check(copy).ok


def test_a_stop_between_such_a_commit_and_its_seal_is_sealed_on_the_next_open(trail):
    conn = db.connect(trail)
    try:
        commit_after_a_later_row_is_sealed(conn)
        conn.execute("CHECKPOINT")
    finally:
        conn.close()  # stopped before A's seal
    assert found(check(trail)) == [(11, "unsealed")]
    conn = db.connect(trail)
    try:
        assert audit_chain.verify(conn).ok
        assert db.read(conn, "SELECT audit_id FROM audit_chain WHERE seq > 11 ORDER BY seq") == [(11,), (13,)]
    finally:
        conn.close()
    assert check(trail).ok


def test_opening_seals_the_late_row_but_not_a_back_dated_one_beside_it(trail):
    conn = db.connect(trail)
    try:
        commit_after_a_later_row_is_sealed(conn)
    finally:
        conn.close()  # stopped before A's seal
    tamper(trail, "INSERT INTO audit_log (action, username, occurred_at)"  # row 13
                  " VALUES ('patient.view', 'manager', current_timestamp - INTERVAL 1 HOUR)")
    assert found(check(trail)) == [(11, "unsealed"), (13, "inserted")]
    conn = db.connect(trail)
    try:
        (detail,) = db.read_one(conn, "SELECT detail FROM audit_log WHERE action = ?", [audit_chain.SEAL_LATE])
        assert json.loads(detail) == {"rows": 1, "first_id": 11, "last_id": 11}
        assert found(audit_chain.verify(conn)) == [(13, "inserted")]
    finally:
        conn.close()


def test_an_existing_trail_is_chained_when_first_opened_by_this_version(trail):
    # A database from before the chain: rows, no seals, no head file.
    tamper(trail, "DELETE FROM audit_chain")
    head_of(trail).unlink()
    conn = db.connect(trail)
    try:
        started = db.read(conn, "SELECT id, detail FROM audit_log WHERE action = ?", [audit_chain.CHAIN_STARTED])
        assert [(i, json.loads(d)["rows"]) for i, d in started] == [(11, 10)]
        assert audit_chain.verify(conn).ok
    finally:
        conn.close()


def test_an_emptied_chain_beside_its_head_file_is_not_restarted(trail):
    tamper(trail, "DELETE FROM audit_chain")
    conn = db.connect(trail)
    conn.close()
    assert count(trail, "SELECT count(*) FROM audit_log WHERE action = 'audit.chain_started'") == 0
    assert (10, "tail_cut") in found(check(trail))


def test_a_row_inserted_among_sealed_ones_is_not_sealed_late(trail):
    tamper(trail, "INSERT INTO audit_log (action, username, occurred_at)"
                  " VALUES ('patient.view', 'manager', current_timestamp - INTERVAL 3 DAY)")
    conn = db.connect(trail)
    conn.close()
    assert found(check(trail)) == [(11, "inserted")]


def test_the_head_file_is_not_moved_past_a_cut_tail_by_later_writes(trail):
    tamper(trail, "DELETE FROM audit_log WHERE id >= 8", "DELETE FROM audit_chain WHERE audit_id >= 8")
    before = head_of(trail).read_text()
    conn = db.connect(trail)
    try:
        record(conn, 4)
    finally:
        conn.close()
    assert head_of(trail).read_text() == before
    assert found(check(trail)) == [(10, "tail_cut")]


def test_a_missing_head_file_is_not_recreated_by_a_write_until_someone_reanchors(trail):
    head_of(trail).unlink()
    conn = db.connect(trail)
    try:
        record(conn, 2)
        assert not head_of(trail).exists()
        report = audit_chain.reanchor(conn, by="admin")
        assert found(report) == [(None, "head_missing")]
        assert audit_chain.verify(conn).ok
        (detail,) = db.read_one(conn, "SELECT detail FROM audit_log WHERE action = ?", [audit_chain.REANCHORED])
        assert json.loads(detail)["found"] == [{"kind": "head_missing", "audit_id": None}]
    finally:
        conn.close()


def test_the_chain_covers_a_column_added_to_audit_log_later(trail):
    conn = db.connect(trail)
    try:
        conn.execute("ALTER TABLE audit_log ADD COLUMN break_glass BOOLEAN")
        assert audit_chain.verify(conn).ok  # NULL in the old rows: their seals still match
        db.atomic(conn, lambda cur: audit.record(cur, "doctor", "patient.view"))
        conn.execute("UPDATE audit_log SET break_glass = true WHERE id = 11")
        assert found(audit_chain.verify(conn)) == [(11, "changed")]
    finally:
        conn.close()


# --- the key -----------------------------------------------------------------------------------


@pytest.fixture
def secrets_file(tmp_path, monkeypatch):
    path = tmp_path / "conf" / "secrets.toml"
    monkeypatch.setenv("CLINICDESK_SECRETS", str(path))
    app_secrets.forget_cached_keys()
    yield path
    monkeypatch.undo()
    app_secrets.forget_cached_keys()


def test_a_missing_secrets_file_is_created_private_with_a_new_key(secrets_file):
    key = app_secrets.audit_key()
    assert len(key) == 32
    assert stat.S_IMODE(os.stat(secrets_file).st_mode) == 0o600
    app_secrets.forget_cached_keys()
    assert app_secrets.audit_key(create=False) == key


def test_the_key_is_added_to_an_existing_secrets_file_without_losing_a_line(secrets_file):
    import tomllib

    secrets_file.parent.mkdir()
    original = '# clinic secrets\n[auth]\nredirect_uri = "http://localhost:8501/oauth2callback"\ncookie_secret = "x"\n'
    secrets_file.write_text(original)
    key = app_secrets.audit_key()
    text = secrets_file.read_text()
    assert text.replace(text.splitlines(keepends=True)[1], "") == original  # one line added, nothing else
    data = tomllib.loads(text)
    assert bytes.fromhex(data["audit_key"]) == key  # top level, not inside [auth]
    assert data["auth"] == {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x"}


def test_an_existing_key_is_used_as_it_is(secrets_file):
    secrets_file.parent.mkdir()
    secrets_file.write_text('audit_key = "' + "ab" * 32 + '"\n')
    assert app_secrets.audit_key() == bytes.fromhex("ab" * 32)
    assert secrets_file.read_text().count("audit_key") == 1


def test_checking_without_a_key_says_so_and_writes_nothing(secrets_file):
    with pytest.raises(app_secrets.SecretsProblem, match="no audit_key"):
        app_secrets.audit_key(create=False)
    assert not secrets_file.exists()


def test_a_secrets_file_that_is_not_toml_is_left_alone(secrets_file):
    secrets_file.parent.mkdir()
    secrets_file.write_text("this is = = not toml\n")
    with pytest.raises(app_secrets.SecretsProblem, match="not valid TOML"):
        app_secrets.audit_key()
    assert secrets_file.read_text() == "this is = = not toml\n"
