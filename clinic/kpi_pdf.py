"""The weekly KPI summary: each figure formatted once (its value, its change against the
comparison period, and which way is better), so the Analytics page's tiles and the PDF show the
same text, and the PDF itself: groups of figures as rows of facts, then a few tables (the key
charts as tables; no image export needed).

Pure: numbers come in from db/ functions (rates as fractions, money as Decimal) and go out as
text or PDF bytes built on :class:`clinic.printing.ClinicPDF`. No streamlit, no duckdb.

A change is "this period minus the period before": a rate's change is in percentage points
("+2.1 pts"), money's in dollars, a count's in units. No change when either side is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from clinic import analytics
from clinic.money import money_text
from clinic.printing import GREY, INK, ClinicPDF

UP, DOWN, NEITHER = "up", "down", "neither"  # which way is better


@dataclass(frozen=True)
class Kpi:
    label: str
    value: str
    delta: str | None = None  # "+2.1 pts", "-$120.00"; None without a comparison
    trend: int = 0  # the sign of the change: 1, -1 or 0 (none, or no comparison)
    better: str = UP
    help: str = ""
    previous: str | None = None  # the comparison period's value, as text

    @property
    def delta_colour(self) -> str:
        """How st.metric colours the change: "normal" (up is good), "inverse" (down is good) or
        "off" (grey: no change, or neither way is better)."""
        if self.trend == 0 or self.better == NEITHER:
            return "off"
        return "inverse" if self.better == DOWN else "normal"

    @property
    def printed(self) -> str:
        """The value as the PDF prints it, with the change: "12.5% (+2.1 pts)"."""
        return f"{self.value} ({self.delta})" if self.delta else self.value


def _kpi(label: str, now, before, *, fmt, change_fmt=None, scale=1, better: str, help: str, comparing: bool) -> Kpi:
    """A figure: ``fmt`` writes a value, ``change_fmt`` its change (× ``scale``: 100 for percentage
    points), the change being clinic.analytics.delta's."""
    value = "—" if now is None else fmt(now)
    if not comparing:
        return Kpi(label, value, better=better, help=help)
    previous = "—" if before is None else fmt(before)
    change = analytics.delta(now, before).absolute
    if change is None:
        return Kpi(label, value, better=better, help=help, previous=previous)
    change = change * scale
    trend = (change > 0) - (change < 0)
    text = (change_fmt or fmt)(change)
    if not any(digit in text for digit in "123456789"):  # too small to show: no change ("0.0 pts", not "-0.0")
        trend, text = 0, text.lstrip("-")
    return Kpi(label, value, ("+" if trend > 0 else "") + text, trend, better, help, previous)


def rate(label: str, now: float | None, before: float | None = None, *, better: str = DOWN, help: str = "",
         comparing: bool = False) -> Kpi:
    """A rate (a fraction: 0.125 is "12.5%"); its change in percentage points ("+2.1 pts")."""
    return _kpi(label, now, before, fmt="{:.1%}".format, change_fmt="{:.1f} pts".format, scale=100, better=better,
                help=help, comparing=comparing)


def count(label: str, now: int | None, before: int | None = None, *, better: str = NEITHER, help: str = "",
          comparing: bool = False) -> Kpi:
    return _kpi(label, now, before, fmt="{:,}".format, better=better, help=help, comparing=comparing)


def money(label: str, now: Decimal | None, before: Decimal | None = None, *, better: str = UP, help: str = "",
          comparing: bool = False) -> Kpi:
    return _kpi(label, now, before, fmt=money_text, better=better, help=help, comparing=comparing)


def days(label: str, now: float | Decimal | None, before: float | Decimal | None = None, *, better: str = DOWN,
         help: str = "", comparing: bool = False) -> Kpi:
    """A number of days (days in A/R, days to payment), to one decimal."""
    return _kpi(label, now, before, fmt="{:.1f} days".format, better=better, help=help, comparing=comparing)


def number(label: str, now: float | None, before: float | None = None, *, better: str = UP, help: str = "",
           comparing: bool = False, places: int = 2) -> Kpi:
    """A plain number (an AUC, visits per provider-day)."""
    fmt = f"{{:.{places}f}}".format
    return _kpi(label, now, before, fmt=fmt, better=better, help=help, comparing=comparing)


# --- the weekly summary ------------------------------------------------------------------------


def last_week(today: date) -> tuple[date, date]:
    """The last complete week before ``today``: (its Monday, the Monday after), end exclusive."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(weeks=1), monday


@dataclass(frozen=True)
class Table:
    title: str
    caption: str
    columns: Sequence[tuple[str, float, str]]  # (heading, width in mm, "LEFT"/"RIGHT"); 190.5 mm in all
    rows: Sequence[Sequence[str]]
    empty: str = "Nothing to show for this week."


@dataclass(frozen=True)
class Summary:
    clinic_name: str
    start: date
    end: date  # exclusive
    scope: str  # "All providers, all visit types"
    groups: Sequence[tuple[str, Sequence[Kpi]]] = ()
    tables: Sequence[Table] = field(default_factory=tuple)
    comparing: bool = True


def filename(start: date) -> str:
    return f"kpi-summary-week-of-{start.isoformat()}.pdf"


PER_ROW = 3  # figures side by side: a value with its change ("$12,345.67 (+$1,234.56)") needs a third of the page


class _SummaryPDF(ClinicPDF):
    footer_note = "ClinicDesk weekly KPI summary: figures from the clinic's records when printed."

    def __init__(self, summary: Summary, *, font: Path | None, bold_font: Path | None) -> None:
        last = summary.end - timedelta(days=1)
        super().__init__(clinic_name=summary.clinic_name, title="Weekly KPI summary",
                         stamp=f"Week of {summary.start:%m/%d/%Y}",
                         file_title=f"KPI summary, week of {summary.start:%m/%d/%Y}", font=font, bold_font=bold_font)
        compared = ", compared with the week before (change in brackets)" if summary.comparing else ""
        self.line_text = (f"{summary.start:%A %m/%d/%Y} to {last:%A %m/%d/%Y}{compared}. {summary.scope}.")

    def subheader(self) -> None:
        self.set_font(self.family, "", 9.5)
        self.set_text_color(*GREY)
        self.multi_cell(0, 5, self.clean(self.line_text), new_x="LMARGIN", new_y="NEXT")


def _heading(pdf: ClinicPDF, text: str, room: float) -> None:
    pdf.ensure_room(9 + room)
    pdf.set_font(pdf.family, "B", 12)
    pdf.set_text_color(*INK)
    pdf.cell(0, 8, pdf.clean(text), new_x="LMARGIN", new_y="NEXT")


def kpi_pdf(summary: Summary, *, font: Path | None = None, bold_font: Path | None = None) -> bytes:
    """The summary as PDF bytes (US Letter): each group's figures, then each table."""
    pdf = _SummaryPDF(summary, font=font, bold_font=bold_font)
    pdf.add_page()
    for title, kpis in summary.groups:
        _heading(pdf, title, 12)
        for start in range(0, len(kpis), PER_ROW):
            row = [(k.label, k.printed) for k in kpis[start:start + PER_ROW]]
            row += [("", "")] * (PER_ROW - len(row))  # the same column widths on every row
            pdf.facts(row)
        pdf.ln(2)
    for block in summary.tables:
        _heading(pdf, block.title, 20)
        pdf.set_font(pdf.family, "", 8.5)
        pdf.set_text_color(*GREY)
        pdf.multi_cell(0, 4.2, pdf.clean(block.caption), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
        if not block.rows:
            pdf.set_font(pdf.family, "", 10)
            pdf.set_text_color(*INK)
            pdf.cell(0, 6, pdf.clean(block.empty), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
            continue
        pdf.table_of(block.columns, [[str(v) for v in row] for row in block.rows])
    return pdf.to_bytes()
