"""Claim adjustment reason codes (CARC) and their group codes: the words for why an insurer paid
less than was charged, as an insurer's answer (an 835 remittance) gives them, e.g. ``CO-45``.

Source. The codes are X12's "Claim Adjustment Reason Codes" list (maintained by X12,
https://x12.org/codes/claim-adjustment-reason-codes), the small subset a practice meets daily.
The ones marked ``seen`` occur in the sample 835 files under ``../shared/data/x12``
(``badx12/`` from PyPI badx12 0.2.2, MIT; ``linuxforhealth/835_005010X221A1`` from
LinuxForHealth/x12, Apache-2.0): CO-45, CO-42, CO-131, CO-A2, PR-1, PR-2, PR-3, OA-23, OA-94.
Those files hold codes only, no descriptions; the short descriptions below are ClinicDesk's own
wording of each code's meaning (not X12's text), written for the clerk. Codes X12 has retired are
kept (``active=False``) so that an old remittance still reads; they are not offered for new entries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from clinic.errors import ClinicError

# Group codes: who bears the amount.
GROUPS: Final[dict[str, str]] = {
    "CO": "Contractual obligation (the practice writes it off; not billable to the patient)",
    "PR": "Patient responsibility (billable to the patient)",
    "OA": "Other adjustment",
    "PI": "Payer-initiated reduction (not billable to the patient)",
}


@dataclass(frozen=True)
class Reason:
    code: str
    description: str
    active: bool = True
    seen: bool = False  # occurs in the sample 835 files named above


_REASONS: Final = (
    Reason("1", "Deductible amount.", seen=True),
    Reason("2", "Coinsurance amount.", seen=True),
    Reason("3", "Copayment amount.", seen=True),
    Reason("16", "Information is missing from the claim or service, or it has a billing error."),
    Reason("18", "Exact duplicate of a claim or service already received."),
    Reason("22", "Another payer may cover this under coordination of benefits."),
    Reason("23", "Reduced by what a prior payer paid or adjusted.", seen=True),
    Reason("27", "Service was after the patient's coverage ended."),
    Reason("29", "The time limit for filing the claim has passed."),
    Reason("42", "Charge is over the fee schedule or maximum allowable amount (retired: see 45).",
           active=False, seen=True),
    Reason("45", "Charge is over the fee schedule, maximum allowable or contracted fee.", seen=True),
    Reason("50", "Not covered: the payer does not consider it medically necessary."),
    Reason("94", "Processed for more than was charged.", seen=True),
    Reason("96", "Not a covered charge."),
    Reason("97", "Paid as part of another service or procedure already adjudicated."),
    Reason("109", "Not covered by this payer: send the claim to the right payer."),
    Reason("131", "Discount negotiated for this claim.", seen=True),
    Reason("197", "Precertification, authorization or notification was missing."),
    Reason("204", "Not covered under the patient's current benefit plan."),
    Reason("253", "Sequestration: the federal reduction of the payment."),
    Reason("A2", "Contractual adjustment (retired: see 45).", active=False, seen=True),
)

REASONS: Final[dict[str, Reason]] = {r.code: r for r in _REASONS}

# The patient-responsibility split of an insurer's answer, and the CARC each part is posted under.
PATIENT_SHARE: Final[dict[str, tuple[str, str]]] = {
    "deductible": ("PR", "1"),
    "coinsurance": ("PR", "2"),
    "copay": ("PR", "3"),
}

# The combinations a clerk picks from most often, in this order (a denial's reason list).
COMMON: Final = ("CO-45", "CO-97", "CO-16", "CO-18", "CO-29", "CO-50", "PR-1", "PR-2", "PR-3", "OA-23",
                 "PI-204", "CO-204", "CO-197", "CO-109")

_PATTERN = re.compile(r"^\s*([A-Za-z]{2})\s*-?\s*([A-Za-z]?\d{1,3}|[A-Za-z]\d?)\s*$")


class UnknownReasonCode(ClinicError):
    def __init__(self, text: str) -> None:
        super().__init__(f"“{text}” is not a known adjustment reason (e.g. CO-45, PR-1).", field="reason_code")


def parse(text: str, *, allow_retired: bool = False, any_code: bool = False) -> tuple[str, str]:
    """``"co-45"``, ``"CO 45"`` or ``"CO-45"`` -> ``("CO", "45")``; unknown group or code refused.

    ``any_code``: a code not in the list above is taken as given (an 835 from a payer may use any
    of X12's several hundred codes; a clerk typing picks from the list)."""
    match = _PATTERN.match(text or "")
    if match is None:
        raise UnknownReasonCode(text or "")
    group, code = match[1].upper(), match[2].upper()
    reason = REASONS.get(code)
    if any_code and group in GROUPS and reason is None:
        return group, code
    if group not in GROUPS or reason is None or (not reason.active and not allow_retired):
        raise UnknownReasonCode(text)
    return group, code


def label(group: str, code: str) -> str:
    """``("CO", "45")`` -> "CO-45: Charge is over the fee schedule, ..." (what the work list shows)."""
    reason = REASONS.get(code)
    return f"{group}-{code}: {reason.description if reason else 'unknown reason'}"


def choices() -> list[tuple[str, str]]:
    """(key, label) for a pick list: the common combinations first."""
    return [(key, label(*key.split("-"))) for key in COMMON]
