"""The stock office's reads on the benchmark clinic (about two million stock movements at the
large scale): the low-stock list (the inventory page and the Home tiles read it), the usage
chart's weekly query over the Stock charts page's default period (the last 90 days) and over a
year, and the morning restock list. Using a unit is a desk operation (bench/desk.py). Each is
beside a trivial query's round trip on the same connection.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bench.core import Context, Row, measure_row, round_trip


def cases(ctx: Context) -> list[Row]:
    from db import inventory_reports, restock, stock_alerts

    conn, today, tz = ctx.conn, ctx.today, ctx.tz
    quarter = {"start": today - timedelta(days=89), "end": today}
    year = {"start": today - timedelta(days=364), "end": today}
    timed: dict[str, Callable[[], object]] = {
        "low-stock list": lambda: stock_alerts.low_stock(conn),
        "weekly usage by category, 90 days": lambda: inventory_reports.weekly_usage(
            conn, **quarter, group="category", tz=tz),
        "weekly usage by category, a year": lambda: inventory_reports.weekly_usage(
            conn, **year, group="category", tz=tz),
        "morning restock list": lambda: restock.restock_list(conn, today=today),
    }
    base = round_trip(conn, ctx.repeat)
    return [measure_row("inventory", name, fn, ctx.repeat, **base) for name, fn in timed.items()]
