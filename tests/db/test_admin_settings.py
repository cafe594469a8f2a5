"""Visit types, payers and clinic settings on a real DuckDB file: typed rows, NotFound, and every
change made by an account allowed to make it at the moment it is made."""

from __future__ import annotations

import json

import pytest

import db
from clinic.errors import NotAllowed, NotFound, ValidationError
from db import payers, settings, users, visit_types
from tests.conftest import make_user, make_visit_type


def user(conn, role: str, username: str):
    return users.get(conn, make_user(conn, username=username, role=role))


def last_audit(conn) -> tuple:
    return db.read_one(conn, "SELECT user_id, username, action FROM audit_log ORDER BY id DESC LIMIT 1")


# --- visit types -------------------------------------------------------------------------------


def test_visit_types_come_back_typed_active_first(conn):
    make_visit_type(conn, name="Annual physical", duration_min=30, default_fee_code=None)
    old = make_visit_type(conn, name="Acupuncture")
    visit_types.save(conn, {"name": "Acupuncture", "duration_min": 15, "active": False}, by="test", type_id=old)
    listed = visit_types.list_all(conn)
    assert [(t.name, t.duration_min, t.default_fee_code, t.active) for t in listed] == [
        ("Annual physical", 30, None, True), ("Acupuncture", 15, None, False)]


def test_a_missing_visit_type_is_not_found(conn):
    with pytest.raises(NotFound, match="That visit type does not exist."):
        visit_types.get(conn, 4242)


def test_a_manager_demoted_after_the_page_was_drawn_adds_no_visit_type(conn):
    manager = user(conn, "manager", "mo")
    users.set_role(conn, manager.id, "clinician", by="test")
    with pytest.raises(NotAllowed, match=r"Your role \(Clinician\) does not allow this"):
        visit_types.save(conn, {"name": "Telehealth", "duration_min": 20}, by=manager)
    assert visit_types.list_all(conn) == []


def test_a_visit_type_change_is_audited_under_the_acting_manager(conn):
    manager = user(conn, "manager", "mae")
    visit_types.save(conn, {"name": "Telehealth", "duration_min": 20}, by=manager)
    assert last_audit(conn) == (manager.id, "mae", "visit_type.create")


# --- payers ------------------------------------------------------------------------------------


def test_payers_come_back_with_how_many_patients_use_them(conn):
    blue = payers.save(conn, name="Blue Harbor Health", payer_code="bhh01", kind="commercial", by="test")
    payers.save(conn, name="Self-pay", payer_code="", kind="self_pay", by="test")
    listed = payers.list_all(conn)
    assert [(row.payer.name, row.payer.payer_code, row.patients) for row in listed] == [
        ("Blue Harbor Health", "BHH01", 0), ("Self-pay", None, 0)]
    assert listed[0].payer.id == blue


def test_a_billing_clerk_made_front_desk_after_the_page_was_drawn_adds_no_payer(conn):
    clerk = user(conn, "billing", "bea")
    users.set_role(conn, clerk.id, "front_desk", by="test")
    with pytest.raises(NotAllowed):
        payers.save(conn, name="Lakeside Health", payer_code="LKH", kind="commercial", by=clerk)
    assert payers.list_all(conn) == []


def test_a_deactivated_billing_clerk_changes_no_payer(conn):
    clerk = user(conn, "billing", "bix")
    blue = payers.save(conn, name="Blue Harbor Health", payer_code="BHH01", kind="commercial", by=clerk)
    assert last_audit(conn) == (clerk.id, "bix", "payer.create")
    users.set_active(conn, clerk.id, False, by="test")
    with pytest.raises(NotAllowed, match="no longer active"):
        payers.save(conn, name="Blue Harbour", payer_code="BHH01", kind="commercial", by=clerk, payer_id=blue)
    assert [row.payer.name for row in payers.list_all(conn)] == ["Blue Harbor Health"]


# --- clinic settings ---------------------------------------------------------------------------


def test_only_an_admin_changes_clinic_settings_and_the_change_is_audited(conn):
    manager, admin = user(conn, "manager", "mel"), user(conn, "admin", "ari")
    with pytest.raises(NotAllowed):
        settings.set_many(conn, {"clinic_name": "Elsewhere"}, by=manager)
    assert settings.get(conn, "clinic_name") == settings.DEFAULTS["clinic_name"]
    settings.set_many(conn, {"clinic_name": "Harbor Family Practice", "timezone": "America/Chicago"}, by=admin)
    assert (settings.get(conn, "clinic_name"), settings.timezone(conn)) == ("Harbor Family Practice", "America/Chicago")
    assert last_audit(conn) == (admin.id, "ari", "settings.change")
    (detail,) = db.read_one(conn, "SELECT detail FROM audit_log WHERE action = 'settings.change'")
    assert json.loads(detail) == {"clinic_name": "Harbor Family Practice", "timezone": "America/Chicago"}


def test_clinic_details_are_cleaned_checked_and_saved_together(conn):
    admin = user(conn, "admin", "ari")
    settings.save_clinic_details(conn, name="  Harbor   Family Practice ", address="12 Main Street\n\n Springfield, NY 10001 ",
                                 phone="212.555.0142", by=admin)
    saved = settings.get_all(conn)
    assert (saved["clinic_name"], saved["clinic_address"], saved["clinic_phone"]) == (
        "Harbor Family Practice", "12 Main Street\nSpringfield, NY 10001", "(212) 555-0142")
    assert last_audit(conn) == (admin.id, "ari", "settings.change")


def test_wrong_clinic_details_name_each_field_and_change_nothing(conn):
    admin = user(conn, "admin", "ari")
    with pytest.raises(ValidationError) as caught:
        settings.save_clinic_details(conn, name=" ", address="\n".join(["line"] * 5), phone="12", by=admin)
    assert set(caught.value.errors) == {"name", "address", "phone"}
    assert settings.get(conn, "clinic_name") == settings.DEFAULTS["clinic_name"]
    assert settings.get(conn, "clinic_address") == ""
