"""Billing › Payers through the real app: the list, adding, changing, and refused changes."""

from __future__ import annotations

from db import users
from tests.conftest import database, query, user_id_for


def open_payers(signed_in, role: str = "billing"):
    at = signed_in(role).run()
    at.switch_page("pages/admin_payers.py").run()
    assert not at.exception, at.exception
    return at


def payer_id(path, name: str) -> int:
    return query(path, "SELECT id FROM payers WHERE name = ?", [name])[0][0]


def add_payer(at, name: str, code: str, kind: str):
    at.text_input(key="new_payer_name").input(name)
    at.text_input(key="new_payer_code").input(code)
    at.selectbox(key="new_payer_kind").select(kind)
    next(b for b in at.button if b.label == "Add payer").click()
    return at.run()


def test_the_table_lists_every_payer_with_its_kind_and_how_many_patients_use_it(signed_in, app_env):
    at = open_payers(signed_in)
    table = at.dataframe[0].value.set_index("name")
    assert set(table.index) == {r[0] for r in query(app_env, "SELECT name FROM payers")}
    assert table.loc["Medicare", "kind"] == "Medicare"
    assert table.loc["Self-pay", "kind"] == "Self-pay"
    assert table.loc["Blue Harbor Health", "kind"] == "Commercial"
    insured = query(app_env, "SELECT count(*) FROM patient_insurance i JOIN payers p ON p.id = i.payer_id"
                             " WHERE p.name = 'Medicare' AND i.active")[0][0]
    assert insured > 0 and table.loc["Medicare", "patients"] == insured


def test_adding_a_payer_lists_it_and_audits_it(signed_in, app_env):
    at = add_payer(open_payers(signed_in), "  Lakeside   Health ", "lkh-09", "commercial")
    assert not at.exception
    assert any("Added Lakeside Health" in s.value for s in at.success)
    assert "Lakeside Health" in set(at.dataframe[0].value["name"])
    assert at.text_input(key="new_payer_name").value == ""
    assert query(app_env, "SELECT payer_code, kind, active FROM payers WHERE name = 'Lakeside Health'") == [
        ("LKH-09", "commercial", True)]
    assert query(app_env, "SELECT username FROM audit_log WHERE action = 'payer.create'") == [("billing",)]


def test_a_duplicate_name_is_refused_next_to_the_name_and_what_was_typed_stays(signed_in, app_env):
    before = query(app_env, "SELECT count(*) FROM payers")[0][0]
    at = add_payer(open_payers(signed_in), "medicare", "MC2", "medicare")
    assert not at.exception
    assert "Another payer already has that name." in [e.value for e in at.error]
    assert at.text_input(key="new_payer_name").value == "medicare"
    assert at.text_input(key="new_payer_code").value == "MC2"
    assert query(app_env, "SELECT count(*) FROM payers")[0][0] == before


def test_an_empty_name_and_a_bad_payer_id_are_both_shown_at_once(signed_in, app_env):
    before = query(app_env, "SELECT count(*) FROM payers")[0][0]
    at = add_payer(open_payers(signed_in), "", "AB/12", "commercial")
    messages = [e.value for e in at.error]
    assert "Enter the payer's name." in messages
    assert "A payer ID has letters, digits or dashes only." in messages
    assert at.text_input(key="new_payer_code").value == "AB/12"
    assert query(app_env, "SELECT count(*) FROM payers")[0][0] == before


def test_changing_a_payer_saves_its_new_name_kind_and_state(signed_in, app_env):
    at = open_payers(signed_in, "manager")
    target = payer_id(app_env, "Summit Care Plans")
    at.selectbox(key="edit_payer_id").select(target).run()
    assert at.text_input(key=f"payer_{target}_name").value == "Summit Care Plans"
    at.text_input(key=f"payer_{target}_name").input("Summit Care Medicaid")
    at.selectbox(key=f"payer_{target}_kind").select("medicaid")
    at.checkbox(key=f"payer_{target}_active").uncheck()
    next(b for b in at.button if b.label == "Save changes").click()
    at.run()
    assert not at.exception
    assert any("Saved Summit Care Medicaid" in s.value for s in at.success)
    assert query(app_env, "SELECT name, kind, active FROM payers WHERE id = ?", [target]) == [
        ("Summit Care Medicaid", "medicaid", False)]
    assert at.selectbox(key="edit_payer_id").value == target  # still the payer just changed
    row = at.dataframe[0].value.set_index("name").loc["Summit Care Medicaid"]
    assert row["kind"] == "Medicaid" and not row["active"]
    assert query(app_env, "SELECT username FROM audit_log WHERE action = 'payer.update'") == [("manager",)]


def test_renaming_a_payer_to_another_payers_name_changes_nothing(signed_in, app_env):
    at = open_payers(signed_in, "admin")
    target = payer_id(app_env, "Evergreen Mutual")
    at.selectbox(key="edit_payer_id").select(target).run()
    at.text_input(key=f"payer_{target}_name").input("Blue Harbor Health")
    next(b for b in at.button if b.label == "Save changes").click()
    at.run()
    assert "Another payer already has that name." in [e.value for e in at.error]
    assert at.text_input(key=f"payer_{target}_name").value == "Blue Harbor Health"
    assert query(app_env, "SELECT name FROM payers WHERE id = ?", [target]) == [("Evergreen Mutual",)]


def test_a_clerk_made_front_desk_with_the_page_still_open_adds_no_payer(signed_in, app_env):
    at = open_payers(signed_in)
    with database(app_env) as conn:
        users.set_role(conn, user_id_for(app_env, "billing"), "front_desk", by="test")
    at = add_payer(at, "Lakeside Health", "LKH-09", "commercial")
    assert not at.exception
    assert [t.value for t in at.toast] == ["Your role (Front desk) does not allow this."]
    assert query(app_env, "SELECT count(*) FROM payers WHERE name = 'Lakeside Health'") == [(0,)]


def test_what_claims_need_is_saved_with_a_new_payer(signed_in, app_env):
    at = open_payers(signed_in)
    at.text_input(key="new_payer_eid").input(" 60054 ")
    at.text_area(key="new_payer_address").input("PO Box 14079\n\n  Lexington,  KY 40512 ")
    at.text_input(key="new_payer_filing_days").input("180")
    at = add_payer(at, "Lakeside Health", "LKH", "commercial")
    assert not at.exception
    assert query(app_env, "SELECT electronic_id, filing_address, timely_filing_days FROM payers"
                          " WHERE name = 'Lakeside Health'") == [("60054", "PO Box 14079\nLexington, KY 40512", 180)]
    row = at.dataframe[0].value.set_index("name").loc["Lakeside Health"]
    assert row["electronic_id"] == "60054" and row["timely_filing_days"] == 180


def test_bad_timely_filing_days_are_refused_next_to_the_field_and_stay_as_typed(signed_in, app_env):
    at = open_payers(signed_in, "manager")
    target = payer_id(app_env, "Evergreen Mutual")
    at.selectbox(key="edit_payer_id").select(target).run()
    before = query(app_env, "SELECT timely_filing_days, electronic_id FROM payers WHERE id = ?", [target])
    at.text_input(key=f"payer_{target}_filing_days").input("-30")
    at.text_input(key=f"payer_{target}_eid").input("EV/1")
    next(b for b in at.button if b.label == "Save changes").click()
    at.run()
    messages = [e.value for e in at.error]
    assert "Timely filing is a whole number of days from 1 to 3650." in messages
    assert "An electronic payer ID has letters, digits or dashes only." in messages
    assert at.text_input(key=f"payer_{target}_filing_days").value == "-30"
    assert query(app_env, "SELECT timely_filing_days, electronic_id FROM payers WHERE id = ?", [target]) == before
    at.text_input(key=f"payer_{target}_filing_days").input("365")
    at.text_input(key=f"payer_{target}_eid").input("ev-1")
    next(b for b in at.button if b.label == "Save changes").click()
    at.run()
    assert not at.error
    assert query(app_env, "SELECT timely_filing_days, electronic_id FROM payers WHERE id = ?", [target]) == [
        (365, "EV-1")]
