"""Billing KPIs against real DuckDB files: tiny ledgers written through the app's own billing
functions on a moving clinic clock (New York), every expected number computed by hand in the
comments; then the seeded demo, where A/R at the last report day must equal db.ledger.ar_aging and
db.ar_reports, and the filtered reads must agree with the invoice_balances / invoice_ar views."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest

import db
from clinic import analytics, timeutil
from clinic.billing import AGING_KEYS
from clinic.claims import Adjustment, LineAnswer
from db import ar_reports, billing, billing_reports, users
from db.claims import claim_lines
from tests.conftest import SEED_TODAY, make_patient, make_user
from tests.db.billing_factories import make_fees, make_invoice

D = Decimal


def at(day: date, hour: int = 15) -> None:
    """Set the clinic clock to ``hour``:00 UTC on ``day`` (10:00 or 11:00 in New York)."""
    timeutil.set_clock(datetime.combine(day, time(hour), tzinfo=timezone.utc))


@pytest.fixture(autouse=True)
def clock():
    yield
    timeutil.set_clock(None)


@pytest.fixture
def clerk(conn):
    make_fees(conn)
    return users.get(conn, make_user(conn, username="clerk", role="billing"))


def buckets(frame, day: date) -> dict[str, float]:
    rows = frame[frame["month_end"] == datetime.combine(day, time(0))]
    return dict(zip(rows["bucket"], rows["amount"]))


def as_float(aging: dict[str, Decimal]) -> dict[str, float]:
    return {key: float(aging[key]) for key in AGING_KEYS}


# --- a small ledger over three months ------------------------------------------------------------


@pytest.fixture
def ledger(conn, clerk):
    """One patient, January to March 2026 (each event dated by the clock):
    A 100.00 served and finalised Jan 10; B 200.00 Jan 20; C 50.00 Jan 15 left a draft; V 70.00
    finalised Jan 25 and voided Feb 5; Feb 3 paid 100.00 on A; Feb 10 contractual 30.00 and Feb 12
    courtesy 5.00 on B; D 300.00 served Feb 15; Mar 2 paid 50.00 on B, reversed Mar 5 (a refund from
    B); Mar 20 40.00 paid on account (credit)."""
    patient = make_patient(conn)
    ids = {}
    for name, amount, day in (("A", "100.00", date(2026, 1, 10)), ("B", "200.00", date(2026, 1, 20))):
        at(day)
        ids[name] = make_invoice(conn, patient_id=patient, amount=amount, service_date=day, user=clerk)
    at(date(2026, 1, 15))
    ids["C"] = make_invoice(conn, patient_id=patient, amount="50.00", service_date=date(2026, 1, 15), finalize=False,
                            user=clerk)
    at(date(2026, 1, 25))
    ids["V"] = make_invoice(conn, patient_id=patient, amount="70.00", service_date=date(2026, 1, 25), user=clerk)
    at(date(2026, 2, 5))
    billing.void_invoice(conn, ids["V"], reason="Billed to the wrong visit", user=clerk)
    at(date(2026, 2, 3))
    billing.post_patient_payment(conn, invoice_id=ids["A"], amount="100.00", method="card", user=clerk)
    at(date(2026, 2, 10))
    billing.adjust_invoice(conn, invoice_id=ids["B"], kind="contractual", amount="30.00", reason="Contract", user=clerk)
    at(date(2026, 2, 12))
    billing.adjust_invoice(conn, invoice_id=ids["B"], kind="courtesy", amount="5.00", reason="Courtesy", user=clerk)
    at(date(2026, 2, 15))
    ids["D"] = make_invoice(conn, patient_id=patient, amount="300.00", service_date=date(2026, 2, 15), user=clerk)
    at(date(2026, 3, 2))
    payment = billing.post_patient_payment(conn, invoice_id=ids["B"], amount="50.00", method="check", user=clerk)
    at(date(2026, 3, 5))
    billing.reverse_payment(conn, payment, reason="The check bounced", user=clerk)
    at(date(2026, 3, 20))
    billing.post_payment_on_account(conn, patient_id=patient, amount="40.00", method="cash", user=clerk)
    return ids


def test_charges_count_finalised_invoices_by_service_date_and_money_by_the_day_it_moved(conn, ledger):
    frame = billing_reports.charges_and_collections(conn, start=date(2026, 1, 1), end=date(2026, 4, 1))

    assert list(frame.columns) == billing_reports.COLLECTION_COLUMNS
    assert [d.date() for d in frame["period"]] == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    # January: A + B = 300 (the draft C and the voided V are not charges). February: D. March: none.
    assert list(frame["charges"]) == [300.0, 300.0, 0.0]
    assert list(frame["payments"]) == [0.0, 100.0, 90.0]  # Mar: the bounced 50 and the 40 on account
    assert list(frame["adjustments"]) == [0.0, 30.0, 0.0]  # contractual only
    assert list(frame["other_adjustments"]) == [0.0, 5.0, 0.0]
    assert list(frame["refunds"]) == [0.0, 0.0, 50.0]
    # (payments − refunds) ÷ (charges − contractual): Jan 0/300, Feb 100/270, Mar nothing charged.
    assert frame["net_collection_rate"][0] == 0.0
    assert frame["net_collection_rate"][1] == pytest.approx(100 / 270)
    assert math.isnan(frame["net_collection_rate"][2])


def test_weekly_periods_start_on_monday_and_weeks_without_money_show_zeros(conn, ledger):
    frame = billing_reports.charges_and_collections(conn, start=date(2026, 1, 14), end=date(2026, 1, 28), by="week")

    # Wed Jan 14 .. Tue Jan 27 touches the weeks of Mon Jan 12, 19 and 26; A (Jan 10) is outside.
    assert [d.date() for d in frame["period"]] == [date(2026, 1, 12), date(2026, 1, 19), date(2026, 1, 26)]
    assert list(frame["charges"]) == [0.0, 200.0, 0.0]
    assert list(frame["payments"]) == [0.0, 0.0, 0.0]


def test_an_empty_period_has_no_rows_and_a_quiet_one_has_zeros(conn, ledger):
    assert billing_reports.charges_and_collections(conn, start=date(2026, 2, 1), end=date(2026, 2, 1)).empty
    assert billing_reports.ar_over_time(conn, start=date(2026, 2, 1), end=date(2026, 2, 1)).empty
    quiet = billing_reports.charges_and_collections(conn, start=date(2025, 6, 1), end=date(2025, 7, 1))
    assert (list(quiet["charges"]), list(quiet["payments"])) == ([0.0], [0.0])
    assert math.isnan(quiet["net_collection_rate"][0])
    with pytest.raises(ValueError):
        billing_reports.charges_and_collections(conn, start=date(2026, 2, 1), end=date(2026, 1, 1))
    with pytest.raises(ValueError):
        billing_reports.charges_and_collections(conn, start=date(2026, 1, 1), end=date(2026, 2, 1), by="day")


def test_a_payment_late_in_the_clinic_evening_counts_on_the_clinic_day(conn, clerk):
    invoice = make_invoice(conn, amount="80.00", service_date=date(2026, 1, 30), user=clerk)
    # 03:00 UTC on Feb 1 is 22:00 on Jan 31 in New York.
    timeutil.set_clock(datetime(2026, 2, 1, 3, 0, tzinfo=timezone.utc))
    billing.post_patient_payment(conn, invoice_id=invoice, amount="80.00", method="cash", user=clerk)

    frame = billing_reports.charges_and_collections(conn, start=date(2026, 1, 1), end=date(2026, 3, 1))
    assert list(frame["payments"]) == [80.0, 0.0]


def test_ar_at_each_month_end_by_bucket_from_the_events_up_to_that_day(conn, ledger):
    frame = billing_reports.ar_over_time(conn, start=date(2026, 1, 1), end=date(2026, 4, 1))

    assert list(frame.columns) == billing_reports.AR_COLUMNS
    assert sorted({d.date() for d in frame["month_end"]}) == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]
    assert list(frame["bucket"][:5]) == list(AGING_KEYS)
    zero = dict.fromkeys(AGING_KEYS, 0.0)
    # Jan 31: A 100 (21 days), B 200 (11 days), V 70 (not voided yet): all current.
    assert buckets(frame, date(2026, 1, 31)) == {**zero, "0-30": 370.0}
    # Feb 28: A paid, V voided, B 200 − 30 − 5 = 165 at 39 days, D 300 at 13 days.
    assert buckets(frame, date(2026, 2, 28)) == {**zero, "0-30": 300.0, "31-60": 165.0}
    # Mar 31: B paid 50 and got it back (165 at 70 days); D at 44 days; the 40 on account is credit.
    assert buckets(frame, date(2026, 3, 31)) == {**zero, "31-60": 300.0, "61-90": 165.0}


def test_the_last_month_end_equals_the_aging_report_of_that_day(conn, ledger):
    frame = billing_reports.ar_over_time(conn, start=date(2026, 1, 1), end=date(2026, 4, 1))
    last = date(2026, 3, 31)

    assert buckets(frame, last) == as_float(billing.ar_aging(conn, as_of=last))
    assert buckets(frame, last) == as_float(ar_reports.aging_split(conn, as_of=last).total)
    assert billing_reports.ar_at(conn, [last])[0] == billing.ar_aging(conn, as_of=last)  # exact, Decimal


def test_a_period_ending_mid_month_reports_its_last_day(conn, ledger):
    assert billing_reports.month_ends(date(2026, 1, 1), date(2026, 3, 16)) == [
        date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 15)]
    assert billing_reports.month_ends(date(2026, 1, 15), date(2026, 1, 20)) == [date(2026, 1, 19)]
    assert billing_reports.month_ends(date(2026, 1, 31), date(2026, 2, 1)) == [date(2026, 1, 31)]
    frame = billing_reports.ar_over_time(conn, start=date(2026, 3, 1), end=date(2026, 3, 4))
    # Mar 3: B owes 115 after the 50 of Mar 2 (the reversal is on Mar 5), at 42 days; D 300 at 16.
    assert buckets(frame, date(2026, 3, 3)) == {"0-30": 300.0, "31-60": 115.0, "61-90": 0.0, "91-120": 0.0,
                                                "120+": 0.0}


def test_days_in_ar_divides_ar_by_the_average_daily_charges(conn, ledger):
    # Mar 31: A/R 465; charges served Jan 1 .. Mar 31 (90 days) 600: 465 × 90 ÷ 600 = 69.75.
    assert billing_reports.days_in_ar(conn, as_of=date(2026, 3, 31)) == D("69.8")
    # Nothing was charged in the 30 days to Mar 31.
    assert billing_reports.days_in_ar(conn, as_of=date(2026, 3, 31), days=30) is None
    assert analytics.days_in_ar(D("465.00"), D("600.00"), 90) == D("69.8")


def test_the_summary_tiles_for_february(conn, ledger):
    summary = billing_reports.billing_summary(conn, start=date(2026, 2, 1), end=date(2026, 3, 1))

    assert (summary["charges"], summary["payments"], summary["refunds"], summary["collections"]) == (
        D("300.00"), D("100.00"), D("0.00"), D("100.00"))
    assert (summary["adjustments"], summary["other_adjustments"]) == (D("30.00"), D("5.00"))
    assert summary["net_collection_rate"] == pytest.approx(100 / 270)
    assert (summary["ar_as_of"], summary["ar_total"]) == (date(2026, 2, 28), D("465.00"))
    assert summary["days_in_ar"] == D("69.8")  # 465 × 90 ÷ 600 (Dec 1 .. Feb 28)
    assert (summary["claims"], summary["denied"], summary["denial_rate"]) == (0, 0, None)
    assert all(isinstance(summary[k], Decimal) for k in ("charges", "collections", "ar_total", "days_in_ar"))


# --- claims --------------------------------------------------------------------------------------


def make_payer(conn, name: str) -> int:
    return db.read(conn, "INSERT INTO payers (name, kind) VALUES (?, 'commercial') RETURNING id", [name])[0][0]


def insured(conn, payer_id: int) -> int:
    patient = make_patient(conn)
    db.read(conn, "INSERT INTO patient_insurance (patient_id, rank, payer_id, member_id) VALUES (?, 1, ?, 'M1')",
            [patient, payer_id])
    return patient


def answer(conn, claim_id: int, clerk, day: date, *, paid: str, adjustments=(), remainder: str = "patient") -> None:
    at(day)
    (line,) = claim_lines(conn, claim_id)
    allowed = str(D(paid) + sum((D(a) for r, a in adjustments if r.startswith("PR")), D(0)))
    billing.post_answer(conn, claim_id, lines=[LineAnswer(line.id, allowed=allowed, paid=paid,
                                                          adjustments=[Adjustment(r, a) for r, a in adjustments])],
                        received_on=day, remainder_to=remainder, user=clerk)


@pytest.fixture
def claims(conn, clerk):
    """Invoices of 100.00 served Jan 2, claims made Jan 3:
    1 Acme, sent Jan 5, denied CO-16 Jan 20, appealed Jan 25, paid in full Feb 10;
    2 Acme, sent Jan 6, paid 80 with CO-45 20 on Jan 30;
    3 Zenith, sent Jan 7, denied by hand Jan 15 (no reason codes);
    4 Zenith, sent Feb 2, denied CO-197 Feb 20;
    5 Acme, a draft never sent.
    Also a patient without insurance, served Jan 3, paying 40 on Jan 10 and 60 on Jan 13."""
    acme, zenith = make_payer(conn, "Acme Health"), make_payer(conn, "Zenith Mutual")
    served = date(2026, 1, 2)
    ids = {}
    at(date(2026, 1, 3))
    for n, payer in ((1, acme), (2, acme), (3, zenith), (4, zenith), (5, acme)):
        invoice = make_invoice(conn, patient_id=insured(conn, payer), amount="100.00", service_date=served, user=clerk)
        ids[n] = billing.create_claim(conn, invoice, user=clerk)
        ids[f"invoice{n}"] = invoice
    for n, day in ((1, date(2026, 1, 5)), (2, date(2026, 1, 6)), (3, date(2026, 1, 7)), (4, date(2026, 2, 2))):
        at(day)
        billing.submit_claim(conn, ids[n], user=clerk)
    answer(conn, ids[1], clerk, date(2026, 1, 20), paid="0.00", adjustments=[("CO-16", "100.00")])
    at(date(2026, 1, 25))
    billing.change_claim_status(conn, ids[1], "appealed", user=clerk, note="Added the missing referral")
    answer(conn, ids[1], clerk, date(2026, 2, 10), paid="100.00")
    answer(conn, ids[2], clerk, date(2026, 1, 30), paid="80.00", adjustments=[("CO-45", "20.00")])
    at(date(2026, 1, 15))
    billing.change_claim_status(conn, ids[3], "denied", user=clerk, note="Not covered, said the phone agent")
    answer(conn, ids[4], clerk, date(2026, 2, 20), paid="0.00", adjustments=[("CO-197", "100.00")])
    at(date(2026, 1, 3))
    self_pay = make_invoice(conn, amount="100.00", service_date=date(2026, 1, 3), user=clerk)
    at(date(2026, 1, 10))
    billing.post_patient_payment(conn, invoice_id=self_pay, amount="40.00", method="cash", user=clerk)
    at(date(2026, 1, 13))
    billing.post_patient_payment(conn, invoice_id=self_pay, amount="60.00", method="cash", user=clerk)
    at(date(2026, 2, 25))
    return ids


def test_denial_rate_by_payer_counts_a_claim_denied_then_paid_on_appeal_as_denied(conn, claims):
    frame = billing_reports.denial_rates(conn, start=date(2026, 1, 1), end=date(2026, 2, 1), by="payer")

    # Sent in January: Acme 1 (denied, then paid on appeal) and 2; Zenith 3. Claim 4 was sent in
    # February, claim 5 never.
    assert list(frame.columns) == billing_reports.DENIAL_COLUMNS
    assert frame.to_dict("records") == [
        {"group": "Acme Health", "claims": 2, "denied": 1, "rate": 0.5},
        {"group": "Zenith Mutual", "claims": 1, "denied": 1, "rate": 1.0},
    ]


def test_denial_rate_by_reason_names_the_carc_and_a_denial_by_hand(conn, claims):
    frame = billing_reports.denial_rates(conn, start=date(2026, 1, 1), end=date(2026, 2, 1), by="reason")

    # CO-45 on claim 2 is a contractual reduction, not a denial.
    assert frame.to_dict("records") == [
        {"group": "CO-16: Information is missing from the claim or service, or it has a billing error.",
         "claims": 3, "denied": 1, "rate": pytest.approx(1 / 3)},
        {"group": billing_reports.NO_REASON, "claims": 3, "denied": 1, "rate": pytest.approx(1 / 3)},
    ]
    february = billing_reports.denial_rates(conn, start=date(2026, 2, 1), end=date(2026, 3, 1), by="reason")
    assert list(february["group"]) == ["CO-197: Precertification, authorization or notification was missing."]
    assert billing_reports.denial_rates(conn, start=date(2025, 1, 1), end=date(2025, 2, 1), by="payer").empty


def test_claims_by_status_now_and_at_the_end_of_a_past_day(conn, claims):
    now = billing_reports.claims_by_status(conn)
    assert list(now.columns) == billing_reports.STATUS_COLUMNS
    assert list(now["status"]) == ["draft", "submitted", "accepted", "denied", "partially_paid", "paid", "appealed"]
    assert list(now["claims"]) == [1, 0, 0, 2, 0, 2, 0]
    assert list(now["amount"]) == [100.0, 0.0, 0.0, 200.0, 0.0, 200.0, 0.0]

    # Jan 26: 1 appealed (Jan 25), 2 submitted (paid Jan 30), 3 denied, 4 and 5 drafts.
    then = billing_reports.claims_by_status(conn, as_of=date(2026, 1, 26))
    assert list(then["claims"]) == [2, 1, 0, 1, 0, 0, 1]
    # Before any claim was made, nothing.
    assert list(billing_reports.claims_by_status(conn, as_of=date(2026, 1, 2))["claims"]) == [0] * 7


def test_days_from_service_to_the_payment_that_paid_in_full_by_payer(conn, claims):
    frame = billing_reports.days_to_payment(conn, start=date(2026, 1, 1), end=date(2026, 3, 1))

    # Acme: claim 2 paid Jan 30 (28 days after Jan 2), claim 1 Feb 10 (39 days); the patient paid
    # the rest on Jan 13, 10 days after Jan 3. Denied claims' invoices are not paid.
    assert list(frame.columns) == billing_reports.PAYMENT_DAYS_COLUMNS
    assert frame.to_dict("records") == [
        {"payer": "Acme Health", "invoices": 2, "average_days": 33.5, "median_days": 33.5},
        {"payer": billing_reports.NO_CLAIM, "invoices": 1, "average_days": 10.0, "median_days": 10.0},
    ]
    february = billing_reports.days_to_payment(conn, start=date(2026, 2, 1), end=date(2026, 3, 1))
    assert february.to_dict("records") == [
        {"payer": "Acme Health", "invoices": 1, "average_days": 39.0, "median_days": 39.0}]
    # The first of the patient's two payments (Jan 10) did not pay the invoice in full.
    assert billing_reports.days_to_payment(conn, start=date(2026, 1, 10), end=date(2026, 1, 11)).empty


def test_the_denial_tile_for_january(conn, claims):
    summary = billing_reports.billing_summary(conn, start=date(2026, 1, 1), end=date(2026, 2, 1))
    assert (summary["claims"], summary["denied"]) == (3, 2)
    assert summary["denial_rate"] == pytest.approx(2 / 3)


# --- patient balances over 90 days ---------------------------------------------------------------


def test_patient_balances_over_90_days_are_the_patients_own_old_invoices(conn, clerk):
    as_of = date(2026, 4, 30)  # over 90 days: served on or before Jan 29
    at(date(2026, 1, 5))
    ann = make_patient(conn, first_name="Ann", last_name="Old")
    make_invoice(conn, patient_id=ann, amount="100.00", service_date=date(2026, 1, 10), user=clerk)
    partly = make_invoice(conn, patient_id=ann, amount="50.00", service_date=date(2026, 1, 20), user=clerk)
    billing.post_patient_payment(conn, invoice_id=partly, amount="20.00", method="cash", user=clerk)
    make_invoice(conn, patient_id=ann, amount="1.00", service_date=date(2026, 1, 29), user=clerk)  # 91 days
    make_invoice(conn, patient_id=ann, amount="10.00", service_date=date(2026, 1, 30), user=clerk)  # 90 days
    make_invoice(conn, patient_id=ann, amount="40.00", service_date=date(2026, 3, 1), user=clerk)
    bob = insured(conn, make_payer(conn, "Acme Health"))
    waiting = make_invoice(conn, patient_id=bob, amount="80.00", service_date=date(2026, 1, 5), user=clerk)
    billing.submit_claim(conn, billing.create_claim(conn, waiting, user=clerk), user=clerk)
    cat = make_patient(conn)
    paid = make_invoice(conn, patient_id=cat, amount="60.00", service_date=date(2026, 1, 5), user=clerk)
    billing.post_patient_payment(conn, invoice_id=paid, amount="60.00", method="card", user=clerk)
    at(date(2026, 4, 30))

    frame = billing_reports.patient_balances_over_90(conn, as_of=as_of)
    assert list(frame.columns) == billing_reports.OVER_90_COLUMNS
    assert len(frame) == 1
    row = frame.iloc[0]
    # 100 + (50 − 20) + 1; not the 10 of Jan 30 (90 days) nor the 40 of Mar 1.
    (mrn,) = db.read(conn, "SELECT mrn FROM patients WHERE id = ?", [ann])[0]
    assert (row["patient"], row["mrn"], row["balance"], row["oldest_service_date"].date(), row["patient_id"]) == (
        "Old, Ann", mrn, 131.0, date(2026, 1, 10), ann)


# --- the seeded demo -----------------------------------------------------------------------------


def test_on_the_demo_ar_at_the_last_day_equals_the_aging_report_and_the_sums_agree_with_the_views(seeded):
    timeutil.set_clock(datetime.combine(SEED_TODAY, time(22), tzinfo=timezone.utc))
    start, end = date(2025, 9, 1), SEED_TODAY + timedelta(days=1)

    frame = billing_reports.ar_over_time(conn=seeded, start=start, end=end)
    assert buckets(frame, SEED_TODAY) == as_float(billing.ar_aging(seeded, as_of=SEED_TODAY))
    assert billing_reports.ar_at(seeded, [SEED_TODAY])[0] == ar_reports.aging_split(seeded, as_of=SEED_TODAY).total
    assert frame["amount"].sum() > 0

    (charged,) = db.read(seeded, "SELECT CAST(sum(charges) AS DECIMAL(18, 2)) FROM invoice_balances"
                                 " WHERE service_date >= ? AND service_date < ?", [start, end])[0]
    assert billing_reports.billing_summary(seeded, start=start, end=end)["charges"] == charged

    # The demo's history is short: age today's balances as if seen four months on.
    later = SEED_TODAY + timedelta(days=120)
    over_90 = billing_reports.patient_balances_over_90(seeded, as_of=later)
    expected = db.read(seeded, "SELECT patient_id, CAST(sum(balance) AS DECIMAL(18, 2)) FROM invoice_ar"
                               " WHERE responsibility = 'patient' AND service_date <= ? GROUP BY patient_id",
                       [later - timedelta(days=91)])
    assert len(expected) > 0
    assert dict(zip(over_90["patient_id"], over_90["balance"])) == {p: float(b) for p, b in expected}


# --- the formulas (clinic.analytics) -------------------------------------------------------------


def test_the_billing_formulas_on_hand_numbers_and_with_nothing_to_divide_by():
    assert analytics.net_collection_rate(D("90.00"), D("10.00"), D("130.00"), D("30.00")) == pytest.approx(0.8)
    assert analytics.net_collection_rate(D("50.00"), D("0.00"), D("30.00"), D("30.00")) is None
    assert analytics.net_collection_rate(D("0.00"), D("0.00"), D("0.00"), D("0.00")) is None
    assert analytics.days_in_ar(D("100.00"), D("300.00"), 90) == D("30.0")
    assert analytics.days_in_ar(D("100.00"), D("0.00"), 90) is None
    assert analytics.days_in_ar(D("0.00"), D("300.00"), 90) == D("0.0")
    assert analytics.denial_rate(1, 4) == 0.25
    assert analytics.denial_rate(0, 0) is None
