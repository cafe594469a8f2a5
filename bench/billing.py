"""The billing office's reads on the benchmark clinic: the invoice ledger over the last 30 days
(its rows and its totals), every owing invoice, and A/R aging. Posting a payment is a desk
operation (bench/desk.py). Each is beside a trivial query's round trip on the same connection.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bench.core import Context, Row, measure_row, round_trip


def cases(ctx: Context) -> list[Row]:
    from db import billing, invoice_ledger

    conn, today = ctx.conn, ctx.today
    month = {"start": today - timedelta(days=30), "end": today}
    owing = ("open", "partially_paid")
    timed: dict[str, Callable[[], object]] = {
        "invoice ledger, last 30 days (rows)": lambda: invoice_ledger.ledger(conn, **month),
        "invoice ledger, last 30 days (totals)": lambda: invoice_ledger.ledger_totals(conn, **month),
        "invoice ledger, every owing invoice (rows)": lambda: invoice_ledger.ledger(conn, status=owing),
        "A/R aging": lambda: billing.ar_aging(conn, as_of=today),
    }
    base = round_trip(conn, ctx.repeat)
    return [measure_row("billing", name, fn, ctx.repeat, **base) for name, fn in timed.items()]
