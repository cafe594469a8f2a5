"""The morning restock list as a printed checklist: one block per room (and the fridge), a box to
tick for each item carried over from the storeroom, how many and in what unit.

Pure: lines come in as anything with the attributes of ``db.restock.RestockLine`` and go out as
PDF bytes built on :class:`clinic.printing.ClinicPDF` (header, footer, fonts and text cleaning
shared with every other printout). No streamlit, no duckdb.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Protocol

from clinic.printing import GREY, INK, RULE, ClinicPDF

ROW_HEIGHT = 7.5
_COLUMNS = (  # title, width in mm (190.5 in all), alignment
    ("", 10, "C"),  # the box to tick
    ("Item", 72, "L"),
    ("SKU", 24, "L"),
    ("Bring", 14, "R"),
    ("Unit", 24, "L"),
    ("Note", 46.5, "L"),
)


class RestockFacts(Protocol):
    location_id: int
    location_name: str
    sku: str
    name: str
    unit: str
    par: int
    in_room: int
    bring: int
    short: bool


def filename(today: date) -> str:
    return f"restock-{today.isoformat()}.pdf"


def note(line: RestockFacts) -> str:
    """The Note column: what the storeroom could not cover."""
    if not line.short:
        return ""
    missing = max(0, line.par - line.in_room - line.bring)
    return f"Storeroom short: {missing} missing"


def by_room(lines: Iterable[RestockFacts]) -> list[tuple[str, list[RestockFacts]]]:
    """Lines grouped by room, rooms in the order they first appear (the list's order)."""
    groups: dict[int, tuple[str, list[RestockFacts]]] = {}
    for line in lines:
        groups.setdefault(line.location_id, (line.location_name, []))[1].append(line)
    return list(groups.values())


class _RestockPDF(ClinicPDF):
    footer_note = "Tick each line once it is in the room, then record the transfers in ClinicDesk."

    def __init__(self, clinic_name: str, today: date, *, font: Path | None, bold_font: Path | None) -> None:
        super().__init__(clinic_name=clinic_name, title="Morning restock list", stamp=f"For {today:%m/%d/%Y}",
                         file_title=f"Restock list {today:%m/%d/%Y}", font=font, bold_font=bold_font)
        self.day = today

    def subheader(self) -> None:
        self.set_font(self.family, "", 10)
        self.set_text_color(*GREY)
        self.cell(0, 6, self.clean("From the storeroom to each room, to bring it up to its par level."),
                  new_x="LMARGIN", new_y="NEXT")


def _headings(pdf: _RestockPDF, size: float) -> None:
    pdf.set_font(pdf.family, "B", size)
    pdf.set_text_color(*GREY)
    for title, width, align in _COLUMNS:
        pdf.cell(width, 5, title, align=align)
    pdf.ln(5)


def _row(pdf: _RestockPDF, line: RestockFacts, size: float) -> None:
    x, y = pdf.get_x(), pdf.get_y()
    box = 4.2
    pdf.set_draw_color(*INK)
    pdf.set_line_width(0.3)
    pdf.rect(x + (_COLUMNS[0][1] - box) / 2, y + (ROW_HEIGHT - box) / 2, box, box)
    pdf.set_x(x + _COLUMNS[0][1])
    pdf.set_text_color(*INK)
    cells = (pdf.clean(line.name), pdf.clean(line.sku), str(line.bring), pdf.clean(line.unit), note(line))
    for (_, width, align), text in zip(_COLUMNS[1:], cells):
        pdf.set_font(pdf.family, "B" if align == "R" else "", size)
        pdf.cell(width, ROW_HEIGHT, pdf.fit(text, width), align=align)
    pdf.ln(ROW_HEIGHT)
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.2)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())


def restock_pdf(lines: Iterable[RestockFacts], clinic_name: str, today: date, *, font: Path | None = None,
                bold_font: Path | None = None) -> bytes:
    """The checklist as PDF bytes (US Letter, black and white). A room's heading is repeated when
    its items run onto the next page."""
    pdf = _RestockPDF(clinic_name, today, font=font, bold_font=bold_font)
    size = 9 if pdf.unicode else 10
    pdf.add_page()
    groups = by_room(lines)
    if not groups:
        pdf.set_font(pdf.family, "", 11)
        pdf.set_text_color(*GREY)
        pdf.cell(0, 10, "Every room is at its par level: nothing to bring.")
        return pdf.to_bytes()
    for room, room_lines in groups:
        pdf.ensure_room(9 + 5 + ROW_HEIGHT)  # never a heading alone at the foot of a page
        pdf.set_font(pdf.family, "B", 12)
        pdf.set_text_color(*INK)
        pdf.cell(0, 9, pdf.clean(room), new_x="LMARGIN", new_y="NEXT")
        _headings(pdf, size - 1)
        for line in room_lines:
            if pdf.get_y() + ROW_HEIGHT > pdf.page_break_trigger:
                pdf.add_page()
                pdf.set_font(pdf.family, "B", 12)
                pdf.set_text_color(*INK)
                pdf.cell(0, 9, pdf.clean(f"{room} (continued)"), new_x="LMARGIN", new_y="NEXT")
                _headings(pdf, size - 1)
            _row(pdf, line, size)
        pdf.ln(3)
    return pdf.to_bytes()
