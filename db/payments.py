"""Money posted against invoices: patient and insurer payments, payments on account, adjustments,
applying a patient's credit, refunding credit, and reversing a payment.

Each is ONE user action in ONE transaction (``db.atomic``) with its audit row, following the
actor pattern. Conflict points (``db.ledger``): every write to an invoice's money first bumps that
invoice's version; every write that TAKES credit (applying it, refunding it, reversing a payment)
first bumps the patient's billing account. A payment only ever adds credit, so it needs no account
lock: a concurrent credit application cannot see it and so cannot spend it.

Amounts go through :func:`clinic.money.parse_amount` BEFORE the transaction: a bad amount
(negative, zero, more than 2 decimals, text, NaN, Infinity) raises ``BadAmount`` and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from clinic import billing
from clinic.errors import BadAmount, ClinicError, NotEnoughCredit, NotFound
from clinic.money import money_text, parse_amount
from clinic.timeutil import now_utc
from db import Connection, atomic, audit, read_one
from db.actors import Actor, acting
from db.ledger import credit_pools, lock_account, lock_invoice, refresh_status

# Many clerks (or a burst of check-outs) on one invoice serialise on its row: give the losers of
# that race more retries than the default before telling them the system is busy.
ATTEMPTS = 40


@dataclass(frozen=True)
class Payment:
    id: int
    patient_id: int
    source: str
    payer_id: int | None
    method: str
    reference: str | None
    amount: Decimal
    received_at: datetime
    applied: Decimal
    refunded_from_credit: Decimal
    unapplied: Decimal


def get_payment(conn: Connection, payment_id: int) -> Payment:
    row = read_one(
        conn,
        "SELECT p.id, p.patient_id, p.source, p.payer_id, p.method, p.reference, p.amount, p.received_at, b.applied,"
        " b.refunded_from_credit, b.unapplied FROM payments p JOIN payment_balances b ON b.payment_id = p.id"
        " WHERE p.id = ?",
        [payment_id],
    )
    if row is None:
        raise NotFound("That payment does not exist.")
    return Payment(*row)


def _reference(text: str | None) -> str | None:
    return " ".join((text or "").split())[:100] or None


def _insert_payment(cur: Connection, actor: Actor, *, patient_id: int, source: str, payer_id: int | None,
                    method: str, reference: str | None, amount: Decimal) -> int:
    (payment_id,) = cur.execute(
        "INSERT INTO payments (patient_id, source, payer_id, method, reference, amount, received_at, received_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [patient_id, source, payer_id, method, reference, amount, now_utc(), actor.id],
    ).fetchone()
    return payment_id


def _apply(cur: Connection, actor: Actor, payment_id: int, invoice_id: int, amount: Decimal, *,
           from_credit: bool = False) -> None:
    cur.execute(
        "INSERT INTO payment_applications (payment_id, invoice_id, amount, from_credit, applied_at, applied_by)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [payment_id, invoice_id, amount, from_credit, now_utc(), actor.id],
    )


def post_patient_payment(conn: Connection, *, invoice_id: int, amount: object, method: str, user,
                         reference: str = "") -> int:
    """A patient's payment on an invoice; returns the payment's id. What is due is applied, the
    rest goes on the patient's credit (all of it when the invoice is already paid). ``amount`` is a
    Decimal or text as typed; a bad one raises BadAmount and writes nothing. Refused on a draft or
    a void invoice (InvoiceNotPayable)."""
    amount_ = parse_amount(amount, field="amount")
    method_ = billing.check_method(method)
    reference_ = _reference(reference)

    def write(cur: Connection) -> int:
        money = lock_invoice(cur, invoice_id)
        actor = acting(cur, user, "billing.payment")
        billing.check_takes_money(money.status)
        applied, to_credit = billing.split_payment(amount_, money.balance)
        payment_id = _insert_payment(cur, actor, patient_id=money.patient_id, source="patient", payer_id=None,
                                     method=method_, reference=reference_, amount=amount_)
        if applied > 0:
            _apply(cur, actor, payment_id, invoice_id, applied)
        # Under the lock only this transaction changes the invoice's money: no need to read it again.
        after = refresh_status(cur, invoice_id, known=money.paid(applied))
        audit.record(cur, actor, "payment.post", "payment", payment_id, money.patient_id,
                     detail={"invoice_id": invoice_id, "amount": amount_, "applied": applied, "to_credit": to_credit,
                             "method": method_, "reference": reference_, "status": after.status})
        return payment_id

    return atomic(conn, write, attempts=ATTEMPTS)


def post_payment_on_account(conn: Connection, *, patient_id: int, amount: object, method: str, user,
                            reference: str = "") -> int:
    """A patient's payment not tied to an invoice (e.g. at check-out, before the invoice is
    finalised): all of it is credit, applied later with :func:`apply_credit`. Returns its id."""
    amount_ = parse_amount(amount, field="amount")
    method_ = billing.check_method(method)
    reference_ = _reference(reference)

    def write(cur: Connection) -> int:
        actor = acting(cur, user, "billing.payment")
        if cur.execute("SELECT 1 FROM patients WHERE id = ?", [patient_id]).fetchone() is None:
            raise ClinicError("Choose a patient.", field="patient")
        payment_id = _insert_payment(cur, actor, patient_id=patient_id, source="patient", payer_id=None,
                                     method=method_, reference=reference_, amount=amount_)
        audit.record(cur, actor, "payment.on_account", "payment", payment_id, patient_id,
                     detail={"amount": amount_, "method": method_, "reference": reference_})
        return payment_id

    return atomic(conn, write)


def post_insurer_payment(conn: Connection, *, invoice_id: int, payer_id: int, amount: object, method: str, user,
                         reference: str = "") -> int:
    """What an insurer paid on an invoice; returns the payment's id. An insurer's payment is never
    credit: more than the balance due is refused (BadAmount), to be returned to the insurer."""
    amount_ = parse_amount(amount, field="amount")
    method_ = billing.check_method(method)
    reference_ = _reference(reference)

    def write(cur: Connection) -> int:
        money = lock_invoice(cur, invoice_id)
        actor = acting(cur, user, "billing.claim")
        if cur.execute("SELECT 1 FROM payers WHERE id = ? AND kind <> 'self_pay'", [payer_id]).fetchone() is None:
            raise ClinicError("Choose the insurer that paid.", field="payer")
        billing.check_owing(money.status, money.balance)
        billing.check_not_over(amount_, money.balance, what="the balance due")
        payment_id = _insert_payment(cur, actor, patient_id=money.patient_id, source="insurer", payer_id=payer_id,
                                     method=method_, reference=reference_, amount=amount_)
        _apply(cur, actor, payment_id, invoice_id, amount_)
        after = refresh_status(cur, invoice_id, known=money.paid(amount_))
        audit.record(cur, actor, "payment.insurer", "payment", payment_id, money.patient_id,
                     detail={"invoice_id": invoice_id, "payer_id": payer_id, "amount": amount_, "method": method_,
                             "reference": reference_, "status": after.status})
        return payment_id

    return atomic(conn, write, attempts=ATTEMPTS)


def adjust_invoice(conn: Connection, *, invoice_id: int, kind: str, amount: object, reason: str, user) -> int:
    """Reduce what an invoice owes (contractual, write_off, bad_debt, small_balance, courtesy) with a
    reason; returns the adjustment's id. More than the balance due is refused (BadAmount)."""
    kind_ = billing.check_adjustment_kind(kind)
    amount_ = parse_amount(amount, field="amount")
    reason_ = billing.check_reason(reason, what="Say why the invoice is adjusted.")

    def write(cur: Connection) -> int:
        money = lock_invoice(cur, invoice_id)
        actor = acting(cur, user, "billing.adjust")
        billing.check_owing(money.status, money.balance)
        billing.check_not_over(amount_, money.balance, what="the balance due")
        (adjustment_id,) = cur.execute(
            "INSERT INTO adjustments (invoice_id, kind, amount, reason, adjusted_at, adjusted_by)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [invoice_id, kind_, amount_, reason_, now_utc(), actor.id],
        ).fetchone()
        after = refresh_status(cur, invoice_id)
        audit.record(cur, actor, "invoice.adjust", "invoice", invoice_id, money.patient_id,
                     detail={"adjustment_id": adjustment_id, "kind": kind_, "amount": amount_, "reason": reason_,
                             "status": after.status})
        return adjustment_id

    return atomic(conn, write, attempts=ATTEMPTS)


def apply_credit(conn: Connection, *, invoice_id: int, user, amount: object = None) -> Decimal:
    """Apply the patient's credit to an invoice (``amount``, or as much as both allow); returns the
    amount applied. It is taken from the payments that left credit, oldest first."""
    amount_ = None if amount is None else parse_amount(amount, field="amount")

    def write(cur: Connection) -> Decimal:
        money = lock_invoice(cur, invoice_id)
        actor = acting(cur, user, "billing.adjust")
        billing.check_owing(money.status, money.balance)
        lock_account(cur, money.patient_id)
        pools = credit_pools(cur, money.patient_id)
        credit = sum((p for _, p in pools), Decimal("0.00"))
        if credit <= 0:
            raise NotEnoughCredit("The patient has no credit to apply.")
        wanted = amount_ if amount_ is not None else min(credit, money.balance)
        billing.check_not_over(wanted, money.balance, what="the balance due")
        if wanted > credit:
            raise NotEnoughCredit(f"The patient's credit is only {money_text(credit)}.")
        taken = billing.draw(pools, wanted)
        for payment_id, part in taken:
            _apply(cur, actor, payment_id, invoice_id, part, from_credit=True)
        after = refresh_status(cur, invoice_id)
        audit.record(cur, actor, "credit.apply", "invoice", invoice_id, money.patient_id,
                     detail={"amount": wanted, "from_payments": [p for p, _ in taken], "status": after.status})
        return wanted

    return atomic(conn, write, attempts=ATTEMPTS)


def refund_credit(conn: Connection, *, patient_id: int, amount: object, method: str, reason: str, user) -> Decimal:
    """Give back part or all of the patient's credit, with a reason; returns the amount. It comes
    from the payments that left credit, newest first."""
    amount_ = parse_amount(amount, field="amount")
    method_ = billing.check_method(method)
    reason_ = billing.check_reason(reason, what="Say why the credit is refunded.")

    def write(cur: Connection) -> Decimal:
        lock_account(cur, patient_id)
        actor = acting(cur, user, "billing.adjust")
        pools = credit_pools(cur, patient_id, newest_first=True)
        credit = sum((p for _, p in pools), Decimal("0.00"))
        if amount_ > credit:
            raise NotEnoughCredit(f"The patient's credit is only {money_text(credit)}.")
        taken = billing.draw(pools, amount_)
        for payment_id, part in taken:
            _refund(cur, actor, payment_id, None, part, method_, reason_)
        audit.record(cur, actor, "credit.refund", "patient", patient_id, patient_id,
                     detail={"amount": amount_, "method": method_, "reason": reason_,
                             "from_payments": [p for p, _ in taken]})
        return amount_

    return atomic(conn, write, attempts=ATTEMPTS)


def _refund(cur: Connection, actor: Actor, payment_id: int, invoice_id: int | None, amount: Decimal, method: str,
            reason: str) -> None:
    cur.execute(
        "INSERT INTO refunds (payment_id, invoice_id, amount, method, reason, refunded_at, refunded_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [payment_id, invoice_id, amount, method, reason, now_utc(), actor.id],
    )


def reverse_payment(conn: Connection, payment_id: int, *, reason: str, user) -> Decimal:
    """Give back everything still held of a payment (a bounced check, a payment posted to the wrong
    patient): what it paid on each invoice (those invoices owe it again) and what it left as
    credit. Returns the amount given back; refused when nothing is left of it."""
    reason_ = billing.check_reason(reason, what="Say why the payment is reversed.")
    row = read_one(conn, "SELECT patient_id FROM payments WHERE id = ?", [payment_id])
    if row is None:
        raise NotFound("That payment does not exist.")
    patient_id = row[0]

    def write(cur: Connection) -> Decimal:
        # The account first: every other write that spends this payment (applying its credit)
        # bumps it too, so the applications read below cannot change before COMMIT.
        lock_account(cur, patient_id)
        actor = acting(cur, user, "billing.adjust")
        method, unapplied = cur.execute(
            "SELECT method, unapplied FROM payment_balances WHERE payment_id = ?", [payment_id]).fetchone()
        held = cur.execute(
            "SELECT a.invoice_id, a.total - coalesce(r.total, 0) FROM"
            " (SELECT invoice_id, sum(amount) AS total FROM payment_applications WHERE payment_id = $p"
            "  GROUP BY invoice_id) a LEFT JOIN"
            " (SELECT invoice_id, sum(amount) AS total FROM refunds WHERE payment_id = $p AND invoice_id IS NOT NULL"
            "  GROUP BY invoice_id) r ON r.invoice_id = a.invoice_id ORDER BY a.invoice_id",
            {"p": payment_id}).fetchall()
        total = Decimal("0.00")
        for invoice_id, net in held:
            lock_invoice(cur, invoice_id)
            if net > 0:
                _refund(cur, actor, payment_id, invoice_id, net, method, reason_)
                refresh_status(cur, invoice_id)
                total += net
        if unapplied > 0:
            _refund(cur, actor, payment_id, None, unapplied, method, reason_)
            total += unapplied
        if total <= 0:
            raise BadAmount("Nothing is left of this payment to give back.", field="payment")
        audit.record(cur, actor, "payment.reverse", "payment", payment_id, patient_id,
                     detail={"amount": total, "reason": reason_, "invoices": [i for i, n in held if n > 0]})
        return total

    return atomic(conn, write, attempts=ATTEMPTS)
