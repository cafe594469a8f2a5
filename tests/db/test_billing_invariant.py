"""The ledger's invariant under random sequences of charges, payments, adjustments, refunds,
credits and voids (hypothesis, on a fresh DuckDB file per example):

* for every invoice, balance = charges - payments - adjustments + refunds >= 0, and its status is
  the one its money gives;
* every patient's credit >= 0;
* the sum of all balances equals the A/R aging total (and the buckets add up to it);
* money in = money applied + credit (+ what was refunded from credit);
* no payment is lost: every payment accepted is in the ledger, and a refused action writes nothing.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import db
from clinic.billing import ADJUSTMENT_KINDS, PAYMENT_METHODS
from clinic.errors import ClinicError
from db import billing
from tests.conftest import copy_database, make_patient
from tests.db.billing_factories import SERVICE_DAY, check_ledger, make_invoice

PATIENTS = 2
good_amounts = st.integers(min_value=1, max_value=20000).map(lambda c: f"{c // 100}.{c % 100:02d}")
bad_amounts = st.sampled_from(["0", "-5", "1.001", "NaN", "abc"])  # refused: must write nothing
# About one amount in ten is bad.
amounts = st.integers(min_value=0, max_value=9).flatmap(lambda n: bad_amounts if n == 0 else good_amounts)
# A share (1-100 %) of what the action could take at most (the balance, the credit), or any amount.
shares = st.one_of(amounts, st.integers(min_value=1, max_value=100).map(lambda p: ("share", p)))
pick = st.integers(min_value=0, max_value=50)  # an index into what exists, taken modulo its length

operations = st.one_of(
    st.tuples(st.just("charge"), pick, st.integers(min_value=0, max_value=30000), st.integers(0, 200), st.booleans()),
    st.tuples(st.just("pay"), pick, amounts, st.sampled_from(PAYMENT_METHODS)),
    st.tuples(st.just("on_account"), pick, amounts),
    st.tuples(st.just("adjust"), pick, shares, st.sampled_from(ADJUSTMENT_KINDS)),
    st.tuples(st.just("apply_credit"), pick, st.one_of(st.none(), shares)),
    st.tuples(st.just("refund_credit"), pick, shares),
    st.tuples(st.just("reverse"), pick),
    st.tuples(st.just("void"), pick, st.booleans()),
    st.tuples(st.just("finalize"), pick),
    st.tuples(st.just("insurer"), pick, amounts),
)


def footprint(conn) -> tuple:
    return db.read(conn, "SELECT (SELECT count(*) FROM payments), (SELECT count(*) FROM payment_applications),"
                         " (SELECT count(*) FROM adjustments), (SELECT count(*) FROM refunds),"
                         " (SELECT count(*) FROM invoices WHERE status = 'void')")[0]


def resolve(amount, most: Decimal):
    """An amount as drawn, or a share of ``most`` (at least a cent)."""
    if isinstance(amount, tuple):
        return max((most * amount[1] / 100).quantize(Decimal("0.01")), Decimal("0.01"))
    return amount


def run(conn, op: tuple, patients: list[int], payer: int, accepted: list[Decimal]) -> None:
    invoices = [r[0] for r in db.read(conn, "SELECT id FROM invoices ORDER BY id")]
    payments = [r[0] for r in db.read(conn, "SELECT id FROM payments ORDER BY id")]
    kind, index = op[0], op[1]
    invoice = invoices[index % len(invoices)] if invoices else None
    patient = patients[index % len(patients)]
    if kind == "charge":
        _, _, cents, days_ago, finalize = op
        make_invoice(conn, patient_id=patient, amount=Decimal(cents) / 100,
                     service_date=SERVICE_DAY - timedelta(days=days_ago), finalize=finalize)
    elif invoice is None and kind not in ("on_account", "refund_credit", "reverse"):
        return
    elif kind == "pay":
        billing.post_patient_payment(conn, invoice_id=invoice, amount=op[2], method=op[3], user="test")
        accepted.append(Decimal(op[2]))
    elif kind == "on_account":
        billing.post_payment_on_account(conn, patient_id=patient, amount=op[2], method="cash", user="test")
        accepted.append(Decimal(op[2]))
    elif kind == "adjust":
        amount = resolve(op[2], billing.invoice_totals(conn, invoice)["balance"])
        billing.adjust_invoice(conn, invoice_id=invoice, kind=op[3], amount=amount, reason="Random adjustment",
                               user="test")
    elif kind == "apply_credit":
        owner = billing.get(conn, invoice).patient_id
        most = min(billing.invoice_totals(conn, invoice)["balance"], billing.patient_credit(conn, owner))
        billing.apply_credit(conn, invoice_id=invoice, amount=None if op[2] is None else resolve(op[2], most),
                             user="test")
    elif kind == "refund_credit":
        amount = resolve(op[2], billing.patient_credit(conn, patient))
        billing.refund_credit(conn, patient_id=patient, amount=amount, method="check", reason="Random refund",
                              user="test")
    elif kind == "reverse" and payments:
        billing.reverse_payment(conn, payments[index % len(payments)], reason="Random reversal", user="test")
    elif kind == "void":
        billing.void_invoice(conn, invoice, reason="Random void", rebill=op[2], user="test")
    elif kind == "finalize":
        billing.finalize_invoice(conn, invoice, user="test")
    elif kind == "insurer":
        billing.post_insurer_payment(conn, invoice_id=invoice, payer_id=payer, amount=op[2], method="eft", user="test")
        accepted.append(Decimal(op[2]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=0, max_value=30000), min_size=1, max_size=3),
       st.lists(operations, min_size=1, max_size=16))
def test_the_ledger_invariant_holds_after_any_sequence_of_money_actions(migrated_template, opening, ops):
    folder = Path(tempfile.mkdtemp(prefix="billing-invariant-"))
    conn = db.connect(copy_database(migrated_template, folder / "clinic.duckdb"))  # a fresh, empty clinic
    try:
        patients = [make_patient(conn) for _ in range(PATIENTS)]
        (payer,) = db.read(conn, "INSERT INTO payers (name, kind) VALUES ('Medicare', 'medicare') RETURNING id")[0]
        accepted: list[Decimal] = []
        for n, cents in enumerate(opening):  # a few invoices to start from, the last one left as a draft
            make_invoice(conn, patient_id=patients[n % PATIENTS], amount=Decimal(cents) / 100,
                         service_date=SERVICE_DAY - timedelta(days=45 * n), finalize=n < len(opening) - 1 or n == 0)
        for op in ops:
            before = footprint(conn)
            try:
                run(conn, op, patients, payer, accepted)
            except ClinicError:
                assert footprint(conn) == before, f"{op} was refused but wrote something"
            totals = check_ledger(conn)
            # No lost payment: everything accepted is in, to the cent.
            assert totals["money_in"] == sum(accepted, Decimal("0.00"))
    finally:
        conn.close()
        shutil.rmtree(folder, ignore_errors=True)
