"""Inventory › Purchase orders through the real app: receiving part of an order, a refused receipt
that keeps what was typed, and draft orders made from the low-stock list."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from db import purchase_orders as po
from db import reorder
from tests.conftest import SEED_TODAY, database, query
from tests.db.inventory_factories import make_item, make_vendor

EXPIRY = date(2027, 1, 31)


def an_ordered_order(path) -> tuple[int, int, int]:
    """An order sent to a vendor: 10 doses of a lot-tracked vaccine and 50 gloves. Returns the
    order's id and its two line ids (vaccine, gloves)."""
    with database(path) as conn:
        vendor = make_vendor(conn, name="Henry Medical Supply")
        vaccine = make_item(conn, sku="FLU-25", name="Flu vaccine", lot_tracked=True, unit_cost=Decimal("18.00"),
                            vendor_id=vendor)
        gloves = make_item(conn, sku="GLV-M", name="Gloves, medium", vendor_id=vendor)
        po_id = po.create_order(conn, vendor_id=vendor, lines=[(vaccine, 10, None), (gloves, 50, None)], user="test")
        po.mark_ordered(conn, po_id, user="test")
        lines = {x.item_id: x.id for x in po.get_order(conn, po_id).lines}
    return po_id, lines[vaccine], lines[gloves]


def open_order(signed_in, po_id: int):
    at = signed_in("front_desk").run()
    at.switch_page("pages/purchase_orders.py").run()
    assert not at.exception, at.exception
    at.selectbox(key="po_open").select(po_id).run()
    assert not at.exception, at.exception
    return at


def record_receipt(at):
    next(b for b in at.button if b.label == "Record receipt").click()
    return at.run()


def test_receiving_part_of_an_order_puts_it_in_stock_and_keeps_the_rest_open(signed_in, app_env):
    po_id, vaccine_line, gloves_line = an_ordered_order(app_env)
    at = open_order(signed_in, po_id)
    at.number_input(key=f"po{po_id}_g0_rq{vaccine_line}").set_value(4)
    at.text_input(key=f"po{po_id}_g0_lot{vaccine_line}").input("FL-2201")
    at.date_input(key=f"po{po_id}_g0_exp{vaccine_line}").set_value(EXPIRY)
    at.number_input(key=f"po{po_id}_g0_rq{gloves_line}").set_value(50)
    at = record_receipt(at)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert any(f"Receipt recorded on PO {po_id}" in s.value for s in at.success)
    assert query(app_env, "SELECT status FROM purchase_orders WHERE id = ?", [po_id]) == [("partially_received",)]
    assert query(app_env, "SELECT l.lot_number, l.expires_on, m.quantity, m.kind FROM stock_movements m"
                          " JOIN stock_lots l ON l.id = m.lot_id WHERE m.po_line_id = ?", [vaccine_line]) == [
        ("FL-2201", EXPIRY, 4, "receipt")]
    # The form is empty again and offers only what is still to come (6 doses; the gloves are in).
    assert at.number_input(key=f"po{po_id}_g1_rq{vaccine_line}").value == 0
    assert [n.key for n in at.number_input if n.key.startswith(f"po{po_id}_g1_rq")] == [
        f"po{po_id}_g1_rq{vaccine_line}"]
    assert any("Partly received" in m.value for m in at.markdown)


def test_a_vaccine_received_without_its_lot_is_refused_next_to_the_line_and_nothing_is_written(signed_in, app_env):
    po_id, vaccine_line, gloves_line = an_ordered_order(app_env)
    at = open_order(signed_in, po_id)
    at.number_input(key=f"po{po_id}_g0_rq{vaccine_line}").set_value(10)
    at.number_input(key=f"po{po_id}_g0_rq{gloves_line}").set_value(20)
    at = record_receipt(at)
    assert not at.exception, at.exception
    messages = [e.value for e in at.error]
    assert "Flu vaccine is tracked by lot: enter the lot number from the box." in messages
    assert "Flu vaccine is tracked by lot: enter the expiry date from the box." in messages
    assert at.number_input(key=f"po{po_id}_g0_rq{vaccine_line}").value == 10
    assert at.number_input(key=f"po{po_id}_g0_rq{gloves_line}").value == 20
    assert query(app_env, "SELECT count(*) FROM stock_movements WHERE po_line_id IN (?, ?)",
                 [vaccine_line, gloves_line]) == [(0,)]
    assert query(app_env, "SELECT status FROM purchase_orders WHERE id = ?", [po_id]) == [("ordered",)]


def test_draft_orders_are_made_from_the_low_stock_list_one_per_vendor(signed_in, app_env):
    with database(app_env) as conn:
        vendor = make_vendor(conn, name="Zephyr Supplies")
        item = make_item(conn, sku="ZZ-SWAB", name="Zephyr swabs", vendor_id=vendor, reorder_point=10,
                         reorder_quantity=40, pack_size=25)
    at = signed_in("front_desk").run()
    at.switch_page("pages/purchase_orders.py").run()
    assert not at.exception, at.exception
    editor = "po_suggest_0"
    with database(app_env) as conn:
        listed = [s.item_id for s in reorder.suggestions(conn, as_of=SEED_TODAY)]
    assert item in listed
    # Order this item only (the demo's own low items, if any, are unticked).
    at.session_state[editor] = {"edited_rows": {n: {"pick": item_id == item} for n, item_id in enumerate(listed)},
                                "added_rows": [], "deleted_rows": []}
    next(b for b in at.button if b.label == "Make draft orders").click()
    at.run()
    assert not at.exception, at.exception
    drafts = query(app_env, "SELECT p.id, l.quantity FROM purchase_orders p JOIN purchase_order_lines l"
                            " ON l.po_id = p.id WHERE p.vendor_id = ? AND l.item_id = ?", [vendor, item])
    assert len(drafts) == 1 and drafts[0][1] == 50  # 40 rounded up to 2 packs of 25
    assert at.selectbox(key="po_open").value == drafts[0][0]
