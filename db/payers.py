"""Payers: insurers (and self-pay) that patients' plans name. Billing builds on this table; a
claim needs the payer's electronic ID (at the clearinghouse), its claim filing address (for paper
claims) and its timely-filing limit (days from the service to file; the claims work list warns
before it runs out).

Adding or changing one re-reads the acting account first (``db.actors.acting``, action
``payers.manage``) and writes the row and its audit row in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clinic import intake
from clinic.errors import NotFound, ValidationError
from db import Connection, atomic, audit, read
from db.actors import acting

ACTION = "payers.manage"

KIND_LABELS = {"commercial": "Commercial", "medicare": "Medicare", "medicaid": "Medicaid", "self_pay": "Self-pay"}


@dataclass(frozen=True)
class Payer:
    id: int
    name: str
    payer_code: str | None
    kind: str
    active: bool
    electronic_id: str | None = None
    filing_address: str | None = None
    timely_filing_days: int | None = None


_COLUMNS = "p.id, p.name, p.payer_code, p.kind, p.active, p.electronic_id, p.filing_address, p.timely_filing_days"
MAX_FILING_DAYS = 3650


def list_payers(conn: Connection, *, active_only: bool = True) -> list[Payer]:
    rows = read(conn, f"SELECT {_COLUMNS} FROM payers p WHERE (NOT $a OR p.active) ORDER BY p.name",
                {"a": active_only})
    return [Payer(*r) for r in rows]


@dataclass(frozen=True)
class PayerUsage:
    """A payer with how many patients have an active plan naming it."""

    payer: Payer
    patients: int


def list_all(conn: Connection) -> list[PayerUsage]:
    """Every payer (active first, then by name) with its count of patients insured by it."""
    rows = read(
        conn,
        f"SELECT {_COLUMNS}, (SELECT count(*) FROM patient_insurance i WHERE i.payer_id = p.id AND i.active)"
        " FROM payers p ORDER BY p.active DESC, p.name",
    )
    return [PayerUsage(Payer(*r[:8]), r[8]) for r in rows]


def _filing_days(value: object, errors: dict[str, str]) -> int | None:
    """Days as typed ("90", "", None) -> int or None (not known)."""
    text = str(value if value is not None else "").strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= MAX_FILING_DAYS:
        errors["timely_filing_days"] = f"Timely filing is a whole number of days from 1 to {MAX_FILING_DAYS}."
        return None
    return int(text)


def _address(text: str | None) -> str | None:
    """Keep the lines of an address, each trimmed, empty ones dropped; at most 6 lines, 300 characters."""
    lines = [intake.clean_text(line, 100) for line in str(text or "").splitlines()]
    return "\n".join(line for line in lines if line)[:300] or None


def save(conn: Connection, *, name: str, payer_code: str, kind: str, active: bool = True, by: Any,
         payer_id: int | None = None, electronic_id: str = "", filing_address: str = "",
         timely_filing_days: object = None) -> int:
    """Add a payer (``payer_id`` None) or change one; return its id. Every wrong field is named.
    ``timely_filing_days`` is an int or text as typed; empty means not known."""
    errors: dict[str, str] = {}
    name = intake.clean_text(name, 120)
    code = intake.clean_text(payer_code, 20).upper() or None
    eid = intake.clean_text(electronic_id, 20).upper() or None
    address = _address(filing_address)
    days = _filing_days(timely_filing_days, errors)
    if eid and not eid.replace("-", "").isalnum():
        errors["electronic_id"] = "An electronic payer ID has letters, digits or dashes only."
    if address and len(address.splitlines()) > 6:
        errors["filing_address"] = "A filing address has at most 6 lines."
    if not name:
        errors["name"] = "Enter the payer's name."
    if kind not in KIND_LABELS:
        errors["kind"] = "Choose the kind of payer."
    if code and not code.replace("-", "").isalnum():
        errors["payer_code"] = "A payer ID has letters, digits or dashes only."
    if errors:
        raise ValidationError(errors)

    def write(cur: Connection) -> int:
        actor = acting(cur, by, ACTION)
        clash = cur.execute("SELECT 1 FROM payers WHERE lower(name) = lower(?) AND id IS DISTINCT FROM ?",
                            [name, payer_id]).fetchone()
        if clash:
            raise ValidationError({"name": "Another payer already has that name."})
        if payer_id is None:
            (new_id,) = cur.execute(
                "INSERT INTO payers (name, payer_code, kind, active, electronic_id, filing_address, timely_filing_days)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                [name, code, kind, active, eid, address, days],
            ).fetchone()
            audit.record(cur, actor, "payer.create", "payer", new_id, detail={"name": name, "kind": kind})
            return new_id
        if cur.execute("SELECT 1 FROM payers WHERE id = ?", [payer_id]).fetchone() is None:
            raise NotFound("That payer does not exist.")
        cur.execute("UPDATE payers SET name = ?, payer_code = ?, kind = ?, active = ?, electronic_id = ?,"
                    " filing_address = ?, timely_filing_days = ? WHERE id = ?",
                    [name, code, kind, active, eid, address, days, payer_id])
        audit.record(cur, actor, "payer.update", "payer", payer_id,
                     detail={"name": name, "kind": kind, "active": active, "electronic_id": eid,
                             "timely_filing_days": days})
        return payer_id

    return atomic(conn, write)
