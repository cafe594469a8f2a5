"""bench/analytics.py on the small seeded clinic: every analytics KPI gives a row, each pandas
version gives the SQL report's numbers (the check the benchmark makes in its run), and the check
notices a figure that is off."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bench import analytics as analytics_bench
from bench.core import Context
from clinic import timeutil
from db import reports
from tests.conftest import SEED_TODAY, TZ


def test_analytics_cases_give_a_row_per_kpi_with_its_pandas_baseline(seeded):
    rows = analytics_bench.cases(Context(seeded, Path("seeded.duckdb"), 2, SEED_TODAY, TZ, "test"))

    by_name = {r.name: r for r in rows}
    assert len(by_name) == len(rows) and all(r.group == "analytics" and r.samples == 2 for r in rows)
    compared = [*(f"no-show rate by {by.replace('_', ' ')}, a year" for by in reports.BY),
                "weekly no-show rate, a year", "no-show tiles, a year", "late cancellations by week, a year",
                "revenue lost by week, a year", "patients who missed more than once, a year",
                "charges and collections by month, a year", "denial rate by payer, a year", "claims by status today",
                "days to payment by payer, a year", "new patients by month, a year", "visits per provider-day, a year",
                "weekly usage by category, a year", "usage cost by month, a year", "expiry waste by month, a year"]
    for name in compared:
        row = by_name[name]
        assert row.baseline == analytics_bench.BASELINE and row.baseline_ms > 0 and row.ratio is not None, name
        assert {"pandas_with_load_ms", "pandas_mb", "duckdb_mb"} <= set(row.extra), name
    # The rest of the page's KPIs are timed too, and say they have no pandas version.
    for name in ("billing tiles, a year", "utilization per provider-week, a year", "A/R by age at each month end, a year"):
        assert by_name[name].median_ms > 0 and by_name[name].extra["pandas"] == "not written yet"


def test_the_check_catches_a_pandas_figure_that_is_off(seeded):
    lo = timeutil.day_bounds(SEED_TODAY - timedelta(days=365), TZ)[0]
    hi = timeutil.day_bounds(SEED_TODAY, TZ)[0]
    params = {"lo": lo, "hi": hi, "start": SEED_TODAY - timedelta(days=365), "end": SEED_TODAY}
    # The seeded year has outcomes in several weekdays, and one no-show too many is noticed...
    by_weekday = analytics_bench.pandas_no_show_rates(analytics_bench._fetch(seeded, "weekday", params), "weekday",
                                                      lo=lo, tz=TZ)
    assert len(by_weekday) >= 5 and by_weekday["no_shows"].sum() > 0
    off = by_weekday.copy()
    off.loc[0, "no_shows"] += 1
    with pytest.raises(AssertionError, match="Monday"):
        analytics_bench.check("by weekday", by_weekday, off, key="group")

    # ...as is a month's charges one cent off (money compared to the cent, not as floats).
    frames = {n: analytics_bench._fetch(seeded, n, params) for n in ("lines", "payments", "adjustments", "refunds")}
    money = analytics_bench.pandas_charges_and_collections(frames, params["start"], SEED_TODAY, TZ)
    busy = int(money["charges"].to_numpy().argmax())
    assert money.loc[busy, "charges"] > 0
    off = money.copy()
    off.loc[busy, "charges"] += 0.01
    columns, cents = ("period", "net_collection_rate"), ("charges", "payments")
    analytics_bench.same("charges", money, money.assign(charges=money["charges"] + 0.001), columns, cents)
    with pytest.raises(AssertionError, match="charges"):
        analytics_bench.same("charges", money, off, columns, cents)
