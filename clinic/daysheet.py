"""The provider day sheet: "tell the clinician what is coming", on screen and as a printed PDF.

Pure: rows come in as plain mappings (one per appointment, as ``db.appointments.list_between``
returns them) and go out as :class:`SheetRow` dataclasses, table rows for the screen, and PDF
bytes built with fpdf2. No streamlit, no duckdb.

Text on paper. fpdf2's built-in fonts (Helvetica here) know only one byte per character; we use
their Windows-1252 encoding (Latin-1 plus Š, Ž, Œ, curly quotes, dashes). A character outside it
is reduced to its base letter when it has one (č → c, ő → o, ł → l) and shown as "?" otherwise
(a name in Cyrillic or Chinese script prints as question marks; the MRN beside it still
identifies the patient, and the screen shows the name exactly). This needs no font file, so the
PDF is the same on every machine and opens in every viewer. A clinic that needs other scripts
on paper can pass a Unicode TrueType font (``font=`` and ``bold_font=``): then text is printed
as typed. fpdf2 ships no such font and none is guaranteed on a user's machine, so it is optional.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF, FontFace

from clinic.scheduling import STATUS_LABELS
from clinic.timeutil import to_local

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


def _missing(value: Any) -> bool:
    """None, NaN and pandas' NaT (not equal to themselves), or pandas' NA (no truth value)."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except TypeError:
        return True


def _text(value: Any) -> str:
    return "" if _missing(value) else str(value).strip()


def _as_date(value: Any) -> date | None:
    if _missing(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def age_on(date_of_birth: date, on: date) -> int:
    """Full years old on ``on`` (a 29 February birthday counts from 1 March in other years)."""
    years = on.year - date_of_birth.year
    if (on.month, on.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


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


def rows_from_records(records: Iterable[Mapping[str, Any]], tz: str) -> list[SheetRow]:
    """Sheet rows from appointment records (keys as in ``db.appointments.list_between``).

    Cancelled appointments are left out; the rest are put in time order. Ages are on the day of
    each appointment.
    """
    rows = []
    for r in records:
        if r["status"] == "cancelled":
            continue
        start = to_local(r["start_at"], tz)
        rows.append(
            SheetRow(
                appointment_id=int(r["id"]),
                start=start,
                end=to_local(r["end_at"], tz),
                patient=_text(r["patient"]),
                mrn=_text(r.get("mrn")),
                age=age_label(_as_date(r.get("date_of_birth")), start.date()),
                visit_type=_text(r.get("visit_type")),
                reason=_text(r.get("reason")),
                new_patient=not _missing(r.get("first_visit")) and bool(r.get("first_visit")),
                status=str(r["status"]),
                alerts=alerts_text(r.get("allergies")),
            )
        )
    return sorted(rows, key=lambda row: (row.start, row.appointment_id))


def alerts_text(allergies: object) -> str:
    """One line for the Alerts column: the recorded allergies, or nothing."""
    if _missing(allergies):
        return ""
    text = " ".join(str(allergies).split())
    return f"Allergy: {text}" if text else ""


def table_rows(rows: Iterable[SheetRow]) -> list[dict[str, Any]]:
    """The on-screen table: one dict per row, keys are the column titles."""
    return [
        {
            "Time": row.time_range,
            "Patient": row.patient,
            "MRN": row.mrn,
            "Age": row.age,
            "Visit type": row.visit_type,
            "Reason": row.reason,
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


# --- text the built-in PDF fonts can print ---------------------------------------------------

# Letters with no Unicode decomposition to a base letter.
_BASE_LETTERS = str.maketrans({
    "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ħ": "h", "Ħ": "H", "ı": "i", "ŧ": "t", "Ŧ": "T",
    "ŋ": "n", "Ŋ": "N", "ĸ": "k", "ŀ": "l", "Ŀ": "L", "ǥ": "g", "Ǥ": "G", "ƀ": "b", "ɨ": "i",
})
_SPACES = re.compile(r"\s+")


def _fits_cp1252(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def printable(text: str) -> str:
    """``text`` reduced to what the built-in PDF fonts can show (Windows-1252).

    Whitespace runs (line breaks typed into a reason) become one space; other control
    characters are dropped; a letter outside the encoding loses its accent, or becomes "?".
    """
    out = []
    for ch in _SPACES.sub(" ", text):
        if unicodedata.category(ch) in ("Cc", "Cf"):
            continue
        if _fits_cp1252(ch):
            out.append(ch)
            continue
        base = ch.translate(_BASE_LETTERS)
        if base == ch:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(base if base and _fits_cp1252(base) else "?")
    return "".join(out)


def _unicode_text(text: str) -> str:
    """With a Unicode font: every character as typed, but one line and no control characters."""
    return "".join(ch for ch in _SPACES.sub(" ", text) if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn"))


# --- the PDF ---------------------------------------------------------------------------------

# US Letter, portrait, half-inch margins: 190.5 mm of usable width.
_MARGIN = 12.7
_COLUMNS = (  # title, width in mm, alignment. Widths fit "17 mo", "Completed", "Checked in", "Annual
    # physical" and a bold "NEW" on one line at 9 pt; names and reasons wrap.
    ("Time", 21, "LEFT"),
    ("Patient", 40, "LEFT"),
    ("Age", 12, "RIGHT"),
    ("Visit type", 27, "LEFT"),
    ("Reason", 36, "LEFT"),
    ("New", 11, "CENTER"),
    ("Status", 20, "LEFT"),
    ("Alerts", 23.5, "LEFT"),
)
_INK = (17, 24, 39)
_GREY = (100, 108, 120)
_RULE = (203, 208, 216)
_STRIPE = (243, 245, 248)


class _SheetPDF(FPDF):
    def __init__(self, sheet: DaySheet, family: str, clean) -> None:
        super().__init__(orientation="P", unit="mm", format="letter")
        self.sheet = sheet
        self.family = family
        self.clean = clean
        self.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.set_auto_page_break(True, margin=16)
        self.alias_nb_pages()

    def header(self) -> None:
        sheet, clean = self.sheet, self.clean
        self.set_text_color(*_GREY)
        self.set_font(self.family, "", 8.5)
        self.cell(0, 4, clean(sheet.clinic_name), new_x="LMARGIN", new_y="TOP")
        if sheet.as_of is not None:
            self.cell(0, 4, f"As of {sheet.as_of:%Y-%m-%d %H:%M}", align="R", new_x="LMARGIN", new_y="NEXT")
        else:
            self.ln(4)
        self.set_text_color(*_INK)
        self.set_font(self.family, "B", 16)
        self.cell(0, 9, clean(f"Day sheet: {sheet.provider}"), new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.family, "", 11)
        self.cell(0, 6, clean(f"{day_label(sheet.day)}  ·  {summary(sheet.rows)}"), new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(*_INK)
        self.set_line_width(0.4)
        self.line(_MARGIN, self.get_y() + 1.5, self.w - _MARGIN, self.get_y() + 1.5)
        self.ln(4)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_text_color(*_GREY)
        self.set_font(self.family, "", 8)
        self.cell(0, 4, "Confidential: contains patient information. Shred after use.", new_x="LMARGIN", new_y="TOP")
        self.cell(0, 4, f"Page {self.page_no()} of {{nb}}", align="R")


def build_pdf(sheet: DaySheet, *, font: Path | None = None, bold_font: Path | None = None) -> bytes:
    """The day sheet as PDF bytes: header on every page, the table (headings repeated on each
    page), "Page n of m" in the footer. US Letter, readable in black and white."""
    if font is not None:
        # Unicode fonts such as DejaVu Sans run about 10% wider than Helvetica: one point less
        # keeps the same words on one line.
        family, clean, size = "sheet", _unicode_text, 8
    else:
        family, clean, size = "helvetica", printable, 9
    pdf = _SheetPDF(sheet, family, clean)
    if font is not None:
        pdf.add_font(family, "", str(font))
        pdf.add_font(family, "B", str(bold_font or font))
    else:
        pdf.core_fonts_encoding = "cp1252"
    pdf.set_title(clean(f"Day sheet {sheet.provider} {sheet.day.isoformat()}"))
    pdf.set_author(clean(sheet.clinic_name))
    pdf.set_creator("ClinicDesk")
    pdf.add_page()

    if not sheet.rows:
        pdf.set_font(family, "", 11)
        pdf.set_text_color(*_GREY)
        pdf.cell(0, 10, "No appointments are booked for this day.")
        return bytes(pdf.output())

    pdf.set_font(family, "", size)
    pdf.set_text_color(*_INK)
    pdf.set_draw_color(*_RULE)
    pdf.set_line_width(0.2)
    headings = FontFace(emphasis="BOLD", color=_INK, fill_color=(226, 230, 236), size_pt=size)
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
    return bytes(pdf.output())
