import threading

import duckdb
import pytest

import db
from clinic.errors import Busy


def test_an_error_inside_a_transaction_rolls_everything_back(conn):
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    with pytest.raises(ValueError):
        with db.transaction(conn) as cur:
            cur.execute("INSERT INTO t VALUES (1)")
            raise ValueError("boom")
    assert db.read(conn, "SELECT count(*) FROM t")[0][0] == 0


def test_a_failed_statement_does_not_poison_the_next_transaction(conn):
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    conn.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(duckdb.ConstraintException):
        with db.transaction(conn) as cur:
            cur.execute("INSERT INTO t VALUES (2)")
            cur.execute("INSERT INTO t VALUES (1)")
    with db.transaction(conn) as cur:
        cur.execute("INSERT INTO t VALUES (3)")
    assert db.read(conn, "SELECT id FROM t ORDER BY id") == [(1,), (3,)]


def test_atomic_retries_write_conflicts_until_every_increment_lands(conn):
    conn.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)")
    conn.execute("INSERT INTO counter VALUES (1, 0)")
    threads, per_thread = 8, 10
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def bump(cur):
        (n,) = cur.execute("SELECT n FROM counter WHERE id = 1").fetchone()
        cur.execute("UPDATE counter SET n = ? WHERE id = 1", [n + 1])

    def worker():
        barrier.wait()
        for _ in range(per_thread):
            try:
                db.atomic(conn, bump, attempts=200)
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert errors == []
    assert db.read(conn, "SELECT n FROM counter")[0][0] == threads * per_thread


def test_atomic_gives_up_with_a_readable_busy_error(conn):
    calls = []

    def always_conflicts(cur):
        calls.append(1)
        raise duckdb.TransactionException("TransactionContext Error: Conflict on tuple deletion!")

    with pytest.raises(Busy) as err:
        db.atomic(conn, always_conflicts, attempts=3)
    assert len(calls) == 3
    assert "try again" in str(err.value)


def test_atomic_does_not_retry_ordinary_errors(conn):
    calls = []

    def fails(cur):
        calls.append(1)
        raise duckdb.CatalogException("no such table")

    with pytest.raises(duckdb.CatalogException):
        db.atomic(conn, fails)
    assert len(calls) == 1
