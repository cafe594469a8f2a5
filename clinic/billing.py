"""Billing rules, pure: the words (invoice and claim statuses, payment methods, adjustment kinds,
payer kinds), the allowed moves, an invoice's status derived from its money, the balance formula,
A/R aging buckets, invoice lines and their diagnoses, and how a payment or a credit is shared out.

Money is ``Decimal`` in whole cents throughout (see :mod:`clinic.money`); nothing here touches
float. The database layer (``db.invoices``, ``db.payments``) asks these functions and writes what
they decide. Payment plans live in :mod:`clinic.payment_plans`, reason codes in :mod:`clinic.carc`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

from clinic.errors import (
    BadAmount,
    ClinicError,
    InvalidClaimMove,
    InvoiceAlreadyPaid,
    InvoiceNotEditable,
    InvoiceNotPayable,
    ValidationError,
    VoidRefused,
)
from clinic.money import ZERO, cents, money_text, parse_amount  # noqa: F401 - parse_amount re-exported

# --- the words (DESIGN.md) -----------------------------------------------------------------------

INVOICE_STATUSES: Final = ("draft", "open", "partially_paid", "paid", "void")
INVOICE_STATUS_LABELS: Final = {"draft": "Draft", "open": "Open", "partially_paid": "Partially paid",
                                "paid": "Paid", "void": "Void"}
# An invoice that is owed (counts in A/R and takes money).
OWING: Final = frozenset({"open", "partially_paid"})
# Finalised and not void: money may be posted (a payment on a paid invoice goes to credit).
TAKES_MONEY: Final = frozenset({"open", "partially_paid", "paid"})

# The one table of invoice moves. Only two are made by hand: finalising (draft -> open) and
# voiding (draft/open -> void). All others follow from the money (derive_status): a payment moves
# open -> partially_paid -> paid, a reversed payment moves back.
INVOICE_MOVES: Final[dict[str, frozenset[str]]] = {
    "draft": frozenset({"open", "paid", "void"}),  # a no-charge invoice is paid when finalised
    "open": frozenset({"partially_paid", "paid", "void"}),
    "partially_paid": frozenset({"open", "paid"}),
    "paid": frozenset({"open", "partially_paid", "void"}),  # void: only a no-charge one (no money applied)
    "void": frozenset(),
}

CLAIM_STATUSES: Final = ("draft", "submitted", "accepted", "denied", "partially_paid", "paid", "appealed")
CLAIM_STATUS_LABELS: Final = {"draft": "Draft", "submitted": "Submitted", "accepted": "Accepted",
                              "denied": "Denied", "partially_paid": "Partially paid", "paid": "Paid",
                              "appealed": "Appealed"}
# The one table of claim moves. A remittance may arrive without an acknowledgement first
# (submitted -> paid); a denied claim is appealed, or corrected and submitted again; an appeal is
# answered like a submission. Paid is final.
CLAIM_MOVES: Final[dict[str, frozenset[str]]] = {
    "draft": frozenset({"submitted"}),
    "submitted": frozenset({"accepted", "denied", "partially_paid", "paid"}),
    "accepted": frozenset({"denied", "partially_paid", "paid"}),
    "denied": frozenset({"appealed", "submitted"}),
    "appealed": frozenset({"accepted", "denied", "partially_paid", "paid"}),
    "partially_paid": frozenset({"paid", "appealed"}),
    "paid": frozenset(),
}
# Claims waiting for the insurer's answer (the "awaiting an answer" tile and work list).
CLAIMS_AWAITING: Final = frozenset({"submitted", "accepted", "appealed"})

PAYMENT_METHODS: Final = ("cash", "card", "check", "eft", "other")
PAYMENT_METHOD_LABELS: Final = {"cash": "Cash", "card": "Card", "check": "Check", "eft": "EFT", "other": "Other"}
ADJUSTMENT_KINDS: Final = ("contractual", "write_off", "bad_debt", "small_balance", "courtesy")
ADJUSTMENT_KIND_LABELS: Final = {"contractual": "Contractual", "write_off": "Write-off", "bad_debt": "Bad debt",
                                 "small_balance": "Small balance", "courtesy": "Courtesy"}
PAYER_KINDS: Final = ("commercial", "medicare", "medicaid", "self_pay")
# Who a payment came from: the patient (or someone paying for them) or an insurer.
PAYMENT_SOURCES: Final = ("patient", "insurer")

# --- A/R aging -----------------------------------------------------------------------------------

# (key, first day, last day) by days since the service date; None = no upper bound.
AGING_BUCKETS: Final = (("0-30", 0, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("91-120", 91, 120),
                        ("120+", 121, None))
AGING_KEYS: Final = tuple(key for key, _, _ in AGING_BUCKETS)


def aging_bucket(service_date: date, as_of: date) -> str:
    """The bucket key for a balance from ``service_date`` seen on ``as_of``. A service date after
    ``as_of`` (a visit billed ahead, or an earlier as-of) counts as current, ``0-30``."""
    days = max((as_of - service_date).days, 0)
    for key, _first, last in AGING_BUCKETS:
        if last is None or days <= last:
            return key
    raise AssertionError("unreachable: the last bucket is open-ended")


def age_balances(rows: Iterable[tuple[date, Decimal]], as_of: date) -> dict[str, Decimal]:
    """Sum (service date, balance) rows into the five buckets plus ``total``. Every balance lands
    in exactly one bucket, so the buckets always add up to the total, to the cent."""
    out = {key: ZERO for key in AGING_KEYS}
    for service_date, balance in rows:
        out[aging_bucket(service_date, as_of)] += cents(balance)
    out["total"] = sum((out[k] for k in AGING_KEYS), ZERO)
    return out


# --- an invoice's money --------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    """An invoice's money. ``charges`` is what is billed: the lines' total once finalised, zero while
    draft or void. ``payments`` is what was applied to it, ``refunds`` what was given back of that."""

    charges: Decimal
    payments: Decimal
    adjustments: Decimal
    refunds: Decimal

    @property
    def balance(self) -> Decimal:
        return balance(self.charges, self.payments, self.adjustments, self.refunds)


def balance(charges: Decimal, payments: Decimal, adjustments: Decimal, refunds: Decimal) -> Decimal:
    """The one balance formula: charges - payments - adjustments + refunds."""
    return cents(charges) - cents(payments) - cents(adjustments) + cents(refunds)


def derive_status(current: str, charges: Decimal, balance_: Decimal) -> str:
    """The status an invoice's money gives it. Draft and void stay as they are (finalising and
    voiding are the only moves made by hand); otherwise nothing owed is ``paid``, all of the
    charges owed is ``open``, anything between is ``partially_paid``."""
    if current in ("draft", "void"):
        return current
    if balance_ < 0:
        raise AssertionError(f"negative balance {balance_}: the ledger refuses that before writing")
    if balance_ == 0:
        return "paid"
    if balance_ >= charges:
        return "open"
    return "partially_paid"


def check_move(current: str, wanted: str) -> None:
    """Refuse a status change the invoice table does not allow (a bug if it ever fires)."""
    if wanted != current and wanted not in INVOICE_MOVES.get(current, frozenset()):
        raise ClinicError(f"An invoice that is {current.replace('_', ' ')} cannot become "
                          f"{wanted.replace('_', ' ')}.", field="status")


def check_editable(status: str) -> None:
    """Lines change only on a draft."""
    if status == "void":
        raise InvoiceNotEditable("This invoice is void: it cannot change.")
    if status != "draft":
        raise InvoiceNotEditable()


def check_takes_money(status: str) -> None:
    if status == "draft":
        raise InvoiceNotPayable("Finalise the invoice before posting money to it (or take the payment on account).")
    if status not in TAKES_MONEY:
        raise InvoiceNotPayable("This invoice is void: it takes no money.")


def check_owing(status: str, balance_: Decimal) -> None:
    """For an adjustment or a credit applied: the invoice must be finalised and owe something."""
    check_takes_money(status)
    if balance_ <= 0:
        raise InvoiceAlreadyPaid()


def check_can_void(status: str, money_applied: bool, *, in_plan: bool = False) -> None:
    if status == "void":
        raise VoidRefused("This invoice is already void.")
    if money_applied:
        raise VoidRefused()
    if in_plan:
        raise VoidRefused("This invoice is part of an active payment plan: cancel the plan first.")


def check_reason(text: str | None, *, field: str = "reason", what: str = "Say why.") -> str:
    """A required free-text reason (voiding, adjusting, refunding), trimmed, at most 300 characters."""
    cleaned = " ".join((text or "").split())
    if len(cleaned) < 3:
        raise ClinicError(what, field=field)
    return cleaned[:300]


def check_method(method: str | None) -> str:
    if method not in PAYMENT_METHODS:
        raise ClinicError("Choose how it was paid (cash, card, check, EFT or other).", field="method")
    return method


def check_adjustment_kind(kind: str | None) -> str:
    if kind not in ADJUSTMENT_KINDS:
        raise ClinicError("Choose the kind of adjustment.", field="kind")
    return kind


def check_claim_move(current: str, wanted: str) -> None:
    if wanted not in CLAIM_MOVES.get(current, frozenset()):
        raise InvalidClaimMove(current, wanted)


# --- sharing money out ---------------------------------------------------------------------------


def split_payment(amount: Decimal, balance_: Decimal) -> tuple[Decimal, Decimal]:
    """(applied to the invoice, left on the patient's credit) for a payment of ``amount`` against
    ``balance_``: what is due is applied, the rest is credit, never a negative balance."""
    applied = min(cents(amount), max(cents(balance_), ZERO))
    return applied, cents(amount) - applied


def check_not_over(amount: Decimal, limit: Decimal, *, what: str, field: str = "amount") -> None:
    """Refuse ``amount`` over ``limit`` (an adjustment over the balance, a refund over the credit)."""
    if amount > limit:
        raise BadAmount(f"That is more than {what} ({money_text(limit)}).", field=field)


def draw(available: Sequence[tuple[int, Decimal]], amount: Decimal) -> list[tuple[int, Decimal]]:
    """Take ``amount`` from ``available`` (id, amount) pools in the order given: [(id, taken), ...].
    Used to apply or refund credit from the payments that left it. Raises ValueError if short."""
    left = cents(amount)
    taken = []
    for pool_id, pool in available:
        if left <= 0:
            break
        take = min(cents(pool), left)
        if take > 0:
            taken.append((pool_id, take))
            left -= take
    if left > 0:
        raise ValueError("not enough in the pools")
    return taken


# --- invoice lines -------------------------------------------------------------------------------

MAX_DIAGNOSES_PER_LINE: Final = 4
MAX_DIAGNOSES_PER_CLAIM: Final = 12
POINTER_LETTERS: Final = "ABCDEFGHIJKL"
# ICD-10-CM shape: a letter, two characters, then optionally a dot and up to 4 more (A00, E11.9,
# S52.521A). Whether the code exists is checked against the official list by the caller that has it.
_ICD10 = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
_CODE = re.compile(r"^[A-Z0-9]{3,7}$")
_MODIFIER = re.compile(r"^[A-Z0-9]{2}$")


@dataclass(frozen=True)
class Line:
    """One invoice line, validated: ``amount`` is quantity x unit price."""

    code: str
    description: str
    quantity: int
    unit_price: Decimal
    diagnoses: tuple[str, ...] = ()
    modifiers: tuple[str, ...] = ()

    @property
    def amount(self) -> Decimal:
        return cents(self.unit_price * self.quantity)


def normalise_icd10(text: str) -> str:
    """"e119" or "E11.9 " -> "E11.9" (the dot goes after the third character)."""
    code = (text or "").strip().upper().replace(".", "")
    return code if len(code) <= 3 else code[:3] + "." + code[3:]


def check_line(*, code: str, description: str, quantity: object, unit_price: object,
               diagnoses: Iterable[str] = (), modifiers: Iterable[str] = ()) -> Line:
    """Validate one line; a ValidationError names every bad field (code, description, quantity,
    unit_price, diagnoses, modifiers). A unit price may be zero (a no-charge line)."""
    errors: dict[str, str] = {}
    code_ = (code or "").strip().upper()
    if not _CODE.match(code_):
        errors["code"] = "Enter a procedure code (3 to 7 letters and digits)."
    description_ = " ".join((description or "").split())[:200]
    if not description_:
        errors["description"] = "Enter a description."
    try:
        quantity_ = int(str(quantity).strip())
        if not 1 <= quantity_ <= 999:
            raise ValueError
    except ValueError:
        errors["quantity"] = "Quantity is a whole number from 1 to 999."
        quantity_ = 0
    try:
        price = parse_amount(unit_price, field="unit_price", allow_zero=True)
    except BadAmount as exc:
        errors["unit_price"] = str(exc)
        price = ZERO
    dx = tuple(dict.fromkeys(normalise_icd10(d) for d in diagnoses if (d or "").strip()))
    if len(dx) > MAX_DIAGNOSES_PER_LINE:
        errors["diagnoses"] = f"At most {MAX_DIAGNOSES_PER_LINE} diagnosis codes per line."
    elif bad := [d for d in dx if not _ICD10.match(d)]:
        errors["diagnoses"] = f"“{bad[0]}” is not an ICD-10-CM code (e.g. E11.9)."
    mods = tuple(m.strip().upper() for m in modifiers if (m or "").strip())
    if len(mods) > 4 or any(not _MODIFIER.match(m) for m in mods):
        errors["modifiers"] = "Up to 4 modifiers of 2 letters or digits (e.g. 25)."
    if errors:
        raise ValidationError(errors)
    return Line(code_, description_, quantity_, price, dx, mods)


def diagnosis_pointers(lines: Sequence[Sequence[str]]) -> tuple[list[str], list[str]]:
    """The claim-level diagnosis list (A-L, in order of first use) and each line's pointers.

    ``lines`` holds each line's diagnosis codes; returns (["E11.9", "I10"], ["AB", "B"]).
    More than 12 distinct codes on one invoice is refused (a claim form holds 12)."""
    codes: list[str] = []
    pointers = []
    for dx in lines:
        letters = ""
        for code in dx:
            if code not in codes:
                codes.append(code)
            if len(codes) > MAX_DIAGNOSES_PER_CLAIM:
                raise ClinicError(f"At most {MAX_DIAGNOSES_PER_CLAIM} different diagnoses on one invoice.",
                                  field="diagnoses")
            letters += POINTER_LETTERS[codes.index(code)]
        pointers.append(letters)
    return codes, pointers
