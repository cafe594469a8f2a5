"""The numbers behind Analytics › Billing: charges and collections by month or week with the net
collection rate, A/R by aging bucket at each month end, days in A/R, denial rates by payer and by
reason, claims by status, days from service to payment by payer, patients owing for over 90 days,
and the summary behind the tiles.

Every grouping and every sum of money is done here, in DuckDB DECIMAL. The rates and days in A/R
are clinic.analytics' formulas (one each) applied to those exact sums; the aging buckets are
clinic.billing.age_balances, the rule db.ledger.ar_aging and db.ar_reports use. DataFrames feed
charts, tables and CSV: their money columns are float (as ``.df()`` would give), never for more
arithmetic; the summary dict keeps Decimal.

Periods are clinic-local dates, ``start`` included, ``end`` excluded. A charge counts on its
invoice's service date (finalised invoices only: a draft or a void invoice charges nothing); money
events (payments received, adjustments, refunds) on the clinic-local day they were recorded. Those
are filtered on the UTC instants of the period's bounds first, so only the period's rows are
converted to local dates, by the zone's offsets over the period (db.reports.local_time: timezone()
per row took over half of the monthly query).

Speed: the views invoice_balances and invoice_ar total every invoice before any filter applies
(seconds on the large clinic, see the README's "Speed"); these reads filter the base tables first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pandas as pd

from clinic import analytics, billing, carc
from clinic import claims as claim_rules
from clinic.timeutil import day_bounds
from db import Connection, read, read_one, settings
from db.reports import local_time, run, utc_offsets

GROUPINGS = ("month", "week")
DENIAL_GROUPINGS = ("payer", "reason")
DAYS_IN_AR_DAYS = 90
NO_CLAIM = "Patient (no claim)"  # the payer of an invoice billed to the patient only (as the invoice ledger says)
NO_REASON = "No reason recorded (denied by hand)"
# Claim statuses under which an invoice's balance is the insurer's to pay, as view invoice_ar (008)
# says; tests/db/test_billing_reports.py checks the over-90 list against that view.
INSURANCE_WAITS = ("draft", "submitted", "accepted", "appealed")
# "Over 90 days": the buckets from 91-120 on (clinic.billing.AGING_BUCKETS), by days since service.
OVER_90_FIRST_DAY = next(first for key, first, _ in billing.AGING_BUCKETS if key == "91-120")
# Finalised and not void: the invoices whose lines are charges.
_CHARGED = sorted(billing.TAKES_MONEY)
_BEFORE_ANYTHING = datetime(1900, 1, 1, tzinfo=timezone.utc)

COLLECTION_COLUMNS = ["period", "charges", "payments", "adjustments", "refunds", "net_collection_rate",
                      "other_adjustments"]
AR_COLUMNS = ["month_end", "bucket", "amount"]
DENIAL_COLUMNS = ["group", "claims", "denied", "rate"]
STATUS_COLUMNS = ["status", "claims", "amount"]
PAYMENT_DAYS_COLUMNS = ["payer", "invoices", "average_days", "median_days"]
OVER_90_COLUMNS = ["patient", "mrn", "balance", "oldest_service_date", "patient_id"]


# --- helpers -------------------------------------------------------------------------------------


def _bounds(conn: Connection, start: date, end: date) -> tuple[str, datetime, datetime]:
    """(clinic zone, UTC instant the period starts, UTC instant it ends) for [start, end)."""
    if end < start:
        raise ValueError("the period ends before it starts")
    tz = settings.timezone(conn)
    return tz, day_bounds(start, tz)[0], day_bounds(end, tz)[0]


def _frame(rows: Iterable[Sequence], columns: list[str], *, money: Sequence[str] = (),
           dates: Sequence[str] = ()) -> pd.DataFrame:
    """A DataFrame for showing: money as float (display and CSV only), dates as datetime64."""
    frame = pd.DataFrame(list(rows), columns=columns)
    for column in money:
        frame[column] = frame[column].astype("float64")
    for column in dates:
        frame[column] = pd.to_datetime(frame[column])
    return frame


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _period_starts(start: date, end: date, by: str) -> list[date]:
    """The first day of every month (or Monday of every week) that overlaps [start, end)."""
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {GROUPINGS}, not {by!r}")
    out = []
    day = start - timedelta(days=start.weekday()) if by == "week" else start.replace(day=1)
    while day < end:
        out.append(day)
        day = day + timedelta(days=7) if by == "week" else _next_month(day)
    return out


def month_ends(start: date, end: date) -> list[date]:
    """The days ar_over_time reports on: every month's last day in [start, end), then the period's
    last day when it is not a month end (so the current month shows A/R to date)."""
    out = []
    day = _next_month(start) - timedelta(days=1)
    while day < end:
        out.append(day)
        day = _next_month(day + timedelta(days=1)) - timedelta(days=1)
    last = end - timedelta(days=1)
    if last >= start and (not out or out[-1] != last):
        out.append(last)
    return out


# --- charges and collections ---------------------------------------------------------------------

# The period's money, one row per clinic-local day and kind. Charges: the lines of finalised, not
# void invoices, on their service date. Payments: everything received (patient and insurer, applied
# or left as credit) on the day received. Adjustments on the day made (contractual apart from the
# other kinds). Refunds on the day given back (from an invoice or from credit).
_MONEY = """
WITH ev AS (
    SELECT i.service_date AS day, 'charges' AS kind, l.quantity * l.unit_price AS amount
    FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id
    WHERE i.service_date >= $start AND i.service_date < $end AND list_contains($charged, i.status)
    UNION ALL
    SELECT CAST(""" + local_time("epoch_us(received_at)") + """ AS DATE), 'payments', amount FROM payments
    WHERE received_at >= $lo AND received_at < $hi
    UNION ALL
    SELECT CAST(""" + local_time("epoch_us(adjusted_at)") + """ AS DATE),
           CASE WHEN kind = 'contractual' THEN 'contractual' ELSE 'other' END, amount
    FROM adjustments WHERE adjusted_at >= $lo AND adjusted_at < $hi
    UNION ALL
    SELECT CAST(""" + local_time("epoch_us(refunded_at)") + """ AS DATE), 'refunds', amount FROM refunds
    WHERE refunded_at >= $lo AND refunded_at < $hi
)
"""
_MONEY_SUMS = """
    CAST(coalesce(sum(amount) FILTER (WHERE kind = 'charges'), 0) AS DECIMAL(18, 2)),
    CAST(coalesce(sum(amount) FILTER (WHERE kind = 'payments'), 0) AS DECIMAL(18, 2)),
    CAST(coalesce(sum(amount) FILTER (WHERE kind = 'contractual'), 0) AS DECIMAL(18, 2)),
    CAST(coalesce(sum(amount) FILTER (WHERE kind = 'other'), 0) AS DECIMAL(18, 2)),
    CAST(coalesce(sum(amount) FILTER (WHERE kind = 'refunds'), 0) AS DECIMAL(18, 2))
"""
_MONEY_BY_PERIOD = _MONEY + f"""
SELECT p.period, {_MONEY_SUMS}
FROM (SELECT unnest(CAST($periods AS DATE[])) AS period) p
LEFT JOIN (SELECT CAST(date_trunc(CAST($unit AS VARCHAR), day) AS DATE) AS period, kind, amount FROM ev) e
    ON e.period = p.period
GROUP BY p.period ORDER BY p.period
"""
_MONEY_TOTALS = _MONEY + f"SELECT {_MONEY_SUMS} FROM ev"


def _money_params(tz: str, start: date, end: date, lo: datetime, hi: datetime) -> dict:
    since, offsets = utc_offsets(tz, lo, hi)
    return {"start": start, "end": end, "charged": _CHARGED, "lo": lo, "hi": hi, "since": since, "offsets": offsets}


def charges_and_collections(conn: Connection, *, start: date, end: date, by: str = "month") -> pd.DataFrame:
    """Per month (first day) or week (Monday) overlapping [start, end): ``charges`` (finalised
    invoices by service date), ``payments`` (money received, by day received), ``adjustments``
    (contractual ones: what contracts with insurers take off the charges), ``refunds`` (money given
    back), ``net_collection_rate`` (clinic.analytics.net_collection_rate: (payments − refunds) ÷
    (charges − contractual adjustments); NaN without charges) and ``other_adjustments`` (write-offs,
    bad debt, small balance, courtesy). Every period is listed, with zeros when nothing happened;
    no rows for an empty period (start = end)."""
    periods = _period_starts(start, end, by)
    tz, lo, hi = _bounds(conn, start, end)
    if not periods or start == end:
        return _frame([], COLLECTION_COLUMNS)
    rows = run(conn, _MONEY_BY_PERIOD, {**_money_params(tz, start, end, lo, hi), "periods": periods, "unit": by},
               frame=False)
    out = [(period, charges, payments, contractual, refunds,
            analytics.net_collection_rate(payments, refunds, charges, contractual), other)
           for period, charges, payments, contractual, other, refunds in rows]
    return _frame(out, COLLECTION_COLUMNS, money=("charges", "payments", "adjustments", "refunds", "other_adjustments"),
                  dates=("period",)).astype({"net_collection_rate": "float64"})


def _money_totals(conn: Connection, tz: str, start: date, end: date) -> dict[str, Decimal]:
    lo, hi = day_bounds(start, tz)[0], day_bounds(end, tz)[0]
    [(charges, payments, contractual, other, refunds)] = run(conn, _MONEY_TOTALS, _money_params(tz, start, end, lo, hi),
                                                             frame=False)
    return {"charges": charges, "payments": payments, "adjustments": contractual, "other_adjustments": other,
            "refunds": refunds}


# --- A/R over time -------------------------------------------------------------------------------

# What was owed at the end of each report day, per service date, from the money events dated up to
# that day: a charge when its invoice was finalised (its service day when no time is recorded; line
# by line, cheaper than totalling each invoice first), a void taking it back (an invoice voided
# after it was finalised was owed in between), money applied, adjustments, and refunds given back
# from an invoice (which then owes it again). Each event is placed in the first report day it
# happened by ($lo/$hi: the UTC instants between report days; the first window is open to the
# past), summed per (day, service date), then accumulated over the days. In a ledger that never
# goes below zero on an invoice, the sum over a service date is what its invoices owed; at the
# current instant it equals the balances of view invoice_balances.
_AR_AT = """
WITH pts AS (
    SELECT unnest(CAST($js AS INTEGER[])) AS j, unnest(CAST($los AS TIMESTAMPTZ[])) AS lo,
           unnest(CAST($his AS TIMESTAMPTZ[])) AS hi
),
ev AS (
    SELECT i.service_date,
           CASE WHEN i.finalized_at IS NULL THEN timezone($tz, CAST(i.service_date AS TIMESTAMP))
                ELSE i.finalized_at END AS at,
           l.quantity * l.unit_price AS amount
    FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id
    WHERE list_contains($charged, i.status) OR (i.status = 'void' AND i.finalized_at IS NOT NULL)
    UNION ALL
    SELECT i.service_date, coalesce(i.voided_at, i.finalized_at), -(l.quantity * l.unit_price)
    FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id
    WHERE i.status = 'void' AND i.finalized_at IS NOT NULL
    UNION ALL
    SELECT i.service_date, a.applied_at, -a.amount FROM payment_applications a JOIN invoices i ON i.id = a.invoice_id
    UNION ALL
    SELECT i.service_date, j.adjusted_at, -j.amount FROM adjustments j JOIN invoices i ON i.id = j.invoice_id
    UNION ALL
    SELECT i.service_date, r.refunded_at, r.amount FROM refunds r JOIN invoices i ON i.id = r.invoice_id
),
placed AS (
    SELECT p.j, e.service_date, sum(e.amount) AS amount
    FROM ev e JOIN pts p ON e.at >= p.lo AND e.at < p.hi
    GROUP BY p.j, e.service_date
)
SELECT p.j, a.service_date, CAST(sum(a.amount) AS DECIMAL(18, 2))
FROM placed a JOIN pts p ON a.j <= p.j
GROUP BY p.j, a.service_date
HAVING sum(a.amount) <> 0
"""


def ar_at(conn: Connection, days: Sequence[date], *, tz: str | None = None) -> list[dict[str, Decimal]]:
    """A/R at the end of each of ``days`` (ascending), as db.ledger.ar_aging gives it: the five
    bucket keys of clinic.billing.AGING_KEYS plus ``total``, from the money events dated up to the
    end of that clinic-local day. For today, the same as ar_aging."""
    if not days:
        return []
    if any(b <= a for a, b in zip(days, days[1:])):
        raise ValueError("the days must be in ascending order")
    tz = tz or settings.timezone(conn)
    his = [day_bounds(day, tz)[1] for day in days]
    rows = read(conn, _AR_AT, {"js": list(range(1, len(days) + 1)), "los": [_BEFORE_ANYTHING, *his[:-1]], "his": his,
                               "tz": tz, "charged": _CHARGED})
    per_day: dict[int, list[tuple[date, Decimal]]] = {j: [] for j in range(1, len(days) + 1)}
    for j, service_date, balance in rows:
        per_day[j].append((service_date, balance))
    return [billing.age_balances(per_day[j], day) for j, day in enumerate(days, start=1)]


def ar_over_time(conn: Connection, *, start: date, end: date) -> pd.DataFrame:
    """What was owed at each month end in [start, end) (and on the period's last day when that is
    not a month end: see :func:`month_ends`), by aging bucket: one row per day and bucket key (in
    clinic.billing.AGING_KEYS order, zeros included). The buckets of a day add up to its A/R total
    (db.ledger.ar_aging on that day, had it been run then)."""
    _bounds(conn, start, end)
    days = month_ends(start, end)
    rows = [(day, key, aging[key]) for day, aging in zip(days, ar_at(conn, days)) for key in billing.AGING_KEYS]
    return _frame(rows, AR_COLUMNS, money=("amount",), dates=("month_end",))


def days_in_ar(conn: Connection, *, as_of: date, days: int = DAYS_IN_AR_DAYS) -> Decimal | None:
    """Days in A/R on ``as_of`` (clinic.analytics.days_in_ar): A/R at the end of ``as_of`` ÷ the
    average daily charges of the ``days`` days up to and including ``as_of``. None without charges."""
    tz = settings.timezone(conn)
    ar_total = ar_at(conn, [as_of], tz=tz)[0]["total"]
    return _days_in_ar(conn, tz, ar_total, as_of, days)


def _days_in_ar(conn: Connection, tz: str, ar_total: Decimal, as_of: date, days: int) -> Decimal | None:
    charges = _money_totals(conn, tz, as_of - timedelta(days=days - 1), as_of + timedelta(days=1))["charges"]
    return analytics.days_in_ar(ar_total, charges, days)


# --- claims --------------------------------------------------------------------------------------

# The claims first sent in the period (their draft -> submitted event; a claim with no recorded
# submission event, e.g. imported, by its submitted_at) and whether each was ever denied (an event,
# an answer, or its status now): a claim denied and then paid on appeal still counts as denied.
_SENT = """
WITH sent AS (
    SELECT claim_id FROM claim_events
    WHERE from_status = 'draft' AND to_status = 'submitted' AND changed_at >= $lo AND changed_at < $hi
    UNION
    SELECT id FROM claims
    WHERE submitted_at >= $lo AND submitted_at < $hi
      AND id NOT IN (SELECT claim_id FROM claim_events WHERE to_status = 'submitted')
),
counted AS (
    SELECT c.id, c.payer_id,
           c.status = 'denied'
           OR c.id IN (SELECT claim_id FROM claim_events WHERE to_status = 'denied')
           OR c.id IN (SELECT claim_id FROM claim_answers WHERE status_after = 'denied') AS denied
    FROM claims c WHERE c.id IN (SELECT claim_id FROM sent)
)
"""
_DENIALS_BY_PAYER = _SENT + """
SELECT coalesce(p.name, 'Payer ' || c.payer_id) AS payer, count(*), count(*) FILTER (WHERE c.denied)
FROM counted c LEFT JOIN payers p ON p.id = c.payer_id
GROUP BY c.payer_id, p.name
ORDER BY count(*) DESC, payer
"""
# A denial's reasons: the adjustments of the answers that denied the claim which are denials by
# clinic.claims' rule (CheckedAdjustment.is_denial: not the patient's share, group PR, and not a
# contractual reduction, $reductions). A claim denied by hand has none (group_code NULL).
_DENIALS_BY_REASON = _SENT + """,
reasons AS (
    SELECT DISTINCT a.claim_id, j.group_code, j.reason_code
    FROM claim_answers a
    JOIN claim_line_answers la ON la.answer_id = a.id
    JOIN claim_line_adjustments j ON j.line_answer_id = la.id
    WHERE a.status_after = 'denied' AND a.claim_id IN (SELECT id FROM counted WHERE denied)
      AND j.group_code <> 'PR' AND NOT list_contains($reductions, j.reason_code)
)
SELECT group_code, reason_code, count(*) AS denied, (SELECT count(*) FROM counted) FROM reasons GROUP BY ALL
UNION ALL
SELECT NULL, NULL, count(*), (SELECT count(*) FROM counted) FROM counted
WHERE denied AND id NOT IN (SELECT claim_id FROM reasons)
ORDER BY denied DESC, group_code, reason_code
"""
_DENIAL_TOTALS = _SENT + "SELECT count(*), count(*) FILTER (WHERE denied) FROM counted"


def denial_rates(conn: Connection, *, start: date, end: date, by: str = "payer") -> pd.DataFrame:
    """Of the claims first sent in [start, end): ``by="payer"``: per payer, ``claims`` sent,
    ``denied`` (denied at least once, whatever came after) and ``rate`` (clinic.analytics.denial_rate);
    ``by="reason"``: per denial reason ("CO-16: ..." with clinic.carc's words, or NO_REASON for a
    denial made by hand), the claims denied for it and its rate against all the claims sent
    (``claims`` is that total on every row; a claim denied for two reasons counts in both)."""
    if by not in DENIAL_GROUPINGS:
        raise ValueError(f"by must be one of {DENIAL_GROUPINGS}, not {by!r}")
    _tz, lo, hi = _bounds(conn, start, end)
    if by == "payer":
        rows = [(payer, n, denied, analytics.denial_rate(denied, n))
                for payer, n, denied in read(conn, _DENIALS_BY_PAYER, {"lo": lo, "hi": hi})]
    else:
        rows = [(carc.label(group, reason) if group else NO_REASON, n, denied, analytics.denial_rate(denied, n))
                for group, reason, denied, n in read(conn, _DENIALS_BY_REASON, {
                    "lo": lo, "hi": hi, "reductions": sorted(claim_rules.REDUCTION_REASONS)}) if denied]
    return _frame(rows, DENIAL_COLUMNS).astype({"claims": "int64", "denied": "int64", "rate": "float64"})


def _denial_totals(conn: Connection, lo: datetime, hi: datetime) -> tuple[int, int]:
    claims, denied = read_one(conn, _DENIAL_TOTALS, {"lo": lo, "hi": hi})
    return claims, denied


_CLAIM_TOTALS = "(SELECT claim_id, sum(charge) AS charge FROM claim_lines GROUP BY claim_id)"
# Now: the claims counted per status, and their lines' charges summed per status of their claim
# (totalling each claim's lines first built a group per claim: three times slower on the large clinic).
_CLAIMS_NOW = """
WITH counted AS (SELECT status, count(*) AS n FROM claims GROUP BY status),
billed AS (
    SELECT c.status, sum(l.charge) AS charge FROM claim_lines l JOIN claims c ON c.id = l.claim_id GROUP BY c.status
)
SELECT n.status, n.n, CAST(coalesce(b.charge, 0) AS DECIMAL(18, 2))
FROM counted n LEFT JOIN billed b ON b.status = n.status
"""
# A claim's status at the end of a day: its status now, unless it changed after that day; then its
# last event by then (ties on the time broken by the event's id). Only the claims that changed since
# are looked up event by event (a month back, a few percent of them). A claim made by then with no
# events at all (imported) has its status now.
_CLAIMS_AT = f"""
WITH changed AS (SELECT DISTINCT claim_id FROM claim_events WHERE changed_at >= $hi),
last_event AS (
    SELECT claim_id, arg_max(to_status, {{'at': changed_at, 'id': id}}) AS status
    FROM claim_events WHERE changed_at < $hi AND claim_id IN (SELECT claim_id FROM changed)
    GROUP BY claim_id
)
SELECT coalesce(e.status, c.status) AS status, count(*), CAST(coalesce(sum(t.charge), 0) AS DECIMAL(18, 2))
FROM claims c LEFT JOIN last_event e ON e.claim_id = c.id LEFT JOIN {_CLAIM_TOTALS} t ON t.claim_id = c.id
WHERE c.created_at < $hi
GROUP BY ALL
"""


def claims_by_status(conn: Connection, *, as_of: date | None = None) -> pd.DataFrame:
    """Claims per status (every status of clinic.billing.CLAIM_STATUSES, in that order, zeros
    included) with ``amount``, what they bill (their lines' charges): now, or at the end of the
    clinic-local day ``as_of`` (from the claims' status events)."""
    if as_of is None:
        found = {status: (n, amount) for status, n, amount in read(conn, _CLAIMS_NOW)}
    else:
        hi = day_bounds(as_of, settings.timezone(conn))[1]
        found = {status: (n, amount) for status, n, amount in read(conn, _CLAIMS_AT, {"hi": hi})}
    rows = [(status, *found.get(status, (0, Decimal("0.00")))) for status in billing.CLAIM_STATUSES]
    return _frame(rows, STATUS_COLUMNS, money=("amount",)).astype({"claims": "int64"})


# --- days to payment -----------------------------------------------------------------------------

# Invoices paid in full whose last payment was applied in the period: days from the service date
# to that payment's clinic-local day, per the primary claim's payer (NO_CLAIM: billed to the patient
# only). Candidates are the invoices with money applied in the period; any applied later drops them.
_DAYS_TO_PAYMENT = """
WITH candidates AS (
    SELECT DISTINCT invoice_id FROM payment_applications WHERE applied_at >= $lo AND applied_at < $hi
),
last_paid AS (
    SELECT invoice_id, max(applied_at) AS paid_at FROM payment_applications
    WHERE invoice_id IN (SELECT invoice_id FROM candidates)
    GROUP BY invoice_id HAVING max(applied_at) < $hi
),
picked AS (
    SELECT i.id, greatest(CAST(timezone($tz, lp.paid_at) AS DATE) - i.service_date, 0) AS days
    FROM last_paid lp JOIN invoices i ON i.id = lp.invoice_id
    WHERE i.status = 'paid'
)
SELECT CASE WHEN c.payer_id IS NULL THEN $no_claim ELSE coalesce(p.name, 'Payer ' || c.payer_id) END AS payer,
       count(*) AS invoices, avg(x.days) AS average_days, median(x.days) AS median_days
FROM picked x
LEFT JOIN claims c ON c.invoice_id = x.id AND c.rank = 1
LEFT JOIN payers p ON p.id = c.payer_id
GROUP BY ALL
ORDER BY invoices DESC, payer
"""


def days_to_payment(conn: Connection, *, start: date, end: date) -> pd.DataFrame:
    """Per payer (the invoice's primary claim's, or NO_CLAIM): the invoices paid in full by a
    payment applied in [start, end), and the average and median days from their service date to
    that last payment's day."""
    tz, lo, hi = _bounds(conn, start, end)
    rows = read(conn, _DAYS_TO_PAYMENT, {"lo": lo, "hi": hi, "tz": tz, "no_claim": NO_CLAIM})
    return _frame(rows, PAYMENT_DAYS_COLUMNS).astype({"invoices": "int64", "average_days": "float64",
                                                      "median_days": "float64"})


# --- patient balances over 90 days ---------------------------------------------------------------

# The balance rule of view invoice_balances (007) and the "who owes it" rule of view invoice_ar
# (008), for the owing invoices served on or before $cut only (those views total every invoice
# first). tests/db/test_billing_reports.py checks it against the views. The lines and money of every
# invoice go through one join with those invoices and one sum per invoice (a sum per table, each
# joined back, took half as long again). An invoice without lines or money owes nothing: no row.
_OVER_90 = """
WITH inv AS (
    SELECT id, patient_id, service_date FROM invoices
    WHERE list_contains($owing, status) AND service_date <= $cut
      AND id NOT IN (SELECT invoice_id FROM claims WHERE list_contains($waits, status))
),
money AS (
    SELECT invoice_id, quantity * unit_price AS amount FROM invoice_lines
    UNION ALL SELECT invoice_id, -amount FROM payment_applications
    UNION ALL SELECT invoice_id, -amount FROM adjustments
    UNION ALL SELECT invoice_id, amount FROM refunds
),
b AS (
    SELECT inv.patient_id, inv.service_date, sum(m.amount) AS balance
    FROM inv JOIN money m ON m.invoice_id = inv.id
    GROUP BY inv.id, inv.patient_id, inv.service_date
)
SELECT pt.last_name || ', ' || pt.first_name, pt.mrn, CAST(sum(b.balance) AS DECIMAL(18, 2)) AS balance,
       min(b.service_date), b.patient_id
FROM b JOIN patients pt ON pt.id = b.patient_id
WHERE b.balance > 0
GROUP BY b.patient_id, pt.last_name, pt.first_name, pt.mrn
ORDER BY balance DESC, b.patient_id
"""


def patient_balances_over_90(conn: Connection, *, as_of: date) -> pd.DataFrame:
    """Patients who themselves owe (no claim waiting on the invoice) for services more than 90 days
    before ``as_of`` (aging buckets 91-120 and 120+): ``balance`` is what those old invoices owe now,
    ``oldest_service_date`` the oldest of them. Largest balance first; ``patient_id`` for a link."""
    rows = read(conn, _OVER_90, {"owing": sorted(billing.OWING), "waits": list(INSURANCE_WAITS),
                                 "cut": as_of - timedelta(days=OVER_90_FIRST_DAY)})
    return _frame(rows, OVER_90_COLUMNS, money=("balance",), dates=("oldest_service_date",))


# --- the tiles -----------------------------------------------------------------------------------


def billing_summary(conn: Connection, *, start: date, end: date) -> dict:
    """The Billing tiles for [start, end), exact: ``charges``, ``payments``, ``refunds``,
    ``collections`` (payments − refunds), ``adjustments`` (contractual), ``other_adjustments``
    (Decimal); ``net_collection_rate`` (float or None); ``ar_total`` (Decimal: A/R at the end of the
    period's last day) and ``ar_as_of`` (that day); ``days_in_ar`` (Decimal or None, over the 90
    days to that day); ``claims`` sent, ``denied`` (int) and ``denial_rate`` (float or None)."""
    tz, lo, hi = _bounds(conn, start, end)
    money = _money_totals(conn, tz, start, end)
    as_of = end - timedelta(days=1)
    ar_total = ar_at(conn, [as_of], tz=tz)[0]["total"]
    claims, denied = _denial_totals(conn, lo, hi)
    return {
        **money,
        "collections": money["payments"] - money["refunds"],
        "net_collection_rate": analytics.net_collection_rate(money["payments"], money["refunds"], money["charges"],
                                                             money["adjustments"]),
        "ar_total": ar_total,
        "ar_as_of": as_of,
        "days_in_ar": _days_in_ar(conn, tz, ar_total, as_of, DAYS_IN_AR_DAYS),
        "claims": claims,
        "denied": denied,
        "denial_rate": analytics.denial_rate(denied, claims),
    }
