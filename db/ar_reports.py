"""Who owes what, and for how long: the A/R aging report split into insurance and patient A/R and
by payer, the Home tiles (unpaid invoices, claims awaiting an answer), one patient's ledger with
its running balance, balances of the patients on a day's schedule, and the payment-plan
instalments the front desk should call about.

Every balance comes from the ``invoice_balances`` view (007) and every "who owes it" from the
``invoice_ar`` view (008), so these reports agree with ``db.billing.ar_aging`` and the invoice
ledger to the cent. Money is summed in SQL DECIMAL and bucketed in Decimal
(``clinic.billing.age_balances``): each split's buckets add up to its total, and the insurance and
patient totals add up to the clinic's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from clinic import billing, payment_plans
from clinic.money import ZERO
from db import Connection, read, read_one
from db.billing import claims_awaiting_count, claims_awaiting_total
from db.ledger import patient_balance, patient_credit
from db.payment_plans import Plan, active_plans_for, overdue_instalments

RESPONSIBILITIES = ("insurance", "patient")
PATIENT_ROW = "Patients"  # the by-payer table's row for what patients owe themselves

# --- A/R aging -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgingSplit:
    """The aging buckets (plus ``total``) of insurance A/R, patient A/R and both together."""

    insurance: dict[str, Decimal]
    patient: dict[str, Decimal]
    total: dict[str, Decimal]


def aging_split(conn: Connection, *, as_of: date) -> AgingSplit:
    """A/R by days since the service date on ``as_of``, split by who owes it (view invoice_ar).
    ``total`` equals ``db.billing.ar_aging(conn, as_of=as_of)`` bucket by bucket."""
    rows = read(conn, "SELECT responsibility, service_date, CAST(sum(balance) AS DECIMAL(18, 2)) FROM invoice_ar"
                      " GROUP BY responsibility, service_date")
    split = {who: billing.age_balances([(d, b) for r, d, b in rows if r == who], as_of) for who in RESPONSIBILITIES}
    total = {key: split["insurance"][key] + split["patient"][key] for key in (*billing.AGING_KEYS, "total")}
    return AgingSplit(split["insurance"], split["patient"], total)


@dataclass(frozen=True)
class PayerAging:
    payer_id: int | None  # None: the patients' own row
    name: str
    responsibility: str  # insurance or patient
    invoices: int
    buckets: dict[str, Decimal]  # the five bucket keys plus ``total``

    @property
    def total(self) -> Decimal:
        return self.buckets["total"]


def aging_by_payer(conn: Connection, *, as_of: date) -> list[PayerAging]:
    """Insurance A/R per payer (largest first), then one row for what patients owe themselves.
    The rows' totals add up to the clinic's A/R total."""
    rows = read(
        conn,
        "SELECT a.payer_id, coalesce(p.name, 'Payer ' || a.payer_id), a.service_date,"
        " CAST(sum(a.balance) AS DECIMAL(18, 2)), count(*) FROM invoice_ar a LEFT JOIN payers p ON p.id = a.payer_id"
        " WHERE a.responsibility = 'insurance' GROUP BY a.payer_id, p.name, a.service_date",
    )
    names: dict[int, str] = {}
    dated: dict[int, list[tuple[date, Decimal]]] = {}
    counts: dict[int, int] = {}
    for payer_id, name, service_date, balance, n in rows:
        names[payer_id] = name
        dated.setdefault(payer_id, []).append((service_date, balance))
        counts[payer_id] = counts.get(payer_id, 0) + n
    out = [PayerAging(pid, names[pid], "insurance", counts[pid], billing.age_balances(dated[pid], as_of))
           for pid in dated]
    out.sort(key=lambda r: (-r.total, r.name.lower()))
    patient_rows = read(conn, "SELECT service_date, CAST(sum(balance) AS DECIMAL(18, 2)), count(*) FROM invoice_ar"
                              " WHERE responsibility = 'patient' GROUP BY service_date")
    if patient_rows:
        out.append(PayerAging(None, PATIENT_ROW, "patient", sum(n for _, _, n in patient_rows),
                              billing.age_balances([(d, b) for d, b, _ in patient_rows], as_of)))
    return out


# --- Home tiles ----------------------------------------------------------------------------------


def unpaid_invoices_summary(conn: Connection) -> tuple[int, Decimal]:
    """(how many finalised invoices still owe something, what they owe in all)."""
    count, total = read_one(
        conn,
        "SELECT count(*), CAST(coalesce(sum(balance), 0) AS DECIMAL(18, 2)) FROM invoice_balances"
        " WHERE list_contains(?, status) AND balance > 0",
        [sorted(billing.OWING)],
    )
    return count, total


def claims_awaiting_summary(conn: Connection) -> tuple[int, Decimal]:
    """(claims sent and not yet answered: submitted, accepted, appealed; what they bill in all),
    as db.claims counts them."""
    return claims_awaiting_count(conn), claims_awaiting_total(conn)


# --- one patient's ledger ------------------------------------------------------------------------

# Kinds of ledger line: what changed the balance due (``amount``) and the credit (``credit_change``).
CHARGE, PAYMENT, INSURER_PAYMENT, CREDIT_APPLIED, ADJUSTMENT, REFUND, CREDIT_REFUND = (
    "charge", "payment", "insurer_payment", "credit_applied", "adjustment", "refund", "credit_refund")
KIND_LABELS = {CHARGE: "Charge", PAYMENT: "Payment", INSURER_PAYMENT: "Insurance payment",
               CREDIT_APPLIED: "Credit applied", ADJUSTMENT: "Adjustment", REFUND: "Payment given back",
               CREDIT_REFUND: "Credit refunded"}


@dataclass(frozen=True)
class LedgerLine:
    """One event on a patient's account. ``amount`` is what it did to the balance due (+ owes more,
    - owes less); ``credit_change`` what it did to their credit. ``balance`` and ``credit`` run."""

    at: datetime
    kind: str
    invoice_id: int | None
    detail: str
    amount: Decimal
    credit_change: Decimal
    balance: Decimal
    credit: Decimal

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


# One row per event (money in SQL DECIMAL), then running sums in SQL. A patient's payment shows
# once: what it paid on its invoice at the time lowers the balance, the rest becomes credit.
# Credit applied later (from_credit) moves money from credit to an invoice. Insurer payments are
# always applied in full. Charges count from finalising (a draft or void invoice charges nothing).
_LEDGER_SQL = """
WITH events AS (
    SELECT i.finalized_at AS happened_at, 1 AS ord, 'charge' AS kind, i.id AS invoice_id,
           NULL AS sub, 'Visit of ' || strftime(i.service_date, '%m/%d/%Y') AS note,
           b.charges AS amount, CAST(0 AS DECIMAL(18, 2)) AS credit_change, i.id AS ref
    FROM invoices i JOIN patients_invoice_balances([$p]) b ON b.invoice_id = i.id
    WHERE i.patient_id = $p AND list_contains($charged, i.status) AND i.finalized_at IS NOT NULL
    UNION ALL
    SELECT p.received_at, 2,
           CASE WHEN p.source = 'insurer' THEN 'insurer_payment' ELSE 'payment' END,
           d.invoice_id,
           p.method, CASE WHEN p.source = 'insurer' THEN concat_ws(' · ', coalesce(y.name, 'Insurer'), p.reference)
                          ELSE p.reference END,
           -CAST(coalesce(d.applied, 0) AS DECIMAL(18, 2)),
           CAST(p.amount - coalesce(d.applied, 0) AS DECIMAL(18, 2)), p.id
    FROM payments p
    LEFT JOIN (SELECT payment_id, min(invoice_id) AS invoice_id, sum(amount) AS applied
               FROM payment_applications WHERE NOT from_credit GROUP BY payment_id) d ON d.payment_id = p.id
    LEFT JOIN payers y ON y.id = p.payer_id
    WHERE p.patient_id = $p
    UNION ALL
    SELECT a.applied_at, 3, 'credit_applied', a.invoice_id, NULL, 'From payment #' || a.payment_id,
           -a.amount, -a.amount, a.id
    FROM payment_applications a JOIN payments p ON p.id = a.payment_id
    WHERE p.patient_id = $p AND a.from_credit
    UNION ALL
    SELECT j.adjusted_at, 4, 'adjustment', j.invoice_id, j.kind, j.reason, -j.amount,
           CAST(0 AS DECIMAL(18, 2)), j.id
    FROM adjustments j JOIN invoices i ON i.id = j.invoice_id
    WHERE i.patient_id = $p
    UNION ALL
    SELECT r.refunded_at, 5, CASE WHEN r.invoice_id IS NULL THEN 'credit_refund' ELSE 'refund' END, r.invoice_id,
           r.method, r.reason, CASE WHEN r.invoice_id IS NULL THEN CAST(0 AS DECIMAL(18, 2)) ELSE r.amount END,
           CASE WHEN r.invoice_id IS NULL THEN -r.amount ELSE CAST(0 AS DECIMAL(18, 2)) END, r.id
    FROM refunds r JOIN payments p ON p.id = r.payment_id
    WHERE p.patient_id = $p
)
SELECT happened_at, kind, invoice_id, sub, note, CAST(amount AS DECIMAL(18, 2)), CAST(credit_change AS DECIMAL(18, 2)),
       CAST(sum(amount) OVER w AS DECIMAL(18, 2)), CAST(sum(credit_change) OVER w AS DECIMAL(18, 2))
FROM events
WINDOW w AS (ORDER BY happened_at, ord, ref ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
ORDER BY happened_at, ord, ref
"""
# Statuses whose invoices carry charges (finalised and not void).
_CHARGED = sorted(billing.TAKES_MONEY)


@dataclass(frozen=True)
class OwedInvoice:
    invoice_id: int
    service_date: date
    status: str
    charges: Decimal
    balance: Decimal
    responsibility: str  # insurance (a claim is waiting) or patient
    payer: str | None


@dataclass(frozen=True)
class PatientLedger:
    lines: list[LedgerLine]
    balance: Decimal  # what the patient's invoices owe now (the file header's "balance due")
    credit: Decimal
    owed: list[OwedInvoice]  # the invoices that owe, oldest first
    plans: list[Plan]  # active payment plans

    @property
    def patient_owes(self) -> Decimal:
        """The part of the balance that is the patient's own (no claim waiting on it)."""
        return sum((o.balance for o in self.owed if o.responsibility == "patient"), ZERO)


def patient_statement_lines(conn: Connection, patient_id: int) -> list[LedgerLine]:
    """The patient's account event by event, oldest first, with the running balance due and
    credit. The last line's balance is :func:`db.billing.patient_balance`, its credit
    :func:`db.billing.patient_credit`."""
    rows = read(conn, _LEDGER_SQL, {"p": patient_id, "charged": _CHARGED})
    return [LedgerLine(at, kind, invoice_id, _detail(kind, sub, note), *money)
            for at, kind, invoice_id, sub, note, *money in rows]


def _detail(kind: str, sub: str | None, note: str | None) -> str:
    """What the line is, in words: the method or kind (as DESIGN.md labels it), then its note."""
    labels = billing.ADJUSTMENT_KIND_LABELS if kind == ADJUSTMENT else billing.PAYMENT_METHOD_LABELS
    head = labels.get(sub, sub) if sub and kind != INSURER_PAYMENT else None
    return " · ".join(part for part in (head, note) if part)


def owed_invoices(conn: Connection, patient_id: int) -> list[OwedInvoice]:
    return [OwedInvoice(*row) for row in read(
        conn,
        "SELECT a.invoice_id, a.service_date, b.status, b.charges, a.balance, a.responsibility, y.name"
        " FROM patients_invoice_ar($p) a JOIN patients_invoice_balances($p) b ON b.invoice_id = a.invoice_id"
        " LEFT JOIN payers y ON y.id = a.payer_id ORDER BY a.service_date, a.invoice_id",
        {"p": [patient_id]})]


def patient_ledger(conn: Connection, patient_id: int) -> PatientLedger:
    """Everything the patient file's Billing tab shows: the ledger lines, balance due, credit,
    the invoices that owe, and the active plans."""
    return PatientLedger(patient_statement_lines(conn, patient_id), patient_balance(conn, patient_id),
                         patient_credit(conn, patient_id), owed_invoices(conn, patient_id),
                         active_plans_for(conn, patient_id))


def next_instalment(plan: Plan) -> payment_plans.InstalmentState | None:
    return payment_plans.next_due(plan.instalments)


def balances_for(conn: Connection, patient_ids: list[int]) -> dict[int, Decimal]:
    """Balance due of each of ``patient_ids`` that owes something (one read for a day's schedule)."""
    if not patient_ids:
        return {}
    return dict(read(conn, _BALANCES_FOR_SQL, {"ids": sorted(set(patient_ids)), "owing": sorted(billing.OWING)}))


# The view invoice_balances over a day's few patients only (macro patients_invoice_balances, 018):
# the view totals every invoice before the filter on the patient applies (about 230 ms on the large
# clinic, once per Today rerun); the macro reads just their invoices.
_BALANCES_FOR_SQL = ("SELECT patient_id, CAST(sum(balance) AS DECIMAL(18, 2)) FROM patients_invoice_balances($ids)"
                     " WHERE list_contains($owing, status) AND balance > 0 GROUP BY patient_id")


# --- overdue instalments for the front desk to call ----------------------------------------------


@dataclass(frozen=True)
class OverdueCall:
    patient_id: int
    patient: str
    mrn: str
    phone: str | None
    plan_id: int
    instalments: int  # how many are overdue
    first_due: date  # the oldest overdue one's due date
    overdue: Decimal  # what is overdue in all


def overdue_instalment_calls(conn: Connection, *, as_of: date) -> list[OverdueCall]:
    """One line per plan with overdue instalments (due before ``as_of``, not fully paid), the
    longest overdue first: who to call, their phone, and how much is late."""
    per_plan: dict[int, list] = {}
    for plan_id, patient_id, _number, due, left in overdue_instalments(conn, as_of=as_of):
        per_plan.setdefault(plan_id, []).append((patient_id, due, left))
    if not per_plan:
        return []
    ids = sorted({rows[0][0] for rows in per_plan.values()})
    people = {r[0]: r[1:] for r in read(
        conn, "SELECT id, last_name || ', ' || first_name, mrn, coalesce(phone_mobile, phone_home) FROM patients"
              " WHERE list_contains(?, id)", [ids])}
    out = []
    for plan_id, rows in per_plan.items():
        patient_id = rows[0][0]
        name, mrn, phone = people.get(patient_id, (f"Patient {patient_id}", "", None))
        out.append(OverdueCall(patient_id, name, mrn, phone, plan_id, len(rows), min(d for _, d, _ in rows),
                               sum((left for _, _, left in rows), ZERO)))
    return sorted(out, key=lambda c: (c.first_due, c.patient.lower(), c.plan_id))
