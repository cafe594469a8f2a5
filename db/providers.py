"""Providers (the people patients are booked with)."""

from __future__ import annotations

from dataclasses import dataclass

from db import Connection, read, read_one


@dataclass(frozen=True)
class Provider:
    id: int
    name: str
    kind: str
    colour: str
    active: bool
    accepting_new: bool
    user_id: int | None


_SELECT = "SELECT id, name, kind, colour, active, accepting_new, user_id FROM providers"


def list_providers(conn: Connection, *, active_only: bool = True) -> list[Provider]:
    rows = read(conn, _SELECT + " WHERE (NOT $active_only OR active) ORDER BY name", {"active_only": active_only})
    return [Provider(*r) for r in rows]


def for_user(conn: Connection, user_id: int) -> Provider | None:
    """The provider record linked to a clinician's login, if any."""
    row = read_one(conn, _SELECT + " WHERE user_id = ? ORDER BY id LIMIT 1", [user_id])
    return Provider(*row) if row else None
