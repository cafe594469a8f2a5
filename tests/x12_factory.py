"""Test helper: build a valid 835 remittance (005010X221A1) from plain Python values.

``make_835(claims, ...)`` writes what a payer would send back for claims ClinicDesk exported:
one ISA/GS/ST, a BPR whose amount balances (sum of CLP04 minus the PLB amounts, unless
``payment_amount`` is given to make an unbalanced file on purpose), TRN, payer (N1*PR with its
PER*BL), payee (N1*PE with an NPI), one LX with a CLP per claim, and per line an SVC with its
DTM*472, CAS, REF*6R (our claim line id) and AMT*B6. One segment per line ("~\\n"), so a file
line is a segment number. Every file it makes passes ``clinic.x12.validate`` (tested in
tests/clinic/test_x12_835.py); change the defaults with that in mind.

Amounts may be Decimal, int or str. A line's adjustments are (group, reason, amount) triples;
one CAS segment is written per group, holding up to six reason/amount pairs, as payers do.
At most six PLB adjustments (one PLB segment: pyx12 refuses a second one). ``paid_claim()`` is a
ready partly-paid claim; ``edit_835(text, old, new)`` changes one thing and recounts SE01, for
tests that need a broken or unusual file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

Money = Decimal | int | str
Adjustment = tuple[str, str, Money]


@dataclass(frozen=True)
class Line:
    """One service line the payer answers (2110 loop)."""

    code: str
    charge: Money
    paid: Money
    modifiers: tuple[str, ...] = ()
    units: int | None = 1
    allowed: Money | None = None          # AMT*B6
    line_id: int | str | None = None      # REF*6R, our claim_lines.id
    service_date: date | None = date(2026, 2, 2)
    adjustments: tuple[Adjustment, ...] = ()


@dataclass(frozen=True)
class Claim:
    """One CLP: the payer's answer for one of our claims (2100 loop)."""

    control_number: str
    lines: tuple[Line, ...] = ()
    status: str = "1"                     # CLP02: 1 primary, 2 secondary, 4 denied, 22 reversal
    charge: Money | None = None           # default: sum of the lines' charges
    paid: Money | None = None             # default: sum of the lines' paid amounts
    patient_responsibility: Money | None = None
    payer_claim_number: str = "PCN0001"
    patient: tuple[str, str] = ("DOE", "JANE")
    member_id: str = "MEMBER001"
    adjustments: tuple[Adjustment, ...] = ()  # claim-level CAS
    filing_code: str = "12"               # CLP06


def amount(value: Money) -> str:
    """X12 'R' text: plain digits, no exponent, no trailing zeros after the point."""
    text = format(Decimal(str(value)).normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def make_835(
    claims: Sequence[Claim],
    *,
    payer_name: str = "ACME HEALTH PLAN",
    payer_id: str = "1512345678",         # TRN03: '1' + the payer's EIN
    trace: str = "TRACE0001",             # TRN02: check or EFT trace number
    paid_on: date = date(2026, 2, 20),    # BPR16
    method: str = "CHK",                  # BPR04: CHK, ACH or NON
    payee_name: str = "CLINICDESK FAMILY PRACTICE",
    payee_npi: str = "1234567893",
    provider_adjustments: Iterable[tuple[str, str | None, Money]] = (),  # PLB (reason, reference, amount)
    payment_amount: Money | None = None,  # BPR02; default balances the file
    control_number: int = 1,
    created: datetime = datetime(2026, 2, 20, 9, 30),
) -> str:
    """The 835 text for ``claims`` (see the module docstring)."""
    plb = [(reason, ref, Decimal(str(value))) for reason, ref, value in provider_adjustments]
    if len(plb) > 6:  # pyx12 rejects a second PLB segment (its map lets the footer loop occur once)
        raise ValueError("make_835 writes one PLB segment: at most 6 provider adjustments")
    clps = [_claim_segments(claim) for claim in claims]
    if payment_amount is None:
        payment_amount = sum((total for total, _ in clps), Decimal(0)) - sum((a for _, _, a in plb), Decimal(0))
    body = [
        "ST*835*0001",
        _bpr(method, Decimal(str(payment_amount)), paid_on),
        f"TRN*1*{trace}*{payer_id}",
        f"DTM*405*{paid_on:%Y%m%d}",
        f"N1*PR*{payer_name}",
        "N3*100 MAIN STREET",
        "N4*HARTFORD*CT*06101",
        "PER*BL*PROVIDER SERVICES*TE*8005551212",
        f"N1*PE*{payee_name}*XX*{payee_npi}",
        "LX*1",
    ]
    for _, segments in clps:
        body += segments
    if plb:
        body.append(_plb(payee_npi, paid_on, plb))
    body.append(f"SE*{len(body) + 1}*0001")
    isa_date = f"{created:%y%m%d}*{created:%H%M}"
    segments = [
        f"ISA*00*{'':10}*00*{'':10}*ZZ*{'ACMEHEALTH':15}*ZZ*{'CLINICDESK':15}*{isa_date}*^*00501*"
        f"{control_number:09d}*0*T*:",
        f"GS*HP*ACMEHEALTH*CLINICDESK*{created:%Y%m%d}*{created:%H%M}*{control_number}*X*005010X221A1",
        *body,
        f"GE*1*{control_number}",
        f"IEA*1*{control_number:09d}",
    ]
    return "~\n".join(segments) + "~\n"


def _bpr(method: str, total: Decimal, paid_on: date) -> str:
    if method == "ACH":  # synthetic bank details: routing, account of payer then payee
        return (f"BPR*I*{amount(total)}*C*ACH*CCP*01*011000015*DA*123456789*1512345678**"
                f"01*021000021*DA*987654321*{paid_on:%Y%m%d}")
    kind = "H" if method == "NON" else "I"
    return f"BPR*{kind}*{amount(total)}*C*{method}************{paid_on:%Y%m%d}"


def _cas(adjustments: Iterable[Adjustment]) -> list[str]:
    groups: dict[str, list[str]] = {}
    for group, reason, value in adjustments:
        groups.setdefault(group, []).append(f"{reason}*{amount(value)}")
    out = []
    for group, pairs in groups.items():
        for start in range(0, len(pairs), 6):
            out.append(f"CAS*{group}*" + "**".join(pairs[start:start + 6]))
    return out


def _claim_segments(claim: Claim) -> tuple[Decimal, list[str]]:
    charge = Decimal(str(claim.charge)) if claim.charge is not None else sum(
        (Decimal(str(line.charge)) for line in claim.lines), Decimal(0))
    paid = Decimal(str(claim.paid)) if claim.paid is not None else sum(
        (Decimal(str(line.paid)) for line in claim.lines), Decimal(0))
    resp = "" if claim.patient_responsibility is None else amount(claim.patient_responsibility)
    last, first = claim.patient
    out = [
        f"CLP*{claim.control_number}*{claim.status}*{amount(charge)}*{amount(paid)}*{resp}*"
        f"{claim.filing_code}*{claim.payer_claim_number}",
        *_cas(claim.adjustments),
        f"NM1*QC*1*{last}*{first}****MI*{claim.member_id}",
    ]
    for line in claim.lines:
        procedure = ":".join(("HC", line.code, *line.modifiers))
        svc = f"SVC*{procedure}*{amount(line.charge)}*{amount(line.paid)}"
        out.append(svc + (f"**{line.units}" if line.units is not None else ""))
        if line.service_date is not None:
            out.append(f"DTM*472*{line.service_date:%Y%m%d}")
        out += _cas(line.adjustments)
        if line.line_id is not None:
            out.append(f"REF*6R*{line.line_id}")
        if line.allowed is not None:
            out.append(f"AMT*B6*{amount(line.allowed)}")
    return paid, out


def _plb(provider_id: str, paid_on: date, items: list[tuple[str, str | None, Decimal]]) -> str:
    elements = "*".join(f"{reason}:{ref}*{amount(value)}" if ref else f"{reason}*{amount(value)}"
                        for reason, ref, value in items)
    return f"PLB*{provider_id}*{paid_on.year}1231*{elements}"


def edit_835(text: str, old: str, new: str) -> str:
    """``text`` (one segment per line, as make_835 writes) with ``old`` replaced by ``new`` once
    and SE01 recounted, so a test can break or extend one thing and nothing else."""
    if old not in text:
        raise ValueError(f"{old!r} is not in the 835")
    lines = text.replace(old, new, 1).splitlines(keepends=True)
    start = next(i for i, seg in enumerate(lines) if seg.startswith("ST*"))
    end = next(i for i, seg in enumerate(lines) if seg.startswith("SE*"))
    control = lines[end].rstrip("~\n").split("*")[2]
    lines[end] = f"SE*{end - start + 1}*{control}~\n"
    return "".join(lines)


# Used by tests that want a claim without spelling every field.
def paid_claim(control_number: str = "CD00000001", line_id: int = 1, **overrides) -> Claim:
    """A claim whose one line was billed 150, allowed 100 and paid 80 (CO-45 50, PR-2 20)."""
    line = Line("99213", "150", "80", line_id=line_id, allowed="100",
                adjustments=(("CO", "45", "50"), ("PR", "2", "20")))
    values: dict = dict(lines=(line,), patient_responsibility="20")
    values.update(overrides)
    return Claim(control_number, **values)


__all__ = ["Claim", "Line", "amount", "edit_835", "make_835", "paid_claim"]
