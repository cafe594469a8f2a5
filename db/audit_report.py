"""The audit report: reading the audit trail (filter, sort, page, CSV), "who looked at this
patient" (the accounting of disclosures), and the audit rows that reading and exporting leave.

What matters here:

* Reading the trail is itself audited. :func:`search`, :func:`to_csv` and :func:`who_looked` only
  read; the screen that shows their answer calls :func:`record_read` (action ``audit.read``) or
  :func:`record_export` (``audit.export``) through the normal write path: ``db.atomic``, the
  account re-read by ``db.actors.acting``, the row written by ``db.audit.record`` on the same
  cursor. A role that may not is refused, and the refusal leaves a row with outcome "refused".
* Every download and print elsewhere in the app leaves an ``export.<what>`` row through
  :func:`record_download` (the button's on_click).
* Filters are parameters, never text in the SQL. The sort order is picked from :data:`SORTS`, a
  fixed list: each key has its own complete query, built once when the module loads.
* Times are UTC instants here; the screens and the CSV show them in the clinic's zone too.
* A patient filter also finds the rows of records merged into that patient (their rows keep the
  duplicate's id).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any, Final

from clinic import timeutil
from clinic.audit_terms import CATEGORIES, OUTCOMES
from clinic.errors import NotAllowed, ValidationError
from db import Connection, atomic, audit, read, read_one, settings
from db.actors import Actor, acting

READ = "audit.read"  # action and permission: reading the trail
EXPORT = "audit.export"  # action and permission: the trail as CSV
CHECK = "audit.verify"  # action of a tamper check (permission: audit.read)

PER_PAGE: Final = 50
MAX_PER_PAGE: Final = 1000
_CHUNK: Final = 2000  # rows fetched at a time while writing the CSV

# sort key -> ORDER BY clause. The only way a sort reaches the SQL.
SORTS: Final[dict[str, str]] = {
    "newest": "a.occurred_at DESC, a.id DESC",
    "oldest": "a.occurred_at ASC, a.id ASC",
    "user": "a.username ASC NULLS LAST, a.occurred_at DESC, a.id DESC",
    "action": "a.action ASC, a.occurred_at DESC, a.id DESC",
    "category": "a.category ASC NULLS LAST, a.occurred_at DESC, a.id DESC",
    "outcome": "a.outcome ASC NULLS LAST, a.occurred_at DESC, a.id DESC",
    "patient": "p.last_name ASC NULLS LAST, p.first_name ASC NULLS LAST, a.patient_id ASC NULLS LAST,"
               " a.occurred_at DESC, a.id DESC",
}
DEFAULT_SORT: Final = "newest"

_SELECT = (
    "SELECT a.id, a.occurred_at, a.username, u.full_name, a.role, a.action, a.category, a.outcome, a.entity,"
    " a.entity_id, a.patient_id, p.mrn, CASE WHEN p.id IS NULL THEN NULL ELSE p.last_name || ', ' || p.first_name END,"
    " a.detail"
    " FROM audit_log a LEFT JOIN users u ON u.id = a.user_id LEFT JOIN patients p ON p.id = a.patient_id"
)
_PATIENT_MATCH = ("(a.patient_id = $patient OR a.patient_id IN (SELECT m.id FROM patients m"
                  " WHERE m.merged_into = $patient))")
_WHERE = (
    " WHERE ($since IS NULL OR a.occurred_at >= $since) AND ($until IS NULL OR a.occurred_at < $until)"
    " AND ($user IS NULL OR a.username = $user) AND ($action IS NULL OR a.action = $action)"
    " AND ($category IS NULL OR a.category = $category) AND ($outcome IS NULL OR a.outcome = $outcome)"
    " AND ($patient IS NULL OR " + _PATIENT_MATCH + ")"
)
_COUNT = "SELECT count(*) FROM audit_log a" + _WHERE
_PAGE_SQL: Final = {key: _SELECT + _WHERE + " ORDER BY " + order + " LIMIT $limit OFFSET $offset"
                    for key, order in SORTS.items()}
_ALL_SQL: Final = {key: _SELECT + _WHERE + " ORDER BY " + order for key, order in SORTS.items()}

# What counts as looking at a record: views, downloads, prints, reads and exports. The audit's
# own reads are not the record (they are in the report).
_LOOKED = (
    _SELECT + " WHERE " + _PATIENT_MATCH
    + " AND (a.action LIKE '%.view' OR a.action LIKE '%.download' OR a.action LIKE '%.print'"
    " OR a.action LIKE '%.read' OR a.action LIKE '%.export' OR a.action LIKE 'export.%')"
    " AND a.action NOT LIKE 'audit.%'"
    " ORDER BY a.occurred_at DESC, a.id DESC"
)

# An entity whose rows name their patient: a download of one says whose record left the building.
_PATIENT_OF: Final[dict[str, str]] = {
    "invoice": "SELECT patient_id FROM invoices WHERE id = TRY_CAST(? AS BIGINT)",
    "appointment": "SELECT patient_id FROM appointments WHERE id = TRY_CAST(? AS BIGINT)",
    "patient": "SELECT id FROM patients WHERE id = TRY_CAST(? AS BIGINT)",
}

CSV_HEADER: Final = ("id", "occurred_at_utc", "occurred_at_local", "username", "full_name", "role", "action",
                     "category", "outcome", "entity", "entity_id", "patient_id", "mrn", "patient", "detail")
# A spreadsheet runs a cell that starts with one of these as a formula; text typed by people (a
# name, a failed sign-in's username, a query) is prefixed with ' in the CSV so it stays text.
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AuditRow:
    """One row of the trail as the report shows it (``occurred_at`` in UTC)."""

    id: int
    occurred_at: datetime
    username: str | None
    full_name: str | None  # the account's name today (None for an operator or an unknown name)
    role: str | None  # the role when it happened
    action: str
    category: str | None
    outcome: str | None
    entity: str | None
    entity_id: str | None
    patient_id: int | None
    mrn: str | None
    patient_name: str | None  # "Last, First"
    detail: str | None


@dataclass(frozen=True)
class Filters:
    """What the report is narrowed to: the period [since, until) in UTC, and each choice (None = all)."""

    since: datetime | None = None
    until: datetime | None = None
    user: str | None = None
    patient_id: int | None = None
    action: str | None = None
    category: str | None = None
    outcome: str | None = None

    @classmethod
    def of(cls, value: Filters | Mapping[str, Any] | None) -> Filters:
        if value is None:
            return cls()
        if isinstance(value, Filters):
            return value
        names = {f.name for f in fields(cls)}
        unknown = set(value) - names
        if unknown:
            raise ValueError(f"unknown audit filters: {sorted(unknown)}")
        return cls(**dict(value))

    def check(self) -> None:
        """Refuse what no query should run with (ValidationError naming the filter)."""
        errors = {}
        if self.since is not None and self.until is not None and self.until <= self.since:
            errors["period"] = "The period ends before it starts."
        for name, value in (("since", self.since), ("until", self.until)):
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} must be an aware datetime (UTC)")
        if self.category is not None and self.category not in CATEGORIES:
            errors["category"] = f"Category must be one of {', '.join(CATEGORIES)}."
        if self.outcome is not None and self.outcome not in OUTCOMES:
            errors["outcome"] = f"Outcome must be one of {', '.join(OUTCOMES)}."
        if errors:
            raise ValidationError(errors)

    def kwargs(self) -> dict[str, Any]:
        """The filters as :func:`search`'s keyword arguments."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def params(self) -> dict[str, Any]:
        return {"since": self.since, "until": self.until, "user": self.user or None,
                "patient": self.patient_id, "action": self.action or None, "category": self.category or None,
                "outcome": self.outcome or None}

    def as_detail(self) -> dict[str, Any]:
        """The filters as an audit row's detail (what was read): only those set."""
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(self).items()
                if v is not None and v != ""}


def _checked_sort(sort: str) -> str:
    if sort not in SORTS:
        raise ValidationError({"sort": f"Sort by one of {', '.join(SORTS)}."})
    return sort


# --- reading --------------------------------------------------------------------------------------


def search(conn: Connection, *, since: datetime | None, until: datetime | None, user: str | None = None,
           patient_id: int | None = None, action: str | None = None, category: str | None = None,
           outcome: str | None = None, sort: str = DEFAULT_SORT, page: int = 1,
           per_page: int = PER_PAGE) -> tuple[list[AuditRow], int]:
    """One page of the trail narrowed by the filters, and how many rows match in all.

    ``user`` is a username; ``sort`` a key of :data:`SORTS`; ``page`` counts from 1 (a page past
    the end is empty, the total still right). Only reads: the screen records the read.
    """
    filters = Filters(since=since, until=until, user=user, patient_id=patient_id, action=action,
                      category=category, outcome=outcome)
    filters.check()
    sql = _PAGE_SQL[_checked_sort(sort)]
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    page = max(1, int(page))
    params = filters.params()
    (total,) = read_one(conn, _COUNT, params)
    rows = read(conn, sql, {**params, "limit": per_page, "offset": (page - 1) * per_page})
    return [AuditRow(*r) for r in rows], int(total)


def count(conn: Connection, filters: Filters | Mapping[str, Any] | None = None) -> int:
    """How many rows match ``filters``."""
    filters = Filters.of(filters)
    filters.check()
    return int(read_one(conn, _COUNT, filters.params())[0])


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def iter_csv(conn: Connection, filters: Filters | Mapping[str, Any] | None = None, *,
             sort: str = DEFAULT_SORT) -> Iterator[bytes]:
    """The whole filtered trail as UTF-8 CSV, a header then the rows, in chunks (nothing is held
    in memory beyond one chunk of rows). Times in UTC and in the clinic's zone."""
    filters = Filters.of(filters)
    filters.check()
    sql = _ALL_SQL[_checked_sort(sort)]
    tz = settings.timezone(conn)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    cur = conn.cursor()
    try:
        cur.execute(sql, filters.params())
        while True:
            chunk = cur.fetchmany(_CHUNK)
            for r in chunk:
                row = AuditRow(*r)
                writer.writerow([
                    row.id,
                    row.occurred_at.isoformat().replace("+00:00", "Z"),
                    timeutil.to_local(row.occurred_at, tz).isoformat(),
                    *(_cell(v) for v in (row.username, row.full_name, row.role, row.action, row.category,
                                         row.outcome, row.entity, row.entity_id)),
                    row.patient_id,
                    *(_cell(v) for v in (row.mrn, row.patient_name, row.detail)),
                ])
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            if len(chunk) < _CHUNK:
                break
    finally:
        cur.close()


def to_csv(conn: Connection, filters: Filters | Mapping[str, Any] | None = None, *, sort: str = DEFAULT_SORT,
           by: Any = None) -> bytes:
    """Every row matching ``filters`` as CSV bytes (see :func:`iter_csv`).

    With ``by``, the account is checked first (``audit.export``: refused with NotAllowed when it
    may not, e.g. deactivated since the page was drawn); the export's audit row is
    :func:`record_export`'s, written when the button is clicked.
    """
    if by is not None:
        cur = conn.cursor()
        try:
            acting(cur, by, EXPORT)
        finally:
            cur.close()
    return b"".join(iter_csv(conn, filters, sort=sort))


def who_looked(conn: Connection, patient_id: int) -> list[AuditRow]:
    """Every view, download, print and export of this patient's record (and of records merged
    into it), newest first, whatever the outcome: who, with which role, when, what."""
    return [AuditRow(*r) for r in read(conn, _LOOKED, {"patient": patient_id})]


# --- the choices of the filters ------------------------------------------------------------------


def users(conn: Connection) -> list[tuple[str, str | None]]:
    """(username, full name or None) of every account and every other name in the trail (an
    operator such as "manage.py", a typed name at a failed sign-in), by username."""
    return [(r[0], r[1]) for r in read(
        conn,
        "SELECT n.username, max(u.full_name) FROM (SELECT username FROM users UNION SELECT DISTINCT username"
        " FROM audit_log WHERE username IS NOT NULL) n LEFT JOIN users u ON u.username = n.username"
        " GROUP BY n.username ORDER BY n.username",
    )]


def actions(conn: Connection) -> list[str]:
    """Every action the trail holds, alphabetically."""
    return [r[0] for r in read(conn, "SELECT DISTINCT action FROM audit_log ORDER BY action")]


def categories() -> tuple[str, ...]:
    return CATEGORIES


def outcomes() -> tuple[str, ...]:
    return OUTCOMES


# --- the audit rows of reading, exporting and downloading ----------------------------------------


def _audited(conn: Connection, by: Any, permission: str | None, action: str, *, category: str | None,
             entity: str | None = None, entity_id: Any = None, patient_id: int | None = None,
             detail: Any = None) -> Actor:
    """Check ``by`` for ``permission`` and write ``action``'s row in one transaction. Refused: a row
    with outcome "refused" (in a transaction of its own, since the first rolled back), then
    NotAllowed is raised."""

    def write(cur: Connection) -> Actor:
        actor = acting(cur, by, permission)
        audit.record(cur, actor, action, entity, entity_id, patient_id, detail, category=category)
        return actor

    try:
        return atomic(conn, write, audit_refusal=False)  # the refused row is this one, with its detail
    except NotAllowed:
        atomic(conn, lambda cur: audit.record(cur, by, action, entity, entity_id, patient_id, detail,
                                              category=category, outcome="refused"))
        raise


def record_read(conn: Connection, filters: Filters | Mapping[str, Any] | None, *, by: Any,
                sort: str = DEFAULT_SORT, page: int = 1, rows: int | None = None) -> Actor:
    """The report was read with these filters: an ``audit.read`` row (category security) saying
    what was asked. Refused (NotAllowed, after a "refused" row) for a role that may not."""
    filters = Filters.of(filters)
    detail = {**filters.as_detail(), "sort": sort, "page": page}
    if rows is not None:
        detail["rows"] = rows
    return _audited(conn, by, READ, READ, category="security", entity="audit_log", patient_id=filters.patient_id,
                    detail=detail)


def record_who_looked(conn: Connection, patient_id: int, *, by: Any) -> Actor:
    """A patient's "who looked" list was read: an ``audit.read`` row naming the patient."""
    return _audited(conn, by, READ, READ, category="security", entity="audit_log", patient_id=patient_id,
                    detail={"who_looked": patient_id})


def record_export(conn: Connection, filters: Filters | Mapping[str, Any] | None, *, by: Any,
                  sort: str = DEFAULT_SORT) -> Actor:
    """The report was downloaded as CSV: an ``audit.export`` row with the filters and the number of
    rows the file holds. Refused (NotAllowed, after a "refused" row) for a role that may not."""
    filters = Filters.of(filters)
    detail = {**filters.as_detail(), "sort": sort, "rows": count(conn, filters)}
    return _audited(conn, by, EXPORT, EXPORT, category="security", entity="audit_log",
                    patient_id=filters.patient_id, detail=detail)


def record_check(conn: Connection, *, by: Any, ok: bool, rows_checked: int, problems: int) -> Actor:
    """The tamper check ran: an ``audit.verify`` row with its verdict."""
    return _audited(conn, by, READ, CHECK, category="security", entity="audit_log",
                    detail={"ok": ok, "rows_checked": rows_checked, "problems": problems})


def record_download(conn: Connection, what: str, *, by: Any, category: str | None = None,
                    entity: str | None = None, entity_id: Any = None, patient_id: int | None = None,
                    detail: Any = None, permission: str | None = None) -> Actor:
    """A file left the app (a download, a print): an ``export.<what>`` row.

    ``category`` is the data's (default security); ``patient_id``, when not given, is found from
    an invoice, appointment or patient ``entity``. ``permission`` (an action of clinic.access),
    when given, is checked as for any write; otherwise only that the account is still active.
    """
    if not what or not what.replace("_", "").isalnum():
        raise ValueError(f"not an export name: {what!r}")
    if patient_id is None and entity in _PATIENT_OF and entity_id is not None:
        found = read_one(conn, _PATIENT_OF[entity], [str(entity_id)])
        patient_id = found[0] if found else None
    return _audited(conn, by, permission, "export." + what, category=category or "security", entity=entity,
                    entity_id=entity_id, patient_id=patient_id, detail=detail)
