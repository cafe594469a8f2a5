"""The stock office's waits on the large clinic (about two million stock movements): the low-stock
list (the inventory page and the Home tiles read it) and the usage chart's weekly query, over the
Stock charts page's default period (the last 90 days) and over a year.

Called by ``python -m bench`` (bench/__main__.py), which passes its ``measure`` (median of repeated
runs after a warm-up) and the baseline to report each figure against.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import db


def cases(conn: db.Connection, repeat: int, baseline: float, today: date, tz: str,
          measure: Callable[[Callable[[], object], int], float]) -> dict[str, dict[str, float]]:
    from db import inventory_reports, stock_alerts

    quarter = {"start": today - timedelta(days=89), "end": today}
    year = {"start": today - timedelta(days=364), "end": today}
    timed: dict[str, Callable[[], object]] = {
        "low-stock list": lambda: stock_alerts.low_stock(conn),
        "weekly usage by category, 90 days": lambda: inventory_reports.weekly_usage(
            conn, **quarter, group="category", tz=tz),
        "weekly usage by category, a year": lambda: inventory_reports.weekly_usage(
            conn, **year, group="category", tz=tz),
    }
    results = {}
    for name, fn in timed.items():
        median = measure(fn, repeat)
        results[name] = {"median_ms": median * 1000, "ratio": median / baseline}
    return results
