"""Vendors and service contractors: what the office types is checked field by field, a refused
save writes nothing, and contracts are listed for renewal from 60 days before they end."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from clinic.errors import NotAllowed, ValidationError
from db import read, vendors
from tests.conftest import make_user
from tests.db.inventory_factories import make_vendor

GOOD = {"name": "Henry Medical Supply", "contact_person": "Ana Ortiz", "phone": "(212) 555-0142",
        "email": "Orders@HenryMed.example.com", "account_number": "CL-4471", "lead_time_days": "5",
        "minimum_order": "$150.00", "notes": "Delivers Tuesdays"}


def test_a_vendor_is_saved_with_its_phone_email_lead_time_and_minimum_order_and_audited(conn):
    vendor_id = vendors.save_vendor(conn, GOOD, user="test")
    vendor = vendors.get_vendor(conn, vendor_id)
    assert vendor.name == "Henry Medical Supply"
    assert vendor.phone == "+12125550142"
    assert vendor.email == "Orders@henrymed.example.com"
    assert vendor.lead_time_days == 5
    assert vendor.minimum_order == Decimal("150.00")
    assert read(conn, "SELECT action, entity_id FROM audit_log WHERE action LIKE 'vendor.%'") == [
        ("vendor.create", str(vendor_id))]


def test_every_wrong_field_is_named_at_once_and_nothing_is_written(conn):
    bad = dict(GOOD, name="  ", email="orders at henry", phone="12", lead_time_days="400", minimum_order="12.345")
    with pytest.raises(ValidationError) as refused:
        vendors.save_vendor(conn, bad, user="test")
    assert set(refused.value.errors) == {"name", "email", "phone", "lead_time_days", "minimum_order"}
    assert refused.value.errors["email"] == "That is not a valid email address."
    assert read(conn, "SELECT count(*) FROM vendors") == [(0,)]
    assert read(conn, "SELECT count(*) FROM audit_log WHERE action LIKE 'vendor.%'") == [(0,)]


@pytest.mark.parametrize("lead", ["-1", "2.5", "seven", 366])
def test_the_lead_time_is_a_whole_number_of_days_from_0_to_365(conn, lead):
    with pytest.raises(ValidationError) as refused:
        vendors.save_vendor(conn, dict(GOOD, lead_time_days=lead), user="test")
    assert set(refused.value.errors) == {"lead_time_days"}


def test_a_name_already_used_in_another_case_is_refused_but_a_vendor_keeps_its_own(conn):
    first = vendors.save_vendor(conn, GOOD, user="test")
    with pytest.raises(ValidationError) as refused:
        vendors.save_vendor(conn, dict(GOOD, name="HENRY medical supply"), user="test")
    assert refused.value.errors == {"name": "Another vendor already has that name."}
    vendors.save_vendor(conn, dict(GOOD, lead_time_days=9), user="test", vendor_id=first)
    assert vendors.get_vendor(conn, first).lead_time_days == 9
    assert [v.name for v in vendors.list_vendors(conn)] == ["Henry Medical Supply"]


def test_an_inactive_vendor_leaves_the_list_but_is_still_there_for_its_orders(conn):
    kept, gone = make_vendor(conn, name="Able Supply"), make_vendor(conn, name="Zed Supply")
    vendors.deactivate_vendor(conn, gone, user="test")
    assert [v.id for v in vendors.list_vendors(conn)] == [kept]
    assert [v.id for v in vendors.list_vendors(conn, include_inactive=True)] == [kept, gone]


def test_front_desk_cannot_change_vendors(conn):
    clerk = make_user(conn, role="front_desk")
    with pytest.raises(NotAllowed):
        vendors.save_vendor(conn, GOOD, user=clerk)
    assert read(conn, "SELECT count(*) FROM vendors") == [(0,)]


def contractor(conn, name: str, end: date | None, *, start: date = date(2025, 1, 1), active: bool = True) -> int:
    return vendors.save_contractor(conn, {"name": name, "service": "Cleaning", "contract_start": start,
                                          "contract_end": end, "active": active}, user="test")


def test_a_contract_is_due_from_60_days_before_it_ends_and_after_it_ended_while_active(conn):
    today = date(2026, 3, 2)
    contractor(conn, "Ends in 61 days", date(2026, 5, 2))
    contractor(conn, "Ends in 60 days", date(2026, 5, 1))
    contractor(conn, "Ended last week", date(2026, 2, 23))
    contractor(conn, "Open ended", None)
    contractor(conn, "Let go", date(2026, 3, 10), active=False)
    due = vendors.contracts_due(conn, today=today)
    assert [c.name for c in due] == ["Ended last week", "Ends in 60 days"]


def test_a_contract_must_end_after_it_starts_and_dates_must_be_dates(conn):
    with pytest.raises(ValidationError) as refused:
        vendors.save_contractor(conn, {"name": "Waste Co", "service": "Waste disposal", "contract_start": "2026-05-01",
                                       "contract_end": "2026-04-30", "email": "nope"}, user="test")
    assert set(refused.value.errors) == {"contract_end", "email"}
    with pytest.raises(ValidationError) as refused:
        vendors.save_contractor(conn, {"name": "Waste Co", "service": "", "contract_end": "next spring"}, user="test")
    assert set(refused.value.errors) == {"service", "contract_end"}
    assert read(conn, "SELECT count(*) FROM service_contractors") == [(0,)]


def test_renewing_a_contract_takes_it_off_the_due_list(conn):
    cid = contractor(conn, "BioMed Service", date(2026, 3, 31))
    assert [c.id for c in vendors.contracts_due(conn, today=date(2026, 3, 2))] == [cid]
    vendors.save_contractor(conn, {"name": "BioMed Service", "service": "Cleaning", "contract_start": date(2026, 4, 1),
                                   "contract_end": date(2027, 3, 31)}, user="test", contractor_id=cid)
    assert vendors.contracts_due(conn, today=date(2026, 3, 2)) == []
