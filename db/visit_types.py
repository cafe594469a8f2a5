"""Visit types: how long a visit takes, its colour, buffer, and who it is for.

The admin's add and edit re-read the acting account first (``db.actors.acting``, action
``schedule.manage``) and write the row and its audit row in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clinic import scheduling
from clinic.errors import NotFound, ValidationError
from db import Connection, atomic, audit, read, read_one
from db.actors import acting

ACTION = "schedule.manage"


@dataclass(frozen=True)
class VisitTypeSettings:
    """Everything the admin sets on a visit type (booking needs only ``scheduling.VisitType``)."""

    id: int
    name: str
    duration_min: int
    buffer_after_min: int
    new_patients_only: bool
    colour: str
    default_fee_code: str | None
    active: bool


_SELECT = "SELECT id, name, duration_min, buffer_after_min, new_patients_only, colour FROM visit_types"


def list_active(conn: Connection) -> list[scheduling.VisitType]:
    return [scheduling.VisitType(*r) for r in read(conn, _SELECT + " WHERE active ORDER BY name")]


def get(conn: Connection, type_id: int) -> scheduling.VisitType:
    row = read_one(conn, _SELECT + " WHERE id = ?", [type_id])
    if row is None:
        raise NotFound("That visit type does not exist.")
    return scheduling.VisitType(*row)


def list_all(conn: Connection) -> list[VisitTypeSettings]:
    """Every visit type, active first, then by name."""
    rows = read(
        conn,
        "SELECT id, name, duration_min, buffer_after_min, new_patients_only, colour, default_fee_code, active"
        " FROM visit_types ORDER BY active DESC, name",
    )
    return [VisitTypeSettings(*r) for r in rows]


def _validate(values: dict) -> dict:
    errors = {}
    name = " ".join(str(values.get("name") or "").split())
    if not name:
        errors["name"] = "Enter a name."
    try:
        duration = int(values.get("duration_min"))
        if not 5 <= duration <= 480:
            errors["duration_min"] = "Between 5 and 480 minutes."
    except (TypeError, ValueError):
        errors["duration_min"] = "Enter minutes as a whole number."
        duration = 0
    try:
        buffer = int(values.get("buffer_after_min") or 0)
        if not 0 <= buffer <= 120:
            errors["buffer_after_min"] = "Between 0 and 120 minutes."
    except (TypeError, ValueError):
        errors["buffer_after_min"] = "Enter minutes as a whole number."
        buffer = 0
    colour = str(values.get("colour") or "#64748b")
    if not (len(colour) == 7 and colour.startswith("#") and all(c in "0123456789abcdefABCDEF" for c in colour[1:])):
        errors["colour"] = "Choose a colour."
    if errors:
        raise ValidationError(errors)
    return {"name": name, "duration_min": duration, "buffer_after_min": buffer, "colour": colour.lower(),
            "new_patients_only": bool(values.get("new_patients_only")),
            "default_fee_code": (str(values.get("default_fee_code") or "").strip() or None),
            "active": bool(values.get("active", True))}


def save(conn: Connection, values: dict, *, by: Any, type_id: int | None = None) -> int:
    """Create (type_id None) or update a visit type. Existing appointments keep their times."""
    clean = _validate(values)

    def write(cur: Connection) -> int:
        actor = acting(cur, by, ACTION)
        clash = cur.execute("SELECT id FROM visit_types WHERE lower(name) = lower(?) AND id IS DISTINCT FROM ?",
                            [clean["name"], type_id]).fetchone()
        if clash:
            raise ValidationError({"name": "Another visit type already has that name."})
        if type_id is None:
            (new_id,) = cur.execute(
                "INSERT INTO visit_types (name, duration_min, buffer_after_min, colour, new_patients_only,"
                " default_fee_code, active) VALUES ($name, $duration_min, $buffer_after_min, $colour,"
                " $new_patients_only, $default_fee_code, $active) RETURNING id",
                clean,
            ).fetchone()
            audit.record(cur, actor, "visit_type.create", "visit_type", new_id, detail=clean)
            return new_id
        if cur.execute("SELECT 1 FROM visit_types WHERE id = ?", [type_id]).fetchone() is None:
            raise NotFound("That visit type does not exist.")
        cur.execute(
            "UPDATE visit_types SET name = $name, duration_min = $duration_min, buffer_after_min = $buffer_after_min,"
            " colour = $colour, new_patients_only = $new_patients_only, default_fee_code = $default_fee_code,"
            " active = $active WHERE id = $id",
            {**clean, "id": type_id},
        )
        audit.record(cur, actor, "visit_type.update", "visit_type", type_id, detail=clean)
        return type_id

    return atomic(conn, write)
