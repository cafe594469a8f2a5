"""Inventory › Vendors and contractors through the real app: adding a vendor, a refused one that
keeps what was typed, contracts due for renewal, and what the front desk may not change."""

from __future__ import annotations

from datetime import date

from db import vendors
from tests.conftest import database, query


def open_vendors(signed_in, role: str = "manager"):
    at = signed_in(role).run()
    at.switch_page("pages/vendors.py").run()
    assert not at.exception, at.exception
    return at


def fill_vendor(at, *, name: str, email: str, minimum: str = ""):
    at.text_input(key="new_vendor_0_name").input(name)
    at.text_input(key="new_vendor_0_email").input(email)
    at.text_input(key="new_vendor_0_account_number").input("CL-4471")
    at.text_input(key="new_vendor_0_minimum_order").input(minimum)
    next(b for b in at.button if b.label == "Add vendor").click()
    return at.run()


def vendor_count(path) -> int:
    return query(path, "SELECT count(*) FROM vendors")[0][0]


def test_a_vendor_with_a_bad_email_is_refused_next_to_the_email_and_nothing_is_written(signed_in, app_env):
    before = vendor_count(app_env)
    at = fill_vendor(open_vendors(signed_in), name="Henry Medical Supply", email="orders at henrymed")
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["That is not a valid email address."]
    assert at.text_input(key="new_vendor_0_name").value == "Henry Medical Supply"
    assert at.text_input(key="new_vendor_0_email").value == "orders at henrymed"
    assert vendor_count(app_env) == before
    assert query(app_env, "SELECT count(*) FROM audit_log WHERE action = 'vendor.create'") == [(0,)]


def test_adding_a_vendor_lists_it_and_empties_the_form(signed_in, app_env):
    at = fill_vendor(open_vendors(signed_in), name="Henry Medical Supply", email="orders@henrymed.example.com",
                     minimum="150")
    assert not at.exception, at.exception
    assert any("Added Henry Medical Supply" in s.value for s in at.success)
    assert "Henry Medical Supply" in set(at.dataframe[0].value["name"])
    assert at.text_input(key="new_vendor_1_name").value == ""
    assert query(app_env, "SELECT email, account_number, minimum_order FROM vendors WHERE name = ?",
                 ["Henry Medical Supply"]) == [("orders@henrymed.example.com", "CL-4471", 150)]


def test_a_contract_ending_within_60_days_is_flagged_and_listed_at_the_top(signed_in, app_env):
    with database(app_env) as conn:  # the clinic's today is 03/02/2026
        vendors.save_contractor(conn, {"name": "Sparkle Cleaning", "service": "Cleaning",
                                       "contract_end": date(2026, 4, 15)}, user="test")
        vendors.save_contractor(conn, {"name": "MedWaste Co", "service": "Waste disposal",
                                       "contract_end": date(2026, 12, 31)}, user="test")
    at = open_vendors(signed_in, "front_desk")
    notice = "\n".join(w.value for w in at.warning)
    assert "Sparkle Cleaning" in notice and "ends 04/15/2026" in notice
    assert "MedWaste" not in notice
    table = next(d.value for d in at.dataframe if "renewal_due" in d.value.columns).set_index("name")
    assert bool(table.loc["Sparkle Cleaning", "renewal_due"]) is True
    assert bool(table.loc["MedWaste Co", "renewal_due"]) is False
    # The front desk sees them but cannot change them.
    assert not [b for b in at.button if b.label in ("Add vendor", "Add contractor")]
