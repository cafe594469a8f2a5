"""The item catalogue, locations, par levels and visit supply kits: their checks, what they write
(nothing when refused) and their audit rows."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clinic.errors import NotAllowed, ValidationError
from db import stock_catalog as catalog
from db import stock_locations as locations
from db import visit_kits as kits
from tests.conftest import make_user, make_visit_type
from tests.db.inventory_factories import make_item, make_location, make_vendor, stock


@pytest.fixture
def manager(conn):
    return make_user(conn, username="meg", role="manager")


def item_count(conn) -> int:
    return conn.execute("SELECT count(*) FROM stock_items").fetchone()[0]


def audit_count(conn, action: str) -> int:
    return conn.execute("SELECT count(*) FROM audit_log WHERE action = ?", [action]).fetchone()[0]


def new_item(conn, user, **overrides):
    values = {"sku": "glv-m", "name": "Nitrile gloves, medium", "category": "supply", "unit": "box of 100",
              "reorder_point": 4, "reorder_quantity": 10, "user": user}
    values.update(overrides)
    return catalog.create_item(conn, **values)


def test_a_new_item_is_saved_with_a_clean_upper_case_sku_and_audited(conn, manager):
    vendor = make_vendor(conn, name="Medline")
    item_id = new_item(conn, manager, sku="  glv-m ", pack_size="10", vendor_id=vendor, unit_cost="12.5",
                       lot_tracked=False, storage_note="  shelf  B ")
    item = catalog.get_item(conn, item_id)
    assert (item.sku, item.name, item.unit, item.pack_size, item.reorder_point, item.reorder_quantity) == (
        "GLV-M", "Nitrile gloves, medium", "box of 100", 10, 4, 10)
    assert (item.vendor_name, item.unit_cost, item.storage_note, item.active, item.on_hand) == (
        "Medline", Decimal("12.50"), "shelf B", True, 0)
    assert conn.execute("SELECT username, entity_id FROM audit_log WHERE action = 'stock_item.create'").fetchall() == [
        ("meg", str(item_id))]


def test_a_duplicate_sku_is_refused_on_the_sku_field_naming_the_item_and_nothing_is_written(conn, manager):
    new_item(conn, manager)
    with pytest.raises(ValidationError) as refused:
        new_item(conn, manager, sku=" Glv-M", name="Other gloves")
    assert refused.value.errors == {"sku": "SKU GLV-M is already used by Nitrile gloves, medium."}
    assert item_count(conn) == 1 and audit_count(conn, "stock_item.create") == 1


def test_a_bad_category_and_a_negative_reorder_point_are_both_named_and_nothing_is_written(conn, manager):
    with pytest.raises(ValidationError) as refused:
        new_item(conn, manager, category="toys", reorder_point="-3", reorder_quantity="2.5", pack_size=0)
    assert set(refused.value.errors) == {"category", "reorder_point", "reorder_quantity", "pack_size"}
    assert refused.value.errors["reorder_point"] == "Enter zero or more units."
    assert item_count(conn) == 0


def test_a_sku_with_spaces_a_missing_name_and_a_bad_cost_are_refused(conn, manager):
    with pytest.raises(ValidationError) as refused:
        new_item(conn, manager, sku="GLV M", name="  ", unit_cost="-1")
    assert set(refused.value.errors) == {"sku", "name", "unit_cost"}
    assert item_count(conn) == 0


def test_front_desk_may_not_add_an_item(conn):
    clerk = make_user(conn, role="front_desk")
    with pytest.raises(NotAllowed):
        new_item(conn, clerk)
    assert item_count(conn) == 0


def test_changing_an_item_in_stock_keeps_its_sku_and_refuses_a_new_one(conn, manager):
    item_id = new_item(conn, manager)
    stock(conn, item_id, 2)  # its lot row points to it: DuckDB must still let the other columns change
    catalog.update_item(conn, item_id, {"name": "Gloves M", "reorder_point": "6", "unit_cost": "13.00"}, user=manager)
    item = catalog.get_item(conn, item_id)
    assert (item.sku, item.name, item.reorder_point, item.unit_cost) == ("GLV-M", "Gloves M", 6, Decimal("13.00"))
    with pytest.raises(ValidationError) as refused:
        catalog.update_item(conn, item_id, {"sku": "GLV-L", "name": "Gloves L"}, user=manager)
    assert refused.value.field == "sku"
    assert catalog.get_item(conn, item_id).name == "Gloves M"


def test_the_preferred_vendor_of_an_item_in_stock_can_change(conn, manager):
    # Needs stock_items.vendor_id without REFERENCES: DuckDB rewrites an UPDATE of a foreign-key
    # column as delete + insert, refused while the item's lots point to it.
    old, new = make_vendor(conn, name="Old supply"), make_vendor(conn, name="New supply")
    item_id = new_item(conn, manager, vendor_id=old)
    stock(conn, item_id, 2)
    catalog.update_item(conn, item_id, {"vendor_id": new}, user=manager)
    assert catalog.get_item(conn, item_id).vendor_name == "New supply"


def test_lot_tracking_cannot_change_while_the_item_is_in_stock(conn, manager):
    item_id = make_item(conn)
    stock(conn, item_id, 3)
    with pytest.raises(ValidationError) as refused:
        catalog.update_item(conn, item_id, {"lot_tracked": True}, user=manager)
    assert refused.value.field == "lot_tracked"
    assert catalog.get_item(conn, item_id).lot_tracked is False


def test_an_item_in_a_kit_cannot_be_taken_out_of_use_and_an_item_out_of_use_loses_its_par_levels(conn, manager):
    room = make_location(conn, "Exam 1")
    gloves, swab = make_item(conn), make_item(conn)
    vaccination = make_visit_type(conn, name="Vaccination")
    kits.set_kit(conn, vaccination, {swab: 1}, user=manager)
    locations.set_par_levels(conn, room, {gloves: 5}, user=manager)
    with pytest.raises(ValidationError, match="Vaccination"):
        catalog.set_active(conn, swab, False, user=manager)
    stock(conn, gloves, 1, location_id=room)
    catalog.set_active(conn, gloves, False, user=manager)
    assert catalog.get_item(conn, gloves).active is False
    assert locations.par_levels(conn, room) == []
    assert [i.id for i in catalog.list_items(conn)] == [swab]


def test_items_are_filtered_by_category_and_found_by_sku_or_name(conn, manager):
    new_item(conn, manager)
    new_item(conn, manager, sku="FLU-25", name="Influenza vaccine", category="vaccine", unit="vial")
    assert [i.sku for i in catalog.list_items(conn, category="vaccine")] == ["FLU-25"]
    assert [i.sku for i in catalog.list_items(conn, search="glv")] == ["GLV-M"]
    assert [i.sku for i in catalog.list_items(conn, search="influenza")] == ["FLU-25"]


def test_par_levels_are_saved_changed_and_removed_with_zero_or_blank(conn, manager):
    room = make_location(conn, "Exam 2")
    a, b, c = make_item(conn, name="A gauze"), make_item(conn, name="B tape"), make_item(conn, name="C swab")
    locations.set_par_levels(conn, room, {a: 10, b: "4", c: 2}, user=manager)
    assert [(p.item_id, p.par) for p in locations.par_levels(conn, room)] == [(a, 10), (b, 4), (c, 2)]
    locations.set_par_levels(conn, room, {a: 12, b: 0, c: ""}, user=manager)
    assert [(p.item_id, p.par) for p in locations.par_levels(conn, room)] == [(a, 12)]
    assert audit_count(conn, "stock_par.set") == 2


def test_a_bad_par_level_names_the_item_and_writes_nothing(conn, manager):
    room = make_location(conn)
    a, b = make_item(conn, sku="GAUZE-4"), make_item(conn, sku="TAPE-1")
    locations.set_par_levels(conn, room, {a: 3}, user=manager)
    with pytest.raises(ValidationError) as refused:
        locations.set_par_levels(conn, room, {a: 8, b: "-2"}, user=manager)
    assert refused.value.field == "pars" and "TAPE-1" in str(refused.value)
    assert [(p.item_id, p.par) for p in locations.par_levels(conn, room)] == [(a, 3)]


def test_the_storeroom_takes_no_par_levels(conn, manager):
    storeroom = conn.execute("SELECT id FROM stock_locations WHERE kind = 'storeroom'").fetchone()[0]
    with pytest.raises(ValidationError):
        locations.set_par_levels(conn, storeroom, {make_item(conn): 5}, user=manager)


def test_a_kit_is_saved_and_replaced_as_a_whole(conn, manager):
    syringe = make_item(conn, sku="SYR-3", name="Syringe 3 ml", unit="each")
    swab = make_item(conn, sku="SWAB", name="Alcohol swab", unit="each")
    dose = make_item(conn, sku="FLU", name="Flu vaccine dose", unit="dose", category="vaccine")
    vaccination = make_visit_type(conn, name="Vaccination")
    kits.set_kit(conn, vaccination, {syringe: 1, swab: "2", dose: 1}, user=manager)
    assert kits.kit_for(conn, vaccination) == [
        kits.KitLine(swab, "SWAB", "Alcohol swab", "each", 2),
        kits.KitLine(dose, "FLU", "Flu vaccine dose", "dose", 1),
        kits.KitLine(syringe, "SYR-3", "Syringe 3 ml", "each", 1),
    ]
    kits.set_kit(conn, vaccination, {swab: 1, dose: 0}, user=manager)
    assert [(k.sku, k.quantity) for k in kits.kit_for(conn, vaccination)] == [("SWAB", 1)]


def test_a_bad_kit_quantity_names_the_item_and_keeps_the_old_kit(conn, manager):
    swab = make_item(conn, sku="SWAB")
    vaccination = make_visit_type(conn)
    kits.set_kit(conn, vaccination, {swab: 1}, user=manager)
    with pytest.raises(ValidationError, match="SWAB"):
        kits.set_kit(conn, vaccination, {swab: "1.5"}, user=manager)
    assert [k.quantity for k in kits.kit_for(conn, vaccination)] == [1]


def test_rooms_and_fridges_are_added_and_renamed_with_unique_names(conn, manager):
    room = locations.add_location(conn, name=" Exam  room 1 ", kind="room", user=manager)
    fridge = locations.add_location(conn, name="Vaccine fridge", kind="fridge", user=manager)
    with pytest.raises(ValidationError) as refused:
        locations.add_location(conn, name="exam room 1", kind="room", user=manager)
    assert refused.value.field == "name"
    with pytest.raises(ValidationError) as refused:
        locations.add_location(conn, name="Back store", kind="storeroom", user=manager)
    assert refused.value.field == "kind"
    locations.rename_location(conn, room, "Exam room A", user=manager)
    assert [(x.name, x.kind) for x in locations.list_locations(conn)] == [
        ("Storeroom", "storeroom"), ("Exam room A", "room"), ("Vaccine fridge", "fridge")]
    assert fridge


def test_a_location_that_still_holds_stock_cannot_be_taken_out_of_use(conn, manager):
    room = make_location(conn, "Exam 3")
    item_id = make_item(conn)
    stock(conn, item_id, 4, location_id=room)
    with pytest.raises(ValidationError) as refused:
        locations.set_location_active(conn, room, False, user=manager)
    assert refused.value.field == "active"
    assert "Exam 3 still holds 4 units of 1 item" in str(refused.value)
    assert [x.active for x in locations.list_locations(conn) if x.id == room] == [True]
    assert audit_count(conn, "stock_location.deactivate") == 0


def test_an_empty_room_is_taken_out_of_use_and_the_storeroom_never_is(conn, manager):
    room = make_location(conn, "Exam 4")
    locations.set_location_active(conn, room, False, user=manager)
    assert [x.id for x in locations.list_locations(conn, include_inactive=False)] == [
        conn.execute("SELECT id FROM stock_locations WHERE kind = 'storeroom'").fetchone()[0]]
    storeroom = locations.list_locations(conn)[0]
    with pytest.raises(ValidationError):
        locations.set_location_active(conn, storeroom.id, False, user=manager)


def test_vendor_choices_list_active_vendors_and_keep_an_items_inactive_one(conn):
    a = make_vendor(conn, name="Acme")
    b = make_vendor(conn, name="Bygone")
    conn.execute("UPDATE vendors SET active = false WHERE id = ?", [b])
    assert catalog.vendor_choices(conn) == [(a, "Acme")]
    assert catalog.vendor_choices(conn, keep=b) == [(a, "Acme"), (b, "Bygone (inactive)")]
