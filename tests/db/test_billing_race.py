"""Race-freedom of the ledger: clerks posting on one invoice (or spending one patient's credit) at
the same instant never lose a payment nor apply more than is due; the overflow goes to credit.

Every money write bumps the invoice's version first (and the patient's billing account when it
takes credit), so concurrent writers conflict there and db.atomic retries the losers on a fresh
snapshot. Each test releases all its threads at once through a barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest

import db
from clinic.errors import ClinicError
from db import billing, users
from tests.conftest import make_patient, make_user
from tests.db.billing_factories import check_ledger, make_invoice

pytestmark = pytest.mark.serial

D = Decimal
THREADS = 16


def run_together(jobs: list[Callable[[], object]]) -> tuple[list, list, list]:
    """Run each job on its own thread, all released at once: (results, refusals, other errors)."""
    barrier = threading.Barrier(len(jobs))
    results, refused, other = [], [], []
    lock = threading.Lock()

    def go(job: Callable[[], object]) -> None:
        barrier.wait()
        try:
            value = job()
        except ClinicError as exc:
            with lock:
                refused.append(exc)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            with lock:
                other.append(exc)
        else:
            with lock:
                results.append(value)

    threads = [threading.Thread(target=go, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, refused, other


@pytest.fixture
def clerks(conn):
    return [users.get(conn, make_user(conn, role=role)) for role in ("billing", "front_desk", "manager")]


def test_sixteen_clerks_paying_one_invoice_at_once_lose_nothing_and_overflow_to_credit(conn, clerks):
    invoice_id = make_invoice(conn, amount="100.00")
    patient = billing.get(conn, invoice_id).patient_id
    amounts = [D("10.00")] * 8 + [D("7.35")] * 8  # 138.80 in all, 38.80 more than is due

    def pay(i: int) -> Callable[[], int]:
        return lambda: billing.post_patient_payment(conn, invoice_id=invoice_id, amount=str(amounts[i]),
                                                    method="cash", user=clerks[i % len(clerks)])

    results, refused, other = run_together([pay(i) for i in range(THREADS)])
    assert other == [] and refused == []
    assert len(set(results)) == THREADS  # sixteen payments, none lost
    totals = billing.invoice_totals(conn, invoice_id)
    assert (totals["payments"], totals["balance"], totals["status"]) == (D("100.00"), D("0.00"), "paid")
    assert billing.patient_credit(conn, patient) == D("38.80")
    assert db.read(conn, "SELECT sum(amount) FROM payments")[0][0] == D("138.80")
    assert db.read(conn, "SELECT count(*) FROM audit_log WHERE action = 'payment.post'")[0][0] == THREADS
    check_ledger(conn)


def test_spending_one_patients_credit_from_many_threads_never_takes_more_than_there_is(conn, clerks):
    patient = make_patient(conn)
    billing.post_payment_on_account(conn, patient_id=patient, amount="50.00", method="card", user=clerks[0])
    invoices = [make_invoice(conn, patient_id=patient, amount="9.00") for _ in range(THREADS // 2)]
    jobs: list[Callable[[], object]] = [
        (lambda inv=inv: billing.apply_credit(conn, invoice_id=inv, user=clerks[0])) for inv in invoices]
    jobs += [(lambda: billing.refund_credit(conn, patient_id=patient, amount="6.00", method="card",
                                            reason="Asked for it back", user=clerks[2])) for _ in range(THREADS // 2)]
    results, refused, other = run_together(jobs)
    assert other == []
    assert all("credit" in str(exc) for exc in refused)
    assert sum(results, D("0.00")) == D("50.00") - billing.patient_credit(conn, patient)
    assert billing.patient_credit(conn, patient) >= 0
    check_ledger(conn)


def test_a_payment_racing_a_void_either_lands_on_the_open_invoice_or_is_refused(conn, clerks):
    for _ in range(3):
        invoice_id = make_invoice(conn, amount="40.00")
        jobs: list[Callable[[], object]] = [
            lambda: billing.void_invoice(conn, invoice_id, reason="Billed twice", user=clerks[0]),
            *[(lambda: billing.post_patient_payment(conn, invoice_id=invoice_id, amount="5", method="cash",
                                                    user=clerks[1])) for _ in range(5)],
        ]
        _, _, other = run_together(jobs)
        assert other == []
        totals = billing.invoice_totals(conn, invoice_id)
        if totals["status"] == "void":
            assert totals["payments"] == D("0.00")
        else:
            assert totals["payments"] > 0
        check_ledger(conn)


def test_the_race_test_would_notice_a_poster_that_does_not_lock_the_invoice(conn, clerks):
    """The same posting WITHOUT the version bump, every thread reading the balance before any writes
    (the interleaving MVCC allows): more than is due gets applied. The lock is what prevents it."""
    from db.ledger import money_in

    invoice_id = make_invoice(conn, amount="100.00")
    barrier = threading.Barrier(4)

    def naive_pay(cur) -> None:
        money = money_in(cur, invoice_id)
        barrier.wait()
        applied = min(D("40.00"), money.balance)
        (payment_id,) = cur.execute("INSERT INTO payments (patient_id, source, method, amount)"
                                    " VALUES (?, 'patient', 'cash', 40.00) RETURNING id", [money.patient_id]).fetchone()
        cur.execute("INSERT INTO payment_applications (payment_id, invoice_id, amount) VALUES (?, ?, ?)",
                    [payment_id, invoice_id, applied])

    threads = [threading.Thread(target=lambda: db.atomic(conn, naive_pay, attempts=1)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert billing.invoice_totals(conn, invoice_id)["payments"] == D("160.00")  # over-applied: the bug shown
