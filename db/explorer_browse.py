"""The data explorer's table browser: every table and view with its columns and row count, one
table's rows filtered (a column contains or equals a value) and sorted, the first 1,000 shown,
and a download of every matching row as CSV or Parquet.

The queries are built with DuckDB's relational API, never as SQL text: the table must be one of
the catalog's (:func:`db.explorer.relation_names`, the allow-list), columns must be the table's,
and the typed value goes in as a constant. The columns db.explorer hides (password and token
hashes, the stored bytes of documents) are cut here too. A download is checked against
``explorer.query`` and audited as ``explorer.download``; browsing is a read like any other screen.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import duckdb
import duckdb.sqltypes
import pandas as pd
import pyarrow.csv as pa_csv
import pyarrow.parquet as pa_parquet

from clinic.errors import QueryRefused
from db import Connection, actors, atomic, audit
from db.explorer import ACTION, hidden_columns, relation_names


BROWSE_ROWS = 1_000
MATCHES = ("contains", "equals")
DOWNLOAD = "explorer.download"  # audit action of a table download (permission: explorer.query)
FORMATS = ("csv", "parquet")

_TABLE_LIST = """
SELECT lower(t.table_name), 'table', t.column_count, t.estimated_size FROM duckdb_tables() t
 WHERE t.database_name = current_database() AND t.schema_name = 'main' AND NOT t.internal AND NOT t.temporary
UNION ALL
SELECT lower(v.view_name), 'view', (SELECT count(*) FROM duckdb_columns() c WHERE c.database_name = v.database_name
       AND c.schema_name = v.schema_name AND c.table_name = v.view_name), NULL FROM duckdb_views() v
 WHERE v.database_name = current_database() AND v.schema_name = 'main' AND NOT v.internal AND NOT v.temporary
ORDER BY 1
"""


@dataclass(frozen=True)
class Relation:
    """A table or view of the clinic's database, as the browser lists it."""

    name: str
    kind: str  # 'table' or 'view'
    columns: int  # visible columns (hidden ones not counted)
    rows: int | None  # exact for a table; None for a view (counted when it is opened)


@dataclass(frozen=True)
class Column:
    name: str
    type: str


@dataclass(frozen=True)
class BrowsePage:
    frame: pd.DataFrame  # the first ``limit`` matching rows, for display
    matching: int  # how many rows match the filter in all


def list_relations(conn: Connection) -> list[Relation]:
    """Every table and view with its number of visible columns and, for tables, its row count."""
    hidden = hidden_columns(conn)
    cur = conn.cursor()
    try:
        found = []
        for name, kind, columns, _estimate in cur.execute(_TABLE_LIST).fetchall():
            rows = cur.table(name).aggregate("count(*)").fetchall()[0][0] if kind == "table" else None
            found.append(Relation(name, kind, columns - len(hidden.get(name, ())), rows))
        return found
    finally:
        cur.close()


def _relation(cur: Connection, conn: Connection, name: str):
    """The table or view ``name`` as a DuckDB relation without its hidden columns. The name must be
    one of the catalog's (the allow-list): anything else is refused."""
    name = str(name).lower()
    if name not in relation_names(conn):
        raise QueryRefused(f"There is no table “{name}”.", field="table")
    rel = cur.table(name)
    hidden = set(hidden_columns(conn).get(name, ()))
    if hidden:
        rel = rel.project(*[duckdb.ColumnExpression(c) for c in rel.columns if c.lower() not in hidden])
    return rel


def columns_of(conn: Connection, name: str) -> list[Column]:
    """The visible columns of ``name`` with their DuckDB types, in table order."""
    cur = conn.cursor()
    try:
        rel = _relation(cur, conn, name)
        return [Column(c, str(t)) for c, t in zip(rel.columns, rel.types)]
    finally:
        cur.close()


def _filtered(cur: Connection, conn: Connection, name: str, *, column: str | None, match: str, value: str,
              sort: str | None, descending: bool):
    rel = _relation(cur, conn, name)
    types = dict(zip(rel.columns, rel.types))
    for field, picked in (("filter_column", column), ("sort", sort)):
        if picked is not None and picked not in types:
            raise QueryRefused(f"“{name}” has no column “{picked}”.", field=field)
    if column is not None and str(value or "").strip() != "":
        if match not in MATCHES:
            raise QueryRefused(f"Match must be one of {', '.join(MATCHES)}.", field="match")
        col = duckdb.ColumnExpression(column)
        text = str(value).strip()
        if match == "contains":  # case-insensitive, on the value as text
            rel = rel.filter(duckdb.FunctionExpression(
                "contains", duckdb.FunctionExpression("lower", col.cast(duckdb.sqltypes.VARCHAR)),
                duckdb.ConstantExpression(text.lower())))
        else:  # the typed value read as the column's type (checked first: DuckDB may skip the cast
            # of a filter on an empty table, and then a value like "abc" for a number would pass)
            typed = cur.sql("SELECT CAST(? AS VARCHAR) AS v", params=[text])
            _run(lambda: typed.project(duckdb.ColumnExpression("v").cast(types[column])).fetchall(), name, column, text)
            rel = rel.filter(col == duckdb.ConstantExpression(text).cast(types[column]))
    if sort is not None:
        key = duckdb.ColumnExpression(sort)
        rel = rel.sort((key.desc() if descending else key.asc()).nulls_last())
    return rel


def _run(action, name: str, column: str | None, value: str):
    """Run ``action()``; a value the column's type cannot hold becomes a message for the value box."""
    try:
        return action()
    except duckdb.ConversionException:
        raise QueryRefused(f"“{value}” is not a value “{column}” can hold.", field="value") from None


def browse(conn: Connection, name: str, *, column: str | None = None, match: str = "contains", value: str = "",
           sort: str | None = None, descending: bool = False, limit: int = BROWSE_ROWS) -> BrowsePage:
    """The first ``limit`` rows of table or view ``name`` whose ``column`` contains (any case) or
    equals ``value`` (no filter when either is empty), sorted by ``sort`` (empty values last)."""
    cur = conn.cursor()
    try:
        rel = _filtered(cur, conn, name, column=column, match=match, value=value, sort=sort, descending=descending)
        matching = _run(lambda: rel.aggregate("count(*)").fetchall()[0][0], name, column, value)
        frame = _run(lambda: rel.limit(limit).df(), name, column, value)
        return BrowsePage(frame, matching)
    finally:
        cur.close()


def export(conn: Connection, name: str, *, user: Any, fmt: str = "csv", column: str | None = None,
           match: str = "contains", value: str = "", sort: str | None = None, descending: bool = False) -> bytes:
    """Every matching row of ``name`` (as :func:`browse` picks them) as CSV or Parquet bytes.

    Values keep their types (decimals stay exact, times keep their zone: through Arrow, not pandas).
    Checks ``explorer.query`` and leaves an ``explorer.download`` audit row.
    """
    if fmt not in FORMATS:
        raise QueryRefused(f"Download as {' or '.join(FORMATS)}.", field="format")
    actor = actors.current(conn, user, ACTION)
    cur = conn.cursor()
    try:
        rel = _filtered(cur, conn, name, column=column, match=match, value=value, sort=sort, descending=descending)
        table = _run(rel.to_arrow_table, name, column, value)
    finally:
        cur.close()
    buffer = io.BytesIO()
    if fmt == "csv":
        pa_csv.write_csv(table, buffer)
    else:
        pa_parquet.write_table(table, buffer)
    detail = {"table": name, "format": fmt, "rows": table.num_rows,
              "filter": [column, match, value] if column else None,
              "sort": [sort, "desc" if descending else "asc"] if sort else None}
    atomic(conn, lambda c: audit.record(c, actor, DOWNLOAD, entity=name, detail=detail))
    return buffer.getvalue()
