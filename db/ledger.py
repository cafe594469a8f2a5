"""The money of invoices and patients' accounts: the locks every money write takes first, the
status refresh every money write ends with, and the reads of totals, credit and A/R aging.

Locks (see db/migrations/007_billing.sql): a write to an invoice's money first bumps
``invoices.version`` (:func:`lock_invoice`); a write that takes a patient's credit also bumps
``billing_accounts.version`` (:func:`lock_account`). Two clerks on the same invoice or the same
credit then conflict on that row, DuckDB rolls the loser back and ``db.atomic`` retries it on a
fresh snapshot that sees the winner's money. The bump must be the transaction's FIRST statement:
DuckDB's snapshot starts at the first statement, not at BEGIN.

Balances are never stored: they come from the ``invoice_balances`` and ``payment_balances`` views
(one formula, clinic.billing.balance), summed in SQL DECIMAL and handed back as ``Decimal``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

import duckdb

from clinic import billing
from clinic.errors import NotFound
from db import Connection, read, read_one

# One invoice's money: the rule of the view ``invoice_balances`` (migration 007) word for word,
# but each total filtered to the invoice FIRST (an index scan per table) instead of joining the
# view's per-invoice aggregates. The view pushes the filter down too, but builds a join tree of
# five hash joins for one row; this is about a third quicker. tests/db/test_ledger_money.py checks
# that both give the same money for every invoice: a change to the view must be made here too.
_MONEY_SQL = (
    "SELECT i.id, i.patient_id, i.status, i.version, i.service_date,"
    " CAST(coalesce(l.total, 0) AS DECIMAL(18, 2)),"
    " CAST(CASE WHEN i.status IN ('draft', 'void') THEN 0 ELSE coalesce(l.total, 0) END AS DECIMAL(18, 2)),"
    " CAST(coalesce(a.total, 0) AS DECIMAL(18, 2)),"
    " CAST(coalesce(j.total, 0) AS DECIMAL(18, 2)),"
    " CAST(coalesce(r.total, 0) AS DECIMAL(18, 2)),"
    " CAST(CASE WHEN i.status IN ('draft', 'void') THEN 0 ELSE coalesce(l.total, 0) END"
    "      - coalesce(a.total, 0) - coalesce(j.total, 0) + coalesce(r.total, 0) AS DECIMAL(18, 2))"
    " FROM invoices i,"
    " (SELECT sum(quantity * unit_price) AS total FROM invoice_lines WHERE invoice_id = $id) l,"
    " (SELECT sum(amount) AS total FROM payment_applications WHERE invoice_id = $id) a,"
    " (SELECT sum(amount) AS total FROM adjustments WHERE invoice_id = $id) j,"
    " (SELECT sum(amount) AS total FROM refunds WHERE invoice_id = $id) r"
    " WHERE i.id = $id"
)


@dataclass(frozen=True)
class InvoiceMoney:
    """An invoice's money as its transaction sees it (after the lock)."""

    id: int
    patient_id: int
    status: str
    version: int
    service_date: date
    lines_total: Decimal
    charges: Decimal
    payments: Decimal
    adjustments: Decimal
    refunds: Decimal
    balance: Decimal

    def paid(self, amount: Decimal) -> InvoiceMoney:
        """This money once ``amount`` more is applied to the invoice in the same transaction:
        the view's balance (charges - payments - adjustments + refunds) with ``amount`` more in
        payments. Only valid under :func:`lock_invoice`, which keeps every other write off it."""
        return replace(self, payments=self.payments + amount, balance=self.balance - amount)

    @property
    def totals(self) -> dict:
        return {"charges": self.charges, "payments": self.payments, "adjustments": self.adjustments,
                "refunds": self.refunds, "balance": self.balance, "status": self.status,
                "lines_total": self.lines_total}


def money_in(cur: Connection, invoice_id: int) -> InvoiceMoney:
    """The invoice's money read on ``cur`` (no lock). Raises NotFound."""
    row = cur.execute(_MONEY_SQL, {"id": invoice_id}).fetchone()
    if row is None:
        raise NotFound("That invoice does not exist.")
    return InvoiceMoney(*row)


def lock_invoice(cur: Connection, invoice_id: int) -> InvoiceMoney:
    """Bump the invoice's version (serialising every write to it) and return its money.
    Call it FIRST in the transaction. (UPDATE ... RETURNING fails on a row that foreign keys
    reference: bump, then read.)"""
    cur.execute("UPDATE invoices SET version = version + 1 WHERE id = ?", [invoice_id])
    return money_in(cur, invoice_id)


def lock_account(cur: Connection, patient_id: int) -> None:
    """Bump the patient's billing account (serialising every write that takes their credit),
    creating it on first use.

    Two first uses at once: the one that inserts second gets DuckDB's "duplicate key" (when the
    other has committed) or a failed COMMIT (when it has not). The first is turned into a conflict
    here, the second is one already, so db.atomic retries either and the retry finds the row.
    """
    (bumped,) = cur.execute("UPDATE billing_accounts SET version = version + 1 WHERE patient_id = ?",
                            [patient_id]).fetchone()
    if bumped:
        return
    try:
        cur.execute("INSERT INTO billing_accounts (patient_id, version) VALUES (?, 1)", [patient_id])
    except duckdb.ConstraintException as exc:
        raise duckdb.TransactionException(f"Conflict on billing account {patient_id}: created meanwhile") from exc


def refresh_status(cur: Connection, invoice_id: int, *, known: InvoiceMoney | None = None) -> InvoiceMoney:
    """Set the invoice's status from its money (clinic.billing.derive_status) after a change to it,
    in the same transaction. A negative balance fails here as a bug, rolling everything back.

    ``known``: the invoice's money as it stands now, when the caller has just worked it out under
    :func:`lock_invoice` (see :meth:`InvoiceMoney.paid`); otherwise it is read again."""
    money = known if known is not None else money_in(cur, invoice_id)
    wanted = billing.derive_status(money.status, money.charges, money.balance)
    if wanted != money.status:
        billing.check_move(money.status, wanted)
        cur.execute("UPDATE invoices SET status = ? WHERE id = ?", [wanted, invoice_id])
        # No need to read it all again: derive_status moves only between open, partially_paid and
        # paid, which count the same charges (only draft and void charge nothing), so the money is
        # what it was with the new status.
        money = replace(money, status=wanted)
    return money


def credit_pools(cur: Connection, patient_id: int, *, newest_first: bool = False) -> list[tuple[int, Decimal]]:
    """(payment id, unapplied amount) of the patient's payments that still hold credit, oldest
    first (or newest first: a refund goes back the way the latest money came)."""
    rows = cur.execute(
        "SELECT payment_id, unapplied FROM payment_balances WHERE patient_id = ? AND unapplied > 0"
        " ORDER BY received_at, payment_id",
        [patient_id],
    ).fetchall()
    return list(reversed(rows)) if newest_first else rows


def credit_in(cur: Connection, patient_id: int) -> Decimal:
    (total,) = cur.execute(
        "SELECT CAST(coalesce(sum(unapplied), 0) AS DECIMAL(18, 2)) FROM payment_balances WHERE patient_id = ?",
        [patient_id],
    ).fetchone()
    return total


# --- reads ---------------------------------------------------------------------------------------


def invoice_totals(conn: Connection, invoice_id: int) -> dict:
    """``charges``, ``payments``, ``adjustments``, ``refunds``, ``balance`` (Decimal, where balance =
    charges - payments - adjustments + refunds), ``status`` (str) and ``lines_total`` (Decimal:
    the lines' sum, also while draft). Raises NotFound."""
    cur = conn.cursor()
    try:
        return money_in(cur, invoice_id).totals
    finally:
        cur.close()


def patient_credit(conn: Connection, patient_id: int) -> Decimal:
    """The patient's credit: money received and neither applied to an invoice nor refunded."""
    cur = conn.cursor()
    try:
        return credit_in(cur, patient_id)
    finally:
        cur.close()


def patient_balance(conn: Connection, patient_id: int) -> Decimal:
    """What the patient's finalised invoices still owe in all (the file header's "balance due";
    credit is shown beside it, not netted: applying it is a clerk's action)."""
    row = read_one(
        conn,
        "SELECT CAST(coalesce(sum(balance), 0) AS DECIMAL(18, 2)) FROM patients_invoice_balances(?)"
        " WHERE list_contains(?, status)",
        [[patient_id], sorted(billing.OWING)],
    )
    return row[0]


def ar_aging(conn: Connection, *, as_of: date) -> dict[str, Decimal]:
    """Outstanding balances by days since the service date on ``as_of``: the five bucket keys of
    clinic.billing.AGING_KEYS plus ``total``. Balances are the current ones; a service date after
    ``as_of`` counts as ``0-30``. Summed per service date in SQL, bucketed in Decimal."""
    rows = read(
        conn,
        "SELECT service_date, CAST(sum(balance) AS DECIMAL(18, 2)) FROM invoice_balances"
        " WHERE list_contains(?, status) AND balance <> 0 GROUP BY service_date",
        [sorted(billing.OWING)],
    )
    return billing.age_balances(rows, as_of)
