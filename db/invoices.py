"""Invoices and their lines: the draft that completing a visit creates (and voids when the
completion is undone), billing a visit completed before billing existed, editing a draft's lines
(diagnoses checked against the official ICD-10-CM list by ``clinic.icd10``), finalising, voiding
(with a correction), and the reads a screen acts on.

Every write follows the actor pattern (``db.actors.acting``, action ``billing.invoice``) and is
ONE transaction whose first statement bumps the invoice's version (``db.ledger.lock_invoice``):
the invoice row is the conflict point, so an edit racing a payment or another edit retries on
a fresh snapshot. Line edits carry the version the clerk saw and refuse a stale one
(``StaleRecord``). Lines change only while the invoice is a draft; afterwards a correction is a
void plus a new invoice (``void_invoice(..., rebill=True)``) or an adjustment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb

from clinic import billing, icd10
from clinic.errors import ClinicError, InvoiceNotEditable, NotFound, StaleRecord, ValidationError, VoidRefused
from clinic.timeutil import now_utc, zone
from db import Connection, atomic, audit, fees, read, read_one
from db.actors import acting
from db.ledger import InvoiceMoney, lock_invoice, money_in, refresh_status
from db.settings import DEFAULTS

ACTION = "billing.invoice"
NOT_IN_SCHEDULE = "(not in the fee schedule: set the price)"


@dataclass(frozen=True)
class Invoice:
    """An invoice as a screen acts on it, with its money (Decimal) and the version to send back."""

    id: int
    patient_id: int
    appointment_id: int | None
    visit_id: int | None
    provider_id: int | None
    service_date: date
    status: str
    version: int
    replaces_id: int | None
    void_reason: str | None
    lines_total: Decimal
    charges: Decimal
    payments: Decimal
    adjustments: Decimal
    refunds: Decimal
    balance: Decimal


@dataclass(frozen=True)
class InvoiceLine:
    id: int
    invoice_id: int
    position: int
    code: str
    description: str
    modifiers: tuple[str, ...]
    quantity: int
    unit_price: Decimal
    diagnoses: tuple[str, ...]

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity


_INVOICE_SQL = (
    "SELECT i.id, i.patient_id, i.appointment_id, i.visit_id, i.provider_id, i.service_date, i.status, i.version,"
    " i.replaces_id, i.void_reason, b.lines_total, b.charges, b.payments, b.adjustments, b.refunds, b.balance"
    " FROM invoices i JOIN invoice_balances b ON b.invoice_id = i.id"
)
_LINES_SQL = ("SELECT id, invoice_id, position, code, description, modifiers, quantity, unit_price, dx1, dx2, dx3, dx4"
              " FROM invoice_lines WHERE invoice_id = ? ORDER BY position, id")


# --- reads ---------------------------------------------------------------------------------------


def invoice_for_appointment(conn: Connection, appointment_id: int) -> int | None:
    """The visit's invoice, or None: the one completing the visit created while it is not void;
    once that is void, its live replacement (a correction from ``void_invoice(..., rebill=True)``,
    or the draft made when the visit was completed again after an undo) if there is one, else
    the void original."""
    row = read_one(conn, "SELECT id FROM invoices WHERE appointment_id = $a OR visit_id = $a"
                         " ORDER BY status = 'void', appointment_id IS NULL, id DESC LIMIT 1", {"a": appointment_id})
    return row[0] if row else None


def has_live_invoice_in(cur: Connection, appointment_id: int) -> bool:
    """On the caller's transaction: does the visit have an invoice that is not void (its original
    or a correction)? For ``db.appointments.change_status``, which must refuse undoing a completion
    then."""
    (found,) = cur.execute("SELECT EXISTS (SELECT 1 FROM invoices WHERE (appointment_id = $a OR visit_id = $a)"
                           " AND status <> 'void')", {"a": appointment_id}).fetchone()
    return bool(found)


def get(conn: Connection, invoice_id: int) -> Invoice:
    row = read_one(conn, _INVOICE_SQL + " WHERE i.id = ?", [invoice_id])
    if row is None:
        raise NotFound("That invoice does not exist.")
    return Invoice(*row)


def list_for_patient(conn: Connection, patient_id: int) -> list[Invoice]:
    """The patient's invoices, newest service first (the patient file's Billing tab)."""
    return [Invoice(*r) for r in read(conn, _INVOICE_SQL + " WHERE i.patient_id = ? ORDER BY i.service_date DESC,"
                                            " i.id DESC", [patient_id])]


def _line(row: tuple) -> InvoiceLine:
    *head, modifiers, quantity, unit_price, d1, d2, d3, d4 = row
    return InvoiceLine(*head, tuple(m for m in (modifiers or "").split(",") if m), quantity, unit_price,
                       tuple(d for d in (d1, d2, d3, d4) if d))


def lines(conn: Connection, invoice_id: int) -> list[InvoiceLine]:
    return [_line(r) for r in read(conn, _LINES_SQL, [invoice_id])]


# Appointment ``a`` has no invoice, by its appointment or as its visit. Two NOT EXISTS, not one with
# OR: DuckDB turns each into a hash anti-join, while the OR left a nested loop over every visit
# and every invoice (minutes on the large clinic, for the Home page's billing work list).
UNINVOICED = ("NOT EXISTS (SELECT 1 FROM invoices i WHERE i.appointment_id = a.id)"
              " AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.visit_id = a.id)")


def unbilled_visits(conn: Connection, *, as_of: date) -> list[tuple[int, int, date, int]]:
    """Billing leakage: completed visits with no invoice, oldest first, as
    (appointment id, patient id, clinic-local service date, age in days on ``as_of``)."""
    tz_row = read_one(conn, "SELECT value FROM settings WHERE key = 'timezone'")
    tz = tz_row[0] if tz_row else DEFAULTS["timezone"]
    rows = read(
        conn,
        "SELECT a.id, a.patient_id, CAST(timezone(?, a.start_at) AS DATE) AS day FROM appointments a"
        " WHERE a.status = 'completed' AND " + UNINVOICED + " ORDER BY a.start_at",
        [tz],
    )
    return [(a, p, d, (as_of - d).days) for a, p, d in rows]


# --- creating ------------------------------------------------------------------------------------


def _timezone(cur: Connection) -> str:
    row = cur.execute("SELECT value FROM settings WHERE key = 'timezone'").fetchone()
    return row[0] if row else DEFAULTS["timezone"]


def _insert_line(cur: Connection, invoice_id: int, position: int, line: billing.Line) -> int:
    dx = list(line.diagnoses) + [None] * (4 - len(line.diagnoses))
    (line_id,) = cur.execute(
        "INSERT INTO invoice_lines (invoice_id, position, code, description, modifiers, quantity, unit_price,"
        " dx1, dx2, dx3, dx4) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [invoice_id, position, line.code, line.description, ",".join(line.modifiers) or None, line.quantity,
         line.unit_price, *dx],
    ).fetchone()
    return line_id


def create_draft_invoice_in(cur: Connection, appointment_id: int, actor: Any) -> int:
    """Create the visit's draft invoice with its visit type's default lines, on the caller's
    transaction ``cur`` (``db.appointments.change_status``, right AFTER it sets ``completed``), and
    return its id. Exactly once: if the visit already has an invoice that is not void (its
    original or a correction), that id is returned and nothing is written. Concurrent completions
    conflict on the appointment row they both update; ``invoices.appointment_id`` is UNIQUE as a
    backstop, and losing that race raises a conflict that ``db.atomic`` retries (the retry finds
    the winner's). A visit whose invoices are all void (its completion was undone, voiding the
    draft, and it is completed again) gets a new draft with ``replaces_id`` pointing to the last.
    A default code missing from the fee schedule on the day becomes a 0.00 line saying so."""
    live = cur.execute("SELECT id FROM invoices WHERE (appointment_id = $a OR visit_id = $a) AND status <> 'void'"
                       " ORDER BY appointment_id IS NULL, id LIMIT 1", {"a": appointment_id}).fetchone()
    if live:
        return live[0]
    # Completed again after an undo voided its draft: a new draft replacing the void one (the
    # original keeps appointment_id, which is UNIQUE).
    (voided,) = cur.execute("SELECT max(id) FROM invoices WHERE appointment_id = $a OR visit_id = $a",
                            {"a": appointment_id}).fetchone()
    row = cur.execute("SELECT patient_id, provider_id, type_id, start_at, status FROM appointments WHERE id = ?",
                      [appointment_id]).fetchone()
    if row is None:
        raise NotFound("That appointment does not exist.")
    patient_id, provider_id, type_id, start_at, status = row
    if status != "completed":
        raise ClinicError("Only a completed visit is invoiced.", field="status")
    service_date = start_at.astimezone(zone(_timezone(cur))).date()
    try:
        (invoice_id,) = cur.execute(
            "INSERT INTO invoices (patient_id, appointment_id, visit_id, provider_id, service_date, status,"
            " replaces_id, created_at, created_by) VALUES (?, ?, ?, ?, ?, 'draft', ?, ?, ?) RETURNING id",
            [patient_id, None if voided else appointment_id, appointment_id, provider_id, service_date, voided,
             now_utc(), getattr(actor, "id", None)],
        ).fetchone()
    except duckdb.ConstraintException as exc:
        # Another transaction created it after this one's snapshot began: a conflict, so that
        # db.atomic retries and the retry returns that invoice (above).
        raise duckdb.TransactionException(f"Conflict on the invoice of appointment {appointment_id}") from exc
    for position, default in enumerate(fees.default_lines(cur, type_id, service_date), start=1):
        line = billing.Line(default.code, default.description or f"{default.code} {NOT_IN_SCHEDULE}",
                            default.quantity, default.unit_price if default.unit_price is not None else Decimal("0.00"))
        _insert_line(cur, invoice_id, position, line)
    audit.record(cur, actor, "invoice.create", "invoice", invoice_id, patient_id,
                 detail={"appointment_id": appointment_id, "service_date": service_date, "replaces": voided})
    return invoice_id


UNDO_VOID_REASON = "visit completion undone"


def undo_completion_in(cur: Connection, appointment_id: int, actor: Any) -> list[int]:
    """For ``db.appointments.change_status`` undoing a completion (completed -> checked_in), on its
    transaction: void the visit's draft invoice(s) (reason "visit completion undone") and return
    their ids. Refused, writing nothing, once an invoice of the visit is finalised
    (InvoiceNotEditable: void it first) or has money on it (VoidRefused), both on field "status"."""
    ids = [r[0] for r in cur.execute("SELECT id FROM invoices WHERE (appointment_id = $a OR visit_id = $a)"
                                     " AND status <> 'void' ORDER BY id", {"a": appointment_id}).fetchall()]
    drafts = []
    for invoice_id in ids:
        money = lock_invoice(cur, invoice_id)  # serialises with a clerk editing or finalising it now
        if _money_touched(cur, invoice_id):
            raise VoidRefused(f"Money was posted on this visit's invoice (#{invoice_id}), so the completion "
                              "cannot be undone.", field="status")
        if money.status != "draft":
            raise InvoiceNotEditable(f"This visit's invoice (#{invoice_id}) is finalised: void it first (Invoices "
                                     "page), then undo the completion.", field="status")
        drafts.append(money)
    for money in drafts:
        billing.check_move(money.status, "void")
        cur.execute("UPDATE invoices SET status = 'void', voided_at = ?, voided_by = ?, void_reason = ? WHERE id = ?",
                    [now_utc(), getattr(actor, "id", None), UNDO_VOID_REASON, money.id])
        audit.record(cur, actor, "invoice.void", "invoice", money.id, money.patient_id,
                     detail={"reason": UNDO_VOID_REASON, "from": money.status, "appointment_id": appointment_id})
    return [m.id for m in drafts]


def invoice_completed_visit(conn: Connection, appointment_id: int, *, user) -> int:
    """Bill a completed visit that has no invoice (completed before billing existed, or listed by
    :func:`unbilled_visits`): create its draft with the visit type's default lines and return its
    id. A visit that already has a live invoice gets that id back and nothing is written; one
    that is not completed is refused (field "status")."""

    def write(cur: Connection) -> int:
        # The appointment row is the conflict point, as for a completion: two clerks billing the
        # same visit at once (or a clerk and an undo) conflict here and the loser retries.
        (found,) = cur.execute("UPDATE appointments SET status = status WHERE id = ?", [appointment_id]).fetchone()
        actor = acting(cur, user, ACTION)
        if not found:
            raise NotFound("That appointment does not exist.")
        return create_draft_invoice_in(cur, appointment_id, actor)

    return atomic(conn, write)


def create_invoice(conn: Connection, *, patient_id: int, service_date: date, user, provider_id: int | None = None,
                   note: str = "") -> int:
    """A draft invoice made by hand (not from a completed visit); returns its id."""
    if not isinstance(service_date, date):
        raise ValidationError({"service_date": "Choose the date of service."})

    def write(cur: Connection) -> int:
        actor = acting(cur, user, ACTION)
        if cur.execute("SELECT 1 FROM patients WHERE id = ? AND status = 'active'", [patient_id]).fetchone() is None:
            raise ClinicError("Choose a patient.", field="patient")
        (invoice_id,) = cur.execute(
            "INSERT INTO invoices (patient_id, provider_id, service_date, status, note, created_at, created_by)"
            " VALUES (?, ?, ?, 'draft', ?, ?, ?) RETURNING id",
            [patient_id, provider_id, service_date, (note or "").strip()[:500] or None, now_utc(), actor.id],
        ).fetchone()
        audit.record(cur, actor, "invoice.create", "invoice", invoice_id, patient_id,
                     detail={"service_date": service_date, "by_hand": True})
        return invoice_id

    return atomic(conn, write)


# --- editing a draft -----------------------------------------------------------------------------


def _lock_draft(cur: Connection, invoice_id: int, version: int, user) -> tuple[InvoiceMoney, Any]:
    money = lock_invoice(cur, invoice_id)
    actor = acting(cur, user, ACTION)
    if money.version != version + 1:  # the bump above added one to what the clerk saw
        raise StaleRecord()
    billing.check_editable(money.status)
    return money, actor


def _checked_line(cur: Connection, money: InvoiceMoney, code: str, quantity: object, unit_price: object,
                  description: str | None, diagnoses: Iterable[str], modifiers: Iterable[str]) -> billing.Line:
    """Validate a line; a missing price or description comes from the fee schedule on the service date.
    Up to 4 diagnoses, each a billable ICD-10-CM code (``clinic.icd10.check_code``): an unknown code or
    a heading is refused on field "diagnoses", together with the line's other bad fields."""
    if unit_price is None or unit_price == "" or not (description or "").strip():
        fee = fees.price_on(cur, code or "", money.service_date)
        if fee is None:
            raise ValidationError({"code": f"“{(code or '').strip()}” is not in the fee schedule on "
                                           f"{money.service_date:%d %b %Y}: enter a price and a description."})
        unit_price = fee.price if unit_price is None or unit_price == "" else unit_price
        description = description if (description or "").strip() else fee.description
    diagnoses = list(diagnoses)
    try:
        line = billing.check_line(code=code, description=description or "", quantity=quantity,
                                  unit_price=unit_price, diagnoses=diagnoses, modifiers=modifiers)
        errors: dict[str, str] = {}
    except ValidationError as exc:
        line, errors = None, dict(exc.errors)
    if "diagnoses" not in errors:  # the shape and the count are fine: now each code against the official list
        try:
            icd10.check_codes(diagnoses, field="diagnoses")
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors or line is None:
        raise ValidationError(errors)
    return line


def add_line(conn: Connection, invoice_id: int, *, code: str, version: int, user, quantity: object = 1,
             unit_price: object = None, description: str | None = None, diagnoses: Iterable[str] = (),
             modifiers: Iterable[str] = ()) -> int:
    """Add a line to a draft; price and description default to the fee schedule's. Returns its id."""

    def write(cur: Connection) -> int:
        money, actor = _lock_draft(cur, invoice_id, version, user)
        line = _checked_line(cur, money, code, quantity, unit_price, description, diagnoses, modifiers)
        (last,) = cur.execute("SELECT coalesce(max(position), 0) FROM invoice_lines WHERE invoice_id = ?",
                              [invoice_id]).fetchone()
        line_id = _insert_line(cur, invoice_id, last + 1, line)
        audit.record(cur, actor, "invoice.line_add", "invoice", invoice_id, money.patient_id,
                     detail={"line_id": line_id, "code": line.code, "quantity": line.quantity,
                             "unit_price": line.unit_price})
        return line_id

    return atomic(conn, write)


def _invoice_of_line(conn: Connection, line_id: int) -> int:
    row = read_one(conn, "SELECT invoice_id FROM invoice_lines WHERE id = ?", [line_id])
    if row is None:
        raise NotFound("That invoice line does not exist (removed meanwhile?).")
    return row[0]


def update_line(conn: Connection, line_id: int, *, code: str, quantity: object, unit_price: object,
                description: str | None, version: int, user, diagnoses: Iterable[str] = (),
                modifiers: Iterable[str] = ()) -> None:
    """Change a draft's line (``version`` is the invoice's, as the clerk saw it)."""
    invoice_id = _invoice_of_line(conn, line_id)

    def write(cur: Connection) -> None:
        money, actor = _lock_draft(cur, invoice_id, version, user)
        line = _checked_line(cur, money, code, quantity, unit_price, description, diagnoses, modifiers)
        dx = list(line.diagnoses) + [None] * (4 - len(line.diagnoses))
        cur.execute(
            "UPDATE invoice_lines SET code = ?, description = ?, modifiers = ?, quantity = ?, unit_price = ?,"
            " dx1 = ?, dx2 = ?, dx3 = ?, dx4 = ? WHERE id = ? AND invoice_id = ?",
            [line.code, line.description, ",".join(line.modifiers) or None, line.quantity, line.unit_price, *dx,
             line_id, invoice_id],
        )
        audit.record(cur, actor, "invoice.line_change", "invoice", invoice_id, money.patient_id,
                     detail={"line_id": line_id, "code": line.code, "quantity": line.quantity,
                             "unit_price": line.unit_price, "diagnoses": line.diagnoses})

    atomic(conn, write)


def remove_line(conn: Connection, line_id: int, *, version: int, user) -> None:
    invoice_id = _invoice_of_line(conn, line_id)

    def write(cur: Connection) -> None:
        money, actor = _lock_draft(cur, invoice_id, version, user)
        row = cur.execute("SELECT code FROM invoice_lines WHERE id = ?", [line_id]).fetchone()
        if row is None:
            raise NotFound("That invoice line does not exist (removed meanwhile?).")
        cur.execute("DELETE FROM invoice_lines WHERE id = ?", [line_id])
        audit.record(cur, actor, "invoice.line_remove", "invoice", invoice_id, money.patient_id,
                     detail={"line_id": line_id, "code": row[0]})

    atomic(conn, write)


# --- finalising and voiding ----------------------------------------------------------------------


def _money_touched(cur: Connection, invoice_id: int) -> bool:
    """Was money ever applied to, adjusted on or refunded from the invoice?"""
    (touched,) = cur.execute(
        "SELECT EXISTS (SELECT 1 FROM payment_applications WHERE invoice_id = $id)"
        " OR EXISTS (SELECT 1 FROM adjustments WHERE invoice_id = $id)"
        " OR EXISTS (SELECT 1 FROM refunds WHERE invoice_id = $id)", {"id": invoice_id}).fetchone()
    return bool(touched)


def finalize_invoice(conn: Connection, invoice_id: int, *, user) -> None:
    """Draft -> ``open`` (or ``paid`` at once when it charges nothing). Refused for an invoice with
    no lines, or one already finalised or void (InvoiceNotEditable)."""

    def write(cur: Connection) -> None:
        money = lock_invoice(cur, invoice_id)
        actor = acting(cur, user, ACTION)
        if money.status != "draft":
            raise InvoiceNotEditable("This invoice is void." if money.status == "void"
                                     else "This invoice is already finalised.", field="status")
        (count,) = cur.execute("SELECT count(*) FROM invoice_lines WHERE invoice_id = ?", [invoice_id]).fetchone()
        if not count:
            raise ClinicError("Add at least one line before finalising.", field="lines")
        billing.check_move("draft", "open")
        cur.execute("UPDATE invoices SET status = 'open', finalized_at = ?, finalized_by = ? WHERE id = ?",
                    [now_utc(), actor.id, invoice_id])
        after = refresh_status(cur, invoice_id)
        audit.record(cur, actor, "invoice.finalize", "invoice", invoice_id, money.patient_id,
                     detail={"charges": after.charges, "status": after.status})

    atomic(conn, write)


def void_invoice(conn: Connection, invoice_id: int, *, reason: str, user, version: int | None = None,
                 rebill: bool = False) -> int | None:
    """Void an invoice with a reason. Refused (VoidRefused) once money was applied or adjusted on
    it, or while it is in an active payment plan. With ``rebill``, a new draft copying its lines
    (``replaces_id`` pointing back) is made in the same transaction and its id returned."""
    reason = billing.check_reason(reason, what="Say why the invoice is voided.")

    def write(cur: Connection) -> int | None:
        money = lock_invoice(cur, invoice_id)
        actor = acting(cur, user, ACTION)
        if version is not None and money.version != version + 1:
            raise StaleRecord()
        touched = _money_touched(cur, invoice_id)
        (in_plan,) = cur.execute(
            "SELECT EXISTS (SELECT 1 FROM payment_plan_invoices pi JOIN payment_plans p ON p.id = pi.plan_id"
            " WHERE pi.invoice_id = ? AND p.status = 'active')", [invoice_id]).fetchone()
        billing.check_can_void(money.status, touched, in_plan=in_plan)
        billing.check_move(money.status, "void")
        cur.execute("UPDATE invoices SET status = 'void', voided_at = ?, voided_by = ?, void_reason = ? WHERE id = ?",
                    [now_utc(), actor.id, reason, invoice_id])
        new_id = None
        if rebill:
            (new_id,) = cur.execute(
                "INSERT INTO invoices (patient_id, visit_id, provider_id, service_date, status, replaces_id,"
                " created_at, created_by) SELECT patient_id, visit_id, provider_id, service_date, 'draft', id, ?, ?"
                " FROM invoices WHERE id = ? RETURNING id", [now_utc(), actor.id, invoice_id]).fetchone()
            cur.execute(
                "INSERT INTO invoice_lines (invoice_id, position, code, description, modifiers, quantity, unit_price,"
                " dx1, dx2, dx3, dx4) SELECT ?, position, code, description, modifiers, quantity, unit_price, dx1, dx2,"
                " dx3, dx4 FROM invoice_lines WHERE invoice_id = ?", [new_id, invoice_id])
        audit.record(cur, actor, "invoice.void", "invoice", invoice_id, money.patient_id,
                     detail={"reason": reason, "from": money.status, "replaced_by": new_id})
        return new_id

    return atomic(conn, write)


def state(conn: Connection, invoice_id: int) -> InvoiceMoney:
    """The invoice's money, without a lock (for a quick check outside a write)."""
    cur = conn.cursor()
    try:
        return money_in(cur, invoice_id)
    finally:
        cur.close()
