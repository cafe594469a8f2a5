"""Printing, shared by every PDF: the clinic's header and footer on every page, fonts, and text
reduced to what the font can print instead of a crash or an empty box (read back without pypdf,
which is not installed: fpdf2 writes plain content streams we can inflate and search)."""

from __future__ import annotations

import logging
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from clinic import printing
from clinic.printing import ClinicPDF
from tests.clinic.pdf_helpers import pdf_text

CLINIC = "Riverside Family Practice"



class _Statement(ClinicPDF):
    """A document as the coming invoices and statements will write one."""

    footer_note = "Questions about this statement? Call the front desk."

    def subheader(self) -> None:
        self.set_font(self.family, "", 11)
        self.cell(0, 6, self.clean(f"For Ana Tanaka, sheet {self.page_no()}"), new_x="LMARGIN", new_y="NEXT")


# --- text the built-in font can print ----------------------------------------------------------


def test_western_european_names_print_exactly():
    for name in ("Søndergaard, Åse", "Müller, Jürgen", "Núñez, Iñés", "Šimon, Žaneta", "Œuvrard, Zoë"):
        assert printing.printable(name) == name


def test_letters_outside_the_pdf_font_lose_only_their_accent():
    assert printing.printable("Dvořák, Łucja Nguyễn Đức") == "Dvorák, Lucja Nguyen Duc"


def test_an_accent_typed_as_a_separate_mark_stays_on_its_letter():
    assert printing.printable("Jose\u0301 Nun\u0303ez") == "José Nuñez"


def test_scripts_the_pdf_font_cannot_draw_become_question_marks_not_errors():
    assert printing.printable("Иван 王芳") == "???? ??"


def test_line_breaks_and_control_characters_do_not_reach_the_paper():
    assert printing.printable("Knee pain\r\n\tafter fall\x00") == "Knee pain after fall"


# --- the page furniture ------------------------------------------------------------------------


def test_every_page_has_the_clinic_header_and_the_numbered_footer():
    pdf = _Statement(clinic_name=CLINIC, title="Statement", stamp="Issued 03/02/2026")
    pdf.add_page()
    pdf.set_font(pdf.family, "", 10)
    for n in range(1, 91):  # runs onto a third page by itself
        pdf.cell(0, 6, f"Line {n}", new_x="LMARGIN", new_y="NEXT")
    text = pdf_text(pdf.to_bytes())
    assert pdf.pages_count == 3
    for expected in (CLINIC, "Issued 03/02/2026", "Statement", "Questions about this statement? Call the front desk."):
        assert text.count(f"({expected})".encode()) == 3, expected
    for page in (1, 2, 3):
        assert f"(Page {page} of 3)".encode() in text
        assert f"(For Ana Tanaka, sheet {page})".encode() in text
    assert b"(Line 90)" in text


def test_without_a_stamp_or_subheader_the_header_is_the_clinic_and_the_title():
    pdf = ClinicPDF(clinic_name=CLINIC, title="Letter")
    pdf.add_page()
    text = pdf_text(pdf.to_bytes())
    assert f"({CLINIC})".encode() in text and b"(Letter)" in text and b"(Page 1 of 1)" in text
    assert b"(Confidential: contains patient information.)" in text
    assert re.search(rb"/MediaBox \[0 0 612(\.00)? 792(\.00)?\]", pdf.to_bytes())  # US Letter


def test_a_clinic_name_in_another_script_prints_as_question_marks_in_the_built_in_font():
    pdf = ClinicPDF(clinic_name="诊所 Riverside", title="Letter")
    pdf.add_page()
    assert b"(?? Riverside)" in pdf_text(pdf.to_bytes())


# --- the bundled Unicode font ------------------------------------------------------------------


def test_the_bundled_fonts_are_found_in_assets():
    fonts = printing.bundled_fonts()
    assert fonts["font"].name == "DejaVuSans.ttf" and fonts["font"].is_file()
    assert fonts["bold_font"].name == "DejaVuSans-Bold.ttf" and fonts["bold_font"].is_file()


def test_with_the_unicode_font_a_name_outside_it_prints_as_question_marks_not_empty_boxes(caplog):
    pdf = _Statement(clinic_name=CLINIC, title="Statement", **printing.bundled_fonts())
    assert pdf.unicode
    # Cyrillic and Vietnamese are in DejaVu Sans; Chinese is not.
    assert pdf.clean("Иванова Nguyễn 王芳\u200b") == "Иванова Nguyễn ??"
    with caplog.at_level(logging.WARNING, logger="fpdf"):
        pdf.add_page()
        pdf.set_font(pdf.family, "B", 12)
        pdf.cell(0, 8, pdf.clean("王芳 Иванова"))
        data = pdf.to_bytes()
    assert data.startswith(b"%PDF-") and b"/FontFile2" in data
    assert not [r for r in caplog.records if "missing" in r.getMessage()]


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=80))
def test_any_text_cleans_to_one_printable_line_in_either_font(text):
    plain = ClinicPDF(clinic_name=CLINIC, title="T").clean(text)
    assert "\n" not in plain
    plain.encode("cp1252")  # raises if the built-in font could not print it
    glyphs = frozenset(range(32, 127))  # a font that knows only ASCII
    ascii_only = printing.printable_with(text, glyphs)
    assert all(ord(ch) in glyphs for ch in ascii_only)
