"""The office manager's waits on the large clinic: each Analytics query over the last 365 days
(db.reports: no-show rates by every grouping, the weekly rate; db.utilization_reports; db.billing_reports:
charges and collections, denial rate by payer, days to payment) and, beside each no-show one, the
same KPI done the pandas way: one plain SELECT of the raw rows fetched with ``.df()``, then a
pandas groupby (its time includes the fetch). Before timing, each pandas figure is checked against
the SQL one (appointments and no-shows per group, in the report's order): a difference raises
AssertionError, so a benchmark run also proves the two agree on a year of the large clinic.

Called by ``python -m bench`` (bench/__main__.py), which passes its ``measure`` (median of repeated
runs after a warm-up) and the baseline to report each figure against.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

import db
from clinic import analytics, timeutil

_OUTCOME = "a.status IN ('completed', 'no_show')"
_PERIOD = " WHERE a.start_at >= $lo AND a.start_at < $hi AND " + _OUTCOME
# The raw rows each pandas version reads: no grouping, no date arithmetic, only what it needs.
_RAW = {
    "weekday": "SELECT a.start_at, a.status FROM appointments a" + _PERIOD,
    "hour": "SELECT a.start_at, a.status FROM appointments a" + _PERIOD,
    "provider": "SELECT a.start_at, a.status, p.name AS label FROM appointments a"
                " JOIN providers p ON p.id = a.provider_id" + _PERIOD,
    "visit_type": "SELECT a.start_at, a.status, v.name AS label FROM appointments a"
                  " JOIN visit_types v ON v.id = a.type_id" + _PERIOD,
    "lead_time": "SELECT a.start_at, a.status, a.booked_at FROM appointments a" + _PERIOD,
    "age_group": "SELECT a.start_at, a.status, p.date_of_birth FROM appointments a"
                 " JOIN patients p ON p.id = a.patient_id" + _PERIOD,
    "reminder": "SELECT a.start_at, a.status, a.reminder_outcome, a.reminder_sent FROM appointments a" + _PERIOD,
    # Whether new needs each patient's first outcome ever: every outcome up to the period's end.
    "new_vs_returning": "SELECT a.patient_id, a.start_at, a.status FROM appointments a"
                        " WHERE a.start_at < $hi AND " + _OUTCOME,
    "weekly": "SELECT a.start_at, a.status FROM appointments a" + _PERIOD,
}


def cases(conn: db.Connection, repeat: int, baseline: float, today: date, tz: str,
          measure: Callable[[Callable[[], object], int], float]) -> dict[str, dict[str, float]]:
    from db import billing_reports, reports, utilization_reports

    year = {"start": today - timedelta(days=365), "end": today}
    lo, hi = timeutil.day_bounds(year["start"], tz)[0], timeutil.day_bounds(year["end"], tz)[0]
    timed: dict[str, Callable[[], object]] = {}
    for by in reports.BY:
        name = f"no-show rate by {by.replace('_', ' ')}, a year"
        sql = (lambda by=by: reports.no_show_rates(conn, by, **year, tz=tz))
        frame = (lambda by=by: pandas_no_show_rates(conn, by, lo=lo, hi=hi, tz=tz))
        check(name, sql(), frame(), key="group")
        timed[name] = sql
        timed[name + " (pandas)"] = frame
    name = "weekly no-show rate, a year"
    sql = (lambda: reports.weekly_no_show_rate(conn, **year, tz=tz))
    frame = (lambda: pandas_weekly_no_show_rate(conn, **year, lo=lo, hi=hi, tz=tz))
    check(name, sql(), frame(), key="week")
    timed[name] = sql
    timed[name + " (pandas)"] = frame
    timed["utilization per provider-week, a year"] = lambda: utilization_reports.utilization(conn, **year, tz=tz)
    timed["charges and collections by month, a year"] = lambda: billing_reports.charges_and_collections(
        conn, **year, by="month")
    timed["denial rate by payer, a year"] = lambda: billing_reports.denial_rates(conn, **year, by="payer")
    timed["days to payment by payer, a year"] = lambda: billing_reports.days_to_payment(conn, **year)

    results = {}
    for name, fn in timed.items():
        median = measure(fn, repeat)
        results[name] = {"median_ms": median * 1000, "ratio": median / baseline}
    return results


def check(name: str, sql: pd.DataFrame, frame: pd.DataFrame, *, key: str) -> None:
    """Raise AssertionError unless both give the same groups, in the same order, with the same
    appointments and no-shows."""
    def rows(df: pd.DataFrame) -> list[tuple[str, int, int]]:
        keys = [k.isoformat() if isinstance(k, date) else str(k)
                for k in (pd.to_datetime(df[key]).dt.date if key == "week" else df[key])]
        return [(k, int(n), int(m)) for k, n, m in zip(keys, df["appointments"], df["no_shows"])]

    want, got = rows(sql), rows(frame)
    if want != got:
        only_sql = [r for r in want if r not in got]
        only_pandas = [r for r in got if r not in want]
        raise AssertionError(f"{name}: pandas differs from SQL (group, appointments, no_shows): "
                             f"SQL only {only_sql}, pandas only {only_pandas}"
                             + ("" if only_sql or only_pandas else f"; order SQL {want} vs pandas {got}"))


# --- the pandas versions -----------------------------------------------------------------------


def _fetch(conn: db.Connection, which: str, **params: datetime) -> pd.DataFrame:
    return db.read_df(conn, _RAW[which], params)


def _local(instants: pd.Series, tz: str) -> pd.Series:
    """Clinic-local wall-clock times (naive) of UTC instants."""
    return pd.to_datetime(instants, utc=True).dt.tz_convert(tz).dt.tz_localize(None)


def _count(missed: pd.Series, keys) -> pd.DataFrame:
    """appointments and no_shows per key (a Series or a list of them), keys as the index."""
    return (missed.groupby(keys).agg(["size", "sum"]).rename(columns={"size": "appointments", "sum": "no_shows"})
            .astype("int64"))


def _framed(counts: pd.DataFrame, labels) -> pd.DataFrame:
    """The report's columns from counts indexed by the sort key, ``labels`` naming each key."""
    counts = counts.sort_index()
    out = pd.DataFrame({"group": [labels(k) for k in counts.index], "appointments": counts["appointments"].to_numpy(),
                        "no_shows": counts["no_shows"].to_numpy()})
    out["rate"] = out["no_shows"] / out["appointments"].where(out["appointments"] > 0)
    return out


def pandas_no_show_rates(conn: db.Connection, by: str, *, lo: datetime, hi: datetime, tz: str) -> pd.DataFrame:
    """db.reports.no_show_rates(conn, by, ...) for the period [lo, hi) (UTC instants), computed in pandas."""
    if by == "new_vs_returning":
        df = _fetch(conn, by, hi=hi)
        start = pd.to_datetime(df["start_at"], utc=True)
        first = start.groupby(df["patient_id"]).transform("min")
        inside = start >= pd.Timestamp(lo)
        returning = (start > first).astype("int64")[inside]
        counts = _count((df["status"] == "no_show")[inside], returning)
        return _framed(counts, lambda k: analytics.NEW_VS_RETURNING[k])

    df = _fetch(conn, by, lo=lo, hi=hi)
    missed = df["status"] == "no_show"
    local = _local(df["start_at"], tz)
    if by == "weekday":
        return _framed(_count(missed, local.dt.day_of_week), lambda k: analytics.WEEKDAYS[k])
    if by == "hour":
        return _framed(_count(missed, local.dt.hour), int)
    if by in ("provider", "visit_type"):
        counts = _count(missed, [df["label"].str.lower().rename("ord"), df["label"]])
        return _framed(counts, lambda k: k[1])
    if by == "lead_time":
        days = (local.dt.normalize() - _local(df["booked_at"], tz).dt.normalize()).dt.days
        ord_ = pd.Series(np.searchsorted(analytics.LEAD_TIME_LIMITS, days.to_numpy(), side="left"), index=df.index)
        return _framed(_count(missed, ord_), lambda k: analytics.LEAD_TIME_BUCKETS[k])
    if by == "age_group":
        born = pd.to_datetime(df["date_of_birth"])
        before_birthday = (local.dt.month < born.dt.month) | (
            (local.dt.month == born.dt.month) & (local.dt.day < born.dt.day))
        years = local.dt.year - born.dt.year - before_birthday.astype("int64")
        ord_ = pd.Series(np.searchsorted(analytics.AGE_LIMITS, years.to_numpy(), side="left"), index=df.index)
        return _framed(_count(missed, ord_), lambda k: analytics.AGE_GROUPS[k])
    if by == "reminder":
        outcome = df["reminder_outcome"].fillna("").astype(str).rename("outcome")
        sent = df["reminder_sent"].fillna(False).astype(bool).rename("sent")
        pairs = _count(missed, [outcome, sent]).reset_index()
        pairs["ord"] = [analytics.REMINDER_GROUPS.index(analytics.reminder_group(o, s))
                        for o, s in zip(pairs["outcome"], pairs["sent"])]
        counts = pairs.groupby("ord")[["appointments", "no_shows"]].sum()
        return _framed(counts, lambda k: analytics.REMINDER_GROUPS[k])
    raise ValueError(f"unknown by {by!r}")


def pandas_weekly_no_show_rate(conn: db.Connection, *, start: date, end: date, lo: datetime, hi: datetime,
                               tz: str) -> pd.DataFrame:
    """db.reports.weekly_no_show_rate over [start, end) computed in pandas: every week, with zeros."""
    df = _fetch(conn, "weekly", lo=lo, hi=hi)
    local = _local(df["start_at"], tz).dt.normalize()
    week = (local - pd.to_timedelta(local.dt.day_of_week, unit="D")).rename("week")
    first = start - timedelta(days=start.weekday())
    weeks = pd.DatetimeIndex(pd.date_range(first, end - timedelta(days=1), freq="7D"), name="week")
    counts = _count(df["status"] == "no_show", week).reindex(weeks, fill_value=0)
    out = counts.reset_index()
    out["rate"] = out["no_shows"] / out["appointments"].where(out["appointments"] > 0)
    return out
