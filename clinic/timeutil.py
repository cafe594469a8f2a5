"""Clinic-local time. Appointments are stored as UTC instants; people think in local days.

``zoneinfo`` handles daylight saving: a local day can be 23 or 25 hours long, so day bounds are
computed from local midnights, never as "start + 24 h".
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from clinic.errors import ValidationError


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError({"timezone": f"“{name}” is not a known IANA time zone."}) from exc


# The clinic clock. Everything that asks "what time is it" goes through now_utc(), so a test (or
# a demo recording) can set the clock and get the same screens every run. None = the real clock.
_frozen_at: datetime | None = None


def set_clock(instant: datetime | None) -> None:
    """Make now_utc() return ``instant`` (aware) until called again with None."""
    global _frozen_at
    if instant is not None and instant.tzinfo is None:
        raise ValueError("set the clock with an aware datetime")
    _frozen_at = None if instant is None else instant.astimezone(timezone.utc)


def now_utc() -> datetime:
    return _frozen_at if _frozen_at is not None else datetime.now(timezone.utc)


def today(tz: str) -> date:
    return now_utc().astimezone(zone(tz)).date()


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """[start, end) of the clinic-local ``day`` as UTC instants (DST-safe)."""
    z = zone(tz)
    start = datetime.combine(day, time(0), tzinfo=z)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=z)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def to_local(instant: datetime, tz: str) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("naive datetime: store and pass aware UTC instants")
    return instant.astimezone(zone(tz))


def local_to_utc(local: datetime, tz: str) -> datetime:
    """Attach the clinic zone to a naive local time and convert to UTC."""
    if local.tzinfo is not None:
        return local.astimezone(timezone.utc)
    return local.replace(tzinfo=zone(tz)).astimezone(timezone.utc)


def last_days_bounds(today_: date, days: int, tz: str) -> tuple[datetime, datetime]:
    """[start, end) covering the ``days`` clinic-local days before ``today_`` (today excluded)."""
    start, _ = day_bounds(today_ - timedelta(days=days), tz)
    end, _ = day_bounds(today_, tz)
    return start, end


def age_on(date_of_birth: date, on: date) -> int:
    """Full years old on ``on`` (a 29 February birthday counts from 1 March in other years)."""
    return on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))
