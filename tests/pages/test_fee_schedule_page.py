"""Billing › Fee schedule through the real app: the prices, adding and changing one (errors next to
their fields, typed values kept, nothing written), taking one out of use, and what each visit type
bills."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tests.conftest import SEED_TODAY, query

D = Decimal


def open_fees(signed_in, role: str = "billing"):
    at = signed_in(role).run()
    at.switch_page("pages/fee_schedule.py").run()
    assert not at.exception, at.exception
    return at


def click(at, label: str):
    next(b for b in at.button if b.label == label).click()
    return at.run()


def fee_table(at):
    """The list of prices (the page's first table; AppTest shows no key for a plain st.dataframe)."""
    table = at.dataframe[0].value
    assert list(table.columns) == ["code", "description", "price", "active", "today", "from", "to"]
    return table


def lines_editor(at, type_id: int) -> str:
    """The key of the visit type's line editor (it changes after each save)."""
    return next(d.key for d in at.dataframe if (d.key or "").startswith(f"vt_lines_{type_id}_"))


def current_fee(path, code: str) -> tuple[int, Decimal]:
    return query(path, "SELECT id, price FROM fee_schedule WHERE code = ? AND active AND effective_to IS NULL",
                 [code])[0]


def test_the_table_lists_the_active_prices_with_their_periods_and_todays(signed_in, app_env):
    at = open_fees(signed_in)
    table = fee_table(at)
    assert len(table) == query(app_env, "SELECT count(*) FROM fee_schedule WHERE active")[0][0]
    _, price = current_fee(app_env, "OVEST")
    today = table[(table["code"] == "OVEST") & table["today"]]
    assert list(today["price"]) == [f"${price:,.2f}"] and today["to"].isna().all()
    assert (table[table["today"]].groupby("code").size() == 1).all()  # one price per code in force today


def test_adding_a_price_saves_it_clears_the_form_and_audits_it(signed_in, app_env):
    at = open_fees(signed_in)
    at.text_input(key="new_fee_code").input(" ecg2 ")
    at.text_input(key="new_fee_description").input("Rhythm strip  in the office")
    at.text_input(key="new_fee_price").input("45.5")
    at = click(at, "Add price")
    assert not at.exception
    assert any("Added a price for ECG2" in s.value for s in at.success)
    assert query(app_env, "SELECT description, price, active, effective_from, effective_to FROM fee_schedule"
                          " WHERE code = 'ECG2'") == [("Rhythm strip in the office", D("45.50"), True, SEED_TODAY,
                                                       None)]
    assert at.text_input(key="new_fee_code").value == ""
    assert "ECG2" in set(fee_table(at)["code"])
    assert query(app_env, "SELECT username FROM audit_log WHERE action = 'fee.save'") == [("billing",)]


def test_every_bad_field_is_shown_at_once_and_what_was_typed_stays(signed_in, app_env):
    before = query(app_env, "SELECT count(*) FROM fee_schedule")[0][0]
    at = open_fees(signed_in)
    at.text_input(key="new_fee_code").input("X-1")
    at.text_input(key="new_fee_price").input("12.345")
    at.date_input(key="new_fee_to").set_value(date(2025, 1, 1))
    at = click(at, "Add price")
    messages = [e.value for e in at.error]
    assert "Enter a procedure code (3 to 7 letters and digits)." in messages
    assert "Enter a short description." in messages
    assert any("2 decimals" in m for m in messages)
    assert "The end date is before the start date." in messages
    assert (at.text_input(key="new_fee_code").value, at.text_input(key="new_fee_price").value) == ("X-1", "12.345")
    assert query(app_env, "SELECT count(*) FROM fee_schedule")[0][0] == before


def test_a_second_price_for_the_same_period_is_refused_next_to_its_start(signed_in, app_env):
    at = open_fees(signed_in, "manager")
    at.text_input(key="new_fee_code").input("ovest")
    at.text_input(key="new_fee_description").input("Office visit")
    at.text_input(key="new_fee_price").input("10")
    at = click(at, "Add price")
    assert "OVEST already has a price for part of that period." in [e.value for e in at.error]
    assert query(app_env, "SELECT count(*) FROM fee_schedule WHERE code = 'OVEST' AND price = 10") == [(0,)]


def test_changing_a_price_and_taking_one_out_of_use(signed_in, app_env):
    at = open_fees(signed_in)
    fee_id, _ = current_fee(app_env, "OVEST")
    at.selectbox(key="edit_fee_id").select(fee_id).run()
    at.text_input(key=f"fee_{fee_id}_price").input("99.90")
    at = click(at, "Save changes")
    assert not at.exception
    assert current_fee(app_env, "OVEST") == (fee_id, D("99.90"))
    at = click(at, "Take this price out of use")
    assert not at.exception
    assert query(app_env, "SELECT active FROM fee_schedule WHERE id = ?", [fee_id]) == [(False,)]
    assert "OVEST" not in set(fee_table(at)["code"])  # out of use: hidden from the list...
    at.checkbox(key="fees_show_inactive").check().run()
    shown = fee_table(at)
    assert list(shown[shown["code"] == "OVEST"][["price", "active", "today"]].itertuples(index=False, name=None)) == [
        ("$99.90", False, False)]  # ...until asked for
    assert query(app_env, "SELECT count(*) FROM audit_log WHERE action = 'fee.deactivate'") == [(1,)]


def test_a_visit_types_lines_are_edited_and_shown_priced_for_today(signed_in, app_env):
    at = open_fees(signed_in)
    type_id = query(app_env, "SELECT id FROM visit_types WHERE name = 'Follow-up'")[0][0]
    at.selectbox(key="fee_visit_type").select(type_id).run()
    editor = lines_editor(at, type_id)
    at.session_state[editor] = {"edited_rows": {}, "added_rows": [{"code": "labdraw", "quantity": 2}],
                                "deleted_rows": []}
    at = click(at, "Save the lines")
    assert not at.exception
    assert query(app_env, "SELECT code, quantity FROM visit_type_fee_lines WHERE visit_type_id = ?", [type_id]) == [
        ("LABDRAW", 2)]
    preview = at.dataframe[-1].value
    _, price = current_fee(app_env, "LABDRAW")
    assert list(preview["code"]) == ["OVEST", "LABDRAW"]
    assert preview.iloc[1]["unit_price"] == f"${price:,.2f}" and preview.iloc[1]["quantity"] == 2


def test_a_bad_line_is_refused_under_the_table_and_the_edit_stays(signed_in, app_env):
    at = open_fees(signed_in)
    type_id = query(app_env, "SELECT id FROM visit_types WHERE name = 'Follow-up'")[0][0]
    at.selectbox(key="fee_visit_type").select(type_id).run()
    before = query(app_env, "SELECT code, quantity FROM visit_type_fee_lines WHERE visit_type_id = ?", [type_id])
    editor = lines_editor(at, type_id)
    at.session_state[editor] = {"edited_rows": {}, "added_rows": [{"code": "x!", "quantity": 1}],
                                "deleted_rows": []}
    at = click(at, "Save the lines")
    assert not at.exception
    assert any(e.value.startswith("Line ") and "3 to 7 letters and digits" in e.value for e in at.error)
    assert at.session_state[editor]["added_rows"] == [{"code": "x!", "quantity": 1}]
    assert query(app_env, "SELECT code, quantity FROM visit_type_fee_lines WHERE visit_type_id = ?",
                 [type_id]) == before
