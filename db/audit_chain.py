"""The audit trail's tamper evidence: a keyed hash chain over ``audit_log``, anchored by a head file.

Each audit row is *sealed* by one ``audit_chain`` row (migration 014): ``mac`` is an HMAC-SHA256,
keyed by the audit key in ``secrets.toml`` (:func:`clinic.app_secrets.audit_key`, never in the
database), over every column of the audit row, the previous seal's mac, the seal's number
``seq`` and ``sealed_at``. Without the key nobody can edit, delete, insert or move a row and
make the seals match again; :func:`verify` names every row that does not.

A chain alone cannot see rows cut from its end, so each seal also rewrites the head file
``<database file>.audit-head`` (rows, last seq, last audit id and last mac, signed with the same
key). It travels with the database: a copy or backup with its head file beside it still verifies.

When rows are sealed:

* right after the transaction that wrote them commits (:func:`db.transaction` calls :func:`seal`
  with the rows :func:`db.audit.record` wrote on its cursor; a rollback seals nothing). Seals are
  taken under one lock per database file, so concurrent writers end up in one chain, in the order
  their seals were taken (not always id order: verify follows ``seq``). Usually one INSERT after
  the tip this process last saw; if the chain moved, the unsealed rows are looked up again;
* when a file is opened (:func:`catch_up`, called by :func:`db.connect`): rows written by an
  older version or left unsealed by a stop between commit and seal are sealed late, and one
  ``audit.seal_late`` row says how many; a trail that predates the chain gets
  ``audit.chain_started``. Rows that :func:`_not_late` says were put there afterwards are NOT
  sealed late: they look inserted, and stay reported until someone looks into them.

Which unsealed rows are late and which are inserted is judged by time, not by id. Ids are drawn
when a row is inserted but seals are taken in commit order: writer A inserts row 100, writer B
inserts row 101, commits and seals it, then A commits. A backup or a stop before A's seal holds
row 100 unsealed below the sealed row 101, and nothing is wrong with it. What no honest row can
be is dated well before the last seal (it would have been sealed long ago), or dated well after a
row with a higher id was sealed (its id was drawn before that row's, so it was written before that
seal): either means it was put there afterwards. Both allow :data:`LATE_SLACK` for clocks and
overlapping transactions, so a gap can only be filled unnoticed near the end of the trail, by a
row dated as if it were just written, exactly like a row appended at the end (and sealing it late
leaves an ``audit.seal_late`` row naming it).

The head file is never overwritten when it disagrees with the chain (or is missing while the
chain has rows): that disagreement is the evidence. :func:`reanchor` (``manage.py verify-audit
--reanchor``) starts a new head after a person has looked, with an audit row saying what was found.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import hmac
import json
import logging
import os
import threading
import weakref
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb

from clinic.app_secrets import audit_key
from db import Connection

log = logging.getLogger(__name__)

KINDS = ("changed", "deleted", "inserted", "reordered", "tail_cut", "head_missing", "head_forged", "unsealed")
HEAD_SUFFIX = ".audit-head"
SYSTEM = "system"  # the audit rows the chain writes about itself
CHAIN_STARTED = "audit.chain_started"
SEAL_LATE = "audit.seal_late"
REANCHORED = "audit.reanchor"

# audit_log's columns in the order they are sealed. A column added later is sealed after these,
# by name, and only where it holds a value: rows sealed before it existed still match.
COLUMNS = ("id", "occurred_at", "user_id", "username", "role", "action", "entity", "entity_id", "patient_id",
           "category", "outcome", "detail")
# A row missing from the chain and dated this long before the last seal, or this long after a row
# with a higher id was sealed, was not merely sealed late (clocks drift, transactions overlap): it
# was put there afterwards (see :func:`_not_late`).
LATE_SLACK = timedelta(minutes=5)
# Looking for where a mismatched row's content went costs rows x ids HMACs per row: only for few.
MAX_DIAGNOSED = 24

_MAC_DOMAIN = "clinicdesk-audit/1"
_HEAD_DOMAIN = "clinicdesk-audit-head/1"

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()
_files: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# (last_seq, last_mac) of the head this process last wrote per head file: when the chain's tip
# still equals it, the file need not be read back before the next write.
_written: dict[Path, tuple[int, str]] = {}
# The chain's last seal per database file as this process last saw it (under the file's lock). A
# seal made from it is inserted only if the chain still ends there; otherwise it is read again.
_tips: dict[Path, "_Entry | None"] = {}

_SELECT_TIP = ("SELECT seq, audit_id, mac, sealed_at FROM audit_chain"
               " WHERE seq = (SELECT max(seq) FROM audit_chain)")
_SELECT_AT = "SELECT seq, audit_id, mac, sealed_at FROM audit_chain WHERE seq = ?"
_SELECT_SINCE = ("SELECT * FROM audit_log WHERE id >= $since"
                 " AND id NOT IN (SELECT audit_id FROM audit_chain WHERE audit_id >= $since) ORDER BY id")
_SELECT_UNSEALED = "SELECT * FROM audit_log WHERE id NOT IN (SELECT audit_id FROM audit_chain) ORDER BY id"
_SELECT_ALL = "SELECT * FROM audit_log ORDER BY id"
_SELECT_ONE = "SELECT * FROM audit_log WHERE id = ?"
# The unsealed rows catch_up() seals late: the same rule as _not_late(), which verify() applies.
# Only rows dated near the last seal can qualify, and only seals from the lowest of their ids on
# are compared with them: the whole chain is never hashed (2M rows: about as fast as id > max).
_SELECT_LATE = ("WITH recent AS MATERIALIZED (SELECT * FROM audit_log"
                "   WHERE occurred_at >= (SELECT max(sealed_at) FROM audit_chain) - $slack),"
                " above AS MATERIALIZED (SELECT audit_id, sealed_at FROM audit_chain"
                "   WHERE audit_id >= (SELECT min(id) FROM recent))"
                " SELECT * FROM recent a WHERE a.id NOT IN (SELECT audit_id FROM above)"
                " AND NOT EXISTS (SELECT 1 FROM above c"
                "   WHERE c.audit_id > a.id AND c.sealed_at < a.occurred_at - $slack)"
                " ORDER BY a.id")
_SELECT_CHAIN = "SELECT seq, audit_id, mac, sealed_at FROM audit_chain ORDER BY seq"
# One row (the usual case) is much cheaper as VALUES than through list parameters.
_INSERT_ONE = "INSERT INTO audit_chain (seq, audit_id, mac, sealed_at) VALUES (?, ?, ?, ?)"
_INSERT_MANY = ("INSERT INTO audit_chain (seq, audit_id, mac, sealed_at)"
                " SELECT unnest($seqs), unnest($ids), unnest($macs), $sealed_at")


@dataclass(frozen=True)
class ChainProblem:
    audit_id: int | None
    kind: str
    message: str


@dataclass
class ChainReport:
    ok: bool
    rows_checked: int
    problems: list[ChainProblem] = field(default_factory=list)

    def summary(self) -> str:
        if self.ok:
            return f"Audit trail intact: {self.rows_checked} rows checked"
        n = len(self.problems)
        return f"Audit trail broken: {n} problem{'s' if n != 1 else ''} found in {self.rows_checked} rows checked"


@dataclass(frozen=True)
class _Entry:
    seq: int
    audit_id: int
    mac: str
    sealed_at: datetime


@dataclass(frozen=True)
class Head:
    rows: int
    last_seq: int
    last_audit_id: int
    last_mac: str
    sealed_at: str


# --- the seal --------------------------------------------------------------------------------


def _canonical(value: Any) -> Any:
    """A JSON value that tells apart what the database tells apart (None and "", 1 and "1")."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return {"t": value.astimezone(timezone.utc).isoformat(timespec="microseconds")}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    return {type(value).__name__: str(value)}


def _fields(names: tuple[str, ...], row: tuple, audit_id: int | None = None) -> list:
    """The row in sealing order; ``audit_id`` replaces its id (to test where a row's content went)."""
    values = dict(zip(names, row))
    if audit_id is not None:
        values["id"] = audit_id
    out: list = [_canonical(values.get(name)) for name in COLUMNS]
    out += [[name, _canonical(values[name])] for name in sorted(set(names) - set(COLUMNS)) if values[name] is not None]
    return out


def _mac(key: bytes, seq: int, prev: str, sealed_at: datetime, fields: list) -> str:
    text = json.dumps([_MAC_DOMAIN, seq, prev, _canonical(sealed_at), fields], ensure_ascii=False,
                      separators=(",", ":"))
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def _lock_for(file: Path | None) -> threading.Lock:
    name = str(file) if file else ":memory:"
    with _locks_guard:
        return _locks.setdefault(name, threading.Lock())


def _db_file(conn: Connection) -> Path | None:
    try:
        return _files[conn]
    except (KeyError, TypeError):
        pass
    cur = conn.cursor()
    try:
        (path,) = cur.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    finally:
        cur.close()
    file = Path(path).resolve() if path and not str(path).startswith(":memory:") else None
    with contextlib.suppress(TypeError):
        _files[conn] = file
    return file


def head_path_for(conn: Connection) -> Path | None:
    """``<database file>.audit-head`` beside the database; None for an in-memory database."""
    file = _db_file(conn)
    return file.with_name(file.name + HEAD_SUFFIX) if file else None


def _tip(cur: Connection) -> _Entry | None:
    row = cur.execute(_SELECT_TIP).fetchone()
    return _Entry(*row) if row else None


def _append(cur: Connection, key: bytes, names: tuple[str, ...] | None, rows: list, tip: _Entry | None) -> _Entry | None:
    """Seal ``rows`` (in the order given) after ``tip``; returns the new tip (``tip`` if none).

    ``rows`` are tuples in ``names`` order, or (names, row) pairs when ``names`` is None. When
    the chain has grown past ``tip`` meanwhile, the primary key on seq refuses the insert.
    """
    if not rows:
        return tip
    seq, prev = (tip.seq, tip.mac) if tip else (0, "")
    sealed_at = datetime.now(timezone.utc)
    seqs, ids, macs = [], [], []
    for item in rows:
        row_names, row = (names, item) if names is not None else item
        seq += 1
        prev = _mac(key, seq, prev, sealed_at, _fields(row_names, row))
        seqs.append(seq)
        ids.append(row[row_names.index("id")])
        macs.append(prev)
    if len(rows) == 1:
        cur.execute(_INSERT_ONE, [seqs[0], ids[0], macs[0], sealed_at])
    else:
        cur.execute(_INSERT_MANY, {"seqs": seqs, "ids": ids, "macs": macs, "sealed_at": sealed_at})
    return _Entry(seq, ids[-1], prev, sealed_at)


def _names(cur: Connection) -> tuple[str, ...]:
    return tuple(d[0] for d in cur.description)


def seal(conn: Connection, *, rows: list | None = None, since: int | None = None) -> int:
    """Seal committed audit rows not sealed yet, in one transaction, then rewrite the head file.
    Returns how many rows were sealed.

    ``rows``: the (names, row) pairs a transaction just committed (``db.transaction`` passes them);
    ``since``: every unsealed row from this id on. With neither: every unsealed row, in id order.
    Rows below ``since`` that are not sealed are not this writer's (see :func:`catch_up`).
    """
    key = audit_key()
    file = _db_file(conn)
    everything = rows is None and since is None
    with _lock_for(file):
        done = 0
        if rows:
            if file is not None and file in _tips:
                try:
                    done += _seal_known(conn, key, file, rows)
                    rows = None
                except duckdb.Error:  # the chain grew meanwhile, or a row was sealed already
                    _tips.pop(file, None)
            if rows:
                first = min(row[names.index("id")] for names, row in rows)
                since = first if since is None else min(since, first)
        if since is None and not everything:
            return done

        def unsealed(cur: Connection):
            found = (cur.execute(_SELECT_UNSEALED).fetchall() if since is None
                     else cur.execute(_SELECT_SINCE, {"since": since}).fetchall())
            names = _names(cur)
            return names, found, _tip(cur) if found else None

        return done + _seal_once(conn, key, file, unsealed)


def _seal_known(conn: Connection, key: bytes, file: Path, rows: list) -> int:
    """Seal rows just committed after the tip this process last saw: one INSERT statement
    (atomic on its own, so no BEGIN and COMMIT around it)."""
    tip = _tips[file]
    cur = conn.cursor()
    try:
        head_ok = _head_may_move(cur, key, file, tip)
        new_tip = _append(cur, key, None, rows, tip)
    finally:
        cur.close()
    _tips[file] = new_tip
    if head_ok:
        _write_head(key, file, new_tip)
    return len(rows)


def _seal_once(conn: Connection, key: bytes, file: Path | None, find) -> int:
    """One sealing transaction: ``find(cur)`` gives (names, rows, tip); then the head file."""
    cur = conn.cursor()
    try:
        cur.execute("BEGIN TRANSACTION")
        names, rows, tip = find(cur)
        if not rows:
            cur.execute("ROLLBACK")
            return 0
        head_ok = _head_may_move(cur, key, file, tip)
        new_tip = _append(cur, key, names, rows, tip)
        cur.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            cur.execute("ROLLBACK")
        raise
    finally:
        cur.close()
    if file is not None:
        _tips[file] = new_tip
    if head_ok:
        _write_head(key, file, new_tip)
    return len(rows)


def catch_up(conn: Connection) -> int:
    """On opening a database file: seal the rows written after the last seal and say so in the
    trail (``audit.seal_late``, or ``audit.chain_started`` for a trail that predates the chain),
    and bring a head file that lags behind the chain up to date. Returns how many rows it sealed.
    """
    from db import audit  # audit imports db, which imports this module lazily

    key = audit_key()
    file = _db_file(conn)
    head = _head_file(file)
    with _lock_for(file):
        if head:
            _written.pop(head, None)  # read both back: they may have been changed while closed
            _tips.pop(file, None)
        cur = conn.cursor()
        try:
            cur.execute("BEGIN TRANSACTION")
            tip = _tip(cur)
            if tip is None:
                if head and head.exists():
                    # A head file without a chain: the chain was emptied. Not a new trail.
                    cur.execute("ROLLBACK")
                    return 0
                rows = cur.execute(_SELECT_ALL).fetchall()
                action, detail = CHAIN_STARTED, {"rows": len(rows)}
            else:
                rows = cur.execute(_SELECT_LATE, {"slack": LATE_SLACK}).fetchall()
                action, detail = SEAL_LATE, {"rows": len(rows)}
            names = _names(cur)
            head_ok = _head_may_move(cur, key, file, tip)
            if rows:
                detail.update(first_id=rows[0][names.index("id")], last_id=rows[-1][names.index("id")])
                own = audit.write_row(cur, SYSTEM, action, "audit_log", detail=detail)
                rows.append(cur.execute(_SELECT_ONE, [own]).fetchone())
                names = _names(cur)
            new_tip = _append(cur, key, names, rows, tip)
            cur.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                cur.execute("ROLLBACK")
            raise
        finally:
            cur.close()
        if file is not None:
            _tips[file] = new_tip
        if rows:
            log.warning("%s: sealed %d audit rows late (%s)", file, len(rows) - 1, action)
        if head_ok and new_tip is not None and _written.get(head) != (new_tip.seq, new_tip.mac):
            _write_head(key, file, new_tip)
        elif not head_ok and new_tip is not None:
            log.warning("%s: the audit head file disagrees with the trail and was left as it is; "
                        "run `python manage.py verify-audit --db %s`", file, file)
        return max(len(rows) - 1, 0)


def reanchor(conn: Connection, *, by: str) -> ChainReport:
    """After a person has looked into what :func:`verify` reports: record it in the trail
    (``audit.reanchor``, sealed) and start a new head file from the chain as it is now.

    Changed, deleted, inserted or moved rows stay reported; a cut tail or a missing or forged head
    file is no longer visible except through this row. Returns the report it recorded.
    """
    from db import audit

    report = verify(conn)
    key = audit_key(create=False)
    file = _db_file(conn)
    detail = {"problems": len(report.problems),
              "found": [{"kind": p.kind, "audit_id": p.audit_id} for p in report.problems[:50]]}
    with _lock_for(file):
        cur = conn.cursor()
        try:
            cur.execute("BEGIN TRANSACTION")
            tip = _tip(cur)
            own = audit.write_row(cur, by, REANCHORED, "audit_log", detail=detail)
            new_tip = _append(cur, key, *_row_with_names(cur, own), tip)
            cur.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                cur.execute("ROLLBACK")
            raise
        finally:
            cur.close()
        if file is not None:
            _tips[file] = new_tip
        _write_head(key, file, new_tip)
    return report


def _row_with_names(cur: Connection, audit_id: int) -> tuple[tuple[str, ...], list[tuple]]:
    row = cur.execute(_SELECT_ONE, [audit_id]).fetchone()
    return _names(cur), [row]


# --- the head file ---------------------------------------------------------------------------


def _head_file(file: Path | None) -> Path | None:
    return file.with_name(file.name + HEAD_SUFFIX) if file else None


def _sign(key: bytes, head: Head) -> str:
    text = json.dumps([_HEAD_DOMAIN, head.rows, head.last_seq, head.last_audit_id, head.last_mac, head.sealed_at],
                      separators=(",", ":"))
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def _read_head(path: Path, key: bytes) -> tuple[str, Head | None]:
    """("ok", head), ("missing", None) or ("forged", None) when unreadable or wrongly signed."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        head = Head(int(data["rows"]), int(data["last_seq"]), int(data["last_audit_id"]), str(data["last_mac"]),
                    str(data["sealed_at"]))
        signature = str(data["signature"])
    except FileNotFoundError:
        return "missing", None
    except (OSError, ValueError, KeyError, TypeError):
        return "forged", None
    if not hmac.compare_digest(signature, _sign(key, head)) or head.rows != head.last_seq:
        return "forged", None
    return "ok", head


def _head_agrees(cur: Connection, head: Head) -> bool:
    at = cur.execute(_SELECT_AT, [head.last_seq]).fetchone()
    return bool(at) and at[1] == head.last_audit_id and hmac.compare_digest(at[2], head.last_mac)


def _head_may_move(cur: Connection, key: bytes, file: Path | None, tip: _Entry | None) -> bool:
    """Whether the head file may be rewritten: it agrees with the chain (or there is no chain yet
    and no head). Never when it is missing beside a chain, forged, or ahead of the chain."""
    path = _head_file(file)
    if path is None:
        return False
    if tip is not None and _written.get(path) == (tip.seq, tip.mac):
        return True
    status, head = _read_head(path, key)
    if status == "missing":
        return tip is None
    if status == "ok" and _head_agrees(cur, head):
        _written[path] = (head.last_seq, head.last_mac)
        return True
    return False


def _head_json(key: bytes, tip: _Entry) -> str:
    head = Head(tip.seq, tip.seq, tip.audit_id, tip.mac, _canonical(tip.sealed_at)["t"])
    data = {"format": _HEAD_DOMAIN, "rows": head.rows, "last_seq": head.last_seq,
            "last_audit_id": head.last_audit_id, "last_mac": head.last_mac, "sealed_at": head.sealed_at,
            "signature": _sign(key, head)}
    return json.dumps(data, indent=1) + "\n"


def head_text(conn: Connection) -> str | None:
    """The head file's text for this database's chain as it is (a backup's own head, taken from
    the snapshot itself); None when nothing is sealed yet."""
    cur = conn.cursor()
    try:
        tip = _tip(cur)
    finally:
        cur.close()
    return _head_json(audit_key(), tip) if tip is not None else None


def _write_head(key: bytes, file: Path | None, tip: _Entry | None) -> None:
    path = _head_file(file)
    if path is None or tip is None:
        return
    text = _head_json(key, tip)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, text.encode("utf-8"))
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _written[path] = (tip.seq, tip.mac)


# --- checking --------------------------------------------------------------------------------


def _when(value: datetime | None) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if isinstance(value, datetime) else "?"


def _not_late(occurred: Any, last_seal: datetime | None, passed: _Entry | None) -> str | None:
    """Why an unsealed row cannot be an honest row that was only sealed late (None: it can be), in
    words that finish "... although it ...". :data:`_SELECT_LATE` (what :func:`catch_up` seals)
    is the same rule in SQL.

    ``last_seal``: the chain's latest ``sealed_at``; ``passed``: of the seals of rows with a
    higher id, the one taken first (None: the row is above every sealed one). A row's id comes
    from a sequence when it is inserted and its ``occurred_at`` is its transaction's start, so an
    honest row is dated before every seal of a higher id; and it is sealed right after its commit,
    so it is not dated long before the last seal. Its id alone says nothing: a row committed while
    a later writer's row was being sealed sits below that row until its own seal, and a backup or
    a stop taken in between keeps it there.
    """
    if last_seal is None:
        return None  # no chain yet: every row is sealed when it starts
    if not isinstance(occurred, datetime):
        return "has no time of its own"
    if occurred < last_seal - LATE_SLACK:
        return f"is dated before the last seal ({_when(last_seal)})"
    if passed is not None and occurred > passed.sealed_at + LATE_SLACK:
        return (f"is dated after row {passed.audit_id}, which comes after it, was sealed "
                f"({_when(passed.sealed_at)})")
    return None


def verify(conn: Connection, head_path: Path | None = None) -> ChainReport:
    """Check every audit row against its seal and the chain against the head file. Seals nothing.

    ``head_path`` defaults to :func:`head_path_for` (none for an in-memory database: no head
    check). Every problem names the row it is about, in words a manager can read.
    """
    key = audit_key(create=False)
    file = _db_file(conn)
    head_path = head_path or _head_file(file)
    with _lock_for(file):
        cur = conn.cursor()
        try:
            cur.execute("BEGIN TRANSACTION")
            rows = cur.execute(_SELECT_ALL).fetchall()
            names = _names(cur)
            chain = [_Entry(*r) for r in cur.execute(_SELECT_CHAIN).fetchall()]
            cur.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                cur.execute("ROLLBACK")
            raise
        finally:
            cur.close()
        head_status, head = _read_head(head_path, key) if head_path else ("none", None)
    return _Check(key, names, rows, chain, head_path, head_status, head).run()


class _Check:
    """One verification: walks the chain in seal order, then explains what does not match."""

    def __init__(self, key, names, rows, chain, head_path, head_status, head):
        self.key, self.names, self.chain = key, names, chain
        self.head_path, self.head_status, self.head = head_path, head_status, head
        self.id_at = names.index("id")
        self.rows = {r[self.id_at]: r for r in rows}
        self.problems: list[ChainProblem] = []

    def add(self, audit_id: int | None, kind: str, message: str) -> None:
        self.problems.append(ChainProblem(audit_id, kind, message))

    def opening(self, audit_id: int) -> str:
        """:meth:`about` at the start of a sentence."""
        text = self.about(audit_id)
        return text[:1].upper() + text[1:]

    def about(self, audit_id: int) -> str:
        row = self.rows.get(audit_id)
        if row is None:
            return f"row {audit_id}"
        v = dict(zip(self.names, row))
        who = v.get("username") or "nobody named"
        return f"row {audit_id} ({v.get('action')} by {who}, {_when(v.get('occurred_at'))})"

    def run(self) -> ChainReport:
        sealed = {e.audit_id for e in self.chain}
        bad = self.walk()
        unsealed = [i for i in self.rows if i not in sealed]
        moved = self.diagnose(bad, unsealed)
        self.check_head(unsealed, moved)
        self.classify_unsealed([i for i in unsealed if i not in moved])
        order = {k: n for n, k in enumerate(KINDS)}
        self.problems.sort(key=lambda p: (p.kind not in ("head_missing", "head_forged", "tail_cut"),
                                          p.audit_id is None, p.audit_id or 0, order[p.kind]))
        return ChainReport(not self.problems, len(self.rows), self.problems)

    def walk(self) -> list[tuple[_Entry, str]]:
        """Check each seal against its row and the previous seal; returns the mismatches with
        the previous mac they were checked against."""
        bad: list[tuple[_Entry, str]] = []
        # ``expected_mac``: what the previous seal should hold when its row is intact. When only
        # the stored seal was edited, the next row still chains from the true one.
        prev, expected, before, expected_mac = "", 1, None, None
        for entry in self.chain:
            if entry.seq != expected:
                self.gap(before, entry, entry.seq - expected)
                prev, expected, before, expected_mac = entry.mac, entry.seq + 1, entry, None
                continue
            row = self.rows.get(entry.audit_id)
            computed = None
            if row is not None:
                fields = _fields(self.names, row)
                computed = _mac(self.key, entry.seq, prev, entry.sealed_at, fields)
                if not hmac.compare_digest(computed, entry.mac) and expected_mac is not None:
                    computed = _mac(self.key, entry.seq, expected_mac, entry.sealed_at, fields)
            if computed is None or not hmac.compare_digest(computed, entry.mac):
                bad.append((entry, prev))
                expected_mac = computed
            else:
                expected_mac = None
            prev, expected, before = entry.mac, entry.seq + 1, entry
        return bad

    def gap(self, before: _Entry | None, after: _Entry, gone: int) -> None:
        """Seals missing from the middle of the chain: their rows went with them. The ids are
        named when exactly that many ids between the neighbours are nowhere to be found."""
        low = before.audit_id if before else 0
        sealed = {e.audit_id for e in self.chain}
        missing = ([i for i in range(low + 1, after.audit_id) if i not in sealed and i not in self.rows]
                   if 0 < after.audit_id - low <= 10_000 else [])
        tail = f"just before {self.about(after.audit_id)}, which therefore cannot be checked either"
        if len(missing) == gone:
            for audit_id in missing:
                self.add(audit_id, "deleted", f"Row {audit_id} has been deleted from the trail together with its "
                                              f"seal, {tail}.")
            return
        self.add(None, "deleted",
                 f"{gone} sealed row{'s are' if gone > 1 else ' is'} gone together with their seal{'s' if gone > 1 else ''} "
                 f"(seal number{'s' if gone > 1 else ''} {after.seq - gone}{f' to {after.seq - 1}' if gone > 1 else ''}), "
                 f"{tail}.")

    def diagnose(self, bad: list[tuple[_Entry, str]], unsealed: list[int]) -> set[int]:
        """Report each mismatch; when a mismatched seal matches another row's content under its
        id, the rows were moved (swapped). Returns the unsealed ids explained that way."""
        candidates = [e.audit_id for e, _ in bad if e.audit_id in self.rows] + unsealed
        ids = {e.audit_id for e, _ in bad} | set(candidates)
        explained: set[int] = set()
        beyond_head = self.head.last_seq if self.head_status == "ok" else None
        for n, (entry, prev) in enumerate(bad):
            found = None
            if n < MAX_DIAGNOSED and len(candidates) <= 4 * MAX_DIAGNOSED:
                found = next(((r, x) for r in candidates for x in ids
                              if (r, x) != (entry.audit_id, entry.audit_id)
                              and hmac.compare_digest(_mac(self.key, entry.seq, prev, entry.sealed_at,
                                                           _fields(self.names, self.rows[r], x)), entry.mac)), None)
            if found:
                now_at, sealed_as = found
                if now_at in unsealed:
                    explained.add(now_at)
                self.add(sealed_as, "reordered",
                         f"Row {sealed_as} has been moved: what was sealed as row {sealed_as} is now "
                         f"{'row ' + str(now_at) if now_at != sealed_as else 'under another seal'}"
                         f" (rows swapped or renumbered).")
            elif entry.audit_id not in self.rows:
                self.add(entry.audit_id, "deleted",
                         f"Row {entry.audit_id} (sealed {_when(entry.sealed_at)}) has been deleted from the trail.")
            elif beyond_head is not None and entry.seq > beyond_head:
                self.add(entry.audit_id, "inserted",
                         f"{self.opening(entry.audit_id)} was added after the last seal the head file "
                         "records, with a seal ClinicDesk did not make.")
            else:
                self.add(entry.audit_id, "changed",
                         f"{self.opening(entry.audit_id)} has been changed since it was sealed "
                         f"on {_when(entry.sealed_at)} (the row or its seal was edited).")
        return explained

    def check_head(self, unsealed: list[int], moved: set[int]) -> None:
        if self.head_path is None or (not self.chain and self.head_status == "missing"):
            return
        name = self.head_path.name
        if self.head_status == "missing":
            self.add(None, "head_missing",
                     f"The head file {name} is missing from beside the database, so rows cut from the end of "
                     "the trail would go unnoticed. Put back the one that came with this database (every copy "
                     "and backup needs it).")
            return
        if self.head_status == "forged":
            self.add(None, "head_forged",
                     f"The head file {name} was not written by ClinicDesk with this key (edited, replaced or "
                     "damaged), so rows cut from the end of the trail would go unnoticed.")
            return
        head = self.head
        at = next((e for e in self.chain if e.seq == head.last_seq), None)
        if at and at.audit_id == head.last_audit_id and hmac.compare_digest(at.mac, head.last_mac):
            return  # the chain may have grown past the head (a stop between a seal and its head)
        last = self.chain[-1] if self.chain else None
        ends = f"ends with row {last.audit_id} ({len(self.chain)} sealed rows)" if last else "has no sealed rows"
        if last is None or last.seq < head.last_seq:
            gone = head.last_seq - (last.seq if last else 0)
            message = (f"The end of the trail has been cut off: the head file records {head.rows} sealed rows ending "
                       f"with row {head.last_audit_id} (sealed {head.sealed_at[:16].replace('T', ' ')} UTC), but the "
                       f"trail now {ends}: the last {gone} sealed row{'s are' if gone > 1 else ' is'} gone or unsealed.")
        else:
            message = (f"The trail was cut back and written again: the head file records row {head.last_audit_id} as "
                       f"sealed row number {head.last_seq}, but that place now holds row {at.audit_id if at else '?'}; "
                       f"the trail {ends}.")
        self.add(head.last_audit_id, "tail_cut", message)
        kept = max((e.audit_id for e in self.chain if e.seq <= head.last_seq), default=0)
        for audit_id in unsealed:
            if kept < audit_id <= head.last_audit_id and audit_id not in moved:
                moved.add(audit_id)
                if audit_id == head.last_audit_id:
                    continue  # the message above is about this row
                self.add(audit_id, "tail_cut",
                         f"{self.opening(audit_id)} is still there but its seal was cut off with the end of the trail.")

    def classify_unsealed(self, unsealed: list[int]) -> None:
        """Each unsealed row is either late (``unsealed``: :func:`catch_up` seals it) or put there
        afterwards (``inserted``), by :func:`_not_late`."""
        if not unsealed:
            return
        last_seal = max((e.sealed_at for e in self.chain), default=None)
        # by_id[i:] are the seals of the rows above by_id[i]'s id; first[i] the earliest of them.
        by_id = sorted(self.chain, key=lambda e: e.audit_id)
        ids = [e.audit_id for e in by_id]
        first: list[_Entry] = by_id[:]
        for i in range(len(first) - 2, -1, -1):
            if first[i + 1].sealed_at < first[i].sealed_at:
                first[i] = first[i + 1]
        for audit_id in unsealed:
            occurred = dict(zip(self.names, self.rows[audit_id])).get("occurred_at")
            above = bisect.bisect_right(ids, audit_id)
            why = _not_late(occurred, last_seal, first[above] if above < len(first) else None)
            if why:
                self.add(audit_id, "inserted",
                         f"{self.opening(audit_id)} is not in the sealed trail although it {why}: "
                         "it was added afterwards.")
            else:
                self.add(audit_id, "unsealed",
                         f"{self.opening(audit_id)} was written but not sealed yet (by an older version, or the app "
                         "stopped or a backup was taken between its commit and its seal); opening the database in "
                         "ClinicDesk seals it.")
