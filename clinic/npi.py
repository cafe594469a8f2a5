"""National Provider Identifiers (NPI) and employer tax IDs (EIN), as typed at the desk.

Decisions:

* An NPI is 10 digits whose last digit is a Luhn check digit computed over ``"80840"`` followed
  by the first 9 digits (the CMS rule: 80840 is the health-industry prefix of the ISO card
  number the NPI is part of). Spaces and dashes typed around the digits are ignored.
* A tax ID is an EIN: 9 digits, typed with or without the dash ("12-3456789"). All zeros and the
  two-digit prefixes the IRS never issues are refused, which catches most typing slips; whether
  the EIN really belongs to the practice cannot be checked offline.
* Checking functions return the cleaned digits, ready to store, or raise
  :class:`clinic.errors.ClinicError` with ``field`` so the page can show the message next to it.
"""

from __future__ import annotations

import re
from typing import Final

from clinic.errors import ClinicError

_HEALTH_PREFIX: Final = "80840"
_TYPED_SEPARATORS: Final = re.compile(r"[\s-]")
# Two-digit EIN prefixes the IRS has never assigned.
_UNUSED_EIN_PREFIXES: Final = frozenset(
    {"00", "07", "08", "09", "17", "18", "19", "28", "29", "49", "69", "70", "78", "79", "89"}
)


def _luhn_check_digit(payload: str) -> str:
    """The digit that makes ``payload`` + digit pass the Luhn check."""
    total = 0
    # Walking from the right, the digit next to the (missing) check digit is doubled first.
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def _digits(text: object) -> str:
    return _TYPED_SEPARATORS.sub("", str(text or ""))


def npi_ok(text: object) -> bool:
    """True when ``text`` is a 10-digit NPI with the right check digit."""
    npi = _digits(text)
    if len(npi) != 10 or not npi.isascii() or not npi.isdigit():
        return False
    return _luhn_check_digit(_HEALTH_PREFIX + npi[:9]) == npi[9]


def check_npi(text: object, field: str = "npi") -> str:
    """The NPI's 10 digits, or :class:`ClinicError` saying what is wrong with it."""
    npi = _digits(text)
    if len(npi) != 10 or not npi.isascii() or not npi.isdigit():
        raise ClinicError("An NPI has 10 digits.", field=field)
    if not npi_ok(npi):
        raise ClinicError("That NPI's check digit is wrong: check it against the NPPES registry.", field=field)
    return npi


def make_npi(nine_digits: str) -> str:
    """``nine_digits`` with its check digit appended (synthetic NPIs for the demo and tests)."""
    if len(nine_digits) != 9 or not nine_digits.isascii() or not nine_digits.isdigit():
        raise ValueError(f"make_npi needs exactly 9 digits, got {nine_digits!r}")
    return nine_digits + _luhn_check_digit(_HEALTH_PREFIX + nine_digits)


def check_tax_id(text: object, field: str = "tax_id") -> str:
    """The EIN's 9 digits (no dash), or :class:`ClinicError` saying what is wrong with it."""
    typed = str(text or "").strip()
    ein = typed.replace("-", "") if re.fullmatch(r"\d{2}-?\d{7}", typed) else ""
    if not ein:
        raise ClinicError("A tax ID (EIN) has 9 digits, like 12-3456789.", field=field)
    if ein == "000000000" or ein[:2] in _UNUSED_EIN_PREFIXES:
        raise ClinicError(
            f"A tax ID (EIN) cannot start with {ein[:2]}: the IRS never issues those. Check the number.",
            field=field,
        )
    return ein
