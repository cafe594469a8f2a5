"""Inventory › Stock charts in a real browser: the manager opens the page on a clinic with stock
movements and plotly really draws the charts (SVG bars on screen), and a chart's data downloads
as CSV."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

import db
from db import inventory
from tests.db.inventory_factories import make_item, stock
from tests.e2e.conftest import SeededDb, seed_for_e2e

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def private_db(tmp_path_factory) -> SeededDb:
    """This module's clinic (seeded around the real today), plus an item of our own received and
    used today, so the period's usage charts have data whatever the demo seeds."""
    seeded = seed_for_e2e(tmp_path_factory.mktemp("e2e-stock-charts") / "clinic.duckdb")
    conn = db.connect(seeded.path)
    item = make_item(conn, sku="E2E-CHART", name="Browser test gauze", category="supply", reorder_point=50)
    stock(conn, item, 60)
    inventory.use(conn, item_id=item, quantity=25, user="test")
    conn.execute("CHECKPOINT")
    conn.close()
    return seeded


def test_the_manager_sees_plotly_draw_the_stock_charts(private_app):
    app = private_app.open("stock_reports").sign_in("manager")
    page = app.page
    expect(page.locator("h1", has_text="Stock charts")).to_be_visible()
    chart = page.locator(".js-plotly-plot").first
    expect(chart).to_be_visible(timeout=30_000)
    expect(chart.locator("svg.main-svg").first).to_be_visible()
    assert chart.locator(".trace.bars path").count() > 0, "the on-hand chart draws its bars"
    assert page.locator(".js-plotly-plot").count() >= 5
    assert not app.exceptions()
    app.screenshot("stock_charts_manager")

    with page.expect_download(timeout=30_000) as info:
        page.get_by_role("button", name="Download data (CSV)").first.click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0] == "SKU,Item,Category,Unit,On hand,Expired on shelf,On order,Reorder point,Low"
    assert "E2E-CHART,Browser test gauze,supply,each,35,0,0,50,True" in text
