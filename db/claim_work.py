"""The claims work list (what needs the billing clerk: by status and age, denied with reasons, no
answer in 30 days, near the payer's timely-filing limit), invoices ready to claim, and the Home
tile's claims awaiting an answer. Reads only; the rules for each group are in :mod:`clinic.claims`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from clinic import billing, carc
from clinic import claims as rules
from db import Connection, read, read_one
from db.claims import timezone_in


@dataclass(frozen=True)
class Unclaimed:
    """A finalised invoice of a patient with primary insurance and no claim yet."""

    invoice_id: int
    patient_id: int
    patient_name: str
    payer_name: str
    service_date: date
    balance: Decimal


def unclaimed_invoices(conn: Connection, *, limit: int = 200) -> list[Unclaimed]:
    """Owing invoices of insured patients with no claim yet, oldest service first: ready to claim."""
    rows = read(
        conn,
        "SELECT b.invoice_id, b.patient_id, pt.first_name || ' ' || pt.last_name, p.name, b.service_date, b.balance"
        " FROM invoice_balances b JOIN patients pt ON pt.id = b.patient_id"
        " JOIN patient_insurance i ON i.patient_id = b.patient_id AND i.rank = 1 AND i.active"
        " JOIN payers p ON p.id = i.payer_id AND p.kind <> 'self_pay'"
        " WHERE list_contains($owing, b.status) AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.invoice_id = b.invoice_id)"
        " QUALIFY row_number() OVER (PARTITION BY b.invoice_id ORDER BY i.id DESC) = 1"
        " ORDER BY b.service_date, b.invoice_id LIMIT $limit",
        {"owing": sorted(billing.OWING), "limit": limit},
    )
    return [Unclaimed(*r) for r in rows]



# --- the work list and the Home tile -------------------------------------------------------------


@dataclass(frozen=True)
class WorkItem:
    claim_id: int
    control_number: str
    status: str
    rank: int
    patient_id: int
    patient_name: str
    payer_name: str
    service_date: date
    submitted_on: date | None
    total_charge: Decimal
    invoice_balance: Decimal
    days_since_service: int
    days_since_submitted: int | None
    filing_days_left: int | None
    reasons: tuple[str, ...]  # for a denied claim: "CO-50: ..." labels, or the note of a denial by hand

    @property
    def age(self) -> int:
        """Days since submitted, or since the service for a claim not yet sent."""
        return self.days_since_submitted if self.days_since_submitted is not None else self.days_since_service


@dataclass(frozen=True)
class WorkList:
    as_of: date
    by_status: list[rules.StatusCount]
    open_items: list[WorkItem]       # every claim still to act on (clinic.claims.needs_work), oldest first
    denied: list[WorkItem]
    unanswered: list[WorkItem]       # submitted (or accepted, appealed) over 30 days ago, no answer since
    near_filing_limit: list[WorkItem]  # clinic.claims.near_filing_limit: drafts and denials close to the payer's limit


# Each claim's days so far, from its submission (its clinic-local date) or, not yet sent, from its
# service: as clinic.claims.days_between reads them.
_AGE = "CAST($as_of AS DATE) - coalesce(CAST(timezone($tz, c.submitted_at) AS DATE), i.service_date)"
# Per status: how many, what they bill, the oldest and the sum of ages (the average is rounded in
# Python as clinic.claims.count_by_status rounds it). Summed in SQL: a large clinic has 750,000 claims.
_COUNTS_SQL = (
    "SELECT c.status, count(*), CAST(coalesce(sum(l.charge), 0) AS DECIMAL(18, 2)), max(" + _AGE + "), sum(" + _AGE + ")"
    " FROM claims c JOIN invoices i ON i.id = c.invoice_id"
    " LEFT JOIN (SELECT claim_id, sum(charge) AS charge FROM claim_lines GROUP BY claim_id) l ON l.claim_id = c.id"
    " GROUP BY c.status"
)
# The claims that need work (clinic.claims.needs_work, checked again in Python): drafts, those with
# the insurer, and denials whose invoice still owes. Paid and partly paid ones, most of a clinic's
# history, are not read at all, and only the picked claims' invoices are totalled (migration 019).
_ITEMS_SQL = (
    "WITH picked AS (SELECT id, invoice_id FROM claims WHERE list_contains($open, status) OR status = 'denied')"
    " SELECT c.id, c.control_number, c.status, c.rank, i.patient_id, pt.first_name || ' ' || pt.last_name,"
    " coalesce(p.name, '(unknown payer)'), i.service_date, CAST(timezone($tz, c.submitted_at) AS DATE),"
    " CAST(coalesce(l.charge, 0) AS DECIMAL(12, 2)), b.balance, p.timely_filing_days"
    " FROM claims c JOIN invoices i ON i.id = c.invoice_id"
    " JOIN invoices_balances((SELECT list(DISTINCT invoice_id) FROM picked)) b ON b.invoice_id = i.id"
    " LEFT JOIN (SELECT claim_id, sum(charge) AS charge FROM claim_lines WHERE claim_id IN (SELECT id FROM picked)"
    " GROUP BY claim_id) l ON l.claim_id = c.id"
    " LEFT JOIN payers p ON p.id = c.payer_id LEFT JOIN patients pt ON pt.id = i.patient_id"
    " WHERE c.id IN (SELECT id FROM picked) AND (list_contains($open, c.status) OR (c.status = 'denied' AND b.balance > 0))"
    " ORDER BY i.service_date, c.id"
)


def _status_counts(cur: Connection, tz: str, as_of: date) -> list[rules.StatusCount]:
    found = {status: rules.StatusCount(status, count, total, oldest, round(ages / count))
             for status, count, total, oldest, ages in cur.execute(_COUNTS_SQL, {"tz": tz, "as_of": as_of}).fetchall()}
    return [found.pop(s, rules.StatusCount(s)) for s in billing.CLAIM_STATUSES] + list(found.values())


def claim_work_list(conn: Connection, *, as_of: date) -> WorkList:
    """What needs the billing clerk's attention on ``as_of`` (see :class:`WorkList`)."""
    cur = conn.cursor()
    try:
        tz = timezone_in(cur)
        counts = _status_counts(cur, tz, as_of)
        rows = cur.execute(_ITEMS_SQL, {"tz": tz, "open": ["draft", *sorted(billing.CLAIMS_AWAITING)]}).fetchall()
        denied_ids = [r[0] for r in rows if r[2] == "denied"]
        reasons = _denial_reasons(cur, denied_ids) if denied_ids else {}
    finally:
        cur.close()
    items = []
    for (claim_id, control, status, rank, patient_id, patient, payer, service_date, submitted_on, total, balance,
         filing_days) in rows:
        if not rules.needs_work(status, balance):
            continue
        items.append(WorkItem(claim_id, control, status, rank, patient_id, patient or "", payer, service_date,
                              submitted_on, total, balance, rules.days_between(service_date, as_of),
                              rules.days_between(submitted_on, as_of),
                              rules.filing_days_left(service_date, filing_days, as_of),
                              tuple(reasons.get(claim_id, ()))))
    return WorkList(
        as_of=as_of,
        by_status=counts,
        open_items=items,
        denied=[i for i in items if i.status == "denied"],
        unanswered=sorted((i for i in items if rules.unanswered_too_long(i.status, i.days_since_submitted)),
                          key=lambda i: -(i.days_since_submitted or 0)),
        near_filing_limit=sorted((i for i in items if rules.near_filing_limit(i.status, i.filing_days_left)),
                                 key=lambda i: i.filing_days_left),
    )


def _denial_reasons(cur: Connection, claim_ids: list[int]) -> dict[int, list[str]]:
    """Each claim's reasons for its denial: the denial adjustments of its latest answer (CARC
    labels), and the note of a denial made by hand when that is the latest event."""
    out: dict[int, list[str]] = {}
    for claim_id, group, reason in cur.execute(
        "WITH latest AS (SELECT claim_id, max(id) AS answer_id FROM claim_answers WHERE list_contains($ids, claim_id)"
        " GROUP BY claim_id)"
        " SELECT DISTINCT latest.claim_id, j.group_code, j.reason_code FROM latest"
        " JOIN claim_line_answers la ON la.answer_id = latest.answer_id"
        " JOIN claim_line_adjustments j ON j.line_answer_id = la.id ORDER BY 1, 2, 3",
        {"ids": claim_ids},
    ).fetchall():
        if group != "PR" and reason not in rules.REDUCTION_REASONS:
            out.setdefault(claim_id, []).append(carc.label(group, reason))
    for claim_id, note in cur.execute(
        "SELECT claim_id, arg_max(note, id) FROM claim_events WHERE list_contains($ids, claim_id)"
        " AND to_status = 'denied' GROUP BY claim_id",
        {"ids": claim_ids},
    ).fetchall():
        if claim_id not in out and note:
            out[claim_id] = [note]
    return out


def claims_awaiting_count(conn: Connection) -> int:
    """Claims with the insurer, waiting for an answer (submitted, accepted, appealed)."""
    (n,) = read_one(conn, "SELECT count(*) FROM claims WHERE list_contains(?, status)", [sorted(billing.CLAIMS_AWAITING)])
    return n


def claims_awaiting_total(conn: Connection) -> Decimal:
    """What those claims bill, in all (the sum of their lines' charges)."""
    (total,) = read_one(
        conn,
        "SELECT CAST(coalesce(sum(l.charge), 0) AS DECIMAL(18, 2)) FROM claim_lines l JOIN claims c ON c.id = l.claim_id"
        " WHERE list_contains(?, c.status)",
        [sorted(billing.CLAIMS_AWAITING)],
    )
    return total
