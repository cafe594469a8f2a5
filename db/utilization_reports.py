"""Utilization, for the manager: booked minutes ÷ available minutes per provider per clinic-local
week, new patients per month, completed visits per provider-day, and the period's totals for the
tiles. SQL in DuckDB, through db/reports.py's plumbing (clinic-local times from the zone's UTC
offsets, parameters by name); start/end are clinic-local dates, end exclusive.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd

from clinic import analytics
from db import Connection, availability
from db.reports import LOCAL_TIME, months_of, period_params, run


# --- utilization -------------------------------------------------------------------------------

# Available minutes: each open clinic-local day of the period (not a closure, not a public holiday
# the clinic keeps), each provider's weekly hours block that weekday, as real instants (a block on
# a daylight-saving night is as long as it really is), minus the provider's time off. Overlapping
# time-off entries are merged first (gaps and islands), so an hour off twice counts once. (Trap:
# least() and greatest() skip NULLs, so a block without time off must be filtered, not coalesced.)
# Booked minutes: end minus start (not the cleaning buffer) of every appointment but cancelled ones
# (clinic.analytics.BOOKED_STATUSES: a no-show held its slot), in the week of its local start.
_UTILIZATION = """
WITH days AS (
    SELECT CAST(d AS DATE) AS day
    FROM (SELECT unnest(generate_series(CAST($start AS TIMESTAMP), CAST($end AS TIMESTAMP), INTERVAL 1 DAY)) AS d)
    WHERE d < CAST($end AS TIMESTAMP) AND NOT list_contains(CAST($closed AS DATE[]), CAST(d AS DATE))
),
blocks AS (
    SELECT h.provider_id, d.day, timezone($tz, d.day + h.start_time) AS b_start,
           timezone($tz, d.day + h.end_time) AS b_end
    FROM days d JOIN provider_hours h ON h.weekday = isodow(d.day) - 1
    WHERE CAST($provider_id AS BIGINT) IS NULL OR h.provider_id = $provider_id
),
off AS (
    SELECT provider_id, start_at, end_at,
           CASE WHEN start_at <= max(end_at) OVER (PARTITION BY provider_id ORDER BY start_at, end_at
                                                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                THEN 0 ELSE 1 END AS starts_island
    FROM provider_time_off
    WHERE start_at < $hi AND end_at > $lo AND (CAST($provider_id AS BIGINT) IS NULL OR provider_id = $provider_id)
),
islands AS (
    SELECT provider_id, start_at, end_at,
           sum(starts_island) OVER (PARTITION BY provider_id ORDER BY start_at, end_at ROWS UNBOUNDED PRECEDING)
               AS island
    FROM off
),
merged AS (
    SELECT provider_id, min(start_at) AS start_at, max(end_at) AS end_at FROM islands GROUP BY provider_id, island
),
open_blocks AS (
    SELECT b.provider_id, b.day, epoch_us(b.b_end) - epoch_us(b.b_start)
           - coalesce(sum(epoch_us(least(b.b_end, m.end_at)) - epoch_us(greatest(b.b_start, m.start_at)))
                      FILTER (WHERE m.provider_id IS NOT NULL), 0) AS us
    FROM blocks b LEFT JOIN merged m ON m.provider_id = b.provider_id AND m.start_at < b.b_end AND m.end_at > b.b_start
    GROUP BY b.provider_id, b.day, b.b_start, b.b_end
),
available AS (
    SELECT provider_id, CAST(date_trunc('week', day) AS DATE) AS week, sum(us) / 60000000 AS minutes
    FROM open_blocks GROUP BY ALL
),
booked AS (
    SELECT provider_id, CAST(date_trunc('week', """ + LOCAL_TIME + """) AS DATE) AS week, sum(held) / 60000000 AS minutes
    FROM (SELECT provider_id, epoch_us(start_at) AS us, epoch_us(end_at) - epoch_us(start_at) AS held
          FROM appointments
          WHERE start_at >= $lo AND start_at < $hi AND status <> 'cancelled'
            AND (CAST($provider_id AS BIGINT) IS NULL OR provider_id = $provider_id))
    GROUP BY ALL
)
SELECT coalesce(a.week, b.week) AS week, p.id AS provider_id, p.name AS provider,
       CAST(round(coalesce(b.minutes, 0)) AS BIGINT) AS booked_min,
       CAST(round(coalesce(a.minutes, 0)) AS BIGINT) AS available_min,
       coalesce(b.minutes, 0) / nullif(a.minutes, 0) AS rate
FROM available a FULL JOIN booked b ON b.provider_id = a.provider_id AND b.week = a.week
JOIN providers p ON p.id = coalesce(a.provider_id, b.provider_id)
WHERE coalesce(b.minutes, 0) > 0 OR (p.active AND coalesce(a.minutes, 0) > 0)
ORDER BY week, lower(p.name), p.id"""


def utilization(conn: Connection, *, start: date, end: date, provider_id: int | None = None,
                tz: str | None = None) -> pd.DataFrame:
    """Booked minutes ÷ available minutes per provider per clinic-local week (see ``_UTILIZATION``
    for what each counts). Columns: week (Monday), provider_id, provider, booked_min, available_min,
    rate (``clinic.analytics.utilization_rate``; NaN without available time; above 1 when booked
    beyond their hours). A provider appears in a week they had bookings, or hours while active."""
    params = period_params(conn, start, end, tz)
    closed = sorted(availability.closures_between(conn, start, end - timedelta(days=1))) if end > start else []
    params.update({"provider_id": provider_id, "closed": closed})
    return run(conn, _UTILIZATION, params)


_NEW_PATIENTS = """
WITH firsts AS (
    SELECT patient_id, min(start_at) AS first_at FROM appointments WHERE status = 'completed' GROUP BY patient_id
),
per_month AS (
    SELECT CAST(date_trunc('month', """ + LOCAL_TIME + """) AS DATE) AS month, count(*) AS n
    FROM (SELECT epoch_us(first_at) AS us FROM firsts WHERE first_at >= $lo AND first_at < $hi) GROUP BY month
)
SELECT m.month, CAST(coalesce(p.n, 0) AS BIGINT) AS new_patients
FROM (SELECT unnest(CAST($months AS DATE[])) AS month) m LEFT JOIN per_month p ON p.month = m.month
ORDER BY m.month"""


def new_patients_by_month(conn: Connection, *, start: date, end: date, tz: str | None = None) -> pd.DataFrame:
    """Patients seen for the first time (their first completed visit ever) per clinic-local month.
    Columns: month (its 1st), new_patients. Every month holding a day of the period has a row (the
    first and last count only the period's days)."""
    params = {**period_params(conn, start, end, tz), "months": months_of(start, end)}
    return run(conn, _NEW_PATIENTS, params)


_VISITS_PER_DAY = """
WITH per_day AS (
    SELECT provider_id, CAST(""" + LOCAL_TIME + """ AS DATE) AS day, count(*) AS visits
    FROM (SELECT provider_id, epoch_us(start_at) AS us FROM appointments
          WHERE start_at >= $lo AND start_at < $hi AND status = 'completed')
    GROUP BY ALL
)
SELECT p.id AS provider_id, p.name AS provider, CAST(count(*) AS BIGINT) AS days, CAST(sum(visits) AS BIGINT) AS visits,
       sum(visits) / count(*) AS visits_per_day
FROM per_day d JOIN providers p ON p.id = d.provider_id
GROUP BY p.id, p.name ORDER BY lower(p.name), p.id"""


def visits_per_provider_day(conn: Connection, *, start: date, end: date, tz: str | None = None) -> pd.DataFrame:
    """Completed visits per provider-day: for each provider with completed visits in the period,
    the clinic-local days they saw someone (days), the visits, and visits ÷ days. Alphabetical."""
    return run(conn, _VISITS_PER_DAY, period_params(conn, start, end, tz))


def utilization_summary(conn: Connection, *, start: date, end: date, provider_id: int | None = None,
                        tz: str | None = None) -> dict[str, Any]:
    """The period's totals for the tiles: booked and available minutes and their ratio (as
    :func:`utilization`, summed over weeks and providers), completed visits, provider-days with a
    completed visit and visits per provider-day, and new patients (first completed visit ever)."""
    params = period_params(conn, start, end, tz)
    closed = sorted(availability.closures_between(conn, start, end - timedelta(days=1))) if end > start else []
    params.update({"provider_id": provider_id, "closed": closed, "months": months_of(start, end)})
    [(booked, available)] = run(conn, "SELECT CAST(coalesce(sum(booked_min), 0) AS BIGINT),"
                                      " CAST(coalesce(sum(available_min), 0) AS BIGINT) FROM (" + _UTILIZATION + ")",
                                params, frame=False)
    [(days, visits)] = run(conn, "SELECT CAST(coalesce(sum(days), 0) AS BIGINT), CAST(coalesce(sum(visits), 0) AS BIGINT)"
                                 " FROM (" + _VISITS_PER_DAY + ") WHERE CAST($provider_id AS BIGINT) IS NULL"
                                 " OR provider_id = $provider_id", params, frame=False)
    [(new,)] = run(conn, "SELECT CAST(coalesce(sum(new_patients), 0) AS BIGINT) FROM (" + _NEW_PATIENTS + ")",
                   params, frame=False)
    return {"booked_min": booked, "available_min": available,
            "rate": analytics.utilization_rate(booked, available), "visits": visits, "provider_days": days,
            "visits_per_day": visits / days if days else None, "new_patients": new}
