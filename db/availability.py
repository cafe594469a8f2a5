"""When providers can be booked: weekly hours, dated time off, clinic closures, public holidays,
and the booking rules' settings. Admin pages edit these; booking reads them in its transaction.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from clinic import closures as holiday_rules
from clinic.errors import NotFound, ValidationError
from clinic.scheduling import Block, Interval, Rules
from db import Connection, atomic, audit, read, read_df, settings

RULE_DEFAULTS = {"min_notice_min": 0, "max_days_ahead": 180, "late_cancel_hours": 24, "reminder_days_ahead": 1}


# --- rules ----------------------------------------------------------------------------------


def rules(conn: Connection) -> Rules:
    values = settings.get_all(conn)
    return Rules(
        min_notice_min=int(values.get("min_notice_min", RULE_DEFAULTS["min_notice_min"])),
        max_days_ahead=int(values.get("max_days_ahead", RULE_DEFAULTS["max_days_ahead"])),
        late_cancel_hours=int(values.get("late_cancel_hours", RULE_DEFAULTS["late_cancel_hours"])),
    )


def reminder_days_ahead(conn: Connection) -> int:
    return int(settings.get_all(conn).get("reminder_days_ahead", RULE_DEFAULTS["reminder_days_ahead"]))


def save_rules(conn: Connection, values: dict[str, int], *, by) -> None:
    errors = {}
    limits = {"min_notice_min": (0, 10080), "max_days_ahead": (1, 730), "late_cancel_hours": (0, 168),
              "reminder_days_ahead": (1, 14)}
    clean = {}
    for key, (low, high) in limits.items():
        if key not in values:
            continue
        try:
            number = int(values[key])
        except (TypeError, ValueError):
            errors[key] = "Enter a whole number."
            continue
        if not low <= number <= high:
            errors[key] = f"Enter a number from {low} to {high}."
        clean[key] = str(number)
    if errors:
        raise ValidationError(errors)

    def write(cur: Connection) -> None:
        for key, value in clean.items():
            settings.set_value(cur, key, value)
        audit.record(cur, by, "settings.booking_rules", "settings", None, detail=clean)

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


def validate_blocks(blocks: list[Block]) -> None:
    errors = {}
    for b in blocks:
        if not 0 <= b.weekday <= 6:
            errors["weekday"] = "Choose a weekday."
        if b.end <= b.start:
            errors["end"] = "A block must end after it starts."
    by_day: dict[int, list[Block]] = {}
    for b in blocks:
        by_day.setdefault(b.weekday, []).append(b)
    for day_blocks in by_day.values():
        day_blocks.sort(key=lambda b: b.start)
        for a, b in zip(day_blocks, day_blocks[1:]):
            if b.start < a.end:
                errors["start"] = "Two blocks on the same day overlap."
    if errors:
        raise ValidationError(errors)


def set_hours(conn: Connection, provider_id: int, blocks: list[Block], *, by) -> None:
    """Replace a provider's weekly hours. Existing appointments are kept as they are."""
    validate_blocks(blocks)

    def write(cur: Connection) -> None:
        if cur.execute("SELECT 1 FROM providers WHERE id = ?", [provider_id]).fetchone() is None:
            raise NotFound("That provider does not exist.")
        cur.execute("DELETE FROM provider_hours WHERE provider_id = ?", [provider_id])
        for b in blocks:
            cur.execute(
                "INSERT INTO provider_hours (provider_id, weekday, start_time, end_time) VALUES (?, ?, ?, ?)",
                [provider_id, b.weekday, b.start, b.end],
            )
        audit.record(cur, by, "provider.set_hours", "provider", provider_id,
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


def list_time_off(conn: Connection, *, from_day: datetime | None = None):
    return read_df(
        conn,
        "SELECT t.id, pr.name AS provider, t.start_at, t.end_at, t.reason FROM provider_time_off t"
        " JOIN providers pr ON pr.id = t.provider_id"
        " WHERE ($from IS NULL OR t.end_at >= $from) ORDER BY t.start_at",
        {"from": from_day},
    )


def add_time_off(conn: Connection, provider_id: int, start: datetime, end: datetime, reason: str, *, by) -> int:
    if end <= start:
        raise ValidationError({"end": "Time off must end after it starts."})
    reason = " ".join((reason or "").split())[:200]

    def write(cur: Connection) -> int:
        (new_id,) = cur.execute(
            "INSERT INTO provider_time_off (provider_id, start_at, end_at, reason) VALUES (?, ?, ?, ?) RETURNING id",
            [provider_id, start, end, reason or None],
        ).fetchone()
        audit.record(cur, by, "provider.time_off.add", "provider", provider_id,
                     detail={"start": start.isoformat(), "end": end.isoformat(), "reason": reason})
        return new_id

    return atomic(conn, write)


def remove_time_off(conn: Connection, time_off_id: int, *, by) -> None:
    def write(cur: Connection) -> None:
        row = cur.execute("SELECT provider_id FROM provider_time_off WHERE id = ?", [time_off_id]).fetchone()
        if row is None:
            raise NotFound("That time off no longer exists.")
        cur.execute("DELETE FROM provider_time_off WHERE id = ?", [time_off_id])
        audit.record(cur, by, "provider.time_off.remove", "provider", row[0], detail={"time_off_id": time_off_id})

    atomic(conn, write)


# --- closures and holidays ------------------------------------------------------------------


def _holidays(conn: Connection, first: date, last: date) -> dict[date, str]:
    values = settings.get_all(conn)
    table = holiday_rules.public_holidays(values["country"], values["subdivision"], range(first.year, last.year + 1))
    return {d: n for d, n in table.items() if first <= d <= last}


def closures_between(conn: Connection, first: date, last: date) -> dict[date, str | None]:
    """Days in [first, last] on which nobody is booked: clinic closures and the public holidays
    that have not been switched off."""
    found: dict[date, str | None] = {}
    opened = {row[0] for row in read(conn, "SELECT day FROM holiday_overrides WHERE day BETWEEN ? AND ?", [first, last])}
    for day, name in _holidays(conn, first, last).items():
        if day not in opened:
            found[day] = name
    for day, reason in read(conn, "SELECT day, reason FROM clinic_closures WHERE day BETWEEN ? AND ?", [first, last]):
        found[day] = reason or "Clinic closed"
    return found


def holidays_with_state(conn: Connection, year: int) -> list[tuple[date, str, bool]]:
    """(day, name, clinic closed?) for every public holiday of ``year``."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    opened = {row[0] for row in read(conn, "SELECT day FROM holiday_overrides WHERE day BETWEEN ? AND ?", [first, last])}
    return [(d, n, d not in opened) for d, n in _holidays(conn, first, last).items()]


def set_holiday_closed(conn: Connection, day: date, closed: bool, *, by) -> None:
    def write(cur: Connection) -> None:
        if closed:
            cur.execute("DELETE FROM holiday_overrides WHERE day = ?", [day])
        else:
            cur.execute("INSERT INTO holiday_overrides (day) VALUES (?) ON CONFLICT DO NOTHING", [day])
        audit.record(cur, by, "closure.holiday", "holiday", day.isoformat(), detail={"closed": closed})

    atomic(conn, write)


def list_closures(conn: Connection):
    return read_df(conn, "SELECT id, day, reason FROM clinic_closures ORDER BY day")


def add_closure(conn: Connection, day: date, reason: str, *, by) -> int:
    reason = " ".join((reason or "").split())[:200]

    def write(cur: Connection) -> int:
        if cur.execute("SELECT 1 FROM clinic_closures WHERE day = ?", [day]).fetchone():
            raise ValidationError({"day": f"{day:%d %B %Y} is already a closure."})
        (new_id,) = cur.execute(
            "INSERT INTO clinic_closures (day, reason) VALUES (?, ?) RETURNING id", [day, reason or None]
        ).fetchone()
        audit.record(cur, by, "closure.add", "closure", new_id, detail={"day": day.isoformat(), "reason": reason})
        return new_id

    return atomic(conn, write)


def remove_closure(conn: Connection, closure_id: int, *, by) -> None:
    def write(cur: Connection) -> None:
        row = cur.execute("SELECT day FROM clinic_closures WHERE id = ?", [closure_id]).fetchone()
        if row is None:
            raise NotFound("That closure no longer exists.")
        cur.execute("DELETE FROM clinic_closures WHERE id = ?", [closure_id])
        audit.record(cur, by, "closure.remove", "closure", closure_id, detail={"day": row[0].isoformat()})

    atomic(conn, write)


def day_range(first: date, days: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(days)]


def parse_time(text: str) -> time:
    try:
        hh, mm = text.strip().split(":")
        return time(int(hh), int(mm))
    except (ValueError, AttributeError) as exc:
        raise ValidationError({"time": f"“{text}” is not a time like 08:30."}) from exc
