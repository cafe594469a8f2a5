"""Inventory › Stock charts through the real app: the manager sees plotly charts of stock the
database holds (usage put in through db.inventory at known moments), the days-of-supply table
with its stock-out date, the category filter, and plain messages instead of empty charts on a
clinic with no inventory yet."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import streamlit as st

from clinic import timeutil
from db import inventory, stock_alerts
from tests.conftest import SEED_NOW, app_test, database, make_user
from tests.db.inventory_factories import make_item, stock

PAGE = "pages/stock_reports.py"
UTC = timezone.utc


def at_moment(instant: datetime) -> None:
    timeutil.set_clock(instant)


@pytest.fixture
def stocked(app_env: Path):
    """The seeded clinic with two items of our own: gloves (100 received on 10 Feb, 30 used on
    20 Feb: one a day over the last 30 days) and a vaccine whose lot expired on 25 Feb, 2 of it
    used before and 3 written off on 27 Feb. The clock is back at SEED_NOW (2 March) afterwards."""
    with database(app_env) as conn:
        gloves = make_item(conn, sku="CHART-GLOVES", name="Chart test gloves", category="supply", reorder_point=80)
        vaccine = make_item(conn, sku="CHART-VAX", name="Chart test vaccine", category="vaccine", lot_tracked=True)
        at_moment(datetime(2026, 2, 10, 15, tzinfo=UTC))
        stock(conn, gloves, 100)
        lot = stock(conn, vaccine, 5, lot_number="VX-1", expires_on=date(2026, 2, 25))
        at_moment(datetime(2026, 2, 20, 15, tzinfo=UTC))
        inventory.use(conn, item_id=gloves, quantity=30, user="test")
        inventory.use(conn, item_id=vaccine, quantity=2, user="test")
        at_moment(datetime(2026, 2, 27, 15, tzinfo=UTC))
        stock_alerts.write_off_expired(conn, lot, user="test")
        at_moment(SEED_NOW)
    return app_env


def open_charts(at):
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def figures(at) -> list[dict]:
    """The plotly figures on the page, as the JSON the browser receives."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def names_in(figure: dict) -> set:
    values = set()
    for trace in figure["data"]:
        for axis in ("x", "y"):
            if isinstance(trace.get(axis), list):
                values.update(v for v in trace[axis] if isinstance(v, str))
        values.add(trace.get("name"))
    return values


def test_the_manager_sees_the_stock_charts_of_what_the_database_holds(signed_in, stocked):
    at = open_charts(signed_in("manager"))

    assert at.title[0].value == "Stock charts"
    charts = figures(at)
    assert len(charts) == 6, [e.value for e in at.info]  # on hand, 2 × weekly usage, cost, expiry, waste
    on_hand, by_category, by_item, cost, expiry, waste = charts
    assert "Chart test gloves (CHART-GLOVES)" in names_in(on_hand)
    assert {"Clinical supply", "Vaccine"} <= names_in(by_category)
    assert 1 <= len(by_item["data"]) <= 10  # the ten items used most (one trace each)
    assert waste["data"][0]["y"]  # the written-off vaccine
    # Every chart says what it counts and offers its data.
    assert len(at.caption) == 7
    assert len(at.get("download_button")) == 7

    table = at.dataframe[0].value
    gloves = table[table["item"] == "Chart test gloves"].iloc[0]
    # 70 usable on hand ÷ (30 used in the last 30 days = 1 a day) = 70 days: 2 March + 70 = 11 May.
    assert gloves["on_hand"] == 70 and gloves["daily_usage"] == pytest.approx(1.0)
    assert gloves["days_left"] == pytest.approx(70.0) and gloves["stockout_on"] == date(2026, 5, 11)


def test_the_category_filter_and_the_usage_window_change_what_is_shown(signed_in, stocked):
    at = open_charts(signed_in("manager"))
    at.selectbox(key="stock_category").set_value("vaccine").run()
    assert not at.exception, at.exception
    assert "Chart test gloves" not in set(at.dataframe[0].value["item"])
    assert "Chart test gloves (CHART-GLOVES)" not in names_in(figures(at)[0])

    at.selectbox(key="stock_category").set_value("supply")
    at.segmented_control(key="stock_window").set_value(90)
    at.number_input(key="stock_top").set_value(60).run()
    assert not at.exception, at.exception
    assert "Chart test gloves" in names_in(figures(at)[2])
    table = at.dataframe[0].value
    gloves = table[table["item"] == "Chart test gloves"].iloc[0]
    assert gloves["daily_usage"] == pytest.approx(30 / 90) and gloves["stockout_on"] == date(2026, 9, 28)


@pytest.fixture
def empty_clinic(tmp_path: Path, monkeypatch):
    """A new clinic: schema and one manager account, no inventory at all."""
    path = tmp_path / "empty.duckdb"
    with database(path) as conn:
        manager = make_user(conn, username="boss", role="manager")
    monkeypatch.setenv("CLINICDESK_DB", str(path))
    st.cache_resource.clear()
    st.cache_data.clear()
    timeutil.set_clock(SEED_NOW)
    yield manager
    timeutil.set_clock(None)
    st.cache_resource.clear()
    st.cache_data.clear()


def test_a_clinic_with_no_inventory_sees_plain_messages_instead_of_empty_charts(empty_clinic):
    at = app_test()
    at.session_state["user_id"] = empty_clinic
    open_charts(at)
    assert not at.get("plotly_chart")
    messages = [i.value for i in at.info]
    assert "No active items in the catalogue yet." in messages
    assert "No usage recorded in this period." in messages
    assert "No lot with an expiry date is in stock." in messages
    assert "Nothing was written off as expired in this period." in messages
