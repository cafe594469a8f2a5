"""The demo practice's billing: every completed visit invoiced from its visit type's lines, claims
to the insured patients' payers with the insurers' answers, the money that followed (copays at
check-out, insurer payments, contractual and other adjustments, patient payments, a few payment
plans), so that the ledger, the claims work list and A/R aging look like a real practice's.

Set-wise, like the rest of the seeder: one numpy array per column, money in whole cents
(``int64``, exact; turned into ``DECIMAL(12,2)`` in SQL by ``CAST(cents AS DECIMAL(18,0)) * 0.01``,
never through float), one bulk insert per table. Only the payment plans, a few hundred at most,
are built one by one. Times are naive clinic-local seconds (see :mod:`demo.frames`); every money
event lies before the seeder's "now", and the rows obey what the app's own functions would write:

* invoices: ``draft`` until finalised (the visits of the last day or two), else their status
  follows from their money (clinic.billing.derive_status), balances never below zero;
* an insurer's answer posts its paid amount as an insurer payment applied to the invoice, its
  CO-45 amounts as one ``contractual`` adjustment, and leaves the patient's share (PR) and any
  denied amount on the invoice (as db.claims.post_answer does); claim statuses and events follow
  clinic.billing.CLAIM_MOVES;
* a patient payment larger than what is owed leaves the rest as credit; some credit is refunded.

The shape: most claims answered 2 to 6 weeks after the visit, about 7% denied (CO-16, CO-197,
CO-204, ...), a few lines bundled (CO-97); the last ten days' claims still unanswered; a few
completed visits of the last two weeks with no invoice at all (billing leakage).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

import numpy as np
import pandas as pd

from clinic import carc
from clinic.payment_plans import split as split_plan
from db import Connection, run_with_frame
from demo.fees import (
    ACUTE_DX,
    ADD_ONS,
    ADULT_EXAM_DX,
    CHILD_EXAM_DX,
    CHRONIC_DX,
    MEDICARE_ANNUAL,
    PREVENTIVE_TYPES,
    VARIANTS,
    FeeSchedule,
    all_diagnoses,
)
from demo.frames import DAY_S, reserve_ids, to_utc
from demo.outcomes import COMPLETED
from demo.schedule import ANNUAL, FOLLOW_UP, NEW, Appointments

log = logging.getLogger(__name__)

HOUR: Final = 3600
MEDICARE, MEDICAID, COMMERCIAL, SELF_PAY = range(4)
KIND_CODES: Final = {"medicare": MEDICARE, "medicaid": MEDICAID, "commercial": COMMERCIAL, "self_pay": SELF_PAY}


@dataclass(frozen=True)
class Contract:
    """What a payer allows and what its members pay (synthetic terms)."""

    allowed_percent: int  # of the practice's charge
    copay_cents: int  # per office visit (not preventive), on the visit's line
    deductible_share: float  # members whose deductible takes the allowed amount early in the year
    deductible_months: int  # January .. this month
    coinsurance_percent: int  # of the allowed amount, outside the deductible


CONTRACTS: Final = {
    "Medicare": Contract(58, 0, 0.6, 1, 20),
    "New York Medicaid": Contract(46, 0, 0.0, 0, 0),
    "Blue Harbor Health": Contract(72, 3000, 0.3, 3, 0),
    "Evergreen Mutual": Contract(68, 2500, 0.35, 3, 0),
    "Summit Care Plans": Contract(78, 4000, 0.2, 2, 0),
}

# Whole-claim denials and their shares (about 7% of answers); CO-97 bundles single lines.
DENIAL_RATE: Final = 0.07
BUNDLED_RATE: Final = 0.05  # of multi-line claims: the last line denied CO-97
DENIALS: Final = (("CO", "16", 0.28), ("CO", "197", 0.15), ("CO", "204", 0.14), ("CO", "27", 0.10),
                  ("CO", "50", 0.10), ("CO", "29", 0.08), ("CO", "109", 0.08), ("CO", "18", 0.07))
METHODS: Final = ("cash", "card", "check", "eft", "other")
PATIENT_METHOD_P: Final = (0.10, 0.55, 0.20, 0.10, 0.05)
CHECKOUT_METHOD_P: Final = (0.25, 0.70, 0.05, 0.0, 0.0)
ADJ_KINDS: Final = ("contractual", "write_off", "bad_debt", "small_balance", "courtesy")
CLAIM_STATUSES: Final = ("draft", "submitted", "accepted", "denied", "partially_paid", "paid", "appealed")
INVOICE_STATUSES: Final = ("draft", "open", "partially_paid", "paid", "void")


ADJ_REASONS: Final = (
    carc.label("CO", "45"),  # 0: contractual (the SQL adds "Insurer's answer to claim ...: ")
    "Self-pay discount (20%)",  # 1: courtesy
    "Small balance written off after the statement",  # 2
    "Sent to collections after three statements: written off",  # 3
    "Bundled by the insurer (CO-97): not billable to the patient",  # 4
) + tuple(f"Denied by the insurer ({g}-{c}), not billable to the patient: written off" for g, c, _ in DENIALS)


# --- small helpers -------------------------------------------------------------------------------


class _Rows:
    """Columns of one table gathered in parts, concatenated once."""

    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = {}

    def add(self, **cols: np.ndarray) -> None:
        for name, values in cols.items():
            self.parts.setdefault(name, []).append(np.asarray(values))

    def col(self, name: str) -> np.ndarray:
        return np.concatenate(self.parts[name]) if name in self.parts else np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        first = next(iter(self.parts.values()), [])
        return int(sum(len(p) for p in first))


def _utc(local_s: np.ndarray, tz: str, present: np.ndarray | None = None) -> pd.DatetimeIndex:
    """Daytime clinic-local seconds to UTC, fast: one offset per day (taken at noon; every time
    this module makes lies between 07:00 and 20:00, far from a daylight-saving switch)."""
    local_s = np.asarray(local_s, dtype=np.int64)
    if present is not None:
        local_s = np.where(present, local_s, local_s[present].min() if present.any() else 0)
    if len(local_s) == 0:
        return pd.DatetimeIndex([], tz="UTC")
    days = np.floor_divide(local_s, DAY_S)
    lo = int(days.min())
    noon = (lo + np.arange(int(days.max()) - lo + 1, dtype=np.int64)) * DAY_S + 12 * HOUR
    offset = to_utc(noon, tz).as_unit("s").asi8 - noon
    utc = pd.to_datetime(local_s + offset[days - lo], unit="s", utc=True)
    return utc if present is None else utc.where(present)


def _pick(rng: np.random.Generator, p: tuple[float, ...] | np.ndarray, n: int) -> np.ndarray:
    cum = np.cumsum(np.asarray(p, dtype=float))
    return np.minimum(np.searchsorted(cum / cum[-1], rng.random(n), side="right"), len(cum) - 1)


def _days(rng: np.random.Generator, lo: int, hi: int, n: int) -> np.ndarray:
    return rng.integers(lo, hi + 1, n) * DAY_S


def _daytime(days_s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The midnight of each given local time's day, plus a time between 09:00 and 17:00."""
    return np.floor_divide(days_s, DAY_S) * DAY_S + rng.integers(9 * HOUR, 17 * HOUR, len(days_s))


def _bulk(cur: Connection, view: str, frame: pd.DataFrame, sql: str, order: np.ndarray | None = None) -> None:
    """One bulk insert, its time logged (DEBUG) for tuning the large scale. ``order`` puts the
    frame's rows in id order first (DuckDB keeps the insertion order: no ORDER BY to sort)."""
    started = time.perf_counter()
    if order is not None:
        frame = frame.take(order)
    run_with_frame(cur, view, frame, sql)
    log.debug("%s: %d rows in %.2f s", view, len(frame), time.perf_counter() - started)


def _money_sql(column: str) -> str:
    return f"CAST(CAST({column} AS DECIMAL(18, 0)) * 0.01 AS DECIMAL(12, 2))"


def _cat(codes: np.ndarray, categories: tuple[str, ...] | list[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), categories=list(categories))


# --- the entry point -----------------------------------------------------------------------------


def seed_billing(
    cur: Connection,
    rng: np.random.Generator,
    *,
    appts: Appointments,
    appt_frame: pd.DataFrame,
    patients_rows: pd.DataFrame,
    fees: FeeSchedule,
    today: dt.date,
    now_s: int,
    tz: str,
    user_ids: dict[str, int],
) -> dict[str, int]:
    """Bill the completed visits (``appts`` aligned with ``appt_frame``, the appointments as
    inserted); returns row counts. Runs on the seeder's transaction ``cur``."""
    today_n = int((np.datetime64(today, "D") - np.datetime64("1970-01-01", "D")).astype(np.int64))
    frontdesk, billing_user = user_ids["frontdesk"], user_ids["billing"]

    # -- who: the completed visits, their patients' payers -----------------------------------------
    completed = np.flatnonzero(appts.status == COMPLETED)
    leak = (appts.day[completed] >= today_n - 14) & (rng.random(len(completed)) < 0.03)
    visits = completed[~leak]
    visits = visits[np.argsort(appts.finished[visits], kind="stable")]  # invoices numbered as completed
    n = len(visits)
    patient_id = appt_frame["patient_id"].to_numpy()[visits]
    provider_id = appt_frame["provider_id"].to_numpy()[visits]
    appointment_id = appt_frame["id"].to_numpy()[visits]
    vtype = appts.type[visits]
    day = appts.day[visits]
    finished = appts.finished[visits]

    ins = cur.execute(
        "SELECT i.patient_id, i.payer_id, p.kind, p.name FROM patient_insurance i JOIN payers p ON p.id = i.payer_id"
        " WHERE i.rank = 1 ORDER BY i.patient_id").fetchnumpy()
    ins_patient = np.asarray(ins["patient_id"], dtype=np.int64)
    where = np.searchsorted(ins_patient, patient_id)
    # Every demo patient has a first coverage (self-pay is a payer of its own kind).
    assert (where < len(ins_patient)).all() and (ins_patient[np.minimum(where, len(ins_patient) - 1)] == patient_id).all()
    payer_id = np.asarray(ins["payer_id"], dtype=np.int64)[where]
    kind = np.array([KIND_CODES[k] for k in np.asarray(ins["kind"], dtype=object)], dtype=np.int64)[where]
    payer_names = sorted(CONTRACTS)
    name_of = np.asarray(ins["name"], dtype=object)
    contract_idx = np.array([payer_names.index(x) if x in CONTRACTS else -1 for x in name_of], dtype=np.int64)[where]
    contracts = [CONTRACTS[name] for name in payer_names]
    allowed_pct = np.array([c.allowed_percent for c in contracts] + [100])[contract_idx]
    copay = np.array([c.copay_cents for c in contracts] + [0])[contract_idx]
    coins_pct = np.array([c.coinsurance_percent for c in contracts] + [0])[contract_idx]
    ded_months = np.array([c.deductible_months for c in contracts] + [0])[contract_idx]
    ded_share = np.array([c.deductible_share for c in contracts] + [0.0])[contract_idx]
    # Deductible plans are per patient: draw once per patient, look up per visit.
    ded_member_by_patient = rng.random(len(ins_patient))
    ded_member = ded_member_by_patient[where] < ded_share

    # Rows are in generation order, ids in registration order: look up through the sorted ids.
    row_ids = patients_rows["id"].to_numpy()
    id_order = np.argsort(row_ids, kind="stable")
    by_patient = id_order[np.searchsorted(row_ids[id_order], patient_id)]
    birth_day = (pd.to_datetime(patients_rows["date_of_birth"]).to_numpy().astype("datetime64[D]")
                 .astype(np.int64))[by_patient]
    age = (day - birth_day) // 365
    female = (patients_rows["sex"].astype(str).to_numpy() == "female")[by_patient]
    month = (day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12) + 1
    year = day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970

    # -- lines -----------------------------------------------------------------------------------
    line_visit, line_code, line_qty, variant = _lines(rng, fees, vtype, kind, age, female)
    line_cents = fees.cents[line_code, year[line_visit] - fees.first_year] * line_qty
    n_lines = len(line_visit)
    starts = np.flatnonzero(np.r_[True, line_visit[1:] != line_visit[:-1]])
    charge = np.add.reduceat(line_cents, starts)
    lines_per_invoice = np.diff(np.r_[starts, n_lines])
    position = np.arange(n_lines) - np.repeat(starts, lines_per_invoice) + 1
    is_last = np.r_[line_visit[1:] != line_visit[:-1], True]
    dx1, dx2 = _diagnoses(rng, vtype, age, variant, line_visit)

    # -- finalising, check-out, courtesy -----------------------------------------------------------
    lag = np.where(rng.random(n) < 0.7, 0, np.where(rng.random(n) < 0.67, 1, rng.integers(2, 4, n)))
    finalized = np.where(lag == 0, finished + rng.integers(5 * 60, 90 * 60, n),
                         (day + lag) * DAY_S + rng.integers(8 * HOUR + 1800, 17 * HOUR, n))
    # Nobody finalises at the weekend: Saturday's and Sunday's go to Monday.
    weekday = (np.floor_divide(finalized, DAY_S) + 3) % 7
    finalized = np.where((lag > 0) & (weekday >= 5), finalized + (7 - weekday) * DAY_S, finalized)
    final = finalized <= now_s
    insured = final & (kind != SELF_PAY)
    self_pay = final & (kind == SELF_PAY)

    # Per line, what the insurer will allow and the patient's share (for the claim and the copay).
    lv = line_visit
    allowed_l = line_cents * allowed_pct[lv] // 100
    office = np.isin(vtype, [NEW, FOLLOW_UP])
    preventive = np.isin(vtype, PREVENTIVE_TYPES)
    in_deductible = ded_member & (month <= ded_months)
    pr1_l = np.where(in_deductible[lv] & ~preventive[lv], allowed_l, 0)
    pr3_l = np.where((position == 1) & office[lv] & ~in_deductible[lv], np.minimum(copay[lv], allowed_l), 0)
    pr2_l = np.where(~preventive[lv] & (pr1_l == 0), (allowed_l - pr3_l) * coins_pct[lv] // 100, 0)
    copay_due = np.zeros(n, dtype=np.int64)
    np.add.at(copay_due, lv, pr3_l)

    # Rows gathered per table. Payments carry a key (their order of making); applications point at it.
    pay, app, adj, refunds = _Rows(), _Rows(), _Rows(), _Rows()
    applied = np.zeros(n, dtype=np.int64)  # per invoice: payments applied
    adjusted = np.zeros(n, dtype=np.int64)
    inv_idx = np.arange(n)

    def payment(idx: np.ndarray, amount: np.ndarray, apply: np.ndarray, at: np.ndarray, *, source: int,
                method: np.ndarray, by: int, payer: np.ndarray | None = None,
                claim: np.ndarray | None = None) -> np.ndarray:
        key0 = len(pay)
        keys = key0 + np.arange(len(idx))
        pay.add(key=keys, patient_id=patient_id[idx], source=np.full(len(idx), source), amount=amount,
                method=method, at=at, by=np.full(len(idx), by),
                payer_id=payer if payer is not None else np.full(len(idx), -1),
                claim=claim if claim is not None else np.full(len(idx), -1))
        some = apply > 0
        app.add(key=keys[some], invoice=idx[some], amount=apply[some], at=at[some], by=np.full(int(some.sum()), by))
        np.add.at(applied, idx[some], apply[some])
        return keys

    def adjustment(idx: np.ndarray, kind_code: int, amount: np.ndarray, reason: np.ndarray | int, at: np.ndarray,
                   claim: np.ndarray | None = None) -> None:
        some = amount > 0
        idx, amount, at = idx[some], amount[some], at[some]
        reasons = np.broadcast_to(np.asarray(reason), some.shape)[some]
        adj.add(invoice=idx, kind=np.full(len(idx), kind_code), amount=amount, reason=reasons, at=at,
                claim=(claim[some] if claim is not None else np.full(len(idx), -1)))
        np.add.at(adjusted, idx, amount)

    # Self-pay: a 20% courtesy discount for some, when finalised.
    courtesy = self_pay & (rng.random(n) < 0.15)
    adjustment(inv_idx[courtesy], 4, charge[courtesy] * 20 // 100, 1, finalized[courtesy])
    owed = charge - adjusted

    # Check-out (finalised the same day): insured patients' copay, self-pay in full or a deposit.
    checkout_at = finalized + rng.integers(60, 5 * 60, n)
    at_desk = final & (lag == 0)
    take_copay = insured & at_desk & (copay_due > 0) & (rng.random(n) < 0.85)
    u = rng.random(n)
    sp_full = self_pay & at_desk & (u < 0.55)
    sp_part = self_pay & at_desk & (u >= 0.55) & (u < 0.70)
    deposit = np.where(sp_part, np.minimum(5000, owed // 2 // 100 * 100), 0)
    checkout = np.where(take_copay, copay_due, 0) + np.where(sp_full, owed, 0) + deposit
    desk = np.flatnonzero(checkout > 0)
    payment(desk, checkout[desk], checkout[desk], checkout_at[desk], source=0,
            method=_pick(rng, CHECKOUT_METHOD_P, len(desk)), by=frontdesk)
    copay_paid = np.where(take_copay, copay_due, 0)

    # -- claims ----------------------------------------------------------------------------------
    claim_of = np.full(n, -1, dtype=np.int64)
    ci = np.flatnonzero(insured)  # invoice index per claim
    m = len(ci)
    claim_of[ci] = np.arange(m)
    submitted_at = finalized[ci] + rng.integers(10 * 60, 30 * HOUR, m)
    submitted_at = np.where(np.floor_divide(submitted_at, DAY_S) > np.floor_divide(finalized[ci], DAY_S),
                            _daytime(submitted_at, rng), submitted_at)
    is_submitted = submitted_at <= now_s
    accepted_at = _daytime(submitted_at + _days(rng, 1, 3, m), rng)
    # When the insurer answers, counted from the service day: mostly 2 to 6 weeks.
    lag_kind = _pick(rng, (0.80, 0.12, 0.08), m)
    answer_days = np.select([lag_kind == 0, lag_kind == 1], [rng.integers(14, 43, m), rng.integers(8, 14, m)],
                            rng.integers(43, 76, m))
    answer_day = np.maximum(day[ci] + answer_days, np.floor_divide(submitted_at, DAY_S) + 6)
    answer_at = answer_day * DAY_S + rng.integers(9 * HOUR, 17 * HOUR, m)
    answered = is_submitted & (answer_at <= now_s)
    is_accepted = is_submitted & (rng.random(m) < 0.6) & (accepted_at <= now_s) & (~answered | (accepted_at < answer_at))

    r = rng.random(m)
    denied = answered & (r < DENIAL_RATE)
    denial_reason = _pick(rng, tuple(p for *_, p in DENIALS), m)
    multi = lines_per_invoice[ci] > 1
    bundled = answered & ~denied & multi & (rng.random(m) < BUNDLED_RATE)

    # Per claim line (the claimed invoices' lines, in order).
    cl_line = np.flatnonzero(insured[lv])
    cl_claim = claim_of[lv[cl_line]]
    line_denied = denied[cl_claim] | (bundled[cl_claim] & is_last[cl_line])
    charge_cl = line_cents[cl_line]
    allow_cl = np.where(line_denied, 0, allowed_l[cl_line])
    co45 = np.where(line_denied, 0, charge_cl - allow_cl)
    pr1 = np.where(line_denied, 0, pr1_l[cl_line])
    pr2 = np.where(line_denied, 0, pr2_l[cl_line])
    pr3 = np.where(line_denied, 0, pr3_l[cl_line])
    paid_cl = allow_cl - pr1 - pr2 - pr3
    denial_amount = np.where(line_denied, charge_cl, 0)

    def per_claim(values: np.ndarray) -> np.ndarray:
        out = np.zeros(m, dtype=np.int64)
        np.add.at(out, cl_claim, values)
        return out

    paid_c, co45_c, pr_c, denied_c = per_claim(paid_cl), per_claim(co45), per_claim(pr1 + pr2 + pr3), per_claim(
        denial_amount)
    status_after = np.where(denied, 3, np.where(bundled, 4, 5))  # denied / partially_paid / paid

    # Money of the answers: the insurer's payment, the contractual write-off (CO-45).
    got = np.flatnonzero(answered & (paid_c > 0))
    payment(ci[got], paid_c[got], paid_c[got], answer_at[got], source=1,
            method=np.where(rng.random(len(got)) < 0.85, 3, 2), by=billing_user, payer=payer_id[ci[got]], claim=got)
    wo = np.flatnonzero(answered)
    adjustment(ci[wo], 0, co45_c[wo], 0, answer_at[wo], claim=wo)
    balance_after_answer = charge[ci] - copay_paid[ci] - paid_c - co45_c

    # Denied claims: after a month, appealed, written off by the clerk, or still on the work list.
    # A practice works its denials: those answered over four months ago were settled long since
    # (nearly all written off; appeals of that age would have been answered), so the work list and
    # the claims awaiting an answer hold recent ones only.
    old_denial = denied & (answer_at < now_s - 30 * DAY_S)
    recent = answer_at >= now_s - 120 * DAY_S
    fate = rng.random(m)
    appealed = old_denial & recent & (fate < 0.30)
    appeal_at = _daytime(answer_at + _days(rng, 5, 20, m), rng)
    written = np.flatnonzero(old_denial & np.where(recent, (fate >= 0.30) & (fate < 0.70), fate >= 0.05))
    adjustment(ci[written], 1, balance_after_answer[written], 5 + denial_reason[written],
               _daytime(answer_at[written] + _days(rng, 3, 28, len(written)), rng))
    # A bundled line is written off by the clerk a few days after the answer.
    bw_at = _daytime(answer_at + _days(rng, 1, 10, m), rng)
    bw = np.flatnonzero(bundled & (bw_at <= now_s))
    adjustment(ci[bw], 1, denied_c[bw], 4, bw_at[bw])

    # -- what the patients owe and pay -------------------------------------------------------------
    # Their share after an answer that paid (or a self-pay visit's rest), from when it was billed.
    due = np.zeros(n, dtype=np.int64)
    billed_at = np.full(n, np.iinfo(np.int64).max // 2, dtype=np.int64)
    share = np.flatnonzero(answered & ~denied)
    due[ci[share]] = pr_c[share] - copay_paid[ci[share]]
    billed_at[ci[share]] = answer_at[share]
    sp = np.flatnonzero(self_pay)
    due[sp] = owed[sp] - checkout[sp]
    billed_at[sp] = finalized[sp]

    u = rng.random(n)
    pays_at = _daytime(billed_at + _days(rng, 7, 55, n), rng)
    pays = (due > 0) & (pays_at <= now_s)
    full = pays & (u < 0.68)
    part = pays & (u >= 0.68) & (u < 0.80) & (due >= 1000)
    amount = np.where(full, due, np.where(part, due // 2 // 100 * 100, 0))
    over = full & (rng.random(n) < 0.015)
    extra = np.where(over, rng.integers(5, 41, n) * 100, 0)
    paying = np.flatnonzero(amount > 0)
    key0 = len(pay)
    payment(paying, amount[paying] + extra[paying], amount[paying], pays_at[paying], source=0,
            method=_pick(rng, PATIENT_METHOD_P, len(paying)), by=billing_user)
    # Some of that credit goes back to the patient.
    over_keys = key0 + np.flatnonzero(over[paying])
    refund_at = _daytime(pays_at[paying][over[paying]] + _days(rng, 5, 30, len(over_keys)), rng)
    back = (rng.random(len(over_keys)) < 0.4) & (refund_at <= now_s)
    refunds.add(key=over_keys[back], amount=extra[paying][over[paying]][back], at=refund_at[back],
                method=np.asarray(pay.col("method"))[over_keys[back]])

    left = due - amount
    unpaid = (left > 0) & (billed_at < now_s)
    small_at = _daytime(billed_at + 60 * DAY_S, rng)
    small = np.flatnonzero(unpaid & (left < 1000) & (small_at <= now_s) & (rng.random(n) < 0.6))
    adjustment(small, 3, left[small], 2, small_at[small])

    # -- payment plans (a few patients with large unpaid balances) --------------------------------
    no_denial = np.ones(n, dtype=bool)
    no_denial[ci] = denied_c == 0
    candidate = (unpaid & (amount == 0) & (left >= 2000) & no_denial & (billed_at >= now_s - 150 * DAY_S)
                 & (billed_at <= now_s - 20 * DAY_S))
    plans = _plans(rng, np.flatnonzero(candidate), left, billed_at, patient_id, today, now_s,
                   n_patients=len(patients_rows))
    in_plan = np.zeros(n, dtype=bool)
    for plan in plans:
        in_plan[plan.invoices] = True
        # Each instalment paid is one payment, applied to the plan's invoices oldest first.
        rest = {int(i): int(left[i]) for i in plan.invoices}
        for paid_at, cents in plan.payments:
            [key] = payment(np.array([plan.invoices[0]]), np.array([cents]), np.array([0]), np.array([paid_at]),
                            source=0, method=_pick(rng, PATIENT_METHOD_P, 1), by=billing_user)
            for i in plan.invoices:
                take = min(rest[int(i)], cents)
                if take > 0:
                    app.add(key=[key], invoice=[i], amount=[take], at=[paid_at], by=[billing_user])
                    applied[i] += take
                    rest[int(i)] -= take
                    cents -= take

    # Old balances nobody paid: some sent to collections (bad debt).
    bad_at = np.minimum(_daytime(billed_at + _days(rng, 120, 170, n), rng), now_s - DAY_S)
    bad = np.flatnonzero(unpaid & ~in_plan & (left >= 1000) & (day < today_n - 180) & (rng.random(n) < 0.35)
                         & ~np.isin(inv_idx, small))
    adjustment(bad, 2, left[bad], 3, bad_at[bad])

    # -- statuses --------------------------------------------------------------------------------
    balance = np.where(final, charge - applied - adjusted, 0)
    if (balance < 0).any():
        raise AssertionError("demo billing made a negative balance")
    status = np.where(~final, 0, np.where(balance == 0, 3, np.where(balance >= charge, 1, 2)))
    claim_status = np.where(~is_submitted, 0, np.where(~answered, np.where(is_accepted, 2, 1),
                                                       np.where(appealed, 6, status_after)))

    counts = _insert(
        cur, tz=tz, fees=fees, user_ids=user_ids,
        invoices=dict(patient_id=patient_id, appointment_id=appointment_id, provider_id=provider_id, day=day,
                      created=finished, finalized=finalized, final=final, status=status, lag=lag),
        lines=dict(visit=lv, code=line_code, qty=line_qty, cents=line_cents, position=position, dx1=dx1, dx2=dx2),
        claims=dict(invoice=ci, payer_id=payer_id[ci], status=claim_status, created=finalized[ci],
                    submitted=submitted_at, is_submitted=is_submitted, accepted=accepted_at, is_accepted=is_accepted,
                    answered=answered, answer_at=answer_at, status_after=status_after, appeal_at=appeal_at,
                    appealed=appealed, denial_reason=denial_reason, balance_after=balance_after_answer,
                    denied=denied),
        claim_lines=dict(line=cl_line, claim=cl_claim, charge=charge_cl, allowed=allow_cl, paid=paid_cl, co45=co45, pr1=pr1, pr2=pr2,
                         pr3=pr3, denied=line_denied, bundled=bundled[cl_claim] & is_last[cl_line]),
        pay=pay, app=app, adj=adj, refunds=refunds, plans=plans,
    )
    counts["unbilled_visits"] = int(leak.sum())
    return counts


# --- lines and diagnoses ---------------------------------------------------------------------------


def _lines(rng: np.random.Generator, fees: FeeSchedule, vtype: np.ndarray, kind: np.ndarray, age: np.ndarray,
           female: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(invoice index, code index, quantity) per line, sorted by invoice then position: the visit
    type's variant (drawn by weight) then any add-ons; and each visit's variant (an index into
    the variants of all types in order). A Medicare patient's physical is the
    annual wellness visit."""
    n = len(vtype)
    variant_lines: list[tuple[tuple[str, int], ...]] = []
    variant = np.zeros(n, dtype=np.int64)
    for t, variants in VARIANTS.items():
        rows = np.flatnonzero(vtype == t)
        first = len(variant_lines)
        variant_lines += [v.lines for v in variants]
        variant[rows] = first + _pick(rng, tuple(v.weight for v in variants), len(rows))
    width = max(len(x) for x in variant_lines)
    code_table = np.full((len(variant_lines), width), -1, dtype=np.int64)
    qty_table = np.zeros((len(variant_lines), width), dtype=np.int64)
    for i, lines in enumerate(variant_lines):
        for j, (code, qty) in enumerate(lines):
            code_table[i, j], qty_table[i, j] = fees.index(code), qty
    count = (code_table >= 0).sum(axis=1)[variant]
    visit = np.repeat(np.arange(n), count)
    slot = np.arange(len(visit)) - np.repeat(np.cumsum(count) - count, count)
    code = code_table[variant[visit], slot]
    qty = qty_table[variant[visit], slot]
    seq = slot.copy()

    medicare_annual = (vtype == ANNUAL) & (kind == MEDICARE) & (age >= 65)
    swap = (code == fees.index(MEDICARE_ANNUAL[0])) & medicare_annual[visit]
    code = np.where(swap, fees.index(MEDICARE_ANNUAL[1]), code)

    extra_visit, extra_code, extra_qty, extra_seq = [visit], [code], [qty], [seq]
    for t, add_ons in ADD_ONS.items():
        for k, add in enumerate(add_ons):
            who = (vtype == t) & (rng.random(n) < add.share)
            if add.only == "female":
                who &= female
            elif add.only == "medicare_annual":
                who &= medicare_annual
            rows = np.flatnonzero(who)
            extra_visit.append(rows)
            extra_code.append(np.full(len(rows), fees.index(add.code)))
            extra_qty.append(np.full(len(rows), add.quantity))
            extra_seq.append(np.full(len(rows), width + k))
    visit, code, qty, seq = (np.concatenate(x) for x in (extra_visit, extra_code, extra_qty, extra_seq))
    order = np.lexsort((seq, visit))
    return visit[order], code[order], qty[order], variant


DX_CODES: Final = tuple(sorted(all_diagnoses()))


def _dx(codes: tuple[str, ...]) -> np.ndarray:
    return np.array([DX_CODES.index(c) for c in codes], dtype=np.int64)


def _diagnoses(rng: np.random.Generator, vtype: np.ndarray, age: np.ndarray, variant: np.ndarray,
               visit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per line, its first and second ICD-10-CM code (indexes into DX_CODES, -1 for none): every
    line points at the visit's main diagnosis, the visit's own (first) line also at a second one.
    Office visits draw from common complaints and chronic conditions, physicals are exams (a
    child's or an adult's), vaccinations and procedures take their variant's diagnoses."""
    n = len(vtype)
    acute, chronic = _dx(ACUTE_DX), _dx(CHRONIC_DX)
    first = np.where(rng.random(n) < 0.65, acute[rng.integers(len(acute), size=n)],
                     chronic[rng.integers(len(chronic), size=n)])
    second = np.where(rng.random(n) < 0.30, chronic[rng.integers(len(chronic), size=n)], -1)
    adult, child = _dx(ADULT_EXAM_DX), _dx(CHILD_EXAM_DX)
    annual = vtype == ANNUAL
    first = np.where(annual & (age >= 18), adult[rng.integers(len(adult), size=n)], first)
    first = np.where(annual & (age < 18), child[rng.integers(len(child), size=n)], first)
    second = np.where(annual & (age < 18), -1, np.where(annual & (rng.random(n) < 0.35),
                                                          chronic[rng.integers(len(chronic), size=n)], second))
    pools = [v.diagnoses for variants in VARIANTS.values() for v in variants]
    for i, pool in enumerate(pools):
        if not pool:
            continue
        rows = np.flatnonzero(variant == i)
        first[rows] = _dx(pool)[rng.integers(len(pool), size=len(rows))]
        second[rows] = -1
    second = np.where(second == first, -1, second)
    is_first_line = np.r_[True, visit[1:] != visit[:-1]]
    return first[visit], np.where(is_first_line, second[visit], -1)


# --- payment plans -------------------------------------------------------------------------------


@dataclass
class _Plan:
    patient_id: int
    invoices: np.ndarray  # invoice indexes, oldest first
    total: int  # cents
    frequency: str
    created: int  # local seconds
    instalments: list[tuple[int, dt.date, int]]  # (number, due, cents)
    payments: list[tuple[int, int]]  # (local seconds, cents), one per instalment paid


def _plans(rng: np.random.Generator, candidates: np.ndarray, left: np.ndarray, billed_at: np.ndarray,
           patient_id: np.ndarray, today: dt.date, now_s: int, *, n_patients: int) -> list[_Plan]:
    """A plan for about one patient in 250 (at least two) among those owing $20 or more on
    invoices billed 3 to 21 weeks ago: set up a few days after the last statement, monthly or
    more often, every instalment due so far paid on time except in one plan in four, whose
    latest due instalment is overdue."""
    if len(candidates) == 0:
        return []
    patients = np.unique(patient_id[candidates])
    chosen = np.sort(rng.choice(patients, size=min(len(patients), max(2, n_patients // 250)), replace=False))
    today_n = (np.datetime64(today, "D") - np.datetime64("1970-01-01", "D")).astype(np.int64)
    out = []
    with_due = 0
    for pid in chosen.tolist():
        invoices = candidates[patient_id[candidates] == pid]
        invoices = invoices[np.argsort(billed_at[invoices], kind="stable")]
        total = int(left[invoices].sum())
        created = int(billed_at[invoices].max()) // DAY_S * DAY_S + int(rng.integers(3, 11)) * DAY_S + int(
            rng.integers(10 * HOUR, 16 * HOUR))
        count = min(int(rng.integers(3, 7)), total // 500)
        if created > now_s - DAY_S or count < 2:
            continue
        frequency = ("monthly", "biweekly", "weekly")[int(_pick(rng, (0.6, 0.3, 0.1), 1)[0])]
        first_due = (np.datetime64(created // DAY_S, "D") + 14).astype(dt.date)
        parts = split_plan(Decimal(total) / 100, count, frequency, first_due)
        instalments = [(p.number, p.due, int(p.amount * 100)) for p in parts]
        due = [x for x in instalments if x[1] < today]
        if due:
            with_due += 1
            if with_due % 4 == 1:
                due = due[:-1]  # one plan in four is behind: its latest due instalment is overdue
        payments = []
        for _number, due_on, cents in due:
            day_n = (np.datetime64(due_on, "D") - np.datetime64("1970-01-01", "D")).astype(np.int64)
            day_n = max(int(day_n) - int(rng.integers(0, 4)), created // DAY_S + 1)
            payments.append((min(day_n * DAY_S + int(rng.integers(9 * HOUR, 17 * HOUR)), int(today_n) * DAY_S - 1),
                             cents))
        out.append(_Plan(int(pid), invoices, total, frequency, created, instalments, payments))
    return out


# --- the rows ------------------------------------------------------------------------------------


def _opt(values: np.ndarray, present: np.ndarray) -> pd.arrays.IntegerArray:
    """A nullable BIGINT column: ``values`` where ``present``, NULL elsewhere."""
    return pd.arrays.IntegerArray(np.where(present, values, 0).astype(np.int64), mask=~np.asarray(present, dtype=bool))


def _ordered_ids(cur: Connection, sequence: str, *keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ids for rows numbered in the order ``keys`` give (np.lexsort: the LAST key sorts first):
    (the rows' order, each row's id)."""
    n = len(keys[0])
    order = np.lexsort(keys) if n else np.zeros(0, dtype=np.int64)
    first = reserve_ids(cur, sequence, n) if n else 0
    ids = np.empty(n, dtype=np.int64)
    ids[order] = first + np.arange(n)
    return order, ids


def _insert(cur: Connection, *, tz: str, fees: FeeSchedule, user_ids: dict[str, int], invoices: dict, lines: dict, claims: dict, claim_lines: dict, pay: _Rows,
            app: _Rows, adj: _Rows, refunds: _Rows, plans: list[_Plan]) -> dict[str, int]:
    frontdesk, billing_user = user_ids["frontdesk"], user_ids["billing"]
    n = len(invoices["day"])
    first_invoice = reserve_ids(cur, "invoices_id_seq", n) if n else 0
    invoice_id = first_invoice + np.arange(n, dtype=np.int64)
    final = invoices["final"]
    _bulk(cur, "seed_invoices", pd.DataFrame({
        "id": invoice_id,
        "patient_id": invoices["patient_id"],
        "appointment_id": invoices["appointment_id"],
        "provider_id": invoices["provider_id"],
        "service_date": invoices["day"].astype("datetime64[D]"),
        "status": _cat(invoices["status"], INVOICE_STATUSES),
        "created_at": _utc(invoices["created"], tz),
        "created_by": np.full(n, frontdesk, dtype=np.int64),
        "finalized_at": _utc(invoices["finalized"], tz, final),
        "finalized_by": _opt(np.where(invoices["lag"] == 0, frontdesk, billing_user), final),
    }), "INSERT INTO invoices (id, patient_id, appointment_id, visit_id, provider_id, service_date, status, version,"
        " created_at, created_by, finalized_at, finalized_by)"
        " SELECT id, patient_id, appointment_id, appointment_id, provider_id, service_date, status, 0, created_at,"
        " created_by, finalized_at, finalized_by FROM seed_invoices")

    nl = len(lines["visit"])
    first_line = reserve_ids(cur, "invoice_lines_id_seq", nl)
    line_id = first_line + np.arange(nl, dtype=np.int64)
    _bulk(cur, "seed_lines", pd.DataFrame({
        "id": line_id,
        "invoice_id": invoice_id[lines["visit"]],
        "position": lines["position"],
        "code": _cat(lines["code"], fees.codes),
        "description": _cat(lines["code"], fees.descriptions),
        "quantity": lines["qty"],
        "cents": lines["cents"] // lines["qty"],
        "dx1": _cat(lines["dx1"], DX_CODES),
        "dx2": _cat(lines["dx2"], DX_CODES),
    }), "INSERT INTO invoice_lines (id, invoice_id, position, code, description, quantity, unit_price, dx1, dx2)"
        f" SELECT id, invoice_id, position, code, description, quantity, {_money_sql('cents')}, dx1, dx2"
        " FROM seed_lines")

    # Claims, numbered as made (when the invoice was finalised).
    m = len(claims["invoice"])
    first_claim = reserve_ids(cur, "claims_id_seq", m) if m else 0
    claim_id = first_claim + np.arange(m, dtype=np.int64)
    ci = claims["invoice"]
    first_line_of = np.searchsorted(lines["visit"], ci)  # each claimed invoice's first line
    _bulk(cur, "seed_claims", pd.DataFrame({
        "id": claim_id,
        "invoice_id": invoice_id[ci],
        "patient_id": invoices["patient_id"][ci],
        "payer_id": claims["payer_id"],
        "status": _cat(claims["status"], CLAIM_STATUSES),
        "d1": _cat(lines["dx1"][first_line_of], DX_CODES),
        "d2": _cat(lines["dx2"][first_line_of], DX_CODES),
        "created_at": _utc(claims["created"], tz),
        "submitted_at": _utc(claims["submitted"], tz, claims["is_submitted"]),
        "answered_at": _utc(claims["answer_at"], tz, claims["answered"]),
    }), "INSERT INTO claims (id, invoice_id, payer_id, rank, control_number, member_id, group_number, subscriber_name,"
        " subscriber_relationship, status, version, diagnoses, created_at, created_by, submitted_at, answered_at)"
        " SELECT s.id, s.invoice_id, s.payer_id, 1, 'CD' || lpad(s.id::VARCHAR, 8, '0'), i.member_id, i.group_number,"
        " i.subscriber_name, i.subscriber_relationship, s.status, 0, concat_ws(',', s.d1, s.d2), s.created_at,"
        f" {billing_user}, s.submitted_at, s.answered_at"
        " FROM seed_claims s JOIN patient_insurance i ON i.patient_id = s.patient_id AND i.rank = 1 ORDER BY s.id")

    cl = claim_lines["line"]
    k = len(cl)
    first_cl = reserve_ids(cur, "claim_lines_id_seq", k) if k else 0
    claim_line_id = first_cl + np.arange(k, dtype=np.int64)
    _bulk(cur, "seed_claim_lines", pd.DataFrame({
        "id": claim_line_id,
        "claim_id": claim_id[claim_lines["claim"]],
        "invoice_line_id": line_id[cl],
        "position": lines["position"][cl],
        "code": _cat(lines["code"][cl], fees.codes),
        "quantity": lines["qty"][cl],
        "cents": lines["cents"][cl],
        "pointers": _cat((lines["dx2"][cl] >= 0).astype(np.int64), ("A", "A,B")),
    }), "INSERT INTO claim_lines (id, claim_id, invoice_line_id, position, code, quantity, charge, pointers)"
        f" SELECT id, claim_id, invoice_line_id, position, code, quantity, {_money_sql('cents')}, pointers"
        " FROM seed_claim_lines")

    # Payments, numbered in the order they came in; then where they were applied.
    pay_at = pay.col("at")
    pay_order, pay_id_of_key = _ordered_ids(cur, "payments_id_seq", pay.col("key"), pay_at)
    pay_claim = pay.col("claim")
    _bulk(cur, "seed_payments", pd.DataFrame({
        "id": pay_id_of_key,
        "patient_id": pay.col("patient_id"),
        "source": _cat(pay.col("source"), ("patient", "insurer")),
        "payer_id": _opt(pay.col("payer_id"), pay.col("payer_id") >= 0),
        "method": _cat(pay.col("method"), METHODS),
        "claim_id": _opt(claim_id[np.maximum(pay_claim, 0)] if m else pay_claim, pay_claim >= 0),
        "cents": pay.col("amount"),
        "received_at": _utc(pay_at, tz),
        "received_by": pay.col("by"),
    }), "INSERT INTO payments (id, patient_id, source, payer_id, method, reference, amount, received_at, received_by)"
        " SELECT id, patient_id, source, payer_id, method,"
        " CASE WHEN claim_id IS NOT NULL THEN 'CD' || lpad(claim_id::VARCHAR, 8, '0')"
        " WHEN method = 'check' THEN 'Check ' || (1001 + (id * 7919) % 8999)::VARCHAR END,"
        f" {_money_sql('cents')}, received_at, received_by FROM seed_payments", order=pay_order)
    app_at = app.col("at")
    app_order, app_id = _ordered_ids(cur, "payment_applications_id_seq", pay_id_of_key[app.col("key")], app_at)
    _bulk(cur, "seed_applications", pd.DataFrame({
        "id": app_id,
        "payment_id": pay_id_of_key[app.col("key")],
        "invoice_id": invoice_id[app.col("invoice")],
        "cents": app.col("amount"),
        "applied_at": _utc(app_at, tz),
        "applied_by": app.col("by"),
    }), "INSERT INTO payment_applications (id, payment_id, invoice_id, amount, from_credit, applied_at, applied_by)"
        f" SELECT id, payment_id, invoice_id, {_money_sql('cents')}, FALSE, applied_at, applied_by"
        " FROM seed_applications", order=app_order)

    adj_at = adj.col("at")
    adj_claim = adj.col("claim")
    adj_order, adj_id = _ordered_ids(cur, "adjustments_id_seq", adj.col("invoice"), adj_at)
    _bulk(cur, "seed_adjustments", pd.DataFrame({
        "id": adj_id,
        "invoice_id": invoice_id[adj.col("invoice")],
        "kind": _cat(adj.col("kind"), ADJ_KINDS),
        "cents": adj.col("amount"),
        "claim_id": _opt(claim_id[np.maximum(adj_claim, 0)] if m else adj_claim, adj_claim >= 0),
        "reason": _cat(adj.col("reason"), ADJ_REASONS),
        "adjusted_at": _utc(adj_at, tz),
    }), "INSERT INTO adjustments (id, invoice_id, kind, amount, reason, adjusted_at, adjusted_by)"
        f" SELECT id, invoice_id, kind, {_money_sql('cents')},"
        " CASE WHEN claim_id IS NULL THEN reason"
        " ELSE 'Insurer''s answer to claim CD' || lpad(claim_id::VARCHAR, 8, '0') || ': ' || reason END,"
        f" adjusted_at, {billing_user} FROM seed_adjustments", order=adj_order)

    ref_at = refunds.col("at")
    if len(ref_at):
        _order, ref_id = _ordered_ids(cur, "refunds_id_seq", ref_at)
        _bulk(cur, "seed_refunds", pd.DataFrame({
            "id": ref_id,
            "payment_id": pay_id_of_key[refunds.col("key")],
            "cents": refunds.col("amount"),
            "method": _cat(refunds.col("method"), METHODS),
            "refunded_at": _utc(ref_at, tz),
        }), "INSERT INTO refunds (id, payment_id, invoice_id, amount, method, reason, refunded_at, refunded_by)"
            f" SELECT id, payment_id, NULL, {_money_sql('cents')}, method, 'Overpaid: the credit refunded to the"
            f" patient', refunded_at, {billing_user} FROM seed_refunds ORDER BY id")

    answers = _insert_answers(cur, tz=tz, claims=claims, claim_lines=claim_lines, claim_id=claim_id,
                              claim_line_id=claim_line_id, pay_claim=pay_claim, pay_id_of_key=pay_id_of_key,
                              billing_user=billing_user)
    events = _insert_claim_events(cur, tz=tz, claims=claims, claim_id=claim_id, invoice_id=invoice_id,
                                  billing_user=billing_user)
    _insert_plans(cur, tz, plans, invoice_id, billing_user)
    return {"invoices": n, "invoice_lines": nl, "claims": m, "claim_answers": answers, "claim_events": events,
            "payments": len(pay_at), "adjustments": len(adj_at), "refunds": len(ref_at), "payment_plans": len(plans)}


def _insert_answers(cur: Connection, *, tz: str, claims: dict, claim_lines: dict, claim_id: np.ndarray,
                    claim_line_id: np.ndarray, pay_claim: np.ndarray, pay_id_of_key: np.ndarray,
                    billing_user: int) -> int:
    """The insurers' answers, their lines and each line's CARC adjustments."""
    answered = np.flatnonzero(claims["answered"])
    a = len(answered)
    if a == 0:
        return 0
    answer_order, answer_id_of = _ordered_ids(cur, "claim_answers_id_seq", answered, claims["answer_at"][answered])
    answer_of_claim = np.full(len(claim_id), -1, dtype=np.int64)
    answer_of_claim[answered] = answer_id_of
    payment_of_claim = np.full(len(claim_id), -1, dtype=np.int64)
    has_payment = pay_claim >= 0
    payment_of_claim[pay_claim[has_payment]] = pay_id_of_key[np.flatnonzero(has_payment)]
    _bulk(cur, "seed_answers", pd.DataFrame({
        "id": answer_id_of,
        "claim_id": claim_id[answered],
        "received_on": np.floor_divide(claims["answer_at"][answered], DAY_S).astype("datetime64[D]"),
        "payment_id": _opt(payment_of_claim[answered], payment_of_claim[answered] >= 0),
        "remainder_to": _cat((claims["balance_after"][answered] > 0).astype(np.int64), ("none", "patient")),
        "status_after": _cat(claims["status_after"][answered], CLAIM_STATUSES),
        "posted_at": _utc(claims["answer_at"][answered], tz),
    }), "INSERT INTO claim_answers (id, claim_id, received_on, source, payment_id, remainder_to, status_after,"
        " posted_at, posted_by) SELECT id, claim_id, received_on, 'manual', payment_id, remainder_to, status_after,"
        f" posted_at, {billing_user} FROM seed_answers", order=answer_order)

    rows = np.flatnonzero(claims["answered"][claim_lines["claim"]])
    r = len(rows)
    first = reserve_ids(cur, "claim_line_answers_id_seq", r)
    line_answer_id = first + np.arange(r, dtype=np.int64)
    _bulk(cur, "seed_line_answers", pd.DataFrame({
        "id": line_answer_id,
        "answer_id": answer_of_claim[claim_lines["claim"][rows]],
        "claim_line_id": claim_line_id[rows],
        "allowed": claim_lines["allowed"][rows],
        "paid": claim_lines["paid"][rows],
    }), "INSERT INTO claim_line_answers (id, answer_id, claim_line_id, allowed, paid)"
        f" SELECT id, answer_id, claim_line_id, {_money_sql('allowed')}, {_money_sql('paid')}"
        " FROM seed_line_answers")

    # Adjustments: (group, reason) as an index into this list.
    reasons = [("CO", "45"), ("PR", "1"), ("PR", "2"), ("PR", "3"), ("CO", "97")] + [(g, c) for g, c, _ in DENIALS]
    denial = claims["denial_reason"][claim_lines["claim"][rows]]
    parts = []
    for code, amount in ((0, claim_lines["co45"][rows]), (1, claim_lines["pr1"][rows]), (2, claim_lines["pr2"][rows]),
                         (3, claim_lines["pr3"][rows])):
        some = amount > 0
        parts.append((line_answer_id[some], np.full(int(some.sum()), code), amount[some]))
    bundled = claim_lines["bundled"][rows]
    charge = claim_lines["charge"][rows]
    parts.append((line_answer_id[bundled], np.full(int(bundled.sum()), 4), charge[bundled]))
    whole = claim_lines["denied"][rows] & ~bundled
    parts.append((line_answer_id[whole], 5 + denial[whole], charge[whole]))
    ids, codes, amounts = (np.concatenate(x) for x in zip(*parts))
    order = np.lexsort((codes, ids))
    _bulk(cur, "seed_line_adjustments", pd.DataFrame({
        "line_answer_id": ids[order],
        "grp": pd.Categorical(np.array([g for g, _ in reasons])[codes[order]]),
        "reason": pd.Categorical(np.array([c for _, c in reasons])[codes[order]]),
        "cents": amounts[order],
    }), "INSERT INTO claim_line_adjustments (line_answer_id, group_code, reason_code, amount)"
        f" SELECT line_answer_id, grp, reason, {_money_sql('cents')} FROM seed_line_adjustments")
    return a


_EVENT_NOTES: Final = ("Made from invoice", "Sent to the clearinghouse", "Acknowledged by the payer",
                       "Insurer's answer posted: paid", "Insurer's answer posted: paid, one line bundled (CO-97)",
                       "Appeal sent with the visit notes and a corrected claim") + tuple(
    f"Insurer's answer posted: denied ({carc.label(g, c)})" for g, c, _ in DENIALS)


def _insert_claim_events(cur: Connection, *, tz: str, claims: dict, claim_id: np.ndarray, invoice_id: np.ndarray,
                         billing_user: int) -> int:
    """Each claim's history: made, submitted, perhaps acknowledged, answered, perhaps appealed."""
    m = len(claim_id)
    idx = np.arange(m)
    sub, acc, ans, apl = claims["is_submitted"], claims["is_accepted"], claims["answered"], claims["appealed"]
    status_after = claims["status_after"]
    answer_note = np.where(status_after == 5, 3, np.where(status_after == 4, 4, 6 + claims["denial_reason"]))
    parts = [  # (claim index, local time, step, from, to, note)
        (idx, claims["created"], 0, np.full(m, -1), np.full(m, 0), np.full(m, 0)),
        (idx[sub], claims["submitted"][sub], 1, np.full(int(sub.sum()), 0), np.full(int(sub.sum()), 1),
         np.full(int(sub.sum()), 1)),
        (idx[acc], claims["accepted"][acc], 2, np.full(int(acc.sum()), 1), np.full(int(acc.sum()), 2),
         np.full(int(acc.sum()), 2)),
        (idx[ans], claims["answer_at"][ans], 3, np.where(acc[ans], 2, 1), status_after[ans], answer_note[ans]),
        (idx[apl], claims["appeal_at"][apl], 4, np.full(int(apl.sum()), 3), np.full(int(apl.sum()), 6),
         np.full(int(apl.sum()), 5)),
    ]
    c = np.concatenate([p[0] for p in parts])
    at = np.concatenate([p[1] for p in parts])
    step = np.concatenate([np.full(len(p[0]), p[2]) for p in parts])
    from_ = np.concatenate([p[3] for p in parts])
    to = np.concatenate([p[4] for p in parts])
    note = np.concatenate([p[5] for p in parts])
    order, event_id = _ordered_ids(cur, "claim_events_id_seq", step, c, at)
    _bulk(cur, "seed_claim_events", pd.DataFrame({
        "id": event_id,
        "claim_id": claim_id[c],
        "invoice_id": invoice_id[claims["invoice"][c]],
        "changed_at": _utc(at, tz),
        "from_status": _cat(from_, CLAIM_STATUSES),
        "to_status": _cat(to, CLAIM_STATUSES),
        "note": _cat(note, _EVENT_NOTES),
        "made": step == 0,
    }), "INSERT INTO claim_events (id, claim_id, changed_at, by_user, from_status, to_status, note)"
        f" SELECT id, claim_id, changed_at, {billing_user}, from_status, to_status,"
        " CASE WHEN made THEN note || ' ' || invoice_id::VARCHAR ELSE note END FROM seed_claim_events", order=order)
    return len(c)


def _insert_plans(cur: Connection, tz: str, plans: list[_Plan], invoice_id: np.ndarray, billing_user: int) -> None:
    if not plans:
        return
    first = reserve_ids(cur, "payment_plans_id_seq", len(plans))
    plan_id = first + np.arange(len(plans), dtype=np.int64)
    _bulk(cur, "seed_plans", pd.DataFrame({
        "id": plan_id,
        "patient_id": np.array([p.patient_id for p in plans], dtype=np.int64),
        "cents": np.array([p.total for p in plans], dtype=np.int64),
        "frequency": [p.frequency for p in plans],
        "created_at": _utc(np.array([p.created for p in plans], dtype=np.int64), tz),
    }), "INSERT INTO payment_plans (id, patient_id, total, frequency, status, created_at, created_by)"
        f" SELECT id, patient_id, {_money_sql('cents')}, frequency, 'active', created_at, {billing_user}"
        " FROM seed_plans ORDER BY id")
    parts = [(pid, number, due, cents) for pid, p in zip(plan_id.tolist(), plans) for number, due, cents in p.instalments]
    _bulk(cur, "seed_instalments", pd.DataFrame({
        "plan_id": [x[0] for x in parts], "number": [x[1] for x in parts],
        "due_date": pd.to_datetime([x[2] for x in parts]), "cents": [x[3] for x in parts],
    }), "INSERT INTO payment_plan_instalments (plan_id, number, due_date, amount)"
        f" SELECT plan_id, number, due_date, {_money_sql('cents')} FROM seed_instalments ORDER BY plan_id, number")
    links = [(pid, int(invoice_id[j])) for pid, p in zip(plan_id.tolist(), plans) for j in p.invoices]
    _bulk(cur, "seed_plan_invoices", pd.DataFrame({"plan_id": [x[0] for x in links], "invoice_id": [x[1] for x in links]}),
          "INSERT INTO payment_plan_invoices (plan_id, invoice_id) SELECT plan_id, invoice_id FROM seed_plan_invoices"
          " ORDER BY plan_id, invoice_id")
