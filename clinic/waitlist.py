"""Waitlist preferences, pure: the weekdays and the start-time window a waiting patient can come,
checked against the hours someone sees patients, whether a slot fits them, and how they read.

The window bounds the START of the visit, in clinic-local wall-clock time, both ends inclusive
("after 3 pm" = earliest start 15:00: 15:00 fits, 14:45 does not). A slot is an aware instant;
it is turned into clinic-local time with ``zoneinfo`` before comparing, so a slot on the far side
of a daylight-saving change is judged by the clock on the wall, like any other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Final

from clinic.errors import ValidationError
from clinic.scheduling import Block
from clinic.timeutil import zone

DAY_NAMES: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY_SHORT: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Preferences:
    """When a waiting patient can come. Empty weekdays: any day; a None bound: no bound."""

    weekdays: tuple[int, ...] = ()  # Monday = 0
    earliest_start: time | None = None
    latest_start: time | None = None

    @property
    def any_time(self) -> bool:
        return self.earliest_start is None and self.latest_start is None

    @property
    def anything(self) -> bool:
        return not self.weekdays and self.any_time

    def fits(self, start: datetime, tz: str) -> bool:
        """Does a visit starting at the aware instant ``start`` suit them (clinic-local time)?"""
        local = start.astimezone(zone(tz))
        return self.fits_local(local.weekday(), local.time().replace(tzinfo=None))

    def fits_local(self, weekday: int, wall_clock: time) -> bool:
        if self.weekdays and weekday not in self.weekdays:
            return False
        if self.earliest_start is not None and wall_clock < self.earliest_start:
            return False
        return self.latest_start is None or wall_clock <= self.latest_start

    @property
    def days_label(self) -> str:
        return ", ".join(DAY_SHORT[d] for d in self.weekdays) if self.weekdays else "Any day"

    @property
    def times_label(self) -> str:
        early, late = self.earliest_start, self.latest_start
        if early and late:
            return f"{early:%H:%M}–{late:%H:%M}"
        if early:
            return f"from {early:%H:%M}"
        if late:
            return f"until {late:%H:%M}"
        return "Any time"

    @property
    def label(self) -> str:
        """E.g. "Mon, Wed · from 15:00", "Any day · 09:00–11:30", "Any day · Any time"."""
        return f"{self.days_label} · {self.times_label}"

    @property
    def stored_days(self) -> str | None:
        """The weekdays as stored in ``waitlist.preferred_days`` ("0,2"), None for any day."""
        return ",".join(map(str, self.weekdays)) or None


def from_stored(days: str | None, earliest_start: time | None = None,
                latest_start: time | None = None) -> Preferences:
    """Preferences from a waitlist row (``preferred_days`` "0,2,4" or NULL, and the window)."""
    parsed = sorted({int(p) for p in (days or "").split(",") if p.strip().isdigit() and int(p) <= 6})
    return Preferences(tuple(parsed), earliest_start, latest_start)


def _names(days: Iterable[int]) -> str:
    names = [DAY_NAMES[d] for d in days]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def check(weekdays: Iterable[int] | None, earliest_start: time | None, latest_start: time | None, *,
          hours: list[Block], who: str | None = None) -> Preferences:
    """Validate what the desk entered; return the Preferences or raise ValidationError naming each
    field at fault (``preferred_days``, ``earliest_start``, ``latest_start``).

    ``hours`` are the weekly blocks of whoever may see them (their provider, or every active
    provider when any will do); ``who`` names that provider in messages (None: the clinic).
    The window must lie within those hours on the chosen days, the earliest start before the
    latest, and some hours must fall inside it. Without any hours set up, only the order of the
    two times is checked.
    """
    errors: dict[str, str] = {}
    days = sorted(set(weekdays or []))
    if any(not isinstance(d, int) or not 0 <= d <= 6 for d in days):
        errors["preferred_days"] = "Choose weekdays from the list."
        days = []
    open_days = {b.weekday for b in hours}
    closed = [d for d in days if d not in open_days]
    if hours and closed:
        subject = f"{who} does not see patients" if who else "The clinic sees no patients"
        errors["preferred_days"] = f"{subject} on {_names(closed)}: choose other days."
    blocks = [b for b in hours if not days or b.weekday in days]
    if blocks:
        opens, closes = min(b.start for b in blocks), max(b.end for b in blocks)
        on = " on those days" if days else ""
        whose = f"{who}’s" if who else "the clinic’s"
        hours_text = f"{whose} hours ({opens:%H:%M}–{closes:%H:%M}{on})"
        for field, value in (("earliest_start", earliest_start), ("latest_start", latest_start)):
            if value is not None and not opens <= value < closes:
                errors[field] = f"Choose a start time within {hours_text}."
    if earliest_start is not None and latest_start is not None and earliest_start >= latest_start:
        errors.setdefault("latest_start", "The latest start must be later than the earliest start.")
    if blocks and not errors and not any(
        (earliest_start is None or earliest_start < b.end) and (latest_start is None or b.start <= latest_start)
        for b in blocks
    ):
        subject = f"{who} sees no" if who else "Nobody sees"
        on = " on those days" if days else ""
        errors["earliest_start"] = f"{subject} patients between these times{on}: widen them."
    if errors:
        raise ValidationError(errors)
    return Preferences(tuple(days), earliest_start, latest_start)
