"""Data access over one embedded DuckDB file.

What matters about the connection:

* One process holds the file. DuckDB takes a file lock on open (read-only opens too), so the
  running app is the only reader and writer; ``manage.py`` refuses politely when the app holds it.
* One connection per process, a new ``conn.cursor()`` per operation. A DuckDB connection is
  not thread-safe and Streamlit serves every browser session on its own thread; a shared
  connection used from several threads fails with "connection is busy".
* Every function in ``db/`` takes the connection first, so tests hand it a temporary file.
* Times are ``TIMESTAMPTZ`` and the session time zone is UTC: Python receives aware datetimes
  in UTC and ``clinic/`` converts to the clinic's zone for display.
* Writes that can race go through :func:`atomic`, which retries DuckDB's optimistic
  "Conflict on ..." errors a bounded number of times and then raises :class:`clinic.errors.Busy`.
* DuckDB cannot touch the machine's files: after migrating, :func:`connect` limits its file access
  to the folders the app itself uses (``backups/`` and ``imports/`` beside the database, see
  :func:`app_folder`, plus any ``allow_dirs``) and switches external access off for the whole
  database. So ``read_csv('/etc/passwd')``, ``COPY … TO``, ``ATTACH``, ``INSTALL`` and ``LOAD``
  fail outside those folders, whoever runs them. It cannot be switched back on while the file is
  open in this process; a second ``connect`` to the same file shares the first one's setting.
* Audit rows are sealed into a tamper-evident chain (``db/audit_chain.py``) right after the
  transaction that wrote them commits, and on :func:`connect` when some were left unsealed.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import duckdb

from clinic.errors import Busy, DatabaseLocked, DiskFull, NotAllowed

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
MAX_ATTEMPTS = 12

T = TypeVar("T")

Connection = duckdb.DuckDBPyConnection


# Folders beside the database file that DuckDB itself may read and write (backups, uploads).
APP_FOLDERS = ("backups", "imports")


def connect(path: str | Path, *, allow_dirs: tuple[str | Path, ...] | list[str | Path] = (),
            seal: bool = True) -> Connection:
    """Open (creating if needed) the database at ``path``, bring its schema up to date and lock
    DuckDB's file access down to the app's folders (:data:`APP_FOLDERS`) and ``allow_dirs``.

    A file's audit rows left unsealed (an older version, a stop between commit and seal) are
    sealed now (:func:`db.audit_chain.catch_up`); ``seal=False`` leaves the trail as it is found,
    for checking it (``manage.py verify-audit``).

    Raises :class:`clinic.errors.DatabaseLocked` when another process holds the file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = duckdb.connect(str(path))
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DatabaseLocked(str(path)) from exc
        raise
    in_memory = str(path).startswith(":memory:")  # no folder of its own: only allow_dirs
    own = [] if in_memory else [path.parent / name for name in APP_FOLDERS]
    # A file another connection of this process opened and prepared (migrated, sealed, locked
    # down) has been held since: nothing can have changed behind it, so only the folders asked for
    # are checked and rows an earlier seal=False connection left unsealed are sealed.
    prepared = not in_memory and _prepared(conn)
    if not prepared:
        # GLOBAL so that every cursor() made from this connection inherits it. (Passing TimeZone in
        # connect(config=...) fails: the ICU extension is not loaded yet at that point.)
        conn.execute("SET GLOBAL TimeZone = 'UTC'")
        if not in_memory:
            _back_up_before_upgrade(conn, path.parent / "backups")
        migrate(conn)
    try:
        lock_down(conn, own + [Path(d) for d in allow_dirs])
        if seal and not in_memory and (not prepared or read_one(conn, _UNSEALED)[0]):
            from db import audit_chain  # it imports this module

            audit_chain.catch_up(conn)
    except BaseException:
        conn.close()
        raise
    return conn


_UNSEALED = ("SELECT EXISTS (SELECT 1 FROM audit_log"
             " WHERE id > coalesce((SELECT max(audit_id) FROM audit_chain), -1))")


def _prepared(conn: Connection) -> bool:
    """True when this connection shares a database instance that an earlier :func:`connect` in
    this process prepared: its external file access is off, which only :func:`lock_down` does
    (after migrating) and which DuckDB cannot undo, so it lasts exactly as long as the instance."""
    (external,) = conn.execute("SELECT current_setting('enable_external_access')").fetchone()
    return not external


def app_folder(conn: Connection, name: str) -> Path:
    """The folder ``name`` (one of :data:`APP_FOLDERS`) beside this connection's database file:
    the only places (with ``allow_dirs``) where DuckDB may read or write files."""
    if name not in APP_FOLDERS:
        raise ValueError(f"not an app folder: {name}")
    (file,) = read_one(conn, "SELECT path FROM duckdb_databases() WHERE database_name = current_database()")
    if not file:
        raise ValueError("an in-memory database has no folders")
    return Path(file).resolve().parent / name


def lock_down(conn: Connection, folders: list[Path]) -> None:
    """Allow DuckDB file access only inside ``folders`` (created if missing), then switch external
    access off for the whole database (DuckDB cannot switch it back on).

    Inside one process every connection to a file shares one database instance and its settings:
    when an earlier ``connect`` locked it already, the folders must be among those it allowed.
    """
    wanted = []
    for folder in folders:
        folder = Path(folder).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        wanted.append(str(folder) + "/")
    cur = conn.cursor()
    try:
        (external,) = cur.execute("SELECT current_setting('enable_external_access')").fetchone()
        if not external:
            (allowed,) = cur.execute("SELECT current_setting('allowed_directories')").fetchone()
            missing = [w for w in wanted if not any(w.startswith(a) for a in allowed or [])]
            if missing:
                raise RuntimeError(
                    f"this database is already open in this process with file access limited to {allowed}; "
                    f"{missing} cannot be added now: pass allow_dirs to the first connect()")
            return
        cur.execute("SET GLOBAL allowed_directories = ?", [wanted])
        cur.execute("SET GLOBAL enable_external_access = false")
    finally:
        cur.close()


def migration_files() -> list[tuple[int, str, Path]]:
    """(version, name, path) for every ``NNN_name.sql`` file, in order."""
    found = []
    for p in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9]_*.sql")):
        found.append((int(p.name[:3]), p.stem[4:], p))
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a number: {versions}")
    return found


def applied_versions(conn: Connection) -> set[int]:
    cur = conn.cursor()
    cur.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)"
    )
    return {row[0] for row in cur.execute("SELECT version FROM schema_migrations").fetchall()}


def _back_up_before_upgrade(conn: Connection, folder: Path) -> None:
    """A database made by an older version (some migrations applied, newer ones pending) is backed
    up into ``folder`` before they run (db.backups, kind "upgrade"); a new, empty one is not."""
    done = applied_versions(conn)
    if done and any(version not in done for version, _, _ in migration_files()):
        from db import backups  # it imports this module

        made = backups.snapshot(conn, kind="upgrade", folder=folder)
        log.warning("backed up %s before upgrading its schema from version %d", made.path, max(done))


def migrate(conn: Connection, *, only: set[int] | None = None) -> list[int]:
    """Apply every migration not yet recorded (or, with ``only``, those of them whose versions it
    holds: a backup gives its new file the schema of the database it copies, db.backups), each in
    its own transaction. Returns what ran.

    Migrations are forward-only: a file, once released, is never edited; fix it with a new one.
    """
    done = applied_versions(conn)
    ran = []
    for version, name, path in migration_files():
        if version in done or (only is not None and version not in only):
            continue
        sql = path.read_text(encoding="utf-8")
        cur = conn.cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            cur.execute(sql)
            cur.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
            cur.execute("COMMIT")
        except BaseException:
            _rollback_quietly(cur)
            raise
        ran.append(version)
        log.info("applied migration %03d_%s", version, name)
    return ran


def _rollback_quietly(cur: Connection) -> None:
    # After an error DuckDB keeps the transaction open but aborted, and would turn a later
    # COMMIT into a silent rollback. Roll back explicitly; ignore "no transaction is active".
    with contextlib.suppress(duckdb.Error):
        cur.execute("ROLLBACK")


def is_conflict(exc: BaseException) -> bool:
    """True for DuckDB's optimistic-concurrency failures, which are worth retrying: a
    TransactionException at commit ("Conflict on update", a unique key two transactions both
    took) or a write-write conflict. A commit that could not be written (a full disk raises
    TransactionException too: "Failed to commit: Could not write file") is not one."""
    text = str(exc).lower()
    if is_disk_full(exc) or "could not write" in text:
        return False
    return isinstance(exc, duckdb.TransactionException) or "conflict" in text


def is_disk_full(exc: BaseException) -> bool:
    """True when a write failed because the disk (or the folder's quota) is full."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(exc).lower()
    return "no space left on device" in text or "disk quota exceeded" in text


class _Unsealed(threading.local):
    """Per thread: the audit rows written on the cursor of the innermost :func:`transaction`
    (sealed when it commits), the smallest audit id written anywhere else (sealed at the next
    outermost commit), and how deep in :func:`transaction` the thread is."""

    cursor: Connection | None = None
    rows: list | None = None
    since: int | None = None
    depth: int = 0


_unsealed = _Unsealed()


def note_audit_row(cur: Connection, names: tuple[str, ...], row: tuple) -> None:
    """Called by :func:`db.audit.record` with the row as stored: seal it once it is committed."""
    if cur is _unsealed.cursor and _unsealed.rows is not None:
        _unsealed.rows.append((names, row))
        return
    audit_id = row[names.index("id")]
    if _unsealed.since is None or audit_id < _unsealed.since:
        _unsealed.since = audit_id


class _Writes:
    """How many write transactions this process has committed (every write goes through
    :func:`transaction`): the UI's report caches key on it, so a cached figure is never older than
    the last write. One process holds the file (DuckDB's lock), so no write can come from elsewhere."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def bump(self) -> None:
        with self._lock:
            self.count += 1


_writes = _Writes()


def data_version() -> int:
    """A number that changes after every committed write in this process (see :class:`_Writes`)."""
    return _writes.count


def database_file(conn: Connection) -> str:
    """The file ``conn`` reads (with :func:`data_version`, a cache key: one process may open several
    files in turn, as the tests do)."""
    return read_one(conn, "SELECT path FROM duckdb_databases() WHERE database_name = current_database()")[0] or ""


@contextlib.contextmanager
def transaction(conn: Connection) -> Iterator[Connection]:
    """One attempt at a transaction on a fresh cursor: commit on success, roll back on any error.

    A conflict raised here is re-raised as-is; use :func:`atomic` to retry it. After a commit that
    wrote audit rows, they are sealed (one more small transaction); a rollback seals nothing.
    """
    cur = conn.cursor()
    cur.execute("BEGIN TRANSACTION")
    outer = (_unsealed.cursor, _unsealed.rows)
    _unsealed.cursor, _unsealed.rows = cur, []
    _unsealed.depth += 1
    try:
        yield cur
        cur.execute("COMMIT")
        _writes.bump()
    except BaseException:
        _rollback_quietly(cur)  # and what this transaction wrote is gone: nothing to seal
        raise
    finally:
        mine = _unsealed.rows
        _unsealed.cursor, _unsealed.rows = outer
        _unsealed.depth -= 1
        cur.close()
    since = None
    if not _unsealed.depth:
        since, _unsealed.since = _unsealed.since, None
    if mine or since is not None:
        _seal_committed(conn, mine, since)


def _seal_committed(conn: Connection, rows: list, since: int | None) -> None:
    # The write has committed: a failure to seal must not undo it, nor make atomic() run it again.
    # The rows stay noted for this thread's next commit (and catch_up() on the next start).
    try:
        from db import audit_chain

        audit_chain.seal(conn, rows=rows, since=since)
    except Exception:
        log.exception("could not seal the audit trail")
        ids = [row[names.index("id")] for names, row in rows] + ([since] if since is not None else [])
        _unsealed.since = min(ids + ([_unsealed.since] if _unsealed.since is not None else []))


def atomic(conn: Connection, fn: Callable[[Connection], T], *, attempts: int = MAX_ATTEMPTS,
           audit_refusal: bool = True) -> T:
    """Run ``fn(cursor)`` inside :func:`transaction`, retrying DuckDB write conflicts.

    ``fn`` must be safe to run again from the start (it is: everything it did was rolled back).
    After ``attempts`` conflicts in a row, raises :class:`clinic.errors.Busy`.

    A refusal (:class:`clinic.errors.NotAllowed` from :func:`db.actors.acting`) rolls back
    everything ``fn`` did, then writes its one audit row in a transaction of its own
    (:func:`db.actors.write_refusal`) and is raised again; ``audit_refusal=False`` only for a
    caller that writes the refusal's row itself (it is then no longer pending for anyone else).
    """
    for attempt in range(1, attempts + 1):
        try:
            with transaction(conn) as cur:
                return fn(cur)
        except NotAllowed as refused:
            if audit_refusal:
                from db import actors  # it imports this module

                actors.write_refusal(conn, refused)
            refused.audit_pending = False  # written now, or by the caller: never twice
            raise
        except duckdb.Error as exc:
            if is_disk_full(exc):
                # Rolled back: the database is as it was, and reads go on working.
                log.error("a write failed, the disk is full: %s", exc)
                raise DiskFull() from exc
            if not is_conflict(exc):
                log.error("a write failed: %s", exc)
                raise
            log.debug("write conflict, attempt %d of %d: %s", attempt, attempts, exc)
            # Jittered, growing back-off so that the losers of a race do not collide again in
            # lockstep (under 2 s in all at worst).
            time.sleep(random.uniform(0, min(0.1, 0.001 * 2**attempt)))
    raise Busy()


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_ .\-]{0,127}$")


def identifier(name: str) -> str:
    """``name`` (a table or database name read from DuckDB's own catalog) double-quoted for SQL,
    where DuckDB takes no parameter (``COPY FROM DATABASE``). Anything but letters, digits and
    ``_ .-`` is refused, so no quote or statement can ride in."""
    if not _IDENTIFIER.match(name or ""):
        raise ValueError(f"not a plain name: {name!r}")
    return f'"{name}"'


def read(conn: Connection, sql: str, params: list | dict | None = None) -> list[tuple]:
    """Run a read-only query on a fresh cursor and return all rows."""
    cur = conn.cursor()
    try:
        return cur.execute(sql, params or []).fetchall()
    finally:
        cur.close()


def read_df(conn: Connection, sql: str, params: list | dict | None = None):
    """Run a read-only query on a fresh cursor and return a pandas DataFrame (for display).

    DuckDB's ``.df()`` turns DECIMAL into float: do money arithmetic in SQL, not on the frame.
    """
    cur = conn.cursor()
    try:
        return cur.execute(sql, params or []).df()
    finally:
        cur.close()


def read_one(conn: Connection, sql: str, params: list | dict | None = None) -> tuple | None:
    cur = conn.cursor()
    try:
        return cur.execute(sql, params or []).fetchone()
    finally:
        cur.close()


def run_with_frame(cur: Connection, view: str, frame, sql: str) -> None:
    """Run ``sql`` with a pandas DataFrame visible to it as ``view`` (bulk inserts and updates).

    The view is unregistered afterwards; in an aborted transaction unregister() raises too, and
    that must not hide the original error.
    """
    cur.register(view, frame)
    try:
        cur.execute(sql)
    finally:
        with contextlib.suppress(duckdb.Error):
            cur.unregister(view)
