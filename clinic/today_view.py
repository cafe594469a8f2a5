"""What the Today page shows of a busy day, pure: who is late, who matches the name typed in the
filter, which visits sit around "now" (the rest of the day folded away), and the ``?day=`` address.

No clock and no database: ``now`` and the day's rows (``db.appointments.AppointmentRow``, or any
object with the attributes used here) are passed in, so every rule is unit-tested with fixed times.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Final, Protocol

from clinic.timeutil import local_to_utc, to_local

# A patient still not checked in this many minutes after their start is marked late.
LATE_AFTER_MIN: Final = 5
# "From now" shows the visits from the start of the current clinic-local hour to an hour ahead.
NOW_AHEAD_MIN: Final = 60
# On a day other than today, a provider with more visits than this shows the first ones and
# folds the rest behind "Show N more" when many providers are listed at once.
PREVIEW_ROWS: Final = 6
# Above this many visits on the page, other days fold each provider's list too (a big clinic).
FOLD_ABOVE_ROWS: Final = 120

WAITING_FOR_ARRIVAL: Final = frozenset({"scheduled", "confirmed"})
OPEN: Final = frozenset({"scheduled", "confirmed", "checked_in"})


class Row(Protocol):
    id: int
    status: str
    patient: str
    mrn: str
    start_at: datetime
    arrived_at: datetime | None


# --- late arrivals -----------------------------------------------------------------------------


def late_minutes(row: Row, now: datetime) -> int | None:
    """Whole minutes since the start for a patient expected but not checked in, once more than
    :data:`LATE_AFTER_MIN` minutes have passed; None when not late (arrived, finished, or early)."""
    if row.status not in WAITING_FOR_ARRIVAL or row.arrived_at is not None:
        return None
    minutes = math.floor((now - row.start_at) / timedelta(minutes=1))
    return minutes if minutes > LATE_AFTER_MIN else None


def late_label(minutes: int) -> str:
    if minutes < 60:
        return f"Late {minutes} min"
    return f"Late {minutes // 60} h {minutes % 60:02d} min"


# --- the name filter ---------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Lower case without accents: "Núñez" and "nunez" match."""
    plain = unicodedata.normalize("NFKD", text)
    return "".join(c for c in plain if not unicodedata.combining(c)).casefold()


def matches(row: Row, query: str | None) -> bool:
    """True when every word typed appears in the patient's name ("Last, First"), or the query is
    the start of their MRN. An empty query matches everyone."""
    words = _fold(query or "").replace(",", " ").split()
    if not words:
        return True
    name = _fold(row.patient)
    if len(words) == 1 and (row.mrn or "").startswith(words[0]):
        return True
    return all(word in name for word in words)


# --- around now --------------------------------------------------------------------------------


def hour_start(now: datetime, tz: str) -> datetime:
    """The start of the clinic-local hour ``now`` falls in, as a UTC instant (DST-safe)."""
    local = to_local(now, tz).replace(minute=0, second=0, microsecond=0, tzinfo=None)
    return local_to_utc(local, tz)


@dataclass(frozen=True)
class Window:
    """Which part of one provider's day is shown: visits starting in [start, end), plus every
    earlier visit still open (late, waiting, with the provider). None means unbounded."""

    start: datetime | None = None
    end: datetime | None = None


def now_window(now: datetime, tz: str) -> Window:
    """From the start of the current hour (who is due or late) to an hour from now (who comes next)."""
    return Window(hour_start(now, tz), now + timedelta(minutes=NOW_AHEAD_MIN))


@dataclass(frozen=True)
class Part:
    """One provider's list cut in three: ``earlier`` (finished before the window), ``shown``,
    ``later`` (starting after the window). Each keeps time order."""

    earlier: list = field(default_factory=list)
    shown: list = field(default_factory=list)
    later: list = field(default_factory=list)


def split(rows: Iterable[Row], window: Window) -> Part:
    """Cut ``rows`` (in time order) by ``window``. An earlier visit still open stays shown: a late
    patient or one still waiting needs the desk now, however long ago their start was."""
    part = Part()
    for row in rows:
        if window.end is not None and row.start_at >= window.end:
            part.later.append(row)
        elif window.start is not None and row.start_at < window.start and row.status not in OPEN:
            part.earlier.append(row)
        else:
            part.shown.append(row)
    return part


def preview_window(rows: Sequence[Row], count: int = PREVIEW_ROWS) -> Window:
    """A window holding the first ``count`` visits of ``rows`` (time order); the rest are later."""
    if len(rows) <= count:
        return Window()
    return Window(None, rows[count].start_at)


# --- the ?day= address -------------------------------------------------------------------------


class BadDay(ValueError):
    """The ``?day=`` value is not a YYYY-MM-DD date."""


def parse_day(text: str | None) -> date | None:
    """``?day=2026-03-02`` as a date; None when absent or empty. Raises :class:`BadDay`
    (with a message for the page) when it is not a real YYYY-MM-DD date."""
    if text is None or not str(text).strip():
        return None
    value = str(text).strip()
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise BadDay(f"The address asks for the day “{value[:20]}”, which is not a date written "
                     "YYYY-MM-DD: showing today instead.") from None
