"""Posting an insurer's answer to a claim (an EOB typed in), and reading a claim's answers.

One answer is ONE transaction that first locks the invoice (``db.ledger.lock_invoice``: the
conflict point for its money) and then the claim: the answer, its lines and their CARC
adjustments; the paid amounts as the insurer's payment applied to the invoice (``db.payments``
internals); the CO/PI contractual reductions as one ``contractual`` adjustment; the claim's new
status with its event; and, when the clerk sends the rest there, the secondary claim. What an
answer means (adds up, status after, money) is decided in :mod:`clinic.claims`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from clinic import billing, carc
from clinic import claims as rules
from clinic.claims import Adjustment, LineAnswer  # noqa: F401 - callers build answers from here too
from clinic.errors import ClinicError, NotFound
from clinic.money import ZERO, money_text
from clinic.timeutil import now_utc, today
from db import Connection, atomic, audit, read, read_one
from db.actors import acting
from db.claims import ACTION, coverage_in, create_in, event_in, lock_claim_in, timezone_in
from db.ledger import lock_invoice, refresh_status
from db.payments import ATTEMPTS, _apply, _insert_payment


@dataclass(frozen=True)
class AnswerLine:
    claim_line_id: int
    position: int
    code: str
    charge: Decimal
    allowed: Decimal
    paid: Decimal
    adjustments: tuple[tuple[str, str, Decimal, str | None], ...]  # (group, reason, amount, note)


@dataclass(frozen=True)
class Answer:
    id: int
    claim_id: int
    received_on: date
    payment_id: int | None
    remainder_to: str
    status_after: str
    note: str | None
    posted_at: datetime
    posted_by: str | None
    lines: tuple[AnswerLine, ...]

    @property
    def paid(self) -> Decimal:
        return sum((line.paid for line in self.lines), ZERO)


def claim_answers(conn: Connection, claim_id: int) -> list[Answer]:
    """The insurer's answers to the claim, oldest first, with their lines and adjustments."""
    heads = read(
        conn,
        "SELECT a.id, a.claim_id, a.received_on, a.payment_id, a.remainder_to, a.status_after, a.note, a.posted_at,"
        " u.full_name FROM claim_answers a LEFT JOIN users u ON u.id = a.posted_by WHERE a.claim_id = ?"
        " ORDER BY a.posted_at, a.id",
        [claim_id],
    )
    lines = read(
        conn,
        "SELECT la.answer_id, la.id, la.claim_line_id, l.position, l.code, l.charge, la.allowed, la.paid"
        " FROM claim_line_answers la JOIN claim_lines l ON l.id = la.claim_line_id"
        " JOIN claim_answers a ON a.id = la.answer_id WHERE a.claim_id = ? ORDER BY l.position",
        [claim_id],
    )
    adjustments = read(
        conn,
        "SELECT j.line_answer_id, j.group_code, j.reason_code, j.amount, j.note FROM claim_line_adjustments j"
        " JOIN claim_line_answers la ON la.id = j.line_answer_id JOIN claim_answers a ON a.id = la.answer_id"
        " WHERE a.claim_id = ? ORDER BY j.line_answer_id, j.group_code, j.reason_code",
        [claim_id],
    )
    by_line: dict[int, list] = {}
    for line_answer_id, *adj in adjustments:
        by_line.setdefault(line_answer_id, []).append(tuple(adj))
    by_answer: dict[int, list[AnswerLine]] = {}
    for answer_id, line_answer_id, claim_line_id, position, code, charge, allowed, paid in lines:
        by_answer.setdefault(answer_id, []).append(
            AnswerLine(claim_line_id, position, code, charge, allowed, paid, tuple(by_line.get(line_answer_id, ()))))
    return [Answer(*h, tuple(by_answer.get(h[0], ()))) for h in heads]


# --- the insurer's answer ------------------------------------------------------------------------


def _latest_answer_money(cur: Connection, claim_id: int) -> tuple[Decimal, Decimal]:
    """(paid, written off) of the claim's latest answer: a later answer restates the claim."""
    row = cur.execute(
        "SELECT CAST(coalesce((SELECT sum(paid) FROM claim_line_answers WHERE answer_id = a.id), 0) AS DECIMAL(12, 2)),"
        " CAST(coalesce((SELECT sum(j.amount) FROM claim_line_adjustments j JOIN claim_line_answers la"
        "   ON la.id = j.line_answer_id WHERE la.answer_id = a.id AND list_contains($groups, j.group_code)"
        "   AND list_contains($reasons, j.reason_code)), 0) AS DECIMAL(12, 2))"
        " FROM claim_answers a WHERE a.claim_id = $claim ORDER BY a.posted_at DESC, a.id DESC LIMIT 1",
        {"groups": sorted(rules.WRITE_OFF_GROUPS), "reasons": sorted(rules.REDUCTION_REASONS), "claim": claim_id},
    ).fetchone()
    return (row[0], row[1]) if row else (ZERO, ZERO)


def _answer_summary(checked: rules.CheckedAnswer, money: rules.AnswerMoney, remainder: str) -> str:
    parts = [f"Paid {money_text(money.paid)}"]
    if money.write_off:
        parts.append(f"written off {money_text(money.write_off)}")
    if checked.denied_amount:
        parts.append(f"denied {money_text(checked.denied_amount)} ({', '.join(checked.denial_reasons())})")
    if checked.patient_share:
        parts.append(f"patient's share {money_text(checked.patient_share)}")
    if remainder == "secondary":
        parts.append("rest to the secondary insurer")
    elif remainder == "patient":
        parts.append("rest to the patient")
    return "; ".join(parts) + "."


def post_answer(conn: Connection, claim_id: int, *, lines: Sequence[LineAnswer], received_on: date,
                remainder_to: str, user, note: str = "", method: str = "eft", reference: str = "") -> int:
    """Post the insurer's answer (an EOB typed in) line by line; returns the answer's id.

    In ONE transaction, after locking the invoice: the answer and its lines and adjustments; what
    was paid as the insurer's payment applied to the invoice (``method``, ``reference``: the check
    or EFT number); the CO/PI amounts as one ``contractual`` adjustment naming the reasons; PR
    and OA amounts stay owed; the claim's status from the answer (paid / partially_paid /
    denied); and for ``remainder_to='secondary'`` the claim to the patient's second insurer.
    Refused, writing nothing: a line that does not add up (charge = paid + adjustments), a bad
    amount or reason (each named by its field, see ``clinic.claims.line_field``), a claim not
    waiting for an answer, more paid than the invoice owes, a remainder with nowhere to go."""
    if not isinstance(received_on, date):
        raise ClinicError("Enter the date the answer was received.", field="received_on")
    method_ = billing.check_method(method)
    if read_one(conn, "SELECT 1 FROM claims WHERE id = ?", [claim_id]) is None:
        raise NotFound("That claim does not exist.")

    def write(cur: Connection) -> int:
        return answer_in(cur, user, claim_id, lines=lines, received_on=received_on, remainder_to=remainder_to,
                         note=note, method=method_, reference=reference)

    return atomic(conn, write, attempts=ATTEMPTS)


def answer_in(cur: Connection, user, claim_id: int, *, lines: Sequence[LineAnswer], received_on: date,
              remainder_to: str, note: str = "", method: str = "eft", reference: str = "",
              source: str = "manual") -> int:
    """:func:`post_answer`'s work on the caller's transaction (the 835 import posts many claims in
    one). Every check runs before the first row is written (only the invoice's and the claim's
    version bumps come first), so a refusal leaves nothing of this answer behind. ``source``
    '835' accepts any well-formed CARC code and ``remainder_to='auto'``."""
    note_ = " ".join((note or "").split())[:300] or None
    row = cur.execute("SELECT invoice_id FROM claims WHERE id = ?", [claim_id]).fetchone()
    if row is None:
        raise NotFound("That claim does not exist.")
    invoice_id = row[0]
    money = lock_invoice(cur, invoice_id)
    actor = acting(cur, user, ACTION)
    status, _invoice, patient_id = lock_claim_in(cur, claim_id)
    if received_on > today(timezone_in(cur)):
        raise ClinicError("The date received cannot be in the future.", field="received_on")
    rank, payer_id, control = cur.execute("SELECT rank, payer_id, control_number FROM claims WHERE id = ?",
                                          [claim_id]).fetchone()
    charges = {line_id: (position, charge) for line_id, position, charge in cur.execute(
        "SELECT id, position, charge FROM claim_lines WHERE claim_id = ?", [claim_id]).fetchall()}
    checked = rules.check_answer(charges, lines, any_code=source == "835")
    rules.check_answer_move(status, checked.status_after)
    billing.check_takes_money(money.status)
    paid_before, write_off_before = _latest_answer_money(cur, claim_id)
    posted = rules.answer_money(checked, balance=money.balance, paid_before=paid_before,
                                write_off_before=write_off_before)
    has_secondary = rank == 1 and coverage_in(cur, patient_id, 2) is not None
    if remainder_to == "auto":
        has_secondary = has_secondary and cur.execute(
            "SELECT 1 FROM claims WHERE invoice_id = ? AND rank = 2", [invoice_id]).fetchone() is None
    remainder = rules.check_remainder(remainder_to, balance_after=posted.balance_after, has_secondary=has_secondary)

    payment_id = None
    if posted.paid > 0:
        payment_id = _insert_payment(cur, actor, patient_id=patient_id, source="insurer", payer_id=payer_id,
                                     method=method, reference=" ".join(reference.split())[:100] or control,
                                     amount=posted.paid)
        _apply(cur, actor, payment_id, invoice_id, posted.paid)
    if posted.write_off > 0:
        reasons = list(dict.fromkeys(f"{a.group}-{a.reason}" for a in checked.write_offs()))
        cur.execute(
            "INSERT INTO adjustments (invoice_id, kind, amount, reason, adjusted_at, adjusted_by)"
            " VALUES (?, 'contractual', ?, ?, ?, ?)",
            [invoice_id, posted.write_off,
             f"Insurer's answer to claim {control}: " + "; ".join(carc.label(*r.split("-")) for r in reasons),
             now_utc(), actor.id],
        )
    after = refresh_status(cur, invoice_id)

    (answer_id,) = cur.execute(
        "INSERT INTO claim_answers (claim_id, received_on, source, payment_id, remainder_to, status_after, note,"
        " posted_at, posted_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [claim_id, received_on, source, payment_id, remainder, checked.status_after, note_, now_utc(), actor.id],
    ).fetchone()
    for line in checked.lines:
        (line_answer_id,) = cur.execute(
            "INSERT INTO claim_line_answers (answer_id, claim_line_id, allowed, paid) VALUES (?, ?, ?, ?)"
            " RETURNING id", [answer_id, line.claim_line_id, line.allowed, line.paid]).fetchone()
        for adj in line.adjustments:
            cur.execute("INSERT INTO claim_line_adjustments (line_answer_id, group_code, reason_code, amount, note)"
                        " VALUES (?, ?, ?, ?, ?)", [line_answer_id, adj.group, adj.reason, adj.amount, adj.note])
    cur.execute("UPDATE claims SET status = ?, answered_at = ? WHERE id = ?",
                [checked.status_after, now_utc(), claim_id])
    summary = _answer_summary(checked, posted, remainder)
    event_in(cur, actor, claim_id, status, checked.status_after, summary + (f" {note_}" if note_ else ""))
    secondary_id = None
    if remainder == "secondary":
        try:
            secondary_id = create_in(cur, actor, after, 2)
        except ClinicError as exc:
            raise ClinicError(str(exc), field="remainder_to") from exc
    audit.record(cur, actor, "claim.answer", "claim", claim_id, patient_id,
                 detail={"answer_id": answer_id, "source": source, "status": checked.status_after,
                         "paid": posted.paid, "payment_id": payment_id, "write_off": posted.write_off,
                         "write_off_not_posted": posted.not_written_off,
                         "patient_share": checked.patient_share, "remainder_to": remainder,
                         "secondary_claim_id": secondary_id, "invoice_status": after.status,
                         "reasons": checked.reasons()})
    return answer_id
