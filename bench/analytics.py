"""The office manager's waits: every KPI query of Manager › Analytics over a year (the last 365
days, as the page's controls give a period), each beside a pandas version of the same KPI.

One row per KPI, group "analytics". ``median_ms``/``p95_ms`` time the app's own db/ function
(db.reports, db.billing_reports, db.utilization_reports, db.inventory_reports, db.stock_alerts).
The baseline is the way many Streamlit dashboards compute a KPI: the raw rows it needs loaded
into DataFrames, then pandas filters, joins and groupbys. ``baseline_ms`` is the pandas
computation alone with those DataFrames ALREADY in memory (loaded once, untimed: the strict
baseline of issue 15, as if ``st.cache_data`` held them), so ``ratio`` reads DuckDB ÷ pandas
(below 1: DuckDB faster). Each pandas version is given its best chance: it holds only the columns
it reads, and only the period's rows where the KPI needs no others (that filter is pushed into
its SELECT); no grouping and no date arithmetic happen in SQL.

``extra`` of a row with a pandas version:

* ``pandas_with_load_ms``: the median of fetching those raw rows (``.df()``) and computing.
* ``pandas_mb``: what pandas holds (the DataFrames' ``memory_usage(deep=True)``) plus the peak
  that tracemalloc sees during one computation (numpy and pandas' hash tables report to it).
* ``duckdb_mb``: the peak of DuckDB's own accounting (``sum(memory_usage_bytes)`` of
  ``duckdb_memory()``, polled every millisecond from a second cursor while the query runs) above
  what it held just before, plus the result DataFrame's size. DuckDB allocates through its buffer
  manager (hash tables, aggregate states, column blocks it reads), which tracemalloc cannot see;
  allocations outside it, and peaks shorter than a millisecond, are missed, so treat it as a
  lower bound. Blocks of the file already cached before the query are not counted: they are the
  database's page cache, not the query's (the warm case, as pandas' frames are warm too).

Before timing, each pandas result is checked against the SQL one (same rows in the same order;
counts exact, money to the cent since ``.df()`` hands DECIMAL over as float, rates to six decimals): a
difference raises AssertionError, so a benchmark run also proves the two agree on a year of the
large clinic. KPIs without a pandas version yet are timed alone (no baseline) and say so in
``extra["pandas"]``.
"""

from __future__ import annotations

import statistics
import threading
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

import db
from bench.core import Context, Row, percentile, sample, timed_row
from clinic import analytics, billing
from clinic import timeutil

BASELINE = "pandas, tables in memory"
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
    # Every status: the tiles count late cancellations and booked visits too.
    "period": "SELECT start_at, status, late_cancel, type_id FROM appointments WHERE start_at >= $lo AND start_at < $hi",
    "due_patients": "SELECT a.patient_id, a.start_at, a.status FROM appointments a" + _PERIOD,
    "patients": "SELECT id, last_name, first_name, mrn, phone_mobile FROM patients",
    "visit_types": "SELECT id, default_fee_code FROM visit_types",
    "fees": "SELECT id, code, price, active, effective_from, effective_to FROM fee_schedule",
    "completed": "SELECT provider_id, start_at FROM appointments WHERE status = 'completed'"
                 " AND start_at >= $lo AND start_at < $hi",
    "firsts": "SELECT patient_id, start_at FROM appointments WHERE status = 'completed'",  # first ever: every one
    "providers": "SELECT id, name, active FROM providers",
    "hours": "SELECT provider_id, weekday, start_time, end_time FROM provider_hours",
    "time_off": "SELECT provider_id, start_at, end_at FROM provider_time_off WHERE start_at < $hi AND end_at > $lo",
    "booked": "SELECT provider_id, start_at, end_at, status FROM appointments WHERE start_at >= $lo AND start_at < $hi",
    # Billing: charges by service date (lines beside their invoice's date and status), money events.
    "lines": "SELECT i.service_date, i.status, l.quantity, l.unit_price FROM invoices i"
             " JOIN invoice_lines l ON l.invoice_id = i.id WHERE i.service_date >= $start AND i.service_date < $end",
    "payments": "SELECT received_at, amount FROM payments WHERE received_at >= $lo AND received_at < $hi",
    "adjustments": "SELECT adjusted_at, kind, amount FROM adjustments WHERE adjusted_at >= $lo AND adjusted_at < $hi",
    "refunds": "SELECT refunded_at, amount FROM refunds WHERE refunded_at >= $lo AND refunded_at < $hi",
    "claims": "SELECT id, invoice_id, payer_id, status, rank, submitted_at FROM claims",
    "claim_events": "SELECT claim_id, from_status, to_status, changed_at FROM claim_events",
    "claim_answers": "SELECT claim_id, status_after FROM claim_answers",
    "claim_lines": "SELECT claim_id, charge FROM claim_lines",
    "payers": "SELECT id, name FROM payers",
    "applications": "SELECT invoice_id, applied_at FROM payment_applications WHERE applied_at >= $lo",
    "invoices": "SELECT id, service_date, status FROM invoices",
    # Stock: the period's movements (both days included, as db.inventory_reports takes them).
    "usage": "SELECT item_id, quantity, unit_cost, occurred_at FROM stock_movements"
             " WHERE kind = 'usage' AND occurred_at >= $slo AND occurred_at < $shi",
    "expired": "SELECT item_id, quantity, unit_cost, occurred_at FROM stock_movements"
               " WHERE kind = 'expired' AND occurred_at >= $slo AND occurred_at < $shi",
    "stock_items": "SELECT id, category FROM stock_items",
}


@dataclass
class Kpi:
    """One KPI: the app's function, the raw frames its pandas version reads, that version, and
    the columns (``money``: to the cent) that must agree."""

    name: str
    sql: Callable[[], object]
    raw: tuple[str, ...] = ()
    pandas: Callable[[dict[str, pd.DataFrame]], pd.DataFrame] | None = None
    columns: tuple[str, ...] = ()
    money: tuple[str, ...] = ()
    frame: Callable[[object], pd.DataFrame] = field(default=lambda result: result)  # SQL result -> DataFrame


def cases(ctx: Context) -> list[Row]:
    """Check each KPI's pandas version against SQL, then time both; one row per KPI."""
    conn, tz = ctx.conn, ctx.tz
    start, end = ctx.today - timedelta(days=365), ctx.today
    lo, hi = timeutil.day_bounds(start, tz)[0], timeutil.day_bounds(end, tz)[0]
    params = {"lo": lo, "hi": hi, "start": start, "end": end, "slo": lo,
              "shi": timeutil.day_bounds(end - timedelta(days=1), tz)[1]}
    kpis = _kpis(conn, start, end, lo, hi, tz)
    rows = []
    for kpi in kpis:
        if kpi.pandas is None:
            rows.append(timed_row("analytics", kpi.name, sample(kpi.sql, ctx.repeat),
                                  extra={"duckdb_mb": _duckdb_mb(conn, kpi.sql), "pandas": "not written yet"}))
            continue
        frames = {name: _fetch(conn, name, params) for name in kpi.raw}
        check_kpi(kpi, kpi.frame(kpi.sql()), kpi.pandas(frames))
        sql_ms = sample(kpi.sql, ctx.repeat)
        pandas_ms = sample(lambda: kpi.pandas(frames), ctx.repeat)
        loaded_ms = sample(lambda: kpi.pandas({n: _fetch(conn, n, params) for n in kpi.raw}), ctx.repeat)
        held = sum(int(f.memory_usage(deep=True).sum()) for f in frames.values())
        rows.append(timed_row("analytics", kpi.name, sql_ms, baseline=BASELINE,
                              baseline_ms=statistics.median(pandas_ms),
                              extra={"baseline_p95_ms": percentile(pandas_ms, 0.95),
                                     "pandas_with_load_ms": statistics.median(loaded_ms),
                                     "pandas_mb": round((held + _traced_peak(lambda: kpi.pandas(frames))) / 1e6, 1),
                                     "duckdb_mb": _duckdb_mb(conn, kpi.sql)}))
    return rows


def _kpis(conn: db.Connection, start: date, end: date, lo: datetime, hi: datetime, tz: str) -> list[Kpi]:
    """Every KPI the Analytics page shows for a period, in its tabs' order."""
    from db import billing_reports, inventory_reports, reports, stock_alerts, utilization_reports

    year = {"start": start, "end": end}
    last = end - timedelta(days=1)  # db.inventory_reports takes both days included
    weeks = reports._weeks(start, end)
    counts = ("appointments", "no_shows")
    out = [Kpi("no-show tiles, a year", lambda: reports.no_show_summary(conn, **year, tz=tz),
               ("period", "visit_types", "fees"), lambda f: pandas_no_show_summary(f, tz),
               ("completed", "no_shows", "late_cancels", "booked", "unpriced"), ("revenue_lost",),
               frame=lambda d: pd.DataFrame([d])),
           Kpi("weekly no-show rate, a year", lambda: reports.weekly_no_show_rate(conn, **year, tz=tz), ("weekly",),
               lambda f: pandas_weekly_no_show_rate(f["weekly"], weeks, tz), ("week", *counts, "rate"))]
    for by in reports.BY:
        out.append(Kpi(f"no-show rate by {by.replace('_', ' ')}, a year",
                       lambda by=by: reports.no_show_rates(conn, by, **year, tz=tz), (by,),
                       lambda f, by=by: pandas_no_show_rates(f[by], by, lo=lo, tz=tz), ("group", *counts, "rate")))
    out += [
        Kpi("late cancellations by week, a year", lambda: reports.late_cancellations(conn, **year, tz=tz),
            ("period",), lambda f: pandas_late_cancellations(f["period"], weeks, tz),
            ("week", "late_cancellations", "no_shows")),
        Kpi("revenue lost by week, a year", lambda: reports.revenue_lost_by_week(conn, **year, tz=tz),
            ("period", "visit_types", "fees"), lambda f: pandas_revenue_lost_by_week(f, weeks, tz),
            ("week", "no_shows", "unpriced"), ("revenue_lost",)),
        Kpi("patients who missed more than once, a year", lambda: reports.repeat_no_shows(conn, **year, tz=tz),
            ("due_patients", "patients"), lambda f: pandas_repeat_no_shows(f, tz),
            ("patient_id", "patient", "appointments", "no_shows", "last_no_show")),
        Kpi("billing tiles, a year", lambda: billing_reports.billing_summary(conn, **year)),
        Kpi("charges and collections by month, a year",
            lambda: billing_reports.charges_and_collections(conn, **year, by="month"),
            ("lines", "payments", "adjustments", "refunds"), lambda f: pandas_charges_and_collections(f, start, end, tz),
            ("period", "net_collection_rate"), ("charges", "payments", "adjustments", "refunds", "other_adjustments")),
        Kpi("A/R by age at each month end, a year", lambda: billing_reports.ar_over_time(conn, **year)),
        Kpi("denial rate by payer, a year", lambda: billing_reports.denial_rates(conn, **year, by="payer"),
            ("claims", "claim_events", "claim_answers", "payers"), lambda f: pandas_denials_by_payer(f, lo, hi),
            ("group", "claims", "denied", "rate")),
        Kpi("denial rate by reason, a year", lambda: billing_reports.denial_rates(conn, **year, by="reason")),
        Kpi("claims by status today", lambda: billing_reports.claims_by_status(conn),
            ("claims", "claim_lines"), pandas_claims_by_status, ("status", "claims"), ("amount",)),
        Kpi("days to payment by payer, a year", lambda: billing_reports.days_to_payment(conn, **year),
            ("applications", "invoices", "claims", "payers"), lambda f: pandas_days_to_payment(f, lo, hi, tz),
            ("payer", "invoices", "average_days", "median_days")),
        Kpi("patients owing over 90 days", lambda: billing_reports.patient_balances_over_90(conn, as_of=end)),
        Kpi("stock tiles", lambda: stock_alerts.alert_counts(conn, today=end)),
        Kpi("weekly usage by category, a year",
            lambda: inventory_reports.weekly_usage(conn, start=start, end=last, group="category", tz=tz),
            ("usage", "stock_items"), lambda f: pandas_stock(f["usage"], f["stock_items"], tz, "week"),
            ("week", "group", "units"), ("cost",)),
        Kpi("usage cost by month, a year", lambda: inventory_reports.usage_cost(conn, start=start, end=last, tz=tz),
            ("usage", "stock_items"), lambda f: pandas_stock(f["usage"], f["stock_items"], tz, "month"),
            ("month", "category", "units"), ("cost",)),
        Kpi("expiry waste by month, a year", lambda: inventory_reports.expiry_waste(conn, start=start, end=last, tz=tz),
            ("expired",), lambda f: pandas_stock(f["expired"], None, tz, "month"), ("month", "units"), ("cost",)),
        Kpi("on hand against reorder point", lambda: inventory_reports.on_hand_vs_reorder(conn, today=end)),
        Kpi("days of supply", lambda: inventory_reports.days_of_supply(conn, window_days=30, as_of=end, tz=tz)),
        Kpi("stock-outs at visits", lambda: stock_alerts.open_shortfalls(conn)),
        Kpi("utilization tiles, a year", lambda: utilization_reports.utilization_summary(conn, **year, tz=tz)),
        Kpi("utilization per provider-week, a year", lambda: utilization_reports.utilization(conn, **year, tz=tz)),
        Kpi("new patients by month, a year", lambda: utilization_reports.new_patients_by_month(conn, **year, tz=tz),
            ("firsts",), lambda f: pandas_new_patients(f["firsts"], reports.months_of(start, end), lo, hi, tz),
            ("month", "new_patients")),
        Kpi("visits per provider-day, a year", lambda: utilization_reports.visits_per_provider_day(conn, **year, tz=tz),
            ("completed", "providers"), lambda f: pandas_visits_per_day(f, tz),
            ("provider_id", "provider", "days", "visits", "visits_per_day")),
    ]
    return out


# --- the check ---------------------------------------------------------------------------------


def _cell(value: object) -> object:
    """A value as the check compares it: dates as ISO days, numbers as Python numbers (floats to
    six decimals), missing (None, NaN, NaT) as None."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, (datetime, date, pd.Timestamp, np.datetime64)):
        return pd.Timestamp(value).date().isoformat()
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating, Decimal)):
        return round(float(value), 6)
    return str(value)


def _cents(value: object) -> int:
    return int(round(float(value) * 100))


def same(name: str, sql: pd.DataFrame, frame: pd.DataFrame, columns: tuple[str, ...], money: tuple[str, ...] = ()):
    """Raise AssertionError unless both give the same rows, in the same order, over ``columns``
    (and ``money``, compared in cents)."""
    def rows(df: pd.DataFrame) -> list[tuple]:
        return [tuple(_cell(v) for v in values) + tuple(_cents(v) for v in cents)
                for values, cents in zip(df[list(columns)].itertuples(index=False, name=None),
                                         df[list(money)].itertuples(index=False, name=None))]

    want, got = rows(sql), rows(frame)
    if want != got:
        only_sql = [r for r in want if r not in got]
        only_pandas = [r for r in got if r not in want]
        raise AssertionError(f"{name}: pandas differs from SQL {(*columns, *money)}: "
                             f"SQL only {only_sql[:5]}, pandas only {only_pandas[:5]}"
                             + ("" if only_sql or only_pandas else f"; order SQL {want[:10]} vs pandas {got[:10]}"))


def check_kpi(kpi: Kpi, sql: pd.DataFrame, frame: pd.DataFrame) -> None:
    same(kpi.name, sql, frame, kpi.columns, kpi.money)


def check(name: str, sql: pd.DataFrame, frame: pd.DataFrame, *, key: str) -> None:
    """A no-show report's check: the same groups (``key``), appointments and no-shows."""
    same(name, sql, frame, (key, "appointments", "no_shows"))


# --- measuring ---------------------------------------------------------------------------------


def _fetch(conn: db.Connection, which: str, params: dict) -> pd.DataFrame:
    from db import reports

    return reports.run(conn, _RAW[which], params)


def _traced_peak(fn: Callable[[], object]) -> int:
    """Bytes at the peak of one call of ``fn`` above what was allocated before it (tracemalloc)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def _duckdb_mb(conn: db.Connection, fn: Callable[[], object]) -> float:
    """DuckDB's memory for one call of ``fn`` (see the module docstring): the peak of
    duckdb_memory() above its level before, polled from a second cursor, plus the result's size."""
    watcher = conn.cursor()
    query = "SELECT sum(memory_usage_bytes) FROM duckdb_memory()"
    base = int(watcher.execute(query).fetchone()[0])
    peak, done = base, threading.Event()

    def poll() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, int(watcher.execute(query).fetchone()[0]))
            time.sleep(0.001)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        result = fn()
    finally:
        done.set()
        poller.join()
        watcher.close()
    size = int(result.memory_usage(deep=True).sum()) if isinstance(result, pd.DataFrame) else 0
    return round((max(0, peak - base) + size) / 1e6, 1)


# --- the pandas versions: no-shows --------------------------------------------------------------


def _local(instants: pd.Series, tz: str) -> pd.Series:
    """Clinic-local wall-clock times (naive) of UTC instants."""
    return pd.to_datetime(instants, utc=True).dt.tz_convert(tz).dt.tz_localize(None)


def _monday(days: pd.Series) -> pd.Series:
    """The Monday of each (normalized) day's week."""
    return days - pd.to_timedelta(days.dt.day_of_week, unit="D")


def _count(missed: pd.Series, keys) -> pd.DataFrame:
    """appointments and no_shows per key (a Series or a list of them), keys as the index."""
    return (missed.groupby(keys).agg(["size", "sum"]).rename(columns={"size": "appointments", "sum": "no_shows"})
            .astype("int64"))


def _rated(out: pd.DataFrame) -> pd.DataFrame:
    out["rate"] = out["no_shows"] / out["appointments"].where(out["appointments"] > 0)
    return out


def _framed(counts: pd.DataFrame, labels) -> pd.DataFrame:
    """The report's columns from counts indexed by the sort key, ``labels`` naming each key."""
    counts = counts.sort_index()
    return _rated(pd.DataFrame({"group": [labels(k) for k in counts.index],
                                "appointments": counts["appointments"].to_numpy(),
                                "no_shows": counts["no_shows"].to_numpy()}))


def pandas_no_show_rates(df: pd.DataFrame, by: str, *, lo: datetime, tz: str) -> pd.DataFrame:
    """db.reports.no_show_rates(conn, by, ...) from the raw rows ``_RAW[by]``, computed in pandas."""
    if by == "new_vs_returning":
        start = pd.to_datetime(df["start_at"], utc=True)
        first = start.groupby(df["patient_id"]).transform("min")
        inside = start >= pd.Timestamp(lo)
        returning = (start > first).astype("int64")[inside]
        counts = _count((df["status"] == "no_show")[inside], returning)
        return _framed(counts, lambda k: analytics.NEW_VS_RETURNING[k])

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


def _by_week(counts: pd.DataFrame, weeks: list[date]) -> pd.DataFrame:
    """Counts indexed by week (Timestamp) over every week of the period, with zeros."""
    index = pd.DatetimeIndex(pd.to_datetime(weeks), name="week")
    return counts.reindex(index, fill_value=0).reset_index()


def pandas_weekly_no_show_rate(df: pd.DataFrame, weeks: list[date], tz: str) -> pd.DataFrame:
    """db.reports.weekly_no_show_rate in pandas: every week, with zeros."""
    week = _monday(_local(df["start_at"], tz).dt.normalize()).rename("week")
    return _rated(_by_week(_count(df["status"] == "no_show", week), weeks))


def pandas_late_cancellations(df: pd.DataFrame, weeks: list[date], tz: str) -> pd.DataFrame:
    """db.reports.late_cancellations: late cancellations beside no-shows per week of the start."""
    late = (df["status"] == "cancelled") & df["late_cancel"].fillna(False).astype(bool)
    missed = df["status"] == "no_show"
    lost = df[late | missed]
    week = _monday(_local(lost["start_at"], tz).dt.normalize()).rename("week")
    counts = pd.DataFrame({"late_cancellations": late[lost.index], "no_shows": missed[lost.index]}).groupby(week).sum()
    return _by_week(counts.astype("int64"), weeks)


def _priced(f: dict[str, pd.DataFrame], tz: str) -> pd.DataFrame:
    """The period's no-shows per clinic-local day and fee code, each with the price in force that day
    (active, effective that day, latest start then highest id wins; NaN when none): db.reports._PRICED."""
    period = f["period"]
    missed = period[period["status"] == "no_show"]
    codes = f["visit_types"].set_index("id")["default_fee_code"].str.strip().str.upper()
    per_day = (pd.DataFrame({"day": _local(missed["start_at"], tz).dt.normalize(),
                             "code": missed["type_id"].map(codes)})
               .groupby(["day", "code"], dropna=False).size().rename("n").reset_index())
    fees = f["fees"][f["fees"]["active"]]
    fees = fees.assign(effective_from=pd.to_datetime(fees["effective_from"]),
                       effective_to=pd.to_datetime(fees["effective_to"]))
    joined = per_day.merge(fees, on="code", how="inner")
    joined = joined[(joined["effective_from"] <= joined["day"])
                    & (joined["effective_to"].isna() | (joined["effective_to"] >= joined["day"]))]
    best = (joined.sort_values(["effective_from", "id"], ascending=False)
            .drop_duplicates(["day", "code"]).set_index(["day", "code"])["price"])
    per_day["price"] = per_day.set_index(["day", "code"]).index.map(best)
    return per_day


def pandas_revenue_lost_by_week(f: dict[str, pd.DataFrame], weeks: list[date], tz: str) -> pd.DataFrame:
    priced = _priced(f, tz)
    week = _monday(priced["day"]).rename("week")
    sums = pd.DataFrame({"no_shows": priced["n"], "revenue_lost": priced["n"] * priced["price"].fillna(0),
                         "unpriced": priced["n"].where(priced["price"].isna(), 0)}).groupby(week).sum()
    return _by_week(sums, weeks)


def pandas_no_show_summary(f: dict[str, pd.DataFrame], tz: str) -> pd.DataFrame:
    """db.reports.no_show_summary's counts and revenue lost, as a one-row frame."""
    status = f["period"]["status"]
    priced = _priced(f, tz)
    return pd.DataFrame([{
        "completed": int((status == "completed").sum()), "no_shows": int((status == "no_show").sum()),
        "late_cancels": int(((status == "cancelled") & f["period"]["late_cancel"].fillna(False)).sum()),
        "booked": int((status != "cancelled").sum()), "unpriced": int(priced["n"][priced["price"].isna()].sum()),
        "revenue_lost": float((priced["n"] * priced["price"].fillna(0)).sum())}])


def pandas_repeat_no_shows(f: dict[str, pd.DataFrame], tz: str, min_count: int = 2) -> pd.DataFrame:
    """db.reports.repeat_no_shows: patients with two or more no-shows in the period."""
    df = f["due_patients"]
    missed = df["status"] == "no_show"
    day = _local(df["start_at"], tz).dt.normalize()
    per = pd.DataFrame({"missed": missed, "day": day.where(missed)}).groupby(df["patient_id"]).agg(
        appointments=("missed", "size"), no_shows=("missed", "sum"), last_no_show=("day", "max"))
    per = per[per["no_shows"] >= min_count].reset_index()
    people = f["patients"].rename(columns={"id": "patient_id", "phone_mobile": "phone"})
    out = per.merge(people, on="patient_id")
    out["patient"] = out["last_name"] + ", " + out["first_name"]
    out["rate"] = out["no_shows"] / out["appointments"]
    return out.sort_values(["no_shows", "last_no_show", "patient", "patient_id"],
                           ascending=[False, False, True, True])


# --- billing -------------------------------------------------------------------------------------


def pandas_charges_and_collections(f: dict[str, pd.DataFrame], start: date, end: date, tz: str) -> pd.DataFrame:
    """db.billing_reports.charges_and_collections(by="month"): charges by service date (finalised,
    not void), payments, contractual and other adjustments and refunds by the local day recorded."""
    def month(values: pd.Series) -> pd.Series:
        return pd.Series(values.to_numpy().astype("datetime64[M]"), index=values.index)

    lines = f["lines"][f["lines"]["status"].isin(billing.TAKES_MONEY)]
    adj = f["adjustments"]
    contractual = adj["kind"] == "contractual"
    local = {name: month(_local(f[name][col], tz)) for name, col in
             (("payments", "received_at"), ("adjustments", "adjusted_at"), ("refunds", "refunded_at"))}
    sums = pd.DataFrame({
        "charges": (lines["quantity"] * lines["unit_price"]).groupby(month(pd.to_datetime(lines["service_date"]))).sum(),
        "payments": f["payments"]["amount"].groupby(local["payments"]).sum(),
        "adjustments": adj["amount"][contractual].groupby(local["adjustments"][contractual]).sum(),
        "refunds": f["refunds"]["amount"].groupby(local["refunds"]).sum(),
        "other_adjustments": adj["amount"][~contractual].groupby(local["adjustments"][~contractual]).sum()})
    periods = pd.DatetimeIndex(pd.to_datetime(pd.date_range(start.replace(day=1), end - timedelta(days=1), freq="MS")),
                               name="period")
    out = sums.reindex(periods).fillna(0.0).reset_index()
    collectable = (out["charges"] - out["adjustments"]).round(2)
    out["net_collection_rate"] = ((out["payments"] - out["refunds"]).round(2) / collectable).where(collectable > 0)
    return out


def _sent_and_denied(f: dict[str, pd.DataFrame], lo: datetime, hi: datetime) -> pd.DataFrame:
    """The claims first sent in [lo, hi) with whether each was ever denied (billing_reports._SENT)."""
    events, claims = f["claim_events"], f["claims"]
    at = pd.to_datetime(events["changed_at"], utc=True)
    first_sent = events["claim_id"][(events["from_status"] == "draft") & (events["to_status"] == "submitted")
                                    & (at >= pd.Timestamp(lo)) & (at < pd.Timestamp(hi))]
    submitted = pd.to_datetime(claims["submitted_at"], utc=True)
    imported = claims["id"][(submitted >= pd.Timestamp(lo)) & (submitted < pd.Timestamp(hi))
                            & ~claims["id"].isin(events["claim_id"][events["to_status"] == "submitted"])]
    sent = claims[claims["id"].isin(first_sent) | claims["id"].isin(imported)]
    answers = f["claim_answers"]
    denied = ((sent["status"] == "denied") | sent["id"].isin(events["claim_id"][events["to_status"] == "denied"])
              | sent["id"].isin(answers["claim_id"][answers["status_after"] == "denied"]))
    return sent.assign(denied=denied)


def pandas_denials_by_payer(f: dict[str, pd.DataFrame], lo: datetime, hi: datetime) -> pd.DataFrame:
    sent = _sent_and_denied(f, lo, hi)
    names = f["payers"].set_index("id")["name"]
    out = sent.groupby("payer_id").agg(claims=("denied", "size"), denied=("denied", "sum")).reset_index()
    out["group"] = out["payer_id"].map(names).fillna("Payer " + out["payer_id"].astype(str))
    out["rate"] = out["denied"] / out["claims"]
    return out.sort_values(["claims", "group"], ascending=[False, True])


def pandas_claims_by_status(f: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """db.billing_reports.claims_by_status() (now): claims and what they bill per status, every status."""
    charge = f["claim_lines"].groupby("claim_id")["charge"].sum()
    claims = f["claims"].assign(amount=f["claims"]["id"].map(charge).fillna(0.0))
    per = claims.groupby("status").agg(claims=("id", "size"), amount=("amount", "sum"))
    return per.reindex(list(billing.CLAIM_STATUSES), fill_value=0).rename_axis("status").reset_index()


def pandas_days_to_payment(f: dict[str, pd.DataFrame], lo: datetime, hi: datetime, tz: str) -> pd.DataFrame:
    """db.billing_reports.days_to_payment: invoices paid in full by a payment applied in the period."""
    from db.billing_reports import NO_CLAIM

    apps = f["applications"]
    at = pd.to_datetime(apps["applied_at"], utc=True)
    candidates = apps["invoice_id"][(at >= pd.Timestamp(lo)) & (at < pd.Timestamp(hi))].unique()
    last = at[apps["invoice_id"].isin(candidates)].groupby(apps["invoice_id"]).max()
    last = last[last < pd.Timestamp(hi)].rename("paid_at").reset_index()
    paid = last.merge(f["invoices"][f["invoices"]["status"] == "paid"], left_on="invoice_id", right_on="id")
    days = (paid["paid_at"].dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()
            - pd.to_datetime(paid["service_date"])).dt.days.clip(lower=0)
    primary = f["claims"][f["claims"]["rank"] == 1][["invoice_id", "payer_id"]]
    paid = paid[["invoice_id"]].assign(days=days).merge(primary, on="invoice_id", how="left")
    names = f["payers"].set_index("id")["name"]
    paid["payer"] = np.where(paid["payer_id"].isna(), NO_CLAIM, paid["payer_id"].map(names).fillna(
        "Payer " + paid["payer_id"].astype("Int64").astype(str)))
    out = paid.groupby("payer")["days"].agg(invoices="size", average_days="mean", median_days="median").reset_index()
    return out.sort_values(["invoices", "payer"], ascending=[False, True])


# --- stock and utilization -----------------------------------------------------------------------


def pandas_stock(moves: pd.DataFrame, items: pd.DataFrame | None, tz: str, unit: str) -> pd.DataFrame:
    """db.inventory_reports' weekly usage by category (unit "week"), usage cost by month and
    category, or expiry waste by month (``items`` None): units and cost that left the shelf."""
    day = _local(moves["occurred_at"], tz).dt.normalize()
    period = _monday(day) if unit == "week" else day.to_numpy().astype("datetime64[M]")
    keys = [pd.Series(period, index=moves.index, name=unit)]
    if items is not None:
        keys.append(moves["item_id"].map(items.set_index("id")["category"]).rename("group" if unit == "week"
                                                                                   else "category"))
    left = pd.DataFrame({"units": -moves["quantity"], "cost": -(moves["quantity"] * moves["unit_cost"])})
    return left.groupby(keys).sum().reset_index()


def pandas_new_patients(firsts: pd.DataFrame, months: list[date], lo: datetime, hi: datetime, tz: str) -> pd.DataFrame:
    """db.utilization_reports.new_patients_by_month: first completed visit ever, per local month."""
    first = pd.to_datetime(firsts["start_at"], utc=True).groupby(firsts["patient_id"]).min()
    first = first[(first >= pd.Timestamp(lo)) & (first < pd.Timestamp(hi))]
    month = first.dt.tz_convert(tz).dt.tz_localize(None).to_numpy().astype("datetime64[M]")
    counts = pd.Series(1, index=pd.DatetimeIndex(month, name="month")).groupby(level=0).sum()
    return counts.reindex(pd.DatetimeIndex(pd.to_datetime(months), name="month"), fill_value=0).rename(
        "new_patients").reset_index()


def pandas_visits_per_day(f: dict[str, pd.DataFrame], tz: str) -> pd.DataFrame:
    """db.utilization_reports.visits_per_provider_day: completed visits ÷ days seeing patients."""
    done = f["completed"]
    per_day = done.groupby([done["provider_id"], _local(done["start_at"], tz).dt.normalize()]).size()
    per = per_day.groupby(level=0).agg(days="size", visits="sum")
    out = per.reset_index().merge(f["providers"], left_on="provider_id", right_on="id")
    out = out.rename(columns={"name": "provider"})
    out["visits_per_day"] = out["visits"] / out["days"]
    return out.assign(_k=out["provider"].str.lower()).sort_values(["_k", "provider_id"])
