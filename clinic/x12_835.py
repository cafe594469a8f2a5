"""Read an 835 remittance advice (X12 005010X221A1) into frozen dataclasses, or refuse it.

:func:`parse_835` checks the file in three steps and stops at the first thing that blocks it,
raising ``ClinicError(message, field="file")`` whose message names the line and segment
("Line 13, segment CLP: ... Nothing was posted."):

1. the envelope, read with pyx12's ``X12Reader``: an X12 file, a health care payment (GS01 'HP',
   ST01 '835'), and exactly one ST (one payment per file, so one trace number per import);
2. pyx12's full validation (:func:`clinic.x12.validate`). A problem blocks when it is in a
   segment that carries the envelope or the money (ISA IEA GS GE ST SE BPR TRN CLP CAS SVC PLB
   LX NM1 DTM AMT REF), when pyx12 could not place a segment ("not found", a loop too many or
   missing), or when it has no segment at all. Other problems (a missing PER contact, a TS3
   element marked not used, a blank payee N3) become ``Remittance.warnings``;
3. the money: BPR02 must equal the sum of CLP04 minus the sum of the PLB amounts.

Decisions:

- Elements are read with pyx12's ``X12ContextReader`` (claims as 2100 loop trees) and
  ``Segment.get_value``, never by splitting text, so the separators declared in the ISA are used:
  a file declaring ':' in ISA16 but writing '>' (the public LinuxForHealth samples) is refused.
- "Line" is pyx12's segment number counted from the ISA (= 1), as in ``clinic.x12.validate``: the
  file line when there is one segment per line (ours, most clearinghouses'), else the position.
- pyx12's map lets the footer loop occur once, so a second PLB (legal in the guide) is reported as
  "Loop FOOTER exceeded max count": a warning, since every PLB is read and must balance anyway.
- Claims and lines whose charge minus paid differs from their CAS amounts are warnings (the payer's
  arithmetic, for the review screen). Money is whole cents (Decimal, 2 places); a fraction of a
  cent is refused. Service date: DTM*472, else DTM*150. Units: SVC05. PLB amounts keep the
  payer's sign: positive reduces the payment.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final, NoReturn

import pyx12.error_handler
import pyx12.errors
import pyx12.params
import pyx12.x12context
import pyx12.x12file

from clinic.errors import ClinicError
from clinic.money import money_text
from clinic.x12 import Problem, validate

# Segments whose problems block the import: the envelope and everything that carries money,
# claim identity or dates.
BLOCKING_SEGMENTS: Final = frozenset(
    "ISA IEA GS GE ST SE BPR TRN CLP CAS SVC PLB LX NM1 DTM AMT REF".split())
# pyx12 messages that mean a segment could not be placed in the 835's structure.
_STRUCTURE_WORDS: Final = ("not found", "exceeded max count", "Mandatory loop")
# A known pyx12 map limit, not a fault of the file (see the module docstring).
_PYX12_FOOTER_QUIRK: Final = "Loop FOOTER exceeded max count"
_NOTHING_POSTED: Final = "Nothing was posted."
_CENT: Final = Decimal("0.01")


@dataclass(frozen=True)
class Cas:
    """One adjustment: group (CO, PR, OA, PI, CR), CARC reason, amount (and quantity if sent)."""

    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None = None


@dataclass(frozen=True)
class ServicePayment:
    """The payer's answer for one service line (2110 loop)."""

    code: str
    modifiers: tuple[str, ...]   # from SVC01 (HC:99213:25)
    charge: Decimal
    paid: Decimal
    units: Decimal | None
    allowed: Decimal | None      # AMT*B6 if present
    line_control: str | None     # REF*6R (our claim_lines.id as text)
    service_date: date | None    # DTM*472 (or 150)
    adjustments: tuple[Cas, ...]


@dataclass(frozen=True)
class ClaimPayment:
    """The payer's answer for one claim (2100 loop)."""

    control_number: str          # CLP01: our claim's control number
    status_code: str             # CLP02
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal | None
    payer_claim_number: str | None
    patient_name: str | None     # NM1*QC "LAST, FIRST"
    occurrence: int              # 1 for the first CLP with this CLP01 in the file, 2 for the next...
    adjustments: tuple[Cas, ...]  # claim-level CAS
    services: tuple[ServicePayment, ...]
    line: int                    # line (segment number) of the CLP


@dataclass(frozen=True)
class ProviderAdjustment:
    """One PLB reason/amount pair; a positive amount reduces the payment."""

    reason: str
    reference: str | None
    amount: Decimal


@dataclass(frozen=True)
class Remittance:
    """One 835: one payment (check or EFT) and the claims it pays."""

    payer_name: str | None
    payer_key: str               # TRN03 else payer name
    trace_number: str            # TRN02
    method: str                  # BPR04: ACH, CHK, BOP, FWT, NON
    payment_amount: Decimal      # BPR02
    paid_on: date | None         # BPR16
    claims: tuple[ClaimPayment, ...]
    provider_adjustments: tuple[ProviderAdjustment, ...]
    warnings: tuple[str, ...]    # problems that do not touch the money

    @property
    def provider_adjustment_total(self) -> Decimal:
        return sum((adj.amount for adj in self.provider_adjustments), Decimal(0))


def parse_835(text: str) -> Remittance:
    """The remittance in ``text``; raises ClinicError(field="file") naming the first blocking problem."""
    text = text.lstrip("\ufeff").lstrip()  # a byte-order mark or blank lines before the ISA
    _check_envelope(text)
    warnings: list[str] = []
    for problem in validate(text):
        if _blocks(problem):
            _refuse(problem.line, problem.segment, problem.message)
        warnings.append(str(problem))
    remittance, bpr_line = _read(text, warnings)
    _check_balance(remittance, bpr_line)
    return remittance


# --- checks ------------------------------------------------------------------------------------


def _refuse(line: int | None, segment: str | None, message: str) -> NoReturn:
    where = ", ".join(part for part in (line and f"Line {line}", segment and f"segment {segment}") if part)
    where = where[:1].upper() + where[1:]
    message = message.rstrip(". ") + "."
    raise ClinicError(f"{where}: {message} {_NOTHING_POSTED}" if where else f"{message} {_NOTHING_POSTED}",
                      field="file")


def _blocks(problem: Problem) -> bool:
    if _PYX12_FOOTER_QUIRK in problem.message:
        return False
    if problem.segment is None or problem.segment in BLOCKING_SEGMENTS:
        return True
    return any(words in problem.message for words in _STRUCTURE_WORDS)


def _check_envelope(text: str) -> None:
    """An 835, one transaction: read with pyx12's plain segment reader (no map needed)."""
    if not text.startswith("ISA"):
        _refuse(1, None, "This is not an X12 file: it does not start with an ISA segment")
    transactions = 0
    try:
        with pyx12.x12file.X12Reader(io.StringIO(text)) as reader:
            for seg in reader:
                seg_id, line = seg.get_seg_id(), reader.get_cur_line()
                if seg_id == "GS" and seg.get_value("GS01") != "HP":
                    _refuse(line, "GS", f"This is not an 835 payment file (GS01 is "
                                        f"'{seg.get_value('GS01')}', a remittance has 'HP')")
                if seg_id == "ST":
                    if seg.get_value("ST01") != "835":
                        _refuse(line, "ST", f"This is not an 835 payment file (it holds a "
                                            f"{seg.get_value('ST01')} transaction)")
                    transactions += 1
                    if transactions > 1:
                        _refuse(line, "ST", "This file holds more than one payment; import one payment per file")
    except pyx12.errors.X12Error as exc:
        _refuse(None, "ISA", f"pyx12 cannot read this file: {exc}")
    if transactions == 0:
        _refuse(None, "ST", "This file holds no 835 transaction")


def _check_balance(remittance: Remittance, bpr_line: int | None) -> None:
    claims_paid = sum((claim.paid for claim in remittance.claims), Decimal(0))
    expected = claims_paid - remittance.provider_adjustment_total
    if remittance.payment_amount != expected:
        _refuse(bpr_line, "BPR",
                f"The file's total payment {money_text(remittance.payment_amount)} does not equal what "
                f"its claims paid ({money_text(claims_paid)}) minus the provider adjustments "
                f"({money_text(remittance.provider_adjustment_total)}), {money_text(expected)}")


# --- reading -----------------------------------------------------------------------------------


def _read(text: str, warnings: list[str]) -> tuple[Remittance, int | None]:
    """The remittance, and the line of its BPR (for the balance message)."""
    header: dict[str, Any] = {}
    claims: list[ClaimPayment] = []
    plb: list[ProviderAdjustment] = []
    seen: Counter[str] = Counter()
    errh = pyx12.error_handler.errh_null()
    with pyx12.x12context.X12ContextReader(pyx12.params.params(), errh, io.StringIO(text)) as reader:
        for node in reader.iter_segments("2100"):
            if node.id == "2100":
                claim = _claim(node, seen)
                claims.append(claim)
                warnings.extend(_balance_warnings(claim))
                continue
            seg, line = node.seg_data, node.cur_line_number
            if node.id == "BPR":
                header.update(payment_amount=_amount(seg, "BPR02", line), method=_text(seg, "BPR04") or "",
                              paid_on=_date(seg, "BPR16", line), bpr_line=line)
            elif node.id == "TRN":
                header.update(trace_number=_text(seg, "TRN02") or "", payer_id=_text(seg, "TRN03"))
            elif node.id == "N1" and _text(seg, "N101") == "PR":
                header["payer_name"] = _text(seg, "N102")
            elif node.id == "PLB":
                plb.extend(_plb(seg, line))
    remittance = Remittance(
        payer_name=header.get("payer_name"),
        payer_key=header.get("payer_id") or header.get("payer_name") or "",
        trace_number=header["trace_number"],
        method=header["method"],
        payment_amount=header["payment_amount"],
        paid_on=header["paid_on"],
        claims=tuple(claims),
        provider_adjustments=tuple(plb),
        warnings=tuple(warnings),
    )
    return remittance, header.get("bpr_line")


def _claim(loop: Any, seen: Counter[str]) -> ClaimPayment:
    clp = loop.get_first_matching_segment("CLP")
    line = loop.cur_line_number
    control = _text(clp, "CLP01") or ""
    seen[control] += 1
    patient = next((node.seg_data for node in loop.select("NM1") if _text(node.seg_data, "NM101") == "QC"), None)
    return ClaimPayment(
        control_number=control,
        status_code=_text(clp, "CLP02") or "",
        charge=_amount(clp, "CLP03", line),
        paid=_amount(clp, "CLP04", line),
        patient_responsibility=_number(clp, "CLP05", line, cents=True),
        payer_claim_number=_text(clp, "CLP07"),
        patient_name=_person(patient) if patient is not None else None,
        occurrence=seen[control],
        adjustments=tuple(_cas_all(loop.select("CAS"))),
        services=tuple(_service(node) for node in loop.select("2110")),
        line=line,
    )


def _service(loop: Any) -> ServicePayment:
    svc = loop.get_first_matching_segment("SVC")
    line = loop.cur_line_number
    dates = {_text(node.seg_data, "DTM01"): node for node in loop.select("DTM")}
    when = dates.get("472") or dates.get("150")
    allowed = next((n for n in loop.select("AMT") if _text(n.seg_data, "AMT01") == "B6"), None)
    control = next((n for n in loop.select("REF") if _text(n.seg_data, "REF01") == "6R"), None)
    return ServicePayment(
        code=_text(svc, "SVC01-2") or "",
        modifiers=tuple(m for m in (_text(svc, f"SVC01-{i}") for i in range(3, 7)) if m),
        charge=_amount(svc, "SVC02", line),
        paid=_amount(svc, "SVC03", line),
        units=_number(svc, "SVC05", line),
        allowed=_amount(allowed.seg_data, "AMT02", allowed.cur_line_number) if allowed else None,
        line_control=_text(control.seg_data, "REF02") if control else None,
        service_date=_date(when.seg_data, "DTM02", when.cur_line_number) if when else None,
        adjustments=tuple(_cas_all(loop.select("CAS"))),
    )


def _cas_all(nodes: Iterable[Any]) -> Iterator[Cas]:
    """Each CAS holds a group and up to six reason/amount/quantity triples (CAS02..CAS19)."""
    for node in nodes:
        seg, line = node.seg_data, node.cur_line_number
        group = _text(seg, "CAS01") or ""
        for pos in range(2, 20, 3):
            reason = _text(seg, f"CAS{pos:02d}")
            if reason:
                yield Cas(group, reason, _amount(seg, f"CAS{pos + 1:02d}", line),
                          _number(seg, f"CAS{pos + 2:02d}", line))


def _plb(seg: Any, line: int) -> Iterator[ProviderAdjustment]:
    """PLB03/04 .. PLB13/14: (reason:reference, amount) pairs."""
    for pos in range(3, 15, 2):
        reason = _text(seg, f"PLB{pos:02d}-1")
        if reason:
            yield ProviderAdjustment(reason, _text(seg, f"PLB{pos:02d}-2"),
                                     _amount(seg, f"PLB{pos + 1:02d}", line))


def _balance_warnings(claim: ClaimPayment) -> Iterator[str]:
    def adjusted(cases: Iterable[Cas]) -> Decimal:
        return sum((cas.amount for cas in cases), Decimal(0))

    line_adjustments = sum((adjusted(s.adjustments) for s in claim.services), Decimal(0))
    if claim.charge - claim.paid != adjusted(claim.adjustments) + line_adjustments:
        yield (f"Line {claim.line}, claim {claim.control_number}: charge {money_text(claim.charge)} minus "
               f"paid {money_text(claim.paid)} does not equal its adjustments.")
    for service in claim.services:
        if service.charge - service.paid != adjusted(service.adjustments):
            yield (f"Claim {claim.control_number}, service {service.code}: charge "
                   f"{money_text(service.charge)} minus paid {money_text(service.paid)} does not "
                   f"equal its adjustments.")


# --- element values ----------------------------------------------------------------------------


def _text(seg: Any, ref: str) -> str | None:
    value = seg.get_value(ref)
    return (value.strip() or None) if value else None


def _number(seg: Any, ref: str, line: int, *, cents: bool = False) -> Decimal | None:
    """A number (units, quantity; money as 2-place cents when ``cents``); None when empty."""
    value = _text(seg, ref)
    if value is None:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        _refuse(line, seg.get_seg_id(), f"{ref} is not a number ({value})")
    if cents and number != number.quantize(_CENT):
        _refuse(line, seg.get_seg_id(), f"{ref} is not an amount in cents ({number})")
    return number.quantize(_CENT) if cents else number


def _amount(seg: Any, ref: str, line: int) -> Decimal:
    """A money element the segment must have (pyx12 has already checked that it is there)."""
    amount = _number(seg, ref, line, cents=True)
    if amount is None:
        _refuse(line, seg.get_seg_id(), f"{ref} has no amount")
    return amount


def _date(seg: Any, ref: str, line: int) -> date | None:
    value = _text(seg, ref)
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        _refuse(line, seg.get_seg_id(), f"{ref} is not a date ({value})")


def _person(seg: Any) -> str:
    last, first = _text(seg, "NM103"), _text(seg, "NM104")
    return ", ".join(part for part in (last, first) if part)
