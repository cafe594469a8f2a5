"""The fee schedule (procedure code, description, price, active, effective dates) and each visit
type's default invoice lines.

A code may have several rows, one per effective period; :func:`price_on` picks the active row
whose period holds the service date (the latest start wins). Periods of one code may not overlap
(:func:`save_fee` refuses it). Writes re-read the acting account (action ``billing.fees``) and
audit in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from clinic.errors import BadAmount, NotFound, ValidationError
from clinic.money import parse_amount
from db import Connection, atomic, audit, read, read_one
from db.actors import acting

ACTION = "billing.fees"


@dataclass(frozen=True)
class Fee:
    id: int
    code: str
    description: str
    price: Decimal
    active: bool
    effective_from: date
    effective_to: date | None


@dataclass(frozen=True)
class DefaultLine:
    """A line a visit type puts on its invoice; price and description are the fee's on the day."""

    code: str
    quantity: int
    description: str | None  # None when the code is not in the fee schedule on that day
    unit_price: Decimal | None


_SELECT = "SELECT id, code, description, price, active, effective_from, effective_to FROM fee_schedule"
_ON_DAY = (" WHERE code = ? AND active AND effective_from <= ? AND (effective_to IS NULL OR effective_to >= ?)"
           " ORDER BY effective_from DESC, id DESC LIMIT 1")


def list_fees(conn: Connection, *, on: date | None = None, include_inactive: bool = False) -> list[Fee]:
    """Every fee row by code (then newest period first); with ``on``, only the rows in force that day."""
    rows = read(
        conn,
        _SELECT + " WHERE ($all OR active) AND ($on IS NULL OR (effective_from <= $on"
        " AND (effective_to IS NULL OR effective_to >= $on))) ORDER BY code, effective_from DESC",
        {"all": include_inactive, "on": on},
    )
    return [Fee(*r) for r in rows]


def get_fee(conn: Connection, fee_id: int) -> Fee:
    row = read_one(conn, _SELECT + " WHERE id = ?", [fee_id])
    if row is None:
        raise NotFound("That fee does not exist.")
    return Fee(*row)


def price_on(cur: Connection, code: str, day: date) -> Fee | None:
    """The fee in force for ``code`` on ``day`` (on the caller's cursor), or None."""
    row = cur.execute(_SELECT + _ON_DAY, [code.strip().upper(), day, day]).fetchone()
    return Fee(*row) if row else None


def _validate(code: str, description: str, price: object, effective_from: date | None,
              effective_to: date | None) -> tuple[str, str, Decimal]:
    errors = {}
    code_ = (code or "").strip().upper()
    if not (3 <= len(code_) <= 7 and code_.isalnum()):
        errors["code"] = "Enter a procedure code (3 to 7 letters and digits)."
    description_ = " ".join((description or "").split())[:200]
    if not description_:
        errors["description"] = "Enter a short description."
    try:
        price_ = parse_amount(price, field="price", allow_zero=True)
    except BadAmount as exc:  # shown next to the price, with the other fields' errors
        errors["price"] = str(exc)
        price_ = Decimal(0)
    if effective_from is None:
        errors["effective_from"] = "Choose the date the price starts."
    elif effective_to is not None and effective_to < effective_from:
        errors["effective_to"] = "The end date is before the start date."
    if errors:
        raise ValidationError(errors)
    return code_, description_, price_


def save_fee(conn: Connection, *, code: str, description: str, price: object, effective_from: date,
             effective_to: date | None = None, active: bool = True, fee_id: int | None = None, user) -> int:
    """Add (``fee_id`` None) or change one fee row; returns its id. An active period that overlaps
    another active period of the same code is refused (field ``effective_from``)."""
    code_, description_, price_ = _validate(code, description, price, effective_from, effective_to)

    def write(cur: Connection) -> int:
        actor = acting(cur, user, ACTION)
        if active:
            clash = cur.execute(
                "SELECT count(*) FROM fee_schedule WHERE code = ? AND active AND id IS DISTINCT FROM ?"
                " AND effective_from <= coalesce(?, DATE '9999-12-31')"
                " AND coalesce(effective_to, DATE '9999-12-31') >= ?",
                [code_, fee_id, effective_to, effective_from],
            ).fetchone()[0]
            if clash:
                raise ValidationError({"effective_from": f"{code_} already has a price for part of that period."})
        values = {"code": code_, "description": description_, "price": price_, "active": active,
                  "from": effective_from, "to": effective_to, "id": fee_id}
        if fee_id is None:
            (new_id,) = cur.execute(
                "INSERT INTO fee_schedule (code, description, price, active, effective_from, effective_to)"
                " VALUES ($code, $description, $price, $active, $from, $to) RETURNING id",
                {k: v for k, v in values.items() if k != "id"},
            ).fetchone()
        else:
            if cur.execute("SELECT 1 FROM fee_schedule WHERE id = ?", [fee_id]).fetchone() is None:
                raise NotFound("That fee does not exist.")
            cur.execute(
                "UPDATE fee_schedule SET code = $code, description = $description, price = $price, active = $active,"
                " effective_from = $from, effective_to = $to WHERE id = $id",
                values,
            )
            new_id = fee_id
        audit.record(cur, actor, "fee.save", "fee", new_id, detail=values)
        return new_id

    return atomic(conn, write)


def deactivate_fee(conn: Connection, fee_id: int, *, user) -> None:
    """Take a price out of use (it stays in the list, inactive): a visit completed afterwards no
    longer gets it, and a line with its code then needs a price typed in."""

    def write(cur: Connection) -> None:
        actor = acting(cur, user, ACTION)
        row = cur.execute("SELECT code, active FROM fee_schedule WHERE id = ?", [fee_id]).fetchone()
        if row is None:
            raise NotFound("That fee does not exist.")
        if not row[1]:
            return
        cur.execute("UPDATE fee_schedule SET active = FALSE WHERE id = ?", [fee_id])
        audit.record(cur, actor, "fee.deactivate", "fee", fee_id, detail={"code": row[0]})

    atomic(conn, write)


def visit_type_lines(conn: Connection, type_id: int) -> list[tuple[str, int]]:
    """The extra default lines of a visit type as (code, quantity), in order."""
    return [(c, q) for c, q in read(conn, "SELECT code, quantity FROM visit_type_fee_lines WHERE visit_type_id = ?"
                                          " ORDER BY position, code", [type_id])]


def _text(value: object) -> str:
    """A typed cell as text: None and NaN (an empty cell of a table editor) are blank."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def set_visit_type_lines(conn: Connection, type_id: int, lines: Iterable[tuple[str, int]], *, user) -> None:
    """Replace a visit type's extra default lines (besides its default fee code) with ``lines``.
    A bad line is refused on field ``lines`` with its number (1-based), and nothing is written."""
    clean: list[tuple[str, int]] = []
    for n, (code, quantity) in enumerate(lines, start=1):
        code_ = _text(code).upper()
        if not (3 <= len(code_) <= 7 and code_.isalnum()):
            raise ValidationError({"lines": f"Line {n}: enter a procedure code (3 to 7 letters and digits)."})
        if any(code_ == c for c, _ in clean):
            raise ValidationError({"lines": f"Line {n}: {code_} is already a line: change its quantity instead."})
        try:  # "2", 2 or 2.0 (a table editor's number) are 2; 2.5, text and NaN are refused
            whole = Decimal(_text(quantity))
            count = int(whole) if whole == whole.to_integral_value() else 0
        except (InvalidOperation, ValueError):
            count = 0
        if not 1 <= count <= 999:
            raise ValidationError({"lines": f"Line {n}: the quantity is a whole number from 1 to 999."})
        clean.append((code_, count))

    def write(cur: Connection) -> None:
        actor = acting(cur, user, ACTION)
        if cur.execute("SELECT 1 FROM visit_types WHERE id = ?", [type_id]).fetchone() is None:
            raise NotFound("That visit type does not exist.")
        cur.execute("DELETE FROM visit_type_fee_lines WHERE visit_type_id = ?", [type_id])
        for position, (code_, quantity) in enumerate(clean, start=1):
            cur.execute("INSERT INTO visit_type_fee_lines (visit_type_id, code, quantity, position)"
                        " VALUES (?, ?, ?, ?)", [type_id, code_, quantity, position])
        audit.record(cur, actor, "visit_type.fee_lines", "visit_type", type_id, detail={"lines": clean})

    atomic(conn, write)


def default_lines(cur: Connection, type_id: int, day: date) -> list[DefaultLine]:
    """The lines completing a visit of ``type_id`` on ``day`` puts on its draft invoice: the type's
    default fee code first (quantity 1), then its extra lines; priced from the fee schedule that day."""
    row = cur.execute("SELECT default_fee_code FROM visit_types WHERE id = ?", [type_id]).fetchone()
    wanted: list[tuple[str, int]] = []
    if row and row[0] and row[0].strip():
        wanted.append((row[0].strip().upper(), 1))
    for code, quantity in cur.execute(
        "SELECT code, quantity FROM visit_type_fee_lines WHERE visit_type_id = ? ORDER BY position, code", [type_id]
    ).fetchall():
        if all(code != c for c, _ in wanted):
            wanted.append((code, quantity))
    out = []
    for code, quantity in wanted:
        fee = price_on(cur, code, day)
        out.append(DefaultLine(code, quantity, fee.description if fee else None, fee.price if fee else None))
    return out


def preview_lines(conn: Connection, type_id: int, day: date) -> list[DefaultLine]:
    """:func:`default_lines` on a fresh cursor: what completing a visit of ``type_id`` on ``day``
    would put on its draft invoice (for the fee schedule page)."""
    cur = conn.cursor()
    try:
        return default_lines(cur, type_id, day)
    finally:
        cur.close()
