"""Merging a duplicate patient carries their billing to the record that stays: invoices (and the
claims made from them), payments and so their credit, payment plans, and the billing account."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import db
from db import billing, patient_merge, payers, users
from tests.conftest import make_patient, make_user
from tests.db.billing_factories import check_ledger, make_invoice

D = Decimal


def test_a_merge_moves_invoices_claims_payments_credit_plans_and_the_billing_account(conn):
    clerk = users.get(conn, make_user(conn, role="billing"))
    manager = users.get(conn, make_user(conn, role="manager"))
    survivor, duplicate = make_patient(conn), make_patient(conn)
    payer_id = payers.save(conn, name="Blue Harbor", payer_code="BLUE", kind="commercial", by="test")
    conn.cursor().execute("INSERT INTO patient_insurance (patient_id, rank, payer_id, member_id)"
                          " VALUES (?, 1, ?, 'M1')", [duplicate, payer_id])
    kept_invoice = make_invoice(conn, patient_id=survivor, amount="40.00")
    claimed = make_invoice(conn, patient_id=duplicate, amount="200.00")
    claim_id = billing.create_claim(conn, claimed, user=clerk)
    planned = make_invoice(conn, patient_id=duplicate, amount="90.00")
    plan_id = billing.create_plan(conn, patient_id=duplicate, instalments=3, frequency="monthly",
                                  first_due=date.today() + timedelta(days=7), user=clerk, invoice_ids=[planned])
    billing.post_patient_payment(conn, invoice_id=planned, amount="100.00", method="card", user=clerk)  # 10 credit
    billing.apply_credit(conn, invoice_id=claimed, amount="4.00", user=clerk)  # opens their billing account
    assert billing.patient_credit(conn, duplicate) == D("6.00")
    balance_before = billing.patient_balance(conn, duplicate) + billing.patient_balance(conn, survivor)

    moved = patient_merge.merge(conn, survivor_id=survivor, merged_id=duplicate, by=manager)

    assert (moved["invoices"], moved["payments"], moved["payment_plans"], moved["billing_accounts"]) == (2, 1, 1, 1)
    assert [i.id for i in billing.list_for_patient(conn, survivor)] == sorted([kept_invoice, claimed, planned],
                                                                               reverse=True)
    assert billing.list_for_patient(conn, duplicate) == []
    assert billing.get_claim(conn, claim_id).patient_id == survivor  # the claim follows its invoice
    assert billing.get_plan(conn, plan_id).patient_id == survivor
    assert billing.patient_credit(conn, survivor) == D("6.00")
    assert billing.patient_credit(conn, duplicate) == D("0.00")
    assert billing.patient_balance(conn, survivor) == balance_before
    assert db.read(conn, "SELECT patient_id FROM billing_accounts ORDER BY patient_id") == [(survivor,)]
    # The survivor's credit can be spent after the merge (its account row exists and locks).
    billing.apply_credit(conn, invoice_id=kept_invoice, amount="6.00", user=clerk)
    assert billing.invoice_totals(conn, kept_invoice)["balance"] == D("34.00")
    check_ledger(conn)
