"""Manager › Analytics in a real browser: the manager opens the page, clicks each tab, and plotly
draws its charts (or the tab says plainly that there is nothing to draw) without an error box or a
console error. Each tab is screenshotted (artifacts/screenshots/analytics-*.png) for people to look at."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

TABS = ("No-shows", "No-show risk", "Billing", "Stock", "Utilization")


def test_the_manager_clicks_through_every_analytics_tab(app):
    app.open().sign_in("manager")
    page = app.page
    # The first plotly page of a fresh server loads its script: give it longer than a click's 30 s.
    page.locator('[data-testid="stSidebarNav"] a', has_text="Analytics").first.click()
    app.wait_idle(timeout=90_000)
    expect(page.locator("h1", has_text="Analytics")).to_be_visible()
    expect(page.get_by_role("button", name="Download weekly KPI summary (PDF)")).to_be_visible()
    for tab in TABS:
        app.click_until(page.get_by_role("tab", name=tab, exact=True),
                        page.locator('[role="tab"][aria-selected="true"]', has_text=tab))
        panel = page.locator('[role="tabpanel"]:visible')
        expect(panel.locator('[data-testid="stMetric"]').first).to_be_visible(timeout=30_000)
        drawn = panel.locator(".js-plotly-plot")
        if drawn.count():
            expect(drawn.first.locator("svg.main-svg").first).to_be_visible(timeout=30_000)
        else:
            expect(panel.locator('[data-testid="stAlert"]').first).to_be_visible()
        shot = app.screenshot(f"analytics-{re.sub(r'[^a-z]+', '-', tab.lower())}")
        assert app.exceptions() == [], f"{tab}: exception box (see {shot})"
    assert re.search(r"analytics_tab=Utilization", page.url), "the open tab is in the address"
    assert app.console_errors == []
