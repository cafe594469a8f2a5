"""The printable intake form: blank for walk-ins, prefilled for a booked patient to check.

Pure: a patient comes in as the mapping ``db.patients.get_full(...).as_dict()`` gives (or ``None`` for a blank
form) and goes out as PDF bytes built with fpdf2. No streamlit, no duckdb. US Letter, portrait,
black and white friendly; the sections follow the intake screen (identity, contact, emergency
contact, insurance, clinical intake, consents) so staff can type a paper form in top to bottom.

Header, footer, fonts and text cleaning come from :class:`clinic.printing.ClinicPDF`: by default
the built-in Helvetica, where a character outside Windows-1252 loses its accent (č → c) or prints
as "?", so a form never fails to print because of a name typed in another script; with
``font=``/``bold_font=`` (Unicode TrueType files) every character the font has is printed as typed.
Check boxes and rules are drawn, not typed, so they need no font glyphs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from clinic.intake import display_phone
from clinic.printing import GREY, INK, MARGIN, ClinicPDF

# Labels of the fixed choices, shared with the intake screen.
SEX_LABELS = {"female": "Female", "male": "Male", "other": "Other", "unknown": "Unknown"}
CONTACT_LABELS = {"phone": "Phone call", "sms": "Text message", "email": "Email", "letter": "Letter"}
RELATIONSHIP_LABELS = {"self": "Self", "spouse": "Spouse", "child": "Child", "other": "Other"}
YES_NO = {True: "Yes", False: "No"}

PRIVACY_TEXT = ("I acknowledge that I have received the clinic's Notice of Privacy Practices, which explains how "
                "my health information may be used and shared.")
FINANCIAL_TEXT = ("I have read the clinic's financial policy. I understand that I am responsible for charges my "
                  "insurance does not pay, and I authorise the clinic to bill my insurance on my behalf.")

_GAP = 4.0
_ROW_H = 13.0
_RULE = (150, 156, 166)
_BAND = (226, 230, 236)
_SINGLE_LINE_LIMIT = 300  # characters looked at for a one-line field (they are at most 200 when valid)
_BOX_LINE_H = 7.0
_MAX_BOX_LINES = 30


# --- values as they appear on paper ---------------------------------------------------------


# Values come from db.patients.PatientRecord.as_dict(): typed, None when empty (never NaN).


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _date_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return f"{value:%m/%d/%Y}"
    return str(value)


def _phone_text(value: Any, region: str) -> str:
    text = _text(value)
    return display_phone(text, region) if text else ""


def full_name(patient: Mapping[str, Any] | None) -> str:
    if not patient:
        return ""
    parts = (_text(patient.get(k)).strip() for k in ("first_name", "middle_name", "last_name"))
    return " ".join(p for p in parts if p)


def filename(patient: Mapping[str, Any] | None) -> str:
    """``intake-form-blank.pdf`` or ``intake-form-<MRN>.pdf`` (no name: downloads folders are not private)."""
    if not patient:
        return "intake-form-blank.pdf"
    mrn = re.sub(r"[^A-Za-z0-9-]+", "", _text(patient.get("mrn"))) or "patient"
    return f"intake-form-{mrn}.pdf"


# --- the PDF ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    label: str
    value: str = ""
    share: float = 1.0


@dataclass(frozen=True)
class _Space:
    share: float = 1.0


@dataclass(frozen=True)
class _Choice:
    label: str
    options: Sequence[tuple[object, str]]
    selected: object = None
    share: float = 1.0


class _IntakePDF(ClinicPDF):
    header_gap = 5.0

    def __init__(self, *, title: str, subtitle: str, clinic_name: str, printed_at: datetime | None,
                 patient_line: str | None, font: Path | None, bold_font: Path | None) -> None:
        super().__init__(clinic_name=clinic_name, title=title,
                         stamp=None if printed_at is None else f"Printed {printed_at:%m/%d/%Y %H:%M}",
                         font=font, bold_font=bold_font)
        self.subtitle = subtitle
        self.patient_line = patient_line

    def subheader(self) -> None:
        """Page 1: how to fill the form in. Later pages: whose form it is, or room to write it."""
        self.set_font(self.family, "", 9.5)
        if self.page_no() == 1:
            self.set_text_color(*GREY)
            self.cell(0, 5, self.clean(self.subtitle), new_x="LMARGIN", new_y="NEXT")
        elif self.patient_line:
            self.cell(0, 5, self.clean(self.patient_line), new_x="LMARGIN", new_y="NEXT")
        else:
            # A blank form's later pages: room to write who the page belongs to.
            y = self.get_y()
            self.set_text_color(*GREY)
            self.cell(24, 5, "Patient name")
            self.set_x(MARGIN + 120)
            self.cell(24, 5, "Date of birth")
            self.set_draw_color(*_RULE)
            self.set_line_width(0.2)
            self.line(MARGIN + 24, y + 4.5, MARGIN + 116, y + 4.5)
            self.line(MARGIN + 144, y + 4.5, self.w - MARGIN, y + 4.5)
            self.set_y(y + 5)

    # -- building blocks --

    def section(self, title: str, note: str = "", *, keep_with: float = _ROW_H) -> None:
        """A grey band with the section's title, kept on one page with the next ``keep_with`` mm."""
        self.ensure_room(9 + keep_with)
        y = self.get_y()
        self.set_fill_color(*_BAND)
        self.rect(MARGIN, y, self.content_width, 6.5, style="F")
        self.set_xy(MARGIN + 2, y + 0.6)
        self.set_text_color(*INK)
        self.set_font(self.family, "B", 11)
        self.cell(self.get_string_width(title) + 3, 5.4, title)
        if note:
            self.set_font(self.family, "", 8)
            self.set_text_color(*GREY)
            self.cell(0, 5.4, self.clean(note))
        self.set_y(y + 9)

    def subheading(self, title: str) -> None:
        self.ensure_room(6 + _ROW_H)
        self.set_font(self.family, "B", 9.5)
        self.set_text_color(*INK)
        self.cell(0, 5, title, new_x="LMARGIN", new_y="NEXT")
        self.ln(0.5)

    def row(self, items: Sequence[_Field | _Choice | _Space]) -> None:
        self.ensure_room(_ROW_H)
        y = self.get_y()
        total = sum(item.share for item in items)
        usable = self.content_width - _GAP * (len(items) - 1)
        x = MARGIN
        for item in items:
            width = usable * item.share / total
            if isinstance(item, _Field):
                self._field(x, y, width, item)
            elif isinstance(item, _Choice):
                self._choice(x, y, width, item)
            x += width + _GAP
        self.set_xy(MARGIN, y + _ROW_H)

    def _label(self, x: float, y: float, width: float, label: str) -> None:
        self.set_xy(x, y)
        self.set_font(self.family, "", 7.5)
        self.set_text_color(*GREY)
        self.cell(width, 3.6, self.fit(label, width))

    def _field(self, x: float, y: float, width: float, field: _Field) -> None:
        self._label(x, y, width, field.label)
        self.set_xy(x, y + 4.0)
        self.set_font(self.family, "", 10.5)
        self.set_text_color(*INK)
        value = " ".join(self.clean(field.value[:_SINGLE_LINE_LIMIT]).split())
        self.cell(width, 6, self.fit(value, width))
        self.set_draw_color(*_RULE)
        self.set_line_width(0.25)
        self.line(x, y + 10.4, x + width, y + 10.4)

    def _choice(self, x: float, y: float, width: float, choice: _Choice) -> None:
        self._label(x, y, width, choice.label)
        self.set_font(self.family, "", 9.5)
        self.set_text_color(*INK)
        box = 3.4
        cx, top = x, y + 5.2
        for key, label in choice.options:
            self.set_draw_color(*INK)
            self.set_line_width(0.3)
            self.rect(cx, top, box, box)
            if choice.selected is not None and key == choice.selected:
                self.set_line_width(0.5)
                self.line(cx + 0.6, top + 0.6, cx + box - 0.6, top + box - 0.6)
                self.line(cx + 0.6, top + box - 0.6, cx + box - 0.6, top + 0.6)
            self.set_xy(cx + box + 1.2, top - 0.8)
            text_w = self.get_string_width(label) + 1
            self.cell(text_w, 5, label)
            cx += box + 1.2 + text_w + 3.5

    def text_box(self, label: str, value: str, *, blank_lines: int = 3) -> None:
        """A labelled box for free text: ruled lines to write on, holding the text (wrapped) to check."""
        width = self.content_width
        text = "\n".join(" ".join(self.clean(line).split()) for line in value.splitlines()).strip()
        self.set_font(self.family, "", 10)
        lines: list[str] = []
        if text:
            lines = self.multi_cell(width - 4, _BOX_LINE_H, text, dry_run=True, output="LINES")
            if len(lines) > _MAX_BOX_LINES:
                lines = lines[: _MAX_BOX_LINES - 1] + ["(continues: see the patient file)"]
        # One spare line under what is printed, for a correction.
        count = max(len(lines) + 1, blank_lines) if lines else blank_lines
        height = count * _BOX_LINE_H
        self.ensure_room(4.5 + height + 3)
        y = self.get_y()
        self._label(MARGIN, y, width, label)
        top = y + 4.2
        self.set_draw_color(*_RULE)
        self.set_line_width(0.25)
        self.rect(MARGIN, top, width, height)
        self.set_draw_color(*_BAND)
        for n in range(1, count):  # faint writing lines; the text sits on them
            self.line(MARGIN + 2, top + n * _BOX_LINE_H, MARGIN + width - 2, top + n * _BOX_LINE_H)
        self.set_font(self.family, "", 10)
        self.set_text_color(*INK)
        for n, line in enumerate(lines):
            self.set_xy(MARGIN + 2, top + n * _BOX_LINE_H + 1.6)
            self.cell(width - 4, _BOX_LINE_H - 2, line)
        self.set_xy(MARGIN, top + height + 3)

    def paragraph(self, text: str) -> None:
        self.set_font(self.family, "", 9)
        self.set_text_color(*INK)
        self.multi_cell(0, 4.3, self.clean(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def signature_row(self, left: str, right: str = "Date") -> None:
        self.ensure_room(14)
        y = self.get_y() + 8
        self.set_draw_color(*INK)
        self.set_line_width(0.3)
        self.line(MARGIN, y, MARGIN + 120, y)
        self.line(MARGIN + 130, y, self.w - MARGIN, y)
        self.set_font(self.family, "", 7.5)
        self.set_text_color(*GREY)
        self.set_xy(MARGIN, y + 0.6)
        self.cell(120, 3.6, left)
        self.set_xy(MARGIN + 130, y + 0.6)
        self.cell(40, 3.6, right)
        self.set_xy(MARGIN, y + 6)


def _plan(patient: Mapping[str, Any] | None, rank: int) -> Mapping[str, Any]:
    plan = (patient or {}).get(f"insurance{rank}")
    return plan if isinstance(plan, Mapping) else {}


def build_pdf(patient: Mapping[str, Any] | None = None, *, clinic_name: str, printed_at: datetime | None = None,
              region: str = "US", font: Path | None = None, bold_font: Path | None = None) -> bytes:
    """The intake form as PDF bytes. ``patient`` (``db.patients.get_full(...).as_dict()``) fills it
    in for the patient to check; ``None`` gives the blank form for walk-ins."""
    p: Mapping[str, Any] = patient or {}
    filled = patient is not None

    def v(key: str) -> str:
        return _text(p.get(key))

    name = full_name(patient)
    if filled:
        title = "Patient details: please check"
        subtitle = (f"MRN {v('mrn')}. Please check every line; cross out anything wrong and write the "
                    "correction beside it.")
        patient_line = f"{name} · MRN {v('mrn')} · born {_date_text(p.get('date_of_birth'))}"
    else:
        title = "New patient intake form"
        subtitle = "Please print clearly. Fields marked * are required. Ask at the front desk if anything is unclear."
        patient_line = None

    pdf = _IntakePDF(title=title, subtitle=subtitle, clinic_name=clinic_name, printed_at=printed_at,
                     patient_line=patient_line, font=font, bold_font=bold_font)
    pdf.add_page()

    pdf.section("Identity", "Legal name as on your ID or insurance card")
    pdf.row([_Field("First name *", v("first_name"), 3), _Field("Middle name", v("middle_name"), 2),
             _Field("Last name *", v("last_name"), 3)])
    pdf.row([_Field("Preferred name", v("preferred_name"), 3),
             _Field("Date of birth (MM/DD/YYYY) *", _date_text(p.get("date_of_birth")), 2),
             _Field("Preferred language", v("preferred_language"), 3)])
    pdf.row([_Choice("Sex *", list(SEX_LABELS.items()), p.get("sex"))])

    pdf.section("Contact", "At least one phone number")
    pdf.row([_Field("Mobile phone", _phone_text(p.get("phone_mobile"), region)),
             _Field("Home phone", _phone_text(p.get("phone_home"), region)),
             _Field("Email", v("email"), 1.6)])
    pdf.row([_Field("Address", v("address_line1"), 3), _Field("Address line 2", v("address_line2"), 2)])
    pdf.row([_Field("City", v("city"), 3), _Field("State", v("state"), 1), _Field("ZIP code", v("postal_code"), 1.4)])
    pdf.row([_Choice("Preferred contact", list(CONTACT_LABELS.items()), p.get("preferred_contact") if filled else None,
                     2.1),
             _Choice("Text reminders", list(YES_NO.items()), p.get("consent_sms") if filled else None, 1),
             _Choice("Email reminders", list(YES_NO.items()), p.get("consent_email") if filled else None, 1)])

    pdf.section("Emergency contact")
    pdf.row([_Field("Name", v("emergency_name"), 3), _Field("Relationship", v("emergency_relationship"), 2),
             _Field("Phone", _phone_text(p.get("emergency_phone"), region), 2)])

    pdf.section("Insurance", "Please show your insurance card at the front desk")
    for rank, heading in ((1, "Primary insurance"), (2, "Secondary insurance (if any)")):
        plan = _plan(patient, rank)
        pdf.subheading(heading)
        pdf.row([_Field("Insurance company (payer)", _text(plan.get("payer")), 3),
                 _Field("Member ID", _text(plan.get("member_id")), 2),
                 _Field("Group number", _text(plan.get("group_number")), 2)])
        pdf.row([_Field("Subscriber (policy holder) name", _text(plan.get("subscriber_name")), 3),
                 _Choice("Patient's relationship to subscriber", list(RELATIONSHIP_LABELS.items()),
                         plan.get("subscriber_relationship"), 4)])

    pdf.section("Clinical intake", "Write \"none\" if there are none", keep_with=4.5 + 3 * _BOX_LINE_H)
    pdf.text_box("Allergies (medicines, food, latex) and reactions", v("allergies"))
    pdf.text_box("Current medications, with dose and how often", v("medications"), blank_lines=4)
    pdf.text_box("Medical conditions", v("conditions"))
    pdf.text_box("Reason for your first visit", v("first_visit_reason"), blank_lines=2)

    pdf.section("Consents")
    pdf.paragraph(PRIVACY_TEXT)
    pdf.row([_Choice("Privacy notice", [(True, "Acknowledged")], bool(p.get("privacy_ack_on")), 1),
             _Field("Date acknowledged", _date_text(p.get("privacy_ack_on")), 1), _Space(2)])
    pdf.paragraph(FINANCIAL_TEXT)
    pdf.row([_Choice("Financial policy", [(True, "Signed")], bool(p.get("financial_policy_on")), 1),
             _Field("Date signed", _date_text(p.get("financial_policy_on")), 1), _Space(2)])
    pdf.signature_row("Signature of patient (or parent / legal guardian)")
    pdf.signature_row("Printed name of the person signing, if not the patient", "Relationship to patient")
    return pdf.to_bytes()
