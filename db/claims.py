"""Insurance claims: making one from a finalised invoice, its status moves (submit, accept,
appeal, resubmit, deny by hand), and the reads a screen acts on (a claim, its lines, its history).
Posting the insurer's answer lives in :mod:`db.claim_answers`, the work list and the Home tile in
:mod:`db.claim_work`; :mod:`db.billing` re-exports all of them.

Every write follows the actor pattern (``db.actors.acting``, action ``billing.claim``), is ONE
transaction (``db.atomic``) with its ``claim_events`` row and its audit row, and bumps
``claims.version`` so two clerks on one claim conflict and retry. A write that touches the
invoice (making a claim, posting an answer) first locks the invoice (``db.ledger.lock_invoice``):
its row is the conflict point for everything done to the invoice's money, and it makes "one
claim per invoice and rank" race-free (``UNIQUE (invoice_id, rank)`` is the backstop).

Rules (which moves are allowed, what an answer means) live in :mod:`clinic.claims` and
:mod:`clinic.billing`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import duckdb

from clinic import billing
from clinic import claims as rules
from clinic.errors import ClinicError, NotFound
from clinic.money import cents
from clinic.timeutil import now_utc
from db import Connection, atomic, audit, read, read_one
from db.actors import Actor, acting
from db.ledger import InvoiceMoney, lock_invoice
from db.settings import DEFAULTS

ACTION = "billing.claim"


@dataclass(frozen=True)
class Claim:
    id: int
    invoice_id: int
    patient_id: int
    payer_id: int
    payer_name: str
    rank: int
    control_number: str
    status: str
    created_at: datetime
    submitted_at: datetime | None
    answered_at: datetime | None
    total_charge: Decimal
    version: int
    service_date: date
    patient_name: str
    member_id: str
    group_number: str | None
    subscriber_name: str | None
    subscriber_relationship: str
    primary_claim_id: int | None
    diagnoses: tuple[str, ...]
    invoice_balance: Decimal
    note: str | None


@dataclass(frozen=True)
class ClaimLine:
    id: int
    claim_id: int
    invoice_line_id: int
    position: int
    code: str
    description: str
    modifiers: str | None
    quantity: int
    charge: Decimal
    pointers: str | None


@dataclass(frozen=True)
class ClaimEvent:
    changed_at: datetime
    by_name: str | None
    from_status: str | None
    to_status: str
    note: str | None


_CLAIM_SQL = (
    "SELECT c.id, c.invoice_id, i.patient_id, c.payer_id, coalesce(p.name, '(unknown payer)'), c.rank,"
    " c.control_number, c.status, c.created_at, c.submitted_at, c.answered_at,"
    " CAST((SELECT coalesce(sum(charge), 0) FROM claim_lines l WHERE l.claim_id = c.id) AS DECIMAL(12, 2)),"
    " c.version, i.service_date, pt.first_name || ' ' || pt.last_name, c.member_id, c.group_number,"
    " c.subscriber_name, c.subscriber_relationship, c.primary_claim_id, c.diagnoses, b.balance, c.note"
    " FROM claims c JOIN invoices i ON i.id = c.invoice_id JOIN invoice_balances b ON b.invoice_id = c.invoice_id"
    " LEFT JOIN payers p ON p.id = c.payer_id LEFT JOIN patients pt ON pt.id = i.patient_id"
)


def _claim(row: tuple) -> Claim:
    *head, diagnoses, balance, note = row
    return Claim(*head, tuple(d for d in (diagnoses or "").split(",") if d), balance, note)


def timezone_in(cur: Connection) -> str:
    row = cur.execute("SELECT value FROM settings WHERE key = 'timezone'").fetchone()
    return row[0] if row else DEFAULTS["timezone"]


# --- reads ---------------------------------------------------------------------------------------


def get_claim(conn: Connection, claim_id: int) -> Claim:
    row = read_one(conn, _CLAIM_SQL + " WHERE c.id = ?", [claim_id])
    if row is None:
        raise NotFound("That claim does not exist.")
    return _claim(row)


def claims_for_invoice(conn: Connection, invoice_id: int) -> list[Claim]:
    """The invoice's claims, primary first."""
    return [_claim(r) for r in read(conn, _CLAIM_SQL + " WHERE c.invoice_id = ? ORDER BY c.rank, c.id", [invoice_id])]


def find_claims(conn: Connection, *, status: str | None = None, text: str = "", limit: int = 200) -> list[Claim]:
    """Claims by status and/or by a piece of the control number or the patient's name, newest first."""
    like = f"%{' '.join((text or '').split())}%"
    rows = read(
        conn,
        _CLAIM_SQL + " WHERE ($status IS NULL OR c.status = $status) AND (c.control_number ILIKE $like"
        " OR (pt.first_name || ' ' || pt.last_name) ILIKE $like) ORDER BY c.id DESC LIMIT $limit",
        {"status": status, "like": like, "limit": limit},
    )
    return [_claim(r) for r in rows]


def claim_lines(conn: Connection, claim_id: int) -> list[ClaimLine]:
    rows = read(
        conn,
        "SELECT l.id, l.claim_id, l.invoice_line_id, l.position, l.code, coalesce(il.description, ''), l.modifiers,"
        " l.quantity, l.charge, l.pointers FROM claim_lines l LEFT JOIN invoice_lines il ON il.id = l.invoice_line_id"
        " WHERE l.claim_id = ? ORDER BY l.position, l.id",
        [claim_id],
    )
    return [ClaimLine(*r) for r in rows]


def claim_events(conn: Connection, claim_id: int) -> list[ClaimEvent]:
    """The claim's history, oldest first."""
    rows = read(
        conn,
        "SELECT e.changed_at, u.full_name, e.from_status, e.to_status, e.note FROM claim_events e"
        " LEFT JOIN users u ON u.id = e.by_user WHERE e.claim_id = ? ORDER BY e.changed_at, e.id",
        [claim_id],
    )
    return [ClaimEvent(*r) for r in rows]


def has_secondary_coverage(conn: Connection, patient_id: int) -> bool:
    """Whether the patient has an active second insurance (a payer other than self-pay)."""
    cur = conn.cursor()
    try:
        return coverage_in(cur, patient_id, 2) is not None
    finally:
        cur.close()


# --- making a claim ------------------------------------------------------------------------------


def coverage_in(cur: Connection, patient_id: int, rank: int) -> tuple | None:
    """(payer_id, member_id, group_number, subscriber_name, relationship) of the patient's active
    coverage of ``rank`` with a real insurer (self-pay is not insurance), or None."""
    return cur.execute(
        "SELECT i.payer_id, i.member_id, i.group_number, i.subscriber_name, i.subscriber_relationship"
        " FROM patient_insurance i JOIN payers p ON p.id = i.payer_id"
        " WHERE i.patient_id = ? AND i.rank = ? AND i.active AND p.kind <> 'self_pay' ORDER BY i.id DESC LIMIT 1",
        [patient_id, rank],
    ).fetchone()


def event_in(cur: Connection, actor: Actor, claim_id: int, from_status: str | None, to_status: str,
           note: str | None) -> None:
    cur.execute(
        "INSERT INTO claim_events (claim_id, changed_at, by_user, from_status, to_status, note) VALUES (?, ?, ?, ?, ?, ?)",
        [claim_id, now_utc(), actor.id, from_status, to_status, note],
    )


def create_in(cur: Connection, actor: Actor, money: InvoiceMoney, rank: int) -> int:
    """Make the invoice's claim of ``rank`` on the caller's transaction, which has locked the invoice."""
    what = "primary" if rank == 1 else "secondary"
    if rank not in (1, 2):
        raise ClinicError("A claim goes to the primary or the secondary insurer.", field="rank")
    if money.status == "draft":
        raise ClinicError("Finalise the invoice before making a claim.", field="invoice")
    if money.status not in billing.OWING:
        raise ClinicError("This invoice is void: it cannot be claimed." if money.status == "void"
                          else "This invoice is paid: there is nothing to claim.", field="invoice")
    existing = cur.execute("SELECT control_number FROM claims WHERE invoice_id = ? AND rank = ?",
                           [money.id, rank]).fetchone()
    if existing:
        raise ClinicError(f"This invoice already has a {what} claim ({existing[0]}): open that one.", field="rank")
    primary_claim_id = None
    if rank == 2:
        primary = cur.execute("SELECT id, status FROM claims WHERE invoice_id = ? AND rank = 1",
                              [money.id]).fetchone()
        if primary is None or primary[1] not in ("paid", "partially_paid", "denied"):
            raise ClinicError("Post the primary insurer's answer before billing the secondary.", field="rank")
        primary_claim_id = primary[0]
    coverage = coverage_in(cur, money.patient_id, rank)
    if coverage is None:
        raise ClinicError(f"The patient has no {what} insurance on file: add it on the patient's intake first.",
                          field="insurance")
    invoice_lines = cur.execute(
        "SELECT id, position, code, modifiers, quantity, unit_price, dx1, dx2, dx3, dx4 FROM invoice_lines"
        " WHERE invoice_id = ? ORDER BY position, id", [money.id]).fetchall()
    if not invoice_lines:
        raise ClinicError("This invoice has no lines to claim.", field="invoice")
    codes, pointers = billing.diagnosis_pointers([tuple(d for d in row[6:] if d) for row in invoice_lines])
    (claim_id,) = cur.execute("SELECT nextval('claims_id_seq')").fetchone()
    payer_id, member_id, group_number, subscriber_name, relationship = coverage
    cur.execute(
        "INSERT INTO claims (id, invoice_id, payer_id, rank, control_number, member_id, group_number, subscriber_name,"
        " subscriber_relationship, status, primary_claim_id, diagnoses, created_at, created_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?, ?)",
        [claim_id, money.id, payer_id, rank, rules.control_number(claim_id), member_id, group_number, subscriber_name,
         relationship, primary_claim_id, ",".join(codes) or None, now_utc(), actor.id],
    )
    for (line_id, position, code, modifiers, quantity, unit_price, *_dx), letters in zip(invoice_lines, pointers):
        cur.execute(
            "INSERT INTO claim_lines (claim_id, invoice_line_id, position, code, modifiers, quantity, charge, pointers)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [claim_id, line_id, position, code, modifiers, quantity, cents(unit_price * quantity),
             rules.pointers_text(letters) or None],
        )
    event_in(cur, actor, claim_id, None, "draft", f"Made from invoice {money.id}")
    audit.record(cur, actor, "claim.create", "claim", claim_id, money.patient_id,
                 detail={"invoice_id": money.id, "rank": rank, "payer_id": payer_id,
                         "control_number": rules.control_number(claim_id)})
    return claim_id


def create_claim(conn: Connection, invoice_id: int, *, user, rank: int = 1) -> int:
    """Make a claim (a draft) to the patient's primary insurer (``rank=1``) or, once the primary
    answered, to the secondary (``rank=2``) from a finalised invoice (open or partially paid).
    Its lines mirror the invoice's; the coverage (member ID, group, subscriber) is copied as it is
    now. Refused, with a message naming the field, for a draft/void/paid invoice, a patient with
    no such insurance, or an invoice that already has a claim of that rank. Returns its id."""

    def write(cur: Connection) -> int:
        money = lock_invoice(cur, invoice_id)
        actor = acting(cur, user, ACTION)
        try:
            return create_in(cur, actor, money, rank)
        except duckdb.ConstraintException as exc:  # UNIQUE (invoice_id, rank): made meanwhile
            raise duckdb.TransactionException(f"Conflict on the claims of invoice {invoice_id}") from exc

    return atomic(conn, write)


# --- status moves --------------------------------------------------------------------------------


def lock_claim_in(cur: Connection, claim_id: int) -> tuple[str, int, int]:
    """Bump the claim's version; return (status, invoice_id, patient_id). Raises NotFound."""
    cur.execute("UPDATE claims SET version = version + 1 WHERE id = ?", [claim_id])
    row = cur.execute("SELECT c.status, c.invoice_id, i.patient_id FROM claims c JOIN invoices i"
                      " ON i.id = c.invoice_id WHERE c.id = ?", [claim_id]).fetchone()
    if row is None:
        raise NotFound("That claim does not exist.")
    return row


def change_claim_status(conn: Connection, claim_id: int, to_status: str, *, user, note: str = "") -> None:
    """A move made by hand: ``submitted`` (a draft sent, or a denied claim corrected and sent
    again), ``accepted`` (the insurer acknowledged it), ``appealed`` and ``denied`` (both with a
    reason in ``note``). Paid and partly paid come from :func:`post_answer`. Dated, by whom, with
    its event and audit rows."""

    def write(cur: Connection) -> None:
        status, invoice_id, patient_id = lock_claim_in(cur, claim_id)
        actor = acting(cur, user, ACTION)
        cleaned = rules.check_hand_move(status, to_status, note)
        if to_status == "submitted":
            (invoice_status,) = cur.execute("SELECT status FROM invoices WHERE id = ?", [invoice_id]).fetchone()
            if invoice_status == "void":
                raise ClinicError("The invoice of this claim is void: it cannot be sent.", field="status")
            cur.execute("UPDATE claims SET status = ?, submitted_at = ? WHERE id = ?",
                        [to_status, now_utc(), claim_id])
        else:
            cur.execute("UPDATE claims SET status = ? WHERE id = ?", [to_status, claim_id])
        event_in(cur, actor, claim_id, status, to_status, cleaned)
        audit.record(cur, actor, "claim.status", "claim", claim_id, patient_id,
                     detail={"from": status, "to": to_status, "note": cleaned})

    atomic(conn, write)


def submit_claim(conn: Connection, claim_id: int, *, user) -> None:
    """Send a draft claim (or a denied one again): ``submitted``, dated now."""
    change_claim_status(conn, claim_id, "submitted", user=user)
