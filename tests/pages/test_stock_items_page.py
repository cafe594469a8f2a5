"""Inventory › Items and rooms through the real app: a manager adds an item, a refused one keeps what
was typed and writes nothing, par levels and a visit kit saved from their tables, and the front desk
reads without any form."""

from __future__ import annotations

from db import stock_catalog as catalog
from db import stock_locations as locations
from tests.conftest import database, query

PAGE = "pages/stock_items.py"


def open_page(signed_in, role: str = "manager"):
    at = signed_in(role).run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def click(at, label: str):
    next(b for b in at.button if b.label == label).click()
    return at.run()


def items_table(at):
    """The item list (the page's first table; AppTest shows no key for a plain st.dataframe)."""
    table = at.dataframe[0].value
    assert list(table.columns)[:3] == ["sku", "name", "category"]
    return table


def fill_new_item(at, **values: str):
    for field, value in values.items():
        at.text_input(key=f"new_item_{field}").input(value)


def in_order(at) -> list[str]:
    """The labels of widgets and the texts of messages on the page, top to bottom."""
    found = []
    for element in at.main:
        for attribute in ("label", "value"):
            try:
                text = getattr(element, attribute, None)
            except Exception:  # a block or element without it
                text = None
            if isinstance(text, str):
                found.append(text)
                break
    return found


def test_a_manager_adds_an_item_and_sees_it_listed(signed_in, app_env):
    at = open_page(signed_in)
    fill_new_item(at, sku=" swab-70 ", name="Alcohol prep pad", unit="box of 200", reorder_point="3",
                  reorder_quantity="10", pack_size="5", unit_cost="4.25")
    at.selectbox(key="new_item_category").select("supply")
    at = click(at, "Add item")
    assert not at.exception
    assert any("Alcohol prep pad" in s.value for s in at.success)
    assert "SWAB-70" in set(items_table(at)["sku"])
    assert at.text_input(key="new_item_sku").value == ""
    assert query(app_env, "SELECT name, unit, reorder_point, reorder_quantity, pack_size, unit_cost::VARCHAR"
                          " FROM stock_items WHERE sku = 'SWAB-70'") == [
        ("Alcohol prep pad", "box of 200", 3, 10, 5, "4.25")]
    assert query(app_env, "SELECT username FROM audit_log WHERE action = 'stock_item.create'") == [("manager",)]


def test_a_bad_reorder_point_is_shown_by_its_field_keeps_what_was_typed_and_writes_nothing(signed_in, app_env):
    before = query(app_env, "SELECT count(*) FROM stock_items")[0][0]
    at = open_page(signed_in, "admin")
    fill_new_item(at, sku="GAUZE-4", name="Gauze 4x4", unit="pack", reorder_point="-2", reorder_quantity="10")
    at = click(at, "Add item")
    assert not at.exception
    assert "Enter zero or more units." in [e.value for e in at.error]
    # The message sits right under the field it is about.
    labels = in_order(at)
    assert labels.index("Enter zero or more units.") == labels.index("Reorder point") + 1
    assert at.text_input(key="new_item_reorder_point").value == "-2"
    assert at.text_input(key="new_item_sku").value == "GAUZE-4"
    assert query(app_env, "SELECT count(*) FROM stock_items")[0][0] == before


def test_par_levels_and_a_visit_kit_are_saved_from_their_tables(signed_in, app_env):
    with database(app_env) as conn:
        room = locations.add_location(conn, name="Exam room Z", kind="room", user="test")
        swab = catalog.create_item(conn, sku="ZZ-SWAB", name="Zz swab", category="supply", unit="each",
                                   reorder_point=0, reorder_quantity=0, user="test")
        type_id = query(app_env, "SELECT id FROM visit_types WHERE active ORDER BY name LIMIT 1")[0][0]
    at = open_page(signed_in)
    at.selectbox(key="par_location").select(room).run()
    at.selectbox(key="par_category").select("supply").run()
    editor = next(d for d in at.dataframe if (d.key or "").startswith(f"pars_{room}_"))
    row = list(editor.value["sku"]).index("ZZ-SWAB")
    at.session_state[editor.key] = {"edited_rows": {row: {"par": 6}}, "added_rows": [], "deleted_rows": []}
    at = click(at, "Save par levels")
    assert not at.exception
    assert query(app_env, "SELECT par FROM stock_par_levels WHERE location_id = ? AND item_id = ?",
                 [room, swab]) == [(6,)]

    at.selectbox(key="kit_visit_type").select(type_id).run()
    editor = next(d for d in at.dataframe if (d.key or "").startswith(f"kit_{type_id}_"))
    kept = [{"item": label, "quantity": quantity} for label, quantity in editor.value.itertuples(index=False)]
    at.session_state[editor.key] = {"edited_rows": {}, "added_rows": [{"item": "ZZ-SWAB · Zz swab", "quantity": 2}],
                                    "deleted_rows": []}
    at = click(at, "Save the kit")
    assert not at.exception
    assert ("ZZ-SWAB", 2) in query(app_env, "SELECT i.sku, k.quantity FROM visit_type_supplies k"
                                            " JOIN stock_items i ON i.id = k.item_id WHERE k.type_id = ?", [type_id])
    assert len(query(app_env, "SELECT * FROM visit_type_supplies WHERE type_id = ?", [type_id])) == len(kept) + 1


def test_the_front_desk_reads_the_lists_but_gets_no_form(signed_in, app_env):
    with database(app_env) as conn:
        catalog.create_item(conn, sku="ZZ-TAPE", name="Zz tape", category="supply", unit="roll",
                            reorder_point=1, reorder_quantity=2, user="test")
    at = open_page(signed_in, "front_desk")
    assert "ZZ-TAPE" in set(items_table(at)["sku"])
    assert "Only a manager or an admin can change the item list." in [c.value for c in at.caption]
    labels = {b.label for b in at.button}
    assert not labels & {"Add item", "Save changes", "Add location", "Rename", "Save par levels", "Save the kit"}
    assert not [t for t in at.text_input if (t.key or "").startswith(("new_item_", "item_", "new_location"))]
