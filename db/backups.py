"""Backups of the running database, their manifests, checking and restoring them.

A backup is a consistent snapshot taken by the process that holds the database (DuckDB lets one
process open the file): a new file gets the same schema from the same migrations, is attached,
and every table's rows are copied into it in one read transaction, so it sees one moment of the
database, WAL included (a bare file copy would lose what is still in the WAL, or catch a
half-written checkpoint). No SQL is built from names: DuckDB's ``COPY FROM DATABASE`` would need
the live catalog's name, which comes from the file's name, spliced into the statement. Beside
each ``<name>.duckdb`` go:

- ``<name>.duckdb.manifest.json``: when, which app and schema version, DuckDB's version, and per
  table its row count and a checksum of its content (the sum of DuckDB's row hashes: independent
  of row order, changed by any changed, added or removed row);
- ``<name>.duckdb.audit-head``: the audit trail's signed head for the snapshot's own last row
  (db/audit_chain.py), so a restored copy's trail verifies.

:func:`verify` checks a backup against its manifest without restoring it; :func:`restore` never
overwrites a file and refuses a backup that does not verify. :func:`prune` keeps the newest
``backup_keep`` good backups and never deletes the only good one.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb

from clinic.errors import ClinicError, ValidationError
from clinic.timeutil import now_utc
from db import Connection, app_folder, atomic, audit, identifier, migrate
from db.actors import current

APP_VERSION = "1.0"
MANIFEST_SUFFIX = ".manifest.json"
HEAD_SUFFIX = ".audit-head"
_NAME = re.compile(r"^clinicdesk-(\d{8}-\d{6})-(manual|daily|upgrade|command)(?:-\d+)?\.duckdb$")
KINDS = ("manual", "daily", "upgrade", "command")
STALE_AFTER = timedelta(days=1)


class BackupError(ClinicError):
    default_message = "The backup could not be made."


@dataclass(frozen=True)
class Backup:
    path: Path
    created_at: datetime | None
    kind: str
    size_bytes: int
    tables: dict[str, dict[str, Any]]
    schema_version: int | None
    manifest_ok: bool  # a manifest that could be read

    @property
    def rows(self) -> int:
        return sum(int(t.get("rows", 0)) for t in self.tables.values())


# --- content ----------------------------------------------------------------------------------


def _tables(cur, catalog: str) -> list[str]:
    return [r[0] for r in cur.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main'"
        " ORDER BY table_name", [catalog]).fetchall()]


def _census(cur, catalog: str) -> dict[str, dict[str, Any]]:
    """Per table: row count and content checksum, read in the cursor's one transaction."""
    out = {}
    for table in _tables(cur, catalog):
        rows, total = cur.execute("SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0)::VARCHAR FROM query_table(?) t",
                                  [f"{identifier(catalog)}.main.{identifier(table)}"]).fetchone()
        out[table] = {"rows": int(rows), "checksum": str(total)}
    return out


def _open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect(str(path), read_only=True)
    conn.execute("SET TimeZone = 'UTC'")
    return conn


# --- making one -------------------------------------------------------------------------------


def folder_for(conn: Connection) -> Path:
    """Where backups go: ``CLINICDESK_BACKUPS`` (the server's setting; the app must be allowed to
    write there, see components/db_session.py) or ``backups/`` beside the database."""
    configured = os.environ.get("CLINICDESK_BACKUPS")
    return Path(configured).resolve() if configured else app_folder(conn, "backups")


def _new_path(folder: Path, kind: str, at: datetime) -> Path:
    stem = f"clinicdesk-{at:%Y%m%d-%H%M%S}-{kind}"
    path, n = folder / f"{stem}.duckdb", 1
    while path.exists() or path.with_name(path.name + ".partial").exists():
        n += 1
        path = folder / f"{stem}-{n}.duckdb"
    return path


def create(conn: Connection, *, by, kind: str = "manual", folder: Path | None = None) -> Backup:
    """Back up as ``by`` (an admin, or an operator's name such as "app"): :func:`snapshot`, then
    audit it in the database (``backup.create``)."""
    actor = current(conn, by, "backups.manage")  # a refusal is audited
    made = snapshot(conn, kind=kind, folder=folder)
    atomic(conn, lambda c: audit.record(c, actor, "backup.create", "backup", None,
                                        detail={"file": made.path.name, "kind": kind, "rows": made.rows}))
    return made


def snapshot(conn: Connection, *, kind: str, folder: Path | None = None) -> Backup:
    """Snapshot the database into ``folder`` (default :func:`folder_for`) with its manifest and
    audit head, and return it. Writes nothing into the database itself (so it also serves before
    an upgrade, when the schema is still the old one).

    The snapshot is written under a ``.partial`` name and renamed only once it is complete and its
    manifest is written, so a failed or interrupted backup never looks like a good one."""
    if kind not in KINDS:
        raise ValueError(kind)
    folder = Path(folder) if folder is not None else folder_for(conn)
    folder.mkdir(parents=True, exist_ok=True)
    at = now_utc().astimezone(timezone.utc)
    path = _new_path(folder, kind, at)
    partial = path.with_name(path.name + ".partial")
    try:
        _copy_into(conn, partial)
    except duckdb.Error as exc:
        for leftover in (partial, partial.with_name(partial.name + ".wal")):
            with contextlib.suppress(OSError):
                leftover.unlink()
        from db import is_disk_full

        if is_disk_full(exc):
            raise BackupError("The disk is full: no backup was made. Free space, then back up again.") from exc
        raise BackupError(f"The backup could not be made: {exc}") from exc
    try:
        copy = _open_read_only(partial)
        try:
            tables = _census(copy, _catalog_of(copy))
            schema = _schema_version(copy)
            head = _head_for(copy)
        finally:
            copy.close()
        manifest = {"format": "clinicdesk-backup-1", "created_at": at.isoformat(), "kind": kind,
                    "app_version": APP_VERSION, "schema_version": schema, "duckdb_version": duckdb.__version__,
                    "file": path.name, "tables": tables}
        _write_json(path.with_name(path.name + MANIFEST_SUFFIX), manifest)
        if head is not None:
            _write_text(path.with_name(path.name + HEAD_SUFFIX), head)
        os.replace(partial, path)
    except BaseException:
        for leftover in (partial, path.with_name(path.name + MANIFEST_SUFFIX), path.with_name(path.name + HEAD_SUFFIX)):
            with contextlib.suppress(OSError):
                leftover.unlink()
        raise
    return describe(path)


# The new file, attached to the live database under a fixed name while it is filled.
_SNAPSHOT = "clinicdesk_snapshot"
_REFERENCES = ("SELECT DISTINCT table_name, referenced_table FROM duckdb_constraints()"
               " WHERE database_name = current_database() AND schema_name = 'main'"
               " AND constraint_type = 'FOREIGN KEY'")
# The value each sequence of a catalog gives next. A reopened file reports its sequences as
# starting at the next value, with the one before as the last given.
_NEXT_VALUES = ("SELECT sequence_name, coalesce(last_value + increment_by, start_value) FROM duckdb_sequences()"
                " WHERE database_name = ? AND schema_name = 'main'")
# The rows some migrations write (default settings, the first stock room), emptied from the new
# file before the live rows are copied in. tests/db/test_backups.py checks that no other table
# has rows after migrating, so a migration that starts writing rows must be added here.
_EMPTY_AFTER_MIGRATING = ("DELETE FROM settings", "DELETE FROM stock_locations")


def _copy_into(conn: Connection, partial: Path) -> None:
    """Fill the new file ``partial`` with the database behind ``conn``, as of one moment.

    The new file gets the same schema from the same migrations (those the database has applied),
    then every table's rows are copied in one read transaction on the live database, so what is
    copied is one consistent state while the desk goes on working; each sequence is moved on as
    far as the live one, so ids and record numbers go on where they left off after a restore."""
    cur = conn.cursor()
    try:
        applied = {row[0] for row in cur.execute("SELECT version FROM schema_migrations").fetchall()}
        empty = duckdb.connect(str(partial))
        try:
            migrate(empty, only=applied)
            for statement in _EMPTY_AFTER_MIGRATING:
                with contextlib.suppress(duckdb.CatalogException):  # a table not made yet by an older schema
                    empty.execute(statement)
            empty.execute("CHECKPOINT")
        finally:
            empty.close()
        cur.execute("ATTACH ? AS clinicdesk_snapshot", [str(partial)])
        try:
            cur.execute("BEGIN TRANSACTION")
            try:
                cur.execute("DELETE FROM clinicdesk_snapshot.main.schema_migrations")  # the live one's rows follow
                live = _catalog_of(cur)
                for table in _referenced_first(_tables(cur, live), cur.execute(_REFERENCES).fetchall()):
                    cur.table(table).insert_into(f"{_SNAPSHOT}.main.{table}")
                starts = dict(cur.execute(_NEXT_VALUES, [_SNAPSHOT]).fetchall())
                for sequence, live_next in cur.execute(_NEXT_VALUES, [live]).fetchall():
                    if sequence in starts and live_next > starts[sequence]:
                        cur.execute("SELECT max(nextval(?)) FROM range(?)",
                                    [f"{_SNAPSHOT}.main.{sequence}", live_next - starts[sequence]]).fetchall()
                cur.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(duckdb.Error):
                    cur.execute("ROLLBACK")
                raise
            cur.execute("CHECKPOINT clinicdesk_snapshot")
        finally:
            cur.execute("DETACH clinicdesk_snapshot")
    finally:
        cur.close()


def _referenced_first(tables: list[str], references: list[tuple[str, str]]) -> list[str]:
    """``tables`` ordered so that a table comes after every table its foreign keys refer to."""
    from graphlib import TopologicalSorter

    graph = {table: set() for table in tables}
    for table, referenced in references:
        if table in graph and referenced in graph and referenced != table:
            graph[table].add(referenced)
    return list(TopologicalSorter(graph).static_order())


def _schema_version(conn) -> int | None:
    return conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]


def _catalog_of(conn) -> str:
    return conn.execute("SELECT current_database()").fetchone()[0]


def _head_for(snapshot) -> str | None:
    """The audit head file's text for the snapshot's own last sealed row (None: no trail yet)."""
    from db import audit_chain

    try:
        return audit_chain.head_text(snapshot)
    except duckdb.CatalogException:  # made before the trail had its chain (migration 014)
        return None


def _write_json(path: Path, data: dict) -> None:
    _write_text(path, json.dumps(data, indent=1, sort_keys=True) + "\n")


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# --- listing, checking ------------------------------------------------------------------------


def _manifest(path: Path) -> dict | None:
    try:
        data = json.loads(path.with_name(path.name + MANIFEST_SUFFIX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("tables"), dict) else None


def describe(path: Path) -> Backup:
    path = Path(path)
    data = _manifest(path) or {}
    try:
        created = datetime.fromisoformat(data["created_at"])
    except (KeyError, TypeError, ValueError):
        created = None
    match = _NAME.match(path.name)
    return Backup(path=path, created_at=created, kind=str(data.get("kind") or (match.group(2) if match else "?")),
                  size_bytes=path.stat().st_size if path.exists() else 0, tables=data.get("tables") or {},
                  schema_version=data.get("schema_version"), manifest_ok=bool(data))


def list_backups(folder: Path) -> list[Backup]:
    """The backups in ``folder``, newest first (unfinished ``.partial`` files are not backups)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [describe(p) for p in folder.glob("clinicdesk-*.duckdb") if _NAME.match(p.name)]
    epoch = datetime.min.replace(tzinfo=timezone.utc)
    return sorted(found, key=lambda b: (b.created_at or epoch, b.path.name), reverse=True)


def newest_age(folder: Path, now: datetime | None = None) -> timedelta | None:
    """How old the newest backup with a manifest is (None: there is none)."""
    for backup in list_backups(folder):
        if backup.manifest_ok and backup.created_at is not None:
            return (now or now_utc()) - backup.created_at
    return None


def verify(path: Path) -> list[str]:
    """What is wrong with the backup at ``path`` (empty: it matches its manifest table by table)."""
    path = Path(path)
    if not path.is_file():
        return [f"{path} does not exist."]
    manifest = _manifest(path)
    if manifest is None:
        return [f"{path.name} has no readable manifest ({path.name}{MANIFEST_SUFFIX})."]
    try:
        snapshot = _open_read_only(path)
    except duckdb.Error as exc:
        return [f"{path.name} cannot be opened as a database: {exc}"]
    try:
        try:
            found = _census(snapshot, _catalog_of(snapshot))
            schema = _schema_version(snapshot)
        except duckdb.Error as exc:
            return [f"{path.name} cannot be read: {exc}"]
    finally:
        snapshot.close()
    problems = []
    expected = manifest["tables"]
    for table in sorted(set(expected) | set(found)):
        want, got = expected.get(table), found.get(table)
        if want is None:
            problems.append(f"table {table} is in the file but not in the manifest")
        elif got is None:
            problems.append(f"table {table} is missing ({want.get('rows')} rows expected)")
        elif int(want.get("rows", -1)) != got["rows"]:
            problems.append(f"table {table} has {got['rows']} rows, the manifest says {want.get('rows')}")
        elif str(want.get("checksum")) != got["checksum"]:
            problems.append(f"table {table}: its content does not match the manifest's checksum")
    if manifest.get("schema_version") != schema:
        problems.append(f"schema version {schema}, the manifest says {manifest.get('schema_version')}")
    return problems


# --- restoring, pruning -----------------------------------------------------------------------


def restore(backup: Path, to: Path) -> Backup:
    """Copy a verified backup (with its audit head) to the new file ``to``, which must not exist.

    Raises ValidationError ("to" exists, or "backup" does not verify, with the reasons)."""
    backup, to = Path(backup), Path(to)
    if to.exists() or to.with_name(to.name + ".wal").exists():
        raise ValidationError({"to": f"{to} already exists: restore never overwrites a file. Choose a new name."})
    problems = verify(backup)
    if problems:
        raise ValidationError({"backup": "This backup does not check out: " + "; ".join(problems)})
    to.parent.mkdir(parents=True, exist_ok=True)
    partial = to.with_name(to.name + ".partial")
    shutil.copyfile(backup, partial)
    head = backup.with_name(backup.name + HEAD_SUFFIX)
    if head.exists():
        shutil.copyfile(head, to.with_name(to.name + HEAD_SUFFIX))
    os.replace(partial, to)
    return describe(backup)


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` good backups (``keep`` at least 1); a backup whose
    manifest is missing is left alone for a person to look at. Returns what was deleted."""
    keep = max(1, int(keep))
    good = [b for b in list_backups(folder) if b.manifest_ok]
    gone = []
    for backup in good[keep:]:
        for file in (backup.path, backup.path.with_name(backup.path.name + MANIFEST_SUFFIX),
                     backup.path.with_name(backup.path.name + HEAD_SUFFIX)):
            with contextlib.suppress(FileNotFoundError):
                file.unlink()
        gone.append(backup.path)
    return gone


def due_daily(conn: Connection, hour: int, tz: str, now: datetime | None = None) -> bool:
    """Whether the automatic daily backup is due: it is past ``hour`` (local) and no daily
    backup was made since that hour today."""
    from clinic import timeutil

    now = now or now_utc()
    local = timeutil.to_local(now, tz)
    if local.hour < hour:
        return False
    since = timeutil.local_to_utc(local.replace(hour=hour, minute=0, second=0, microsecond=0, tzinfo=None), tz)
    for backup in list_backups(folder_for(conn)):
        if backup.kind == "daily" and backup.manifest_ok and backup.created_at and backup.created_at >= since:
            return False
    return True

