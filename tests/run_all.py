"""Run the whole suite as ``make test`` and CI do, and print its totals and how long it took.

Two parts: everything except the thread-race tests on two pytest-xdist workers (``--dist
loadgroup``, with a group per file, keeps a file's tests, and its module-scoped browser server, on
one worker; tests/conftest.py), then the ``serial`` race tests alone, so a loaded CPU cannot skew
their timing. Extra arguments go to both pytest runs (e.g. ``-x`` or ``-k calendar``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

WORKERS = os.environ.get("CLINICDESK_TEST_WORKERS", "2")
# Compiled modules (and pytest's rewritten test modules) are kept between the processes of a run
# and between runs, in the system's temporary folder, never in the checkout: with
# PYTHONDONTWRITEBYTECODE set (as on CI machines) every pytest worker and every app server a
# browser test starts would compile Streamlit, the app and the tests again, about ten seconds each.
PYCACHE = Path(tempfile.gettempdir()) / "clinicdesk-pycache"
NO_TESTS = 5  # pytest's exit status when a selection is empty


def totals(junit: Path) -> dict[str, int]:
    if not junit.exists():
        return {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    root = ET.parse(junit).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    return {k: sum(int(s.get(k, 0)) for s in suites) for k in ("tests", "failures", "errors", "skipped")}


def main(extra: list[str]) -> int:
    started = time.monotonic()
    out = Path(tempfile.mkdtemp(prefix="clinicdesk-tests-"))
    runs = [
        ("parallel", ["-n", WORKERS, "--dist", "loadgroup", "-m", "not serial"]),
        ("serial", ["-p", "no:xdist", "-m", "serial"]),
    ]
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    status, counts = 0, {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for name, args in runs:
        junit = out / f"{name}.xml"
        code = subprocess.call([sys.executable, "-m", "pytest", *args, f"--junitxml={junit}", *extra], env=env)
        if code not in (0, NO_TESTS):
            status = code
        for key, value in totals(junit).items():
            counts[key] += value
    failed = counts["failures"] + counts["errors"]
    passed = counts["tests"] - failed - counts["skipped"]
    if counts["tests"] == 0:
        status = status or 1  # a suite that ran nothing has not passed
    elapsed = time.monotonic() - started
    print(f"\nWhole suite: {elapsed / 60:.1f} min ({elapsed:.0f} s) on {os.cpu_count()} cores")
    print(f"{passed} passed, {failed} failed, {counts['skipped']} skipped")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
