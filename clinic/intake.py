"""Patient details: normalising and validating what staff type. Pure and unit-tested.

Phone numbers are parsed with ``phonenumbers`` (the clinic's country is the default region)
and stored in E.164. Names keep their letters exactly (accents, apostrophes, hyphens), with
surrounding and repeated whitespace removed.
"""

from __future__ import annotations

from datetime import date

import phonenumbers

from clinic.errors import ValidationError

MAX_AGE_YEARS = 120
SEXES = ("female", "male", "other", "unknown")


def clean_text(value: object, limit: int = 200) -> str:
    """Trim, fold runs of whitespace into one space, drop control characters, cap the length."""
    text = "".join(ch for ch in str(value or "") if ch.isprintable() or ch in " \t\n")
    return " ".join(text.split())[:limit]


def normalise_phone(value: str, region: str = "US") -> str:
    """E.164 form of a phone number typed in any common format; raises ValueError if invalid."""
    text = clean_text(value, 40)
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("Enter a phone number, e.g. (212) 555-0142.") from exc
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise ValueError("That is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str | None, region: str = "US") -> str:
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, region)
    except phonenumbers.NumberParseException:
        return e164
    fmt = (phonenumbers.PhoneNumberFormat.NATIONAL if phonenumbers.region_code_for_number(number) == region
           else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, fmt)


def check_date_of_birth(dob: date | None, today: date) -> None:
    if dob is None:
        raise ValueError("Enter the date of birth.")
    if dob > today:
        raise ValueError("The date of birth cannot be in the future.")
    if today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day)) > MAX_AGE_YEARS:
        raise ValueError(f"That would make the patient older than {MAX_AGE_YEARS}.")


def quick_patient(first_name: str, last_name: str, date_of_birth: date | None, phone: str, *,
                  today: date, region: str = "US", sex: str = "unknown") -> dict:
    """Validate the few fields a quick-add (a caller booking their first visit) needs.

    Returns clean values or raises ValidationError naming every field at fault.
    """
    errors: dict[str, str] = {}
    first, last = clean_text(first_name, 100), clean_text(last_name, 100)
    if not first:
        errors["first_name"] = "Enter the first name."
    if not last:
        errors["last_name"] = "Enter the last name."
    try:
        check_date_of_birth(date_of_birth, today)
    except ValueError as exc:
        errors["date_of_birth"] = str(exc)
    clean_phone = None
    if clean_text(phone):
        try:
            clean_phone = normalise_phone(phone, region)
        except ValueError as exc:
            errors["phone"] = str(exc)
    if sex not in SEXES:
        errors["sex"] = "Choose one."
    if errors:
        raise ValidationError(errors)
    return {"first_name": first, "last_name": last, "date_of_birth": date_of_birth, "phone_mobile": clean_phone,
            "sex": sex}
