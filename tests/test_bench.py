"""`python manage.py bench` at the smallest scale, as a user runs it: it seeds its clinic, times each
part and writes its report (a table on the terminal, the JSON file). Timings are never asserted
(these machines are shared and noisy): only that each figure is there, measured, and beside the
baseline the report says it is. The desk and analytics parts have their own tests
(test_bench_desk.py, test_bench_analytics.py), which run them in-process on the seeded clinic."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def test_the_benchmark_runs_at_the_smallest_scale_and_writes_its_report(tmp_path):
    path, out = tmp_path / "bench.duckdb", tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "bench", "--scale", "test", "--db", str(path), "--repeat", "2",
         "--only", "billing,inventory,pages", "--pages", "today", "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-3000:]

    report = json.loads(out.read_text())
    rows = {row["name"]: row for row in report["rows"]}
    assert report["info"]["scale"] == "test" and report["info"]["machine"]["cores"] >= 1
    assert report["info"]["rows"]["appointments"] > 0  # it seeded the file it was given

    for row in rows.values():  # every figure measured, with its statistics in order
        assert row["median_ms"] > 0 and row["p95_ms"] >= row["median_ms"], row
        if row["baseline_ms"]:
            assert row["ratio"] == pytest.approx(row["median_ms"] / row["baseline_ms"], rel=1e-2), row
        assert row["name"] in done.stdout  # and on the terminal's table

    assert rows["seed the test clinic"]["group"] == "seed"
    assert {"invoice ledger, last 30 days (rows)", "A/R aging", "low-stock list", "morning restock list"} <= set(rows)

    # Each page asked for: its first run and its warm rerun, beside the empty page and its floor.
    empty = rows["empty page: warm rerun"]["median_ms"]
    for page in ("Today (frontdesk)",):
        first, warm = rows[f"{page}: first run"], rows[f"{page}: warm rerun"]
        assert first["baseline"] == "empty page: first run" and first["target_ms"] == 2000
        assert warm["baseline"] == "floor: its SQL on DuckDB + empty page" and warm["target_ms"] == 300
        # The floor is the empty page plus the page's own recorded queries, replayed.
        assert warm["extra"]["queries"] > 3
        assert warm["baseline_ms"] == pytest.approx(empty + warm["extra"]["sql_ms"], abs=0.01)
    assert not any(name.startswith("Calendar") for name in rows)  # --pages kept to the one asked for
    assert rows["Today, a check-in click (frontdesk)"]["baseline"] == "empty page: warm rerun"

    size = rows["database file size (MB)"]
    assert size["median_ms"] == pytest.approx(path.stat().st_size / 2**20, rel=1e-3)


def test_an_unknown_part_or_page_is_refused_with_the_list_to_choose_from(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "manage.py"), "bench", "--only", "pages,speed"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert "unknown part(s): speed" in done.stderr and "browser, desk" in done.stderr
    typo = subprocess.run([sys.executable, str(ROOT / "manage.py"), "bench", "--pages", "today,invoice"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60, stdin=subprocess.DEVNULL)
    assert typo.returncode == 2
    assert "unknown page(s): invoice" in typo.stderr and "invoices" in typo.stderr
