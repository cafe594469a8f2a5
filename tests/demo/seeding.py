"""What the seeder's tests share: the fixed day they seed, the hash of each table's rows, and
seeding a fresh file (for a given ``today``, or for the real today at a given clinic-clock time)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import db
from clinic import timeutil
from demo import seed as seeder

TODAY = date(2026, 3, 2)  # a Monday, six days before the US spring-forward change (8 March)
TZ = "America/New_York"
NOW = datetime(2026, 3, 2, 5, 0, tzinfo=timezone.utc)  # clinic-local midnight starting TODAY

# One fixed query per table: the row set, in id order, as one md5 (times render in UTC).
DATA_HASHES = {
    "settings": "SELECT md5(string_agg(t::VARCHAR, chr(10) ORDER BY key)) FROM settings t",
    "providers": "SELECT md5(string_agg(t::VARCHAR, chr(10) ORDER BY id)) FROM providers t",
    "provider_hours": "SELECT md5(string_agg(t::VARCHAR, chr(10) ORDER BY id)) FROM provider_hours t",
    "visit_types": "SELECT md5(string_agg(t::VARCHAR, chr(10) ORDER BY id)) FROM visit_types t",
    "patients": "SELECT md5(string_agg(t::VARCHAR, chr(10) ORDER BY id)) FROM patients t",
    "appointments": "SELECT md5(string_agg(t::VARCHAR, chr(10) ORDER BY id)) FROM appointments t",
    "appointment_events": "SELECT md5(string_agg(t::VARCHAR, chr(10) ORDER BY id)) FROM appointment_events t",
    **{table: f"SELECT md5(string_agg(t::VARCHAR, chr(10) ORDER BY id)) FROM {table} t" for table in (
        "vendors", "service_contractors", "stock_items", "stock_locations", "stock_lots", "stock_movements",
        "purchase_orders", "purchase_order_lines")},
    "stock_balances": "SELECT md5(string_agg(t::VARCHAR, chr(10) ORDER BY lot_id, location_id)) FROM stock_balances t",
    "stock_par_levels":
        "SELECT md5(string_agg(t::VARCHAR, chr(10) ORDER BY location_id, item_id)) FROM stock_par_levels t",
    "visit_type_supplies":
        "SELECT md5(string_agg(t::VARCHAR, chr(10) ORDER BY type_id, item_id)) FROM visit_type_supplies t",
}
# Users carry salted password hashes and creation times, the audit log its own timestamps:
# not reproducible, but a refused seed must not touch them either.
ALL_HASHES = DATA_HASHES | {
    "users": "SELECT md5(string_agg(t::VARCHAR, chr(10) ORDER BY id)) FROM users t",
    "audit_log": "SELECT md5(string_agg(t::VARCHAR, chr(10) ORDER BY id)) FROM audit_log t",
}


def seeded_db(path: Path, **kwargs) -> db.Connection:
    conn = db.connect(path)
    seeder.seed(conn, **({"scale": "test", "seed": 7, "timezone": TZ, "today": TODAY} | kwargs))
    return conn


def seeded_at(path: Path, instant: datetime, **kwargs) -> db.Connection:
    """Seeded for the real today as the clinic clock has it at ``instant`` (``today`` left out)."""
    timeutil.set_clock(instant)
    try:
        conn = db.connect(path)
        seeder.seed(conn, **({"scale": "test", "seed": 7, "timezone": TZ} | kwargs))
    finally:
        timeutil.set_clock(None)
    return conn


def hashes(conn: db.Connection, queries: dict[str, str]) -> dict[str, str]:
    return {table: db.read_one(conn, sql)[0] for table, sql in queries.items()}
