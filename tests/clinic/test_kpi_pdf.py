"""The weekly KPI summary: figures formatted once with their change against the period before
(which way is good, no "-0.0"), and the PDF prints every figure, its change and the tables."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from clinic import kpi_pdf as kpi
from clinic.printing import bundled_fonts
from tests.clinic.pdf_helpers import pdf_text


def test_a_rate_changes_in_percentage_points_and_a_rise_in_no_shows_is_bad():
    figure = kpi.rate("No-show rate", 0.125, 0.1, comparing=True)
    assert (figure.value, figure.delta, figure.previous) == ("12.5%", "+2.5 pts", "10.0%")
    assert figure.trend == 1 and figure.delta_colour == "inverse"  # up, and up is bad: red


def test_money_and_counts_change_in_their_own_units():
    lost = kpi.money("Revenue lost", Decimal("100.00"), Decimal("250.50"), better=kpi.DOWN, comparing=True)
    assert (lost.value, lost.delta, lost.trend) == ("$100.00", "-$150.50", -1)
    seen = kpi.count("Completed visits", 1200, 1150, better=kpi.UP, comparing=True)
    assert (seen.value, seen.delta, seen.delta_colour) == ("1,200", "+50", "normal")


def test_a_change_too_small_to_show_is_no_change_not_minus_zero():
    figure = kpi.rate("No-show rate", 0.1, 0.1004, comparing=True)
    assert figure.delta == "0.0 pts" and figure.trend == 0 and figure.delta_colour == "off"


def test_without_a_comparison_or_a_value_there_is_no_change():
    assert kpi.rate("No-show rate", 0.2, 0.1).delta is None  # not comparing
    empty = kpi.rate("No-show rate", None, 0.1, comparing=True)
    assert (empty.value, empty.delta, empty.previous) == ("—", None, "10.0%")
    assert kpi.days("Days in A/R", 31.25, None, comparing=True).delta is None


def test_last_week_is_the_last_complete_monday_to_sunday():
    assert kpi.last_week(date(2026, 3, 2)) == (date(2026, 2, 23), date(2026, 3, 2))  # a Monday
    assert kpi.last_week(date(2026, 3, 8)) == (date(2026, 2, 23), date(2026, 3, 2))  # the Sunday after


SUMMARY = kpi.Summary(
    clinic_name="Maple Family Practice", start=date(2026, 2, 23), end=date(2026, 3, 2),
    scope="All providers, all visit types",
    groups=[("No-shows", [kpi.rate("No-show rate", 0.125, 0.1, comparing=True),
                          kpi.count("No-shows", 12, 9, better=kpi.DOWN, comparing=True),
                          kpi.money("Revenue lost to no-shows", Decimal("1440.00"), Decimal("1080.00"),
                                    better=kpi.DOWN, comparing=True),
                          kpi.count("Late cancellations", 3, 3, better=kpi.DOWN, comparing=True)])],
    tables=[kpi.Table("No-shows by provider", "The week's rate per provider.",
                      (("Provider", 100, "LEFT"), ("Rate", 40, "RIGHT")), [("Dr. Ana Reyes", "12.5%")]),
            kpi.Table("Items low on stock", "Today.", (("Item", 100, "LEFT"),), [], empty="No item is low on stock.")],
)


def test_the_pdf_prints_each_figure_with_its_change_and_each_table():
    text = pdf_text(kpi.kpi_pdf(SUMMARY))
    for expected in (b"Weekly KPI summary", b"Maple Family Practice", b"Week of 02/23/2026",
                     b"Monday 02/23/2026 to Sunday 03/01/2026", b"All providers, all visit types",
                     b"No-show rate", rb"12.5% \(+2.5 pts\)", rb"12 \(+3\)", rb"$1,440.00 \(+$360.00\)",
                     rb"3 \(0\)", b"No-shows by provider", b"Dr. Ana Reyes", b"No item is low on stock.",
                     b"Page 1 of 1"):
        assert expected in text, expected


def test_the_pdf_prints_with_the_unicode_font_and_runs_onto_more_pages():
    many = kpi.Table("Utilization by provider", "Booked ÷ available.", (("Provider", 100, "LEFT"),),
                     [(f"Provider {n}",) for n in range(90)])
    data = kpi.kpi_pdf(kpi.Summary(**{**vars(SUMMARY), "tables": [many]}), **bundled_fonts())
    assert len(re.findall(rb"/Type /Page\b", data)) >= 2
    assert kpi.filename(date(2026, 2, 23)) == "kpi-summary-week-of-2026-02-23.pdf"
