"""The practice's own details as printed on invoices and statements: name, postal address, phone.

Checked here, stored as settings by ``db.settings.save_clinic_details``."""

from __future__ import annotations

from dataclasses import dataclass

from clinic.errors import ValidationError
from clinic.intake import clean_text, display_phone, normalise_phone

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
