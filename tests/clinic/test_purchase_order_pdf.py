"""The purchase order PDF, pure: built from hand-made data and read back as text; and the same
document read from a real order."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from clinic import purchase_order_pdf
from clinic.purchase_order_pdf import OrderDoc, OrderLineDoc, packs_text
from tests.clinic.pdf_helpers import pdf_text

D = Decimal


def order(**overrides) -> OrderDoc:
    values = dict(
        number=17, status="ordered", clinic_name="Riverside Family Practice",
        clinic_address=("12 Main Street", "Springfield, NY 10001"), clinic_phone="(212) 555-0100",
        vendor_name="Henry Medical Supply", vendor_contact="Ana Ortiz", vendor_phone="(212) 555-0142",
        vendor_email="orders@henrymed.example.com", account_number="CL-4471", ordered_on=date(2026, 3, 2),
        expected_on=date(2026, 3, 9), note="Leave at the back door",
        lines=(OrderLineDoc("GLV-M", "Nitrile gloves, medium", 20, 10, "box of 100", D("7.50"), D("150.00")),
               OrderLineDoc("FLU-25", "Influenza vaccine 2025-26", 15, 10, "dose", D("18.40"), D("276.00"))),
        total=D("426.00"), printed_at=datetime(2026, 3, 2, 9, 30))
    values.update(overrides)
    return OrderDoc(**values)


def test_the_pdf_names_the_vendor_our_account_and_every_line_with_packs_cost_and_total():
    text = pdf_text(purchase_order_pdf.order_pdf(order()))
    for expected in (b"Purchase order 17", b"Henry Medical Supply", b"CL-4471", b"Riverside Family Practice",
                     b"12 Main Street", b"GLV-M", b"Nitrile gloves, medium", b"box of 100", b"$7.50", b"$150.00",
                     b"FLU-25", b"Influenza vaccine 2025-26", b"15 dose", b"1.5", b"$18.40", b"$276.00",
                     b"Order total", b"$426.00", b"03/09/2026", b"Leave at the back door", b"Page 1 of 1"):
        assert expected in text, expected


def test_a_draft_says_so_in_its_title():
    assert b"Purchase order 17 \\(draft\\)" in pdf_text(purchase_order_pdf.order_pdf(order(status="draft")))


def test_a_long_order_runs_onto_a_second_page_with_every_line():
    many = tuple(OrderLineDoc(f"SKU-{n:03d}", f"Item number {n}", 1, 1, "each", D("1.00"), D("1.00"))
                 for n in range(80))
    text = pdf_text(purchase_order_pdf.order_pdf(order(lines=many, total=D("80.00"))))
    assert b"Page 2 of " in text
    assert all(f"SKU-{n:03d}".encode() in text for n in range(80))


@pytest.mark.parametrize(("quantity", "pack", "shown"), [(24, 12, "2"), (30, 12, "2.5"), (10, 3, "3.33"), (7, 1, "7")])
def test_units_are_shown_as_packs(quantity, pack, shown):
    assert packs_text(quantity, pack) == shown


def test_the_pdf_of_a_real_order_prints_its_lines_and_the_clinics_name(conn):
    from db import purchase_orders as po
    from db import settings
    from tests.db.inventory_factories import make_item, make_vendor

    settings.set_many(conn, {"clinic_name": "Lakeside Clinic", "clinic_address": "4 Elm Road\nAlbany, NY 12207"},
                      by="test")
    vendor = make_vendor(conn, name="Henry Medical Supply", account_number="CL-4471")
    item = make_item(conn, sku="GLV-M", name="Nitrile gloves", pack_size=10, unit_cost=D("7.50"))
    po_id = po.create_order(conn, vendor_id=vendor, lines=[(item, 30, None)], user="test")
    text = pdf_text(po.order_pdf(conn, po_id, fonts={}))
    for expected in (b"Lakeside Clinic", b"Albany, NY 12207", b"Henry Medical Supply", b"CL-4471", b"GLV-M",
                     b"Nitrile gloves", b"$225.00", b"\\(draft\\)"):
        assert expected in text, expected
