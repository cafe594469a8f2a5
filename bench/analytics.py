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
large clinic (``check_all`` makes only the check). Every KPI has a pandas version; one left without
would be timed alone (no baseline) and say why in ``extra["pandas"]``. A few inputs that are not
table rows are worked out once in Python and handed to both sides alike: the period's weeks and
months, the clinic's closed days (closures and kept public holidays) and the expiry warning setting.
"""

from __future__ import annotations

import statistics
import threading
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import numpy as np
import pandas as pd

import db
from bench.core import Context, Row, percentile, sample, timed_row
from clinic import analytics, billing
from clinic import claims as claim_rules
from clinic import timeutil
from clinic.carc import label as carc_label
from db.billing_reports import DAYS_IN_AR_DAYS, INSURANCE_WAITS, NO_REASON, OVER_90_FIRST_DAY

BASELINE = "pandas, tables in memory"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
SUPPLY_WINDOW = 30  # days of supply: average daily usage over this many days up to the as-of day
SHORTFALL_COLUMNS = ("shortfall_id", "item_id", "sku", "item", "unit", "quantity", "appointment_id", "visit_date",
                     "patient", "recorded_at")
_OUTCOME = "a.status IN ('completed', 'no_show')"
_PERIOD = " WHERE a.start_at >= $lo AND a.start_at < $hi AND " + _OUTCOME
# Invoices the patient may owe on (open, partly paid) served on or before $cut.
_OLD_OWING = ("i.status IN (" + ", ".join(f"'{s}'" for s in sorted(billing.OWING)) + ") AND i.service_date <= $cut")
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
    # A/R at past instants: every finalised invoice's lines (a draft owes nothing) and all money
    # applied, adjusted or refunded on an invoice, each beside its invoice's service date.
    "ar_lines": "SELECT i.service_date, i.status, i.finalized_at, i.voided_at, l.quantity, l.unit_price"
                " FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id WHERE i.status <> 'draft'",
    "ar_applications": "SELECT i.service_date, a.applied_at AS at, a.amount FROM payment_applications a"
                       " JOIN invoices i ON i.id = a.invoice_id",
    "ar_adjustments": "SELECT i.service_date, j.adjusted_at AS at, j.amount FROM adjustments j"
                      " JOIN invoices i ON i.id = j.invoice_id",
    "ar_refunds": "SELECT i.service_date, r.refunded_at AS at, r.amount FROM refunds r"
                  " JOIN invoices i ON i.id = r.invoice_id",
    # Denial reasons: the answers, their lines, and the lines' adjustments (group and CARC reason).
    "answers": "SELECT id, claim_id, status_after FROM claim_answers",
    "line_answers": "SELECT id, answer_id FROM claim_line_answers",
    "line_adjustments": "SELECT line_answer_id, group_code, reason_code FROM claim_line_adjustments",
    # Patients owing over 90 days: the owing invoices served by $cut, and the money of those invoices.
    "owing": "SELECT id, patient_id, service_date FROM invoices i WHERE " + _OLD_OWING,
    "owing_lines": "SELECT l.invoice_id, l.quantity, l.unit_price FROM invoice_lines l"
                   " JOIN invoices i ON i.id = l.invoice_id WHERE " + _OLD_OWING,
    **{f"owing_{table}": f"SELECT x.invoice_id, x.amount FROM {table} x JOIN invoices i ON i.id = x.invoice_id"
                         " WHERE " + _OLD_OWING for table in ("payment_applications", "adjustments", "refunds")},
    # Stock now: balances beside their lot's expiry, the items, open purchase order lines, shortfalls.
    "balances": "SELECT b.item_id, b.lot_id, b.quantity, l.expires_on FROM stock_balances b"
                " JOIN stock_lots l ON l.id = b.lot_id",
    "items": "SELECT id, name, sku, category, unit, reorder_point, active FROM stock_items",
    "on_order": "SELECT l.item_id, l.quantity, l.received_quantity FROM purchase_order_lines l"
                " JOIN purchase_orders p ON p.id = l.po_id WHERE p.status IN ('ordered', 'partially_received')",
    "shortfall_ids": "SELECT id FROM stock_shortfalls WHERE resolved_at IS NULL",
    "open_shortfalls": "SELECT f.id, f.item_id, f.quantity, f.appointment_id, f.recorded_at, a.start_at,"
                       " p.last_name, p.first_name, p.preferred_name FROM stock_shortfalls f"
                       " LEFT JOIN appointments a ON a.id = f.appointment_id"
                       " LEFT JOIN patients p ON p.id = a.patient_id"
                       " WHERE f.resolved_at IS NULL",
    # Days of supply: the usage of the 30 clinic-local days up to and including the as-of day.
    "window_usage": "SELECT item_id, quantity FROM stock_movements"
                    " WHERE kind = 'usage' AND occurred_at >= $wlo AND occurred_at < $whi",
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
    why: str = "not written yet"  # without a pandas version: why not


def _setup(ctx: Context) -> tuple[list[Kpi], dict]:
    """The KPIs over the year up to ``ctx.today`` and the parameters of their raw SELECTs."""
    tz, start, end = ctx.tz, ctx.today - timedelta(days=365), ctx.today
    lo, hi = timeutil.day_bounds(start, tz)[0], timeutil.day_bounds(end, tz)[0]
    params = {"lo": lo, "hi": hi, "start": start, "end": end, "slo": lo,
              "shi": timeutil.day_bounds(end - timedelta(days=1), tz)[1],
              "cut": end - timedelta(days=OVER_90_FIRST_DAY),  # patients owing over 90 days, on the period's end
              "wlo": timeutil.day_bounds(end - timedelta(days=SUPPLY_WINDOW - 1), tz)[0],  # days of supply's window
              "whi": timeutil.day_bounds(end, tz)[1]}
    return _kpis(ctx.conn, start, end, lo, hi, tz), params


def check_all(ctx: Context) -> list[str]:
    """Only the check (no timing): every KPI's pandas version against SQL; the names checked."""
    kpis, params = _setup(ctx)
    for kpi in kpis:
        if kpi.pandas is not None:
            check_kpi(kpi, kpi.frame(kpi.sql()), kpi.pandas({name: _fetch(ctx.conn, name, params) for name in kpi.raw}))
    return [kpi.name for kpi in kpis if kpi.pandas is not None]


def cases(ctx: Context) -> list[Row]:
    """Check each KPI's pandas version against SQL, then time both; one row per KPI."""
    conn = ctx.conn
    kpis, params = _setup(ctx)
    rows = []
    for kpi in kpis:
        if kpi.pandas is None:
            rows.append(timed_row("analytics", kpi.name, sample(kpi.sql, ctx.repeat),
                                  extra={"duckdb_mb": _duckdb_mb(conn, kpi.sql), "pandas": kpi.why}))
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
    from db import availability, billing_reports, inventory_reports, reports, stock_alerts, utilization_reports

    year = {"start": start, "end": end}
    # Inputs worked out in Python, not from the raw rows (as the week list is): the clinic's closed
    # days (closures and the public holidays it keeps) and the expiry warning setting.
    closed = sorted(availability.closures_between(conn, start, end - timedelta(days=1)))
    warning = stock_alerts.warning_days(conn)
    ar_raw = ("ar_lines", "ar_applications", "ar_adjustments", "ar_refunds")
    sent_raw = ("claims", "claim_events")
    utilization_raw = ("hours", "time_off", "booked", "providers")
    one_row = lambda d: pd.DataFrame([d])  # noqa: E731  (a dict of tiles as a one-row frame)
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
        Kpi("billing tiles, a year", lambda: billing_reports.billing_summary(conn, **year),
            (*ar_raw, "payments", "adjustments", "refunds", *sent_raw, "claim_answers"),
            lambda f: pandas_billing_summary(f, start, end, lo, hi, tz),
            ("net_collection_rate", "ar_as_of", "days_in_ar", "claims", "denied", "denial_rate"),
            ("charges", "payments", "adjustments", "other_adjustments", "refunds", "collections", "ar_total"),
            frame=one_row),
        Kpi("charges and collections by month, a year",
            lambda: billing_reports.charges_and_collections(conn, **year, by="month"),
            ("lines", "payments", "adjustments", "refunds"), lambda f: pandas_charges_and_collections(f, start, end, tz),
            ("period", "net_collection_rate"), ("charges", "payments", "adjustments", "refunds", "other_adjustments")),
        Kpi("A/R by age at each month end, a year", lambda: billing_reports.ar_over_time(conn, **year), ar_raw,
            lambda f: pandas_ar_over_time(f, billing_reports.month_ends(start, end), tz), ("month_end", "bucket"),
            ("amount",)),
        Kpi("denial rate by payer, a year", lambda: billing_reports.denial_rates(conn, **year, by="payer"),
            ("claims", "claim_events", "claim_answers", "payers"), lambda f: pandas_denials_by_payer(f, lo, hi),
            ("group", "claims", "denied", "rate")),
        Kpi("denial rate by reason, a year", lambda: billing_reports.denial_rates(conn, **year, by="reason"),
            (*sent_raw, "answers", "line_answers", "line_adjustments"), lambda f: pandas_denials_by_reason(f, lo, hi),
            ("group", "claims", "denied", "rate")),
        Kpi("claims by status today", lambda: billing_reports.claims_by_status(conn),
            ("claims", "claim_lines"), pandas_claims_by_status, ("status", "claims"), ("amount",)),
        Kpi("days to payment by payer, a year", lambda: billing_reports.days_to_payment(conn, **year),
            ("applications", "invoices", "claims", "payers"), lambda f: pandas_days_to_payment(f, lo, hi, tz),
            ("payer", "invoices", "average_days", "median_days")),
        Kpi("patients owing over 90 days", lambda: billing_reports.patient_balances_over_90(conn, as_of=end),
            ("owing", "owing_lines", "owing_payment_applications", "owing_adjustments", "owing_refunds", "claims",
             "patients"), pandas_patient_balances_over_90, ("patient", "mrn", "oldest_service_date", "patient_id"),
            ("balance",)),
        Kpi("stock tiles", lambda: stock_alerts.alert_counts(conn, today=end),
            ("balances", "items", "on_order", "shortfall_ids"), lambda f: pandas_alert_counts(f, end, warning),
            ("low", "expiring", "expired", "shortfalls"), frame=one_row),
        Kpi("weekly usage by category, a year",
            lambda: inventory_reports.weekly_usage(conn, start=start, end=last, group="category", tz=tz),
            ("usage", "stock_items"), lambda f: pandas_stock(f["usage"], f["stock_items"], tz, "week"),
            ("week", "group", "units"), ("cost",)),
        Kpi("usage cost by month, a year", lambda: inventory_reports.usage_cost(conn, start=start, end=last, tz=tz),
            ("usage", "stock_items"), lambda f: pandas_stock(f["usage"], f["stock_items"], tz, "month"),
            ("month", "category", "units"), ("cost",)),
        Kpi("expiry waste by month, a year", lambda: inventory_reports.expiry_waste(conn, start=start, end=last, tz=tz),
            ("expired",), lambda f: pandas_stock(f["expired"], None, tz, "month"), ("month", "units"), ("cost",)),
        Kpi("on hand against reorder point", lambda: inventory_reports.on_hand_vs_reorder(conn, today=end),
            ("balances", "items", "on_order"), lambda f: pandas_on_hand_vs_reorder(f, end),
            ("item_id", "item", "sku", "category", "unit", "on_hand", "expired", "on_order", "reorder_point", "low",
             "on_hand_pct", "on_order_pct")),
        Kpi("days of supply",
            lambda: inventory_reports.days_of_supply(conn, window_days=SUPPLY_WINDOW, as_of=end, tz=tz),
            ("balances", "items", "window_usage"), lambda f: pandas_days_of_supply(f, end),
            ("item_id", "item", "sku", "category", "unit", "on_hand", "used_in_window", "daily_usage", "days_left",
             "stockout_on")),
        Kpi("stock-outs at visits", lambda: stock_alerts.open_shortfalls(conn), ("open_shortfalls", "items"),
            lambda f: pandas_open_shortfalls(f, tz), SHORTFALL_COLUMNS,
            frame=lambda rows: pd.DataFrame([vars(r) for r in rows], columns=list(SHORTFALL_COLUMNS))),
        Kpi("utilization tiles, a year", lambda: utilization_reports.utilization_summary(conn, **year, tz=tz),
            (*utilization_raw, "completed", "firsts"),
            lambda f: pandas_utilization_summary(f, start, end, closed, lo, hi, tz),
            ("booked_min", "available_min", "rate", "visits", "provider_days", "visits_per_day", "new_patients"),
            frame=one_row),
        Kpi("utilization per provider-week, a year", lambda: utilization_reports.utilization(conn, **year, tz=tz),
            utilization_raw, lambda f: pandas_utilization(f, start, end, closed, tz),
            ("week", "provider_id", "provider", "booked_min", "available_min", "rate")),
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
    if isinstance(value, datetime):  # pd.Timestamp too
        return value.date().isoformat()
    if isinstance(value, date):  # as is: a stock-out centuries ahead is past pd.Timestamp's range
        return value.isoformat()
    if isinstance(value, np.datetime64):
        return str(value.astype("datetime64[D]"))
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


def _rounded(values: pd.Series, digits: int = 0) -> pd.Series:
    """DuckDB's round(x, digits) of a non-negative DOUBLE: half away from zero (numpy's: half to even)."""
    return np.floor(values * 10**digits + 0.5) / 10**digits


def _us(instants: pd.Series) -> pd.Series:
    """Epoch microseconds (int64) of instants, as DuckDB's epoch_us."""
    return pd.to_datetime(instants, utc=True).dt.as_unit("us").astype("int64")


# --- A/R, denials by reason, balances, the billing tiles ----------------------------------------


def _in_cents(amount: pd.Series) -> pd.Series:
    """Money (``.df()`` hands DECIMAL over as float) as whole cents, so that sums are exact."""
    return (amount.astype("float64") * 100).round().astype("int64")


def _ar_events(f: dict[str, pd.DataFrame], tz: str) -> pd.DataFrame:
    """Every money event of an invoice, in cents, with its instant and service date
    (db.billing_reports._AR_AT's ``ev``): a charge when the invoice was finalised (its service day's
    local midnight when no time is recorded), a void taking it back (an invoice voided after it was
    finalised was owed in between), money applied and adjustments (less owed), refunds (owed again)."""
    lines = f["ar_lines"]
    void = (lines["status"] == "void") & lines["finalized_at"].notna()
    charged, voided = lines[lines["status"].isin(billing.TAKES_MONEY) | void], lines[void]
    midnight = pd.to_datetime(charged["service_date"]).dt.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")
    parts = [(charged["service_date"], pd.to_datetime(charged["finalized_at"], utc=True).fillna(
                  midnight.dt.tz_convert("UTC")), charged["quantity"] * _in_cents(charged["unit_price"])),
             (voided["service_date"], voided["voided_at"].fillna(voided["finalized_at"]),
              -voided["quantity"] * _in_cents(voided["unit_price"]))]
    parts += [(f[name]["service_date"], f[name]["at"], sign * _in_cents(f[name]["amount"]))
              for name, sign in (("ar_applications", -1), ("ar_adjustments", -1), ("ar_refunds", 1))]
    return pd.concat([pd.DataFrame({"service_date": pd.to_datetime(served), "at": _us(at), "cents": cents.to_numpy()})
                      for served, at, cents in parts], ignore_index=True)


def _ar_at(events: pd.DataFrame, days: list[date], tz: str) -> pd.DataFrame:
    """db.billing_reports.ar_at in cents: one row per day and aging bucket (clinic.billing.age_balances).
    Each event lands on the first of ``days`` by whose end (clinic-local) it happened, is summed per
    service date, accumulated over the days, then aged on each day (days since service, 0 at least)."""
    ends = np.array([(timeutil.day_bounds(day, tz)[1] - _EPOCH) // timedelta(microseconds=1) for day in days])
    j = np.searchsorted(ends, events["at"].to_numpy(), side="right")
    placed = j < len(days)
    per = events["cents"][placed].groupby([j[placed], events["service_date"][placed]]).sum()
    owed = per.unstack(0, fill_value=0).reindex(columns=range(len(days)), fill_value=0).cumsum(axis=1)
    limits = [last for _key, _first, last in billing.AGING_BUCKETS if last is not None]
    out = []
    for k, day in enumerate(days):
        age = np.maximum((pd.Timestamp(day) - owed.index).days.to_numpy(), 0)
        sums = np.bincount(np.searchsorted(limits, age, side="left"), weights=owed[k].to_numpy(),
                           minlength=len(billing.AGING_KEYS))
        out += [(pd.Timestamp(day), key, int(round(cents))) for key, cents in zip(billing.AGING_KEYS, sums)]
    return pd.DataFrame(out, columns=["month_end", "bucket", "cents"])


def pandas_ar_over_time(f: dict[str, pd.DataFrame], days: list[date], tz: str) -> pd.DataFrame:
    """db.billing_reports.ar_over_time: A/R per aging bucket at each of ``days`` (its month_ends)."""
    out = _ar_at(_ar_events(f, tz), days, tz)
    return out.assign(amount=out.pop("cents") / 100)


def pandas_billing_summary(f: dict[str, pd.DataFrame], start: date, end: date, lo: datetime, hi: datetime,
                           tz: str) -> pd.DataFrame:
    """db.billing_reports.billing_summary as a one-row frame: the period's money totals (exact, in
    cents), A/R at the end of its last day, days in A/R over the 90 days to it, claims sent and denied."""
    lines = f["ar_lines"][f["ar_lines"]["status"].isin(billing.TAKES_MONEY)]
    served, charge = pd.to_datetime(lines["service_date"]), lines["quantity"] * _in_cents(lines["unit_price"])

    def charges(first: date, stop: date) -> int:  # by service date, [first, stop)
        return int(charge[(served >= pd.Timestamp(first)) & (served < pd.Timestamp(stop))].sum())

    adj = f["adjustments"]
    contractual = adj["kind"] == "contractual"
    cents = {"charges": charges(start, end), "payments": _in_cents(f["payments"]["amount"]).sum(),
             "adjustments": _in_cents(adj["amount"][contractual]).sum(),
             "other_adjustments": _in_cents(adj["amount"][~contractual]).sum(),
             "refunds": _in_cents(f["refunds"]["amount"]).sum()}
    money = {key: Decimal(int(value)) / 100 for key, value in cents.items()}
    as_of = end - timedelta(days=1)
    ar_total = Decimal(int(_ar_at(_ar_events(f, tz), [as_of], tz)["cents"].sum())) / 100
    recent = Decimal(charges(as_of - timedelta(days=DAYS_IN_AR_DAYS - 1), end)) / 100
    sent = _sent_and_denied(f, lo, hi)
    claims, denied = len(sent), int(sent["denied"].sum())
    return pd.DataFrame([{
        **money, "collections": money["payments"] - money["refunds"],
        "net_collection_rate": analytics.net_collection_rate(money["payments"], money["refunds"], money["charges"],
                                                             money["adjustments"]),
        "ar_total": ar_total, "ar_as_of": as_of, "days_in_ar": analytics.days_in_ar(ar_total, recent, DAYS_IN_AR_DAYS),
        "claims": claims, "denied": denied, "denial_rate": analytics.denial_rate(denied, claims)}])


def pandas_denials_by_reason(f: dict[str, pd.DataFrame], lo: datetime, hi: datetime) -> pd.DataFrame:
    """db.billing_reports.denial_rates(by="reason"): of the claims sent in the period and ever denied,
    the distinct denial reasons of the answers that denied them (not PR, not a contractual reduction),
    each against all the claims sent; denied claims without one: NO_REASON (denied by hand)."""
    answers = f["answers"]
    sent = _sent_and_denied({**f, "claim_answers": answers}, lo, hi)
    denying = answers[(answers["status_after"] == "denied") & answers["claim_id"].isin(sent["id"][sent["denied"]])]
    adj = (f["line_adjustments"]
           .merge(f["line_answers"].rename(columns={"id": "line_answer_id"}), on="line_answer_id")
           .merge(denying.rename(columns={"id": "answer_id"})[["answer_id", "claim_id"]], on="answer_id"))
    adj = adj[(adj["group_code"] != "PR") & ~adj["reason_code"].isin(claim_rules.REDUCTION_REASONS)]
    reasons = adj[["claim_id", "group_code", "reason_code"]].drop_duplicates()
    out = reasons.groupby(["group_code", "reason_code"]).size().rename("denied").reset_index()
    by_hand = int((sent["denied"] & ~sent["id"].isin(reasons["claim_id"])).sum())
    out = pd.concat([out, pd.DataFrame({"group_code": [None], "reason_code": [None], "denied": [by_hand]})])
    out = out[out["denied"] > 0].sort_values(["denied", "group_code", "reason_code"], ascending=[False, True, True],
                                             na_position="last")
    out["group"] = [carc_label(g, r) if isinstance(g, str) else NO_REASON
                    for g, r in zip(out["group_code"], out["reason_code"])]
    out["claims"] = len(sent)
    out["rate"] = out["denied"] / len(sent)
    return out


def pandas_patient_balances_over_90(f: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """db.billing_reports.patient_balances_over_90: per patient, what their owing invoices served 91
    days or more before the as-of day owe (no claim waiting on them; only invoices owing more than 0)."""
    claims = f["claims"]
    inv = f["owing"][~f["owing"]["id"].isin(claims["invoice_id"][claims["status"].isin(INSURANCE_WAITS)])]
    lines = f["owing_lines"]
    signed = [(lines["invoice_id"], lines["quantity"] * _in_cents(lines["unit_price"]))]
    signed += [(f[name]["invoice_id"], sign * _in_cents(f[name]["amount"]))
               for name, sign in (("owing_payment_applications", -1), ("owing_adjustments", -1), ("owing_refunds", 1))]
    total = pd.concat([pd.Series(v.to_numpy(), index=k.to_numpy()) for k, v in signed]).groupby(level=0).sum()
    inv = inv.assign(balance=inv["id"].map(total).fillna(0))
    per = (inv[inv["balance"] > 0].groupby("patient_id")
           .agg(balance=("balance", "sum"), oldest_service_date=("service_date", "min")).reset_index())
    out = per.merge(f["patients"], left_on="patient_id", right_on="id")
    out["patient"] = out["last_name"] + ", " + out["first_name"]
    out = out.sort_values(["balance", "patient_id"], ascending=[False, True])
    return out.assign(balance=out["balance"] / 100)


# --- stock snapshots ----------------------------------------------------------------------------


def _stock(f: dict[str, pd.DataFrame], today: date) -> pd.DataFrame:
    """The active items with their usable on-hand on ``today`` (lots not expired: usable through the
    expiry day), expired units still held, and what is on order (view stock_on_order's rule; 0
    without the frame ``on_order``)."""
    b, o = f["balances"], f.get("on_order", pd.DataFrame({"item_id": [], "quantity": [], "received_quantity": []}))
    usable = pd.to_datetime(b["expires_on"]).isna() | (pd.to_datetime(b["expires_on"]) >= pd.Timestamp(today))
    held = b["quantity"].groupby([b["item_id"], usable]).sum().unstack(fill_value=0)
    ordered = (o["quantity"] - np.minimum(o["received_quantity"], o["quantity"])).groupby(o["item_id"]).sum()
    items = f["items"][f["items"]["active"]]
    return items.assign(on_hand=items["id"].map(held.get(True)).fillna(0).astype("int64"),
                        expired=items["id"].map(held.get(False)).fillna(0).astype("int64"),
                        on_order=items["id"].map(ordered).fillna(0).astype("int64"))


def pandas_alert_counts(f: dict[str, pd.DataFrame], today: date, warning_days: int) -> pd.DataFrame:
    """db.stock_alerts.alert_counts: items low (on hand + on order at or below the reorder point),
    lots with stock expiring within the warning days or expired, open shortfalls."""
    stock, b = _stock(f, today), f["balances"][f["balances"]["quantity"] > 0]
    expires = pd.to_datetime(b["expires_on"])
    soon = (expires >= pd.Timestamp(today)) & (expires <= pd.Timestamp(today + timedelta(days=warning_days)))
    return pd.DataFrame([{"low": int((stock["on_hand"] + stock["on_order"] <= stock["reorder_point"]).sum()),
                          "expiring": b["lot_id"][soon].nunique(),
                          "expired": b["lot_id"][expires < pd.Timestamp(today)].nunique(),
                          "shortfalls": len(f["shortfall_ids"])}])


def pandas_on_hand_vs_reorder(f: dict[str, pd.DataFrame], today: date) -> pd.DataFrame:
    """db.inventory_reports.on_hand_vs_reorder: per active item, stock against its reorder point."""
    out = _stock(f, today).rename(columns={"id": "item_id", "name": "item"})
    point = out["reorder_point"].where(out["reorder_point"] != 0)
    out["low"] = out["on_hand"] + out["on_order"] <= out["reorder_point"]
    out["on_hand_pct"] = _rounded(100.0 * out["on_hand"] / point, 1)
    out["on_order_pct"] = _rounded(100.0 * out["on_order"] / point, 1)
    return out.assign(_k=out["item"].str.lower()).sort_values(["category", "_k", "item_id"])


def pandas_days_of_supply(f: dict[str, pd.DataFrame], as_of: date, window_days: int = SUPPLY_WINDOW) -> pd.DataFrame:
    """db.inventory_reports.days_of_supply: on hand ÷ average daily usage over the window, and the
    stock-out day (as_of + whole days left; as numpy days, which reach past pd.Timestamp's 2262)."""
    used = f["window_usage"]
    out = _stock(f, as_of).rename(columns={"id": "item_id", "name": "item"})
    out["used_in_window"] = out["item_id"].map(-used["quantity"].groupby(used["item_id"]).sum()).fillna(0).clip(
        lower=0).astype("int64")
    out["daily_usage"] = out["used_in_window"] / window_days
    out["days_left"] = (out["on_hand"].clip(lower=0) / out["daily_usage"]).where(out["daily_usage"] > 0)
    whole = np.floor(out["days_left"])
    out["stockout_on"] = [None if np.isnan(d) else np.datetime64(as_of, "D") + int(d) for d in whole]
    return out.assign(_k=out["item"].str.lower(), _d=whole).sort_values(["_d", "_k", "item_id"], na_position="last")


def pandas_open_shortfalls(f: dict[str, pd.DataFrame], tz: str) -> pd.DataFrame:
    """db.stock_alerts.open_shortfalls: unresolved shortfalls with their item, the visit's local day
    and the patient (preferred name first), newest visit first (visits not found last)."""
    s, items = f["open_shortfalls"], f["items"].set_index("id")
    s = s[s["item_id"].isin(items.index)]
    out = pd.DataFrame({"shortfall_id": s["id"], "item_id": s["item_id"], "sku": s["item_id"].map(items["sku"]),
                        "item": s["item_id"].map(items["name"]), "unit": s["item_id"].map(items["unit"]),
                        "quantity": s["quantity"], "appointment_id": s["appointment_id"],
                        "visit_date": _local(s["start_at"], tz).dt.normalize(),
                        "patient": s["last_name"] + ", " + s["preferred_name"].fillna(s["first_name"]),
                        "recorded_at": s["recorded_at"], "_at": pd.to_datetime(s["start_at"], utc=True)})
    return out.sort_values(["_at", "shortfall_id"], ascending=False, na_position="last")


# --- utilization ----------------------------------------------------------------------------------


def pandas_utilization(f: dict[str, pd.DataFrame], start: date, end: date, closed: list[date],
                       tz: str) -> pd.DataFrame:
    """db.utilization_reports.utilization: booked ÷ available minutes per provider and local week.
    Available: each open day's hours blocks of its weekday as real instants, less the provider's
    time off (overlapping entries merged first); booked: end − start of every appointment but
    cancelled ones, in the week of its local start."""
    days = pd.date_range(start, end - timedelta(days=1), freq="D")
    days = days[~days.isin(pd.to_datetime(closed))]
    blocks = pd.DataFrame({"day": days, "weekday": days.day_of_week}).merge(f["hours"], on="weekday")

    def instant(times: pd.Series) -> pd.Series:  # (clinic hours never fall in a DST change's hour)
        local = blocks["day"] + pd.to_timedelta(times.astype(str))
        return _us(local.dt.tz_localize(tz, ambiguous=True, nonexistent="shift_forward"))

    blocks["b_start"], blocks["b_end"] = instant(blocks["start_time"]), instant(blocks["end_time"])
    # Time off merged into islands: an entry starting after every earlier one ended starts a new one.
    off = f["time_off"].assign(start_at=_us(f["time_off"]["start_at"]), end_at=_us(f["time_off"]["end_at"]))
    off = off.sort_values(["provider_id", "start_at", "end_at"])
    before = off.groupby("provider_id")["end_at"].cummax().groupby(off["provider_id"]).shift()
    island = (~(off["start_at"] <= before)).cumsum()
    merged = off.groupby(["provider_id", island])[["start_at", "end_at"]].agg({"start_at": "min", "end_at": "max"})
    pairs = blocks.reset_index().merge(merged.reset_index(level=0), on="provider_id")
    pairs = pairs[(pairs["start_at"] < pairs["b_end"]) & (pairs["end_at"] > pairs["b_start"])]
    taken = (np.minimum(pairs["b_end"], pairs["end_at"]) - np.maximum(pairs["b_start"], pairs["start_at"])).groupby(
        pairs["index"]).sum()
    # One open block per provider, day and instants (as the SQL groups them), less all its time off.
    blocks["taken"] = blocks.index.map(taken).fillna(0)
    open_ = blocks.groupby(["provider_id", "day", "b_start", "b_end"])["taken"].sum().reset_index()
    open_us = open_["b_end"] - open_["b_start"] - open_["taken"]
    available = open_us.groupby([open_["provider_id"], _monday(open_["day"]).rename("week")]).sum() / 60_000_000

    booked = f["booked"][f["booked"]["status"] != "cancelled"]
    held = _us(booked["end_at"]) - _us(booked["start_at"])
    week = _monday(_local(booked["start_at"], tz).dt.normalize()).rename("week")
    booked = held.groupby([booked["provider_id"], week]).sum() / 60_000_000
    minutes = pd.concat({"available": available, "booked": booked}, axis=1).reset_index()
    out = minutes.merge(f["providers"], left_on="provider_id", right_on="id").rename(columns={"name": "provider"})
    b, a = out["booked"].fillna(0), out["available"].fillna(0)
    out = out[(b > 0) | (out["active"] & (a > 0))]
    b, a = out["booked"].fillna(0), out["available"].fillna(0)
    out = out.assign(booked_min=_rounded(b).astype("int64"), available_min=_rounded(a).astype("int64"),
                     rate=b / a.where(a != 0))
    return out.assign(_k=out["provider"].str.lower()).sort_values(["week", "_k", "provider_id"])


def pandas_utilization_summary(f: dict[str, pd.DataFrame], start: date, end: date, closed: list[date], lo: datetime,
                               hi: datetime, tz: str) -> pd.DataFrame:
    """db.utilization_reports.utilization_summary as a one-row frame: the per provider-week minutes
    (rounded as there) summed, completed visits and provider-days, new patients."""
    from db.reports import months_of

    weeks = pandas_utilization(f, start, end, closed, tz)
    booked, available = int(weeks["booked_min"].sum()), int(weeks["available_min"].sum())
    per_day = pandas_visits_per_day(f, tz)
    days, visits = int(per_day["days"].sum()), int(per_day["visits"].sum())
    new = int(pandas_new_patients(f["firsts"], months_of(start, end), lo, hi, tz)["new_patients"].sum())
    return pd.DataFrame([{"booked_min": booked, "available_min": available,
                          "rate": analytics.utilization_rate(booked, available), "visits": visits,
                          "provider_days": days, "visits_per_day": visits / days if days else None,
                          "new_patients": new}])
