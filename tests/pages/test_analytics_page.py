"""Manager › Analytics through the real app on the seeded clinic: every tab renders for the manager
and the admin, the tiles are the report functions' numbers with their change against the period
before, the provider filter narrows them, a clinic with no visits gets plain messages, and the
weekly KPI PDF prints the same figures. (Other roles are refused by tests/pages/test_every_page.py,
which walks clinic.access.PAGES.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st

from clinic import analytics, timeutil
from clinic import kpi_pdf as kpi
from tests.clinic.pdf_helpers import pdf_text
from tests.conftest import SEED_NOW, SEED_TODAY, app_test, database, make_user

PAGE = "pages/analytics.py"
TABS = ("No-shows", "No-show risk", "Billing", "Stock", "Utilization")


def open_analytics(at, tab: str | None = None):
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    if tab is not None:
        at.session_state["analytics_tab"] = tab
        at.run()
        assert not at.exception, at.exception
    return at


def tiles(at) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_every_tab_renders_its_tiles_and_charts_without_an_error(signed_in, role):
    at = open_analytics(signed_in(role))
    assert at.title[0].value == "Analytics"
    assert at.get("download_button"), "the weekly PDF and the CSVs are offered"
    seen = {}
    for tab in TABS:
        at.session_state["analytics_tab"] = tab
        at.run()
        assert not at.exception, (tab, at.exception)
        seen[tab] = ([m.label for m in at.metric], len(at.get("plotly_chart")), [s.value for s in at.subheader])
    assert "No-show rate" in seen["No-shows"][0] and seen["No-shows"][1] >= 10
    assert "AUC" in seen["No-show risk"][0]
    assert "Items low on stock" in seen["Stock"][0]
    assert "Utilization by provider and week" in seen["Utilization"][2]
    # Only the open tab runs: the stock charts are not drawn on the No-shows tab.
    assert "Waste from expiry by month" not in seen["No-shows"][2]


def test_the_no_show_tiles_are_the_reports_numbers_against_the_period_before(signed_in, app_env: Path):
    from db import reports

    # The seeded clinic's visits span the two months before SEED_TODAY: 30 days and the 30 before.
    start, end = analytics.preset_period("last_30_days", SEED_TODAY)
    before_start, before_end = analytics.previous_period(start, end)
    with database(app_env) as conn:
        now = reports.no_show_summary(conn, start=start, end=end)
        before = reports.no_show_summary(conn, start=before_start, end=before_end)
    assert now["appointments"] > 0 and before["appointments"] > 0

    at = open_analytics(signed_in("manager"))
    at.selectbox(key="analytics_preset").set_value("last_30_days").run()
    assert not at.exception, at.exception
    shown = tiles(at)
    for label, figure in {
        "No-show rate": kpi.rate("", now["rate"], before["rate"], comparing=True),
        "No-shows": kpi.count("", now["no_shows"], before["no_shows"], comparing=True),
        "Completed visits": kpi.count("", now["completed"], before["completed"], comparing=True),
        "Late cancellations": kpi.count("", now["late_cancels"], before["late_cancels"], comparing=True),
        "Revenue lost to no-shows": kpi.money("", now["revenue_lost"], before["revenue_lost"], comparing=True),
    }.items():
        assert shown[label] == (figure.value, figure.delta), label
    assert shown["No-show rate"][1].endswith(" pts")  # a change in percentage points


def test_the_provider_filter_and_turning_the_comparison_off_change_the_tiles(signed_in, app_env: Path):
    from db import providers, reports

    start, end = analytics.preset_period("last_90_days", SEED_TODAY)
    with database(app_env) as conn:
        provider = providers.list_providers(conn)[0]
        own = reports.no_show_summary(conn, start=start, end=end, provider_id=provider.id)
    at = open_analytics(signed_in("manager"))
    at.selectbox(key="analytics_provider").set_value(provider.id)
    at.toggle(key="analytics_compare").set_value(False).run()
    assert not at.exception, at.exception
    shown = tiles(at)
    assert shown["No-shows"] == (f"{own['no_shows']:,}", "")
    assert shown["No-show rate"][0] == kpi.rate("", own["rate"]).value


def test_the_stock_tab_counts_what_the_stock_alerts_count(signed_in, app_env: Path):
    from db import stock_alerts

    with database(app_env) as conn:
        counts = stock_alerts.alert_counts(conn, today=SEED_TODAY)
    shown = tiles(open_analytics(signed_in("manager"), "Stock"))
    assert shown["Items low on stock"][0] == f"{counts['low']:,}"
    assert shown["Expired lots to write off"][0] == f"{counts['expired']:,}"


def test_the_weekly_pdf_prints_the_tiles_numbers_of_last_week(app_env: Path):
    from components.analytics.summary import weekly_summary
    from db import reports

    start, end = kpi.last_week(SEED_TODAY)
    with database(app_env) as conn:
        now = reports.no_show_summary(conn, start=start, end=end)
        before = reports.no_show_summary(conn, start=start - (end - start), end=start)
        summary = weekly_summary(conn, today=SEED_TODAY)
    text = pdf_text(kpi.kpi_pdf(summary))
    rate = kpi.rate("", now["rate"], before["rate"], comparing=True)
    assert f"{rate.value} ({rate.delta})".replace("(", r"\(").replace(")", r"\)").encode() in text
    assert f"{now['no_shows']:,}".encode() in text
    assert kpi.money("", now["revenue_lost"]).value.encode() in text
    assert f"Week of {start:%m/%d/%Y}".encode() in text


@pytest.fixture
def empty_clinic(tmp_path: Path, monkeypatch):
    """A new clinic: the schema and one manager, no providers' visits, no stock."""
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


def test_a_clinic_with_no_visits_gets_plain_messages_instead_of_empty_charts(empty_clinic):
    at = app_test()
    at.session_state["user_id"] = empty_clinic
    open_analytics(at)
    for tab in TABS:
        at.session_state["analytics_tab"] = tab
        at.run()
        assert not at.exception, (tab, at.exception)
        assert at.info, f"{tab}: a plain message"
    at.session_state["analytics_tab"] = "No-shows"
    at.run()
    assert not at.get("plotly_chart")
    assert "No completed or missed appointments in this period." in [i.value for i in at.info]
