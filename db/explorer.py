"""The data explorer's read-only SQL box: :func:`run_query` checks one question, runs it and audits it.

Three walls stand between a typed query and the machine, each enough on most days:

1. The query is parsed with sqlglot (DuckDB dialect) and refused unless it is one ``SELECT`` (or
   ``WITH … SELECT``, ``UNION`` …) that reads only the clinic's own tables and views, CTEs it
   names itself and the harmless row generators ``range``/``generate_series``/``unnest``. Every
   other table function (``read_csv``, ``glob``, ``query``, ``duckdb_settings`` …), a file named
   in ``FROM`` (``FROM '/etc/passwd'`` is an unknown table name), functions with side effects or
   that reveal settings (``nextval``, ``current_setting`` …), ``SELECT … INTO``, ``COPY``,
   ``ATTACH``, ``PRAGMA``, ``SET`` and the like are refused with one line saying why.
   What runs is sqlglot's own rendering of the tree that was checked, never the typed text, so
   DuckDB cannot read the text differently from the checker.
2. It runs in a ``READ ONLY`` transaction that is always rolled back (DuckDB refuses any write in
   it, ``nextval`` included, which is not transactional and would survive a rollback).
3. ``db.connect`` switched DuckDB's external access off for the whole database except the
   app's own folders, so a file function that slipped past the parser still cannot read the disk.

Secrets stay hidden: ``users.password_hash``, ``user_sessions.token_hash`` and the stored bytes of
``documents.content`` (whose downloads are audited one by one) are cut from those tables before
the query sees them, here and in the table browser (db.explorer_browse).

Limits: at most ``max_rows`` rows come back (``frame.attrs["truncated"]`` says when there were
more) and a query still running after ``timeout_s`` is interrupted (``cursor.interrupt()`` from a
timer thread; the connection is fine afterwards). Every query, refused or not, leaves one
``explorer.query`` audit row with the SQL and the outcome, written in its own transaction because
the query's own is always rolled back.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import duckdb
import pandas as pd
import sqlglot
from sqlglot import exp

from clinic.errors import ClinicError, NotAllowed, QueryRefused
from db import Connection, actors, atomic, audit, read

ACTION = "explorer.query"
MAX_ROWS = 10_000
TIMEOUT_S = 10
# Shown in the empty SQL box.
EXAMPLE = "SELECT status, count(*) AS appointments\nFROM appointments\nGROUP BY status\nORDER BY appointments DESC"

# Row generators a question may use in FROM; every other table function is refused.
TABLE_FUNCTIONS_ALLOWED = frozenset({"range", "generate_series", "unnest"})
# Functions refused wherever they appear, with the reason given: sequence state (not undone by a
# rollback), the server's settings and variables, its log, sleeping, running SQL from a string.
_CHANGES = "it changes the database"
_SERVER = "it reads the server's settings or files"
FUNCTIONS_REFUSED = {
    "nextval": _CHANGES, "setval": _CHANGES, "currval": _CHANGES, "write_log": _CHANGES,
    "checkpoint": _CHANGES, "force_checkpoint": _CHANGES,
    "current_setting": _SERVER, "getvariable": _SERVER, "getenv": _SERVER, "which_secret": _SERVER,
    "glob": "it reads files", "query": "it runs SQL from a string", "query_table": "it runs SQL from a string",
    "sleep_ms": "it only waits", "pg_sleep": "it only waits",
}
# Name beginnings of functions that read files or describe the server (any kind, anywhere).
FUNCTION_PREFIXES_REFUSED = ("read_", "parquet_", "sniff_", "duckdb_", "pragma_", "json_execute", "arrow_",
                             "pandas_", "python_", "enable_", "disable_", "icu_")
# Columns nobody reads through the explorer (secrets, and documents whose downloads are audited).
HIDDEN_COLUMNS = {"users": ("password_hash",), "user_sessions": ("token_hash",), "documents": ("content",)}

# Statement kinds refused wherever they appear in the tree; looked up by name so that a class
# missing from this sqlglot version does not break the import.
_REFUSED_NODES = tuple(
    getattr(exp, name) for name in (
        "DML", "DDL", "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "Copy", "Command",
        "Pragma", "Set", "Attach", "Detach", "Install", "Use", "Transaction", "Commit", "Rollback", "Describe",
        "Summarize", "Show", "Into", "Export", "Load",
    ) if hasattr(exp, name)
)
_QUERY_ROOTS = tuple(getattr(exp, name) for name in ("Select", "Union", "Intersect", "Except") if hasattr(exp, name))

_RELATIONS = """
SELECT lower(table_name) FROM duckdb_tables()
 WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal AND NOT temporary
UNION
SELECT lower(view_name) FROM duckdb_views()
 WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal AND NOT temporary
"""
# Functions that exist only as table functions (``repeat``, ``range``, ``histogram`` are scalar or
# aggregate functions too, and those uses are fine).
_TABLE_ONLY_FUNCTIONS = """
SELECT lower(function_name) FROM duckdb_functions() WHERE function_type IN ('table', 'table_macro')
EXCEPT
SELECT lower(function_name) FROM duckdb_functions() WHERE function_type NOT IN ('table', 'table_macro')
"""
_COLUMNS = """
SELECT lower(table_name), lower(column_name) FROM duckdb_columns()
 WHERE database_name = current_database() AND schema_name = 'main'
"""


# --- checking -----------------------------------------------------------------------------------


def relation_names(conn: Connection) -> set[str]:
    """Lower-case names of the clinic's own tables and views (schema main of this database)."""
    return {name for (name,) in read(conn, _RELATIONS)}


def hidden_columns(conn: Connection) -> dict[str, tuple[str, ...]]:
    """:data:`HIDDEN_COLUMNS` limited to the columns the schema really has."""
    present = set(read(conn, _COLUMNS))
    found = {t: tuple(c for c in cols if (t, c) in present) for t, cols in HIDDEN_COLUMNS.items()}
    return {t: cols for t, cols in found.items() if cols}


_table_only: frozenset[str] | None = None


def _table_only_functions(conn: Connection) -> frozenset[str]:
    """DuckDB's built-in table-only functions: read once per process (the catalog query takes about
    a quarter of a second, and the list depends only on the DuckDB version)."""
    global _table_only
    if _table_only is None:
        _table_only = frozenset(name for (name,) in read(conn, _TABLE_ONLY_FUNCTIONS))
    return _table_only


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return node.sql_name().lower()


def _statement_word(tree: exp.Expression) -> str:
    """The first keyword of a statement, for a refusal message ("INSERT", "COPY", "PRAGMA" …)."""
    if isinstance(tree, exp.Command):
        return str(tree.this).split()[0].upper()
    try:
        text = tree.sql(dialect="duckdb")
    except Exception:  # noqa: BLE001 - an odd node: name its class instead
        return type(tree).__name__.upper()
    return (text.split() or [type(tree).__name__])[0].upper()


def _one_statement(sql: str) -> exp.Expression:
    text = (sql or "").strip()
    if not text:
        raise QueryRefused("Type a question in SQL first.")
    try:
        statements = [s for s in sqlglot.parse(text, read="duckdb") if s is not None]
    except sqlglot.errors.ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = f" (line {first.get('line')}, column {first.get('col')})" if first.get("line") else ""
        what = str(first.get("description") or exc).splitlines()[0].split(" but got <Token")[0]
        raise QueryRefused(f"Could not read this SQL: {what}{where}.") from None
    except sqlglot.errors.SqlglotError as exc:
        raise QueryRefused(f"Could not read this SQL: {str(exc).splitlines()[0]}") from None
    if len(statements) != 1:
        raise QueryRefused("One statement at a time: remove everything after the first “;”.")
    return statements[0]


def check(conn: Connection, sql: str) -> str:
    """The SQL to run for ``sql`` if it is one read-only question; otherwise :class:`QueryRefused`.

    The returned text is sqlglot's rendering of the checked tree, with the hidden columns cut from
    their tables.
    """
    tree = _one_statement(sql)
    if not isinstance(tree, _QUERY_ROOTS):
        raise QueryRefused("Only questions that read (SELECT or WITH … SELECT) can run here, "
                           f"not {_statement_word(tree)}.")
    for node in tree.walk():
        if isinstance(node, _REFUSED_NODES):
            if isinstance(node, exp.Into):
                raise QueryRefused("SELECT … INTO would write a table: only reading is allowed here.")
            raise QueryRefused(f"{_statement_word(node)} is not allowed here: only SELECT questions can run.")

    table_only = _table_only_functions(conn)
    for func in tree.find_all(exp.Func):
        name = _function_name(func)
        if name in FUNCTIONS_REFUSED:
            raise QueryRefused(f"{name}() is not allowed here: {FUNCTIONS_REFUSED[name]}.")
        if name.startswith(FUNCTION_PREFIXES_REFUSED):
            raise QueryRefused(f"{name}() is not allowed here: it reads files or the server's own tables.")
        if name in table_only and name not in TABLE_FUNCTIONS_ALLOWED:
            raise QueryRefused(f"The table function {name}() is not allowed here: ask the clinic's tables.")

    relations = relation_names(conn)
    ctes = {str(cte.alias).lower() for cte in tree.find_all(exp.CTE)}
    clash = sorted(ctes & relations)
    if clash:
        raise QueryRefused(f"Give the WITH part another name than the table “{clash[0]}”.")
    hidden = hidden_columns(conn)
    database = read(conn, "SELECT lower(current_database())")[0][0]
    to_hide = []
    for table in list(tree.find_all(exp.Table)):
        source = table.this
        if isinstance(source, exp.Func):
            name = _function_name(source)
            if name not in TABLE_FUNCTIONS_ALLOWED:
                raise QueryRefused(f"The table function {name}() is not allowed here: ask the clinic's tables.")
            continue
        if not isinstance(source, exp.Identifier):
            raise QueryRefused("Only the clinic's tables can be read here, by name.")
        name = str(table.name).lower()
        catalog, schema = str(table.catalog or "").lower(), str(table.db or "").lower()
        if not schema and not catalog and name in ctes:
            continue
        if catalog not in ("", database) or schema not in ("", "main") or name not in relations:
            shown = ".".join(p for p in (table.catalog, table.db, table.name) if p)
            raise QueryRefused(f"“{shown}” is not one of the clinic's tables (files cannot be read here).")
        if name in hidden:
            to_hide.append((table, name))
    for table, name in to_hide:
        _hide_columns(table, name, hidden[name])
    return tree.sql(dialect="duckdb")


def _hide_columns(table: exp.Table, name: str, columns: tuple[str, ...]) -> None:
    """Replace ``table`` by ``(SELECT * EXCLUDE (columns) FROM main.table) AS <its alias or name>``."""
    inner = exp.select(exp.Star(except_=[exp.column(c, quoted=True) for c in columns])).from_(
        exp.table_(name, db="main", quoted=True))
    alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(name))
    table.replace(exp.Subquery(this=inner, alias=alias.copy()))


# --- running ------------------------------------------------------------------------------------


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _fetch(conn: Connection, sql: str, *, max_rows: int, timeout_s: float) -> pd.DataFrame:
    """Run checked ``sql`` in a read-only transaction (always rolled back) with both limits."""
    cur = conn.cursor()
    lock = threading.Lock()
    state = {"finished": False, "interrupted": False}

    def stop() -> None:
        with lock:
            if not state["finished"]:
                state["interrupted"] = True
                cur.interrupt()

    timer = threading.Timer(timeout_s, stop)
    timer.daemon = True
    try:
        cur.execute("BEGIN TRANSACTION READ ONLY")
        timer.start()
        try:
            frame = cur.sql(sql).limit(max_rows + 1).df()
        finally:
            with lock:
                state["finished"] = True
            timer.cancel()
    except duckdb.Error as exc:
        if state["interrupted"]:
            raise QueryRefused(f"Stopped after {timeout_s:g} seconds: narrow the question (fewer rows, a WHERE, "
                               "a join condition).") from None
        raise QueryRefused(f"The database could not answer it: {_first_line(exc)}") from None
    finally:
        try:
            cur.execute("ROLLBACK")
        except duckdb.Error:
            pass  # no transaction left to roll back
        cur.close()
    truncated = len(frame) > max_rows
    if truncated:
        frame = frame.iloc[:max_rows].copy()
    frame.attrs.update(truncated=truncated, max_rows=max_rows)
    return frame


def run_query(conn: Connection, sql: str, *, user: Any, max_rows: int = MAX_ROWS,
              timeout_s: float = TIMEOUT_S) -> pd.DataFrame:
    """Answer one read-only SQL question; raise :class:`QueryRefused` (one line why) otherwise.

    At most ``max_rows`` rows come back; ``frame.attrs["truncated"]`` is True when the answer had
    more. ``user`` must be allowed ``explorer.query`` (manager, admin), else :class:`NotAllowed`.
    Every call leaves one audit row (action ``explorer.query``), whatever the outcome.
    """
    started = time.monotonic()
    detail: dict[str, Any] = {"sql": sql}
    who: Any = user
    outcome = "success"
    try:
        who = actors.current(conn, user, ACTION, audit_refusal=False)  # the refused row is the one below
        checked = check(conn, sql)
        frame = _fetch(conn, checked, max_rows=max_rows, timeout_s=timeout_s)
        detail.update(outcome="answered", rows=len(frame), truncated=frame.attrs["truncated"])
        return frame
    except NotAllowed as err:
        detail.update(outcome="not allowed", reason=str(err))
        who, outcome = actors.refused_actor(err) or user, "refused"
        raise
    except ClinicError as err:
        detail.update(outcome="refused", reason=str(err))
        raise
    except Exception as exc:
        detail.update(outcome="failed", reason=_first_line(exc))
        raise
    finally:
        detail["seconds"] = round(time.monotonic() - started, 3)
        atomic(conn, lambda cur: audit.record(cur, who, ACTION, detail=detail, outcome=outcome))

