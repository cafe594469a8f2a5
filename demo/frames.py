"""Shared mechanics of the set-wise seeder: time as naive clinic-local seconds (and day numbers),
turned into UTC instants once per column, and ids reserved from sequences in blocks.

Times are built as naive clinic-local seconds since 1970-01-01 and localized once with pandas,
which applies daylight saving per instant. Adding a duration on the naive local clock is only
right because working-hours times lie far from the night-time DST switch; the few times that may
fall at night (cancellations, "now" in a zone that switches at midnight) are localized with
``nonexistent="shift_forward"`` and ``ambiguous=False`` rather than raising.

Ids and MRNs are numbered by the seeder, not by the INSERT. DuckDB does not promise in which
order a parallel ``INSERT ... SELECT nextval(...)`` draws values for the rows, so that would not
be reproducible. Instead a block is reserved from each sequence (one ``nextval``, then
``max(nextval(...))`` over ``range(n - 1)``) and rows get ``first + i``; the app's later inserts
continue after the block. Sequences are not transactional: a seed that fails and rolls back has
still consumed its blocks, so only a *fresh* file is promised identical ids.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import numpy as np
import pandas as pd

from clinic import timeutil
from clinic.errors import ClinicError
from db import Connection

DAY_S: Final = 86_400
OPEN_S: Final = 8 * 3600  # the phone line: bookings happen 08:00-17:30
CLOSE_S: Final = 17 * 3600 + 1800
_EPOCH = np.datetime64("1970-01-01", "D")


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01 (the seeder's clinic-local day numbers)."""
    return int((np.datetime64(day, "D") - _EPOCH).astype(np.int64))


def local_seconds(instant: dt.datetime, tz: str) -> int:
    """An aware instant as naive clinic-local seconds since 1970-01-01 (the wall clock's reading)."""
    wall = timeutil.to_local(instant, tz).replace(tzinfo=None)
    return int((wall - dt.datetime(1970, 1, 1)).total_seconds())


def to_utc(local_seconds: np.ndarray, tz: str, present: np.ndarray | None = None) -> pd.DatetimeIndex:
    """Naive clinic-local seconds to UTC instants (NaT where ``present`` is False)."""
    values = local_seconds if present is None else np.where(present, local_seconds, 0)
    naive = pd.DatetimeIndex(values.astype("datetime64[s]"))
    aware = naive.tz_localize(tz, ambiguous=np.zeros(len(values), dtype=bool), nonexistent="shift_forward")
    utc = aware.tz_convert("UTC")
    return utc if present is None else utc.where(present)


def reserve_ids(cur: Connection, sequence: str, n: int) -> int:
    """Take ``n`` consecutive values from ``sequence``; return the first.

    Results are drained with ``fetchall()``: after a bare ``fetchone()`` DuckDB 2 keeps the result
    open and a later ``cursor.register()`` fails with "connection has an unfinished result".
    """
    [(first,)] = cur.execute("SELECT nextval(?)", [sequence]).fetchall()
    if n > 1:
        [(last,)] = cur.execute("SELECT max(nextval(?)) FROM range(?)", [sequence, n - 1]).fetchall()
        if last != first + n - 1:  # someone else drew from the sequence meanwhile
            raise ClinicError("Could not reserve a block of ids for the demo data; try again.")
    return int(first)
