"""Vendors (who the clinic orders supplies from) and service contractors (cleaning, equipment
maintenance, waste disposal: on contract, listed for renewal 60 days before the contract ends).

Every write re-reads the acting account first (``db.actors.acting``, action
``inventory.vendors``) and writes the row and its audit row in one transaction. Names are unique
case-insensitively, checked here (DuckDB cannot update a UNIQUE column of a row that purchase
orders reference). Vendors and contractors are made inactive, never deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from clinic import intake
from clinic.errors import BadAmount, NotFound, ValidationError
from clinic.inventory import RENEWAL_NOTICE_DAYS, renewal_due
from clinic.money import ZERO, parse_amount
from db import Connection, atomic, audit, read, read_one
from db import settings as settings_db
from db.actors import acting

ACTION = "inventory.vendors"
MAX_LEAD_TIME_DAYS = 365


@dataclass(frozen=True)
class Vendor:
    id: int
    name: str
    contact_person: str | None
    phone: str | None
    email: str | None
    account_number: str | None
    lead_time_days: int
    minimum_order: Decimal
    notes: str | None
    active: bool


@dataclass(frozen=True)
class Contractor:
    id: int
    name: str
    service: str
    contact_person: str | None
    phone: str | None
    email: str | None
    contract_start: date | None
    contract_end: date | None
    notes: str | None
    active: bool

    def renewal_due(self, today: date, *, days: int = RENEWAL_NOTICE_DAYS) -> bool:
        """Listed for renewal from ``days`` before the contract ends (and after, until renewed)."""
        return self.active and renewal_due(self.contract_end, today, days=days)


_VENDOR_COLUMNS = ("id, name, contact_person, phone, email, account_number, lead_time_days, minimum_order, notes,"
                   " active")
_CONTRACTOR_COLUMNS = ("id, name, service, contact_person, phone, email, contract_start, contract_end, notes,"
                       " active")


# --- vendors -------------------------------------------------------------------------------------


def list_vendors(conn: Connection, *, include_inactive: bool = False) -> list[Vendor]:
    """Vendors by name (active first when inactive ones are included)."""
    rows = read(conn, f"SELECT {_VENDOR_COLUMNS} FROM vendors WHERE active OR $all"
                      " ORDER BY active DESC, lower(name), id", {"all": include_inactive})
    return [Vendor(*r) for r in rows]


def get_vendor(conn: Connection, vendor_id: int) -> Vendor:
    row = read_one(conn, f"SELECT {_VENDOR_COLUMNS} FROM vendors WHERE id = ?", [vendor_id])
    if row is None:
        raise NotFound("That vendor does not exist.")
    return Vendor(*row)


def _optional(value: object, limit: int = 200) -> str | None:
    return intake.clean_text(value, limit) or None


def _notes(value: object) -> str | None:
    lines = [intake.clean_text(line, 300) for line in str(value or "").splitlines()]
    return "\n".join(line for line in lines if line)[:2000] or None


def _contact(values: dict, errors: dict[str, str], region: str) -> tuple[str | None, str | None]:
    """(phone, email) as typed, checked; a wrong one is named in ``errors``."""
    phone = _optional(values.get("phone"), 40)
    if phone:
        try:
            phone = intake.normalise_phone(phone, region)
        except ValueError as exc:
            errors["phone"] = str(exc)
    try:
        email = intake.clean_email(values.get("email") or "")
    except ValueError as exc:
        errors["email"] = str(exc)
        email = None
    return phone, email


def _lead_time(value: object, errors: dict[str, str]) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        errors["lead_time_days"] = "Enter the lead time in days (0 if they deliver the same day)."
        return 0
    text = str(value).strip()
    if isinstance(value, bool) or not (isinstance(value, int) or text.isdigit()) \
            or not 0 <= int(text) <= MAX_LEAD_TIME_DAYS:
        errors["lead_time_days"] = f"The lead time is a whole number of days from 0 to {MAX_LEAD_TIME_DAYS}."
        return 0
    return int(text)


def _minimum_order(value: object, errors: dict[str, str]) -> Decimal:
    if value is None or (isinstance(value, str) and not value.strip()):
        return ZERO
    try:
        return parse_amount(value, field="minimum_order", allow_zero=True)
    except BadAmount as exc:
        errors["minimum_order"] = str(exc)
        return ZERO


def check_vendor(values: dict, *, region: str = "US") -> dict[str, Any]:
    """Clean and check a vendor form; returns the columns to store or raises ValidationError
    naming every wrong field."""
    errors: dict[str, str] = {}
    name = intake.clean_text(values.get("name"), 120)
    if not name:
        errors["name"] = "Enter the vendor's name."
    phone, email = _contact(values, errors, region)
    clean = {
        "name": name,
        "contact_person": _optional(values.get("contact_person"), 120),
        "phone": phone,
        "email": email,
        "account_number": _optional(values.get("account_number"), 60),
        "lead_time_days": _lead_time(values.get("lead_time_days", 7), errors),
        "minimum_order": _minimum_order(values.get("minimum_order"), errors),
        "notes": _notes(values.get("notes")),
    }
    if errors:
        raise ValidationError(errors)
    return clean


def save_vendor(conn: Connection, values: dict, *, user: Any, vendor_id: int | None = None) -> int:
    """Add a vendor (``vendor_id`` None) or change one; returns its id. ``values`` holds the form's
    fields as typed (name, contact_person, phone, email, account_number, lead_time_days,
    minimum_order, notes and optionally active). Nothing is written when a field is wrong."""
    clean = check_vendor(values, region=settings_db.get(conn, "country") or "US")
    active = values.get("active")

    def write(cur: Connection) -> int:
        actor = acting(cur, user, ACTION)
        clash = cur.execute("SELECT 1 FROM vendors WHERE lower(name) = lower(?) AND id IS DISTINCT FROM ?",
                            [clean["name"], vendor_id]).fetchone()
        if clash:
            raise ValidationError({"name": "Another vendor already has that name."})
        return _save_row(cur, actor, "vendor", clean, active, vendor_id)

    return atomic(conn, write)


def deactivate_vendor(conn: Connection, vendor_id: int, *, user: Any) -> None:
    """Take a vendor out of use (its past orders keep naming it)."""
    def write(cur: Connection) -> None:
        actor = acting(cur, user, ACTION)
        if cur.execute("SELECT 1 FROM vendors WHERE id = ?", [vendor_id]).fetchone() is None:
            raise NotFound("That vendor does not exist.")
        # No RETURNING: on a row that items and orders reference, DuckDB would run it as delete + insert.
        cur.execute("UPDATE vendors SET active = FALSE WHERE id = ?", [vendor_id])
        audit.record(cur, actor, "vendor.deactivate", "vendor", vendor_id)

    atomic(conn, write)


# --- service contractors -------------------------------------------------------------------------


def list_contractors(conn: Connection, *, include_inactive: bool = False) -> list[Contractor]:
    """Contractors, the contract ending first on top (those without an end date last)."""
    rows = read(conn, f"SELECT {_CONTRACTOR_COLUMNS} FROM service_contractors WHERE active OR $all"
                      " ORDER BY active DESC, contract_end NULLS LAST, lower(name), id", {"all": include_inactive})
    return [Contractor(*r) for r in rows]


def get_contractor(conn: Connection, contractor_id: int) -> Contractor:
    row = read_one(conn, f"SELECT {_CONTRACTOR_COLUMNS} FROM service_contractors WHERE id = ?", [contractor_id])
    if row is None:
        raise NotFound("That contractor does not exist.")
    return Contractor(*row)


def contracts_due(conn: Connection, *, today: date, days: int = RENEWAL_NOTICE_DAYS) -> list[Contractor]:
    """Active contractors whose contract is due for renewal: from ``days`` before its end date,
    and after it has ended (until someone renews it). Ending first on top."""
    return [c for c in list_contractors(conn) if c.renewal_due(today, days=days)]


def _date(value: object, field: str, errors: dict[str, str]) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        errors[field] = "Enter a date as YYYY-MM-DD."
        return None


def check_contractor(values: dict, *, region: str = "US") -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = intake.clean_text(values.get("name"), 120)
    service = intake.clean_text(values.get("service"), 120)
    if not name:
        errors["name"] = "Enter the contractor's name."
    if not service:
        errors["service"] = "Say what they do (e.g. cleaning, equipment maintenance)."
    phone, email = _contact(values, errors, region)
    start = _date(values.get("contract_start"), "contract_start", errors)
    end = _date(values.get("contract_end"), "contract_end", errors)
    if start and end and end <= start:
        errors["contract_end"] = "The contract must end after it starts."
    clean = {
        "name": name,
        "service": service,
        "contact_person": _optional(values.get("contact_person", values.get("contact")), 120),
        "phone": phone,
        "email": email,
        "contract_start": start,
        "contract_end": end,
        "notes": _notes(values.get("notes")),
    }
    if errors:
        raise ValidationError(errors)
    return clean


def save_contractor(conn: Connection, values: dict, *, user: Any, contractor_id: int | None = None) -> int:
    """Add a service contractor or change one; returns its id. ``values``: name, service,
    contact_person (or contact), phone, email, contract_start, contract_end (dates or
    YYYY-MM-DD), notes, optionally active. Nothing is written when a field is wrong."""
    clean = check_contractor(values, region=settings_db.get(conn, "country") or "US")
    active = values.get("active")

    def write(cur: Connection) -> int:
        actor = acting(cur, user, ACTION)
        clash = cur.execute("SELECT 1 FROM service_contractors WHERE lower(name) = lower(?) AND lower(service) ="
                            " lower(?) AND id IS DISTINCT FROM ?",
                            [clean["name"], clean["service"], contractor_id]).fetchone()
        if clash:
            raise ValidationError({"name": "This contractor is already listed for that service."})
        return _save_row(cur, actor, "contractor", clean, active, contractor_id)

    return atomic(conn, write)


def deactivate_contractor(conn: Connection, contractor_id: int, *, user: Any) -> None:
    def write(cur: Connection) -> None:
        actor = acting(cur, user, ACTION)
        if cur.execute("UPDATE service_contractors SET active = FALSE WHERE id = ? RETURNING id",
                       [contractor_id]).fetchone() is None:
            raise NotFound("That contractor does not exist.")
        audit.record(cur, actor, "contractor.deactivate", "contractor", contractor_id)

    atomic(conn, write)


# The two kinds of supplier _save_row writes, with the columns a form sets; their statements are
# built once here from these fixed names (no value ever goes into the SQL text).
_COLUMNS = {
    "vendor": ("vendors", ("name", "contact_person", "phone", "email", "account_number", "lead_time_days",
                           "minimum_order", "notes", "active")),
    "contractor": ("service_contractors", ("name", "service", "contact_person", "phone", "email",
                                           "contract_start", "contract_end", "notes", "active")),
}
_STATEMENTS = {
    entity: (
        columns,
        "INSERT INTO " + table + " (" + ", ".join(columns) + ") VALUES ("
        + ", ".join("$" + c for c in columns) + ") RETURNING id",
        "SELECT active FROM " + table + " WHERE id = ?",
        "UPDATE " + table + " SET " + ", ".join(c + " = $" + c for c in columns) + " WHERE id = $id",
    )
    for entity, (table, columns) in _COLUMNS.items()
}


def _save_row(cur: Connection, actor: Any, entity: str, clean: dict, active: object, row_id: int | None) -> int:
    """Insert (``row_id`` None) or update a vendor or contractor with its checked fields and audit
    it; ``active`` None keeps an existing row's (a new one is active)."""
    columns, insert, select_active, update = _STATEMENTS[entity]
    params = dict(clean, active=True if active is None else bool(active))
    values = {c: params[c] for c in columns}
    if row_id is None:
        (new_id,) = cur.execute(insert, values).fetchone()
        audit.record(cur, actor, entity + ".create", entity, new_id, detail=params)
        return new_id
    row = cur.execute(select_active, [row_id]).fetchone()
    if row is None:
        raise NotFound("That " + entity + " does not exist.")
    if active is None:
        params["active"] = values["active"] = row[0]
    cur.execute(update, dict(values, id=row_id))
    audit.record(cur, actor, entity + ".update", entity, row_id, detail=params)
    return row_id
