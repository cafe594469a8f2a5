"""The calendar in a real browser: a drag-select booking through the dialog, a refused drag, and
the calendar keeping its place (the day, and the time it is scrolled to) after a booking.

This module books and quick-adds a patient, so it runs its own server on its own seeded
database (the session's shared one stays as other tests counted it). The server holds that
file, so what was written is checked through the UI: the new appointment appears on the
calendar and its details dialog reads it back from the database.
FullCalendar lives in ``iframe[title="streamlit_calendar.calendar"]``; Playwright's bounding
boxes of elements inside it are already page-relative, so the mouse can drag on them directly.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from clinic import timeutil
from clinic.closures import public_holidays
from tests.conftest import TZ

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server_db(private_db):
    """This module books and quick-adds: it works on a database of its own."""
    return private_db


@pytest.fixture(scope="module")
def server(private_server):
    return private_server


CALENDAR = 'iframe[title="streamlit_calendar.calendar"]'

# The free half hours of one provider's column, earliest first: no appointment, no shading
# (lunch, outside hours, time off, closures) between their top and bottom.
FREE_HALF_HOURS = """(_, resourceId) => {
  const col = document.querySelector(`td.fc-timegrid-col[data-resource-id="${resourceId}"]`);
  const taken = [...col.querySelectorAll('.fc-timegrid-event-harness, .fc-non-business, .fc-bg-event')]
    .map(e => e.getBoundingClientRect());
  const lanes = [...document.querySelectorAll('td.fc-timegrid-slot-lane[data-time]')];
  const free = [];
  for (let i = 0; i + 1 < lanes.length; i++) {
    const top = lanes[i].getBoundingClientRect().top + 1, bottom = lanes[i + 1].getBoundingClientRect().bottom - 1;
    if (!taken.some(r => r.top < bottom && r.bottom > top)) free.push(lanes[i].dataset.time);
  }
  return free;
}"""

# The time grid's own scroller (the calendar is shorter than a working day and scrolls inside).
SCROLLER = ".fc-timegrid-body"
SCROLL_TOP = "body => body.closest('.fc-scroller').scrollTop"


def next_working_monday() -> date:
    """The first Monday after today (clinic time) that is not a public holiday."""
    today = timeutil.today(TZ)
    day = today + timedelta(days=7 - today.weekday())
    holidays = public_holidays("US", "NY", [day.year, day.year + 1])
    while day in holidays:
        day += timedelta(days=7)
    return day


def go_to_day(app, day: date) -> None:
    app.page.locator('[data-testid="stDateInput"] [data-type="month"]').first.click()
    app.page.keyboard.type(f"{day:%m%d%Y}")
    # The date field commits on blur.
    app.page.locator("h1").first.click()
    app.wait_idle()


def calendar_frame(app):
    frame = app.page.frame_locator(CALENDAR)
    frame.locator(".fc-view").wait_for(timeout=30_000)
    return frame


def remounted(app, action) -> None:
    """Do ``action``, after which the page remounts the calendar from the database (a new
    component key, so a new iframe). Wait until the old iframe is gone: a locator resolved
    meanwhile would find two calendars, or act on a frame that is being replaced."""
    old = app.page.locator(CALENDAR).element_handle()
    action()
    app.page.wait_for_function("frame => !frame.isConnected", arg=old, timeout=30_000)
    app.wait_idle()


def close_dialog(app) -> None:
    """Escape closes the open dialog; the calendar remounts."""
    remounted(app, lambda: app.page.keyboard.press("Escape"))


def select_half_hour(app, frame, resource_id: str, at: str) -> None:
    """Drag across the half hour from ``at`` in a provider's column, scrolled to the middle first."""
    lane = frame.locator(f'td.fc-timegrid-slot-lane[data-time="{at}"]')
    lane.evaluate("lane => lane.scrollIntoView({block: 'center'})")
    column_box = frame.locator(f'td.fc-timegrid-col[data-resource-id="{resource_id}"]').bounding_box()
    top = lane.bounding_box()
    x = column_box["x"] + column_box["width"] / 2
    drag(app, {"x": x, "y": top["y"] + 4}, {"x": x, "y": top["y"] + top["height"] * 1.5})


def quick_add(app, dialog, first: str, last: str, phone: str, dob: str) -> None:
    dialog.get_by_text("New patient", exact=True).click()
    app.wait_idle()
    dialog.get_by_label("First name").fill(first)
    dialog.get_by_label("Last name").fill(last)
    dialog.get_by_label("Mobile phone").fill(phone)
    dialog.locator('[data-testid="stDateInput"] [data-type="month"]').first.click()
    app.page.keyboard.type(dob)
    dialog.get_by_label("Last name").click()
    dialog.get_by_role("button", name="Add patient").click()
    app.wait_idle()
    dialog.get_by_text(f"Added {last}, {first}").wait_for(timeout=30_000)
    app.wait_idle()  # the dialog finishes redrawing around the chosen patient before the next click


def drag(app, start: dict, end: dict) -> None:
    page = app.page
    page.mouse.move(start["x"], start["y"])
    page.mouse.down()
    page.mouse.move(start["x"] + 2, start["y"] + 6, steps=3)
    page.mouse.move(end["x"], end["y"], steps=8)
    page.mouse.up()


def centre(box: dict, dy: float = 0) -> dict:
    return {"x": box["x"] + box["width"] / 2, "y": box["y"] + box["height"] / 2 + dy}


def test_a_drag_select_books_through_the_dialog_and_a_refused_drag_snaps_back(app):
    day = next_working_monday()
    app.open("calendar").sign_in("frontdesk")
    calendar_frame(app)
    remounted(app, lambda: go_to_day(app, day))
    frame = calendar_frame(app)
    expect(frame.locator(".fc-timegrid-event").first).to_be_visible(timeout=30_000)
    app.screenshot("calendar-day-by-provider")
    expect(app.page.get_by_text(f"{day:%A %d %B %Y}")).to_be_visible()

    # Drag-select the first free half hour in the first provider's column.
    column = frame.locator("td.fc-timegrid-col[data-resource-id]").first
    resource_id = column.get_attribute("data-resource-id")
    provider = frame.locator(f'th[data-resource-id="{resource_id}"]').inner_text().strip()
    free = frame.locator("td.fc-timegrid-col").first.evaluate(FREE_HALF_HOURS, resource_id)
    assert free, "no free half hour on that day"
    free = free[0]
    select_half_hour(app, frame, resource_id, free)

    dialog = app.page.get_by_role("dialog")
    dialog.get_by_text("Book an appointment").wait_for(timeout=30_000)
    app.wait_idle()
    app.screenshot("calendar-booking-dialog-open")
    # Prefilled from the drag: the provider of the column and a 30-minute visit type.
    expect(dialog.get_by_role("combobox", name="Provider")).to_have_value(provider)
    expect(dialog.get_by_role("combobox", name="Visit type")).to_have_value("New patient (30 min)")
    assert dialog.get_by_role("spinbutton", name="hour, Time").inner_text() == free[:2]

    # The caller is new: quick-add them (a number no demo patient has: 555-01xx are the demo's).
    quick_add(app, dialog, "Ada", "Zephyrine", "(347) 555-7319", "01021990")
    app.screenshot("calendar-booking-dialog")
    remounted(app, lambda: dialog.get_by_role("button", name="Book", exact=True).click())

    booked = app.page.get_by_text("Booked Zephyrine, Ada with")
    booked.wait_for(timeout=30_000)
    assert provider in booked.inner_text()
    frame = calendar_frame(app)
    ours = frame.locator(".fc-timegrid-event", has_text="Zephyrine")
    ours.wait_for(timeout=30_000)
    assert free[:5] in ours.inner_text()
    app.screenshot("calendar-booked")

    # The details dialog reads the appointment back from the database.
    ours.click()
    details = app.page.get_by_role("dialog")
    details.get_by_text("Zephyrine, Ada").wait_for(timeout=30_000)
    expect(details.get_by_text("New patient (30 min)")).to_be_visible()
    expect(details.get_by_text("Scheduled").first).to_be_visible()
    close_dialog(app)

    # Drag it onto another appointment of the same provider: refused, and it goes back.
    frame = calendar_frame(app)
    ours = frame.locator(".fc-timegrid-event", has_text="Zephyrine")
    ours.wait_for(timeout=30_000)
    ours.evaluate("e => e.scrollIntoView({block: 'center'})")  # the grid scrolls inside itself
    before = ours.bounding_box()
    offset = before["y"] - column.bounding_box()["y"]
    label = ours.inner_text()
    others = frame.locator(f'td.fc-timegrid-col[data-resource-id="{resource_id}"] .fc-timegrid-event',
                           has_not_text="Zephyrine")
    target = min((box for box in (o.bounding_box() for o in others.all()) if box["y"] > before["y"] + 4),
                 key=lambda box: box["y"])
    grab = centre(before)
    remounted(app, lambda: drag(app, grab, {"x": grab["x"], "y": grab["y"] + target["y"] - before["y"]}))
    refusal = app.page.get_by_text("Not moved:")
    refusal.wait_for(timeout=30_000)
    assert "already has a patient" in refusal.inner_text()
    frame = calendar_frame(app)
    back = frame.locator(".fc-timegrid-event", has_text="Zephyrine")
    expect(back).to_be_visible(timeout=30_000)
    app.screenshot("calendar-refused-drag")
    # Back where the database has it: same time, same place in its column.
    assert back.inner_text() == label
    column = frame.locator(f'td.fc-timegrid-col[data-resource-id="{resource_id}"]')
    assert abs(back.bounding_box()["y"] - column.bounding_box()["y"] - offset) < 2
    assert app.exceptions() == []
    assert app.console_errors == []


def test_after_booking_late_in_the_day_the_calendar_stays_on_that_day_scrolled_to_the_booking(app):
    day = next_working_monday()
    app.open("calendar").sign_in("frontdesk")
    calendar_frame(app)
    remounted(app, lambda: go_to_day(app, day))
    frame = calendar_frame(app)
    expect(frame.locator(".fc-timegrid-event").first).to_be_visible(timeout=30_000)
    # Another day than today opens at the top of the working day; the grid scrolls inside itself.
    body = frame.locator(SCROLLER)
    assert body.evaluate(SCROLL_TOP) == 0

    # Book the latest free half hour of any provider's column (the demo's bookings and working
    # hours follow the clock, so which provider still has a late slot varies).
    columns = frame.locator("td.fc-timegrid-col[data-resource-id]")
    latest = {}
    for i in range(columns.count()):
        rid = columns.nth(i).get_attribute("data-resource-id")
        free = columns.first.evaluate(FREE_HALF_HOURS, rid)
        if free:
            latest[rid] = free[-1]
    assert latest, "no free half hour on that day"
    resource_id, late = max(latest.items(), key=lambda item: item[1])
    assert late >= "15:00", f"no free half hour late on that day: {latest}"
    select_half_hour(app, frame, resource_id, late)
    dialog = app.page.get_by_role("dialog")
    dialog.get_by_text("Book an appointment").wait_for(timeout=30_000)
    app.wait_idle()
    quick_add(app, dialog, "Vesper", "Latehour", "(347) 555-7320", "03041985")
    remounted(app, lambda: dialog.get_by_role("button", name="Book", exact=True).click())
    app.page.get_by_text("Booked Latehour, Vesper with").wait_for(timeout=30_000)

    # A new calendar, on the same day, scrolled to the booking: it is in view without scrolling.
    frame = calendar_frame(app)
    ours = frame.locator(".fc-timegrid-event", has_text="Latehour")
    expect(ours).to_be_visible(timeout=30_000)
    assert late[:5] in ours.inner_text()
    expect(app.page.get_by_text(f"{day:%A %d %B %Y}")).to_be_visible()
    assert app.page.url.endswith(f"?day={day.isoformat()}")
    scroller = frame.locator(SCROLLER).evaluate("b => b.closest('.fc-scroller').getBoundingClientRect().toJSON()")
    frame_box = app.page.locator(CALENDAR).bounding_box()
    box = ours.bounding_box()  # page coordinates
    top, bottom = frame_box["y"] + scroller["top"], frame_box["y"] + scroller["bottom"]
    assert frame.locator(SCROLLER).evaluate(SCROLL_TOP) > 0
    assert top <= box["y"] and box["y"] + box["height"] <= bottom, (box, top, bottom)
    assert box["y"] + box["height"] <= app.page.viewport_size["height"], "in the window, without scrolling the page"
    app.screenshot("calendar-kept-its-place")
    assert app.exceptions() == []
    assert app.console_errors == []


def test_an_address_with_a_day_opens_the_calendar_on_that_day_after_signing_in(app):
    day = next_working_monday()
    app.page.goto(f"{app.base_url}/calendar?day={day.isoformat()}")
    app.page.get_by_label("Username").wait_for(timeout=30_000)
    app.sign_in("frontdesk")
    expect(app.page.get_by_text(f"{day:%A %d %B %Y}")).to_be_visible(timeout=30_000)
    frame = calendar_frame(app)
    expect(frame.locator(".fc-timegrid-event").first).to_be_visible(timeout=30_000)
    assert app.page.url.endswith(f"/calendar?day={day.isoformat()}")
    assert app.exceptions() == []
