"""The invoice ledger (Billing › Invoices): every invoice with who it is for, who owes it and its
money, filtered by status, payer, provider, service period and patient; the totals of the same
selection; and the same rows as CSV.

One statement for each read, filters as parameters: a filter left ``None`` matches everything
(``$x IS NULL OR ...``), so the SQL text never changes with the filters. Money comes from the
``invoice_balances`` view (and ``invoice_ar`` for who owes a balance) and is summed in SQL
DECIMAL: rows and totals are ``Decimal``, never float.

"Paid" is what payments brought to the invoice net of refunds given back from it; so for every
row and for the totals, balance = charges - paid - adjusted. A draft or void invoice charges
nothing (its lines are not billed): the totals report drafts' lines separately.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from clinic import billing
from clinic.errors import ValidationError
from db import Connection, read, read_one, settings
from db.invoices import UNINVOICED

# payer_id filter meaning "no insurance claim: the patient is billed" (no payer has id 0).
PATIENT_ONLY = 0

_FILTERED = """
WITH primary_claim AS (
    SELECT c.invoice_id, c.payer_id, p.name AS payer_name
    FROM claims c JOIN payers p ON p.id = c.payer_id
    WHERE c.rank = 1
),
picked AS (
    SELECT i.id, i.patient_id, i.service_date, i.provider_id, i.status,
           b.lines_total, b.charges, b.payments - b.refunds AS paid, b.adjustments, b.balance,
           pc.payer_id, pc.payer_name, ar.responsibility
    FROM invoices i
    JOIN invoice_balances b ON b.invoice_id = i.id
    LEFT JOIN primary_claim pc ON pc.invoice_id = i.id
    LEFT JOIN invoice_ar ar ON ar.invoice_id = i.id
    WHERE (CAST($statuses AS VARCHAR[]) IS NULL OR list_contains(CAST($statuses AS VARCHAR[]), i.status))
      AND (CAST($payer AS BIGINT) IS NULL
           OR (CAST($payer AS BIGINT) = 0 AND pc.payer_id IS NULL)
           OR pc.payer_id = CAST($payer AS BIGINT))
      AND (CAST($provider AS BIGINT) IS NULL OR i.provider_id = CAST($provider AS BIGINT))
      AND (CAST($start AS DATE) IS NULL OR i.service_date >= CAST($start AS DATE))
      AND (CAST($end AS DATE) IS NULL OR i.service_date <= CAST($end AS DATE))
      AND (CAST($patient AS BIGINT) IS NULL OR i.patient_id = CAST($patient AS BIGINT))
)
"""

_ROWS_SQL = _FILTERED + """
SELECT x.id, x.patient_id, pt.last_name || ', ' || pt.first_name AS patient_name, pt.mrn, x.service_date,
       x.provider_id, pr.name AS provider_name, x.payer_id, x.payer_name, x.responsibility, x.status,
       x.lines_total, x.charges, x.paid, x.adjustments, x.balance
FROM picked x
JOIN patients pt ON pt.id = x.patient_id
LEFT JOIN providers pr ON pr.id = x.provider_id
ORDER BY x.service_date DESC, x.id DESC
"""

# The same rows for a screen's table, as an Arrow table: DECIMAL stays decimal (exact, no float, no
# Python object per cell), which is what makes thousands of rows quick to show.
_TABLE_SQL = _FILTERED + """
SELECT x.id AS "Invoice", pt.last_name || ', ' || pt.first_name AS "Patient", x.service_date AS "Service date",
       coalesce(pr.name, '') AS "Provider", coalesce(x.payer_name, 'Patient (no claim)') AS "Payer",
       CASE x.responsibility WHEN 'insurance' THEN 'Insurance' WHEN 'patient' THEN 'Patient' ELSE '' END
           AS "Owed by",
       upper(x.status[1]) || replace(x.status[2:], '_', ' ') AS "Status",
       CAST(x.charges AS DECIMAL(12, 2)) AS "Charges", CAST(x.paid AS DECIMAL(12, 2)) AS "Paid",
       CAST(x.adjustments AS DECIMAL(12, 2)) AS "Adjusted", CAST(x.balance AS DECIMAL(12, 2)) AS "Balance"
FROM picked x
JOIN patients pt ON pt.id = x.patient_id
LEFT JOIN providers pr ON pr.id = x.provider_id
ORDER BY x.service_date DESC, x.id DESC
LIMIT $limit
"""

_TOTALS_SQL = _FILTERED + """
SELECT count(*),
       CAST(coalesce(sum(charges), 0) AS DECIMAL(18, 2)),
       CAST(coalesce(sum(paid), 0) AS DECIMAL(18, 2)),
       CAST(coalesce(sum(adjustments), 0) AS DECIMAL(18, 2)),
       CAST(coalesce(sum(balance), 0) AS DECIMAL(18, 2)),
       CAST(coalesce(sum(balance) FILTER (WHERE responsibility = 'insurance'), 0) AS DECIMAL(18, 2)),
       CAST(coalesce(sum(balance) FILTER (WHERE responsibility = 'patient'), 0) AS DECIMAL(18, 2)),
       count(*) FILTER (WHERE status = 'draft'),
       CAST(coalesce(sum(lines_total) FILTER (WHERE status = 'draft'), 0) AS DECIMAL(18, 2))
FROM picked
"""

TOTAL_KEYS = ("count", "charges", "paid", "adjusted", "balance", "insurance_owes", "patient_owes", "drafts",
              "drafts_total")


@dataclass(frozen=True)
class LedgerRow:
    """One invoice in the ledger. ``payer_*`` is the primary claim's payer (None: the patient is
    billed, no claim); ``owed_by`` is who owes the balance now ('insurance', 'patient', or None
    when nothing is owed)."""

    id: int
    patient_id: int
    patient_name: str
    mrn: str
    service_date: date
    provider_id: int | None
    provider_name: str | None
    payer_id: int | None
    payer_name: str | None
    owed_by: str | None
    status: str
    lines_total: Decimal
    charges: Decimal
    paid: Decimal
    adjusted: Decimal
    balance: Decimal

    @property
    def payer_label(self) -> str:
        return self.payer_name or "Patient (no claim)"


def _params(status, payer_id, provider_id, start, end, patient_id) -> dict:
    if isinstance(status, str):
        statuses = [status]
    elif status is None:
        statuses = None
    else:
        statuses = list(status) or None
    for s in statuses or ():
        if s not in billing.INVOICE_STATUSES:
            raise ValidationError({"status": f"“{s}” is not an invoice status."})
    if start is not None and end is not None and end < start:
        raise ValidationError({"period": "The period ends before it starts."})
    return {"statuses": statuses, "payer": payer_id, "provider": provider_id, "start": start, "end": end,
            "patient": patient_id}


def ledger(conn: Connection, *, status: str | Iterable[str] | None = None, payer_id: int | None = None,
           provider_id: int | None = None, start: date | None = None, end: date | None = None,
           patient_id: int | None = None) -> list[LedgerRow]:
    """The invoices matching every filter given, newest service first. ``status`` is one status or
    several; ``payer_id`` the primary claim's payer (``PATIENT_ONLY``: invoices with no claim);
    ``start``/``end`` bound the service date, both inclusive."""
    params = _params(status, payer_id, provider_id, start, end, patient_id)
    return [LedgerRow(*r) for r in read(conn, _ROWS_SQL, params)]


def ledger_table(conn: Connection, *, status: str | Iterable[str] | None = None, payer_id: int | None = None,
                 provider_id: int | None = None, start: date | None = None, end: date | None = None,
                 patient_id: int | None = None, limit: int | None = None):
    """The rows of :func:`ledger` as a ``pyarrow.Table`` to show (column titles as on screen,
    status as its label, money as exact decimals): for ``st.dataframe``, not for computing.
    Newest service first; ``limit`` keeps only that many (None: all)."""
    params = {**_params(status, payer_id, provider_id, start, end, patient_id), "limit": limit}
    cur = conn.cursor()
    try:
        return cur.sql(_TABLE_SQL, params=params).to_arrow_table()
    finally:
        cur.close()


def ledger_totals(conn: Connection, *, status: str | Iterable[str] | None = None, payer_id: int | None = None,
                  provider_id: int | None = None, start: date | None = None, end: date | None = None,
                  patient_id: int | None = None) -> dict[str, Decimal]:
    """The selection's totals, summed in SQL: ``count`` (int), ``charges``, ``paid``, ``adjusted``,
    ``balance`` (= charges - paid - adjusted), ``insurance_owes`` + ``patient_owes`` (= balance),
    ``drafts`` (int) and ``drafts_total`` (the drafts' lines, not yet billed)."""
    params = _params(status, payer_id, provider_id, start, end, patient_id)
    row = read_one(conn, _TOTALS_SQL, params)
    return dict(zip(TOTAL_KEYS, row))


CSV_HEADER = ("invoice", "patient", "mrn", "service_date", "provider", "payer", "owed_by", "status",
              "lines_total", "charges", "paid", "adjusted", "balance")


def ledger_csv(conn: Connection, *, status: str | Iterable[str] | None = None, payer_id: int | None = None,
               provider_id: int | None = None, start: date | None = None, end: date | None = None,
               patient_id: int | None = None) -> str:
    """The same rows as :func:`ledger`, as CSV text (amounts exact, e.g. ``1234.50``)."""
    rows = ledger(conn, status=status, payer_id=payer_id, provider_id=provider_id, start=start, end=end,
                  patient_id=patient_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for r in rows:
        writer.writerow([r.id, _safe(r.patient_name), r.mrn, r.service_date.isoformat(), _safe(r.provider_name or ""),
                         _safe(r.payer_label), r.owed_by or "", r.status, r.lines_total, r.charges, r.paid,
                         r.adjusted, r.balance])
    return out.getvalue()


def _safe(text: str) -> str:
    """Keep a spreadsheet from running a name as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# --- the ledger's work lists and small reads ------------------------------------------------------


@dataclass(frozen=True)
class UnbilledVisit:
    """A completed visit with no invoice (billing leakage), with its age in days."""

    appointment_id: int
    patient_id: int
    patient_name: str
    service_date: date
    provider_name: str | None
    visit_type: str | None
    age_days: int


def unbilled(conn: Connection, *, as_of: date) -> list[UnbilledVisit]:
    """The same visits as ``db.billing.unbilled_visits`` (completed, no invoice), oldest first,
    with the names a screen shows, in one query."""
    rows = read(
        conn,
        "SELECT a.id, a.patient_id, pt.last_name || ', ' || pt.first_name,"
        " CAST(timezone(?, a.start_at) AS DATE)"
        " AS day, pr.name, vt.name"
        " FROM appointments a JOIN patients pt ON pt.id = a.patient_id"
        " LEFT JOIN providers pr ON pr.id = a.provider_id LEFT JOIN visit_types vt ON vt.id = a.type_id"
        " WHERE a.status = 'completed' AND " + UNINVOICED + " ORDER BY a.start_at, a.id",
        [settings.timezone(conn)],
    )
    return [UnbilledVisit(a, p, name, day, provider, vtype, (as_of - day).days)
            for a, p, name, day, provider, vtype in rows]


def patient_names(conn: Connection, patient_ids: Iterable[int]) -> dict[int, str]:
    """"Last, First" for each id given (one query)."""
    ids = sorted(set(patient_ids))
    if not ids:
        return {}
    return dict(read(conn, "SELECT id, last_name || ', ' || first_name FROM patients WHERE list_contains(?, id)",
                     [ids]))


def has_coverage(conn: Connection, patient_id: int) -> bool:
    """Does the patient have active primary insurance with a payer that is not self-pay (so a claim
    can be made)?"""
    row = read_one(conn, "SELECT EXISTS (SELECT 1 FROM patient_insurance pi JOIN payers p ON p.id = pi.payer_id"
                         " WHERE pi.patient_id = ? AND pi.rank = 1 AND pi.active AND p.kind <> 'self_pay')",
                   [patient_id])
    return bool(row and row[0])
