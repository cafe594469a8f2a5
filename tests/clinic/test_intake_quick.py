from datetime import date

import pytest
from hypothesis import given, strategies as st

from clinic import intake
from clinic.errors import ValidationError

TODAY = date(2026, 3, 2)


@pytest.mark.parametrize("typed", ["(212) 555-0142", "212.555.0142", "+1 212 555 0142", "2125550142"])
def test_us_phone_numbers_in_any_format_become_e164(typed):
    assert intake.normalise_phone(typed) == "+12125550142"


def test_an_impossible_phone_number_is_refused_with_a_message():
    with pytest.raises(ValueError, match="phone"):
        intake.normalise_phone("12")


def test_the_date_of_birth_must_be_past_and_within_120_years():
    with pytest.raises(ValueError, match="future"):
        intake.check_date_of_birth(date(2026, 3, 3), TODAY)
    with pytest.raises(ValueError, match="120"):
        intake.check_date_of_birth(date(1905, 1, 1), TODAY)
    intake.check_date_of_birth(date(1906, 3, 2), TODAY)


@given(st.text(), st.text(), st.text())
def test_any_text_gives_either_clean_values_or_a_validation_error(first, last, phone):
    try:
        clean = intake.quick_patient(first, last, date(1980, 1, 1), phone, today=TODAY)
    except ValidationError as exc:
        assert exc.errors and all(isinstance(m, str) and m for m in exc.errors.values())
    else:
        assert clean["first_name"] == " ".join(clean["first_name"].split()) != ""
        assert clean["phone_mobile"] is None or clean["phone_mobile"].startswith("+")
