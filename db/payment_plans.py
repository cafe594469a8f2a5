"""Payment plans: a patient's owed invoices split into instalments with due dates, what is left,
and which instalments are overdue (for the billing work list and the front desk's Inbox).

A plan stores its terms (total, frequency) and its instalments, never what was paid of each:
paid toward the plan = its total - what its invoices owe now, shared out oldest instalment
first by ``clinic.payment_plans.allocate``. So every payment, adjustment or applied credit on
those invoices counts, whoever posts it. Setting one up bumps each of its invoices (the
conflict point) so that one invoice never ends up in two active plans.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from clinic import billing, payment_plans
from clinic.errors import ClinicError, NotFound
from clinic.timeutil import now_utc, today
from db import Connection, atomic, audit, read, read_one
from db.actors import acting
from db.ledger import lock_invoice
from db.settings import DEFAULTS

ACTION = "billing.adjust"


@dataclass(frozen=True)
class Plan:
    id: int
    patient_id: int
    total: Decimal
    frequency: str
    status: str  # active or cancelled
    invoice_ids: tuple[int, ...]
    instalments: list[payment_plans.InstalmentState]

    @property
    def paid(self) -> Decimal:
        return sum((s.paid for s in self.instalments), Decimal("0.00"))

    @property
    def left(self) -> Decimal:
        return self.total - self.paid


# The patient's owed invoices that are on no active plan, with what each owes now.
_OWING_SQL = ("SELECT b.invoice_id, b.balance FROM patients_invoice_balances(?) b"
              " WHERE list_contains(?, b.status) AND b.balance > 0"
              " AND NOT EXISTS (SELECT 1 FROM payment_plan_invoices pi JOIN payment_plans p ON p.id = pi.plan_id"
              " WHERE pi.invoice_id = b.invoice_id AND p.status = 'active') ORDER BY b.invoice_id")


def create_plan(conn: Connection, *, patient_id: int, instalments: object, frequency: str, first_due: date, user,
                invoice_ids: Iterable[int] | None = None) -> int:
    """Put the patient's owed invoices (``invoice_ids``, or every owed invoice not yet in a plan)
    on a plan of ``instalments`` payments; returns the plan's id. The instalments add up exactly to
    what those invoices owe now."""
    wanted = sorted(set(invoice_ids)) if invoice_ids is not None else [
        i for i, _ in read(conn, _OWING_SQL, [[patient_id], sorted(billing.OWING)])]
    if not wanted:
        raise ClinicError("The patient owes nothing that could go on a plan.", field="invoices")

    def write(cur: Connection) -> int:
        monies = [lock_invoice(cur, invoice_id) for invoice_id in wanted]
        actor = acting(cur, user, ACTION)
        free = dict(cur.execute(_OWING_SQL, [[patient_id], sorted(billing.OWING)]).fetchall())
        for money in monies:
            if money.patient_id != patient_id or money.id not in free:
                raise ClinicError(f"Invoice {money.id} is not owed by this patient, or is already on a plan.",
                                  field="invoices")
        total = sum((free[m.id] for m in monies), Decimal("0.00"))
        tz_row = cur.execute("SELECT value FROM settings WHERE key = 'timezone'").fetchone()
        count = payment_plans.check_plan(total, instalments, frequency, first_due,
                                         today=today(tz_row[0] if tz_row else DEFAULTS["timezone"]))
        parts = payment_plans.split(total, count, frequency, first_due)
        (plan_id,) = cur.execute(
            "INSERT INTO payment_plans (patient_id, total, frequency, created_at, created_by) VALUES (?, ?, ?, ?, ?)"
            " RETURNING id", [patient_id, total, frequency, now_utc(), actor.id]).fetchone()
        for part in parts:
            cur.execute("INSERT INTO payment_plan_instalments (plan_id, number, due_date, amount) VALUES (?, ?, ?, ?)",
                        [plan_id, part.number, part.due, part.amount])
        for money in monies:
            cur.execute("INSERT INTO payment_plan_invoices (plan_id, invoice_id) VALUES (?, ?)", [plan_id, money.id])
        audit.record(cur, actor, "plan.create", "payment_plan", plan_id, patient_id,
                     detail={"total": total, "instalments": count, "frequency": frequency, "first_due": first_due,
                             "invoices": wanted})
        return plan_id

    return atomic(conn, write)


def cancel_plan(conn: Connection, plan_id: int, *, reason: str, user) -> None:
    """Stop a plan (its invoices are owed as usual again, and may go on a new plan)."""
    reason_ = billing.check_reason(reason, what="Say why the plan is cancelled.")

    def write(cur: Connection) -> None:
        row = cur.execute("SELECT patient_id, status FROM payment_plans WHERE id = ?", [plan_id]).fetchone()
        if row is None:
            raise NotFound("That payment plan does not exist.")
        actor = acting(cur, user, ACTION)
        if row[1] != "active":
            raise ClinicError("This plan is already cancelled.", field="plan")
        cur.execute("UPDATE payment_plans SET status = 'cancelled', cancelled_at = ?, cancelled_by = ?,"
                    " cancel_reason = ? WHERE id = ?", [now_utc(), actor.id, reason_, plan_id])
        audit.record(cur, actor, "plan.cancel", "payment_plan", plan_id, row[0], detail={"reason": reason_})

    atomic(conn, write)


# A plan has paid its total less what its invoices still owe. The balances are read for the chosen
# plans' patients only (macro patients_invoice_balances, 018, given their ids found first): through
# the view every invoice of the clinic was totalled (about 0.35 s for the Inbox's list of every
# active plan on the large clinic; now about 30 ms).
_PLANS_HEAD = (
    "SELECT p.id, p.patient_id, p.total, p.frequency, p.status,"
    " CAST(p.total - coalesce((SELECT sum(b.balance) FROM payment_plan_invoices pi"
    "  JOIN patients_invoice_balances($patients) b ON b.invoice_id = pi.invoice_id WHERE pi.plan_id = p.id), 0)"
    "  AS DECIMAL(18, 2)) AS paid"
    " FROM payment_plans p WHERE "
)
_PLANS_PATIENTS = "SELECT DISTINCT p.patient_id FROM payment_plans p WHERE "
# The three selections (fixed text, never built from input), each as (its patients, its plans).
_BY_ID, _FOR_PATIENT, _ACTIVE = "p.id = $v", "p.patient_id = $v AND p.status = 'active'", "p.status = 'active'"
_PLAN_BY_ID = (_PLANS_PATIENTS + _BY_ID, _PLANS_HEAD + _BY_ID + " ORDER BY p.id")
_ACTIVE_FOR_PATIENT = (_PLANS_PATIENTS + _FOR_PATIENT, _PLANS_HEAD + _FOR_PATIENT + " ORDER BY p.id")
_ALL_ACTIVE = (_PLANS_PATIENTS + _ACTIVE, _PLANS_HEAD + _ACTIVE + " ORDER BY p.id")


def _plans(conn: Connection, selection: tuple[str, str], value: int | None = None) -> list[Plan]:
    patients_sql, heads_sql = selection
    params = {"v": value} if "$v" in patients_sql else {}
    patient_ids = [p for (p,) in read(conn, patients_sql, params)]
    heads = read(conn, heads_sql, {**params, "patients": patient_ids}) if patient_ids else []
    if not heads:
        return []
    ids = [h[0] for h in heads]
    parts: dict[int, list[payment_plans.Instalment]] = {i: [] for i in ids}
    for plan_id, number, due, amount in read(
            conn, "SELECT plan_id, number, due_date, amount FROM payment_plan_instalments"
                  " WHERE list_contains(?, plan_id) ORDER BY plan_id, number", [ids]):
        parts[plan_id].append(payment_plans.Instalment(number, due, amount))
    invoices: dict[int, list[int]] = {i: [] for i in ids}
    for plan_id, invoice_id in read(conn, "SELECT plan_id, invoice_id FROM payment_plan_invoices"
                                          " WHERE list_contains(?, plan_id) ORDER BY invoice_id", [ids]):
        invoices[plan_id].append(invoice_id)
    return [Plan(pid, patient, total, freq, status, tuple(invoices[pid]), payment_plans.allocate(parts[pid], paid))
            for pid, patient, total, freq, status, paid in heads]


def get_plan(conn: Connection, plan_id: int) -> Plan:
    found = _plans(conn, _PLAN_BY_ID, plan_id)
    if not found:
        raise NotFound("That payment plan does not exist.")
    return found[0]


def active_plans_for(conn: Connection, patient_id: int) -> list[Plan]:
    return _plans(conn, _ACTIVE_FOR_PATIENT, patient_id)


def overdue_instalments(conn: Connection, *, as_of: date) -> list[tuple[int, int, int, date, Decimal]]:
    """(plan id, patient id, instalment number, due date, left) for every instalment of an active
    plan due before ``as_of`` and not fully paid, oldest due first."""
    out = []
    for plan in _plans(conn, _ALL_ACTIVE):
        out += [(plan.id, plan.patient_id, s.number, s.due, s.left)
                for s in payment_plans.overdue(plan.instalments, as_of)]
    return sorted(out, key=lambda r: (r[3], r[0], r[2]))


def plan_of_invoice(conn: Connection, invoice_id: int) -> int | None:
    row = read_one(conn, "SELECT p.id FROM payment_plan_invoices pi JOIN payment_plans p ON p.id = pi.plan_id"
                         " WHERE pi.invoice_id = ? AND p.status = 'active'", [invoice_id])
    return row[0] if row else None
