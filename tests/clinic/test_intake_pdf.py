"""The printable intake form, pure: blank and prefilled, US Letter, text it cannot print reduced
rather than crashing (read back without a PDF library)."""

from __future__ import annotations

import re
import zlib
from datetime import date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinic import intake, intake_pdf

CLINIC = "Riverside Family Practice"


def patient(**overrides):
    values = {
        "id": 7, "mrn": "100234", "status": "active",
        "first_name": "Ana", "middle_name": "Maria", "last_name": "Tanaka", "preferred_name": "Annie",
        "date_of_birth": date(1984, 5, 17), "sex": "female", "preferred_language": "Spanish",
        "phone_mobile": "+12125550142", "phone_home": None, "email": "ana@example.com",
        "address_line1": "12 Hudson St", "address_line2": "Apt 4B", "city": "New York", "state": "NY",
        "postal_code": "10013", "preferred_contact": "sms", "consent_sms": True, "consent_email": False,
        "emergency_name": "Kenji Tanaka", "emergency_relationship": "Spouse", "emergency_phone": "+12125550199",
        "allergies": "Penicillin (rash)\nPeanuts", "medications": "Lisinopril 10 mg daily", "conditions": "Hypertension",
        "first_visit_reason": "Annual check-up", "privacy_ack_on": date(2026, 3, 2), "financial_policy_on": None,
        "insurance1": {"rank": 1, "payer_id": 3, "payer": "Blue Harbor Health", "payer_kind": "commercial",
                       "member_id": "BHH123456", "group_number": "G-77", "subscriber_name": None,
                       "subscriber_relationship": "self"},
    }
    values.update(overrides)
    return values


def strings(pdf: bytes) -> list[str]:
    """Every string the pages draw, unescaped and decoded (core fonts: Windows-1252)."""
    out = []
    for data in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            data = zlib.decompress(data)
        except zlib.error:
            pass
        for raw in re.findall(rb"\(((?:\\.|[^\\)])*)\) Tj", data, re.S):
            out.append(re.sub(rb"\\(.)", rb"\1", raw, flags=re.S).decode("cp1252"))
    return out


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b", pdf))


def test_the_blank_form_is_a_us_letter_pdf_with_every_section_of_the_screen():
    pdf = intake_pdf.build_pdf(None, clinic_name=CLINIC, printed_at=datetime(2026, 3, 2, 7, 30))
    assert pdf.startswith(b"%PDF-")
    assert b"/MediaBox [0 0 612.00 792.00]" in pdf
    text = strings(pdf)
    assert "New patient intake form" in text
    for heading in ("Identity", "Contact", "Emergency contact", "Insurance", "Primary insurance",
                    "Secondary insurance (if any)", "Clinical intake", "Consents"):
        assert heading in text, heading
    for label in ("First name *", "Date of birth (MM/DD/YYYY) *", "Mobile phone", "Member ID", "Group number",
                  "Allergies (medicines, food, latex) and reactions", "Date acknowledged", "Date signed"):
        assert label in text, label
    assert CLINIC in text and "Printed 03/02/2026 07:30" in text


def test_the_blank_form_carries_no_patient_data_and_leaves_room_for_a_name_on_later_pages():
    text = strings(intake_pdf.build_pdf(None, clinic_name=CLINIC))
    assert "Patient name" in text and "Date of birth" in text
    assert not any("MRN" in s for s in text)
    assert page_count(intake_pdf.build_pdf(None, clinic_name=CLINIC)) == 2


def test_the_prefilled_form_shows_what_the_clinic_holds_formatted_for_people():
    text = strings(intake_pdf.build_pdf(patient(), clinic_name=CLINIC))
    assert "Patient details: please check" in text
    for value in ("Ana", "Maria", "Tanaka", "Annie", "05/17/1984", "Spanish", "(212) 555-0142", "ana@example.com",
                  "12 Hudson St", "Apt 4B", "New York", "NY", "10013", "Kenji Tanaka", "Spouse", "(212) 555-0199",
                  "Blue Harbor Health", "BHH123456", "G-77", "Penicillin (rash)", "Peanuts",
                  "Lisinopril 10 mg daily", "Hypertension", "Annual check-up", "03/02/2026"):
        assert value in text, value
    # Later pages say whose form it is, so loose pages cannot be mixed up.
    assert "Ana Maria Tanaka · MRN 100234 · born 05/17/1984" in text


def test_letters_the_built_in_font_lacks_lose_their_accent_or_become_question_marks():
    text = strings(intake_pdf.build_pdf(patient(last_name="Dvořák-Nguyễn", preferred_name="Иван 王芳",
                                                city="Łódź"), clinic_name=CLINIC))
    assert "Dvorák-Nguyen" in text
    assert "???? ??" in text
    assert "Lódz" in text  # ó is in Windows-1252; Ł and ź are not


def test_a_long_value_is_cut_to_its_line_and_a_long_list_continues_in_the_file():
    pdf = intake_pdf.build_pdf(patient(address_line1="Apartment " * 30, medications="Aspirin 81 mg daily\n" * 60),
                               clinic_name=CLINIC)
    text = strings(pdf)
    assert any(s.startswith("Apartment Apartment") and s.endswith("...") for s in text)
    assert text.count("Aspirin 81 mg daily") < 60
    assert "(continues: see the patient file)" in text


def test_the_file_name_names_the_mrn_never_the_patient():
    assert intake_pdf.filename(None) == "intake-form-blank.pdf"
    assert intake_pdf.filename(patient()) == "intake-form-100234.pdf"
    assert "Tanaka" not in intake_pdf.filename(patient())


def test_choices_are_ticked_by_drawing_not_by_a_font_glyph():
    # A tick is two crossing lines inside the box; the blank form has none.
    crosses = re.compile(rb"m [\d.]+ [\d.]+ l S\n[\d.]+ [\d.]+ m [\d.]+ [\d.]+ l S")

    def ticks(pdf: bytes) -> int:
        data = b"".join(zlib.decompress(s) for s in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)[:2])
        return len(crosses.findall(data))

    assert ticks(intake_pdf.build_pdf(patient(), clinic_name=CLINIC)) > ticks(
        intake_pdf.build_pdf(None, clinic_name=CLINIC))


# --- never crashes on what people type ----------------------------------------------------------

TEXT_FIELDS = [f for f in intake.PATIENT_FIELDS if f not in ("date_of_birth", "privacy_ack_on", "financial_policy_on",
                                                              "consent_sms", "consent_email")]
any_text = st.one_of(st.none(), st.text(max_size=300), st.text(alphabet=st.characters(codec="utf-8"), max_size=60))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=st.fixed_dictionaries({f: any_text for f in TEXT_FIELDS}),
    plan=st.fixed_dictionaries({k: any_text for k in ("payer", "member_id", "group_number", "subscriber_name",
                                                      "subscriber_relationship")}),
    clinic=st.text(max_size=80),
    mrn=st.text(max_size=20),
)
def test_the_pdf_builder_never_crashes_on_any_text(values, plan, clinic, mrn):
    record = patient(**values, mrn=mrn, insurance1={"rank": 1, **plan}, insurance2={"rank": 2, **plan})
    pdf = intake_pdf.build_pdf(record, clinic_name=clinic, printed_at=datetime(2026, 3, 2, 7, 30))
    assert pdf.startswith(b"%PDF-")
    assert intake_pdf.filename(record).endswith(".pdf")
