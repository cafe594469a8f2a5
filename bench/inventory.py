"""The stock office's waits on the large clinic (about two million stock movements): the low-stock
list (the inventory page and the Home tiles read it) and the usage chart's weekly query, over the
Stock charts page's default period (the last 90 days) and over a year; the morning restock list;
and recording the use of one unit (FEFO, with its balance row).

Called by ``python -m bench`` (bench/__main__.py), which passes its ``measure`` (median of repeated
runs after a warm-up) and the baseline to report each figure against.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import db


def cases(conn: db.Connection, repeat: int, baseline: float, today: date, tz: str,
          measure: Callable[[Callable[[], object], int], float]) -> dict[str, dict[str, float]]:
    from db import inventory, inventory_reports, restock, stock_alerts

    quarter = {"start": today - timedelta(days=89), "end": today}
    year = {"start": today - timedelta(days=364), "end": today}
    timed: dict[str, Callable[[], object]] = {
        "low-stock list": lambda: stock_alerts.low_stock(conn),
        "weekly usage by category, 90 days": lambda: inventory_reports.weekly_usage(
            conn, **quarter, group="category", tz=tz),
        "weekly usage by category, a year": lambda: inventory_reports.weekly_usage(
            conn, **year, group="category", tz=tz),
    }
    # A use of one unit (first to expire first, one transaction with its balance row): the item
    # with the most on hand, so the repeated runs never run it out.
    (busiest,) = db.read_one(conn, "SELECT item_id FROM stock_balances GROUP BY item_id ORDER BY sum(quantity) DESC"
                                   " LIMIT 1")
    timed["morning restock list"] = lambda: restock.restock_list(conn, today=today)
    timed["use one unit (FEFO)"] = lambda: inventory.use(conn, item_id=busiest, quantity=1, user="bench",
                                                         today=today)
    results = {}
    for name, fn in timed.items():
        median = measure(fn, repeat)
        results[name] = {"median_ms": median * 1000, "ratio": median / baseline}
    return results
