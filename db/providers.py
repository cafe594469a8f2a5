"""Providers (the people patients are booked with): read them, and the admin's add and edit.

Every write checks its input, then re-reads the acting account (``db.actors.acting``, action
``schedule.manage``), changes the row and writes its audit row, all in one transaction. A
provider is never deleted (appointments, hours and time off point at it): deactivate it
instead, and it can no longer be booked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from clinic.errors import ClinicError, NotFound, ValidationError
from clinic.npi import check_npi
from db import Connection, atomic, audit, read, read_one
from db.actors import acting
from db.users import User

# The schema's CHECK (providers.kind) allows exactly these.
KINDS: Final = ("physician", "nurse_practitioner", "physician_assistant", "nurse")
KIND_LABELS: Final = {
    "physician": "Physician",
    "nurse_practitioner": "Nurse practitioner",
    "physician_assistant": "Physician assistant",
    "nurse": "Nurse",
}
# The role a login must have to be linked to a provider (their day, their patients).
LINKABLE_ROLE: Final = "clinician"

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_FIELDS: Final = ("name", "kind", "colour", "active", "accepting_new", "user_id", "npi")
ACTION: Final = "schedule.manage"


@dataclass(frozen=True)
class Provider:
    id: int
    name: str
    kind: str
    colour: str
    active: bool
    accepting_new: bool
    user_id: int | None
    npi: str | None = None  # the provider's own NPI: the rendering provider on electronic claims


_SELECT = "SELECT id, name, kind, colour, active, accepting_new, user_id, npi FROM providers"


def list_providers(conn: Connection, *, active_only: bool = True) -> list[Provider]:
    rows = read(conn, _SELECT + " WHERE (NOT $active_only OR active) ORDER BY name", {"active_only": active_only})
    return [Provider(*r) for r in rows]


def for_user(conn: Connection, user_id: int) -> Provider | None:
    """The provider record linked to a clinician's login, if any."""
    row = read_one(conn, _SELECT + " WHERE user_id = ? ORDER BY id LIMIT 1", [user_id])
    return Provider(*row) if row else None


def get(conn: Connection, provider_id: int) -> Provider:
    row = read_one(conn, _SELECT + " WHERE id = ?", [provider_id])
    if row is None:
        raise NotFound("That provider does not exist.")
    return Provider(*row)


@dataclass(frozen=True)
class ProviderListing:
    """A provider as the admin's table lists it: with the username of its linked login, if any."""

    provider: Provider
    login: str | None


def list_all(conn: Connection) -> list[ProviderListing]:
    """Every provider (active first, then by name) with the username of its linked login."""
    rows = read(
        conn,
        "SELECT pr.id, pr.name, pr.kind, pr.colour, pr.active, pr.accepting_new, pr.user_id, pr.npi, u.username"
        " FROM providers pr LEFT JOIN users u ON u.id = pr.user_id ORDER BY pr.active DESC, pr.name",
    )
    return [ProviderListing(Provider(*r[:8]), r[8]) for r in rows]


def linkable_users(conn: Connection, provider_id: int | None = None) -> list[User]:
    """Logins that may be linked to ``provider_id`` (None: a new provider): active clinicians
    not linked to another provider, plus whoever is linked to this one now."""
    rows = read(
        conn,
        "SELECT u.id, u.username, u.full_name, u.role, u.active, u.created_at, u.last_sign_in_at FROM users u"
        " WHERE (u.role = $role AND u.active"
        "        AND NOT EXISTS (SELECT 1 FROM providers pr WHERE pr.user_id = u.id"
        "                        AND pr.id IS DISTINCT FROM $provider_id))"
        "    OR u.id = (SELECT user_id FROM providers WHERE id = $provider_id)"
        " ORDER BY u.full_name",
        {"role": LINKABLE_ROLE, "provider_id": provider_id},
    )
    return [User(*r) for r in rows]


def validate(values: dict[str, Any]) -> dict[str, Any]:
    """Normalise a provider's fields; raise ValidationError naming every field that is wrong.

    Checks that need the database (unique name, the linked login) run inside the write.
    """
    errors: dict[str, str] = {}
    name = " ".join(str(values.get("name") or "").split())
    if not name:
        errors["name"] = "Enter the provider's name."
    elif len(name) > 100:
        errors["name"] = "Keep the name under 100 characters."
    kind = values.get("kind")
    if kind not in KINDS:
        errors["kind"] = "Choose what kind of provider this is."
    colour = str(values.get("colour") or "")
    if not _HEX.match(colour):
        errors["colour"] = "Choose a colour (like #2563eb)."
    user_id = values.get("user_id")
    if user_id is not None:
        try:
            user_id = int(user_id)
        except (TypeError, ValueError):
            errors["user_id"] = "Choose a login from the list."
    npi = "".join(str(values.get("npi") or "").split()) or None
    if npi is not None:
        try:
            npi = check_npi(npi)
        except ClinicError as exc:
            errors["npi"] = str(exc)
    if errors:
        raise ValidationError(errors)
    return {
        "name": name,
        "kind": kind,
        "colour": colour.lower(),
        "active": bool(values.get("active", True)),
        "accepting_new": bool(values.get("accepting_new", True)),
        "user_id": user_id,
        "npi": npi,
    }


def _check_against_others(cur: Connection, clean: dict[str, Any], provider_id: int | None) -> None:
    errors: dict[str, str] = {}
    if cur.execute(
        "SELECT 1 FROM providers WHERE lower(name) = lower(?) AND id IS DISTINCT FROM ?", [clean["name"], provider_id]
    ).fetchone():
        errors["name"] = "Another provider already has that name."
    if clean["npi"] and cur.execute(
        "SELECT 1 FROM providers WHERE npi = ? AND id IS DISTINCT FROM ?", [clean["npi"], provider_id]
    ).fetchone():
        errors["npi"] = "Another provider already has that NPI."
    if clean["user_id"] is not None:
        login = cur.execute("SELECT role FROM users WHERE id = ?", [clean["user_id"]]).fetchone()
        if login is None:
            errors["user_id"] = "That login does not exist."
        elif login[0] != LINKABLE_ROLE:
            errors["user_id"] = "Only a clinician's login can be linked to a provider."
        else:
            if cur.execute(
                "SELECT 1 FROM providers WHERE user_id = ? AND id IS DISTINCT FROM ?", [clean["user_id"], provider_id]
            ).fetchone():
                errors["user_id"] = "That login is already linked to another provider."
    if errors:
        raise ValidationError(errors)


def create(
    conn: Connection,
    *,
    name: str,
    kind: str,
    colour: str,
    active: bool = True,
    accepting_new: bool = True,
    user_id: int | None = None,
    npi: str | None = None,
    by: Any,
) -> int:
    """Add a provider and return its id. Raises ValidationError (with every bad field)."""
    clean = validate({"name": name, "kind": kind, "colour": colour, "active": active,
                      "accepting_new": accepting_new, "user_id": user_id, "npi": npi})

    def write(cur: Connection) -> int:
        actor = acting(cur, by, ACTION)
        _check_against_others(cur, clean, None)
        (provider_id,) = cur.execute(
            "INSERT INTO providers (name, kind, colour, active, accepting_new, user_id, npi)"
            " VALUES ($name, $kind, $colour, $active, $accepting_new, $user_id, $npi) RETURNING id",
            clean,
        ).fetchone()
        audit.record(cur, actor, "provider.create", "provider", provider_id, detail=clean)
        return provider_id

    return atomic(conn, write)


def update(
    conn: Connection,
    provider_id: int,
    *,
    name: str,
    kind: str,
    colour: str,
    active: bool,
    accepting_new: bool,
    user_id: int | None,
    npi: str | None = None,
    by: Any,
) -> list[str]:
    """Change a provider; return the names of the fields that changed (nothing written if none).

    Existing appointments stay as they are, also when the provider is deactivated.
    """
    clean = validate({"name": name, "kind": kind, "colour": colour, "active": active,
                      "accepting_new": accepting_new, "user_id": user_id, "npi": npi})

    def write(cur: Connection) -> list[str]:
        actor = acting(cur, by, ACTION)
        row = cur.execute(_SELECT + " WHERE id = ?", [provider_id]).fetchone()
        if row is None:
            raise NotFound("That provider does not exist.")
        before = Provider(*row)
        changes = {f: [getattr(before, f), clean[f]] for f in _FIELDS if getattr(before, f) != clean[f]}
        if not changes:
            return []
        _check_against_others(cur, clean, provider_id)
        # No RETURNING here: DuckDB refuses UPDATE ... RETURNING on a row other tables reference.
        cur.execute(
            "UPDATE providers SET name = $name, kind = $kind, colour = $colour, active = $active,"
            " accepting_new = $accepting_new, user_id = $user_id, npi = $npi WHERE id = $id",
            {**clean, "id": provider_id},
        )
        audit.record(cur, actor, "provider.update", "provider", provider_id, detail=changes)
        return list(changes)

    return atomic(conn, write)
