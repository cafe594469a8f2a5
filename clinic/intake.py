"""Patient details: normalising and validating what staff type. Pure and unit-tested.

Phone numbers are parsed with ``phonenumbers`` (the clinic's country is the default region)
and stored in E.164. Names keep their letters exactly (accents, apostrophes, hyphens), with
surrounding and repeated whitespace removed.
"""

from __future__ import annotations

import re
from datetime import date

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from clinic.errors import ValidationError
from clinic.timeutil import age_on  # noqa: F401 - the patient header shows it

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


# --- the full intake form --------------------------------------------------------------------

LANGUAGES = ("English", "Spanish", "Chinese", "Haitian Creole", "Russian", "Bengali", "Korean", "Arabic",
             "French", "Polish", "Italian", "Other")
CONTACT_CHANNELS = ("phone", "sms", "email", "letter")
RELATIONSHIPS = ("self", "spouse", "child", "other")
US_STATES = ("AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY "
             "NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR VI GU AS MP").split()
MEMBER_ID_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,24}$")
GROUP_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,24}$")
ZIP_RE = re.compile(r"^\d{5}(-\d{4})?$")

# Every field of a patient that the intake form edits, in form order (history uses these names).
PATIENT_FIELDS = (
    "first_name", "middle_name", "last_name", "preferred_name", "date_of_birth", "sex", "preferred_language",
    "phone_mobile", "phone_home", "email", "address_line1", "address_line2", "city", "state", "postal_code",
    "preferred_contact", "consent_sms", "consent_email",
    "emergency_name", "emergency_relationship", "emergency_phone",
    "allergies", "medications", "conditions", "first_visit_reason",
    "privacy_ack_on", "financial_policy_on",
)

FIELD_LABELS = {
    "first_name": "First name", "middle_name": "Middle name", "last_name": "Last name",
    "preferred_name": "Preferred name", "date_of_birth": "Date of birth", "sex": "Sex",
    "preferred_language": "Preferred language", "phone_mobile": "Mobile phone", "phone_home": "Home phone",
    "email": "Email", "address_line1": "Address", "address_line2": "Address line 2", "city": "City",
    "state": "State", "postal_code": "ZIP code", "preferred_contact": "Preferred contact",
    "consent_sms": "Text reminders", "consent_email": "Email reminders", "emergency_name": "Emergency contact",
    "emergency_relationship": "Relationship", "emergency_phone": "Emergency phone", "allergies": "Allergies",
    "medications": "Current medications", "conditions": "Conditions", "first_visit_reason": "Reason for first visit",
    "privacy_ack_on": "Privacy notice acknowledged", "financial_policy_on": "Financial policy signed",
}


def clean_email(value: str) -> str | None:
    """Syntax check only (no network); returns the normalised address or None when blank."""
    text = clean_text(value, 254)
    if not text:
        return None
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError("That is not a valid email address.") from exc


def _long_text(value: object, limit: int = 2000) -> str | None:
    # Multi-line fields keep their line breaks; each line is trimmed.
    text = "".join(ch for ch in str(value or "") if ch.isprintable() or ch == "\n")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    joined = "\n".join(lines).strip()[:limit]
    return joined or None


def _opt(value: object, limit: int = 200) -> str | None:
    return clean_text(value, limit) or None


def validate_patient(form: dict, *, today: date, region: str = "US") -> dict:
    """Normalise and check a whole intake form. Returns clean values for PATIENT_FIELDS plus
    ``insurance`` (a list of 0–2 clean dicts); raises ValidationError with every problem, keyed by
    field name (insurance fields as ``insurance1.member_id`` / ``insurance2.payer_id``)."""
    errors: dict[str, str] = {}
    out: dict[str, object] = {}

    for name in ("first_name", "last_name"):
        out[name] = clean_text(form.get(name), 100)
        if not out[name]:
            errors[name] = f"Enter the {FIELD_LABELS[name].lower()}."
    out["middle_name"] = _opt(form.get("middle_name"), 100)
    out["preferred_name"] = _opt(form.get("preferred_name"), 100)
    dob = form.get("date_of_birth")
    try:
        check_date_of_birth(dob, today)
        out["date_of_birth"] = dob
    except ValueError as exc:
        errors["date_of_birth"] = str(exc)
    sex = form.get("sex")
    if sex not in SEXES:
        errors["sex"] = "Choose one."
    out["sex"] = sex
    language = _opt(form.get("preferred_language"), 60)
    out["preferred_language"] = language

    for name in ("phone_mobile", "phone_home"):
        try:
            out[name] = normalise_phone(form.get(name), region) if clean_text(form.get(name)) else None
        except ValueError as exc:
            errors[name] = str(exc)
    if not errors.get("phone_mobile") and not errors.get("phone_home") and not (out.get("phone_mobile") or out.get("phone_home")):
        errors["phone_mobile"] = "Enter at least one phone number."
    try:
        out["email"] = clean_email(form.get("email"))
    except ValueError as exc:
        errors["email"] = str(exc)

    out["address_line1"] = _opt(form.get("address_line1"))
    out["address_line2"] = _opt(form.get("address_line2"))
    out["city"] = _opt(form.get("city"), 100)
    state = clean_text(form.get("state"), 2).upper() or None
    if state and region == "US" and state not in US_STATES:
        errors["state"] = "Use the two-letter state code, e.g. NY."
    out["state"] = state
    postal = clean_text(form.get("postal_code"), 10) or None
    if postal and region == "US" and not ZIP_RE.match(postal):
        errors["postal_code"] = "Use a 5-digit ZIP code (or ZIP+4)."
    out["postal_code"] = postal

    channel = form.get("preferred_contact") or "phone"
    if channel not in CONTACT_CHANNELS:
        errors["preferred_contact"] = "Choose how to contact the patient."
    elif channel == "sms" and not out.get("phone_mobile") and "phone_mobile" not in errors:
        errors["preferred_contact"] = "Text messages need a mobile number."
    elif channel == "email" and not out.get("email") and "email" not in errors:
        errors["preferred_contact"] = "Email needs an email address."
    elif channel == "letter" and not (out.get("address_line1") and out.get("city") and out.get("postal_code")):
        errors["preferred_contact"] = "Letters need a full address (street, city, ZIP)."
    out["preferred_contact"] = channel
    out["consent_sms"] = bool(form.get("consent_sms"))
    out["consent_email"] = bool(form.get("consent_email"))
    if out["consent_sms"] and not out.get("phone_mobile") and "phone_mobile" not in errors:
        errors["consent_sms"] = "Text reminders need a mobile number."
    if out["consent_email"] and not out.get("email") and "email" not in errors:
        errors["consent_email"] = "Email reminders need an email address."

    out["emergency_name"] = _opt(form.get("emergency_name"), 100)
    out["emergency_relationship"] = _opt(form.get("emergency_relationship"), 60)
    try:
        out["emergency_phone"] = (normalise_phone(form.get("emergency_phone"), region)
                                  if clean_text(form.get("emergency_phone")) else None)
    except ValueError as exc:
        errors["emergency_phone"] = str(exc)
    if out["emergency_name"] and not out.get("emergency_phone") and "emergency_phone" not in errors:
        errors["emergency_phone"] = "Enter the emergency contact's phone number."

    for name in ("allergies", "medications", "conditions", "first_visit_reason"):
        out[name] = _long_text(form.get(name))

    for name in ("privacy_ack_on", "financial_policy_on"):
        value = form.get(name)
        if value is not None and value > today:
            errors[name] = "This date cannot be in the future."
        out[name] = value

    insurance = []
    for rank in (1, 2):
        plan = form.get(f"insurance{rank}") or {}
        if not plan or not plan.get("payer_id"):
            if plan and any(clean_text(plan.get(k)) for k in ("member_id", "group_number")):
                errors[f"insurance{rank}.payer_id"] = "Choose the payer."
            continue
        try:
            insurance.append(_validate_plan(plan, rank))
        except ValidationError as exc:
            errors.update({f"insurance{rank}.{k}": v for k, v in exc.errors.items()})
    out["insurance"] = insurance

    if errors:
        raise ValidationError(errors)
    return out


def _validate_plan(plan: dict, rank: int) -> dict:
    errors = {}
    kind = plan.get("payer_kind", "commercial")
    member = clean_text(plan.get("member_id"), 30).upper().replace(" ", "")
    group = clean_text(plan.get("group_number"), 30).upper().replace(" ", "") or None
    if kind != "self_pay":
        if not member:
            errors["member_id"] = "Enter the member ID from the card."
        elif not MEMBER_ID_RE.match(member):
            errors["member_id"] = "A member ID has 3–25 letters, digits or dashes."
    if group and not GROUP_RE.match(group):
        errors["group_number"] = "A group number has letters, digits or dashes only."
    relationship = plan.get("subscriber_relationship") or "self"
    if relationship not in RELATIONSHIPS:
        errors["subscriber_relationship"] = "Choose the relationship."
    subscriber = _opt(plan.get("subscriber_name"), 100)
    if relationship != "self" and not subscriber:
        errors["subscriber_name"] = "Enter the subscriber's name."
    if errors:
        raise ValidationError(errors)
    return {"rank": rank, "payer_id": int(plan["payer_id"]), "member_id": member or "SELF-PAY",
            "group_number": group, "subscriber_name": subscriber, "subscriber_relationship": relationship}


def display_value(value: object) -> str:
    """How a stored value appears in the intake history."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
