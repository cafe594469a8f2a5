"""Insurance claim rules, pure: checking an insurer's answer line by line, the claim status an
answer gives, what the answer does to the invoice's money, claim numbers, hand-made status
changes, and the work list's ages and timely-filing days.

An answer (an EOB typed in) gives, for each claim line, the allowed and paid amounts and the
adjustments as CARC group + reason + amount (see :mod:`clinic.carc`). The one rule every line
obeys: **charge = paid + sum(adjustments)**, to the cent. Money of an answer:

* what is paid becomes the insurer's payment applied to the invoice;
* CO (contractual obligation) and PI (payer-initiated reduction) amounts with a contractual
  reduction reason (:data:`REDUCTION_REASONS`, e.g. CO-45) are written off as one ``contractual``
  adjustment: the patient is never billed for them;
* a denial amount (CO-50, CO-97, ...), PR (patient responsibility: deductible, coinsurance,
  copay) and OA (other, e.g. OA-23 what a prior payer already paid) stay on the invoice: a denial
  is appealed, resubmitted, or written off by the clerk with a reason (an appeal's payment needs
  the balance still there); PR is the patient's share, or the secondary's.

The claim's status after an answer (:func:`status_after`): a line is *denied* when nothing was
paid on it and one of its adjustments is a denial reason (a CO/PI/OA reason other than the
contractual reductions of :data:`REDUCTION_REASONS`); a line is *processed* when it carries no
denial reason (paid in full, or down to the allowed amount and the patient's share, even if the
deductible took all of it). All lines processed -> ``paid``; all lines denied -> ``denied``;
anything else (some paid, some denied or cut by a denial reason) -> ``partially_paid``.

Money is ``Decimal`` in whole cents; nothing here touches float, duckdb or streamlit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

from clinic import carc
from clinic.billing import CLAIMS_AWAITING, check_claim_move, check_reason
from clinic.errors import BadAmount, ClinicError, ValidationError
from clinic.money import ZERO, money_text, parse_amount

# CARC reasons that reduce a payment as the contract says (not a denial): CO-45 over the fee
# schedule, CO-131 negotiated discount, the retired 42/A2, OA-23 a prior payer's part, 94
# processed for more than charged.
REDUCTION_REASONS: Final = frozenset({"45", "131", "42", "A2", "23", "94", "253"})
# Groups written off as a contractual adjustment; the others stay on the invoice.
WRITE_OFF_GROUPS: Final = frozenset({"CO", "PI"})
REMAINDER_CHOICES: Final = ("patient", "secondary", "none")
REMAINDER_LABELS: Final = {"patient": "Bill the patient", "secondary": "Send to the secondary insurer",
                           "none": "Nothing is left to bill"}
# Moves a clerk makes by hand (the others come from posting an answer).
HAND_MOVES: Final = frozenset({"submitted", "accepted", "appealed", "denied"})
UNANSWERED_DAYS: Final = 30   # a claim submitted this long ago without an answer needs a call
FILING_WARNING_DAYS: Final = 14  # days left to the payer's timely-filing limit that put a claim on the list


def control_number(claim_id: int) -> str:
    """The claim's own number (CLM01): ``CD`` and the claim id on 8 digits, e.g. ``CD00000042``."""
    return f"CD{claim_id:08d}"


def pointers_text(letters: str) -> str:
    """"AC" -> "A,C" (how claim lines store their diagnosis pointers)."""
    return ",".join(letters)


# --- an answer -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Adjustment:
    """One adjustment as typed: ``reason`` is "CO-45" (or group and code apart), ``amount`` text or Decimal."""

    reason: str
    amount: object
    note: str = ""


@dataclass(frozen=True)
class LineAnswer:
    """The insurer's answer for one claim line, as typed (amounts are text or Decimal)."""

    claim_line_id: int
    allowed: object
    paid: object
    adjustments: Sequence[Adjustment] = ()


@dataclass(frozen=True)
class CheckedAdjustment:
    group: str
    reason: str
    amount: Decimal
    note: str | None

    @property
    def is_denial(self) -> bool:
        return self.group != "PR" and self.reason not in REDUCTION_REASONS


@dataclass(frozen=True)
class CheckedLine:
    claim_line_id: int
    charge: Decimal
    allowed: Decimal
    paid: Decimal
    adjustments: tuple[CheckedAdjustment, ...]

    @property
    def denied(self) -> bool:
        return self.paid == 0 and any(a.is_denial for a in self.adjustments)

    @property
    def processed(self) -> bool:
        return not any(a.is_denial for a in self.adjustments)

    def total(self, groups: Iterable[str]) -> Decimal:
        wanted = set(groups)
        return sum((a.amount for a in self.adjustments if a.group in wanted), ZERO)


@dataclass(frozen=True)
class CheckedAnswer:
    lines: tuple[CheckedLine, ...]
    status_after: str

    @property
    def paid(self) -> Decimal:
        return sum((line.paid for line in self.lines), ZERO)

    @property
    def write_off(self) -> Decimal:
        """CO + PI contractual reductions (not denials): posted as a contractual adjustment."""
        return sum((a.amount for a in self.write_offs()), ZERO)

    def write_offs(self) -> list[CheckedAdjustment]:
        return [a for line in self.lines for a in line.adjustments if is_write_off(a.group, a.reason)]

    @property
    def denied_amount(self) -> Decimal:
        return sum((a.amount for line in self.lines for a in line.adjustments if a.is_denial), ZERO)

    @property
    def patient_share(self) -> Decimal:
        return sum((line.total({"PR"}) for line in self.lines), ZERO)

    @property
    def other(self) -> Decimal:
        return sum((line.total({"OA"}) for line in self.lines), ZERO)

    def reasons(self) -> list[str]:
        """The distinct "CO-45"-style reasons of the answer, in order of first use."""
        return list(dict.fromkeys(f"{a.group}-{a.reason}" for line in self.lines for a in line.adjustments))

    def denial_reasons(self) -> list[str]:
        return list(dict.fromkeys(f"{a.group}-{a.reason}" for line in self.lines for a in line.adjustments
                                  if a.is_denial))


def is_write_off(group: str, reason: str) -> bool:
    """Whether an adjustment is written off when posted: a CO/PI contractual reduction."""
    return group in WRITE_OFF_GROUPS and reason in REDUCTION_REASONS


def line_field(claim_line_id: int, part: str = "") -> str:
    """The form field name of a line's part: ``line_7_paid``, ``line_7_adj0`` or ``line_7`` (the line)."""
    return f"line_{claim_line_id}" + (f"_{part}" if part else "")


def _amount(value: object, field_name: str, errors: dict[str, str], *, allow_zero: bool) -> Decimal:
    try:
        return parse_amount(value, field=field_name, allow_zero=allow_zero)
    except BadAmount as exc:
        errors[field_name] = str(exc)
        return ZERO


def check_answer(charges: Mapping[int, tuple[int, Decimal]], answers: Sequence[LineAnswer], *,
                 any_code: bool = False) -> CheckedAnswer:
    """Validate an answer against the claim's lines. ``charges`` maps each claim line id to
    (position, charge). Every line must be answered once; amounts are >= 0 with at most 2 decimals
    (an adjustment > 0), paid <= allowed <= charge, each adjustment a known CARC group and reason,
    and charge = paid + sum(adjustments). Raises ValidationError naming each bad field
    (:func:`line_field`); the message of a line that does not add up names the line and the gap."""
    errors: dict[str, str] = {}
    given = {a.claim_line_id for a in answers}
    if len(given) != len(answers) or given - set(charges):
        raise ClinicError("Each line of this claim is answered once.", field="lines")
    for line_id, (position, _charge) in sorted(charges.items(), key=lambda kv: kv[1][0]):
        if line_id not in given:
            errors[line_field(line_id)] = f"Line {position}: enter what the insurer said about it."
    checked = []
    for answer in sorted(answers, key=lambda a: charges[a.claim_line_id][0]):
        line_id = answer.claim_line_id
        position, charge = charges[line_id]
        before = len(errors)
        allowed = _amount(answer.allowed, line_field(line_id, "allowed"), errors, allow_zero=True)
        paid = _amount(answer.paid, line_field(line_id, "paid"), errors, allow_zero=True)
        adjustments = []
        for n, adj in enumerate(answer.adjustments):
            name = line_field(line_id, f"adj{n}")
            if not (adj.reason or "").strip():
                errors[name] = f"Line {position}: choose the adjustment's reason (e.g. CO-45)."
                continue
            try:
                group, reason = carc.parse(adj.reason, allow_retired=any_code, any_code=any_code)
            except ClinicError as exc:
                errors[name] = str(exc)
                continue
            amount = _amount(adj.amount, name, errors, allow_zero=False)
            note = " ".join((adj.note or "").split())[:200] or None
            adjustments.append(CheckedAdjustment(group, reason, amount, note))
        if len(errors) > before:
            continue
        if allowed > charge:
            errors[line_field(line_id, "allowed")] = (f"Line {position}: the allowed amount is more than the charge "
                                                      f"({money_text(charge)}).")
        elif paid > allowed:
            errors[line_field(line_id, "paid")] = (f"Line {position}: the paid amount is more than the allowed "
                                                   f"amount ({money_text(allowed)}).")
        else:
            accounted = paid + sum((a.amount for a in adjustments), ZERO)
            if accounted != charge:
                gap = charge - accounted
                errors[line_field(line_id)] = (
                    f"Line {position} does not add up: the charge is {money_text(charge)}, paid plus adjustments "
                    f"make {money_text(accounted)} ({money_text(abs(gap))} {'missing' if gap > 0 else 'too much'}).")
        checked.append(CheckedLine(line_id, charge, allowed, paid, tuple(adjustments)))
    if errors:
        raise ValidationError(errors)
    return CheckedAnswer(tuple(checked), status_after(checked))


def status_after(lines: Sequence[CheckedLine]) -> str:
    """The claim status an answer gives (see the module's docstring)."""
    if all(line.processed for line in lines):
        return "paid"
    if all(line.denied for line in lines):
        return "denied"
    return "partially_paid"


@dataclass(frozen=True)
class AnswerMoney:
    """What posting an answer does to the invoice: ``paid`` applied as the insurer's payment,
    ``write_off`` as a contractual adjustment, ``not_written_off`` the part of the CO/PI amounts
    left out because the invoice no longer owed it (already written off by the primary, or paid
    by the patient), ``balance_after`` what the invoice then owes."""

    paid: Decimal
    write_off: Decimal
    not_written_off: Decimal
    balance_after: Decimal


def answer_money(answer: CheckedAnswer, *, balance: Decimal, paid_before: Decimal = ZERO,
                 write_off_before: Decimal = ZERO) -> AnswerMoney:
    """The money an answer posts against an invoice owing ``balance``. A later answer to the same
    claim (after an appeal) restates the whole claim: only the increase over the previous answer
    (``paid_before``, ``write_off_before``) is posted; a decrease is refused (reverse the payment).
    More paid than the invoice owes is refused (the excess goes back to the insurer). The write-off
    is capped at what is left after the payment, so a balance never goes below zero."""
    paid = answer.paid - paid_before
    write_off = answer.write_off - write_off_before
    if paid < 0:
        raise BadAmount(f"This answer pays {money_text(-paid)} less than the insurer's earlier answer: reverse the "
                        "earlier payment first.", field="lines")
    write_off = max(write_off, ZERO)
    if paid > balance:
        raise BadAmount(f"The insurer paid {money_text(paid)} but the invoice owes only {money_text(balance)}: "
                        "check the amounts, or post what is owed and return the excess to the insurer.",
                        field="lines")
    posted = min(write_off, balance - paid)
    return AnswerMoney(paid, posted, write_off - posted, balance - paid - posted)


def check_remainder(choice: str | None, *, balance_after: Decimal, has_secondary: bool) -> str:
    """Where what is left goes: ``patient`` or ``secondary`` (the patient's second coverage); with
    nothing left it is ``none`` whatever was chosen. ``auto`` (an 835 posted): the secondary when
    there is one, else the patient."""
    if balance_after <= 0:
        return "none"
    if choice == "auto":
        return "secondary" if has_secondary else "patient"
    if choice not in ("patient", "secondary"):
        raise ClinicError(f"{money_text(balance_after)} is still owed: choose who is billed for it.",
                          field="remainder_to")
    if choice == "secondary" and not has_secondary:
        raise ClinicError("The patient has no secondary insurance on file: bill the patient instead.",
                          field="remainder_to")
    return choice


def check_answer_move(current: str, wanted: str) -> None:
    """An answer is posted to a claim waiting for one (submitted, accepted, appealed), or restates
    a partly paid claim as paid."""
    if current not in CLAIMS_AWAITING and current != "partially_paid":
        raise ClinicError(
            "This claim is not waiting for an answer: "
            + ("submit it first." if current == "draft" else f"it is {current.replace('_', ' ')}."),
            field="status")
    check_claim_move(current, wanted)


def check_hand_move(current: str, wanted: str, note: str | None) -> str | None:
    """A status change made by hand: submitted (or resubmitted), accepted, appealed, denied. Paid
    and partly paid come only from posting an answer. Denying or appealing needs a reason.
    Returns the cleaned note."""
    if wanted not in HAND_MOVES:
        raise ClinicError("Post the insurer's answer to mark a claim paid.", field="status")
    check_claim_move(current, wanted)
    if wanted == "denied":
        return check_reason(note, field="note", what="Say why the claim was denied (e.g. the reason on the letter).")
    if wanted == "appealed":
        return check_reason(note, field="note", what="Say what the appeal argues.")
    return " ".join((note or "").split())[:300] or None


# --- the work list -------------------------------------------------------------------------------


def days_between(earlier: date | None, later: date) -> int | None:
    return None if earlier is None else (later - earlier).days


def filing_days_left(service_date: date, timely_filing_days: int | None, as_of: date) -> int | None:
    """Days left to file with the payer (negative: past the limit); None when the limit is not known."""
    if timely_filing_days is None:
        return None
    return timely_filing_days - (as_of - service_date).days


def near_filing_limit(status: str, days_left: int | None) -> bool:
    """Not yet with the insurer and 14 days or fewer left: a draft (past the limit too: never sent,
    it needs attention most), or a denied claim to be corrected and sent again while there is still
    time (one past the limit was filed in time once; it is worked as a denial, not listed here)."""
    if days_left is None or days_left > FILING_WARNING_DAYS:
        return False
    return status == "draft" or (status == "denied" and days_left >= 0)


def needs_work(status: str, invoice_balance: Decimal) -> bool:
    """A claim the clerk still has to act on: a draft to send, a claim with the insurer (until its
    answer), or a denial whose invoice still owes. Once answered with money (paid, partially paid)
    what is left is the patient's or the secondary claim's; a denial whose invoice is settled
    (written off, or paid by the patient) is done."""
    if status == "draft" or status in CLAIMS_AWAITING:
        return True
    return status == "denied" and invoice_balance > 0


def unanswered_too_long(status: str, days_since_submitted: int | None) -> bool:
    return (status in CLAIMS_AWAITING and days_since_submitted is not None
            and days_since_submitted > UNANSWERED_DAYS)


@dataclass
class StatusCount:
    status: str
    count: int = 0
    total: Decimal = ZERO
    oldest_days: int | None = None  # days since service of the oldest claim in this status
    average_days: int | None = None
