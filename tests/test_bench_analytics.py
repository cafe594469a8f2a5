"""bench/analytics.py on the small seeded clinic: every analytics case runs, and each pandas
version of a no-show KPI gives the SQL report's numbers (the check the benchmark makes in its run)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bench import analytics as analytics_bench
from clinic import timeutil
from db import reports
from tests.conftest import SEED_TODAY, TZ


def test_analytics_cases_run_and_pandas_matches_sql(seeded):
    calls: list[object] = []

    def once(fn, repeat):
        calls.append(fn())
        return 0.002

    results = analytics_bench.cases(seeded, 3, 0.001, SEED_TODAY, TZ, once)

    groupings = [f"no-show rate by {by.replace('_', ' ')}, a year" for by in reports.BY]
    expected = {*groupings, *(g + " (pandas)" for g in groupings), "weekly no-show rate, a year",
                "weekly no-show rate, a year (pandas)", "utilization per provider-week, a year",
                "charges and collections by month, a year", "denial rate by payer, a year",
                "days to payment by payer, a year"}
    assert set(results) == expected
    assert len(calls) == len(expected)
    assert all(r == {"median_ms": 2.0, "ratio": 2.0} for r in results.values())

    # The check compared real numbers: the seeded year has outcomes in several weekdays...
    lo = timeutil.day_bounds(SEED_TODAY - timedelta(days=365), TZ)[0]
    hi = timeutil.day_bounds(SEED_TODAY, TZ)[0]
    by_weekday = analytics_bench.pandas_no_show_rates(seeded, "weekday", lo=lo, hi=hi, tz=TZ)
    assert len(by_weekday) >= 5 and by_weekday["no_shows"].sum() > 0
    # ...and it notices one no-show too many.
    off = by_weekday.copy()
    off.loc[0, "no_shows"] += 1
    with pytest.raises(AssertionError, match="Monday"):
        analytics_bench.check("by weekday", by_weekday, off, key="group")
