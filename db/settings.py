"""Clinic-wide settings as a small key/value table with typed accessors and defaults.

:func:`set_many` is the one write of its own: it re-reads the acting account first
(``db.actors.acting``, action ``settings.manage``) and audits what it set. Writes that belong to
a larger action (the booking rules, the demo seeder) call :func:`set_value` on their own cursor.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from clinic import practice
from clinic.errors import ValidationError
from db import Connection, atomic, audit, read, read_one
from db.actors import acting

DEFAULTS: Final[dict[str, str]] = {
    "clinic_name": "ClinicDesk Family Practice",
    "clinic_address": "",
    "clinic_phone": "",
    "timezone": "America/New_York",
    "country": "US",
    "subdivision": "NY",
    "is_demo": "false",
    # Inventory: lots expiring within this many days are listed (and counted on Home).
    "expiry_warning_days": "30",
    # Electronic claims: files go to the clearinghouse as production files, for services in the office.
    "x12_usage": "P",
    "place_of_service": "11",
    # Sign-in and sessions (migrations 005 and 015); read as whole numbers through int_value().
    "session_idle_min": "15",
    "session_max_hours": "12",
    "lockout_attempts": "5",
    "lockout_minutes": "15",
    "password_min_length": "12",
    # Backups (db/backups.py): the automatic one runs on the first request after this local hour;
    # this many of the newest are kept.
    "backup_hour": "7",
    "backup_keep": "14",
}

# Whole-number settings and the range each may take. A value outside it is brought to the nearest
# end (a lockout of 0 attempts would switch the lockout off; a 2-character password minimum would
# make the check pointless), and one that is not a number falls back to its default.
INT_RANGES: Final[dict[str, tuple[int, int]]] = {
    "session_idle_min": (1, 24 * 60),
    "session_max_hours": (1, 7 * 24),
    "lockout_attempts": (1, 100),
    "lockout_minutes": (1, 24 * 60),
    "password_min_length": (8, 128),
    "backup_hour": (0, 23),
    "backup_keep": (1, 365),
}

log = logging.getLogger(__name__)


def get(conn: Connection, key: str) -> str:
    row = read_one(conn, "SELECT value FROM settings WHERE key = ?", [key])
    if row is not None:
        return row[0]
    if key in DEFAULTS:
        return DEFAULTS[key]
    raise KeyError(key)


def get_all(conn: Connection) -> dict[str, str]:
    values = dict(DEFAULTS)
    values.update(dict(read(conn, "SELECT key, value FROM settings")))
    return values


def int_value(conn: Connection, key: str, values: dict[str, str] | None = None) -> int:
    """The whole-number setting ``key`` (one of :data:`INT_RANGES`), kept inside its range.

    ``values`` (from :func:`get_all`) saves a query when the caller has them already."""
    low, high = INT_RANGES[key]
    raw = (values if values is not None else get_all(conn)).get(key, DEFAULTS[key])
    try:
        number = int(str(raw).strip())
    except ValueError:
        log.warning("setting %s=%r is not a whole number; using %s", key, raw, DEFAULTS[key])
        number = int(DEFAULTS[key])
    return min(max(number, low), high)


def set_value(cur: Connection, key: str, value: str) -> None:
    """Set one setting on an open cursor/transaction (pair it with an audit row)."""
    cur.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, str(value)],
    )


def check_int_values(values: dict[str, object]) -> None:
    """Raise ValidationError (keyed by setting) for a whole-number setting outside its range."""
    errors = {}
    for key, value in values.items():
        if key not in INT_RANGES:
            continue
        low, high = INT_RANGES[key]
        try:
            number = int(str(value).strip())
        except ValueError:
            number = None
        if number is None or not low <= number <= high:
            errors[key] = f"Enter a whole number from {low} to {high}."
    if errors:
        raise ValidationError(errors)


def set_many(conn: Connection, values: dict[str, str], *, by: Any) -> None:
    """Set several settings at once, with one audit row naming them. Whole-number settings
    (:data:`INT_RANGES`) are checked first; nothing is written when one is out of range."""
    check_int_values(values)

    def write(cur: Connection) -> None:
        actor = acting(cur, by, "settings.manage")
        for key, value in values.items():
            set_value(cur, key, value)
        audit.record(cur, actor, "settings.change", "settings", None, detail={k: str(v) for k, v in values.items()})

    atomic(conn, write)


def save_clinic_details(conn: Connection, *, name: object, address: object, phone: object, by: Any) -> None:
    """Save the practice's name, postal address and phone (printed on invoices and statements).

    Checked first (ValidationError naming the field); nothing is written when a field is wrong."""
    details = practice.check_details(name, address, phone, region=get(conn, "country") or "US")
    set_many(conn, details.as_settings(), by=by)


def save_claim_identity(conn: Connection, values: dict[str, object], *, by: Any) -> None:
    """Save the practice's identity on electronic claims (``clinic.practice.CLAIM_IDENTITY``).

    Checked first (ValidationError naming each wrong field by its setting key); nothing is
    written when one is wrong."""
    set_many(conn, practice.check_claim_identity(values), by=by)


def is_demo(conn: Connection) -> bool:
    return get(conn, "is_demo") == "true"


def timezone(conn: Connection) -> str:
    return get(conn, "timezone")
