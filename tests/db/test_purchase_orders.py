"""Purchase orders: suggested quantities, drafts per vendor, sending, receiving in part and in
full (receipt movements into the storeroom with lot and expiry), refusals that write nothing,
cancelling, and the CSV to send."""

from __future__ import annotations

import csv
import io
import threading
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from clinic.errors import ClinicError, StaleRecord, ValidationError
from db import inventory, read, read_one
from db import purchase_orders as po
from db import reorder
from tests.db.inventory_factories import make_item, make_vendor, stock

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)  # 10:00 in New York
TODAY = date(2026, 3, 2)
EXPIRY = date(2027, 6, 30)


@pytest.fixture(autouse=True)
def clock(clinic_clock):
    clinic_clock(NOW)


def on_order(conn, item_id: int) -> int:
    row = read_one(conn, "SELECT on_order FROM stock_on_order WHERE item_id = ?", [item_id])
    return row[0] if row else 0


def ordered(conn, vendor_id: int, lines) -> po.Order:
    po_id = po.create_order(conn, vendor_id=vendor_id, lines=lines, user="test")
    po.mark_ordered(conn, po_id, user="test")
    return po.get_order(conn, po_id)


def line_for(order: po.Order, item_id: int) -> po.OrderLine:
    return next(line for line in order.lines if line.item_id == item_id)


# --- suggestions --------------------------------------------------------------------------------


def test_a_suggestion_covers_the_lead_time_and_rounds_up_to_whole_packs(conn):
    vendor = make_vendor(conn, name="Henry Medical", lead_time_days=10)
    gloves = make_item(conn, name="Gloves", vendor_id=vendor, pack_size=10, reorder_point=20, reorder_quantity=10)
    stock(conn, gloves, 80)
    inventory.use(conn, item_id=gloves, quantity=60, user="test")  # 2 a day over the last 30 days
    [suggestion] = reorder.suggestions(conn, as_of=TODAY)
    assert (suggestion.item_id, suggestion.on_hand, suggestion.vendor_name) == (gloves, 20, "Henry Medical")
    assert suggestion.daily_usage == pytest.approx(2.0)
    # 20 on hand, 20 used during the 10-day lead time: 21 more keeps it above the reorder point
    # when the delivery lands, and 21 rounds up to 3 packs of 10.
    assert suggestion.suggested_quantity == 30
    assert suggestion.packs == 3


def test_an_item_above_its_reorder_point_or_covered_by_what_is_on_order_is_not_suggested(conn):
    vendor = make_vendor(conn)
    plenty = make_item(conn, vendor_id=vendor, reorder_point=5)
    covered = make_item(conn, vendor_id=vendor, reorder_point=5)
    stock(conn, plenty, 6)
    ordered(conn, vendor, [(covered, 6, None)])
    assert reorder.suggestions(conn, as_of=TODAY) == []


def test_drafts_are_made_one_per_vendor_at_each_items_cost(conn):
    a, b = make_vendor(conn, name="A Supply"), make_vendor(conn, name="B Supply")
    swabs = make_item(conn, vendor_id=a, unit_cost=Decimal("0.05"))
    masks = make_item(conn, vendor_id=a, unit_cost=Decimal("0.40"))
    paper = make_item(conn, vendor_id=b, unit_cost=Decimal("12.00"))
    ids = reorder.create_from_suggestions(conn, [(swabs, 200), (masks, 50), (paper, 2)], user="test")
    orders = [po.get_order(conn, i) for i in ids]
    assert [(o.vendor_name, o.status, len(o.lines), o.total) for o in orders] == [
        ("A Supply", "draft", 2, Decimal("30.00")), ("B Supply", "draft", 1, Decimal("24.00"))]
    # A draft is not on order yet; the suggestion says it is on a draft instead.
    assert on_order(conn, swabs) == 0
    assert {s.item_id: s.draft_po_id for s in reorder.suggestions(conn, as_of=TODAY)}[paper] == ids[1]


def test_a_second_click_on_make_draft_orders_makes_no_second_draft(conn):
    vendor = make_vendor(conn)
    swabs = make_item(conn, name="Alcohol swabs", vendor_id=vendor)
    [first] = reorder.create_from_suggestions(conn, [(swabs, 200)], user="test")
    with pytest.raises(ClinicError, match=f"Alcohol swabs is already on draft order #{first}"):
        reorder.create_from_suggestions(conn, [(swabs, 200)], user="test")
    assert read(conn, "SELECT count(*) FROM purchase_orders") == [(1,)]


def test_an_item_without_a_preferred_vendor_is_refused_by_name_and_no_draft_is_made(conn):
    vendor = make_vendor(conn)
    fine = make_item(conn, vendor_id=vendor)
    orphan = make_item(conn, name="Tongue depressors", vendor_id=None)
    with pytest.raises(ClinicError, match="Tongue depressors has no preferred vendor"):
        reorder.create_from_suggestions(conn, [(fine, 10), (orphan, 10)], user="test")
    assert read(conn, "SELECT count(*) FROM purchase_orders") == [(0,)]


# --- drafts and sending -------------------------------------------------------------------------


def test_a_draft_can_be_edited_and_sent_and_then_its_lines_are_fixed(conn):
    vendor = make_vendor(conn, lead_time_days=5)
    gauze, tape = make_item(conn, unit_cost=Decimal("2.00")), make_item(conn)
    po_id = po.create_order(conn, vendor_id=vendor, lines=[(gauze, 10, None)], user="test")
    po.set_line(conn, po_id, item_id=gauze, quantity=12, unit_cost="1.75", user="test")
    po.set_line(conn, po_id, item_id=tape, quantity=3, user="test")
    tape_line = line_for(po.get_order(conn, po_id), tape)
    po.remove_line(conn, po_id, tape_line.id, user="test")
    order = po.get_order(conn, po_id)
    assert [(x.item_id, x.quantity, x.unit_cost) for x in order.lines] == [(gauze, 12, Decimal("1.75"))]
    assert order.total == Decimal("21.00")

    po.mark_ordered(conn, po_id, user="test")
    order = po.get_order(conn, po_id)
    assert (order.status, order.expected_on) == ("ordered", date(2026, 3, 7))  # today + 5 days' lead time
    assert on_order(conn, gauze) == 12
    with pytest.raises(ClinicError, match="only a draft can be changed"):
        po.set_line(conn, po_id, item_id=gauze, quantity=1, user="test")


def test_a_change_on_an_order_someone_changed_since_is_refused(conn):
    vendor = make_vendor(conn)
    item = make_item(conn)
    po_id = po.create_order(conn, vendor_id=vendor, lines=[(item, 10, None)], user="test")
    seen = po.get_order(conn, po_id).version
    po.set_line(conn, po_id, item_id=item, quantity=20, user="test", version=seen)
    with pytest.raises(StaleRecord):
        po.set_line(conn, po_id, item_id=item, quantity=5, user="test", version=seen)
    assert po.get_order(conn, po_id).lines[0].quantity == 20


def test_an_order_under_the_vendors_minimum_can_be_sent_and_says_so(conn):
    vendor = make_vendor(conn, minimum_order=Decimal("100.00"))
    item = make_item(conn, unit_cost=Decimal("3.00"))
    order = ordered(conn, vendor, [(item, 10, None)])
    assert order.status == "ordered"
    assert order.below_minimum


# --- receiving ----------------------------------------------------------------------------------


def test_a_partial_receipt_keeps_the_rest_open_and_a_second_one_completes_the_order(conn):
    vendor = make_vendor(conn)
    vaccine = make_item(conn, name="Flu vaccine", lot_tracked=True, unit_cost=Decimal("18.00"))
    gloves = make_item(conn, name="Gloves")
    order = ordered(conn, vendor, [(vaccine, 10, None), (gloves, 100, Decimal("0.10"))])
    v_line, g_line = line_for(order, vaccine), line_for(order, gloves)

    po.receive_order(conn, order.id, lines=[po.ReceiptLine(v_line.id, 4, "FL-2201", EXPIRY),
                                            po.ReceiptLine(g_line.id, 0)], user="test")
    order = po.get_order(conn, order.id)
    assert order.status == "partially_received"
    assert [(x.name, x.received_quantity, x.open_quantity) for x in order.lines] == [
        ("Flu vaccine", 4, 6), ("Gloves", 0, 100)]
    assert on_order(conn, vaccine) == 6 and on_order(conn, gloves) == 100
    storeroom = inventory.storeroom_id(conn)
    assert read(conn, "SELECT m.kind, m.location_id, m.quantity, m.unit_cost, l.lot_number, l.expires_on"
                      " FROM stock_movements m JOIN stock_lots l ON l.id = m.lot_id WHERE m.po_line_id = ?",
                [v_line.id]) == [("receipt", storeroom, 4, Decimal("18.00"), "FL-2201", EXPIRY)]
    assert inventory.lots(conn, vaccine)[0]["on_hand"] == 4

    po.receive_order(conn, order.id, lines=[po.ReceiptLine(v_line.id, 6, "FL-2202", EXPIRY),
                                            po.ReceiptLine(g_line.id, 100)], user="test")
    order = po.get_order(conn, order.id)
    assert order.status == "received" and order.closed_at is not None
    assert on_order(conn, vaccine) == 0
    assert inventory.on_hand(conn, vaccine) == 10 and inventory.on_hand(conn, gloves) == 100
    assert {x["lot_number"] for x in inventory.lots(conn, vaccine)} == {"FL-2201", "FL-2202"}
    with pytest.raises(ClinicError, match="nothing more can be received"):
        po.receive_order(conn, order.id, lines=[po.ReceiptLine(g_line.id, 1)], user="test")


def test_a_lot_tracked_line_without_lot_and_expiry_writes_nothing_at_all(conn):
    vendor = make_vendor(conn)
    vaccine = make_item(conn, name="Tdap vaccine", lot_tracked=True)
    gloves = make_item(conn)
    order = ordered(conn, vendor, [(vaccine, 10, None), (gloves, 50, None)])
    v_line, g_line = line_for(order, vaccine), line_for(order, gloves)
    with pytest.raises(ValidationError) as refused:
        po.receive_order(conn, order.id, lines=[po.ReceiptLine(g_line.id, 50), po.ReceiptLine(v_line.id, 10)],
                         user="test")
    assert refused.value.errors == {
        f"lot_{v_line.id}": "Tdap vaccine is tracked by lot: enter the lot number from the box.",
        f"expiry_{v_line.id}": "Tdap vaccine is tracked by lot: enter the expiry date from the box."}
    after = po.get_order(conn, order.id)
    assert (after.status, after.version) == ("ordered", order.version)
    assert [x.received_quantity for x in after.lines] == [0, 0]
    assert read(conn, "SELECT count(*) FROM stock_movements") == [(0,)]
    assert inventory.on_hand(conn, gloves) == 0


def test_receiving_more_than_is_still_to_come_is_refused_on_that_line(conn):
    vendor = make_vendor(conn)
    item = make_item(conn, unit="box of 100")
    order = ordered(conn, vendor, [(item, 5, None)])
    line = order.lines[0]
    po.receive_order(conn, order.id, lines=[po.ReceiptLine(line.id, 3)], user="test")
    with pytest.raises(ValidationError) as refused:
        po.receive_order(conn, order.id, lines=[po.ReceiptLine(line.id, 3)], user="test")
    assert refused.value.errors == {f"quantity_{line.id}": f"Only 2 box of 100 of {line.name} still to come on "
                                                            "this order (3 of 5 received): check the count."}
    assert inventory.on_hand(conn, item) == 3


def test_a_draft_cannot_be_received_and_an_empty_receipt_is_refused(conn):
    vendor = make_vendor(conn)
    item = make_item(conn)
    po_id = po.create_order(conn, vendor_id=vendor, lines=[(item, 5, None)], user="test")
    line_id = po.get_order(conn, po_id).lines[0].id
    with pytest.raises(ClinicError, match="Mark the order as ordered"):
        po.receive_order(conn, po_id, lines=[po.ReceiptLine(line_id, 5)], user="test")
    po.mark_ordered(conn, po_id, user="test")
    with pytest.raises(ClinicError, match="at least one line"):
        po.receive_order(conn, po_id, lines=[po.ReceiptLine(line_id, 0)], user="test")


def test_two_people_receiving_the_same_last_units_at_once_receive_them_once(conn):
    vendor = make_vendor(conn)
    item = make_item(conn)
    order = ordered(conn, vendor, [(item, 6, None)])
    line_id = order.lines[0].id
    start, outcomes = threading.Barrier(2), []

    def receive():
        start.wait()
        try:
            po.receive_order(conn, order.id, lines=[po.ReceiptLine(line_id, 6)], user="test")
            outcomes.append("ok")
        except ClinicError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=receive) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1
    assert [o for o in outcomes if o != "ok"] == ["This order is received: nothing more can be received on it."]
    assert inventory.on_hand(conn, item) == 6
    assert po.get_order(conn, order.id).lines[0].received_quantity == 6


# --- cancelling ---------------------------------------------------------------------------------


def test_cancelling_a_partly_received_order_keeps_what_came_and_drops_the_rest_from_on_order(conn):
    vendor = make_vendor(conn)
    item = make_item(conn)
    order = ordered(conn, vendor, [(item, 10, None)])
    po.receive_order(conn, order.id, lines=[po.ReceiptLine(order.lines[0].id, 4)], user="test")
    po.cancel_order(conn, order.id, user="test", reason="Back-ordered for months")
    after = po.get_order(conn, order.id)
    assert after.status == "cancelled" and after.closed_at is not None
    assert inventory.on_hand(conn, item) == 4
    assert on_order(conn, item) == 0
    assert [r.id for r in po.list_orders(conn, status="cancelled")] == [order.id]
    with pytest.raises(ClinicError, match="cannot become cancelled"):
        po.cancel_order(conn, order.id, user="test")


# --- the list and the CSV ----------------------------------------------------------------------


def test_the_list_shows_totals_and_what_is_still_to_come_filtered_by_status(conn):
    vendor = make_vendor(conn, name="Henry Medical")
    a, b = make_item(conn, unit_cost=Decimal("1.25")), make_item(conn, unit_cost=Decimal("0.33"))
    sent = ordered(conn, vendor, [(a, 8, None), (b, 3, None)])
    draft = po.create_order(conn, vendor_id=vendor, lines=[(a, 1, None)], user="test")
    rows = {r.id: r for r in po.list_orders(conn)}
    assert (rows[sent.id].total, rows[sent.id].open_units, rows[sent.id].vendor_name) == (
        Decimal("10.99"), 11, "Henry Medical")
    assert (rows[draft].total, rows[draft].open_units) == (Decimal("1.25"), 0)
    assert [r.id for r in po.list_orders(conn, status=["ordered", "partially_received"])] == [sent.id]


def test_the_csv_has_a_row_per_line_with_packs_and_the_total(conn):
    vendor = make_vendor(conn, name="Henry Medical", account_number="CL-4471")
    gloves = make_item(conn, sku="GLV-M", name="=Gloves, medium", unit="box", pack_size=10, unit_cost=Decimal("7.50"))
    order = ordered(conn, vendor, [(gloves, 25, None)])
    rows = list(csv.reader(io.StringIO(po.order_csv(conn, order.id))))
    assert rows[0][:6] == ["po_number", "vendor", "account_number", "sku", "item", "packs"]
    assert rows[1] == [str(order.id), "Henry Medical", "CL-4471", "GLV-M", "'=Gloves, medium", "2.5", "10", "25",
                       "box", "7.50", "187.50"]
    assert rows[2][4:] == ["Total", "", "", "", "", "", "187.50"]
