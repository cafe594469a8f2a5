"""Money as typed by people and as stored: exact ``Decimal`` amounts in whole cents, never float.

:func:`parse_amount` is the one gate from a form (or a caller) to the ledger: a positive amount
with at most two decimals, or a named :class:`clinic.errors.BadAmount` that says what is wrong and
names the field. :func:`split_evenly` shares an amount out in whole cents that add up exactly.
The database holds money as ``DECIMAL(12,2)``; DuckDB hands it back as ``Decimal``.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Final

from clinic.errors import BadAmount

CENT: Final = Decimal("0.01")
ZERO: Final = Decimal("0.00")
# The largest single amount the ledger takes (a payment, a price, an adjustment). DECIMAL(12,2)
# holds far more; a clinic's single amount over a million is a typing mistake.
MAX_AMOUNT: Final = Decimal("999999.99")

# What a person types: digits, an optional decimal point with up to 2 decimals (more digits are
# checked below so that the message can say which rule failed), an optional "$" in front and
# thousands commas in their proper places. No sign, no exponent ("1e3"), no words.
_TYPED = re.compile(r"^\$?\s*(?P<num>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)$")


def parse_amount(value: object, *, field: str = "amount", allow_zero: bool = False) -> Decimal:
    """``value`` (a ``Decimal``, an ``int`` or text as typed, e.g. "12.50", "$1,250") as a Decimal
    of whole cents, quantized to 2 places.

    Refused with :class:`BadAmount` (naming ``field``): empty text, words, a sign, an exponent,
    NaN, Infinity, more than 2 decimals, zero (unless ``allow_zero``, for a no-charge price),
    a negative amount, more than :data:`MAX_AMOUNT`, and floats and booleans (money never goes
    through float).
    """
    if isinstance(value, bool) or isinstance(value, float):
        raise BadAmount("Enter the amount as typed (e.g. 12.50).", field=field)
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise BadAmount("Enter an amount.", field=field)
        if text.startswith("-") or text.startswith("$-"):
            raise BadAmount("Enter a positive amount (no minus sign).", field=field)
        match = _TYPED.match(text)
        if match is None:
            raise BadAmount(f"“{value.strip()[:20]}” is not an amount: use digits, e.g. 12.50.", field=field)
        try:
            amount = Decimal(match["num"].replace(",", ""))
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
            raise BadAmount("Enter an amount, e.g. 12.50.", field=field) from None
    else:
        raise BadAmount("Enter an amount, e.g. 12.50.", field=field)
    if not amount.is_finite():
        raise BadAmount("Enter a real amount, e.g. 12.50.", field=field)
    if amount < 0:
        raise BadAmount("Enter a positive amount (no minus sign).", field=field)
    if amount != amount.quantize(CENT, rounding="ROUND_DOWN"):
        raise BadAmount("Use at most 2 decimals (whole cents).", field=field)
    if amount == 0 and not allow_zero:
        raise BadAmount("The amount must be more than zero.", field=field)
    if amount > MAX_AMOUNT:
        raise BadAmount(f"That is more than the largest amount taken ({money_text(MAX_AMOUNT)}).", field=field)
    return amount.quantize(CENT)


def cents(value: Decimal | int) -> Decimal:
    """A Decimal that is already whole cents (e.g. from DECIMAL(12,2) or a sum of them), as 2 places.
    Raises ValueError for anything with a fraction of a cent: a bug, never rounded away."""
    amount = Decimal(value)
    if amount != amount.quantize(CENT, rounding="ROUND_DOWN"):
        raise ValueError(f"{amount} is not a whole number of cents")
    return amount.quantize(CENT)


def split_evenly(total: Decimal, parts: int) -> list[Decimal]:
    """``total`` shared into ``parts`` amounts of whole cents that add up exactly; the leftover
    cents go one each to the first parts (100.00 / 3 = 33.34, 33.33, 33.33)."""
    if parts < 1:
        raise ValueError("parts must be at least 1")
    total_cents = int(cents(total) * 100)
    if total_cents < 0:
        raise ValueError("cannot split a negative amount")
    base, extra = divmod(total_cents, parts)
    return [(Decimal(base + (1 if i < extra else 0)) / 100).quantize(CENT) for i in range(parts)]


def money_text(amount: Decimal | None) -> str:
    """``Decimal("1234.5")`` -> "$1,234.50"; a negative amount reads "-$12.00"; None -> "—"."""
    if amount is None:
        return "—"
    value = Decimal(amount).quantize(CENT)
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"
