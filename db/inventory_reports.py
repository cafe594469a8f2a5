"""The numbers behind Inventory › Stock charts: on-hand against the reorder point, weekly usage by
item or category, the cost of usage by month, days of supply left, the expiry timeline of lots
and the waste from expiry. Each returns a pandas DataFrame for a chart, a table and its CSV.

Every grouping is done here, in DuckDB. Money is summed in SQL DECIMAL (``quantity * unit_cost``
of each movement: the lot's cost at the time, so a later price change does not rewrite the past);
``.df()`` then hands it over as float, good for plotting and CSV only, never for more arithmetic.

Periods are clinic-local: a week starts on Monday 00:00 in the clinic's zone (``db.settings``), a
month on the 1st, and a period of days ``start``..``end`` includes both. The period starts are
computed in Python (zoneinfo, as ``clinic.timeutil.day_bounds``) and each movement is placed among
them in SQL without converting its time to local time (see ``_MOVED``).

"Usable" stock is stock in lots that have not expired (a lot is usable through its expiry day,
``clinic.inventory.is_expired``): expired stock waits to be written off and cannot be used, so it
is not counted as on hand here (the on-hand chart shows it beside, as "expired").
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pandas as pd

from clinic import inventory as rules
from clinic import timeutil
from db import Connection, read, read_df, settings
from db.inventory import USABLE_LOT

GROUPS = ("item", "category")
_DAY_US = 86_400 * 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# The movements of kind $kind between $lo and $hi, summed per item and period, then per $unit
# ('day', 'week' or 'month'). Units and cost are what left the shelf: a 'usage' or 'expired'
# movement is negative, an undone visit kit positive.
#
# Periods are clinic-local. Converting two million timestamps to local time one by one (timezone()
# with ICU) costs about twice the whole query, so each movement is placed on a grid instead: $starts
# holds the UTC instants (epoch microseconds) at which the periods start, $step_days apart in local
# days, then one more for the end. A daylight-saving change moves a real start off the even grid
# by an hour or so, far less than a period, so the grid's guess k is right or one off, and one
# comparison with the real starts on each side settles it. Days of $step_days = 1 are then
# truncated to the $unit (a week starts on Monday, ISO), on a few thousand rows.
_MOVED = """
WITH moved AS (
    SELECT m.item_id, m.quantity, m.unit_cost, epoch_us(m.occurred_at) AS us,
           (epoch_us(m.occurred_at) - $anchor) // $step_us + 1 AS k
    FROM stock_movements m
    WHERE m.kind = $kind AND m.occurred_at >= $lo AND m.occurred_at < $hi
),
per_step AS (
    SELECT CASE WHEN us < list_extract(CAST($starts AS BIGINT[]), k) THEN k - 1
                WHEN us >= list_extract(CAST($starts AS BIGINT[]), k + 1) THEN k + 1 ELSE k END AS k,
           item_id, -sum(quantity) AS units, -sum(quantity * unit_cost) AS cost
    FROM moved GROUP BY ALL
),
picked AS (
    SELECT CAST(date_trunc(CAST($unit AS VARCHAR), CAST($first AS DATE) + CAST($step_days * (s.k - 1) AS INTEGER))
                AS DATE) AS period,
           s.item_id, i.name, i.sku, i.category, s.units, s.cost
    FROM per_step s JOIN stock_items i ON i.id = s.item_id
    WHERE CAST($category AS VARCHAR) IS NULL OR i.category = CAST($category AS VARCHAR)
)
"""

_BY_ITEM = _MOVED + """,
top AS (
    SELECT item_id FROM picked GROUP BY item_id
    ORDER BY sum(units) DESC, min(name), item_id LIMIT CAST($top AS BIGINT)
)
SELECT period AS week, name AS "group", sku, category, CAST(sum(units) AS BIGINT) AS units,
       CAST(coalesce(sum(cost), 0) AS DECIMAL(18, 2)) AS cost
FROM picked WHERE item_id IN (SELECT item_id FROM top)
GROUP BY period, item_id, name, sku, category
ORDER BY week, units DESC, "group"
"""

_BY_CATEGORY = _MOVED + """
SELECT period AS week, category AS "group", CAST(sum(units) AS BIGINT) AS units,
       CAST(coalesce(sum(cost), 0) AS DECIMAL(18, 2)) AS cost
FROM picked GROUP BY period, category
ORDER BY week, "group"
"""

_BY_MONTH_AND_CATEGORY = _MOVED + """
SELECT period AS month, category, CAST(sum(units) AS BIGINT) AS units,
       CAST(coalesce(sum(cost), 0) AS DECIMAL(18, 2)) AS cost
FROM picked GROUP BY period, category
ORDER BY month, category
"""

_BY_MONTH = _MOVED + """
SELECT period AS month, CAST(sum(units) AS BIGINT) AS units, CAST(coalesce(sum(cost), 0) AS DECIMAL(18, 2)) AS cost
FROM picked GROUP BY period
ORDER BY month
"""



def _tz(conn: Connection, tz: str | None) -> str:
    return tz or settings.timezone(conn)


def _moved(conn: Connection, sql: str, *, kind: str, start: date, end: date, tz: str, unit: str,
           category: str | None, **extra: object) -> pd.DataFrame:
    """Run one of the grouped movement queries over the clinic-local days ``start``..``end``, by
    ``unit`` (week: a 7-day grid from the Monday of ``start``; month: a day grid, truncated)."""
    if end < start:
        raise ValueError("the period ends before it starts")
    step = 7 if unit == "week" else 1
    first = start - timedelta(days=start.weekday()) if unit == "week" else start
    days = [first + timedelta(days=n) for n in range(0, (end - first).days + 1, step)]
    starts = [_epoch_us(timeutil.day_bounds(day, tz)[0]) for day in days]
    lo, _ = timeutil.day_bounds(start, tz)
    _, hi = timeutil.day_bounds(end, tz)
    params = {"kind": kind, "lo": lo, "hi": hi, "anchor": starts[0], "step_us": step * _DAY_US, "step_days": step,
              "starts": [*starts, _epoch_us(hi)], "first": first, "unit": unit, "category": category, **extra}
    return read_df(conn, sql, params)


def _epoch_us(instant: datetime) -> int:
    """Microseconds since 1970 UTC, exactly (DuckDB's epoch_us)."""
    return (instant - _EPOCH) // timedelta(microseconds=1)


# --- on hand -----------------------------------------------------------------------------------


def on_hand_vs_reorder(conn: Connection, *, category: str | None = None, today: date | None = None) -> pd.DataFrame:
    """Per active item: usable on-hand (every location, lots not expired on ``today``, default the
    clinic's today), expired units still on the shelf, what is on order (open purchase orders),
    the reorder point and whether it is low (on hand + on order at or below the reorder point, as
    ``clinic.inventory.is_low``), and on hand and on order as percentages of the reorder point
    (NULL when it is 0). Sorted by category, then name."""
    today = today or timeutil.today(settings.timezone(conn))
    return read_df(
        conn,
        "WITH stock AS (SELECT b.item_id,"
        "   sum(b.quantity) FILTER (WHERE " + USABLE_LOT + ") AS usable,"
        "   sum(b.quantity) FILTER (WHERE NOT " + USABLE_LOT + ") AS expired"
        "   FROM stock_balances b JOIN stock_lots l ON l.id = b.lot_id GROUP BY b.item_id)"
        " SELECT i.id AS item_id, i.name AS item, i.sku, i.category, i.unit,"
        "  CAST(coalesce(s.usable, 0) AS BIGINT) AS on_hand, CAST(coalesce(s.expired, 0) AS BIGINT) AS expired,"
        "  CAST(coalesce(o.on_order, 0) AS BIGINT) AS on_order, i.reorder_point,"
        "  coalesce(s.usable, 0) + coalesce(o.on_order, 0) <= i.reorder_point AS low,"
        # As a share of the reorder point (what the chart draws, so that a box of 12 and a sheet of
        # 5,000 read on one axis); NULL for an item without a reorder point.
        "  round(100.0 * coalesce(s.usable, 0) / nullif(i.reorder_point, 0), 1) AS on_hand_pct,"
        "  round(100.0 * coalesce(o.on_order, 0) / nullif(i.reorder_point, 0), 1) AS on_order_pct"
        " FROM stock_items i LEFT JOIN stock s ON s.item_id = i.id LEFT JOIN stock_on_order o ON o.item_id = i.id"
        " WHERE i.active AND (CAST($category AS VARCHAR) IS NULL OR i.category = CAST($category AS VARCHAR))"
        " ORDER BY i.category, lower(i.name), i.id",
        {"today": today, "category": category},
    )


# --- usage -------------------------------------------------------------------------------------


def weekly_usage(conn: Connection, *, start: date, end: date, group: str = "item", category: str | None = None,
                 tz: str | None = None, top: int | None = None) -> pd.DataFrame:
    """Units used and their cost per clinic-local week (starting Monday) over the days
    ``start``..``end`` (both included; the first and last weeks may be partial), per item or per
    category. Columns: week (the Monday, a date), group (item name or category key), units, cost
    (and sku, category for items). ``top`` keeps the items used most over the period. Weeks with
    no usage have no rows."""
    if group not in GROUPS:
        raise ValueError(f"group must be one of {GROUPS}")
    sql = _BY_ITEM if group == "item" else _BY_CATEGORY
    extra = {"top": top if top is not None else 2**62} if group == "item" else {}
    return _moved(conn, sql, kind="usage", start=start, end=end, tz=_tz(conn, tz), unit="week", category=category,
                  **extra)


def usage_cost(conn: Connection, *, start: date, end: date, tz: str | None = None,
               category: str | None = None) -> pd.DataFrame:
    """Units used and their cost per clinic-local month and category over ``start``..``end``.
    Columns: month (its 1st, a date), category, units, cost."""
    return _moved(conn, _BY_MONTH_AND_CATEGORY, kind="usage", start=start, end=end, tz=_tz(conn, tz), unit="month",
                  category=category)


def expiry_waste(conn: Connection, *, start: date, end: date, tz: str | None = None,
                 category: str | None = None) -> pd.DataFrame:
    """Units written off as expired (``expired`` movements) and their cost, per clinic-local month
    over ``start``..``end``. Columns: month, units, cost."""
    return _moved(conn, _BY_MONTH, kind="expired", start=start, end=end, tz=_tz(conn, tz), unit="month",
                  category=category)


# --- days of supply ----------------------------------------------------------------------------


def days_of_supply(conn: Connection, *, window_days: int = 30, as_of: date, tz: str | None = None,
                   category: str | None = None) -> pd.DataFrame:
    """Per active item: usable on-hand on ``as_of``, average daily usage over the ``window_days``
    clinic-local days ending with ``as_of`` (as ``db.inventory.average_daily_usage``), days of
    supply left (on-hand ÷ daily usage) and the projected stock-out date
    (``clinic.inventory.days_of_supply`` / ``stockout_date``). Soonest stock-out first; items not
    used in the window (no stock-out in sight) last, by name."""
    if window_days <= 0:
        raise ValueError("window_days must be positive")
    tz = _tz(conn, tz)
    lo, _ = timeutil.day_bounds(as_of - timedelta(days=window_days - 1), tz)
    _, hi = timeutil.day_bounds(as_of, tz)
    rows = read(
        conn,
        "WITH stock AS (SELECT b.item_id, sum(b.quantity) AS usable FROM stock_balances b"
        "   JOIN stock_lots l ON l.id = b.lot_id WHERE " + USABLE_LOT + " GROUP BY b.item_id),"
        " used AS (SELECT item_id, -sum(quantity) AS units FROM stock_movements"
        "   WHERE kind = 'usage' AND occurred_at >= $lo AND occurred_at < $hi GROUP BY item_id)"
        " SELECT i.id, i.name, i.sku, i.category, i.unit, CAST(coalesce(s.usable, 0) AS BIGINT),"
        "  CAST(greatest(coalesce(u.units, 0), 0) AS BIGINT)"
        " FROM stock_items i LEFT JOIN stock s ON s.item_id = i.id LEFT JOIN used u ON u.item_id = i.id"
        " WHERE i.active AND (CAST($category AS VARCHAR) IS NULL OR i.category = CAST($category AS VARCHAR))",
        {"today": as_of, "lo": lo, "hi": hi, "category": category},
    )
    out = []
    for item_id, name, sku, category_, unit, on_hand, used in rows:
        daily = used / window_days
        out.append({"item_id": item_id, "item": name, "sku": sku, "category": category_, "unit": unit,
                    "on_hand": on_hand, "used_in_window": used, "daily_usage": daily,
                    "days_left": rules.days_of_supply(on_hand, daily),
                    "stockout_on": rules.stockout_date(as_of, on_hand, daily)})
    out.sort(key=lambda r: (r["stockout_on"] is None, r["stockout_on"] or date.max, r["item"].lower(), r["item_id"]))
    columns = ["item_id", "item", "sku", "category", "unit", "on_hand", "used_in_window", "daily_usage", "days_left",
               "stockout_on"]
    return pd.DataFrame(out, columns=columns)


# --- expiry ------------------------------------------------------------------------------------


def expiry_timeline(conn: Connection, *, today: date, category: str | None = None) -> pd.DataFrame:
    """Lots with an expiry date and stock on the shelf (all locations), soonest expiry first:
    lot_id, lot (its number), item, sku, category, expires_on, on_hand, days_to_expiry (negative:
    expired that many days ago, still to be written off)."""
    return read_df(
        conn,
        "SELECT l.id AS lot_id, l.lot_number AS lot, i.name AS item, i.sku, i.category, l.expires_on,"
        "  CAST(sum(b.quantity) AS BIGINT) AS on_hand,"
        "  CAST(l.expires_on - CAST($today AS DATE) AS BIGINT) AS days_to_expiry"
        " FROM stock_lots l JOIN stock_balances b ON b.lot_id = l.id JOIN stock_items i ON i.id = l.item_id"
        " WHERE l.expires_on IS NOT NULL"
        "  AND (CAST($category AS VARCHAR) IS NULL OR i.category = CAST($category AS VARCHAR))"
        " GROUP BY l.id, l.lot_number, i.name, i.sku, i.category, l.expires_on HAVING sum(b.quantity) > 0"
        " ORDER BY l.expires_on, lower(i.name), l.id",
        {"today": today, "category": category},
    )
