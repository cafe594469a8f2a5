"""835 remittances: the review of a file before anything is posted (what goes to which invoice,
what is left to a person and why, the totals against the payment), the import that posts it,
and the list of remittances read.

A file is parsed by :func:`clinic.x12_835.parse_835` (pyx12's reader; a malformed or unbalanced
file is refused there, naming the segment and line, before anything here runs). Each claim
payment (CLP) finds our claim by its control number (CLP01 = the CLM01 we sent) and is posted as
an insurer's answer through :func:`db.claim_answers.answer_in`, the same path as an EOB typed
in, so balances and statuses follow from the money exactly as in billing.

The import is ONE transaction: the remittance row, its provider-level adjustments, each claim
payment's outcome and the answers posted. A claim payment is posted once per payer, trace number,
claim number and occurrence (``remittance_postings``): importing the same file again posts
nothing, and a file imported before with nothing new to post is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from clinic import claims as rules
from clinic import remittance as meaning
from clinic.billing import check_takes_money
from clinic.claims import LineAnswer
from clinic.errors import ClinicError, NotFound
from clinic.money import ZERO, money_text
from clinic.timeutil import now_utc, today
from clinic.x12_835 import ClaimPayment, Remittance, parse_835
from db import Connection, atomic, audit, read
from db.actors import acting
from db.claim_answers import answer_in
from db.claims import ACTION, timezone_in
from db.payments import ATTEMPTS


@dataclass(frozen=True)
class Planned:
    """What the import does with one claim payment of the file."""

    position: int
    payment: ClaimPayment
    claim_id: int | None
    invoice_id: int | None
    patient_name: str | None
    outcome: str                 # post, unmatched, already_posted, not_posted
    reason: str | None
    status_after: str | None     # the claim's status once posted
    write_off: Decimal           # CO/PI reductions written off
    patient_share: Decimal       # PR: the patient's (or the secondary's) part
    answers: tuple[LineAnswer, ...] = ()

    @property
    def status_label(self) -> str:
        return meaning.status_label(self.payment.status_code)


@dataclass(frozen=True)
class Review:
    file_name: str
    remittance: Remittance
    planned: tuple[Planned, ...]

    def of(self, outcome: str) -> list[Planned]:
        return [p for p in self.planned if p.outcome == outcome]

    @property
    def to_post_total(self) -> Decimal:
        return sum((p.payment.paid for p in self.of("post")), ZERO)

    @property
    def claims_total(self) -> Decimal:
        return sum((c.paid for c in self.remittance.claims), ZERO)

    @property
    def balanced(self) -> bool:
        r = self.remittance
        return self.claims_total - r.provider_adjustment_total == r.payment_amount


@dataclass(frozen=True)
class Imported:
    remittance_id: int
    review: Review
    posted: int
    not_posted: int


def _plan(cur: Connection, remittance: Remittance, position: int, payment: ClaimPayment) -> Planned:
    def left(outcome: str, reason: str | None, claim: tuple | None = None) -> Planned:
        return Planned(position, payment, claim[0] if claim else None, claim[1] if claim else None,
                       claim[2] if claim else _as_written(payment.patient_name), outcome, reason, None, ZERO, ZERO)

    claim = cur.execute(
        "SELECT c.id, c.invoice_id, pt.first_name || ' ' || pt.last_name, c.status FROM claims c"
        " JOIN invoices i ON i.id = c.invoice_id JOIN patients pt ON pt.id = i.patient_id"
        " WHERE c.control_number = ?", [payment.control_number.strip().upper()]).fetchone()
    if claim is None:
        return left("unmatched", None)
    if cur.execute(
            "SELECT 1 FROM remittance_postings WHERE payer_key = ? AND trace_number = ? AND control_number = ?"
            " AND occurrence = ?", [remittance.payer_key, remittance.trace_number, payment.control_number,
                                    payment.occurrence]).fetchone():
        return left("already_posted", "Posted from this payment before.", claim)
    lines = [meaning.OurLine(i, p, code, tuple(m for m in (mods or "").split(",") if m), charge)
             for i, p, code, mods, charge in cur.execute(
                 "SELECT id, position, code, modifiers, charge FROM claim_lines WHERE claim_id = ?"
                 " ORDER BY position, id", [claim[0]]).fetchall()]
    try:
        answers = meaning.line_answers(payment, lines)
        checked = rules.check_answer({line.id: (line.position, line.charge) for line in lines}, answers,
                                     any_code=True)
        if payment.status_code == "4" and checked.status_after != "denied":
            raise ClinicError("The payer marks the claim denied but its lines say otherwise: post it by hand.")
        rules.check_answer_move(claim[3], checked.status_after)
        (invoice_status,) = cur.execute("SELECT status FROM invoices WHERE id = ?", [claim[1]]).fetchone()
        check_takes_money(invoice_status)
    except ClinicError as exc:
        return left("not_posted", _first_message(exc), claim)
    write_off = sum((a.amount for a in checked.write_offs()), ZERO)
    return Planned(position, payment, claim[0], claim[1], claim[2], "post", None, checked.status_after, write_off,
                   checked.patient_share, tuple(answers))


def _as_written(name: str | None) -> str | None:
    """The payer's "DOE, JANE" as "Jane Doe" (a claim payment we could not match has no patient of ours)."""
    if not name:
        return None
    return " ".join(reversed([part.strip() for part in name.split(",", 1)])).title()


def _first_message(exc: ClinicError) -> str:
    errors = getattr(exc, "errors", None)
    if isinstance(errors, dict) and errors:
        return " ".join(dict.fromkeys(str(v) for v in errors.values()))
    return str(exc)


def _review(cur: Connection, text: str, file_name: str) -> Review:
    remittance = parse_835(text)
    planned = tuple(_plan(cur, remittance, n, p) for n, p in enumerate(remittance.claims, start=1))
    return Review(file_name, remittance, planned)


def review_835(conn: Connection, text: str, *, file_name: str = "remittance.835") -> Review:
    """Read an 835 and say what importing it would post, to which invoice, and what it would
    leave to a person and why. Writes nothing. Raises ClinicError (field ``file``) for a file
    that is malformed, not an 835 or does not balance."""
    cur = conn.cursor()
    try:
        return _review(cur, text, file_name)
    finally:
        cur.close()


def import_835(conn: Connection, text: str, *, file_name: str = "remittance.835", user) -> Imported:
    """Post an 835: every claim payment that finds its claim and reads cleanly becomes that
    claim's answer (paid, allowed, CAS adjustments, status from the money, the payer's payment
    with its check/EFT trace number); the rest are recorded with their reason. ONE transaction."""

    def write(cur: Connection) -> Imported:
        actor = acting(cur, user, ACTION)
        review = _review(cur, text, file_name)
        r = review.remittance
        if not review.of("post") and cur.execute(
                "SELECT 1 FROM remittances WHERE payer_key = ? AND trace_number = ?",
                [r.payer_key, r.trace_number]).fetchone():
            raise ClinicError(f"This remittance (trace {r.trace_number}) was imported before: nothing new to post.",
                              field="file")
        (remittance_id,) = cur.execute(
            "INSERT INTO remittances (file_name, content, payer_name, payer_key, trace_number, method, payment_amount,"
            " paid_on, provider_adjustment_total, imported_at, imported_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " RETURNING id",
            [file_name[:200], text, r.payer_name, r.payer_key, r.trace_number, r.method, r.payment_amount, r.paid_on,
             r.provider_adjustment_total, now_utc(), actor.id]).fetchone()
        for plb in r.provider_adjustments:
            cur.execute("INSERT INTO remittance_provider_adjustments (remittance_id, reason_code, reference, amount)"
                        " VALUES (?, ?, ?, ?)", [remittance_id, plb.reason, plb.reference, plb.amount])
        received = min(r.paid_on, today(timezone_in(cur))) if r.paid_on else today(timezone_in(cur))
        posted = not_posted = 0
        for plan in review.planned:
            p = plan.payment
            answer_id, outcome, reason = None, plan.outcome, plan.reason
            if outcome == "post":
                answer_id = answer_in(cur, user, plan.claim_id, lines=plan.answers, received_on=received,
                                      remainder_to="auto", method=meaning.payment_method(r.method),
                                      reference=r.trace_number, source="835",
                                      note=f"835 from {r.payer_name or r.payer_key}, trace {r.trace_number}.")
                cur.execute("INSERT INTO remittance_postings (payer_key, trace_number, control_number, occurrence,"
                            " answer_id, remittance_id) VALUES (?, ?, ?, ?, ?, ?)",
                            [r.payer_key, r.trace_number, p.control_number, p.occurrence, answer_id, remittance_id])
                outcome = "posted"
                posted += 1
            else:
                not_posted += 1
            cur.execute(
                "INSERT INTO remittance_claims (remittance_id, position, control_number, status_code, charge, paid,"
                " patient_responsibility, payer_claim_number, claim_id, answer_id, outcome, reason)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [remittance_id, plan.position, p.control_number, p.status_code, p.charge, p.paid,
                 p.patient_responsibility, p.payer_claim_number, plan.claim_id, answer_id, outcome, reason])
        audit.record(cur, actor, "claim.remittance", "remittance", remittance_id,
                     detail={"file": file_name, "trace": r.trace_number, "payer": r.payer_key,
                             "amount": r.payment_amount, "posted": posted, "not_posted": not_posted})
        return Imported(remittance_id, review, posted, not_posted)

    return atomic(conn, write, attempts=ATTEMPTS)


# --- reading what was imported -------------------------------------------------------------------


@dataclass(frozen=True)
class RemittanceRow:
    id: int
    file_name: str
    payer_name: str | None
    trace_number: str
    method: str
    payment_amount: Decimal
    paid_on: date | None
    provider_adjustment_total: Decimal
    imported_at: datetime
    imported_by: str | None
    posted: int
    not_posted: int


@dataclass(frozen=True)
class RemittanceClaim:
    position: int
    control_number: str
    status_code: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal | None
    claim_id: int | None
    invoice_id: int | None
    outcome: str
    reason: str | None
    status_after: str | None  # the status the posted answer gave the claim


def list_remittances(conn: Connection, *, limit: int = 200) -> list[RemittanceRow]:
    """The 835s imported, newest first, with how many claim payments were posted and not."""
    rows = read(
        conn,
        "SELECT r.id, r.file_name, r.payer_name, r.trace_number, r.method, r.payment_amount, r.paid_on,"
        " r.provider_adjustment_total, r.imported_at, u.full_name,"
        " count(*) FILTER (WHERE rc.outcome = 'posted'), count(*) FILTER (WHERE rc.outcome <> 'posted')"
        " FROM remittances r LEFT JOIN users u ON u.id = r.imported_by"
        " LEFT JOIN remittance_claims rc ON rc.remittance_id = r.id"
        " GROUP BY ALL ORDER BY r.id DESC LIMIT ?", [limit])
    return [RemittanceRow(*r) for r in rows]


def remittance_claims(conn: Connection, remittance_id: int) -> list[RemittanceClaim]:
    rows = read(
        conn,
        "SELECT rc.position, rc.control_number, rc.status_code, rc.charge, rc.paid, rc.patient_responsibility,"
        " rc.claim_id, c.invoice_id, rc.outcome, rc.reason, a.status_after FROM remittance_claims rc"
        " LEFT JOIN claims c ON c.id = rc.claim_id LEFT JOIN claim_answers a ON a.id = rc.answer_id"
        " WHERE rc.remittance_id = ? ORDER BY rc.position",
        [remittance_id])
    if not rows and not read(conn, "SELECT 1 FROM remittances WHERE id = ?", [remittance_id]):
        raise NotFound("That remittance does not exist.")
    return [RemittanceClaim(*r) for r in rows]


def provider_adjustments(conn: Connection, remittance_id: int) -> list[tuple[str, str | None, Decimal]]:
    """The remittance's PLB adjustments: (reason code, reference, amount; positive reduced the payment)."""
    return read(conn, "SELECT reason_code, reference, amount FROM remittance_provider_adjustments"
                      " WHERE remittance_id = ? ORDER BY rowid", [remittance_id])


def summary(review: Review) -> str:
    r = review.remittance
    return (f"{r.payer_name or r.payer_key}, trace {r.trace_number}: payment {money_text(r.payment_amount)}, "
            f"{len(review.of('post'))} of {len(review.planned)} claim payments to post")
