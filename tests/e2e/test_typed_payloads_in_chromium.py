"""What people type never becomes markup, in a real browser.

A patient, an appointment, a call-log entry and a document are stored with payloads in every
text the screens show: an HTML image, script and SVG, a Markdown image and link, a bare address,
a "www." name and an e-mail address, all pointing at ``cd-beacon.invalid`` (a name that cannot
resolve). The front desk then walks the screens that show them (Home, Today, Calendar, Inbox,
the patient file and its tabs) and triggers the notices that repeat typed text ("Logged “…”",
"Filed “…”", "Added …", "Booked …") with more payloads. After each screen: the browser asked
no other host for anything (every request leaving the app is recorded and refused), and no
image, script, SVG, frame or link in the page (or in the calendar's frame) carries the beacon.
"""

from __future__ import annotations

import contextlib
import io
import re
from datetime import datetime, time, timedelta

import pytest
from PIL import Image
from playwright.sync_api import expect

import db
from clinic import timeutil
from db import documents, messages, settings, users
from tests.conftest import make_appointment, make_patient
from tests.e2e.conftest import AppPage, seed_for_e2e, serve

pytestmark = pytest.mark.e2e

BEACON = "cd-beacon.invalid"
FIRST = f"<img src=http://{BEACON}/first.png>"
LAST = f"Zzbeacon ![b](http://{BEACON}/last.png)"
ALLERGIES = f"<svg onload=fetch('//{BEACON}/svg')> [x](http://{BEACON}/allergy)"
REASON = f"[link](http://{BEACON}/reason) http://{BEACON}/bare www.{BEACON}"
SUBJECT = f"<script src=http://{BEACON}/s.js></script> ![s](http://{BEACON}/subject.png)"
BODY = f"mail desk@{BEACON} or see https://{BEACON}/body"
DOC_NOTE = f"![n](http://{BEACON}/note.png) www.{BEACON}"

# What the page may not hold: an element that loads or links anything naming the beacon.
MARKUP_JS = """(beacon) => {
  const docs = [document];
  for (const frame of document.querySelectorAll('iframe')) {
    try { if (frame.contentDocument) docs.push(frame.contentDocument); } catch (e) {}
  }
  const found = [];
  for (const doc of docs) {
    for (const el of doc.querySelectorAll('img, script, svg, iframe, a, link, video, audio, source, object, embed')) {
      const attrs = [...el.attributes].map(a => a.value).join(' ');
      if (attrs.includes(beacon))  // a src, href, srcset or data naming it (calendar events are bare <a>s)
        found.push(el.outerHTML.slice(0, 200));
    }
    for (const el of doc.querySelectorAll('[onload], [onerror]')) found.push(el.outerHTML.slice(0, 200));
  }
  return found;
}"""


def as_shown(text: str) -> re.Pattern:
    """``text`` as the screen shows it: the same characters, with the invisible word joiner that
    keeps ``://``, ``www.`` and ``@`` from becoming links (components.text.md)."""
    pattern = re.escape(text)
    for plain in ("://", "www", "@"):
        escaped = re.escape(plain)
        pattern = pattern.replace(escaped, escaped[:1] + "\u2060?" + escaped[1:] if plain == "://"
                                  else escaped + "\u2060?")
    return re.compile(pattern)


def png(colour: str = "white") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), colour).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    seeded = seed_for_e2e(tmp_path_factory.mktemp("e2e-payloads") / "clinic.duckdb")
    conn = db.connect(seeded.path)
    try:
        tz = settings.timezone(conn)
        desk = users.get(conn, db.read(conn, "SELECT id FROM users WHERE username = 'frontdesk'")[0][0])
        pid = make_patient(conn, first_name=FIRST, last_name=LAST)
        conn.execute("UPDATE patients SET allergies = ? WHERE id = ?", [ALLERGIES, pid])
        mrn = db.read(conn, "SELECT mrn FROM patients WHERE id = ?", [pid])[0][0]
        # Booked later today with the first active provider, so Home, Today and the calendar show it.
        provider, type_id = db.read(conn, "SELECT p.id, t.id FROM providers p, visit_types t WHERE p.active"
                                          " ORDER BY p.id, t.id LIMIT 1")[0]
        today = timeutil.today(tz)
        start = timeutil.local_to_utc(datetime.combine(today, time(17, 45)), tz)
        make_appointment(conn, patient_id=pid, provider_id=provider, type_id=type_id, start_at=start, reason=REASON)
        messages.log_message(conn, patient_id=pid, channel="phone_in", request_type="appointment", subject=SUBJECT,
                             body=BODY, assignee_role="front_desk", due_on=today + timedelta(days=1), by=desk)
        documents.add(conn, patient_id=pid, filename="scan.png", content=png(), category="referral",
                      doc_date=today, note=DOC_NOTE, by=desk)
        conn.execute("CHECKPOINT")
    finally:
        conn.close()
    return seeded.path, mrn


@pytest.fixture
def guarded(browser, scene):
    """A front-desk tab on the scene's server; every request to another host is recorded and refused."""
    path, mrn = scene
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    with contextlib.closing(serve(path)) as running:
        base = next(running)
        outside: list[str] = []

        def refuse(route):
            outside.append(route.request.url)
            route.abort()

        context.route(re.compile(r"^(?!" + re.escape(base) + r")(https?|wss?)://"), refuse)
        app = AppPage(context.new_page(), base).open().sign_in("frontdesk")
        try:
            yield app, mrn, outside
        finally:
            context.close()


def clean(app: AppPage, outside: list[str], where: str) -> None:
    app.wait_idle()
    assert app.exceptions() == [], where
    assert outside == [], f"{where}: the browser asked another host for {outside}"
    assert app.page.evaluate(MARKUP_JS, BEACON) == [], f"{where}: typed text became markup"


def test_typed_payloads_stay_text_on_every_screen_and_in_every_notice(guarded):
    app, mrn, outside = guarded
    page = app.page

    clean(app, outside, "Home")  # its schedule table is drawn on a canvas
    app.go("Today")
    clean(app, outside, "Today")
    app.go("Inbox")
    expect(page.get_by_text("Zzbeacon").first).to_be_visible(timeout=30_000)
    clean(app, outside, "Inbox")
    expect(page.get_by_text(as_shown(f"desk@{BEACON}")).first).to_be_visible()  # the body is shown, as text

    app.go("Calendar")
    page.frame_locator('iframe[title="streamlit_calendar.calendar"]').locator(".fc-view").wait_for(timeout=30_000)
    clean(app, outside, "Calendar")

    # The patient file: its header (allergies), and every tab.
    app.go("Patients")
    page.get_by_label("Find a patient").fill(mrn)
    page.keyboard.press("Enter")
    app.wait_idle()
    app.click_until(page.locator('[class*="st-key-patient_find_pick_"] button').first,
                    page.get_by_text(ALLERGIES.split(" [")[0]).first)
    clean(app, outside, "patient file")
    for tab in page.get_by_role("tab").all_inner_texts():
        page.get_by_role("tab", name=tab).click()
        clean(app, outside, f"patient file, {tab}")

    # Notices that repeat what was just typed.
    page.get_by_role("tab", name="Messages and calls").click()
    app.wait_idle()
    typed = f"![t](http://{BEACON}/logged.png) www.{BEACON}"
    page.get_by_label("Subject").fill(typed)
    page.get_by_role("button", name="Log it").click()
    expect(page.get_by_text("Logged “").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text(as_shown(typed)).first).to_be_visible()
    clean(app, outside, "Logged notice")

    page.get_by_role("tab", name="Documents").click()
    app.wait_idle()
    name = f"![f](http{BEACON}) www.{BEACON} x@{BEACON}.png"
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": name, "mimeType": "image/png", "buffer": png("gray")}])
    app.wait_idle()
    app.choose("Category", "Correspondence")
    page.get_by_role("button", name="File document").click()
    app.wait_idle()
    expect(page.get_by_text("Filed “").first).to_be_visible(timeout=30_000)
    clean(app, outside, "Filed notice")

    # Booking a quick-added caller whose name is a payload: "Added …" then "Booked …".
    app.go("Calendar")
    page.get_by_role("button", name="New appointment").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Book an appointment").wait_for(timeout=30_000)
    app.wait_idle()
    dialog.get_by_text("New patient", exact=True).click()
    app.wait_idle()
    first, last = f"<img src=//{BEACON}/q.png>", f"Qqbeacon [q](http://{BEACON}/q) @{BEACON}"
    dialog.get_by_label("First name").fill(first)
    dialog.get_by_label("Last name").fill(last)
    dialog.get_by_label("Mobile phone").fill("(347) 555-7341")
    dialog.locator('[data-testid="stDateInput"] [data-type="month"]').first.click()
    page.keyboard.type("05061977")
    dialog.get_by_label("Last name").click()
    dialog.get_by_role("button", name="Add patient").click()
    app.wait_idle()
    expect(dialog.get_by_text(as_shown(f"Added {last}, {first}"))).to_be_visible(timeout=30_000)
    clean(app, outside, "Added notice")
    app.choose("Visit type", "Follow-up (15 min)", within=dialog)
    dialog.get_by_role("button", name="Find next free times").click()
    app.wait_idle()
    dialog.locator('[class*="st-key-bk_slot_0"] button').click()
    app.wait_idle()
    dialog.get_by_role("button", name="Book", exact=True).click()
    app.wait_idle()
    expect(page.get_by_text(as_shown(f"Booked {last}, {first} with"))).to_be_visible(timeout=30_000)
    clean(app, outside, "Booked notice")
    app.screenshot("typed-payloads-booked")
