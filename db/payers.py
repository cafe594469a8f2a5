"""Payers: insurers (and self-pay) that patients' plans name. Billing builds on this table.

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


def list_payers(conn: Connection, *, active_only: bool = True) -> list[Payer]:
    rows = read(conn, "SELECT id, name, payer_code, kind, active FROM payers WHERE (NOT $a OR active) ORDER BY name",
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
        "SELECT p.id, p.name, p.payer_code, p.kind, p.active,"
        " (SELECT count(*) FROM patient_insurance i WHERE i.payer_id = p.id AND i.active)"
        " FROM payers p ORDER BY p.active DESC, p.name",
    )
    return [PayerUsage(Payer(*r[:5]), r[5]) for r in rows]


def save(conn: Connection, *, name: str, payer_code: str, kind: str, active: bool = True, by: Any,
         payer_id: int | None = None) -> int:
    """Add a payer (``payer_id`` None) or change one; return its id. Every wrong field is named."""
    errors = {}
    name = intake.clean_text(name, 120)
    code = intake.clean_text(payer_code, 20).upper() or None
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
                "INSERT INTO payers (name, payer_code, kind, active) VALUES (?, ?, ?, ?) RETURNING id",
                [name, code, kind, active],
            ).fetchone()
            audit.record(cur, actor, "payer.create", "payer", new_id, detail={"name": name, "kind": kind})
            return new_id
        if cur.execute("SELECT 1 FROM payers WHERE id = ?", [payer_id]).fetchone() is None:
            raise NotFound("That payer does not exist.")
        cur.execute("UPDATE payers SET name = ?, payer_code = ?, kind = ?, active = ? WHERE id = ?",
                    [name, code, kind, active, payer_id])
        audit.record(cur, actor, "payer.update", "payer", payer_id,
                     detail={"name": name, "kind": kind, "active": active})
        return payer_id

    return atomic(conn, write)
