"""Purchase orders: suggested from the low-stock list or made by hand, edited while draft, sent
(ordered), received line by line with lot and expiry (each receipt a ``receipt`` movement into the
storeroom), cancelled; printed as a PDF and given as CSV to send to the vendor.

Quantities are whole units of issue; the vendor sells packs (``pack_size`` units each), so a
suggestion is rounded up to whole packs and the paper shows packs beside units. Money is Decimal
from DECIMAL(12,2) columns; line and order totals are computed in SQL.

Concurrency. Every write first bumps ``purchase_orders.version`` of the order it touches, so two
people editing or receiving the same order at once conflict in DuckDB and ``db.atomic`` reruns
the loser on fresh data (where, say, a line already received in full refuses more). A caller may
also pass the ``version`` it showed: a write on an order changed since is refused (StaleRecord).

Each action re-reads the acting account (action ``inventory.order``) and writes its audit row in
the same transaction. Status moves follow ``clinic.inventory.PO_MOVES``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from clinic import inventory as rules
from clinic import purchase_order_pdf, timeutil
from clinic.errors import ClinicError, NotFound, StaleRecord, ValidationError
from clinic.money import parse_amount
from db import Connection, atomic, audit, read, settings, transaction
from db import inventory as stock
from db.actors import acting

ACTION = "inventory.order"
OPEN_STATUSES = ("ordered", "partially_received")


# --- rows ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderLine:
    id: int
    po_id: int
    item_id: int
    sku: str
    name: str
    unit: str
    pack_size: int
    lot_tracked: bool
    quantity: int  # units of issue ordered
    unit_cost: Decimal
    received_quantity: int
    line_total: Decimal

    @property
    def open_quantity(self) -> int:
        return max(0, self.quantity - self.received_quantity)

    @property
    def packs(self) -> str:
        return purchase_order_pdf.packs_text(self.quantity, self.pack_size)


@dataclass(frozen=True)
class OrderRow:
    """One order as the list shows it."""

    id: int
    vendor_id: int
    vendor_name: str
    status: str
    created_at: datetime
    ordered_at: datetime | None
    expected_on: date | None
    closed_at: datetime | None
    line_count: int
    total: Decimal
    open_units: int  # ordered, not received (0 for drafts and closed orders too)

    @property
    def status_label(self) -> str:
        return rules.PO_STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True)
class Order:
    id: int
    vendor_id: int
    vendor_name: str
    account_number: str | None
    minimum_order: Decimal
    lead_time_days: int
    status: str
    created_at: datetime
    ordered_at: datetime | None
    expected_on: date | None
    closed_at: datetime | None
    note: str | None
    version: int
    total: Decimal
    lines: tuple[OrderLine, ...]

    @property
    def status_label(self) -> str:
        return rules.PO_STATUS_LABELS.get(self.status, self.status)

    @property
    def below_minimum(self) -> bool:
        """The vendor has a minimum order and this order's total is under it."""
        return self.minimum_order > 0 and self.total < self.minimum_order

    @property
    def open_lines(self) -> tuple[OrderLine, ...]:
        return tuple(line for line in self.lines if line.open_quantity > 0)


@dataclass(frozen=True)
class ReceiptLine:
    """What arrived for one order line (``quantity`` 0: nothing of it this time)."""

    line_id: int
    quantity: Any
    lot_number: str | None = None
    expires_on: date | None = None


# --- reading -------------------------------------------------------------------------------------

_ORDER_TOTALS = """
SELECT p.id, p.vendor_id, v.name, p.status, p.created_at, p.ordered_at, p.expected_on, p.closed_at,
       count(l.id)::INTEGER,
       coalesce(sum(CAST(l.quantity * l.unit_cost AS DECIMAL(14, 2))), 0)::DECIMAL(14, 2),
       CASE WHEN p.status IN ('ordered', 'partially_received')
            THEN coalesce(sum(greatest(l.quantity - l.received_quantity, 0)), 0) ELSE 0 END::INTEGER
FROM purchase_orders p JOIN vendors v ON v.id = p.vendor_id
LEFT JOIN purchase_order_lines l ON l.po_id = p.id
"""

_LINES = """
SELECT l.id, l.po_id, l.item_id, i.sku, i.name, i.unit, i.pack_size, i.lot_tracked, l.quantity, l.unit_cost,
       l.received_quantity, CAST(l.quantity * l.unit_cost AS DECIMAL(14, 2))
FROM purchase_order_lines l JOIN stock_items i ON i.id = l.item_id
WHERE l.po_id = ? ORDER BY i.name, l.id
"""

_HEAD = """
SELECT p.id, p.vendor_id, v.name, v.account_number, v.minimum_order, v.lead_time_days, p.status, p.created_at,
       p.ordered_at, p.expected_on, p.closed_at, p.note, p.version
FROM purchase_orders p JOIN vendors v ON v.id = p.vendor_id WHERE p.id = ?
"""


def list_orders(conn: Connection, *, status: str | Iterable[str] | None = None) -> list[OrderRow]:
    """Orders, newest first, with their vendor and totals; ``status`` one word or several."""
    wanted = None if status is None else ([status] if isinstance(status, str) else list(status))
    rows = read(conn, _ORDER_TOTALS + " WHERE $st IS NULL OR list_contains($st, p.status)"
                " GROUP BY p.id, p.vendor_id, v.name, p.status, p.created_at, p.ordered_at, p.expected_on, p.closed_at"
                " ORDER BY p.id DESC", {"st": wanted})
    return [OrderRow(*r) for r in rows]


def _order_on(cur: Connection, po_id: int) -> Order:
    head = cur.execute(_HEAD, [po_id]).fetchone()
    if head is None:
        raise NotFound("That purchase order does not exist.")
    lines = tuple(OrderLine(*r) for r in cur.execute(_LINES, [po_id]).fetchall())
    total = sum((line.line_total for line in lines), Decimal("0.00"))
    return Order(*head, total=total, lines=lines)


def get_order(conn: Connection, po_id: int) -> Order:
    """The order with its lines, read in one snapshot. Raises NotFound."""
    with transaction(conn) as cur:
        return _order_on(cur, po_id)


# --- writing: shared steps -----------------------------------------------------------------------


def _bump(cur: Connection, po_id: int, version: int | None) -> tuple[str, int]:
    """Bump the order's version first thing (so concurrent writers conflict); returns its
    status and vendor. Refuses an order changed since ``version`` was shown."""
    # No RETURNING here: DuckDB runs an UPDATE ... RETURNING on a row that foreign keys reference
    # as delete + insert, which the order's lines refuse (checked on DuckDB 2.0.1).
    cur.execute("UPDATE purchase_orders SET version = version + 1 WHERE id = ?", [po_id])
    row = cur.execute("SELECT status, vendor_id, version FROM purchase_orders WHERE id = ?", [po_id]).fetchone()
    if row is None:
        raise NotFound("That purchase order does not exist.")
    status, vendor_id, new_version = row
    if version is not None and new_version - 1 != version:
        raise StaleRecord("Someone else changed this order since you opened it: look at it again.")
    return status, vendor_id


def _draft_only(status: str) -> None:
    if status != "draft":
        raise ClinicError(f"This order is {rules.PO_STATUS_LABELS.get(status, status).lower()}: only a draft "
                          "can be changed.", field="status")


def item_for_order_in(cur: Connection, item_id: int, field: str) -> tuple[str, Decimal, int | None]:
    row = cur.execute("SELECT name, unit_cost, vendor_id, active FROM stock_items WHERE id = ?", [item_id]).fetchone()
    if row is None:
        raise NotFound("That item does not exist.", field=field)
    if not row[3]:
        raise ClinicError(f"{row[0]} is no longer stocked (inactive).", field=field)
    return row[0], row[1], row[2]


def _cost(value: Any, default: Decimal, field: str) -> Decimal:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    return parse_amount(value, field=field, allow_zero=True)


def active_vendor_in(cur: Connection, vendor_id: int) -> str:
    row = cur.execute("SELECT name, active FROM vendors WHERE id = ?", [vendor_id]).fetchone()
    if row is None:
        raise NotFound("That vendor does not exist.", field="vendor_id")
    if not row[1]:
        raise ClinicError(f"{row[0]} is no longer in use (inactive): choose another vendor.", field="vendor_id")
    return row[0]


def insert_order_in(cur: Connection, actor: Any, vendor_id: int, lines: Sequence[tuple[int, int, Decimal]],
                  note: str | None) -> int:
    (po_id,) = cur.execute("INSERT INTO purchase_orders (vendor_id, status, created_at, created_by, note)"
                           " VALUES (?, 'draft', ?, ?, ?) RETURNING id",
                           [vendor_id, timeutil.now_utc(), getattr(actor, "id", None), note]).fetchone()
    for item_id, quantity, cost in lines:
        cur.execute("INSERT INTO purchase_order_lines (po_id, item_id, quantity, unit_cost) VALUES (?, ?, ?, ?)",
                    [po_id, item_id, quantity, cost])
    audit.record(cur, actor, "purchase_order.create", "purchase_order", po_id,
                 detail={"vendor_id": vendor_id, "lines": [[i, q, str(c)] for i, q, c in lines]})
    return po_id


def _note(text: Any) -> str | None:
    return " ".join(str(text or "").split())[:500] or None


# --- writing: actions ----------------------------------------------------------------------------


def create_order(conn: Connection, *, vendor_id: int, lines: Sequence[tuple[int, Any, Any]], user: Any,
                 note: str | None = None) -> int:
    """A draft order to ``vendor_id`` by hand; ``lines`` are (item_id, quantity in units,
    unit cost or None for the item's cost). Returns the order's id."""
    if not lines:
        raise ClinicError("Add at least one item to the order.", field="lines")
    checked = []
    for item_id, quantity, cost in lines:
        checked.append((item_id, rules.whole_quantity(quantity, field=f"quantity_{item_id}"), cost))
    if len({item_id for item_id, _, _ in checked}) != len(checked):
        raise ClinicError("An item is on the order twice: put it on one line.", field="lines")

    def write(cur: Connection) -> int:
        actor = acting(cur, user, ACTION)
        active_vendor_in(cur, vendor_id)
        priced = []
        for item_id, quantity, cost in checked:
            _name, item_cost, _vendor = item_for_order_in(cur, item_id, f"quantity_{item_id}")
            priced.append((item_id, quantity, _cost(cost, item_cost, f"unit_cost_{item_id}")))
        return insert_order_in(cur, actor, vendor_id, priced, _note(note))

    return atomic(conn, write)


def set_line(conn: Connection, po_id: int, *, item_id: int, quantity: Any, user: Any, unit_cost: Any = None,
             version: int | None = None) -> None:
    """Put ``quantity`` units of the item on a draft order (adds the line or changes it);
    ``unit_cost`` None keeps the line's cost (the item's for a new line)."""
    quantity = rules.whole_quantity(quantity, field="quantity")

    def write(cur: Connection) -> None:
        actor = acting(cur, user, ACTION)
        status, _vendor = _bump(cur, po_id, version)
        _draft_only(status)
        _name, item_cost, _ = item_for_order_in(cur, item_id, "item_id")
        line = cur.execute("SELECT id, unit_cost FROM purchase_order_lines WHERE po_id = ? AND item_id = ?",
                           [po_id, item_id]).fetchone()
        cost = _cost(unit_cost, line[1] if line else item_cost, "unit_cost")
        if line:
            cur.execute("UPDATE purchase_order_lines SET quantity = ?, unit_cost = ? WHERE id = ?",
                        [quantity, cost, line[0]])
        else:
            cur.execute("INSERT INTO purchase_order_lines (po_id, item_id, quantity, unit_cost) VALUES (?, ?, ?, ?)",
                        [po_id, item_id, quantity, cost])
        audit.record(cur, actor, "purchase_order.set_line", "purchase_order", po_id,
                     detail={"item_id": item_id, "quantity": quantity, "unit_cost": str(cost)})

    atomic(conn, write)


def remove_line(conn: Connection, po_id: int, line_id: int, *, user: Any, version: int | None = None) -> None:
    """Take a line off a draft order (an order may be left empty while it is a draft)."""
    def write(cur: Connection) -> None:
        actor = acting(cur, user, ACTION)
        status, _vendor = _bump(cur, po_id, version)
        _draft_only(status)
        gone = cur.execute("DELETE FROM purchase_order_lines WHERE id = ? AND po_id = ? RETURNING item_id",
                           [line_id, po_id]).fetchone()
        if gone is None:
            raise NotFound("That line is not on this order.", field="lines")
        audit.record(cur, actor, "purchase_order.remove_line", "purchase_order", po_id,
                     detail={"line_id": line_id, "item_id": gone[0]})

    atomic(conn, write)


def mark_ordered(conn: Connection, po_id: int, *, user: Any, expected_on: date | None = None,
                 version: int | None = None) -> None:
    """Draft -> ordered: the order was sent. ``expected_on`` defaults to today plus the vendor's
    lead time. An order under the vendor's minimum is allowed (the page warns)."""
    if expected_on is not None and (isinstance(expected_on, datetime) or not isinstance(expected_on, date)):
        raise ClinicError("Enter the expected delivery as a date.", field="expected_on")
    tz = settings.timezone(conn)

    def write(cur: Connection) -> None:
        actor = acting(cur, user, ACTION)
        status, vendor_id = _bump(cur, po_id, version)
        rules.check_po_move(status, "ordered")
        (lines,) = cur.execute("SELECT count(*) FROM purchase_order_lines WHERE po_id = ?", [po_id]).fetchone()
        if not lines:
            raise ClinicError("This order has no lines: add what to order first.", field="lines")
        today = timeutil.today(tz)
        expected = expected_on
        if expected is None:
            (lead,) = cur.execute("SELECT lead_time_days FROM vendors WHERE id = ?", [vendor_id]).fetchone()
            expected = today + timedelta(days=lead)
        elif expected < today:
            raise ClinicError("The expected delivery cannot be in the past.", field="expected_on")
        cur.execute("UPDATE purchase_orders SET status = 'ordered', ordered_at = ?, expected_on = ? WHERE id = ?",
                    [timeutil.now_utc(), expected, po_id])
        audit.record(cur, actor, "purchase_order.ordered", "purchase_order", po_id,
                     detail={"expected_on": expected.isoformat()})

    atomic(conn, write)


def _check_receipts(order: Order, lines: Sequence[ReceiptLine]) -> list[tuple[OrderLine, int, ReceiptLine]]:
    """Every wrong field of a receipt at once (``quantity_<line>``, ``lot_<line>``,
    ``expiry_<line>``), or the lines to receive."""
    by_id = {line.id: line for line in order.lines}
    errors: dict[str, str] = {}
    todo = []
    for receipt in lines:
        line = by_id.get(receipt.line_id)
        field = f"quantity_{receipt.line_id}"
        if line is None:
            errors[field] = "That line is not on this order."
            continue
        try:
            quantity = rules.whole_quantity(0 if receipt.quantity in (None, "") else receipt.quantity,
                                            field=field, allow_zero=True)
        except ClinicError as exc:
            errors[field] = str(exc)
            continue
        if quantity == 0:
            continue
        if quantity > line.open_quantity:
            errors[field] = (f"Only {line.open_quantity} {line.unit} of {line.name} still to come on this order "
                             f"({line.received_quantity} of {line.quantity} received): check the count.")
            continue
        if line.lot_tracked:
            if not " ".join(str(receipt.lot_number or "").split()):
                errors[f"lot_{line.id}"] = f"{line.name} is tracked by lot: enter the lot number from the box."
            if receipt.expires_on is None:
                errors[f"expiry_{line.id}"] = f"{line.name} is tracked by lot: enter the expiry date from the box."
        todo.append((line, quantity, receipt))
    if errors:
        raise ValidationError(errors)
    if not todo:
        raise ClinicError("Enter how many arrived on at least one line.", field="lines")
    return todo


_RECEIVE_FIELDS = {"lot_number": "lot", "expires_on": "expiry"}


def receive_order(conn: Connection, po_id: int, *, lines: Sequence[ReceiptLine], user: Any,
                  version: int | None = None) -> None:
    """Record what arrived against an ordered (or partly received) order, in ONE transaction:
    a receipt movement into the storeroom per line with a quantity (lot and expiry for a
    lot-tracked item), the lines' received quantities, and the order's new status (partly
    received, or received when nothing is left open). Nothing is written when a line is wrong."""
    def write(cur: Connection) -> None:
        actor = acting(cur, user, ACTION)
        status, _vendor = _bump(cur, po_id, version)
        if status == "draft":
            raise ClinicError("Mark the order as ordered before receiving against it.", field="status")
        if status not in OPEN_STATUSES:
            raise ClinicError(f"This order is {rules.PO_STATUS_LABELS[status].lower()}: nothing more can be "
                              "received on it.", field="status")
        order = _order_on(cur, po_id)
        for line, quantity, receipt in _check_receipts(order, lines):
            try:
                stock.receive_in(cur, actor, item_id=line.item_id, quantity=quantity, lot_number=receipt.lot_number,
                                 expires_on=receipt.expires_on if line.lot_tracked else None,
                                 unit_cost=line.unit_cost, po_line_id=line.id, reason=f"PO {po_id}")
            except ValidationError as exc:
                raise ValidationError({f"{_RECEIVE_FIELDS.get(f, 'quantity')}_{line.id}": m
                                       for f, m in exc.errors.items()}) from exc
            except ClinicError as exc:
                raise ClinicError(str(exc), field=f"quantity_{line.id}") from exc
            cur.execute("UPDATE purchase_order_lines SET received_quantity = received_quantity + ? WHERE id = ?",
                        [quantity, line.id])
        (still_open,) = cur.execute("SELECT count(*) FROM purchase_order_lines WHERE po_id = ?"
                                    " AND received_quantity < quantity", [po_id]).fetchone()
        to = "partially_received" if still_open else "received"
        rules.check_po_move(status, to)
        cur.execute("UPDATE purchase_orders SET status = ?, closed_at = ? WHERE id = ?",
                    [to, None if still_open else timeutil.now_utc(), po_id])
        audit.record(cur, actor, "purchase_order.receive", "purchase_order", po_id,
                     detail={"status": to, "lines": [[r.line_id, str(r.quantity), r.lot_number,
                                                      r.expires_on.isoformat() if r.expires_on else None]
                                                     for r in lines if r.quantity not in (None, "", 0, "0")]})

    atomic(conn, write)


def cancel_order(conn: Connection, po_id: int, *, user: Any, reason: str | None = None,
                 version: int | None = None) -> None:
    """Cancel a draft, ordered or partly received order: what is still open is no longer on
    order; what was received stays in stock."""
    def write(cur: Connection) -> None:
        actor = acting(cur, user, ACTION)
        status, _vendor = _bump(cur, po_id, version)
        rules.check_po_move(status, "cancelled")
        cur.execute("UPDATE purchase_orders SET status = 'cancelled', closed_at = ? WHERE id = ?",
                    [timeutil.now_utc(), po_id])
        audit.record(cur, actor, "purchase_order.cancel", "purchase_order", po_id,
                     detail={"from": status, "reason": _note(reason)})

    atomic(conn, write)


# --- documents to send (built in db/purchase_order_documents.py) ---------------------------------


def order_pdf(conn: Connection, po_id: int, *, fonts: Mapping[str, Path] | None = None) -> bytes:
    """The order as PDF bytes to send to the vendor; ``fonts`` as in ``db.billing_documents``
    (default the bundled Unicode font, ``{}`` for Helvetica). Raises NotFound."""
    from db import purchase_order_documents

    return purchase_order_documents.order_pdf(conn, po_id, fonts=fonts)


def order_csv(conn: Connection, po_id: int) -> str:
    """The order's lines as CSV (one row per line, then the total) for a vendor's order form."""
    from db import purchase_order_documents

    return purchase_order_documents.order_csv(conn, po_id)
