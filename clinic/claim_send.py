"""Whether a claim can go out in an 837P file: what a payer or clearinghouse would reject, found
before the file is written, in words the billing clerk can act on. Pure: it reads the claim as
:mod:`db.claim_batches` assembled it (a :class:`clinic.x12_837.ClaimOut` plus the names the
messages need)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from clinic.npi import npi_ok
from clinic.x12_837 import ClaimOut, Person

MAX_DIAGNOSES: Final = 12     # HI holds 12 codes
MAX_POINTERS: Final = 4       # SV107 points at up to 4 of them
FILING_CODES: Final = {"commercial": "CI", "medicare": "MB", "medicaid": "MC"}


@dataclass(frozen=True)
class Names:
    """What the messages name: the payer, the rendering provider (None: the visit had none)."""

    payer: str
    provider: str | None
    provider_npi: str | None
    prior_payer: str | None = None


def problems(claim: ClaimOut, names: Names) -> list[str]:
    """Every reason this claim would be rejected, empty when it can be sent."""
    found: list[str] = []
    if not claim.payer_id:
        found.append(f"{names.payer} has no electronic payer ID: add it under Payers.")
    if not (claim.subscriber.member_id or "").strip():
        found.append("The subscriber's member ID is missing: add it on the patient's intake.")
    if claim.relationship != "self" and not (claim.subscriber.last and claim.subscriber.first):
        found.append("The subscriber's full name is missing (the patient is not the subscriber): add it on the "
                     "patient's intake.")
    patient = claim.subscriber if claim.relationship == "self" else claim.patient
    if not _address_complete(patient):
        found.append("The patient's address is incomplete (street, city, state and ZIP): complete the intake.")
    if not claim.diagnoses:
        found.append("The claim has no diagnosis: add one to the invoice's lines.")
    elif len(claim.diagnoses) > MAX_DIAGNOSES:
        found.append(f"The claim has {len(claim.diagnoses)} diagnoses; a claim carries at most {MAX_DIAGNOSES}.")
    for position, line in enumerate(claim.lines, start=1):
        if not line.pointers:
            found.append(f"Line {position} ({line.code}) points at no diagnosis: give it one on the invoice.")
        elif len(line.pointers) > MAX_POINTERS or max(line.pointers) > len(claim.diagnoses):
            found.append(f"Line {position} ({line.code}) points at diagnoses the claim does not have.")
    if not claim.lines:
        found.append("The claim has no lines.")
    elif claim.total_charge <= 0:
        found.append("The claim charges nothing: a payer has nothing to pay.")
    if names.provider is not None:
        if not names.provider_npi:
            found.append(f"{names.provider} has no NPI: add it on the Schedule settings' Providers tab.")
        elif not npi_ok(names.provider_npi):
            found.append(f"{names.provider}'s NPI {names.provider_npi} fails its check digit.")
    if claim.rank == 2:
        if claim.prior is None:
            found.append("Post the primary insurer's answer before sending the secondary claim.")
        elif not claim.prior.payer_id:
            found.append(f"{names.prior_payer or 'The primary payer'} has no electronic payer ID: add it under Payers.")
    return found


def _address_complete(person: Person) -> bool:
    a = person.address
    return a is not None and all((part or "").strip() for part in (a.line1, a.city, a.state, a.postal_code))
