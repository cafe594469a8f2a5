"""The provider day sheet: "tell the clinician what is coming", on screen and as a printed PDF.

Pure: rows come in as the day's typed appointment rows (``db.appointments.list_rows``) and go
out as :class:`SheetRow` dataclasses, table rows for the screen, and PDF bytes built on :class:`clinic.printing.ClinicPDF` (header, footer, fonts and text cleaning are
shared with every other printout; see there for what happens to characters a font cannot print).
No streamlit, no duckdb.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from fpdf import FontFace

from clinic.printing import GREY, INK, ClinicPDF
from clinic.scheduling import STATUS_LABELS
from clinic.timeutil import age_on, to_local

ALERTS_HELP = "Allergies recorded at intake."


@dataclass(frozen=True)
class SheetRow:
    """One appointment as the clinician reads it. Times are clinic-local."""

    appointment_id: int
    start: datetime
    end: datetime
    patient: str
    mrn: str
    age: str
    visit_type: str
    reason: str
    new_patient: bool
    status: str
    # Allergies (and later other alerts), joined for display.
    alerts: str = ""

    @property
    def time_range(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True)
class DaySheet:
    clinic_name: str
    provider: str
    day: date
    rows: list[SheetRow]
    # When the rows were read (clinic-local): the header says "As of ..." so an old printout shows its age.
    as_of: datetime | None = None


# --- building rows ---------------------------------------------------------------------------


class AppointmentFacts(Protocol):
    """What a sheet row is built from: the attributes of ``db.appointments.AppointmentRow``
    (missing values are None)."""

    id: int
    start_at: datetime
    end_at: datetime
    status: str
    patient: str
    mrn: str | None
    date_of_birth: date | None
    visit_type: str
    reason: str | None
    first_visit: bool | None
    allergies: str | None


def age_label(date_of_birth: date | None, on: date) -> str:
    """How a clinician writes an age: "52" from two years on, "18 mo" below, "12 d" for newborns."""
    if date_of_birth is None or date_of_birth > on:
        return ""
    years = age_on(date_of_birth, on)
    if years >= 2:
        return str(years)
    months = (on.year - date_of_birth.year) * 12 + on.month - date_of_birth.month
    if on.day < date_of_birth.day:
        months -= 1
    if months >= 1:
        return f"{months} mo"
    return f"{(on - date_of_birth).days} d"


def rows_from_records(records: Iterable[AppointmentFacts], tz: str) -> list[SheetRow]:
    """Sheet rows from the day's appointments (``db.appointments.list_rows``).

    Cancelled appointments are left out; the rest are put in time order. Ages are on the day of
    each appointment.
    """
    rows = []
    for r in records:
        if r.status == "cancelled":
            continue
        start = to_local(r.start_at, tz)
        rows.append(
            SheetRow(
                appointment_id=r.id,
                start=start,
                end=to_local(r.end_at, tz),
                patient=r.patient.strip(),
                mrn=(r.mrn or "").strip(),
                age=age_label(r.date_of_birth, start.date()),
                visit_type=(r.visit_type or "").strip(),
                reason=(r.reason or "").strip(),
                new_patient=bool(r.first_visit),
                status=r.status,
                alerts=alerts_text(r.allergies),
            )
        )
    return sorted(rows, key=lambda row: (row.start, row.appointment_id))


def alerts_text(allergies: str | None) -> str:
    """One line for the Alerts column: the recorded allergies, or nothing."""
    if not allergies:
        return ""
    text = " ".join(allergies.split())
    return f"Allergy: {text}" if text else ""


EMPTY = "—"  # an empty cell on screen (never "None" or blank where a value is expected)


def table_rows(rows: Iterable[SheetRow]) -> list[dict[str, Any]]:
    """The on-screen table: one dict per row, keys are the column titles. A missing MRN, age,
    visit type or reason shows "—"; Alerts stays blank without one, so real alerts stand out."""
    return [
        {
            "Time": row.time_range,
            "Patient": row.patient,
            "MRN": row.mrn or EMPTY,
            "Age": row.age or EMPTY,
            "Visit type": row.visit_type or EMPTY,
            "Reason": row.reason or EMPTY,
            "New patient": row.new_patient,
            "Status": row.status_label,
            "Alerts": row.alerts,
        }
        for row in rows
    ]


def day_label(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def summary(rows: list[SheetRow]) -> str:
    """One line a clinician reads first: how many, how many new, from when to when."""
    if not rows:
        return "No patients booked."
    count = len(rows)
    new = sum(row.new_patient for row in rows)
    parts = [f"{count} patient{'s' if count != 1 else ''}"]
    if new:
        parts.append(f"{new} new")
    parts.append(f"{rows[0].start:%H:%M}–{max(row.end for row in rows):%H:%M}")
    return " · ".join(parts)


def filename(sheet: DaySheet) -> str:
    return f"day-sheet-{sheet.day.isoformat()}-{slug(sheet.provider)}.pdf"


def slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "provider"


# --- the PDF ---------------------------------------------------------------------------------

_COLUMNS = (  # title, width in mm (190.5 in all), alignment. Widths fit "17 mo", "Completed",
    # "Checked in", "Annual physical" and a bold "NEW" on one line at 9 pt; names and reasons wrap.
    ("Time", 21, "LEFT"),
    ("Patient", 40, "LEFT"),
    ("Age", 12, "RIGHT"),
    ("Visit type", 27, "LEFT"),
    ("Reason", 36, "LEFT"),
    ("New", 11, "CENTER"),
    ("Status", 20, "LEFT"),
    ("Alerts", 23.5, "LEFT"),
)
_RULE = (203, 208, 216)
_STRIPE = (243, 245, 248)


class _SheetPDF(ClinicPDF):
    footer_note = "Confidential: contains patient information. Shred after use."

    def __init__(self, sheet: DaySheet, *, font: Path | None, bold_font: Path | None) -> None:
        super().__init__(
            clinic_name=sheet.clinic_name,
            title=f"Day sheet: {sheet.provider}",
            stamp=None if sheet.as_of is None else f"As of {sheet.as_of:%m/%d/%Y %H:%M}",
            file_title=f"Day sheet {sheet.provider} {sheet.day:%m/%d/%Y}",
            font=font,
            bold_font=bold_font,
        )
        self.sheet = sheet

    def subheader(self) -> None:
        self.set_font(self.family, "", 11)
        self.cell(0, 6, self.clean(f"{day_label(self.sheet.day)}  ·  {summary(self.sheet.rows)}"),
                  new_x="LMARGIN", new_y="NEXT")


def build_pdf(sheet: DaySheet, *, font: Path | None = None, bold_font: Path | None = None) -> bytes:
    """The day sheet as PDF bytes: header on every page, the table (headings repeated on each
    page), "Page n of m" in the footer. US Letter, readable in black and white. ``font`` and
    ``bold_font`` are optional Unicode TrueType files (see :mod:`clinic.printing`)."""
    pdf = _SheetPDF(sheet, font=font, bold_font=bold_font)
    family, clean = pdf.family, pdf.clean
    # Unicode fonts such as DejaVu Sans run about 10% wider than Helvetica: one point less keeps
    # the same words on one line.
    size = 8 if pdf.unicode else 9
    pdf.add_page()

    if not sheet.rows:
        pdf.set_font(family, "", 11)
        pdf.set_text_color(*GREY)
        pdf.cell(0, 10, "No appointments are booked for this day.")
        return pdf.to_bytes()

    pdf.set_font(family, "", size)
    pdf.set_text_color(*INK)
    pdf.set_draw_color(*_RULE)
    pdf.set_line_width(0.2)
    headings = FontFace(emphasis="BOLD", color=INK, fill_color=(226, 230, 236), size_pt=size)
    bold = FontFace(emphasis="BOLD")
    with pdf.table(
        col_widths=tuple(width for _, width, _ in _COLUMNS),
        width=sum(width for _, width, _ in _COLUMNS),
        align="LEFT",
        text_align=tuple(align for _, _, align in _COLUMNS),
        headings_style=headings,
        borders_layout="HORIZONTAL_LINES",
        cell_fill_color=_STRIPE,
        cell_fill_mode="ROWS",
        line_height=4.6,
        padding=(1.6, 1.4, 1.6, 1.4),
        v_align="TOP",
        repeat_headings=1,
    ) as table:
        heading = table.row()
        for title, _, _ in _COLUMNS:
            heading.cell(title)
        for row in sheet.rows:
            cells = table.row()
            cells.cell(row.time_range)
            cells.cell(clean(row.patient) + (f"\nMRN {clean(row.mrn)}" if row.mrn else ""))
            cells.cell(row.age)
            cells.cell(clean(row.visit_type))
            cells.cell(clean(row.reason))
            cells.cell("NEW" if row.new_patient else "", style=bold)
            cells.cell(row.status_label)
            cells.cell(clean(row.alerts))
    return pdf.to_bytes()
