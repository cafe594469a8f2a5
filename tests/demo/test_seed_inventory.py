"""The demo seeder's supplies: a believable catalogue, stock that never went below zero anywhere,
kits that follow the completed visits, orders whose receipts add up, and something for the
morning list to show (low items, lots about to expire, a contract to renew)."""

from __future__ import annotations

from datetime import timedelta

import db
from clinic.inventory import CATEGORIES, is_low
from tests.demo.seeding import TODAY, TZ

ON_HAND_AND_ORDERED = (
    "SELECT i.sku, coalesce(h.on_hand, 0), coalesce(o.on_order, 0), i.reorder_point FROM stock_items i"
    " LEFT JOIN (SELECT item_id, sum(quantity) AS on_hand FROM stock_balances GROUP BY item_id) h ON h.item_id = i.id"
    " LEFT JOIN stock_on_order o ON o.item_id = i.id"
)


def test_about_sixty_items_across_all_six_categories_with_vendors_and_rooms(small):
    by_category = dict(db.read(small, "SELECT category, count(*) FROM stock_items GROUP BY category"))
    assert set(by_category) == set(CATEGORIES) and 55 <= sum(by_category.values()) <= 65
    assert db.read_one(small, "SELECT count(*) FROM stock_items WHERE vendor_id IS NULL")[0] == 0
    assert 4 <= db.read_one(small, "SELECT count(*) FROM vendors")[0] <= 5
    places = db.read(small, "SELECT name, kind FROM stock_locations ORDER BY position")
    assert places == [("Storeroom", "storeroom"), ("Exam room 1", "room"), ("Exam room 2", "room"),
                      ("Exam room 3", "room"), ("Vaccine fridge", "fridge")]
    # The fridge holds the vaccines, and only cold items.
    fridge = db.read(small, "SELECT i.category, i.storage_note FROM stock_par_levels p"
                            " JOIN stock_items i ON i.id = p.item_id JOIN stock_locations l ON l.id = p.location_id"
                            " WHERE l.kind = 'fridge'")
    assert {c for c, _ in fridge} >= {"vaccine"} and all("2-8" in note for _, note in fridge)
    kits = dict(db.read(small, "SELECT t.name, list(i.sku ORDER BY i.sku) FROM visit_type_supplies s"
                               " JOIN visit_types t ON t.id = s.type_id JOIN stock_items i ON i.id = s.item_id"
                               " GROUP BY t.name"))
    assert {"SYR-3ML-25G", "ALC-PAD", "VAC-FLU"} <= set(kits["Vaccination"])
    assert {"LIDO-1-20", "SUTURE-KIT", "GAUZE-4X4-ST"} <= set(kits["Procedure"])


def test_balances_equal_the_sum_of_movements_for_every_lot_and_location(small):
    assert db.read_one(small, "SELECT count(*) FROM stock_movements")[0] > 1000
    differ = db.read_one(
        small,
        "SELECT count(*) FROM (SELECT lot_id, location_id, sum(quantity) AS moved FROM stock_movements GROUP BY ALL) m"
        " FULL JOIN stock_balances b USING (lot_id, location_id) WHERE coalesce(m.moved, 0) <> coalesce(b.quantity, 0)",
    )[0]
    assert differ == 0


def test_no_lot_at_any_location_ever_went_below_zero_in_time_order(small):
    negative = db.read_one(
        small,
        "SELECT count(*) FROM (SELECT sum(quantity) OVER (PARTITION BY lot_id, location_id ORDER BY occurred_at, id)"
        " AS running FROM stock_movements) WHERE running < 0",
    )[0]
    assert negative == 0
    # A transfer is a pair that moves stock and creates none.
    assert db.read_one(small, "SELECT count(*) FROM (SELECT transfer_id FROM stock_movements WHERE kind = 'transfer'"
                              " GROUP BY transfer_id HAVING sum(quantity) <> 0 OR count(*) < 2)")[0] == 0


def test_no_unit_was_taken_from_a_lot_after_it_expired(small):
    late = db.read_one(
        small,
        "SELECT count(*) FROM stock_movements m JOIN stock_lots l ON l.id = m.lot_id"
        " WHERE m.quantity < 0 AND m.kind <> 'expired' AND timezone($tz, m.occurred_at)::DATE > l.expires_on",
        {"tz": TZ},
    )[0]
    assert late == 0
    # Every tracked lot has a number and an expiry; the untracked items have their one lot.
    assert db.read_one(small, "SELECT count(*) FROM stock_lots l JOIN stock_items i ON i.id = l.item_id"
                              " WHERE i.lot_tracked AND (l.lot_number IS NULL OR l.expires_on IS NULL)")[0] == 0
    assert db.read_one(small, "SELECT count(*) FROM stock_lots l JOIN stock_items i ON i.id = l.item_id"
                              " WHERE NOT i.lot_tracked AND l.lot_key <> ''")[0] == 0


def test_every_visit_kit_row_is_for_a_completed_visit_and_each_visit_took_its_whole_kit(small):
    rows, completed = db.read_one(
        small,
        "SELECT count(*), count(a.id) FROM stock_movements m"
        " LEFT JOIN appointments a ON a.id = m.appointment_id AND a.status = 'completed' WHERE m.reason = 'visit kit'",
    )
    assert rows > 0 and completed == rows
    short = db.read_one(
        small,
        "SELECT count(*) FROM (SELECT m.appointment_id, m.item_id, -sum(m.quantity) AS taken,"
        " any_value(s.quantity) AS kit"
        " FROM stock_movements m JOIN appointments a ON a.id = m.appointment_id"
        " JOIN visit_type_supplies s ON s.type_id = a.type_id AND s.item_id = m.item_id"
        " WHERE m.reason = 'visit kit' GROUP BY ALL) WHERE taken <> kit",
    )[0]
    assert short == 0
    # The kits follow the visits: the last week's completed visits all took theirs.
    missing = db.read_one(
        small,
        "SELECT count(*) FROM appointments a WHERE a.status = 'completed' AND a.start_at >= $since"
        " AND NOT EXISTS (SELECT 1 FROM stock_movements m WHERE m.appointment_id = a.id AND m.reason = 'visit kit')",
        {"since": TODAY - timedelta(days=7)},
    )[0]
    assert missing == 0


def test_some_items_are_low_some_lots_expire_within_30_days_and_a_contract_is_due(small):
    low = [sku for sku, on_hand, on_order, point in db.read(small, ON_HAND_AND_ORDERED)
           if is_low(on_hand, on_order, point)]
    assert 2 <= len(low) <= 10
    expiring = db.read(
        small,
        "SELECT DISTINCT l.id FROM stock_lots l JOIN stock_balances b ON b.lot_id = l.id"
        " WHERE b.quantity > 0 AND l.expires_on BETWEEN $today AND $today + INTERVAL 30 DAY",
        {"today": TODAY},
    )
    assert 2 <= len(expiring) <= 8
    due = db.read(small, "SELECT name FROM service_contractors WHERE contract_end <= $today + INTERVAL 60 DAY",
                  {"today": TODAY})
    assert len(due) == 1


def test_past_orders_include_a_partly_received_one_whose_received_quantity_matches_its_receipts(small):
    statuses = dict(db.read(small, "SELECT status, count(*) FROM purchase_orders GROUP BY status"))
    assert statuses.get("received", 0) >= 1 and statuses.get("partially_received", 0) >= 1
    assert statuses.get("draft", 0) >= 1
    mismatched = db.read_one(
        small,
        "SELECT count(*) FROM purchase_order_lines l LEFT JOIN (SELECT po_line_id, sum(quantity) AS got"
        " FROM stock_movements WHERE kind = 'receipt' GROUP BY po_line_id) r ON r.po_line_id = l.id"
        " WHERE l.received_quantity <> coalesce(r.got, 0)",
    )[0]
    assert mismatched == 0
    # A partly received order has a line still waiting, and one at least partly delivered.
    waiting, delivered = db.read_one(
        small,
        "SELECT count(*) FILTER (WHERE l.received_quantity < l.quantity),"
        " count(*) FILTER (WHERE l.received_quantity > 0)"
        " FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.po_id WHERE p.status = 'partially_received'",
    )
    assert waiting >= 1 and delivered >= 1
    # Received in full: every line complete.
    assert db.read_one(small, "SELECT count(*) FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.po_id"
                              " WHERE p.status = 'received' AND l.received_quantity <> l.quantity")[0] == 0


def test_movements_carry_their_lots_cost_and_nothing_happens_after_now(small):
    assert db.read_one(small, "SELECT count(*) FROM stock_movements WHERE unit_cost IS NULL")[0] == 0
    tracked_cost_differs = db.read_one(
        small,
        "SELECT count(*) FROM stock_movements m JOIN stock_lots l ON l.id = m.lot_id JOIN stock_items i"
        " ON i.id = m.item_id WHERE i.lot_tracked AND m.unit_cost <> l.unit_cost",
    )[0]
    assert tracked_cost_differs == 0
    last = db.read_one(small, "SELECT max(timezone($tz, occurred_at))::DATE FROM stock_movements", {"tz": TZ})[0]
    assert last < TODAY
