"""A purchase order as the documents sent to the vendor: the PDF (laid out by
``clinic.purchase_order_pdf``) and the CSV of its lines. ``db.purchase_orders.order_pdf`` and
``order_csv`` are the names other code calls; they hand over to this module.

The order is read in one snapshot (``db.purchase_orders.get_order``); line totals and the total
come from SQL as Decimal. The clinic's name, address and phone come from the settings.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path

from clinic import intake, printing, purchase_order_pdf, timeutil
from db import Connection, read_one, settings
from db.purchase_orders import get_order


def order_document(conn: Connection, po_id: int) -> purchase_order_pdf.OrderDoc:
    """What the order's paper shows: the clinic, the vendor, the lines (read in one snapshot)."""
    values = settings.get_all(conn)
    order = get_order(conn, po_id)
    vendor = read_one(conn, "SELECT contact_person, phone, email FROM vendors WHERE id = ?", [order.vendor_id])
    tz = values["timezone"]
    address = tuple(x.strip() for x in (values.get("clinic_address") or "").splitlines() if x.strip())
    return purchase_order_pdf.OrderDoc(
        number=order.id, status=order.status, clinic_name=values["clinic_name"], clinic_address=address,
        clinic_phone=(values.get("clinic_phone") or "").strip(), vendor_name=order.vendor_name,
        vendor_contact=vendor[0], vendor_phone=intake.display_phone(vendor[1]) or None, vendor_email=vendor[2],
        account_number=order.account_number,
        ordered_on=timeutil.to_local(order.ordered_at, tz).date() if order.ordered_at else None,
        expected_on=order.expected_on, note=order.note, total=order.total,
        lines=tuple(purchase_order_pdf.OrderLineDoc(line.sku, line.name, line.quantity, line.pack_size, line.unit,
                                                    line.unit_cost, line.line_total) for line in order.lines),
        printed_at=timeutil.to_local(timeutil.now_utc(), tz))


def order_pdf(conn: Connection, po_id: int, *, fonts: Mapping[str, Path] | None = None) -> bytes:
    """The order as PDF bytes to send to the vendor; ``fonts`` as in ``db.billing_documents``
    (default the bundled Unicode font, ``{}`` for Helvetica)."""
    fonts = printing.bundled_fonts() if fonts is None else fonts
    return purchase_order_pdf.order_pdf(order_document(conn, po_id), **fonts)


def order_csv(conn: Connection, po_id: int) -> str:
    """The order's lines as CSV (one row per line, then the total) for a vendor's order form."""
    order = get_order(conn, po_id)
    vendor, account = _safe(order.vendor_name), _safe(order.account_number or "")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["po_number", "vendor", "account_number", "sku", "item", "packs", "pack_size", "quantity",
                     "unit", "unit_cost", "line_total"])
    for line in order.lines:
        writer.writerow([order.id, vendor, account, _safe(line.sku), _safe(line.name), line.packs, line.pack_size,
                         line.quantity, _safe(line.unit), f"{line.unit_cost:.2f}", f"{line.line_total:.2f}"])
    writer.writerow([order.id, vendor, account, "", "Total", "", "", "", "", "", f"{order.total:.2f}"])
    return out.getvalue()


def _safe(text: str) -> str:
    """Keep a spreadsheet from running a name as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
