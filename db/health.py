"""``manage.py doctor``: what an operator checks on a database file while the app is stopped.

Opens the file read-only (nothing migrated, nothing sealed) and reports: schema version and
migrations pending, file and write-ahead-log size, free disk, the newest backup's age, a full read
of every table (DuckDB checks each block's checksum as it reads it: DuckDB has no separate
integrity pragma) and the audit trail's tamper check. Each finding is "ok", "warn" or "fail".
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import duckdb

from clinic.errors import DatabaseLocked
from clinic.timeutil import now_utc
from db import backups, identifier, migration_files

LOW_DISK = 1 << 30  # under 1 GiB free is a warning; under the database's own size, a failure


@dataclass(frozen=True)
class Finding:
    level: str  # ok, warn, fail
    text: str


def _size(n: int) -> str:
    return f"{n / 1_048_576:.1f} MB" if n >= 1_048_576 else f"{n / 1024:.0f} KB"


def check(path: Path, backups_folder: Path | None = None) -> list[Finding]:
    path = Path(path)
    if not path.is_file():
        return [Finding("fail", f"{path} does not exist.")]
    try:
        conn = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        if isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower():
            raise DatabaseLocked(str(path)) from exc
        return [Finding("fail", f"{path} cannot be opened: {exc}")]
    found: list[Finding] = []
    try:
        _inspect(conn, path, found)
    except duckdb.Error as exc:
        found.append(Finding("fail", f"The database cannot be read: {exc}"))
    finally:
        conn.close()
    free = shutil.disk_usage(path.parent).free
    size = path.stat().st_size
    level = "fail" if free < size else "warn" if free < LOW_DISK else "ok"
    found.append(Finding(level, f"{_size(free)} free on the database's disk."))
    found.append(_backup_age(backups_folder or path.parent / "backups"))
    return found


def _inspect(conn, path: Path, found: list[Finding]) -> None:
    conn.execute("SET TimeZone = 'UTC'")
    (catalog,) = conn.execute("SELECT current_database()").fetchone()
    applied = {r[0] for r in conn.execute("SELECT version FROM schema_migrations").fetchall()}
    pending = [f"{v:03d}_{name}" for v, name, _ in migration_files() if v not in applied]
    found.append(Finding("ok", f"Schema version {max(applied, default=0)}."))
    if pending:
        found.append(Finding("warn", f"{len(pending)} migration(s) pending ({', '.join(pending)}): they run at the "
                                     "next start, after an automatic backup."))
    wal = path.with_name(path.name + ".wal")
    found.append(Finding("ok", f"File {_size(path.stat().st_size)}"
                               + (f", write-ahead log {_size(wal.stat().st_size)}." if wal.exists() else ".")))
    try:
        rows = 0
        for (table,) in conn.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = ?"
                                     " AND schema_name = 'main'", [catalog]).fetchall():
            rows += conn.execute("SELECT count(*) FROM (SELECT hash(t) FROM query_table(?) t)",
                                 [f"{identifier(catalog)}.main.{identifier(table)}"]).fetchone()[0]
        found.append(Finding("ok", f"Every table reads back whole ({rows:,} rows)."))
    except duckdb.Error as exc:
        found.append(Finding("fail", f"A table cannot be read back: {exc}"))
    found.append(_audit(conn, path))


def _audit(conn, path: Path) -> Finding:
    from db import audit_chain

    try:
        report = audit_chain.verify(conn, path.with_name(path.name + audit_chain.HEAD_SUFFIX))
    except Exception as exc:  # noqa: BLE001 - no key, an old schema: said, not raised
        return Finding("warn", f"The audit trail could not be checked: {exc}")
    return Finding("ok" if report.ok else "fail", report.summary()
                   + ("" if report.ok else " Run manage.py verify-audit for the details."))


def _backup_age(folder: Path) -> Finding:
    age = backups.newest_age(folder, now_utc())
    if age is None:
        return Finding("warn", f"No backup in {folder}.")
    level = "warn" if age > backups.STALE_AFTER else "ok"
    if age < timedelta(days=2):
        return Finding(level, f"Newest backup in {folder} is {age.total_seconds() / 3600:.0f} h old.")
    return Finding(level, f"Newest backup in {folder} is {age.days} days old.")
