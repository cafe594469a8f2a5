"""The practice's own details as printed on invoices and statements (name, postal address, phone)
and its identity on electronic claims (NPI, tax ID, billing address, clearinghouse IDs).

Checked here, stored as settings by ``db.settings.save_clinic_details`` and
``db.settings.save_claim_identity``."""

from __future__ import annotations

from dataclasses import dataclass

import re
from typing import Final

from clinic.errors import ClinicError, ValidationError
from clinic.intake import US_STATES, clean_text, display_phone, normalise_phone
from clinic.npi import check_npi, check_tax_id

MAX_ADDRESS_LINES = 4
MAX_LINE = 80


@dataclass(frozen=True)
class ClinicDetails:
    name: str
    address: str  # lines joined by newlines, as the PDFs print them
    phone: str    # national format for the clinic's country ("(212) 555-0142"), or empty

    def as_settings(self) -> dict[str, str]:
        return {"clinic_name": self.name, "clinic_address": self.address, "clinic_phone": self.phone}


def check_details(name: object, address: object, phone: object, *, region: str = "US") -> ClinicDetails:
    """The details cleaned up, or ValidationError naming every field that is wrong."""
    errors: dict[str, str] = {}
    clean_name = clean_text(name, 200)
    if not clean_name:
        errors["name"] = "Enter the practice's name as patients should see it."
    elif len(clean_name) > 120:
        errors["name"] = "Keep the name under 120 characters."
    lines = [line for line in (clean_text(raw, 200) for raw in str(address or "").splitlines()) if line]
    if len(lines) > MAX_ADDRESS_LINES:
        errors["address"] = f"Use at most {MAX_ADDRESS_LINES} lines for the address."
    elif any(len(line) > MAX_LINE for line in lines):
        errors["address"] = f"Keep each address line under {MAX_LINE} characters."
    phone_text = clean_text(phone, 40)
    if phone_text:
        try:
            phone_text = display_phone(normalise_phone(phone_text, region), region)
        except ValueError as exc:
            errors["phone"] = str(exc)
    if errors:
        raise ValidationError(errors)
    return ClinicDetails(clean_name, "\n".join(lines), phone_text)


# --- identity on electronic claims (837P) --------------------------------------------------------

# Setting key -> what the admin form calls it. Every one must be set before claims can be sent.
CLAIM_IDENTITY: Final = {
    "billing_npi": "Group NPI",
    "billing_tax_id": "Tax ID (EIN)",
    "billing_street": "Billing street address",
    "billing_city": "City",
    "billing_state": "State",
    "billing_zip": "ZIP+4",
    "x12_submitter_id": "Submitter ID",
    "x12_contact_name": "Contact name",
    "x12_contact_phone": "Contact phone",
    "x12_receiver_name": "Clearinghouse name",
    "x12_receiver_id": "Clearinghouse ID",
    "x12_usage": "Files are",
    "place_of_service": "Place of service",
}
OPTIONAL_IDENTITY: Final = {"billing_taxonomy": "Taxonomy code"}
USAGES: Final = {"T": "Test files (the clearinghouse checks them, payers never see them)", "P": "Production files"}
# CMS place-of-service codes a small practice uses.
PLACES_OF_SERVICE: Final = {"11": "11 Office", "02": "02 Telehealth (not in the patient's home)",
                            "10": "10 Telehealth in the patient's home", "12": "12 Home", "22": "22 Outpatient hospital",
                            "49": "49 Independent clinic", "50": "50 Federally qualified health center",
                            "71": "71 Public health clinic", "72": "72 Rural health clinic"}
_ID: Final = re.compile(r"^[A-Z0-9]{2,15}$")
_ZIP9: Final = re.compile(r"^(\d{5})[- ]?(\d{4})$")
_TAXONOMY: Final = re.compile(r"^[0-9]{3}[0-9A-Z]{6}X$")


def check_claim_identity(values: dict[str, object]) -> dict[str, str]:
    """The claim identity settings cleaned (empty allowed: the export names what is missing), or
    ValidationError naming every field (by setting key) that is wrong."""
    errors: dict[str, str] = {}
    out: dict[str, str] = {}
    for key in (*CLAIM_IDENTITY, *OPTIONAL_IDENTITY):
        text = clean_text(values.get(key), 120)
        if not text:
            out[key] = ""
            continue
        try:
            out[key] = _check_one(key, text)
        except ClinicError as exc:
            errors[key] = str(exc)
    if errors:
        raise ValidationError(errors)
    return out


def _check_one(key: str, text: str) -> str:
    if key == "billing_npi":
        return check_npi(text, field=key)
    if key == "billing_tax_id":
        return check_tax_id(text, field=key)
    if key == "billing_state":
        if text.upper() not in US_STATES:
            raise ClinicError("Enter the two-letter state code, e.g. NY.", field=key)
        return text.upper()
    if key == "billing_zip":
        match = _ZIP9.match(text)
        if not match:
            raise ClinicError("Claims need the 9-digit ZIP+4, e.g. 10001-2345.", field=key)
        return f"{match[1]}-{match[2]}"
    if key in ("x12_submitter_id", "x12_receiver_id"):
        if not _ID.match(text.upper()):
            raise ClinicError("Use the 2 to 15 letters and digits your clearinghouse gave you.", field=key)
        return text.upper()
    if key == "x12_contact_phone":
        try:
            return display_phone(normalise_phone(text))
        except ValueError as exc:
            raise ClinicError(str(exc), field=key) from exc
    if key == "x12_usage":
        if text not in USAGES:
            raise ClinicError("Choose test or production files.", field=key)
        return text
    if key == "place_of_service":
        if text not in PLACES_OF_SERVICE:
            raise ClinicError("Choose a place of service from the list.", field=key)
        return text
    if key == "billing_taxonomy":
        if not _TAXONOMY.match(text.upper()):
            raise ClinicError("A taxonomy code has 10 characters ending in X, e.g. 207Q00000X.", field=key)
        return text.upper()
    return text  # names: street, city, contact, clearinghouse


def missing_identity(values: dict[str, str]) -> list[str]:
    """What the admin must still fill in before claims can be sent, by the form's words."""
    return [label for key, label in CLAIM_IDENTITY.items() if not (values.get(key) or "").strip()]
