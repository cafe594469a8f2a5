"""The rules a provider's schedule must follow: weekly hours, time off, clinic closures, booking rules.

Pure functions over plain values. ``db.availability`` calls them before it writes, whichever
screen or command the change comes from, and the admin screen calls the ones that turn what
was typed (a table row, a reason picked from a list, whole days) into those values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time

from clinic import timeutil
from clinic.errors import ValidationError
from clinic.scheduling import Block

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TIME_OFF_REASONS = ("Vacation", "Meeting", "Other")
REASON_MAX = 200  # characters kept of a time-off or closure reason

# Booking-rule settings and the range each may take.
RULE_LIMITS = {
    "min_notice_min": (0, 10080),
    "max_days_ahead": (1, 730),
    "late_cancel_hours": (0, 168),
    "reminder_days_ahead": (1, 14),
    # Minutes after the start before a patient may be marked no-show (they may still come).
    "no_show_grace_min": (0, 240),
}


def _folded(text: str | None) -> str:
    """Runs of whitespace as one space, trimmed, cut to REASON_MAX characters."""
    return " ".join((text or "").split())[:REASON_MAX]


# --- weekly hours ----------------------------------------------------------------------------


def parse_time(value: time | str, *, field: str = "time") -> time:
    """A clock time from a ``time`` or text such as ``8:30``, ``08:30``, ``08:30:00`` or
    ``08:30:00.000`` (what the browser's time cells send). Raises ValidationError on ``field``."""
    if isinstance(value, time):
        return value
    text = str(value).strip()
    if len(text.partition(":")[0]) == 1:  # "8:30": fromisoformat wants two digits for the hour
        text = "0" + text
    try:
        if ":" not in text:  # "0830" would pass fromisoformat, but nobody means a time that way here
            raise ValueError(text)
        return time.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError({field: "Enter times like 08:30."}) from exc


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def blocks_from_rows(rows: Iterable[Mapping[str, object]]) -> list[Block]:
    """The weekly-hours table's rows (``weekday`` name, ``start``, ``end``; a missing key or None is
    an empty cell) as blocks. Empty rows are skipped; a half-filled row, a time that is not a
    time or an unknown weekday is refused. Whether the blocks fit together is :func:`check_blocks`."""
    blocks: list[Block] = []
    errors: dict[str, str] = {}
    for row in rows:
        cells = [row.get("weekday"), row.get("start"), row.get("end")]
        if all(_blank(c) for c in cells):
            continue
        if any(_blank(c) for c in cells):
            errors[""] = "Fill in the weekday, start and end of every row (or delete the row)."
            continue
        day, start, end = cells
        try:
            start, end = parse_time(start, field="start"), parse_time(end, field="start")
        except ValidationError as exc:
            errors.update(exc.errors)
            continue
        if day not in WEEKDAYS:
            errors["weekday"] = "Choose a weekday."
            continue
        blocks.append(Block(WEEKDAYS.index(day), start, end))
    if errors:
        raise ValidationError(errors)
    return blocks


def check_blocks(blocks: Iterable[Block]) -> list[Block]:
    """A week of working blocks, in order (weekday, start); refused when a block has no weekday
    0–6, ends before it starts, or overlaps another block of its day. Back-to-back is fine."""
    ordered = sorted(blocks, key=lambda b: (b.weekday, b.start, b.end))
    errors: dict[str, str] = {}
    for b in ordered:
        if not 0 <= b.weekday <= 6:
            errors["weekday"] = "Choose a weekday."
        if b.end <= b.start:
            errors["end"] = "A block must end after it starts."
    for a, b in zip(ordered, ordered[1:]):
        if a.weekday == b.weekday and b.start < a.end:
            errors["start"] = "Two blocks on the same day overlap."
    if errors:
        raise ValidationError(errors)
    return ordered


# --- time off --------------------------------------------------------------------------------


def time_off_reason(kind: str, details: str | None) -> str:
    """The stored reason for time off picked as ``kind`` (one of TIME_OFF_REASONS) with optional
    details: "Vacation", "Meeting: Board", or the details alone for Other (required then)."""
    if kind not in TIME_OFF_REASONS:
        raise ValidationError({"reason": "Choose a reason."})
    details = _folded(details)
    if kind == "Other":
        if not details:
            raise ValidationError({"reason": "Say what the time off is for."})
        return details
    return f"{kind}: {details}" if details else kind


def time_off_span(
    first_day: date, last_day: date, tz: str, *, start: time | None = None, end: time | None = None
) -> tuple[datetime, datetime]:
    """[start, end) in UTC of time off from ``first_day`` to ``last_day`` in the clinic's zone.

    Without times it is whole days: from the first day's local midnight to the end of the last
    day (DST-safe). With times, from ``start`` on the first day to ``end`` on the last.
    """
    if start is None or end is None:
        return timeutil.day_bounds(first_day, tz)[0], timeutil.day_bounds(last_day, tz)[1]
    return (timeutil.local_to_utc(datetime.combine(first_day, start), tz),
            timeutil.local_to_utc(datetime.combine(last_day, end), tz))


def check_time_off(start: datetime, end: datetime, reason: str | None, *, now: datetime) -> str:
    """Refuse time off that is already over at ``now`` or ends before it starts; return the
    reason as stored (whitespace folded, at most REASON_MAX characters; empty for none)."""
    if end <= now:
        raise ValidationError({"end": "That time off is already over: check the dates."})
    if end <= start:
        raise ValidationError({"end": "Time off must end after it starts."})
    return _folded(reason)


# --- closures --------------------------------------------------------------------------------


def check_closure(day: date, reason: str | None, *, today: date) -> str:
    """Refuse closing the clinic on a day already past; return the reason as stored."""
    if day < today:
        raise ValidationError({"day": "Choose today or a later day."})
    return _folded(reason)


# --- booking rules ---------------------------------------------------------------------------


def check_rules(values: Mapping[str, object]) -> dict[str, int]:
    """The booking-rule settings given (any of RULE_LIMITS' keys) as whole numbers within their
    ranges; every wrong field is named at once."""
    errors: dict[str, str] = {}
    clean: dict[str, int] = {}
    for key, (low, high) in RULE_LIMITS.items():
        if key not in values:
            continue
        try:
            number = int(values[key])  # type: ignore[call-overload]
        except (TypeError, ValueError):
            errors[key] = "Enter a whole number."
            continue
        if not low <= number <= high:
            errors[key] = f"Enter a number from {low} to {high}."
        clean[key] = number
    if errors:
        raise ValidationError(errors)
    return clean
