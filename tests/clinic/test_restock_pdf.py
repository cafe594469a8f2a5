"""The printed restock checklist: every room's name, its items, how many and the unit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from clinic.printing import bundled_fonts
from clinic.restock_pdf import by_room, restock_pdf
from tests.clinic.pdf_helpers import pdf_text


@dataclass(frozen=True)
class Line:
    location_id: int
    location_name: str
    sku: str
    name: str
    unit: str
    par: int
    in_room: int
    bring: int
    short: bool = False


LINES = [
    Line(2, "Exam room 1", "GLV-M", "Nitrile gloves M", "box of 100", 4, 1, 3),
    Line(2, "Exam room 1", "GZE-4", "Gauze pads 4x4", "pack", 10, 2, 8),
    Line(5, "Vaccine fridge", "FLU-26", "Flu vaccine 2026", "vial", 12, 0, 5, short=True),
]


def test_the_checklist_names_each_room_and_what_to_bring_there():
    text = pdf_text(restock_pdf(LINES, "Maple Family Practice", date(2026, 3, 2)))
    for expected in (b"Morning restock list", b"Maple Family Practice", b"Exam room 1", b"Vaccine fridge",
                     b"Nitrile gloves M", b"box of 100", b"Gauze pads 4x4", b"Flu vaccine 2026",
                     b"Storeroom short: 7 missing", b"Page 1 of 1"):
        assert expected in text, expected


def test_lines_are_grouped_by_room_in_list_order():
    assert [(room, [line.sku for line in lines]) for room, lines in by_room(LINES)] == [
        ("Exam room 1", ["GLV-M", "GZE-4"]), ("Vaccine fridge", ["FLU-26"])]


def test_a_long_list_runs_onto_more_pages_and_prints_with_the_unicode_font_too():
    many = [Line(2, "Exam room 1", f"SKU-{n}", f"Item {n}", "each", 10, 0, n) for n in range(1, 60)]
    text = pdf_text(restock_pdf(many, "Maple Family Practice", date(2026, 3, 2)))
    assert b"Page 3 of 3" in text and rb"Exam room 1 \(continued\)" in text and b"Item 59" in text
    unicode = restock_pdf(many, "Maple Family Practice", date(2026, 3, 2), **bundled_fonts())
    assert len(re.findall(rb"/Type /Page\b", unicode)) == 3


def test_an_empty_list_says_nothing_is_needed():
    assert b"nothing to bring" in pdf_text(restock_pdf([], "Maple Family Practice", date(2026, 3, 2)))
