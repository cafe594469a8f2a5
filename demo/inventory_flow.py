"""How the demo clinic's stock moved, set-wise: what each visit and each day used, the morning
transfers that refill the rooms and the fridge, when the storeroom reordered and received, and
which lot every unit came from. Pure numpy (no database): :mod:`demo.inventory` writes the result.

The model, chosen so that no lot at any location ever goes below zero in time order:

* Usage happens where the item is kept: a visit's kit in its exam room (room = provider modulo 3;
  vaccines in the fridge), other clinical use in the rooms, office and cleaning use in the storeroom.
* Each room's par level for an item is a little above the most it ever used in one day. Every
  morning the transfer brings the room back to par, which is exactly what it used the day before
  (the first morning: the whole par), so a room never runs out during the day.
* The storeroom is simulated day by day per item (a plain loop: items x clinic days, independent of
  the scale): what leaves it that day (transfers, use, count losses) must be covered by what was on
  the shelf the evening before; a receipt counts from the next morning. When on-hand (rooms too)
  plus on-order falls to the reorder point, an order of the reorder quantity goes to the preferred
  vendor and arrives after the vendor's lead time; some deliveries come in two parts. Should the
  shelf still run short, an urgent delivery comes in the afternoon before.
* Units leave every location first in, first out. Numbering each location's units in the order
  they arrived, an outflow of q units covers a range of those numbers, and the lots it takes are the
  lots whose ranges overlap it (:func:`fifo_split`), all in one vectorised step. A lot-tracked
  item gets a new lot with every delivery; expiry dates are set afterwards, after each lot's last
  use (so no expired unit is ever used), and the lots on hand now expire later, except a few
  chosen to expire within 30 days.
* The emergency medicines (kept, rarely used) are replaced before their lots expire, and the rest
  of each old lot is written off on the day after its expiry; one old lot is still on the shelf,
  expired, waiting to be written off.
"""

from __future__ import annotations

import numpy as np

from demo.frames import DAY_S
from demo.inventory_events import count_adjustments, returns, usage
from demo.inventory_model import (
    ADJUSTMENT,
    COUNT,
    FRONTDESK,
    HOUR,
    MANAGER,
    N_LOC,
    RETURNED,
    STOREROOM,
    TRANSFER,
    USAGE,
    Catalogue,
    Flow,
    Lots,
    Moves,
    Plan,
    Reasons,
    price,
)
from demo.inventory_stock import emergency, expiry, lot_numbers, reorder_figures, storeroom
from demo.schedule import Appointments

# --- the entry point -----------------------------------------------------------------------------


def simulate(rng: np.random.Generator, cat: Catalogue, plan: Plan, appts: Appointments) -> Flow:
    n_items = len(cat.sku)
    days = plan.days
    k_days = len(days)
    reasons = Reasons()
    moves = Moves()

    # -- usage at the rooms and the fridge, and in the storeroom --------------------------------------
    use = usage(rng, cat, plan, appts, reasons)
    loc_use, item_use, qty_use, t_use = use["loc"], use["item"], use["qty"], use["t"]
    k_use = np.searchsorted(days, np.floor_divide(t_use, DAY_S))

    # -- par levels and the morning transfers ----------------------------------------------------------
    room = loc_use != STOREROOM
    stream = loc_use * n_items + item_use
    per_day = np.zeros((N_LOC * n_items, k_days), dtype=np.int64)
    np.add.at(per_day, (stream[room], k_use[room]), qty_use[room])
    most = per_day.max(axis=1) if k_days else np.zeros(N_LOC * n_items, dtype=np.int64)
    par_of = np.where(most > 0, np.ceil(most * 1.2 + 1).astype(np.int64), 0)
    par_of = np.where(par_of > 20, -(-par_of // 5) * 5, par_of)  # round numbers on the shelf list
    streams = np.flatnonzero(par_of)
    par = {(int(s // n_items), int(s % n_items)): int(par_of[s]) for s in streams}

    bring = np.concatenate([par_of[streams, None], per_day[streams, :-1]], axis=1) if k_days else np.zeros((0, 0))
    t_bring = days[None, :] * DAY_S + 7 * HOUR + 1800 + np.arange(len(streams))[:, None] * 5
    go = (bring > 0) & (t_bring <= plan.now_s)
    s_idx, k_tr = np.nonzero(go)  # by stream, then day
    tr_stream, tr_qty, tr_t = streams[s_idx], bring[s_idx, k_tr], t_bring[s_idx, k_tr]
    tr_item, tr_loc = tr_stream % n_items, tr_stream // n_items
    # What the rooms hold at the end of each day, per item (for the reorder decision).
    in_rooms = np.zeros((n_items, k_days), dtype=np.int64)
    np.add.at(in_rooms, streams % n_items, par_of[streams, None] - per_day[streams])

    # -- count adjustments and returns in the storeroom ----------------------------------------------
    regular = np.flatnonzero(~cat.emergency)
    adj = count_adjustments(rng, cat, plan, regular)
    sent_back = returns(rng, cat, plan)

    # -- what leaves the storeroom each day, then the storeroom's orders and deliveries -------------
    store = ~room
    out_item = np.concatenate([tr_item, item_use[store], adj["item"][adj["qty"] < 0], sent_back["item"]])
    out_k = np.concatenate([k_tr, k_use[store], adj["k"][adj["qty"] < 0], sent_back["k"]])
    out_qty = np.concatenate([tr_qty, qty_use[store], -adj["qty"][adj["qty"] < 0], sent_back["qty"]])
    demand = np.zeros((n_items, k_days), dtype=np.int64)
    np.add.at(demand, (out_item, out_k), out_qty)
    found = np.zeros((n_items, k_days), dtype=np.int64)
    up = adj["qty"] > 0
    np.add.at(found, (adj["item"][up], adj["k"][up]), adj["qty"][up])
    par_total = np.zeros(n_items, dtype=np.int64)
    np.add.at(par_total, streams % n_items, par_of[streams])
    rp, rq = reorder_figures(cat, plan, demand, par_total)
    inflow, orders = storeroom(rng, cat, plan, demand, found, in_rooms, par_total, rp, rq, regular)
    # Units found at a count (untracked items: their one lot) come in like a delivery.
    for key, value in (("item", adj["item"][up]), ("t", adj["t"][up]), ("qty", adj["qty"][up]),
                       ("kind", np.full(int(up.sum()), ADJUSTMENT)), ("reason", np.full(int(up.sum()), COUNT)),
                       ("user", np.full(int(up.sum()), MANAGER)), ("order_line", np.full(int(up.sum()), -1))):
        inflow[key] = np.concatenate([inflow[key], value])

    # -- lots: a new one per delivery of a tracked item, one per untracked item ---------------------
    in_item, in_t, in_qty = inflow["item"], inflow["t"], inflow["qty"]
    order = np.lexsort((in_t, in_item))
    inflow = {k: v[order] for k, v in inflow.items()}
    in_item, in_t, in_qty = inflow["item"], inflow["t"], inflow["qty"]
    cost = price(cat.cents[in_item], in_t, plan.today_n)
    tracked_in = cat.tracked[in_item]
    first_lot_of_item = np.full(n_items, -1, dtype=np.int64)
    untracked_items = np.flatnonzero(~cat.tracked)
    n_tracked_in = int(tracked_in.sum())
    lot_of_in = np.empty(len(in_item), dtype=np.int64)
    lot_of_in[tracked_in] = np.arange(n_tracked_in)
    first_lot_of_item[untracked_items] = n_tracked_in + np.arange(len(untracked_items))
    lot_of_in[~tracked_in] = first_lot_of_item[in_item[~tracked_in]]
    n_lots = n_tracked_in + len(untracked_items)
    lot_item = np.concatenate([in_item[tracked_in], untracked_items])
    lot_first_t = np.full(n_lots, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(lot_first_t, lot_of_in, in_t)
    lot_cents = np.zeros(n_lots, dtype=np.int64)
    lot_cents[lot_of_in] = cost  # in time order: an untracked lot keeps its last delivery's price
    moves.add(len(in_item), item=in_item, lot=lot_of_in, loc=STOREROOM, qty=in_qty, t=in_t, kind=inflow["kind"],
              reason=inflow["reason"], user=inflow["user"], order_line=inflow["order_line"])

    # -- the storeroom's outflows, first in first out -----------------------------------------------
    n_tr = len(tr_qty)
    so_item = np.concatenate([tr_item, item_use[store], adj["item"][adj["qty"] < 0], sent_back["item"]])
    so_t = np.concatenate([tr_t, t_use[store], adj["t"][adj["qty"] < 0], sent_back["t"]])
    so_qty = out_qty
    so_src = np.concatenate([np.zeros(n_tr, dtype=np.int64), np.ones(int(store.sum()), dtype=np.int64),
                             np.full(int((adj["qty"] < 0).sum()), 2), np.full(len(sent_back["item"]), 3)])
    so_row = np.concatenate([np.arange(n_tr), np.flatnonzero(store), np.flatnonzero(adj["qty"] < 0),
                             np.arange(len(sent_back["item"]))])
    o = np.lexsort((so_t, so_item))
    so_item, so_t, so_qty, so_src, so_row = so_item[o], so_t[o], so_qty[o], so_src[o], so_row[o]
    piece, piece_lot, piece_qty = fifo_split(in_item, lot_of_in, in_qty, so_item, so_qty)
    p_item, p_t, p_src, p_row = so_item[piece], so_t[piece], so_src[piece], so_row[piece]

    # Transfers: each piece out of the storeroom and into the room (one transfer id per transfer).
    is_tr = p_src == 0
    transfer_no = np.empty(n_tr, dtype=np.int64)
    transfer_no[np.lexsort((np.arange(n_tr), tr_t))] = np.arange(n_tr)  # numbered in time order
    restock = reasons("restock")
    tr_rows = p_row[is_tr]
    for sign, loc in ((-1, np.full(len(tr_rows), STOREROOM)), (1, tr_loc[tr_rows])):
        moves.add(len(tr_rows), item=p_item[is_tr], lot=piece_lot[is_tr], loc=loc, qty=sign * piece_qty[is_tr],
                  t=p_t[is_tr], kind=TRANSFER, reason=restock, user=FRONTDESK, transfer=transfer_no[tr_rows])
    # Storeroom use, count losses, returns.
    for src, kind, table in ((1, USAGE, use), (2, ADJUSTMENT, adj), (3, RETURNED, sent_back)):
        sel = p_src == src
        rows = p_row[sel]
        moves.add(int(sel.sum()), item=p_item[sel], lot=piece_lot[sel], loc=STOREROOM, qty=-piece_qty[sel],
                  t=p_t[sel], kind=kind, reason=table["reason"][rows], user=table["user"][rows],
                  appt=table["appt"][rows] if "appt" in table else -1)

    # -- the rooms' and the fridge's usage, first in first out of what the transfers brought --------
    ri_stream = tr_loc[tr_rows] * n_items + p_item[is_tr]
    o = np.lexsort((piece_lot[is_tr], p_t[is_tr], ri_stream))
    ri_stream, ri_lot, ri_qty = ri_stream[o], piece_lot[is_tr][o], piece_qty[is_tr][o]
    ro = np.flatnonzero(room)
    ro = ro[np.lexsort((t_use[ro], stream[ro]))]
    piece, r_lot, r_qty = fifo_split(ri_stream, ri_lot, ri_qty, stream[ro], qty_use[ro])
    rows = ro[piece]
    moves.add(len(rows), item=item_use[rows], lot=r_lot, loc=loc_use[rows], qty=-r_qty, t=t_use[rows], kind=USAGE,
              reason=use["reason"][rows], user=use["user"][rows], appt=use["appt"][rows])

    # -- the low items: their reorder point was raised lately (a new provider, flu season) and nobody
    # has ordered since, so they are at or below it now, whatever the simulation left.
    m_lot, m_t, m_qty = moves.col("lot"), moves.col("t"), moves.col("qty")
    item_held = np.zeros(n_items, dtype=np.int64)
    np.add.at(item_held, moves.col("item"), m_qty)
    for item in plan.low:
        open_units = sum(o.qty - sum(u for _, u in o.received) for o in orders if o.item == item)
        rp[item] = max(int(rp[item]), int(item_held[item]) + open_units + int(rng.integers(0, 3)))

    # -- expiry dates, then the emergency medicines' own lots -----------------------------------------
    last_out = np.full(n_lots, -1, dtype=np.int64)
    np.maximum.at(last_out, m_lot[m_qty < 0], m_t[m_qty < 0])
    held = np.zeros(n_lots, dtype=np.int64)
    np.add.at(held, m_lot, m_qty)
    expires = expiry(rng, cat, plan, lot_item, lot_first_t, last_out, held, n_tracked_in)
    lots = Lots(item=lot_item, first_t=lot_first_t, cents=lot_cents, expires=expires,
                number=lot_numbers(rng, cat, lot_item, n_tracked_in))
    emergency(rng, cat, plan, moves, lots, reasons)
    d = np.lexsort((in_t, lot_of_in))
    return Flow(moves=moves, lots=lots, reasons=reasons, orders=orders, par=par, rp=rp, rq=rq, transfers=n_tr,
                deliveries=(lot_of_in[d], in_t[d], cost[d]))


# --- first in, first out ---------------------------------------------------------------------------


def fifo_split(in_key: np.ndarray, in_lot: np.ndarray, in_qty: np.ndarray, out_key: np.ndarray,
               out_qty: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which lots each outflow takes when every location (``key``) hands out its units in the order
    they came in. Inflows and outflows are each sorted by key, then time; an outflow must never take
    more than its key received in all. Returns pieces: (outflow index, lot, units), in outflow order.

    Units of a key are numbered in arrival order; an outflow covers the next ``q`` numbers, and the
    lots it takes are the inflow runs that range overlaps."""
    if len(out_key) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    run = np.flatnonzero(np.r_[True, (in_key[1:] != in_key[:-1]) | (in_lot[1:] != in_lot[:-1])])
    seg_key, seg_lot = in_key[run], in_lot[run]
    seg_end = np.cumsum(np.add.reduceat(in_qty, run))
    seg_start = np.r_[0, seg_end[:-1]]
    first_seg = np.searchsorted(seg_key, out_key, side="left")
    base = np.where(first_seg > 0, seg_end[np.maximum(first_seg - 1, 0)], 0)
    done = np.cumsum(out_qty) - out_qty  # units taken before this outflow, over all keys
    key_start = np.flatnonzero(np.r_[True, out_key[1:] != out_key[:-1]])
    done -= np.repeat(done[key_start], np.diff(np.r_[key_start, len(out_key)]))
    start = base + done
    end = start + out_qty
    j1 = np.searchsorted(seg_end, start, side="right")
    j2 = np.searchsorted(seg_end, end - 1, side="right")
    count = j2 - j1 + 1
    piece = np.repeat(np.arange(len(out_key)), count)
    j = j1[piece] + np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    if (j >= len(seg_key)).any() or (seg_key[j] != out_key[piece]).any():
        raise AssertionError("a location handed out more than it ever received")
    units = np.minimum(end[piece], seg_end[j]) - np.maximum(start[piece], seg_start[j])
    return piece, seg_lot[j], units
