"""Benchmark the operations a busy desk feels, on the large synthetic clinic.

Speed is measured here, never asserted in tests: these machines are shared and noisy. Every
figure is a median of repeated runs, reported with its ratio to a baseline measured in the same
process a moment before (a trivial query on the same connection), so a slow machine shifts both.

    python -m bench                 # seeds a fresh large database in a temp folder (about 10 s)
    python -m bench --db data/large.duckdb --repeat 30
    python -m bench --only pages    # just the warm reruns of Today and Reminder calls (bench/pages.py)

The clinic clock is set to 10:30 on a weekday (today, or the next one) before seeding, so the
morning has played out and Today and Reminder calls show a busy working day whatever the hour.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import time as wall_time
from pathlib import Path

import db
from bench import analytics as analytics_bench
from bench import inventory as inventory_bench
from bench import pages as page_bench
from clinic import timeutil

# The screens whose warm rerun a user waits for after every click (bench/pages.py).
PAGES = {"Today, all providers (rerun)": "pages/today.py", "Reminder calls (rerun)": "pages/reminders.py"}
# A click that changes something: on Today it reruns only that provider's part and the tiles.
CLICKS = {"Today, a check-in click": ("pages/today.py", "checkin_")}
BENCH_TZ = "America/New_York"  # the seeder's default zone


def set_working_morning(tz: str) -> None:
    """Freeze the clinic clock at 10:30 on today, or on the next weekday if today is a weekend."""
    day = timeutil.today(tz)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    timeutil.set_clock(timeutil.local_to_utc(datetime.combine(day, wall_time(10, 30)), tz))


def measure(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up: caches, first-call imports
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def run(conn: db.Connection, repeat: int) -> dict[str, dict[str, float]]:
    from db import appointments, patients, settings, slots, users, visit_types

    tz = settings.timezone(conn)
    today = timeutil.today(tz)
    start, end = timeutil.day_bounds(today + timedelta(days=1), tz)
    follow_up = next(t for t in visit_types.list_active(conn) if t.name == "Follow-up")
    desk = users.find_by_username(conn, "frontdesk")
    some_patient = db.read_one(conn, "SELECT id FROM patients ORDER BY id LIMIT 1 OFFSET 777")[0]

    baseline = measure(lambda: db.read(conn, "SELECT 1"), repeat)
    cases: dict[str, Callable[[], object]] = {
        "day list, all providers (list_rows)": lambda: appointments.list_rows(conn, start, end),
        "next 10 free slots, any provider": lambda: slots.find_next_available(conn, follow_up.id, limit=10),
        "next 10 free slots, one patient": lambda: slots.find_next_available(
            conn, follow_up.id, patient_id=some_patient, limit=10),
        "patient search by name fragment": lambda: patients.search(conn, "gar mar"),
        "patient search by phone": lambda: patients.search(conn, "555-0147"),
        "today's counts (home page)": lambda: appointments.count_by_status(conn, start, end),
    }
    results = {"baseline: SELECT 1": {"median_ms": baseline * 1000, "ratio": 1.0}}
    for name, fn in cases.items():
        median = measure(fn, repeat)
        results[name] = {"median_ms": median * 1000, "ratio": median / baseline}

    # Booking writes: each books a different free slot, found beforehand.
    free = slots.find_next_available(conn, follow_up.id, limit=repeat + 1)
    patient_ids = [r[0] for r in db.read(conn, "SELECT id FROM patients ORDER BY id DESC LIMIT ?", [repeat + 1])]
    samples = []
    for slot, pid in zip(free, patient_ids):
        t0 = time.perf_counter()
        try:
            appointments.book(conn, patient_id=pid, provider_id=slot.provider_id, type_id=follow_up.id,
                              start=slot.start, user=desk)
        except Exception:  # a patient already busy at that time: skip the sample
            continue
        samples.append(time.perf_counter() - t0)
    if samples:
        median = statistics.median(samples)
        results["book one appointment"] = {"median_ms": median * 1000, "ratio": median / baseline}
    results.update(billing_cases(conn, repeat, baseline, today))
    results.update(inventory_bench.cases(conn, repeat, baseline, today, tz, measure))
    results.update(analytics_bench.cases(conn, repeat, baseline, today, tz, measure))
    return results


def billing_cases(conn: db.Connection, repeat: int, baseline: float, today) -> dict[str, dict[str, float]]:
    """The billing clerk's waits: the ledger of the last 30 days (rows and totals) and of every
    owing invoice, and one patient payment posted (each on a different owing invoice)."""
    from decimal import Decimal

    from db import billing, invoice_ledger, users

    month = {"start": today - timedelta(days=30), "end": today}
    owing = ("open", "partially_paid")
    cases: dict[str, Callable[[], object]] = {
        "invoice ledger, last 30 days (rows)": lambda: invoice_ledger.ledger(conn, **month),
        "invoice ledger, last 30 days (totals)": lambda: invoice_ledger.ledger_totals(conn, **month),
        "invoice ledger, every owing invoice (rows)": lambda: invoice_ledger.ledger(conn, status=owing),
        "A/R aging": lambda: billing.ar_aging(conn, as_of=today),
    }
    results = {}
    for name, fn in cases.items():
        median = measure(fn, repeat)
        results[name] = {"median_ms": median * 1000, "ratio": median / baseline}

    clerk = users.find_by_username(conn, "billing")
    invoices = [r[0] for r in db.read(
        conn, "SELECT invoice_id FROM invoice_balances WHERE status IN ('open', 'partially_paid') AND balance >= 1 "
              "ORDER BY invoice_id LIMIT ?", [repeat + 1])]
    samples = []
    for invoice_id in invoices:
        t0 = time.perf_counter()
        billing.post_patient_payment(conn, invoice_id=invoice_id, amount=Decimal("1.00"), method="card", user=clerk)
        samples.append(time.perf_counter() - t0)
    if samples:
        median = statistics.median(samples[1:] or samples)  # the first one warms the caches
        results["post one patient payment"] = {"median_ms": median * 1000, "ratio": median / baseline}
    return results


def settings_timezone(conn: db.Connection) -> str:
    from db import settings

    return settings.timezone(conn)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="an existing large database (it is written to: bookings)")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--only", choices=("queries", "pages"), help="run one part only")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        info: dict[str, object] = {}
        if args.db:
            path = args.db
            conn = db.connect(path)
            set_working_morning(settings_timezone(conn))
        else:
            from demo import seed

            path = Path(tmp) / "large.duckdb"
            set_working_morning(BENCH_TZ)
            conn = db.connect(path)
            t0 = time.perf_counter()
            counts = seed.seed(conn, scale="large", seed=42)
            info["seed large (s)"] = round(time.perf_counter() - t0, 1)
            info["rows"] = counts
        results = run(conn, args.repeat) if args.only != "pages" else {}
        if args.only != "queries":
            desk = db.read_one(conn, "SELECT id FROM users WHERE username = 'frontdesk'")[0]
            baseline, page_results = page_bench.page_reruns(path, desk, args.repeat, PAGES, CLICKS)
        conn.close()

    for key, value in info.items():
        print(f"{key}: {value}")
    if results:
        width = max(len(k) for k in results)
        print(f"{'operation':<{width}}  {'median ms':>10}  {'× baseline':>11}")
        for name, r in results.items():
            print(f"{name:<{width}}  {r['median_ms']:>10.2f}  {r['ratio']:>11.0f}")
    pages_out = {}
    if args.only != "queries":
        print()
        page_bench.report(baseline, page_results)
        pages_out = {name: {"median_ms": t.median_ms, "p95_ms": t.p95_ms, "ratio": t.ratio(baseline),
                            "cpu_median_ms": t.cpu_median_ms}
                     for name, t in {"empty page": baseline, **page_results}.items()}
    if args.json:
        args.json.write_text(json.dumps({"info": info, "results": results, "pages": pages_out},
                                        indent=2, default=str))


if __name__ == "__main__":
    main()
