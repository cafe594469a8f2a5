"""What every part of the benchmark shares: timing a callable into samples, and the report row.

A row is one measured thing: its median and 95th percentile over repeated runs after a warm-up,
and the baseline it is compared with, measured in the same process on the same data (a page's
floor, the pandas version of a KPI, a trivial query), so that a slow or loaded machine shifts
both sides alike and the ratio is what to compare between runs. Timings are never asserted.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import db


def percentile(samples: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``samples``, nearest rank (no interpolation)."""
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def sample(fn: Callable[[], object], repeat: int, *, warmup: int = 1) -> list[float]:
    """Milliseconds of ``repeat`` calls of ``fn`` after ``warmup`` untimed ones (caches, imports)."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


@dataclass
class Row:
    """One line of the report (and one object of the JSON file's ``rows``)."""

    group: str  # "pages", "browser", "desk", "analytics", "inventory", "memory", ...
    name: str
    median_ms: float
    p95_ms: float
    baseline: str | None = None
    baseline_ms: float | None = None
    # The target for this figure, where it sets one (p95 for the desk's operations,
    # the median for warm pages), and which statistic it applies to. Rows of the "memory" group
    # are in megabytes, not milliseconds (``extra["unit"]`` says so), their target too.
    target_ms: float | None = None
    target_on: str = "median_ms"
    samples: int = 0
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if not self.baseline_ms:
            return None
        return self.median_ms / self.baseline_ms

    @property
    def meets_target(self) -> bool | None:
        if self.target_ms is None:
            return None
        return getattr(self, self.target_on) <= self.target_ms

    def as_json(self) -> dict[str, object]:
        out = asdict(self)
        out["ratio"] = None if self.ratio is None else round(self.ratio, 3)
        out["meets_target"] = self.meets_target
        for key in ("median_ms", "p95_ms", "baseline_ms", "target_ms"):
            if out[key] is not None:
                out[key] = round(out[key], 3)
        return out


def timed_row(group: str, name: str, samples: list[float], **kwargs) -> Row:
    """A row from raw millisecond samples."""
    return Row(group, name, statistics.median(samples), percentile(samples, 0.95), samples=len(samples),
               **kwargs)


def measure_row(group: str, name: str, fn: Callable[[], object], repeat: int, **kwargs) -> Row:
    """Time ``fn`` (one warm-up, then ``repeat`` runs) into a row."""
    return timed_row(group, name, sample(fn, repeat), **kwargs)


ROUND_TRIP = "SELECT 1 round trip"


def round_trip(conn: db.Connection, repeat: int) -> dict[str, object]:
    """A trivial query's round trip on a fresh cursor, timed now: the ``baseline`` and
    ``baseline_ms`` of a database figure timed just after it."""
    median = statistics.median(sample(lambda: db.read(conn, "SELECT 1"), repeat))
    return {"baseline": ROUND_TRIP, "baseline_ms": median}


@dataclass
class Context:
    """What each part of the benchmark gets: the open database (the process's one connection to
    it), its file, how many timed runs per figure, the clinic's today and zone, and the scale."""

    conn: db.Connection
    path: Path
    repeat: int
    today: date
    tz: str
    scale: str
