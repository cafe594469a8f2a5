"""The purchase order as a PDF to send to the vendor: the data it prints (dataclasses) and the layout.

Pure: fpdf2 through :class:`clinic.printing.ClinicPDF` (header, footer, fonts, text cleaning), no
streamlit, no duckdb. ``db.purchase_orders.order_document`` reads the order (money as Decimal from
DECIMAL columns, line totals and the total from SQL) into :class:`OrderDoc`; nothing is added up
here. Quantities are units of issue; the vendor sells packs, so each line shows both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path


from clinic.inventory import PO_STATUS_LABELS
from clinic.money import money_text
from clinic.printing import GREY, INK, MARGIN, ClinicPDF


def packs_text(quantity: int, pack_size: int) -> str:
    """Units of issue as packs: 24 units in packs of 12 -> "2"; 30 -> "2.5"; 10 in packs of 3 -> "3.33"."""
    pack_size = max(1, int(pack_size))
    whole, rest = divmod(int(quantity), pack_size)
    if rest == 0:
        return str(whole)
    return f"{quantity / pack_size:.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class OrderLineDoc:
    sku: str
    name: str
    quantity: int  # units of issue
    pack_size: int
    unit: str
    unit_cost: Decimal
    line_total: Decimal

    @property
    def packs(self) -> str:
        return packs_text(self.quantity, self.pack_size)


@dataclass(frozen=True)
class OrderDoc:
    number: int
    status: str
    clinic_name: str
    clinic_address: tuple[str, ...]
    clinic_phone: str
    vendor_name: str
    vendor_contact: str | None
    vendor_phone: str | None
    vendor_email: str | None
    account_number: str | None
    ordered_on: date | None
    expected_on: date | None
    note: str | None
    total: Decimal
    lines: tuple[OrderLineDoc, ...]
    printed_at: datetime | None = None


def filename(number: int) -> str:
    return f"purchase-order-{number}.pdf"


def csv_filename(number: int) -> str:
    return f"purchase-order-{number}.csv"


def _d(day: date | None) -> str:
    return "-" if day is None else f"{day:%m/%d/%Y}"


# SKU, item, packs, pack of, units, unit cost, line total: 190.5 mm in all.
_COLUMNS = (("SKU", 24, "LEFT"), ("Item", 62.5, "LEFT"), ("Packs", 14, "RIGHT"), ("Pack of", 16, "RIGHT"),
            ("Units", 26, "RIGHT"), ("Unit cost", 22, "RIGHT"), ("Line total", 26, "RIGHT"))


class _OrderPDF(ClinicPDF):
    footer_note = "Purchase order: please quote the PO number on the delivery note and the invoice."
    header_gap = 5.0

    def __init__(self, doc: OrderDoc, *, font: Path | None, bold_font: Path | None) -> None:
        title = f"Purchase order {doc.number}" + (" (draft)" if doc.status == "draft" else "")
        super().__init__(clinic_name=doc.clinic_name, title=title, file_title=f"Purchase order {doc.number}",
                         stamp=None if doc.printed_at is None else f"Printed {doc.printed_at:%m/%d/%Y %H:%M}",
                         font=font, bold_font=bold_font)
        self.doc = doc

    def subheader(self) -> None:
        self.set_font(self.family, "", 10.5)
        self.cell(0, 6, self.clean(f"To {self.doc.vendor_name}"), new_x="LMARGIN", new_y="NEXT")

    def block(self, x: float, top: float, width: float, label: str, lines: list[str]) -> float:
        self.set_xy(x, top)
        self.set_font(self.family, "", 7.5)
        self.set_text_color(*GREY)
        self.cell(width, 4, label, new_x="LEFT", new_y="NEXT")
        for n, line in enumerate(lines):
            self.set_font(self.family, "B" if n == 0 else "", 10 if n == 0 else 9.5)
            self.set_text_color(*INK)
            self.cell(width, 4.8, self.fit(self.clean(line), width), new_x="LEFT", new_y="NEXT")
        return self.get_y()

    def lines_table(self) -> None:
        self.table_of(_COLUMNS, [(line.sku, line.name, line.packs, str(line.pack_size), f"{line.quantity} {line.unit}",
                                  money_text(line.unit_cost), money_text(line.line_total)) for line in self.doc.lines])

    def total(self) -> None:
        self.ensure_room(10)
        width = 80
        x = self.w - MARGIN - width
        self.set_draw_color(*INK)
        self.set_line_width(0.3)
        self.line(x, self.get_y() + 0.4, self.w - MARGIN, self.get_y() + 0.4)
        self.ln(0.8)
        self.set_x(x)
        self.set_font(self.family, "B", 11)
        self.cell(width - 34, 5.6, "Order total")
        self.cell(34, 5.6, self.clean(money_text(self.doc.total)), align="R", new_x="LMARGIN", new_y="NEXT")
        self.ln(3)


def order_pdf(doc: OrderDoc, *, font: Path | None = None, bold_font: Path | None = None) -> bytes:
    """The order: from the clinic (ship to) to the vendor, our account number, each line with
    SKU, item, packs, units, unit cost and line total, and the order total."""
    pdf = _OrderPDF(doc, font=font, bold_font=bold_font)
    pdf.add_page()
    half = pdf.content_width / 2
    top = pdf.get_y()
    vendor = [doc.vendor_name, *(f"Attn: {doc.vendor_contact}",) * bool(doc.vendor_contact),
              *(f"Phone {doc.vendor_phone}",) * bool(doc.vendor_phone), *(doc.vendor_email,) * bool(doc.vendor_email)]
    ship = [doc.clinic_name, *doc.clinic_address, *(f"Phone {doc.clinic_phone}",) * bool(doc.clinic_phone)]
    bottom = max(pdf.block(MARGIN, top, half - 4, "Vendor", vendor),
                 pdf.block(MARGIN + half + 4, top, half - 4, "Ship to", ship))
    pdf.set_xy(MARGIN, bottom + 3)
    pdf.facts([("PO number", str(doc.number)), ("Our account number", doc.account_number or "-"),
               ("Ordered", _d(doc.ordered_on)), ("Expected", _d(doc.expected_on)),
               ("Status", PO_STATUS_LABELS.get(doc.status, doc.status))])
    pdf.lines_table()
    pdf.total()
    if doc.note:
        pdf.set_font(pdf.family, "", 9.5)
        pdf.set_text_color(*INK)
        pdf.multi_cell(0, 4.6, pdf.clean(f"Note: {doc.note}"), new_x="LMARGIN", new_y="NEXT")
    return pdf.to_bytes()
