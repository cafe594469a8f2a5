"""When providers can be booked: weekly hours, dated time off, clinic closures, public holidays,
and the booking rules' settings. Admin pages edit these; booking reads them in its transaction.

Every write re-reads the acting account first (``db.actors.acting``, action ``schedule.manage``),
checks its input through ``clinic.hours``, and writes its audit row in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from clinic import closures as holiday_rules
from clinic import hours as hour_rules
from clinic import timeutil
from clinic.errors import NotFound, ValidationError
from clinic.scheduling import Block, Interval, Rules
from db import Connection, atomic, audit, read, settings
from db.actors import acting

RULE_DEFAULTS = {"min_notice_min": 0, "max_days_ahead": 180, "late_cancel_hours": 24, "reminder_days_ahead": 1,
                 "no_show_grace_min": 15}
ACTION = "schedule.manage"


@dataclass(frozen=True)
class TimeOff:
    """One stretch of a provider's time off, as the admin's list shows and removes it."""

    id: int
    provider_id: int
    provider: str
    start_at: datetime
    end_at: datetime
    reason: str | None


@dataclass(frozen=True)
class Closure:
    """A day the clinic is closed besides the public holidays."""

    id: int
    day: date
    reason: str | None


# --- rules ----------------------------------------------------------------------------------


def rules(conn: Connection, values: dict[str, str] | None = None) -> Rules:
    """The booking rules; ``values`` (from ``settings.get_all``) saves a query when the caller has them."""
    values = values if values is not None else settings.get_all(conn)
    return Rules(
        min_notice_min=int(values.get("min_notice_min", RULE_DEFAULTS["min_notice_min"])),
        max_days_ahead=int(values.get("max_days_ahead", RULE_DEFAULTS["max_days_ahead"])),
        late_cancel_hours=int(values.get("late_cancel_hours", RULE_DEFAULTS["late_cancel_hours"])),
        no_show_grace_min=int(values.get("no_show_grace_min", RULE_DEFAULTS["no_show_grace_min"])),
    )


def reminder_days_ahead(conn: Connection) -> int:
    return int(settings.get_all(conn).get("reminder_days_ahead", RULE_DEFAULTS["reminder_days_ahead"]))


def save_rules(conn: Connection, values: dict[str, int], *, by: Any) -> None:
    """Save the booking-rule settings given (see ``clinic.hours.RULE_LIMITS``); none if one is wrong."""
    clean = {key: str(number) for key, number in hour_rules.check_rules(values).items()}

    def write(cur: Connection) -> None:
        actor = acting(cur, by, ACTION)
        for key, value in clean.items():
            settings.set_value(cur, key, value)
        audit.record(cur, actor, "settings.booking_rules", "settings", None, detail=clean)

    atomic(conn, write)


# --- weekly hours ---------------------------------------------------------------------------


def hours_for(conn: Connection, provider_id: int) -> list[Block]:
    rows = read(
        conn,
        "SELECT weekday, start_time, end_time FROM provider_hours WHERE provider_id = ? ORDER BY weekday, start_time",
        [provider_id],
    )
    return [Block(int(w), s, e) for w, s, e in rows]


def hours_by_provider(conn: Connection) -> dict[int, list[Block]]:
    found: dict[int, list[Block]] = {}
    for pid, w, s, e in read(
        conn, "SELECT provider_id, weekday, start_time, end_time FROM provider_hours ORDER BY provider_id, weekday, start_time"
    ):
        found.setdefault(pid, []).append(Block(int(w), s, e))
    return found


def _require_provider(cur: Connection, provider_id: int | None) -> None:
    if provider_id is None:
        raise ValidationError({"provider": "Choose a provider."})
    if cur.execute("SELECT 1 FROM providers WHERE id = ?", [provider_id]).fetchone() is None:
        raise NotFound("That provider does not exist.")


def set_hours(conn: Connection, provider_id: int, blocks: list[Block], *, by: Any) -> None:
    """Replace a provider's weekly hours. Existing appointments are kept as they are."""
    blocks = hour_rules.check_blocks(blocks)

    def write(cur: Connection) -> None:
        actor = acting(cur, by, ACTION)
        _require_provider(cur, provider_id)
        cur.execute("DELETE FROM provider_hours WHERE provider_id = ?", [provider_id])
        for b in blocks:
            cur.execute(
                "INSERT INTO provider_hours (provider_id, weekday, start_time, end_time) VALUES (?, ?, ?, ?)",
                [provider_id, b.weekday, b.start, b.end],
            )
        audit.record(cur, actor, "provider.set_hours", "provider", provider_id,
                     detail=[[b.weekday, str(b.start), str(b.end)] for b in blocks])

    atomic(conn, write)


# --- time off -------------------------------------------------------------------------------


def time_off_between(conn: Connection, provider_id: int, start: datetime, end: datetime) -> list[Interval]:
    rows = read(
        conn,
        "SELECT start_at, end_at, reason FROM provider_time_off"
        " WHERE provider_id = ? AND start_at < ? AND end_at > ? ORDER BY start_at",
        [provider_id, end, start],
    )
    return [Interval(s, e, r) for s, e, r in rows]


def time_off_by_provider(
    conn: Connection, start: datetime, end: datetime, provider_ids: list[int] | None = None
) -> dict[int, list[Interval]]:
    """Time off overlapping [start, end) for every provider (or those given), in ONE query:
    screens that show many providers must not read it provider by provider."""
    rows = read(
        conn,
        "SELECT provider_id, start_at, end_at, reason FROM provider_time_off"
        " WHERE start_at < $end AND end_at > $start"
        " AND ($ids IS NULL OR list_contains($ids, provider_id)) ORDER BY provider_id, start_at",
        {"start": start, "end": end, "ids": provider_ids},
    )
    found: dict[int, list[Interval]] = {}
    for provider_id, s, e, r in rows:
        found.setdefault(provider_id, []).append(Interval(s, e, r))
    return found


def list_time_off(conn: Connection, *, from_day: datetime | None = None) -> list[TimeOff]:
    """Time off not over by ``from_day`` (all of it when None), in start order, with provider names."""
    rows = read(
        conn,
        "SELECT t.id, t.provider_id, pr.name, t.start_at, t.end_at, t.reason FROM provider_time_off t"
        " JOIN providers pr ON pr.id = t.provider_id"
        " WHERE ($from IS NULL OR t.end_at >= $from) ORDER BY t.start_at, t.id",
        {"from": from_day},
    )
    return [TimeOff(*r) for r in rows]


def add_time_off(
    conn: Connection, provider_id: int | None, start: datetime, end: datetime, reason: str | None, *, by: Any,
    now: datetime | None = None,
) -> int:
    """Record time off for a provider and return its id; booked appointments in it are kept.

    Refused when it is already over at ``now`` (the clinic clock by default) or ends before it starts.
    """
    reason = hour_rules.check_time_off(start, end, reason, now=now or timeutil.now_utc())

    def write(cur: Connection) -> int:
        actor = acting(cur, by, ACTION)
        _require_provider(cur, provider_id)
        (new_id,) = cur.execute(
            "INSERT INTO provider_time_off (provider_id, start_at, end_at, reason) VALUES (?, ?, ?, ?) RETURNING id",
            [provider_id, start, end, reason or None],
        ).fetchone()
        audit.record(cur, actor, "provider.time_off.add", "provider", provider_id,
                     detail={"start": start.isoformat(), "end": end.isoformat(), "reason": reason})
        return new_id

    return atomic(conn, write)


def remove_time_off(conn: Connection, time_off_id: int, *, by: Any) -> None:
    def write(cur: Connection) -> None:
        actor = acting(cur, by, ACTION)
        row = cur.execute("SELECT provider_id FROM provider_time_off WHERE id = ?", [time_off_id]).fetchone()
        if row is None:
            raise NotFound("That time off no longer exists.")
        cur.execute("DELETE FROM provider_time_off WHERE id = ?", [time_off_id])
        audit.record(cur, actor, "provider.time_off.remove", "provider", row[0], detail={"time_off_id": time_off_id})

    atomic(conn, write)


# --- closures and holidays ------------------------------------------------------------------


def _holidays(conn: Connection, first: date, last: date, values: dict[str, str] | None = None) -> dict[date, str]:
    values = values if values is not None else settings.get_all(conn)
    table = holiday_rules.public_holidays(values["country"], values["subdivision"], range(first.year, last.year + 1))
    return {d: n for d, n in table.items() if first <= d <= last}


def closures_between(conn: Connection, first: date, last: date, *,
                     values: dict[str, str] | None = None) -> dict[date, str | None]:
    """Days in [first, last] on which nobody is booked: clinic closures and the public holidays
    that have not been switched off. ``values`` (from ``settings.get_all``) saves a query when the
    caller has them."""
    # The holidays switched off and the clinic's closures in ONE query (kind 0 and 1).
    rows = read(conn, "SELECT 0 AS kind, day, NULL AS reason FROM holiday_overrides WHERE day BETWEEN $first AND $last"
                      " UNION ALL SELECT 1, day, reason FROM clinic_closures WHERE day BETWEEN $first AND $last",
                {"first": first, "last": last})
    opened = {day for kind, day, _reason in rows if kind == 0}
    found: dict[date, str | None] = {}
    for day, name in _holidays(conn, first, last, values).items():
        if day not in opened:
            found[day] = name
    for kind, day, reason in rows:
        if kind == 1:
            found[day] = reason or "Clinic closed"
    return found


def holidays_with_state(conn: Connection, year: int) -> list[tuple[date, str, bool]]:
    """(day, name, clinic closed?) for every public holiday of ``year``."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    opened = {row[0] for row in read(conn, "SELECT day FROM holiday_overrides WHERE day BETWEEN ? AND ?", [first, last])}
    return [(d, n, d not in opened) for d, n in _holidays(conn, first, last).items()]


def set_holiday_closed(conn: Connection, day: date, closed: bool, *, by: Any) -> None:
    def write(cur: Connection) -> None:
        actor = acting(cur, by, ACTION)
        if closed:
            cur.execute("DELETE FROM holiday_overrides WHERE day = ?", [day])
        else:
            cur.execute("INSERT INTO holiday_overrides (day) VALUES (?) ON CONFLICT DO NOTHING", [day])
        audit.record(cur, actor, "closure.holiday", "holiday", day.isoformat(), detail={"closed": closed})

    atomic(conn, write)


def list_closures(conn: Connection) -> list[Closure]:
    return [Closure(*r) for r in read(conn, "SELECT id, day, reason FROM clinic_closures ORDER BY day")]


def add_closure(conn: Connection, day: date, reason: str | None, *, by: Any, now: datetime | None = None) -> int:
    """Close the clinic on ``day`` and return the closure's id; booked appointments are kept.

    Refused for a day before the clinic's today (at ``now``, the clinic clock by default).
    """
    today = (now or timeutil.now_utc()).astimezone(timeutil.zone(settings.timezone(conn))).date()
    reason = hour_rules.check_closure(day, reason, today=today)

    def write(cur: Connection) -> int:
        actor = acting(cur, by, ACTION)
        if cur.execute("SELECT 1 FROM clinic_closures WHERE day = ?", [day]).fetchone():
            raise ValidationError({"day": f"{day:%d %B %Y} is already a closure."})
        (new_id,) = cur.execute(
            "INSERT INTO clinic_closures (day, reason) VALUES (?, ?) RETURNING id", [day, reason or None]
        ).fetchone()
        audit.record(cur, actor, "closure.add", "closure", new_id, detail={"day": day.isoformat(), "reason": reason})
        return new_id

    return atomic(conn, write)


def remove_closure(conn: Connection, closure_id: int, *, by: Any) -> None:
    def write(cur: Connection) -> None:
        actor = acting(cur, by, ACTION)
        row = cur.execute("SELECT day FROM clinic_closures WHERE id = ?", [closure_id]).fetchone()
        if row is None:
            raise NotFound("That closure no longer exists.")
        cur.execute("DELETE FROM clinic_closures WHERE id = ?", [closure_id])
        audit.record(cur, actor, "closure.remove", "closure", closure_id, detail={"day": row[0].isoformat()})

    atomic(conn, write)
