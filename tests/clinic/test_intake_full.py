"""The intake form's rules, pure: each field's message, and any text at all handled cleanly."""

from __future__ import annotations

import io
from datetime import date

import pytest
from hypothesis import given, settings, strategies as st
from PIL import Image

from clinic import documents, intake
from clinic.errors import ClinicError, ValidationError

TODAY = date(2026, 3, 2)


def good(**overrides):
    values = {"first_name": "Ana", "last_name": "Núñez", "date_of_birth": date(1990, 1, 17), "sex": "female",
              "phone_mobile": "(212) 555-0100"}
    values.update(overrides)
    return values


def errors_for(**overrides) -> dict[str, str]:
    with pytest.raises(ValidationError) as err:
        intake.validate_patient(good(**overrides), today=TODAY)
    return err.value.errors


@pytest.mark.parametrize(
    "overrides, field, words",
    [
        ({"first_name": "  "}, "first_name", "Enter the first name"),
        ({"last_name": ""}, "last_name", "Enter the last name"),
        ({"date_of_birth": date(2026, 3, 3)}, "date_of_birth", "future"),
        ({"date_of_birth": date(1900, 1, 1)}, "date_of_birth", "older than 120"),
        ({"sex": None}, "sex", "Choose"),
        ({"phone_mobile": ""}, "phone_mobile", "at least one phone"),
        ({"phone_mobile": "555"}, "phone_mobile", "phone"),
        ({"email": "ana@@example"}, "email", "email"),
        ({"state": "Zz"}, "state", "two-letter"),
        ({"postal_code": "1234"}, "postal_code", "ZIP"),
        ({"preferred_contact": "email"}, "preferred_contact", "email address"),
        ({"preferred_contact": "letter"}, "preferred_contact", "full address"),
        ({"consent_email": True}, "consent_email", "email address"),
        ({"emergency_name": "Bo"}, "emergency_phone", "phone"),
        ({"privacy_ack_on": date(2026, 4, 1)}, "privacy_ack_on", "future"),
        ({"insurance1": {"payer_id": 3, "member_id": ""}}, "insurance1.member_id", "member ID"),
        ({"insurance1": {"payer_id": 3, "member_id": "A!"}}, "insurance1.member_id", "3–25"),
        ({"insurance1": {"payer_id": 3, "member_id": "ABC123", "subscriber_relationship": "spouse"}},
         "insurance1.subscriber_name", "subscriber"),
        ({"insurance2": {"member_id": "XYZ999"}}, "insurance2.payer_id", "payer"),
        ({"insurance1": {"member_id": "XYZ999"}}, "insurance1.payer_id", "payer"),
    ],
)
def test_each_bad_field_gets_its_own_message(overrides, field, words):
    messages = errors_for(**overrides)
    assert field in messages and words.lower() in messages[field].lower()


def test_a_self_pay_plan_needs_no_member_id():
    clean = intake.validate_patient(good(insurance1={"payer_id": 6, "payer_kind": "self_pay"}), today=TODAY)
    assert clean["insurance"][0]["member_id"] == "SELF-PAY"


def test_text_is_trimmed_and_whitespace_folded_but_letters_kept():
    clean = intake.validate_patient(good(first_name="  Zoë \t Ann ", last_name="O'Brien-Núñez",
                                         allergies="  Penicillin  \n\n  latex   gloves "), today=TODAY)
    assert clean["first_name"] == "Zoë Ann" and clean["last_name"] == "O'Brien-Núñez"
    assert clean["allergies"] == "Penicillin\n\nlatex gloves"


TEXT_FIELDS = ("first_name", "middle_name", "last_name", "preferred_name", "phone_mobile", "phone_home", "email",
               "address_line1", "city", "state", "postal_code", "emergency_name", "allergies", "medications")
nasty = st.one_of(st.text(), st.sampled_from(["'; DROP TABLE patients; --", "<script>alert(1)</script>",
                                               "Robert'); DELETE FROM users;--", "\u202e\u0000\x1b[31m", "💉" * 50]))


@settings(max_examples=150, deadline=None)
@given(field=st.sampled_from(TEXT_FIELDS), value=nasty)
def test_any_text_in_any_field_gives_clean_values_or_messages(field, value):
    try:
        clean = intake.validate_patient(good(**{field: value}), today=TODAY)
    except ValidationError as exc:
        assert exc.errors and all(isinstance(m, str) and m.strip() for m in exc.errors.values())
    else:
        stored = clean[field]
        assert stored is None or ("\x00" not in stored and stored == stored.strip())


def test_uploads_are_judged_by_their_bytes_not_their_name():
    assert documents.sniff(b"%PDF-1.7 ...") == "application/pdf"
    assert documents.sniff(b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert documents.sniff(b"\xff\xd8\xff\xe0....") == "image/jpeg"
    assert documents.sniff(b"GIF89a") is None
    with pytest.raises(ClinicError, match="Only PDF"):
        documents.check_upload("report.pdf", b"<html>not a pdf</html>")
    jpeg = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(jpeg, "JPEG")  # the whole file must decode now
    checked = documents.check_upload("C:\\Users\\x\\My Scan (1).JPG", jpeg.getvalue())
    assert checked.filename == "My Scan _1.jpg" and checked.mime_type == "image/jpeg"
