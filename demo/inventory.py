"""The demo clinic's supplies: vendors and service contractors, about 60 stock items
(demo/data/stock_items.csv, made up but believable), the exam rooms and the vaccine fridge with
par levels, the visit types' supply kits, and two years of stock movements that follow the seeded
visits, with the purchase orders behind the deliveries. One entry point, :func:`seed_inventory`,
run inside the seeder's transaction after billing.

What moves and when is computed in :mod:`demo.inventory_flow` (numpy, no database); this module
reads the catalogue, writes the rows in bulk (ids reserved in blocks and numbered in time order,
as the rest of the seeder does, so the same seed and the same "now" give identical rows), and fills
``stock_balances`` from the movements in SQL, so the two agree by construction.

At the large scale that is about two million movements; the test scale keeps two weeks of stock
history only (a few thousand movements: the page tests read it).
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from db import Connection
from demo.billing import _bulk, _cat, _money_sql, _opt, _utc
from demo.frames import DAY_S, day_number, reserve_ids
from demo.inventory_events import volume_factor
from demo.inventory_flow import simulate
from demo.inventory_model import KEPT_IN, KINDS, N_ROOMS, RECEIPT, USERS, Catalogue, Flow, Plan
from demo.practice import Scale
from demo.schedule import VISIT_TYPES, Appointments

CATALOGUE: Final = Path(__file__).parent / "data" / "stock_items.csv"
STOCK_HISTORY_DAYS: Final = 730
SHORT_HISTORY_DAYS: Final = 14  # scales with under a year of history (the test scale)
DEMO_VISITS_PER_DAY: Final = 79.0  # completed visits per clinic day at the demo scale

# (name, contact, phone, email, account number, lead time days, minimum order in cents, notes)
VENDORS: Final = (
    ("Northside Medical Supply", "Dana Whitfield", "(914) 555-0131", "orders@northsidemedical.example.com",
     "RFP-20418", 3, 15_000, "Delivers Tuesdays and Fridays; order by 4 pm the day before."),
    ("Hudson Valley Pharma Distributors", "Marcus Oyelaran", "(845) 555-0162", "pharmacy@hvpharma.example.com",
     "HV-77310", 2, 10_000, None),
    ("Keystone Vaccine Direct", "Elena Vasquez", "(800) 555-0175", "service@keystonevaccine.example.com",
     "KVD-5521", 5, 50_000, "Ships cold-packed Monday to Wednesday only: check the temperature strip on arrival."),
    ("Crestline Lab Products", "Tom Becker", "(914) 555-0188", "sales@crestlinelab.example.com",
     "CL-10934", 4, 7_500, None),
    ("Metro Office & Janitorial", "Rita Chen", "(914) 555-0144", "orders@metro-oj.example.com",
     "MOJ-3382", 2, 5_000, "Free delivery over $150."),
)

# (name, service, contact, phone, email, contract start and end as days from today, notes)
CONTRACTORS: Final = (
    ("Brightway Commercial Cleaning", "Cleaning: every weeknight, floors waxed monthly", "Luis Ortega",
     "(914) 555-0119", "service@brightwayclean.example.com", -324, 41, "Keys: two sets, signed for."),
    ("Precision Biomed Services", "Equipment maintenance: yearly safety checks and calibration (scales, "
     "blood pressure monitors, ECG, autoclave)", "Anita Sharma", "(203) 555-0127", "field@precisionbiomed.example.com",
     -140, 225, None),
    ("SafeCycle Medical Waste", "Biomedical waste and sharps pickup and disposal, every other Thursday",
     "Greg Novak", "(914) 555-0153", "dispatch@safecycle.example.com", -300, 430,
     "Manifests kept in the office binder."),
    ("Polar Watch Monitoring", "Vaccine fridge temperature monitoring with alarm calls", "Jenna Kim",
     "(888) 555-0190", "support@polarwatch.example.com", -200, 165, None),
)

LOCATIONS: Final = ("Exam room 1", "Exam room 2", "Exam room 3", "Vaccine fridge")

# What one visit of each type uses (visit_type_supplies): (sku, quantity).
KITS: Final = {
    "New patient": (("PROBE-COV", 1), ("GLV-NIT-M", 2), ("EXAM-PAPER", 1), ("TONGUE-DEP", 1), ("SPEC-OTO", 1),
                    ("GOWN-EXAM", 1)),
    "Follow-up": (("PROBE-COV", 1), ("GLV-NIT-M", 2), ("EXAM-PAPER", 1), ("TONGUE-DEP", 1)),
    "Annual physical": (("PROBE-COV", 1), ("GLV-NIT-M", 2), ("EXAM-PAPER", 1), ("GOWN-EXAM", 1), ("TONGUE-DEP", 1),
                        ("SPEC-OTO", 1), ("SPEC-CUP", 1), ("URINE-STRIP", 1), ("TUBE-EDTA", 2), ("BLOOD-NDL", 1),
                        ("ALC-PAD", 1), ("BAND-1X3", 1), ("BIOHAZ-BAG", 1)),
    "Vaccination": (("GLV-NIT-M", 2), ("SYR-3ML-25G", 1), ("ALC-PAD", 1), ("BAND-1X3", 1), ("VAC-FLU", 1)),
    "Procedure": (("GLV-STR-7", 1), ("GAUZE-4X4-ST", 2), ("LIDO-1-20", 1), ("SUTURE-KIT", 1), ("SUTURE-NYL4", 1),
                  ("SYR-3ML-25G", 1), ("NDL-25G-58", 1), ("POV-SWAB", 1), ("DRAPE-40X48", 1), ("BACI-OINT", 1),
                  ("BAND-1X3", 1), ("EXAM-PAPER", 1)),
}
# Vaccines given at some vaccination visits besides the kit's flu dose: (sku, share of visits).
EXTRA_VACCINES: Final = (("VAC-TDAP", 0.10), ("VAC-HEPB", 0.06), ("VAC-PCV20", 0.04), ("VAC-RZV", 0.05),
                         ("VAC-HPV9", 0.03))
LOW_NOW: Final = ("GLV-NIT-L", "SPEC-CUP", "VAC-TDAP", "OFF-TONER", "CLN-WIPES")  # not reordered yet
DRAFTED: Final = ("GLV-NIT-L", "SPEC-CUP")  # ... of which these are on a draft order
NEAR_EXPIRY: Final = ("URINE-STRIP", "VAC-HEPB", "LIDO-1-20")  # oldest lot on hand expires within 30 days
EMERGENCY: Final = ("EPI-AUTO-03", "NALOX-4MG")
CANCELLED_NOTE: Final = "Ordered twice by mistake: cancelled the same day."


def load_catalogue() -> list[dict[str, str]]:
    with CATALOGUE.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def seed_inventory(
    cur: Connection,
    rng: np.random.Generator,
    *,
    plan: Scale,
    appts: Appointments,
    appt_frame: pd.DataFrame,
    type_ids: list[int],
    today: dt.date,
    now_s: int,
    tz: str,
    user_ids: dict[str, int],
) -> dict[str, int]:
    """Seed the supplies on the seeder's transaction ``cur``; returns row counts per table.
    ``appts`` is aligned with ``appt_frame`` (the appointments as inserted)."""
    rows = load_catalogue()
    sku = [r["sku"] for r in rows]
    index = {s: i for i, s in enumerate(sku)}
    vendor_names = [v[0] for v in VENDORS]
    cat = Catalogue(
        sku=sku,
        category=np.array([r["category"] for r in rows], dtype=object),
        pack=np.array([int(r["pack_size"]) for r in rows], dtype=np.int64),
        cents=np.array([round(float(r["unit_cost"]) * 100) for r in rows], dtype=np.int64),
        tracked=np.array([r["lot_tracked"] == "true" for r in rows]),
        kept_in=np.array([KEPT_IN.index(r["kept_in"]) for r in rows], dtype=np.int64),
        daily=np.array([float(r["daily_use"]) for r in rows]),
        shelf=np.array([int(r["shelf_days"]) for r in rows], dtype=np.int64),
        vendor=np.array([vendor_names.index(r["vendor"]) for r in rows], dtype=np.int64),
        emergency=np.array([s in EMERGENCY for s in sku]),
    )
    today_n = day_number(today)
    history = STOCK_HISTORY_DAYS if plan.history_days >= 365 else SHORT_HISTORY_DAYS
    history = min(history, plan.history_days)
    days = np.unique(appts.day[(appts.day >= today_n - history) & (appts.day <= today_n)])
    names = [t[0] for t in VISIT_TYPES]
    flow_plan = Plan(
        days=days, now_s=now_s, today_n=today_n,
        volume=volume_factor(appts, days, now_s, DEMO_VISITS_PER_DAY),
        kits={names.index(name): [(index[s], q) for s, q in kit] for name, kit in KITS.items()},
        extras=[(index[s], share) for s, share in EXTRA_VACCINES],
        low=[index[s] for s in LOW_NOW], near=[index[s] for s in NEAR_EXPIRY],
        lead_days=np.array([v[5] for v in VENDORS], dtype=np.int64),
        base_rp=np.array([int(r["reorder_point"]) for r in rows], dtype=np.int64),
        base_rq=np.array([int(r["reorder_quantity"]) for r in rows], dtype=np.int64),
    )
    flow = simulate(rng, cat, flow_plan, appts)
    opening = (int(days[0]) if len(days) else today_n) * DAY_S - 7 * 3600  # 17:00 the day before

    vendor_ids = _insert_vendors(cur)
    contractors = _insert_contractors(cur, today)
    item_ids = _insert_items(cur, rows, cat, flow, vendor_ids, _utc(np.array([opening]), tz)[0])
    loc_ids = _insert_locations(cur)
    pars = sorted(flow.par.items())
    _bulk(cur, "seed_par_levels", pd.DataFrame({
        "location_id": np.array([loc_ids[loc] for (loc, _), _ in pars], dtype=np.int64),
        "item_id": np.array([item_ids[item] for (_, item), _ in pars], dtype=np.int64),
        "par": np.array([par for _, par in pars], dtype=np.int64),
    }), "INSERT INTO stock_par_levels SELECT location_id, item_id, par FROM seed_par_levels ORDER BY ALL")
    kits = [(type_ids[names.index(name)], int(item_ids[index[s]]), q) for name, kit in KITS.items() for s, q in kit]
    _bulk(cur, "seed_kits", pd.DataFrame(kits, columns=["type_id", "item_id", "quantity"]),
          "INSERT INTO visit_type_supplies SELECT type_id, item_id, quantity FROM seed_kits ORDER BY ALL")
    lot_ids = _insert_lots(cur, flow, item_ids, tz)
    po_count, line_ids, line_po = _insert_orders(cur, flow, cat, days, item_ids, vendor_ids, index, today_n,
                                                 now_s, tz, user_ids)
    moved = _insert_movements(cur, flow, item_ids, lot_ids, loc_ids, line_ids, line_po,
                              appt_frame["id"].to_numpy(), tz, user_ids)
    cur.execute("INSERT INTO stock_balances (lot_id, location_id, item_id, quantity)"
                " SELECT lot_id, location_id, any_value(item_id), sum(quantity) FROM stock_movements"
                " GROUP BY lot_id, location_id ORDER BY lot_id, location_id")
    return {"vendors": len(vendor_ids), "service_contractors": contractors, "stock_items": len(item_ids),
            "stock_lots": len(lot_ids), "stock_movements": moved, "purchase_orders": po_count,
            "purchase_order_lines": len(line_ids)}


# --- reference rows ------------------------------------------------------------------------------


def _insert_vendors(cur: Connection) -> np.ndarray:
    ids = []
    for name, contact, phone, email, account, lead, minimum, notes in VENDORS:
        (vendor_id,) = cur.execute(
            "INSERT INTO vendors (name, contact_person, phone, email, account_number, lead_time_days, minimum_order,"
            " notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [name, contact, phone, email, account, lead, Decimal(minimum) / 100, notes]).fetchone()
        ids.append(vendor_id)
    return np.array(ids, dtype=np.int64)


def _insert_contractors(cur: Connection, today: dt.date) -> int:
    for name, service, contact, phone, email, start, end, notes in CONTRACTORS:
        cur.execute(
            "INSERT INTO service_contractors (name, service, contact_person, phone, email, contract_start,"
            " contract_end, notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [name, service, contact, phone, email, today + dt.timedelta(days=start), today + dt.timedelta(days=end),
             notes])
    return len(CONTRACTORS)


def _insert_items(cur: Connection, rows: list[dict[str, str]], cat: Catalogue, flow: Flow, vendor_ids: np.ndarray,
                  created: pd.Timestamp) -> np.ndarray:
    first = reserve_ids(cur, "stock_items_id_seq", len(rows))
    ids = first + np.arange(len(rows), dtype=np.int64)
    _bulk(cur, "seed_stock_items", pd.DataFrame({
        "id": ids,
        "sku": [r["sku"] for r in rows],
        "name": [r["name"] for r in rows],
        "category": [r["category"] for r in rows],
        "unit": [r["unit"] for r in rows],
        "pack_size": cat.pack,
        "reorder_point": flow.rp,
        "reorder_quantity": flow.rq,
        "vendor_id": vendor_ids[cat.vendor],
        "cents": cat.cents,
        "lot_tracked": cat.tracked,
        "storage_note": [r["storage_note"] or None for r in rows],
        "created_at": pd.DatetimeIndex([created] * len(rows)),
    }), "INSERT INTO stock_items (id, sku, name, category, unit, pack_size, reorder_point, reorder_quantity,"
        " vendor_id, unit_cost, lot_tracked, storage_note, created_at) SELECT id, sku, name, category, unit,"
        f" pack_size, reorder_point, reorder_quantity, vendor_id, {_money_sql('cents')}, lot_tracked, storage_note,"
        " created_at FROM seed_stock_items ORDER BY id")
    return ids


def _insert_locations(cur: Connection) -> np.ndarray:
    """Location ids by the flow's location index: the storeroom (made by the migration), the rooms,
    the fridge."""
    [(storeroom,)] = cur.execute("SELECT min(id) FROM stock_locations WHERE kind = 'storeroom'").fetchall()
    ids = [storeroom]
    for position, name in enumerate(LOCATIONS, start=1):
        kind = "room" if position <= N_ROOMS else "fridge"
        (location_id,) = cur.execute("INSERT INTO stock_locations (name, kind, position) VALUES (?, ?, ?) RETURNING id",
                                     [name, kind, position]).fetchone()
        ids.append(location_id)
    return np.array(ids, dtype=np.int64)


def _insert_lots(cur: Connection, flow: Flow, item_ids: np.ndarray, tz: str) -> np.ndarray:
    lots = flow.lots
    n = len(lots.item)
    first = reserve_ids(cur, "stock_lots_id_seq", n)
    order = np.lexsort((np.arange(n), lots.first_t))  # numbered as they came in
    ids = np.empty(n, dtype=np.int64)
    ids[order] = first + np.arange(n)
    number = pd.array(lots.number, dtype="string")
    _bulk(cur, "seed_stock_lots", pd.DataFrame({
        "id": ids,
        "item_id": item_ids[lots.item],
        "lot_number": number,
        "expires_on": np.where(lots.expires >= 0, lots.expires, 0).astype("datetime64[D]").astype("datetime64[s]"),
        "dated": lots.expires >= 0,
        "cents": lots.cents,
        "received_at": _utc(lots.first_t, tz),
    }), "INSERT INTO stock_lots (id, item_id, lot_number, lot_key, expires_on, unit_cost, received_at)"
        " SELECT id, item_id, lot_number, coalesce(upper(trim(lot_number)), ''),"
        f" CASE WHEN dated THEN expires_on::DATE END, {_money_sql('cents')}, received_at FROM seed_stock_lots",
        order=order)
    return ids


# --- purchase orders -----------------------------------------------------------------------------


def _insert_orders(cur: Connection, flow: Flow, cat: Catalogue, days: np.ndarray, item_ids: np.ndarray,
                   vendor_ids: np.ndarray, index: dict[str, int], today_n: int, now_s: int, tz: str,
                   user_ids: dict[str, int]) -> tuple[int, np.ndarray, np.ndarray]:
    """One purchase order per vendor and order day, its status from what has arrived; plus a
    cancelled one in the past and today's drafts for two low items. Returns the number of orders,
    each flow order line's id and its order's id."""
    lines = flow.orders
    manager = user_ids["manager"]
    # Orders: (created local s, vendor, status, closed local s or -1, note index); lines point at them.
    key_of: dict[tuple[int, int], int] = {}
    po_created, po_vendor, po_lines = [], [], []
    for n, line in enumerate(lines):
        key = (line.vendor, line.day)
        if key not in key_of:
            key_of[key] = len(po_created)
            po_created.append(int(days[line.day]) * DAY_S + 15 * 3600 + 2700)
            po_vendor.append(line.vendor)
            po_lines.append([])
        po_lines[key_of[key]].append(n)
    on_line = (flow.moves.col("kind") == RECEIPT) & (flow.moves.col("order_line") >= 0)
    got_t = np.full(len(lines), -1, dtype=np.int64)
    np.maximum.at(got_t, flow.moves.col("order_line")[on_line], flow.moves.col("t")[on_line])
    status, closed, version = [], [], []
    for members in po_lines:
        got = [sum(u for _, u in lines[n].received) for n in members]
        full = all(g == lines[n].qty for g, n in zip(got, members))
        status.append("received" if full else "partially_received" if any(got) else "ordered")
        closed.append(max(got_t[n] for n in members) if full else -1)
        version.append(1 + sum(len(lines[n].received) for n in members))

    # The extra orders: one cancelled in the past, two drafts made yesterday afternoon.
    extra_lines: list[tuple[int, int, int, int]] = []  # (order index, item, qty, cents)
    if len(days) > 10:
        item = index["OFF-PAPER"]
        k = len(days) // 2
        extra_lines.append((len(po_created), item, int(cat.pack[item]) * 2, int(cat.cents[item])))
        po_created.append(int(days[k]) * DAY_S + 10 * 3600)
        po_vendor.append(int(cat.vendor[item]))
        status.append("cancelled")
        closed.append(int(days[k]) * DAY_S + 10 * 3600 + 1500)
        version.append(2)
    for sku in DRAFTED:
        item = index[sku]
        extra_lines.append((len(po_created), item, int(flow.rq[item]), int(cat.cents[item])))
        po_created.append((today_n - 1) * DAY_S + 16 * 3600 + 1800 + 60 * len(extra_lines))
        po_vendor.append(int(cat.vendor[item]))
        status.append("draft")
        closed.append(-1)
        version.append(0)

    n_po = len(po_created)
    created = np.array(po_created, dtype=np.int64)
    vendor = np.array(po_vendor, dtype=np.int64)
    order = np.lexsort((vendor, created))
    po_id = np.empty(n_po, dtype=np.int64)
    po_id[order] = reserve_ids(cur, "purchase_orders_id_seq", n_po) + np.arange(n_po)
    placed = np.array([s != "draft" for s in status])
    closed_t = np.array(closed, dtype=np.int64)
    lead = np.array([v[5] for v in VENDORS], dtype=np.int64)[vendor]
    _bulk(cur, "seed_purchase_orders", pd.DataFrame({
        "id": po_id,
        "vendor_id": vendor_ids[vendor],
        "status": pd.Categorical(status, categories=["draft", "ordered", "partially_received", "received",
                                                     "cancelled"]),
        "created_at": _utc(created, tz),
        "ordered_at": _utc(created + 600, tz, placed),
        "expected_on": (np.floor_divide(created, DAY_S) + lead).astype("datetime64[D]").astype("datetime64[s]"),
        "closed_at": _utc(closed_t, tz, closed_t >= 0),
        "cancelled": np.array([s == "cancelled" for s in status]),
        "version": np.array(version, dtype=np.int64),
    }), "INSERT INTO purchase_orders (id, vendor_id, status, created_at, created_by, ordered_at, expected_on,"
        f" closed_at, note, version) SELECT id, vendor_id, status, created_at, {manager}, ordered_at,"
        " CASE WHEN ordered_at IS NOT NULL THEN expected_on::DATE END, closed_at,"
        f" CASE WHEN cancelled THEN '{CANCELLED_NOTE}' END, version FROM seed_purchase_orders", order=order)

    # Lines: the flow's, then the extras; numbered by order id, then item id.
    l_po = np.array([key_of[(ln.vendor, ln.day)] for ln in lines] + [e[0] for e in extra_lines], dtype=np.int64)
    l_item = np.array([ln.item for ln in lines] + [e[1] for e in extra_lines], dtype=np.int64)
    l_qty = np.array([ln.qty for ln in lines] + [e[2] for e in extra_lines], dtype=np.int64)
    l_cents = np.array([ln.cents for ln in lines] + [e[3] for e in extra_lines], dtype=np.int64)
    l_got = np.array([sum(u for _, u in ln.received) for ln in lines] + [0] * len(extra_lines), dtype=np.int64)
    m = len(l_po)
    l_order = np.lexsort((item_ids[l_item], po_id[l_po]))
    line_id = np.empty(m, dtype=np.int64)
    line_id[l_order] = reserve_ids(cur, "purchase_order_lines_id_seq", m) + np.arange(m)
    _bulk(cur, "seed_po_lines", pd.DataFrame({
        "id": line_id, "po_id": po_id[l_po], "item_id": item_ids[l_item], "quantity": l_qty, "cents": l_cents,
        "received": l_got,
    }), "INSERT INTO purchase_order_lines (id, po_id, item_id, quantity, unit_cost, received_quantity)"
        f" SELECT id, po_id, item_id, quantity, {_money_sql('cents')}, received FROM seed_po_lines", order=l_order)
    return n_po, line_id[:len(lines)], po_id[l_po[:len(lines)]]


# --- movements -----------------------------------------------------------------------------------


def _insert_movements(cur: Connection, flow: Flow, item_ids: np.ndarray, lot_ids: np.ndarray, loc_ids: np.ndarray,
                      line_ids: np.ndarray, line_po: np.ndarray, appointment_ids: np.ndarray, tz: str,
                      user_ids: dict[str, int]) -> int:
    """Every movement, numbered in time order (inflows first within the same second)."""
    mv = flow.moves
    t, qty, lot = mv.col("t"), mv.col("qty"), mv.col("lot")
    n = len(t)
    order = np.lexsort((np.arange(n), qty < 0, t))
    ids = np.empty(n, dtype=np.int64)
    ids[order] = reserve_ids(cur, "stock_movements_id_seq", n) + np.arange(n)
    transfer = mv.col("transfer")
    first_transfer = reserve_ids(cur, "stock_transfer_id_seq", flow.transfers) if flow.transfers else 0
    line = mv.col("order_line")
    appt = mv.col("appt")
    # Receipts against an order say which ("PO 123"), as the app's receiving does.
    reason = mv.col("reason").copy()
    on_po = line >= 0
    po_of = line_po[np.maximum(line, 0)] if len(line_po) else np.zeros(n, dtype=np.int64)
    codes = {int(p): flow.reasons(f"PO {int(p)}") for p in np.unique(po_of[on_po])}
    if codes:
        reason[on_po] = np.vectorize(codes.__getitem__, otypes=[np.int64])(po_of[on_po])
    user = mv.col("user")
    user_id = np.array([user_ids[u] for u in USERS], dtype=np.int64)
    _bulk(cur, "seed_stock_movements", pd.DataFrame({
        "id": ids,
        "kind": _cat(mv.col("kind"), KINDS),
        "item_id": item_ids[mv.col("item")],
        "lot_id": lot_ids[lot],
        "location_id": loc_ids[mv.col("loc")],
        "quantity": qty.astype(np.int32),
        "cents": flow.unit_cents(),
        "occurred_at": _utc(t, tz),
        "user_id": user_id[user],
        "username": _cat(user, USERS),
        "reason": pd.Categorical.from_codes(reason, categories=flow.reasons.texts),
        "appointment_id": _opt(appointment_ids[np.maximum(appt, 0)], appt >= 0),
        "transfer_id": _opt(first_transfer + transfer, transfer >= 0),
        "po_line_id": _opt(line_ids[np.maximum(line, 0)] if len(line_ids) else line, on_po),
    }), "INSERT INTO stock_movements (id, kind, item_id, lot_id, location_id, quantity, unit_cost, occurred_at,"
        " user_id, username, reason, appointment_id, transfer_id, po_line_id)"
        f" SELECT id, kind, item_id, lot_id, location_id, quantity, {_money_sql('cents')}, occurred_at, user_id,"
        " username, reason, appointment_id, transfer_id, po_line_id FROM seed_stock_movements", order=order)
    return n
