"""Printing: the one base every clinic PDF is built on (the day sheet, the intake form, and the
coming invoices and statements): page furniture, fonts, and text cleaned to what the font prints.

Pure: fpdf2 only, no streamlit, no duckdb. The only files it reads are the fonts under
``assets/fonts``.

Page furniture, the same on every page of every document (:class:`ClinicPDF`): US Letter with
half-inch margins; at the top a grey line with the clinic's name on the left and a stamp such as
"Printed 03/02/2026 07:30" on the right, the document's title in bold, whatever the document
adds below it (:meth:`ClinicPDF.subheader`) and a rule; at the foot a confidentiality note and
"Page n of m".

Fonts. With no font files given, fpdf2's built-in Helvetica is used. It knows one byte per
character; we use its Windows-1252 encoding (Latin-1 plus Š, Ž, Œ, curly quotes, dashes). A
character outside it is reduced to its base letter when it has one (č → c, ő → o, ł → l) and
printed as "?" otherwise (a name in Cyrillic or Chinese script prints as question marks; the MRN
beside it still identifies the patient, and the screen shows the name exactly). Such a PDF needs
no font file and is the same on every machine. Given a Unicode TrueType pair (``font=`` and
``bold_font=``; :func:`bundled_fonts` finds DejaVu Sans in ``assets/fonts``, which covers Latin,
Greek and Cyrillic) text is printed as typed, and a character the font has no glyph for is
reduced the same way ("?" for Chinese in DejaVu Sans) rather than printed as an empty box.
Either way :meth:`ClinicPDF.clean` never raises: a document never fails to print because of a
name typed in another script.

A new document subclasses :class:`ClinicPDF`, adds what goes under the title, and draws with
``self.family`` and ``self.clean``::

    class StatementPDF(ClinicPDF):
        footer_note = "Questions about this statement? Call the front desk."

        def __init__(self, statement, **fonts):
            super().__init__(clinic_name=statement.clinic_name, title="Statement",
                             stamp=f"Issued {statement.issued:%m/%d/%Y}", **fonts)
            self.statement = statement

        def subheader(self) -> None:  # on every page, under the title
            self.set_font(self.family, "", 11)
            self.cell(0, 6, self.clean(self.statement.patient_name), new_x="LMARGIN", new_y="NEXT")

    pdf = StatementPDF(statement, **bundled_fonts())
    pdf.add_page()
    pdf.set_font(pdf.family, "", 10)
    pdf.cell(0, 6, pdf.clean("Balance due: $40.00"))
    data = pdf.to_bytes()
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

# --- fonts -------------------------------------------------------------------------------------

FONT_DIR = Path(__file__).resolve().parent.parent / "assets" / "fonts"
# DejaVu Sans (free licence: assets/fonts/LICENSE-DejaVu.txt) covers Latin, Greek and Cyrillic.
FONT_REGULAR = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"


def bundled_fonts() -> dict[str, Path]:
    """``font``/``bold_font`` arguments for the PDF builders: the Unicode pair in assets/fonts, if
    there (a deployment may remove them to get the smaller Helvetica PDFs)."""
    if not FONT_REGULAR.is_file():
        return {}
    return {"font": FONT_REGULAR, "bold_font": FONT_BOLD if FONT_BOLD.is_file() else FONT_REGULAR}


# --- text the font can print -------------------------------------------------------------------

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


def _reduce(text: str, fits: Callable[[str], bool], invisible: Collection[str]) -> str:
    """One line of ``text`` made of characters that ``fits`` accepts: whitespace runs become
    one space, characters of the ``invisible`` categories go, any other character outside is
    reduced to its base letter or else "?"."""
    out = []
    # NFC first: an accent typed as a separate combining mark joins its letter ("e" + "◌́" → "é").
    for ch in _SPACES.sub(" ", unicodedata.normalize("NFC", text)):
        if unicodedata.category(ch) in invisible:
            continue
        if fits(ch):
            out.append(ch)
            continue
        base = ch.translate(_BASE_LETTERS)
        if base == ch:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(base if base and all(fits(c) for c in base) else "?")
    return "".join(out)


def printable(text: str) -> str:
    """``text`` reduced to what the built-in PDF fonts can show (Windows-1252), on one line.

    Whitespace runs (line breaks typed into a reason) become one space; other control
    characters are dropped; a letter outside the encoding loses its accent, or becomes "?".
    """
    return _reduce(text, _fits_cp1252, ("Cc", "Cf"))


def printable_with(text: str, glyphs: Collection[int]) -> str:
    """``text`` on one line, reduced to the characters (code points) a Unicode font has glyphs
    for; control, format, private-use and unassigned characters are dropped."""
    return _reduce(text, lambda ch: ord(ch) in glyphs, ("Cc", "Cf", "Cs", "Co", "Cn"))


# --- the page ----------------------------------------------------------------------------------

MARGIN = 12.7  # half an inch, in mm: 190.5 mm of usable width on US Letter
INK = (17, 24, 39)
GREY = (100, 108, 120)
RULE = (203, 208, 216)  # table rules
BAND = (226, 230, 236)  # table headings
STRIPE = (243, 245, 248)  # every other table row


class ClinicPDF(FPDF):
    """A US Letter document with the clinic's header and footer on every page, in one font family
    (``self.family``: Helvetica, or the Unicode font given) with regular and bold styles.

    Draw text through :meth:`clean`. Subclasses set :attr:`footer_note`, may set
    :attr:`header_gap`, and override :meth:`subheader` for what goes under the title.
    """

    #: Printed at the foot of every page, left of "Page n of m".
    footer_note = "Confidential: contains patient information."
    #: Space (mm) between the header's rule and the page's content.
    header_gap = 4.0

    def __init__(self, *, clinic_name: str, title: str, stamp: str | None = None, file_title: str | None = None,
                 font: Path | None = None, bold_font: Path | None = None) -> None:
        """``stamp`` goes right of the clinic's name (when it was printed); ``file_title`` is the
        title a PDF viewer shows (default ``title``)."""
        super().__init__(orientation="P", unit="mm", format="letter")
        self.clinic_name = clinic_name
        self.title_text = title
        self.stamp = stamp
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=16)
        self.alias_nb_pages()
        self._glyphs: frozenset[int] | None = None
        if font is not None:
            self.family = "clinic"
            self.add_font(self.family, "", str(font))
            self.add_font(self.family, "B", str(bold_font or font))
            # Only what both styles can draw, so a word prints the same in bold and regular.
            self._glyphs = frozenset(self.fonts["clinic"].cmap) & frozenset(self.fonts["clinicB"].cmap)
        else:
            self.family = "helvetica"
            self.core_fonts_encoding = "cp1252"
        self.set_title(self.clean(file_title or title))
        self.set_author(self.clean(clinic_name))
        self.set_creator("ClinicDesk")

    @property
    def unicode(self) -> bool:
        """True when printing with a Unicode TrueType font rather than the built-in Helvetica."""
        return self._glyphs is not None

    @property
    def content_width(self) -> float:
        return self.w - self.l_margin - self.r_margin

    def clean(self, text: str) -> str:
        """``text`` on one line, made of characters this document's font can print. Never raises."""
        text = str(text)
        return printable(text) if self._glyphs is None else printable_with(text, self._glyphs)

    # -- page furniture (fpdf2 calls header() and footer() on every page) --

    def header(self) -> None:
        self.set_text_color(*GREY)
        self.set_font(self.family, "", 8.5)
        self.cell(0, 4, self.clean(self.clinic_name), new_x="LMARGIN", new_y="TOP")
        if self.stamp:
            self.cell(0, 4, self.clean(self.stamp), align="R", new_x="LMARGIN", new_y="NEXT")
        else:
            self.ln(4)
        self.set_text_color(*INK)
        self.set_font(self.family, "B", 16)
        self.cell(0, 9, self.clean(self.title_text), new_x="LMARGIN", new_y="NEXT")
        self.subheader()
        self.set_text_color(*INK)
        self.set_draw_color(*INK)
        self.set_line_width(0.4)
        self.line(self.l_margin, self.get_y() + 1.5, self.w - self.r_margin, self.get_y() + 1.5)
        self.ln(self.header_gap)

    def subheader(self) -> None:
        """What a document prints under its title on every page (``self.page_no()`` tells which):
        nothing by default."""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_text_color(*GREY)
        self.set_font(self.family, "", 8)
        self.cell(0, 4, self.clean(self.footer_note), new_x="LMARGIN", new_y="TOP")
        self.cell(0, 4, f"Page {self.page_no()} of {{nb}}", align="R")

    # -- helpers for laying out a page --

    def ensure_room(self, height: float) -> None:
        """Start a new page unless ``height`` mm still fit above the bottom margin."""
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    def fit(self, text: str, width: float) -> str:
        """``text`` cut (with "...") to fit ``width`` mm in the current font."""
        if self.get_string_width(text) <= width - 0.5:
            return text
        while text and self.get_string_width(text + "...") > width - 0.5:
            text = text[:-1]
        return text + "..."

    @property
    def table_size(self) -> float:
        """The font size of tables: a Unicode font runs about 10% wider than Helvetica, so one
        point less keeps their lines whole."""
        return 8.5 if self.unicode else 9.5

    def facts(self, pairs: Sequence[tuple[str, str]]) -> None:
        """A row of small labelled facts across the page (a number, dates, who, a status)."""
        self.ensure_room(12)
        top = self.get_y()
        width = self.content_width / len(pairs)
        for n, (label, value) in enumerate(pairs):
            self.set_xy(MARGIN + n * width, top)
            self.set_font(self.family, "", 7.5)
            self.set_text_color(*GREY)
            self.cell(width - 2, 4, label, new_x="LEFT", new_y="NEXT")
            self.set_font(self.family, "", 10)
            self.set_text_color(*INK)
            self.cell(width - 2, 5.2, self.fit(self.clean(value), width - 2))
        self.set_xy(MARGIN, top + 12)

    def table_of(self, columns: Sequence[tuple[str, float, str]], rows: Sequence[Sequence[str]]) -> None:
        """A striped table with a heading row repeated on every page; ``columns`` are (title,
        width in mm, "LEFT" or "RIGHT")."""
        size = self.table_size
        self.set_font(self.family, "", size)
        self.set_text_color(*INK)
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        headings = FontFace(emphasis="BOLD", color=INK, fill_color=BAND, size_pt=size)
        with self.table(col_widths=tuple(w for _, w, _ in columns), width=sum(w for _, w, _ in columns),
                        align="LEFT", text_align=tuple(a for _, _, a in columns), headings_style=headings,
                        borders_layout="HORIZONTAL_LINES", cell_fill_color=STRIPE, cell_fill_mode="ROWS",
                        line_height=4.6, padding=(1.4, 1.4, 1.4, 1.4), v_align="TOP", repeat_headings=1) as table:
            heading = table.row()
            for title, _, _ in columns:
                heading.cell(title)
            for values in rows:
                cells = table.row()
                for value in values:
                    cells.cell(self.clean(value))
        self.ln(3)

    def to_bytes(self) -> bytes:
        return bytes(self.output())
