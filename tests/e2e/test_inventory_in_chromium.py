"""Inventory › Stock in a real browser: the front desk opens Stock and sees the low-stock list on
top, as many items as the database says are low, with a low item by name; and the morning restock
list offers as many moves as the database says, prints as a PDF, and records them in one click."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

import db
from clinic import timeutil
from db import restock, settings, stock_alerts
from tests.db.inventory_factories import make_item, stock
from tests.e2e.conftest import SeededDb, seed_for_e2e

pytestmark = pytest.mark.e2e

LOW_ITEM = "Sharps container 1.4 L"


@pytest.fixture(scope="module")
def private_db(tmp_path_factory) -> SeededDb:
    """The demo clinic plus one item low on stock and one well stocked; the low count is read
    before the server takes the file's lock."""
    seeded = seed_for_e2e(tmp_path_factory.mktemp("e2e-stock") / "clinic.duckdb")
    conn = db.connect(seeded.path)
    try:
        stock(conn, make_item(conn, name=LOW_ITEM, unit="each", reorder_point=6), 2)
        stock(conn, make_item(conn, name="Exam table paper", unit="roll", reorder_point=4), 40)
        today = timeutil.today(settings.timezone(conn))
        low = len(stock_alerts.low_stock(conn, today=today))
        moves = sum(1 for line in restock.restock_list(conn, today=today) if line.bring > 0)
        conn.execute("CHECKPOINT")
    finally:
        conn.close()
    seeded.path.with_name("stock.json").write_text(json.dumps({"low": low, "moves": moves}))
    return seeded


def test_the_front_desk_sees_the_low_stock_list_on_the_stock_page(private_app, private_db):
    expected = json.loads(private_db.path.with_name("stock.json").read_text())["low"]
    app = private_app.open("inventory").sign_in("frontdesk")
    page = app.page
    page.set_viewport_size({"width": 1400, "height": 1400})
    app.wait_idle()
    expect(page.get_by_role("heading", name="Low on stock")).to_be_visible()
    expect(page.locator('[data-testid="stMetric"]').filter(has_text="Items low on stock")).to_contain_text(str(expected))
    expect(page.get_by_text(re.compile(rf"^{expected} item\(s\) at or below the reorder point"))).to_be_visible()
    low_table = page.locator('[data-testid="stDataFrame"]').first
    expect(low_table).to_be_visible()
    # The grid draws on a canvas; its cells are also in a table for screen readers.
    expect(low_table.locator('td[role="gridcell"]', has_text=LOW_ITEM)).to_have_count(1)
    assert app.exceptions() == []
    app.screenshot("inventory_stock_low_list")


def test_the_morning_restock_list_prints_and_is_recorded_in_one_click(private_app, private_db):
    moves = json.loads(private_db.path.with_name("stock.json").read_text())["moves"]
    assert moves > 0, "the seeded rooms are below par after a day of visits"
    app = private_app.open("inventory").sign_in("frontdesk")
    page = app.page
    page.set_viewport_size({"width": 1400, "height": 1400})
    page.get_by_role("tab", name="Restock", exact=True).click()
    app.wait_idle()
    record = page.get_by_role("button", name=f"Record all transfers ({moves})")
    expect(record).to_be_enabled()
    expect(page.get_by_text("Exam room 1", exact=True)).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download printable list").click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert download.value.path().read_bytes().startswith(b"%PDF")
    app.screenshot("inventory_restock_list")
    record.click()
    app.wait_idle()
    expect(page.get_by_text(f"Restock recorded: {moves} transfers from the storeroom.")).to_be_visible()
    # What is left can only be lines the storeroom cannot cover: nothing more to move.
    page.get_by_role("tab", name="Restock", exact=True).click()
    left = page.get_by_text("Every room is at its par level: nothing to bring.").or_(
        page.get_by_role("button", name="Record all transfers (0)"))
    expect(left).to_be_visible()
    assert app.exceptions() == []
