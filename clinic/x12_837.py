"""Professional claim files (X12 837P, version 005010X222A1) built from plain Python values.

The database layer gathers claims into the dataclasses below; :func:`build_837p` turns them into
the text of one file and ``clinic.x12.validate`` checks it before it is stored or sent.

Decisions (what the file looks like):

* One interchange, one functional group, one transaction (ST02 ``0001``) per file. Delimiters:
  ``*`` element, ``:`` component, ``^`` repetition, ``~`` segment, and a newline after every
  segment so line numbers in validation problems point at one segment.
* One billing provider HL (2000A) with every claim under it; one subscriber HL (2000B) per claim,
  even when two claims share a subscriber (simple, and valid); a patient HL (2000C) only when the
  patient is not the subscriber. HLs are numbered 1, 2, 3... in file order.
* Every text element goes through :func:`clinic.x12.clean` (accents dropped, upper case, no
  delimiters) cut to the guide's maximum length; empty trailing elements are left out. Codes
  (diagnoses, procedures, modifiers) keep only letters and digits: ``E11.9`` -> ``E119``.
* Amounts are written as plain decimals without exponent or trailing zeros: ``100``, ``100.5``,
  ``79.04`` (X12 "R" type).
* CLM05 ``11:B:1`` (place of service, B, frequency 1 = original claim), provider signature Y,
  assignment A, benefits assigned Y, release of information Y.
* HI: the first diagnosis is principal (ABK), the rest ABF, dots dropped; at most 12 (one HI).
  Each service line points at 1 to 4 of them (SV107).
* REF*6R on each line carries our claim line id so the 835 can answer line by line.
* The submitter (NM1*41) and billing provider (NM1*85) are organisations (entity type 2); the
  guide wants a 9-digit ZIP for the billing provider, which pyx12 does not check: store ZIP+4.
* A rendering provider (2310B, NM1*82) is written only when its NPI differs from the billing one.
* Secondary claims (``ClaimOut.prior``): 2320 (the primary's SBR, AMT*D paid, OI), 2330A/2330B
  (its subscriber and payer) and, per line with a ``prior`` answer, 2430 (SVD, CAS, DTP*573).
  When some line has no prior answer, the claim-level adjudication date goes in 2330B DTP*573.
* Values the guide cannot carry (no diagnosis, 13 diagnoses, a pointer to a missing diagnosis,
  5 modifiers, no service line) raise :class:`clinic.errors.ClinicError` naming the claim.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Final

from clinic.errors import ClinicError
from clinic.x12 import clean

VERSION: Final = "005010X222A1"
_SEX: Final = {"female": "F", "male": "M"}
_PATIENT_RELATIONSHIP: Final = {"self": "18", "spouse": "01", "child": "19", "other": "G8"}
_MAX_DIAGNOSES: Final = 12
_MAX_LINES: Final = 50
_CAS_TRIPLES: Final = 6


@dataclass(frozen=True)
class Address:
    line1: str
    city: str
    state: str
    postal_code: str
    line2: str | None = None


@dataclass(frozen=True)
class Person:
    """A subscriber or a patient. ``member_id`` is used for the subscriber only."""

    last: str
    first: str
    middle: str | None = None
    member_id: str | None = None
    address: Address | None = None
    birth_date: date | None = None
    sex: str = "unknown"  # 'female', 'male', 'other', 'unknown' -> DMG03 F / M / U


@dataclass(frozen=True)
class BillingProvider:
    name: str
    npi: str
    tax_id: str
    address: Address
    taxonomy: str | None = None


@dataclass(frozen=True)
class Rendering:
    last: str
    first: str
    npi: str


@dataclass(frozen=True)
class PriorAnswerLine:
    """What the primary payer did with one line: paid, and its (group, reason, amount) adjustments."""

    paid: Decimal
    adjustments: tuple[tuple[str, str, Decimal], ...]


@dataclass(frozen=True)
class ServiceLine:
    line_id: int  # claim_lines.id -> REF*6R
    code: str
    modifiers: tuple[str, ...]
    charge: Decimal
    units: int
    pointers: tuple[int, ...]  # 1-based indexes into the claim's diagnoses
    service_date: date
    prior: PriorAnswerLine | None = None


@dataclass(frozen=True)
class PriorPayer:
    """Secondary claims: the primary payer, its subscriber and what it paid for the claim."""

    payer_name: str
    payer_id: str
    member_id: str
    subscriber: Person
    group_number: str | None
    filing_code: str
    relationship: str  # patient to that payer's subscriber: 'self', 'spouse', 'child', 'other'
    paid: Decimal
    adjudicated_on: date


@dataclass(frozen=True)
class ClaimOut:
    control_number: str  # CLM01
    rank: int  # 1 primary, 2 secondary
    filing_code: str  # SBR09
    payer_name: str
    payer_id: str
    relationship: str  # patient to subscriber
    subscriber: Person
    patient: Person  # ignored when relationship == 'self'
    group_number: str | None
    place_of_service: str
    diagnoses: tuple[str, ...]
    lines: tuple[ServiceLine, ...]
    rendering: Rendering | None = None
    prior: PriorPayer | None = None

    @property
    def total_charge(self) -> Decimal:
        return sum((line.charge for line in self.lines), Decimal(0))


@dataclass(frozen=True)
class Submitter:
    name: str
    id: str
    contact_name: str
    contact_phone: str  # digits


@dataclass(frozen=True)
class Envelope:
    control_number: int  # ISA13 / GS06
    created: datetime
    submitter: Submitter
    receiver_name: str
    receiver_id: str
    usage: str = "P"  # ISA15: 'T' test, 'P' production
    batch_reference: str = ""  # BHT03; empty: the control number


def amount(value: Decimal) -> str:
    """Money as X12 writes it: ``Decimal('100.00')`` -> ``100``, ``Decimal('100.50')`` -> ``100.5``."""
    text = format(Decimal(value).quantize(Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# Trailing empty elements / components are dropped; values never hold a delimiter (clean()).
def _segment(*elements: str) -> str:
    return "*".join(elements).rstrip("*") + "~"


def _composite(*components: str) -> str:
    return ":".join(components).rstrip(":")


def _d8(day: date) -> str:
    return day.strftime("%Y%m%d")


def _code(text: object, limit: int) -> str:
    """A code (diagnosis, procedure, modifier): its letters and digits only, upper case."""
    return "".join(ch for ch in clean(text) if ch.isalnum())[:limit]


def _digits(text: object) -> str:
    return "".join(ch for ch in str(text or "") if ch.isascii() and ch.isdigit())


def _relationship(word: str, control_number: str) -> str:
    try:
        return _PATIENT_RELATIONSHIP[word]
    except KeyError:
        raise ClinicError(f"Claim {control_number}: unknown relationship to the subscriber {word!r}.") from None


def _address(addr: Address | None) -> list[str]:
    if addr is None:
        return []
    return [
        _segment("N3", clean(addr.line1, 55), clean(addr.line2, 55)),
        _segment("N4", clean(addr.city, 30), clean(addr.state, 2), _digits(addr.postal_code)[:9]),
    ]


def _person_name(qualifier: str, person: Person, member_id: str | None = None) -> str:
    return _segment("NM1", qualifier, "1", clean(person.last, 60), clean(person.first, 35),
                    clean(person.middle, 25), "", "", "MI" if member_id else "", clean(member_id, 80))


def _demographics(person: Person) -> list[str]:
    if person.birth_date is None:
        return []
    return [_segment("DMG", "D8", _d8(person.birth_date), _SEX.get(person.sex, "U"))]


def _check(claim: ClaimOut) -> None:
    where = f"Claim {claim.control_number}"
    if not 1 <= len(claim.diagnoses) <= _MAX_DIAGNOSES:
        raise ClinicError(f"{where}: a claim file carries 1 to {_MAX_DIAGNOSES} diagnoses, "
                          f"this claim has {len(claim.diagnoses)}.", field="diagnoses")
    if not 1 <= len(claim.lines) <= _MAX_LINES:
        raise ClinicError(f"{where}: a claim carries 1 to {_MAX_LINES} service lines, "
                          f"this claim has {len(claim.lines)}.", field="lines")
    for line in claim.lines:
        if len(line.modifiers) > 4:
            raise ClinicError(f"{where}: {line.code} has more than 4 modifiers.", field="modifiers")
        if not 1 <= len(line.pointers) <= 4 or not all(1 <= p <= len(claim.diagnoses) for p in line.pointers):
            raise ClinicError(f"{where}: {line.code} must point at 1 to 4 of the claim's diagnoses.",
                              field="pointers")
    if claim.rank not in (1, 2):
        raise ClinicError(f"{where}: only primary (1) and secondary (2) claims can be sent.", field="rank")


def _claim_segments(claim: ClaimOut, billing: BillingProvider, hl: int) -> tuple[list[str], int]:
    """The 2000B (and 2000C) loops of one claim, starting at HL number ``hl``; returns the
    segments and the next free HL number."""
    _check(claim)
    self_pays = claim.relationship == "self"
    relationship = _relationship(claim.relationship, claim.control_number)
    out = [
        _segment("HL", str(hl), "1", "22", "0" if self_pays else "1"),
        _segment("SBR", "P" if claim.rank == 1 else "S", "18" if self_pays else "", clean(claim.group_number, 50),
                 "", "", "", "", "", clean(claim.filing_code, 2)),
        _person_name("IL", claim.subscriber, claim.subscriber.member_id),
    ]
    if self_pays:
        out += _address(claim.subscriber.address) + _demographics(claim.subscriber)
    out.append(_segment("NM1", "PR", "2", clean(claim.payer_name, 60), "", "", "", "", "PI", clean(claim.payer_id, 80)))
    next_hl = hl + 1
    if not self_pays:
        out += [_segment("HL", str(next_hl), str(hl), "23", "0"), _segment("PAT", relationship),
                _person_name("QC", claim.patient)]
        out += _address(claim.patient.address) + _demographics(claim.patient)
        next_hl += 1
    out += _claim_body(claim, billing)
    return out, next_hl


def _claim_body(claim: ClaimOut, billing: BillingProvider) -> list[str]:
    """Loop 2300 (the claim), 2310B, 2320/2330 and the 2400 service lines."""
    codes = [_code(code, 30) for code in claim.diagnoses]
    out = [
        _segment("CLM", clean(claim.control_number, 38), amount(claim.total_charge), "", "",
                 _composite(clean(claim.place_of_service, 2), "B", "1"), "Y", "A", "Y", "Y"),
        _segment("HI", *[_composite("ABK" if i == 0 else "ABF", code) for i, code in enumerate(codes)]),
    ]
    if claim.rendering is not None and claim.rendering.npi != billing.npi:
        r = claim.rendering
        out.append(_segment("NM1", "82", "1", clean(r.last, 60), clean(r.first, 35), "", "", "", "XX", _digits(r.npi)))
    prior = claim.prior
    if prior is not None:
        out += _prior_payer(prior, all(line.prior is not None for line in claim.lines), claim.control_number)
    for number, line in enumerate(claim.lines, start=1):
        out += _service_line(number, line, prior)
    return out


def _prior_payer(prior: PriorPayer, every_line_answered: bool, control_number: str) -> list[str]:
    """Loops 2320 (other subscriber information), 2330A (its subscriber), 2330B (its payer)."""
    out = [
        _segment("SBR", "P", _relationship(prior.relationship, control_number), clean(prior.group_number, 50),
                 "", "", "", "", "", clean(prior.filing_code, 2)),
        _segment("AMT", "D", amount(prior.paid)),
        _segment("OI", "", "", "Y", "P", "", "Y"),
        _person_name("IL", prior.subscriber, prior.member_id),
    ]
    out += _address(prior.subscriber.address)
    out.append(_segment("NM1", "PR", "2", clean(prior.payer_name, 60), "", "", "", "", "PI", clean(prior.payer_id, 80)))
    if not every_line_answered:
        out.append(_segment("DTP", "573", "D8", _d8(prior.adjudicated_on)))
    return out


def _service_line(number: int, line: ServiceLine, prior: PriorPayer | None) -> list[str]:
    """Loop 2400 (LX, SV1, DTP*472, REF*6R) and, for secondary claims, 2430."""
    procedure = _composite("HC", _code(line.code, 48), *[_code(m, 2) for m in line.modifiers])
    out = [
        _segment("LX", str(number)),
        _segment("SV1", procedure, amount(line.charge), "UN", str(line.units), "", "",
                 ":".join(str(p) for p in line.pointers)),
        _segment("DTP", "472", "D8", _d8(line.service_date)),
        _segment("REF", "6R", str(line.line_id)),
    ]
    if prior is not None and line.prior is not None:
        out.append(_segment("SVD", clean(prior.payer_id, 80), amount(line.prior.paid), procedure, "", str(line.units)))
        out += _adjustments(line.prior.adjustments)
        out.append(_segment("DTP", "573", "D8", _d8(prior.adjudicated_on)))
    return out


def _adjustments(adjustments: Sequence[tuple[str, str, Decimal]]) -> list[str]:
    """CAS segments: one per group code (in order of first appearance), 6 reasons per segment."""
    groups: dict[str, list[tuple[str, Decimal]]] = {}
    for group, reason, value in adjustments:
        groups.setdefault(clean(group, 2), []).append((clean(reason, 5), value))
    out = []
    for group, reasons in groups.items():
        for start in range(0, len(reasons), _CAS_TRIPLES):
            elements: list[str] = []
            for reason, value in reasons[start:start + _CAS_TRIPLES]:
                elements += [reason, amount(value), ""]
            out.append(_segment("CAS", group, *elements))
    return out


def build_837p(envelope: Envelope, billing: BillingProvider, claims: Sequence[ClaimOut]) -> str:
    """The text of one 837P file holding ``claims`` for ``billing``, one segment per line."""
    if not claims:
        raise ClinicError("There are no claims to put in the file.")
    sub = envelope.submitter
    sender, receiver = clean(sub.id, 15), clean(envelope.receiver_id, 15)
    control = f"{envelope.control_number:09d}"
    when = envelope.created
    body = [
        _segment("ST", "837", "0001", VERSION),
        _segment("BHT", "0019", "00", clean(envelope.batch_reference, 50) or str(envelope.control_number),
                 when.strftime("%Y%m%d"), when.strftime("%H%M"), "CH"),
        _segment("NM1", "41", "2", clean(sub.name, 60), "", "", "", "", "46", clean(sub.id, 80)),
        _segment("PER", "IC", clean(sub.contact_name, 60), "TE", _digits(sub.contact_phone)),
        _segment("NM1", "40", "2", clean(envelope.receiver_name, 60), "", "", "", "", "46", receiver),
        _segment("HL", "1", "", "20", "1"),
    ]
    if billing.taxonomy:
        body.append(_segment("PRV", "BI", "PXC", clean(billing.taxonomy, 50)))
    body.append(_segment("NM1", "85", "2", clean(billing.name, 60), "", "", "", "", "XX", _digits(billing.npi)))
    body += _address(billing.address)
    body.append(_segment("REF", "EI", _digits(billing.tax_id)))
    hl = 2
    for claim in claims:
        segments, hl = _claim_segments(claim, billing, hl)
        body += segments
    body.append(_segment("SE", str(len(body) + 1), "0001"))
    head = [
        _segment("ISA", "00", " " * 10, "00", " " * 10, "ZZ", sender.ljust(15), "ZZ", receiver.ljust(15),
                 when.strftime("%y%m%d"), when.strftime("%H%M"), "^", "00501", control, "0",
                 clean(envelope.usage, 1), ":"),
        _segment("GS", "HC", sender, receiver, when.strftime("%Y%m%d"), when.strftime("%H%M"),
                 str(envelope.control_number), "X", VERSION),
    ]
    tail = [_segment("GE", "1", str(envelope.control_number)), _segment("IEA", "1", control)]
    return "\n".join(head + body + tail) + "\n"
