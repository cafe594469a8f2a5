"""Clinic-wide settings as a small key/value table with typed accessors and defaults."""

from __future__ import annotations

from typing import Final

from db import Connection, atomic, read, read_one

DEFAULTS: Final[dict[str, str]] = {
    "clinic_name": "ClinicDesk Family Practice",
    "timezone": "America/New_York",
    "country": "US",
    "subdivision": "NY",
    "is_demo": "false",
}


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


def set_value(cur: Connection, key: str, value: str) -> None:
    """Set one setting on an open cursor/transaction (pair it with an audit row)."""
    cur.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, str(value)],
    )


def set_many(conn: Connection, values: dict[str, str]) -> None:
    def write(cur: Connection) -> None:
        for key, value in values.items():
            set_value(cur, key, value)

    atomic(conn, write)


def is_demo(conn: Connection) -> bool:
    return get(conn, "is_demo") == "true"


def timezone(conn: Connection) -> str:
    return get(conn, "timezone")
