"""The numbers behind Analytics › No-shows and Utilization: no-show rates by group and by week,
patients who miss repeatedly, revenue lost to no-shows, late cancellations, the KPI tiles' summary,
booked ÷ available minutes per provider and week, new patients per month and visits per
provider-day. Each returns a pandas DataFrame (or a small dict of numbers for the tiles).

Every number is grouped in DuckDB, in one pass over the period's appointments; the formulas and
labels are ``clinic.analytics``'s (the rate, the lead-time buckets and age groups, the reminder
groups), passed in as parameters, and tests/db/test_reports.py checks that both agree.

The rules every function here follows:

* A period is ``start``..``end``: clinic-local dates, ``end`` EXCLUSIVE. An appointment belongs to
  the period (day, hour, week, month) of its start in the clinic's zone (``db.settings.timezone``).
* The no-show rate is ``clinic.analytics.no_show_rate``: no_show ÷ (completed + no_show). So the
  ``appointments`` column of the no-show reports counts those two statuses only (the appointments
  whose outcome is known: seen or missed); NULL rate when there are none.
* Weeks start on Monday (ISO); ``week`` is that Monday, a date, even when the period starts later in
  the week. Weekly and monthly reports list every week (month) of the period, with zeros.
* Money is summed in SQL as DECIMAL. ``.df()`` hands it over as float: for charts and CSV only.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pandas as pd

from clinic import analytics
from clinic import timeutil
from db import Connection, read, read_df, settings

# How far before the period booked_at is placed exactly: past the last lead-time limit, with a day to
# spare, a booking is in the last bucket even an offset change away.
LEAD_TIME_REACH = timedelta(days=analytics.LEAD_TIME_LIMITS[-1] + 2)
BY = ("weekday", "hour", "provider", "visit_type", "lead_time", "age_group", "reminder", "new_vs_returning")

_OFFSET = re.compile(r"%OFFSET\[(.+?)\]%")


def local_time(us: str) -> str:
    """SQL for the clinic-local wall-clock TIMESTAMP of ``us`` (an SQL expression of this module:
    epoch microseconds of an instant), placed by $since/$offsets (see ``LOCAL_TIME``). It holds a
    marker that :func:`with_offsets` writes out once the number of offsets is known."""
    return f"make_timestamp({us} + %OFFSET[{us}]%)"


@functools.lru_cache(maxsize=256)
def with_offsets(sql: str, count: int) -> str:
    """``sql`` with each :func:`local_time` marker written out for ``count`` offsets ($offsets[1]
    from the beginning of time, each next one from its $since on). Only the number of branches
    varies with the zone; the instants and offsets stay parameters."""
    def case(match: re.Match) -> str:
        us = match.group(1)
        branches = "".join(f" WHEN {us} >= list_extract(CAST($since AS BIGINT[]), {n})"
                           f" THEN list_extract(CAST($offsets AS BIGINT[]), {n})" for n in range(count, 1, -1))
        first = "list_extract(CAST($offsets AS BIGINT[]), 1)"
        return f"CASE{branches} ELSE {first} END" if branches else first

    return _OFFSET.sub(case, sql)


# An appointment's clinic-local start, from ``us`` (its start in epoch microseconds) and the zone's
# UTC offsets over the period ($since: the instants each offset starts, $offsets: the offsets, both
# from zoneinfo in :func:`utc_offsets`). timezone() with ICU, row by row, cost about three times as
# much over a year of the large clinic. The marker is written out by :func:`with_offsets` (run()
# does it) as a CASE over the period's few offset changes, latest first: a list lambda looking
# them up (list_filter per row) cost a third of a year's no-show query.
LOCAL_TIME = local_time("us")

# The period's appointments whose outcome is known (completed or no-show), with their clinic-local
# start. ``missed`` is the no-show flag that every rate sums.
_DUE = """
WITH due AS (
    SELECT *, """ + LOCAL_TIME + """ AS local_start FROM (
        SELECT a.id, a.patient_id, a.provider_id, a.type_id, a.status = 'no_show' AS missed,
               a.reminder_outcome, a.reminder_sent, a.booked_at, a.start_at, epoch_us(a.start_at) AS us
        FROM appointments a
        WHERE a.start_at >= $lo AND a.start_at < $hi AND a.status IN ('completed', 'no_show')
          AND (CAST($provider_id AS BIGINT) IS NULL OR a.provider_id = $provider_id)
          AND (CAST($type_id AS BIGINT) IS NULL OR a.type_id = $type_id))
)"""

_COUNTS = "count(*) AS appointments, count(*) FILTER (WHERE missed) AS no_shows"
# clinic.analytics.no_show_rate, in SQL.
_RATE = "CAST(no_shows AS DOUBLE) / nullif(appointments, 0) AS rate"

# For each ``by``: ``keyed`` counts per a raw key in one pass over ``due`` (an integer or a short
# text, few distinct values), ``named`` turns each key into its position (ord) and label ("group").
# Buckets go by the number of limits below the value (clinic.analytics._bucket).
_KEYED = {
    "weekday": "SELECT isodow(local_start) AS k, " + _COUNTS + " FROM due GROUP BY k",
    "hour": "SELECT hour(local_start) AS k, " + _COUNTS + " FROM due GROUP BY k",
    "provider": "SELECT provider_id AS k, " + _COUNTS + " FROM due GROUP BY k",
    "visit_type": "SELECT type_id AS k, " + _COUNTS + " FROM due GROUP BY k",
    # Start date minus booked date, both in the clinic's calendar. booked_at is placed by the same
    # offsets, taken from LEAD_TIME_REACH days before the period (no_show_rates): a booking made
    # before that is "31+" whatever its offset. (timezone() with ICU per row took 60% of the query.)
    "lead_time": "SELECT CAST(local_start AS DATE) - CAST(" + local_time("epoch_us(booked_at)")
                 + " AS DATE) AS k, " + _COUNTS + " FROM due GROUP BY k",
    # Full years on the appointment's date (a 29 February birthday counts from 1 March), as
    # clinic.analytics.age_on.
    "age_group": "SELECT year(local_start) - year(p.date_of_birth)"
                 " - CASE WHEN month(local_start) < month(p.date_of_birth)"
                 " OR (month(local_start) = month(p.date_of_birth)"
                 " AND day(local_start) < day(p.date_of_birth)) THEN 1 ELSE 0 END AS k, " + _COUNTS
                 + " FROM due JOIN patients p ON p.id = due.patient_id GROUP BY k",
    "reminder": "SELECT coalesce(reminder_outcome, '') AS k, coalesce(reminder_sent, FALSE) AS sent, " + _COUNTS
                + " FROM due GROUP BY k, sent",
    # New: the patient's first completed-or-no-show appointment ever (at any provider).
    "new_vs_returning": "SELECT CASE WHEN due.start_at <= f.first_at THEN 0 ELSE 1 END AS k, " + _COUNTS
                        + " FROM due JOIN firsts f ON f.patient_id = due.patient_id GROUP BY k",
}
_BUCKET = "len(list_filter(CAST($limits AS BIGINT[]), lambda x: x < k))"
_NAMED = {
    "weekday": "SELECT k AS ord, list_extract(CAST($labels AS VARCHAR[]), k) AS label, appointments, no_shows"
               " FROM keyed",
    "hour": "SELECT k AS ord, k AS label, appointments, no_shows FROM keyed",
    "provider": "SELECT lower(p.name) AS ord, p.name AS label, appointments, no_shows"
                " FROM keyed JOIN providers p ON p.id = keyed.k",
    "visit_type": "SELECT lower(v.name) AS ord, v.name AS label, appointments, no_shows"
                  " FROM keyed JOIN visit_types v ON v.id = keyed.k",
    "lead_time": "SELECT " + _BUCKET + " AS ord, appointments, no_shows FROM keyed",
    "age_group": "SELECT " + _BUCKET + " AS ord, appointments, no_shows FROM keyed",
    # A call's outcome: its group number from two parallel lists (clinic.analytics.reminder_group);
    # no call: "reminder sent" when one was (imported records), else "no reminder recorded".
    "reminder": "SELECT CASE WHEN k <> '' THEN coalesce(list_extract(CAST($group_of AS BIGINT[]),"
                " list_position(CAST($outcomes AS VARCHAR[]), k)), $none_group)"
                " WHEN sent THEN $sent_group ELSE $none_group END AS ord, appointments, no_shows FROM keyed",
    "new_vs_returning": "SELECT k AS ord, appointments, no_shows FROM keyed",
}
# Every patient's first completed-or-no-show start up to the period's end. (Restricting it to the
# period's patients with IN (SELECT ...) made it twice as slow on the large clinic.)
_FIRSTS = """,
firsts AS (
    SELECT patient_id, min(start_at) AS first_at FROM appointments
    WHERE status IN ('completed', 'no_show') AND start_at < $hi
    GROUP BY patient_id
)"""
# Labelled in SQL from the position, when the position is all the key says.
_BY_POSITION = """
SELECT list_extract(CAST($labels AS VARCHAR[]), ord + 1) AS "group", CAST(sum(appointments) AS BIGINT) AS appointments,
       CAST(sum(no_shows) AS BIGINT) AS no_shows
FROM named GROUP BY ord ORDER BY ord"""
_BY_LABEL = """
SELECT label AS "group", CAST(sum(appointments) AS BIGINT) AS appointments, CAST(sum(no_shows) AS BIGINT) AS no_shows
FROM named GROUP BY ord, label ORDER BY ord, label"""


def _by_sql(by: str) -> str:
    """The whole no-show-by-group query of ``by``, from the fixed pieces above (built once, at import)."""
    final = _BY_LABEL if by in ("weekday", "hour", "provider", "visit_type") else _BY_POSITION
    firsts = _FIRSTS if by == "new_vs_returning" else ""
    return (_DUE + firsts + ",\nkeyed AS (" + _KEYED[by] + "),\nnamed AS (" + _NAMED[by] + ")\nSELECT *, " + _RATE
            + " FROM (" + final + ")")


_NO_SHOW_RATES = {by: _by_sql(by) for by in BY}

_REMINDER_OUTCOMES = list(analytics.REMINDER_GROUP_OF)
_LABELS: dict[str, dict[str, Any]] = {
    "weekday": {"labels": list(analytics.WEEKDAYS)},
    "lead_time": {"labels": list(analytics.LEAD_TIME_BUCKETS), "limits": list(analytics.LEAD_TIME_LIMITS)},
    "age_group": {"labels": list(analytics.AGE_GROUPS), "limits": list(analytics.AGE_LIMITS)},
    "reminder": {"labels": list(analytics.REMINDER_GROUPS), "outcomes": _REMINDER_OUTCOMES,
                 "group_of": [analytics.REMINDER_GROUPS.index(analytics.REMINDER_GROUP_OF[o])
                              for o in _REMINDER_OUTCOMES],
                 "sent_group": analytics.REMINDER_GROUPS.index(analytics.REMINDER_SENT),
                 "none_group": analytics.REMINDER_GROUPS.index(analytics.NO_REMINDER)},
    "new_vs_returning": {"labels": list(analytics.NEW_VS_RETURNING)},
}


# --- plumbing ----------------------------------------------------------------------------------

PARAM = re.compile(r"\$(\w+)")


def run(conn: Connection, sql: str, params: dict[str, Any], *, frame: bool = True):
    """Run ``sql`` with the parameters it names (DuckDB refuses unused named parameters)."""
    if "%OFFSET[" in sql:
        sql = with_offsets(sql, len(params["offsets"]))
    used = set(PARAM.findall(sql))
    values = {k: v for k, v in params.items() if k in used}
    return read_df(conn, sql, values) if frame else read(conn, sql, values)


def period_params(conn: Connection, start: date, end: date, tz: str | None) -> dict[str, Any]:
    """The parameters every report shares: the zone, the period's UTC bounds [lo, hi) and the
    zone's UTC offsets over it (``LOCAL_TIME``)."""
    if end < start:
        raise ValueError("the period ends before it starts")
    tz = tz or settings.timezone(conn)
    lo, _ = timeutil.day_bounds(start, tz)
    hi, _ = timeutil.day_bounds(end, tz)
    since, offsets = utc_offsets(tz, lo, hi)
    return {"tz": tz, "lo": lo, "hi": hi, "start": start, "end": end, "since": since, "offsets": offsets}


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_US = timedelta(microseconds=1)


def utc_offsets(tz: str, lo: datetime, hi: datetime) -> tuple[list[int], list[int]]:
    """The UTC offsets of zone ``tz`` over [lo, hi] in microseconds, each with the instant (epoch
    microseconds) from which it holds; the first holds from the beginning of time. Found a day at a
    time, each change then pinned to the microsecond by halving."""
    zone = timeutil.zone(tz)

    def offset(instant: datetime) -> timedelta:
        return instant.astimezone(zone).utcoffset() or timedelta(0)

    since, offsets = [-(2**62)], [offset(lo)]
    day, current = lo, offsets[0]
    while day < hi:
        after = min(day + timedelta(days=1), hi)
        if offset(after) != current:
            before, changed = day, after  # offset(before) == current != offset(changed)
            while changed - before > _US:
                middle = before + (changed - before) // 2
                before, changed = (middle, changed) if offset(middle) == current else (before, middle)
            current = offset(changed)
            since.append((changed - _EPOCH) // _US)
            offsets.append(current)
        day = after
    return since, [o // _US for o in offsets]


def _weeks(start: date, end: date) -> list[date]:
    """The Mondays of the weeks that hold a day of [start, end)."""
    first = start - timedelta(days=start.weekday())
    return [first + timedelta(days=n) for n in range(0, (end - first).days, 7)] if end > start else []


def months_of(start: date, end: date) -> list[date]:
    """The 1sts of the months that hold a day of [start, end)."""
    months, month = [], start.replace(day=1)
    while month < end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


# --- no-shows ----------------------------------------------------------------------------------


def no_show_rates(conn: Connection, by: str, *, start: date, end: date, provider_id: int | None = None,
                  type_id: int | None = None, tz: str | None = None) -> pd.DataFrame:
    """The no-show rate per group of ``by`` over the appointments starting in [start, end).

    Columns: ``group``, ``appointments`` (completed + no-show), ``no_shows``, ``rate`` (float).
    ``by`` is one of :data:`BY`:

    * ``weekday``: "Monday".."Sunday", in that order; ``hour``: the clinic-local hour 0-23 (an integer);
    * ``provider`` / ``visit_type``: their names, alphabetical;
    * ``lead_time``: ``clinic.analytics.LEAD_TIME_BUCKETS`` (start date minus booked date);
    * ``age_group``: ``clinic.analytics.AGE_GROUPS`` (age on the appointment's date);
    * ``reminder``: ``clinic.analytics.REMINDER_GROUPS``: the reminder call's outcome, else whether a
      reminder was sent (imported records' ``reminder_sent``), else "no reminder recorded";
    * ``new_vs_returning``: "new" for the patient's first completed-or-no-show appointment ever, else "returning".

    Groups without a completed or missed appointment are left out (an empty period: no rows).
    Raises ValueError for an unknown ``by``.
    """
    if by not in _NO_SHOW_RATES:
        raise ValueError(f"by must be one of {', '.join(BY)}")
    params = {**period_params(conn, start, end, tz), "provider_id": provider_id, "type_id": type_id, **_LABELS.get(by, {})}
    if by == "lead_time":  # the offsets must also hold for the bookings made up to LEAD_TIME_REACH days before
        params["since"], params["offsets"] = utc_offsets(params["tz"], params["lo"] - LEAD_TIME_REACH, params["hi"])
    return run(conn, _NO_SHOW_RATES[by], params)


_WEEKLY_RATE = _DUE + """,
per_week AS (SELECT CAST(date_trunc('week', local_start) AS DATE) AS week, """ + _COUNTS + """ FROM due GROUP BY week)
SELECT w.week, CAST(coalesce(p.appointments, 0) AS BIGINT) AS appointments,
       CAST(coalesce(p.no_shows, 0) AS BIGINT) AS no_shows,
       CAST(p.no_shows AS DOUBLE) / nullif(p.appointments, 0) AS rate
FROM (SELECT unnest(CAST($weeks AS DATE[])) AS week) w LEFT JOIN per_week p ON p.week = w.week
ORDER BY w.week"""


def weekly_no_show_rate(conn: Connection, *, start: date, end: date, provider_id: int | None = None,
                        type_id: int | None = None, tz: str | None = None) -> pd.DataFrame:
    """The no-show rate per clinic-local week. Columns: ``week`` (its Monday), ``appointments``
    (completed + no-show), ``no_shows``, ``rate`` (NaN in a week with neither). Every week of the
    period has a row; the first and last may be partial weeks."""
    params = {**period_params(conn, start, end, tz), "provider_id": provider_id, "type_id": type_id,
              "weeks": _weeks(start, end)}
    return run(conn, _WEEKLY_RATE, params)


_REPEAT = _DUE + """,
per_patient AS (
    SELECT patient_id, """ + _COUNTS + """, CAST(max(local_start) FILTER (WHERE missed) AS DATE) AS last_no_show
    FROM due GROUP BY patient_id HAVING count(*) FILTER (WHERE missed) >= $min_count
)
SELECT r.patient_id, p.last_name || ', ' || p.first_name AS patient, p.mrn, p.phone_mobile AS phone,
       r.appointments, r.no_shows, CAST(r.no_shows AS DOUBLE) / r.appointments AS rate, r.last_no_show
FROM per_patient r JOIN patients p ON p.id = r.patient_id
ORDER BY r.no_shows DESC, r.last_no_show DESC, patient, r.patient_id"""


def repeat_no_shows(conn: Connection, *, start: date, end: date, min_count: int = 2, provider_id: int | None = None,
                    type_id: int | None = None, tz: str | None = None) -> pd.DataFrame:
    """Patients with at least ``min_count`` no-shows in the period, most no-shows first. Columns:
    patient_id, patient ("Last, First"), mrn, phone, appointments (completed + no-show in the period),
    no_shows, rate, last_no_show (clinic-local date)."""
    if min_count < 1:
        raise ValueError("min_count must be at least 1")
    params = {**period_params(conn, start, end, tz), "provider_id": provider_id, "type_id": type_id, "min_count": min_count}
    return run(conn, _REPEAT, params)


# Each no-show at the price in force on its clinic-local day for its visit type's default fee code
# (db.fees.price_on: active, effective that day, latest start wins). Counted per day and code first,
# so the fee schedule is joined on a few thousand rows. A no-show whose type has no fee code, or
# whose code has no price that day, is "unpriced" and adds nothing.
_PRICED = _DUE + """,
missed AS (
    SELECT CAST(d.local_start AS DATE) AS day, upper(trim(v.default_fee_code)) AS code, count(*) AS n
    FROM due d JOIN visit_types v ON v.id = d.type_id WHERE d.missed GROUP BY ALL
),
priced AS (
    SELECT m.day, m.n, f.price FROM missed m
    LEFT JOIN fee_schedule f ON f.code = m.code AND f.active AND f.effective_from <= m.day
         AND (f.effective_to IS NULL OR f.effective_to >= m.day)
    QUALIFY row_number() OVER (PARTITION BY m.day, m.code ORDER BY f.effective_from DESC NULLS LAST, f.id DESC) = 1
)"""
_LOST = "CAST(coalesce(sum(n * price), 0) AS DECIMAL(18, 2))"
_REVENUE_TOTAL = _PRICED + "\nSELECT " + _LOST + " AS revenue_lost, CAST(coalesce(sum(n), 0) AS BIGINT) AS no_shows," \
    " CAST(coalesce(sum(n) FILTER (WHERE price IS NULL), 0) AS BIGINT) AS unpriced FROM priced"
_REVENUE_WEEKLY = _PRICED + """,
per_week AS (
    SELECT CAST(date_trunc('week', day) AS DATE) AS week, sum(n) AS n, """ + _LOST + """ AS lost,
           sum(n) FILTER (WHERE price IS NULL) AS unpriced
    FROM priced GROUP BY week
)
SELECT w.week, CAST(coalesce(p.n, 0) AS BIGINT) AS no_shows,
       CAST(coalesce(p.lost, 0) AS DECIMAL(18, 2)) AS revenue_lost, CAST(coalesce(p.unpriced, 0) AS BIGINT) AS unpriced
FROM (SELECT unnest(CAST($weeks AS DATE[])) AS week) w LEFT JOIN per_week p ON p.week = w.week
ORDER BY w.week"""


def revenue_lost(conn: Connection, *, start: date, end: date, provider_id: int | None = None,
                 type_id: int | None = None, tz: str | None = None) -> Decimal:
    """Estimated revenue lost to no-shows in the period: each no-show's visit type default fee, at
    its price on the day (see ``_PRICED``), summed in SQL. Decimal, 0.00 when none."""
    return revenue_lost_detail(conn, start=start, end=end, provider_id=provider_id, type_id=type_id,
                               tz=tz)["revenue_lost"]


def revenue_lost_detail(conn: Connection, *, start: date, end: date, provider_id: int | None = None,
                        type_id: int | None = None, tz: str | None = None) -> dict[str, Any]:
    """{"revenue_lost": Decimal, "no_shows": int, "unpriced": int (no-shows without a fee that day)}."""
    params = {**period_params(conn, start, end, tz), "provider_id": provider_id, "type_id": type_id}
    lost, no_shows, unpriced = run(conn, _REVENUE_TOTAL, params, frame=False)[0]
    return {"revenue_lost": lost, "no_shows": int(no_shows), "unpriced": int(unpriced)}


def revenue_lost_by_week(conn: Connection, *, start: date, end: date, provider_id: int | None = None,
                         type_id: int | None = None, tz: str | None = None) -> pd.DataFrame:
    """Revenue lost to no-shows per clinic-local week. Columns: week, no_shows, revenue_lost
    (DECIMAL in SQL, float in the frame: chart and CSV only), unpriced. Every week has a row."""
    params = {**period_params(conn, start, end, tz), "provider_id": provider_id, "type_id": type_id,
              "weeks": _weeks(start, end)}
    return run(conn, _REVENUE_WEEKLY, params)


_LATE = """
WITH lost AS (
    SELECT """ + LOCAL_TIME + """ AS local_start, missed FROM (
        SELECT epoch_us(start_at) AS us, status = 'no_show' AS missed
        FROM appointments
        WHERE start_at >= $lo AND start_at < $hi AND (status = 'no_show' OR (status = 'cancelled' AND late_cancel))
          AND (CAST($provider_id AS BIGINT) IS NULL OR provider_id = $provider_id)
          AND (CAST($type_id AS BIGINT) IS NULL OR type_id = $type_id))
),
per_week AS (
    SELECT CAST(date_trunc('week', local_start) AS DATE) AS week, count(*) FILTER (WHERE NOT missed) AS late,
           count(*) FILTER (WHERE missed) AS no_shows
    FROM lost GROUP BY week
)
SELECT w.week, CAST(coalesce(p.late, 0) AS BIGINT) AS late_cancellations,
       CAST(coalesce(p.no_shows, 0) AS BIGINT) AS no_shows
FROM (SELECT unnest(CAST($weeks AS DATE[])) AS week) w LEFT JOIN per_week p ON p.week = w.week
ORDER BY w.week"""


def late_cancellations(conn: Connection, *, start: date, end: date, provider_id: int | None = None,
                       type_id: int | None = None, tz: str | None = None) -> pd.DataFrame:
    """Late cancellations (cancelled within the late-cancel notice, ``late_cancel``) beside no-shows,
    per clinic-local week of the appointment's start. Columns: week, late_cancellations, no_shows.
    Every week has a row."""
    params = {**period_params(conn, start, end, tz), "provider_id": provider_id, "type_id": type_id,
              "weeks": _weeks(start, end)}
    return run(conn, _LATE, params)


_SUMMARY = """
SELECT count(*) FILTER (WHERE status = 'completed') AS completed,
       count(*) FILTER (WHERE status = 'no_show') AS no_shows,
       count(*) FILTER (WHERE status = 'cancelled' AND late_cancel) AS late_cancels,
       count(*) FILTER (WHERE status <> 'cancelled') AS booked
FROM appointments
WHERE start_at >= $lo AND start_at < $hi
  AND (CAST($provider_id AS BIGINT) IS NULL OR provider_id = $provider_id)
  AND (CAST($type_id AS BIGINT) IS NULL OR type_id = $type_id)"""


def no_show_summary(conn: Connection, *, start: date, end: date, provider_id: int | None = None,
                    type_id: int | None = None, tz: str | None = None) -> dict[str, Any]:
    """The no-show tiles' numbers for the period: ``appointments`` (completed + no-show),
    ``no_shows``, ``completed``, ``rate`` (float or None), ``late_cancels``, ``booked`` (every
    status but cancelled, as ``clinic.analytics.booked_count``), ``revenue_lost`` (Decimal) and
    ``unpriced`` (no-shows without a fee on their day)."""
    params = {**period_params(conn, start, end, tz), "provider_id": provider_id, "type_id": type_id}
    completed, no_shows, late, booked = (int(n) for n in run(conn, _SUMMARY, params, frame=False)[0])
    lost = revenue_lost_detail(conn, start=start, end=end, provider_id=provider_id, type_id=type_id, tz=params["tz"])
    return {"appointments": completed + no_shows, "no_shows": no_shows, "completed": completed,
            "rate": analytics.no_show_rate(no_shows, completed), "late_cancels": late, "booked": booked,
            "revenue_lost": lost["revenue_lost"], "unpriced": lost["unpriced"]}
