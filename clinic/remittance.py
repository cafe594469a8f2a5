"""What an 835 claim payment (CLP) means for one of our claims, pure: which of our claim lines
each service payment (SVC) answers, the answer typed as the clerk would type it (a
:class:`clinic.claims.LineAnswer` per line), and the cases ClinicDesk leaves to a person.

Decisions:

* A service payment finds its claim line by REF*6R (our line's id, which our 837P sends), else by
  procedure code (and modifiers) in order. A service we did not bill, or a line of ours the payer
  did not answer, stops the claim: it is listed for posting by hand, never guessed.
* Claim-level adjustments (CAS right under CLP) are put on the line when the claim has one line;
  with several lines they cannot be split without guessing, so the claim is left to a person.
* Allowed is AMT*B6 when the payer gives it, else paid + the patient's share (PR).
* CLP02 22 (a reversal of an earlier payment), 23 (not our payer: forwarded) and 25
  (predetermination, no payment) are not posted automatically.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from clinic.claims import Adjustment, LineAnswer
from clinic.errors import ClinicError
from clinic.money import ZERO, money_text
from clinic.x12_835 import Cas, ClaimPayment

CLAIM_STATUS: Final = {
    "1": "Processed as primary", "2": "Processed as secondary", "3": "Processed as tertiary", "4": "Denied",
    "19": "Processed as primary, forwarded to another payer",
    "20": "Processed as secondary, forwarded to another payer",
    "21": "Processed as tertiary, forwarded to another payer",
    "22": "Reversal of an earlier payment", "23": "Not our claim, forwarded to another payer",
    "25": "Predetermination only: no payment",
}
NOT_POSTED: Final = {
    "22": "The payer reversed an earlier payment: record the refund or adjustment by hand.",
    "23": "The payer says the claim is not theirs and forwarded it: check the patient's coverage.",
    "25": "A predetermination pays nothing: nothing to post.",
}


@dataclass(frozen=True)
class OurLine:
    id: int
    position: int
    code: str
    modifiers: tuple[str, ...]
    charge: Decimal


def status_label(code: str) -> str:
    return CLAIM_STATUS.get(code, f"Status code {code}")


def line_answers(payment: ClaimPayment, lines: Sequence[OurLine]) -> list[LineAnswer]:
    """The payment as one answer per claim line, or ClinicError saying why it needs a person."""
    if payment.status_code in NOT_POSTED:
        raise ClinicError(NOT_POSTED[payment.status_code])
    if not payment.services:
        if len(lines) == 1:  # the payer answered the claim as a whole: it is the one line's answer
            return [_answer(lines[0], payment.charge, payment.paid, None, payment.adjustments)]
        raise ClinicError("The payer answered the claim as a whole, not line by line: post it by hand.")
    if payment.adjustments and len(lines) != 1:
        total = sum((c.amount for c in payment.adjustments), ZERO)
        raise ClinicError(f"The payer adjusted the claim as a whole ({_cas_text(payment.adjustments)}, "
                          f"{money_text(total)}) across several lines: post it by hand.")
    by_id = {str(line.id): line for line in lines}
    unmatched = list(lines)
    answers: dict[int, LineAnswer] = {}
    for service in payment.services:
        line = by_id.get((service.line_control or "").strip())
        if line is None or line not in unmatched:
            line = next((c for c in unmatched if c.code == service.code
                         and (not service.modifiers or c.modifiers == tuple(service.modifiers))), None)
        if line is None:
            raise ClinicError(f"The payer answered a service ({service.code}) this claim does not have, or answered "
                              "a line twice: post it by hand.")
        unmatched.remove(line)
        if service.charge != line.charge:
            raise ClinicError(f"Line {line.position} ({line.code}) was billed at {money_text(line.charge)}, the payer "
                              f"answered for {money_text(service.charge)}: post it by hand.")
        extra = payment.adjustments if len(lines) == 1 else ()
        answers[line.id] = _answer(line, service.charge, service.paid, service.allowed,
                                   (*service.adjustments, *extra))
    if unmatched:
        missing = ", ".join(f"line {c.position} ({c.code})" for c in unmatched)
        raise ClinicError(f"The payer did not answer {missing}: post the claim by hand.")
    return [answers[line.id] for line in lines]


def _answer(line: OurLine, charge: Decimal, paid: Decimal, allowed: Decimal | None,
            adjustments: Sequence[Cas]) -> LineAnswer:
    for cas in adjustments:
        if cas.amount < 0:
            raise ClinicError(f"Line {line.position} has a negative adjustment ({cas.group}-{cas.reason} "
                              f"{money_text(cas.amount)}): a correction to post by hand.")
    if allowed is None:
        patient_share = sum((c.amount for c in adjustments if c.group == "PR"), ZERO)
        allowed = min(max(paid + patient_share, paid), charge)
    kept = [c for c in adjustments if c.amount != 0]
    return LineAnswer(line.id, allowed, paid, tuple(Adjustment(f"{c.group}-{c.reason}", c.amount) for c in kept))


def _cas_text(adjustments: Sequence[Cas]) -> str:
    return ", ".join(f"{c.group}-{c.reason}" for c in adjustments)


def payment_method(bpr04: str) -> str:
    """BPR04 as one of our payment methods: CHK a check, ACH/FWT/BOP an electronic transfer."""
    return "check" if bpr04 == "CHK" else "eft"
