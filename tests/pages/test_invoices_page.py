"""Billing › Invoices through the real app: the ledger's totals, editing a draft invoice's line and
finalising it, posting a patient payment, and bad amounts refused next to the Amount field with
what was typed kept and nothing written."""

from __future__ import annotations

from decimal import Decimal

from clinic.money import money_text
from db import billing
from db.invoice_ledger import ledger_totals
from tests.conftest import SEED_TODAY, database, query

D = Decimal


def make_draft(path) -> int:
    """A hand-made draft of a seeded patient: one 99213 line at 120.00 (I10)."""
    with database(path) as conn:
        patient_id = query(path, "SELECT min(id) FROM patients WHERE status = 'active'")[0][0]
        invoice_id = billing.create_invoice(conn, patient_id=patient_id, service_date=SEED_TODAY, user="test")
        billing.add_line(conn, invoice_id, code="99213", description="Office visit", unit_price="120.00",
                         version=billing.get(conn, invoice_id).version, user="test", diagnoses=["I10"])
    return invoice_id


def make_open(path, amount: str = "135.00") -> int:
    invoice_id = make_draft(path)
    with database(path) as conn:
        line = billing.lines(conn, invoice_id)[0]
        billing.update_line(conn, line.id, code="99213", description="Office visit", quantity=1, unit_price=amount,
                            version=billing.get(conn, invoice_id).version, user="test", diagnoses=["I10"])
        billing.finalize_invoice(conn, invoice_id, user="test")
    return invoice_id


def open_invoice(signed_in, invoice_id: int, role: str = "billing"):
    at = signed_in(role).run()
    at.switch_page("pages/invoices.py").run()
    assert not at.exception, at.exception
    at.number_input(key="inv_open_no").set_value(invoice_id).run()
    assert not at.exception, at.exception
    return at


def button(at, key: str):
    return at.button(key=key)


def test_a_long_ledger_lists_the_newest_rows_and_says_so_while_the_tiles_count_every_invoice(
        signed_in, app_env, monkeypatch):
    from components.billing import ledger_view

    monkeypatch.setattr(ledger_view, "TABLE_LIMIT", 5)
    at = signed_in("billing").run()
    at.switch_page("pages/invoices.py").run()
    assert not at.exception, at.exception
    with database(app_env) as conn:
        t = ledger_totals(conn)
    newest = query(app_env, "SELECT id FROM invoices ORDER BY service_date DESC, id DESC LIMIT 5")
    shown = at.dataframe[0].value
    assert list(shown["Invoice"]) == [i for (i,) in newest]
    assert {m.label: m.value for m in at.metric}["Invoices"] == f"{t['count']:,}"
    assert any(f"The newest 5 of these {t['count']:,} invoices are listed" in c.value for c in at.caption)


def test_the_ledger_opens_with_totals_equal_to_the_database(signed_in, app_env):
    invoice_id = make_open(app_env)
    at = signed_in("billing").run()
    at.switch_page("pages/invoices.py").run()
    assert not at.exception, at.exception
    with database(app_env) as conn:
        t = ledger_totals(conn)
    shown = {m.label: m.value for m in at.metric}
    assert shown["Balance"] == money_text(t["balance"])
    assert shown["Charges"] == money_text(t["charges"])
    assert shown["Invoices"] == f"{t['count']:,}"
    assert t["count"] >= 1 and invoice_id


def column_with(at, key: str):
    """The layout column holding the widget ``key`` (its messages are shown in it, under it)."""
    for column in at.columns:
        if any(w.key == key for w in column.text_input):
            return column
    raise AssertionError(f"no column holds {key}")


def test_a_draft_line_is_edited_then_the_invoice_is_finalised(signed_in, app_env):
    invoice_id = make_draft(app_env)
    line_id = query(app_env, "SELECT id FROM invoice_lines WHERE invoice_id = ?", [invoice_id])[0][0]
    at = open_invoice(signed_in, invoice_id)
    form = f"inv{invoice_id}_line{line_id}"
    assert at.text_input(key=f"{form}_unit_price").value == "120.00"

    at.text_input(key=f"{form}_unit_price").input("95.505")
    at.text_input(key=f"{form}_quantity").input("2")
    at.text_input(key=f"{form}_dx2").input("e11.9")
    at = button(at, f"{form}_save").click().run()
    assert not at.exception, at.exception
    assert "Use at most 2 decimals (whole cents)." in column_with(at, f"{form}_unit_price").error[0].value
    assert at.text_input(key=f"{form}_unit_price").value == "95.505"
    assert query(app_env, "SELECT quantity, unit_price FROM invoice_lines WHERE id = ?", [line_id]) == [(1, D("120.00"))]

    at.text_input(key=f"{form}_unit_price").input("95.50")
    at = button(at, f"{form}_save").click().run()
    assert not at.exception, at.exception
    assert not at.error
    assert query(app_env, "SELECT quantity, unit_price, dx1, dx2 FROM invoice_lines WHERE id = ?", [line_id]) == [
        (2, D("95.50"), "I10", "E11.9")]

    at = button(at, f"inv{invoice_id}_finalise_button").click().run()
    assert not at.exception, at.exception
    assert query(app_env, "SELECT status FROM invoices WHERE id = ?", [invoice_id]) == [("open",)]
    with database(app_env) as conn:
        assert billing.invoice_totals(conn, invoice_id)["balance"] == D("191.00")
    assert {m.label: m.value for m in at.metric}["Balance"] == "$191.00"
    assert f"Invoice {invoice_id} finalised" in " ".join(s.value for s in at.success)


def ledger_balance_tile(at) -> str:
    """The ledger's Balance tile (the first; the opened invoice shows its own below)."""
    return next(m.value for m in at.metric if m.label == "Balance")


def test_a_patient_payment_is_posted_on_the_opened_invoice(signed_in, app_env):
    invoice_id = make_open(app_env, "135.00")
    at = open_invoice(signed_in, invoice_id)
    with database(app_env) as conn:
        before = ledger_totals(conn)["balance"]
    assert ledger_balance_tile(at) == money_text(before)
    k = f"inv{invoice_id}_pay"
    at.text_input(key=f"{k}_amount").input("50.00")
    at.selectbox(key=f"{k}_method").select("card")
    at.text_input(key=f"{k}_reference").input("slip 42")
    at = button(at, f"{k}_post").click().run()
    assert not at.exception, at.exception
    assert query(app_env, "SELECT p.amount, p.method, p.reference FROM payments p JOIN payment_applications a"
                          " ON a.payment_id = p.id WHERE a.invoice_id = ?", [invoice_id]) == [(D("50.00"), "card",
                                                                                              "slip 42")]
    assert query(app_env, "SELECT status FROM invoices WHERE id = ?", [invoice_id]) == [("partially_paid",)]
    assert {m.label: m.value for m in at.metric}["Balance"] == "$85.00"
    assert any(f"Payment of \\$50.00 posted on invoice {invoice_id}" in s.value for s in at.success)
    # The ledger's totals are kept between runs (report_cache); the payment's write made them new.
    with database(app_env) as conn:
        assert ledger_totals(conn)["balance"] == before - D("50.00")
    assert ledger_balance_tile(at) == money_text(before - D("50.00"))
    assert at.text_input(key=f"{k}_amount").value == ""


BAD_AMOUNTS = {
    "-5.00": "Enter a positive amount (no minus sign).",
    "0": "The amount must be more than zero.",
    "12.345": "Use at most 2 decimals (whole cents).",
    "twelve": "“twelve” is not an amount: use digits, e.g. 12.50.",
    "NaN": "“NaN” is not an amount: use digits, e.g. 12.50.",
    "Infinity": "“Infinity” is not an amount: use digits, e.g. 12.50.",
}


def test_bad_payment_amounts_are_refused_next_to_the_field_keeping_the_text_and_writing_nothing(signed_in,
                                                                                                app_env):
    invoice_id = make_open(app_env, "135.00")
    before = query(app_env, "SELECT count(*), coalesce(sum(amount), 0) FROM payments")
    at = open_invoice(signed_in, invoice_id)
    k = f"inv{invoice_id}_pay"
    for typed, message in BAD_AMOUNTS.items():
        at.text_input(key=f"{k}_amount").input(typed)
        at = button(at, f"{k}_post").click().run()
        assert not at.exception, at.exception
        assert [e.value for e in column_with(at, f"{k}_amount").error] == [message], typed
        assert at.text_input(key=f"{k}_amount").value == typed
        assert query(app_env, "SELECT count(*), coalesce(sum(amount), 0) FROM payments") == before, typed
    assert query(app_env, "SELECT status FROM invoices WHERE id = ?", [invoice_id]) == [("open",)]


def test_voiding_an_invoice_with_money_on_it_is_refused_by_the_reason_and_changes_nothing(signed_in, app_env):
    invoice_id = make_open(app_env, "135.00")
    with database(app_env) as conn:
        billing.post_patient_payment(conn, invoice_id=invoice_id, amount="10.00", method="cash", user="test")
    at = open_invoice(signed_in, invoice_id)
    form = f"inv{invoice_id}_void"
    at.text_input(key=f"{form}_reason").input("Billed twice")
    at = button(at, f"{form}_button").click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        "Money was applied to this invoice, so it cannot be voided: post an adjustment instead."]
    assert at.text_input(key=f"{form}_reason").value == "Billed twice"
    assert query(app_env, "SELECT status FROM invoices WHERE id = ?", [invoice_id]) == [("partially_paid",)]


def test_a_draft_invoice_made_from_the_unbilled_list_leaves_the_list(signed_in, app_env):
    """The unbilled visits are kept between runs (report_cache): billing one makes the list new."""
    from db.invoice_ledger import unbilled

    with database(app_env) as conn:
        before = unbilled(conn, as_of=SEED_TODAY)
    assert len(before) >= 2  # the seed leaves some visits unbilled
    at = signed_in("billing").run()
    at.switch_page("pages/invoices.py").run()
    assert not at.exception, at.exception
    assert any(f"{len(before):,} completed visit(s) with no invoice" in c.value for c in at.caption)

    at.selectbox(key="inv_unbilled_pick").select(before[-1].appointment_id).run()
    at = button(at, "inv_unbilled_bill").click().run()
    assert not at.exception, at.exception
    made = query(app_env, "SELECT id, status FROM invoices WHERE appointment_id = ?", [before[-1].appointment_id])
    assert len(made) == 1 and made[0][1] == "draft"
    assert any(f"{len(before) - 1:,} completed visit(s) with no invoice" in c.value for c in at.caption)
