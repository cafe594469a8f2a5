"""The audit trail in a real browser: the manager opens Admin › Audit trail, narrows it to the
front desk's rows, downloads the CSV (its rows are exactly the database's, newest first, with
clinic-local times), the download itself shows up in the trail as an audit.export, and the
tamper check finds the trail intact.

The front desk's views are written before the server takes the database file (one process
holds it), so what the database holds for that user is known before the browser asks.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

import db
from clinic import timeutil
from db import patients, users
from tests.conftest import TZ


pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Expected:
    rows: list[tuple]  # (id, action, patient_id, role, occurred_at) of the front desk's rows, newest first
    full_name: str  # the front desk's
    manager_name: str


@pytest.fixture(scope="module")
def front_desk_views(private_db) -> Expected:
    """The front desk opens four files (and the doctor one) before the server starts."""
    conn = db.connect(private_db.path)
    try:
        desk = users.find_by_username(conn, "frontdesk")
        doctor = users.find_by_username(conn, "doctor")
        manager = users.find_by_username(conn, "manager")
        ids = [r[0] for r in db.read(conn, "SELECT id FROM patients WHERE status = 'active' ORDER BY id LIMIT 4")]
        for patient_id in ids:
            patients.record_view(conn, patient_id, by=desk)
        patients.record_view(conn, ids[0], by=doctor)
        rows = db.read(conn, "SELECT id, action, patient_id, role, occurred_at FROM audit_log"
                             " WHERE username = 'frontdesk' ORDER BY occurred_at DESC, id DESC")
        conn.execute("CHECKPOINT")
    finally:
        conn.close()
    return Expected(rows=rows, full_name=desk.full_name, manager_name=manager.full_name)


def test_the_manager_filters_the_trail_by_a_user_and_downloads_it(front_desk_views, tab, private_server):
    expected = front_desk_views
    app = tab(private_server, viewport={"width": 1400, "height": 1000})
    app.open("audit").sign_in("manager")
    page = app.page
    expect(page.locator("h1", has_text="Audit trail")).to_be_visible()
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()

    app.choose("User", f"frontdesk ({expected.full_name})")
    count = len(expected.rows)
    expect(page.get_by_text(f"{count} rows match", exact=False)).to_be_visible()
    expect(page.get_by_text(f"Rows 1–{count} of {count} · page 1 of 1")).to_be_visible()
    shot = app.screenshot("audit-trail-manager")
    assert shot.exists()

    with page.expect_download(timeout=30_000) as info:
        page.get_by_role("button", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename.startswith("audit-trail-") and download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(download.path().read_text(encoding="utf-8"))))
    app.wait_idle()

    assert [(r["id"], r["action"], r["patient_id"], r["role"]) for r in rows] == [
        (str(i), action, "" if patient_id is None else str(patient_id), role or "")
        for i, action, patient_id, role, _ in expected.rows]
    assert len(rows) >= 4 and {r["action"] for r in rows} >= {"patient.view"}
    assert {r["username"] for r in rows} == {"frontdesk"}
    assert [r["occurred_at_local"] for r in rows] == [
        timeutil.to_local(at, TZ).isoformat() for *_, at in expected.rows]

    # The download is in the trail: the manager's own audit.export row.
    app.choose("User", f"manager ({expected.manager_name})")
    app.choose("Action", "audit.export")
    expect(page.get_by_text("1 row matches", exact=False)).to_be_visible()

    # The tamper check passes on this untouched trail.
    page.get_by_role("tab", name="Check the trail").click()
    app.click_until(page.get_by_role("button", name="Check the trail"),
                    page.get_by_text("The trail is intact", exact=False))
    app.screenshot("audit-trail-check")

    assert app.exceptions() == []
    assert app.console_errors == []
