"""FullCalendar's shapes built from clinic data: events, month counts, bands, resources, options.

Pure dict builders: no Streamlit runs here. Rows are the data layer's own typed rows
(``AppointmentRow``, ``DayCount``), so a change in their fields breaks these tests too.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timezone

from clinic import calendar_events as ce
from clinic.scheduling import Block, Interval, VisitType
from components import fullcalendar as fc
from db.appointments import AppointmentRow, DayCount

NY = "America/New_York"
UTC = timezone.utc
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

ROW = AppointmentRow(
    id=9, start_at=datetime(2026, 11, 30, 15, 0, tzinfo=UTC), end_at=datetime(2026, 11, 30, 15, 15, tzinfo=UTC),
    busy_until=datetime(2026, 11, 30, 15, 15, tzinfo=UTC), status="scheduled", patient_id=1, patient="Ng, Ann",
    mrn="100001", phone=None, reminder_opt_in=True, date_of_birth=date(1980, 1, 1), allergies=None,
    provider_id=3, provider="Dr. Okafor", provider_colour="#2563eb", type_id=2, visit_type="Follow-up",
    type_colour="#0ea5e9", new_patients_only=False, reason=None, notes=None, arrived_at=None, started_at=None,
    reminder_outcome=None, reminder_at=None, cancel_reason=None, late_cancel=None, first_visit=False,
)


# --- events -----------------------------------------------------------------------------------


def test_an_appointment_event_names_patient_type_and_status_at_local_time_in_its_provider_column():
    event = fc.appointment_event(ROW, NY, movable=True, now=NOW)
    assert event["title"] == "Ng, Ann · Follow-up · Scheduled"
    assert (event["start"], event["end"]) == ("2026-11-30T10:00:00", "2026-11-30T10:15:00")
    assert event["resourceId"] == "3"
    assert event["backgroundColor"] == "#2563eb" and event["textColor"] == "#ffffff"
    assert event["extendedProps"]["appointment_id"] == 9
    assert event["classNames"] == ["cd-status-scheduled", "cd-type-2"]
    assert event["editable"] is True


def test_only_future_scheduled_or_confirmed_appointments_can_be_dragged_and_only_by_bookers():
    assert not fc.appointment_event(replace(ROW, status="checked_in"), NY, movable=True, now=NOW)["editable"]
    assert not fc.appointment_event(ROW, NY, movable=False, now=NOW)["editable"]
    past = replace(ROW, start_at=datetime(2026, 11, 20, 15, tzinfo=UTC),
                   end_at=datetime(2026, 11, 20, 15, 15, tzinfo=UTC))
    assert not fc.appointment_event(past, NY, movable=True, now=NOW)["editable"]


def test_week_and_month_titles_name_the_provider_too():
    assert fc.appointment_event(ROW, NY, movable=True, now=NOW, with_provider=True)["title"].endswith("· Dr. Okafor")


def test_a_provider_without_a_valid_colour_is_drawn_in_slate():
    event = fc.appointment_event(replace(ROW, provider_colour=None), NY, movable=True, now=NOW)
    assert event["backgroundColor"] == "#64748b"


def test_text_stays_readable_on_light_provider_colours():
    assert fc.text_colour("#fde68a") == "#111827"
    assert fc.text_colour("#1e3a8a") == "#ffffff"
    assert fc.text_colour("not a colour") == "#ffffff"


def test_the_month_grid_shows_a_count_per_provider_and_day_that_opens_the_day():
    counts = [DayCount(date(2026, 11, 30), 4, "Dr. Bell", 1), DayCount(date(2026, 11, 30), 3, "Dr. Okafor", 3)]
    events = fc.month_summary_events(counts, {3: "#2563eb", 4: "#fde68a"})
    assert [(e["start"], e["title"], e["allDay"]) for e in events] == [("2026-11-30", "Dr. Bell · 1", True),
                                                                      ("2026-11-30", "Dr. Okafor · 3", True)]
    assert (events[0]["backgroundColor"], events[0]["textColor"]) == ("#fde68a", "#111827")
    clicked = ce.parse_action({"callback": "eventClick", "eventClick": {"event": events[1]}}, NY)
    assert (clicked.day, clicked.provider_id, clicked.appointment_id) == (date(2026, 11, 30), 3, None)


def test_closures_and_time_off_are_background_bands():
    closed = fc.closure_event(date(2026, 11, 26), "Thanksgiving Day", (time(8), time(18)))
    assert closed["display"] == "background"
    assert (closed["start"], closed["end"]) == ("2026-11-26T08:00:00", "2026-11-26T18:00:00")
    assert "Thanksgiving Day" in closed["title"]
    whole = fc.closure_event(date(2026, 11, 26), None, (time(8), time(18)), all_day=True)
    assert (whole["start"], whole["end"], whole["allDay"]) == ("2026-11-26", "2026-11-27", True)
    away = fc.time_off_event(3, Interval(datetime(2026, 11, 30, 13, tzinfo=UTC), datetime(2026, 11, 30, 17, tzinfo=UTC),
                                         "Meeting"), NY)
    assert (away["start"], away["resourceId"], away["title"]) == ("2026-11-30T08:00:00", "3", "Away: Meeting")


def test_every_providers_time_off_becomes_a_band_in_their_own_column():
    morning = Interval(datetime(2026, 11, 30, 13, tzinfo=UTC), datetime(2026, 11, 30, 17, tzinfo=UTC), None)
    bands = fc.time_off_events({3: [morning], 4: [morning, replace(morning, label="Training")]}, NY)
    assert [(b["resourceId"], b["title"]) for b in bands] == [("3", "Away"), ("4", "Away"), ("4", "Away: Training")]


def test_type_stripes_use_only_valid_colours():
    css = fc.type_stripes_css([VisitType(1, "A", 10, colour="#0ea5e9"), VisitType(2, "B", 10, colour="red;}body{")])
    assert ".cd-type-1" in css and "#0ea5e9" in css
    assert "cd-type-2" not in css


# --- resources and options --------------------------------------------------------------------


def test_business_hours_count_days_from_sunday_as_fullcalendar_does():
    hours = fc.business_hours([Block(0, time(8), time(12)), Block(6, time(9), time(13))])
    assert hours == [{"daysOfWeek": [1], "startTime": "08:00", "endTime": "12:00"},
                     {"daysOfWeek": [0], "startTime": "09:00", "endTime": "13:00"}]


def test_a_provider_without_hours_is_shaded_all_day():
    assert fc.resource(5, "Dr. Y", [])["businessHours"] is False


def test_the_day_view_is_a_resource_grid_in_the_clinic_zone_with_the_clinic_clock():
    resources = [fc.resource(3, "Dr. Okafor", [Block(0, time(8), time(12))])]
    options = fc.options(view="day", initial_date=date(2026, 11, 30), tz=NY, now=NOW, window=(time(8), time(18)),
                         resources=resources, selectable=True, editable=True)
    assert (options["initialView"], options["initialDate"], options["timeZone"]) == (
        "resourceTimeGridDay", "2026-11-30", NY)
    assert options["now"] == "2026-11-26T07:00:00"  # clinic wall clock, not UTC
    assert (options["slotMinTime"], options["slotMaxTime"], options["slotDuration"]) == ("08:00:00", "18:00:00",
                                                                                         "00:15:00")
    assert options["resources"] == resources
    assert options["eventDurationEditable"] is False  # a visit's length comes from its type
    assert "businessHours" not in options  # each column carries its own


def test_week_and_month_views_carry_no_resources_but_shade_business_hours():
    hours = fc.business_hours([Block(0, time(8), time(12))])
    week = fc.options(view="week", initial_date=date(2026, 11, 30), tz=NY, now=NOW, window=(time(8), time(18)),
                      resources=[{"id": "3"}], business_hours=hours)
    assert week["initialView"] == "timeGridWeek" and "resources" not in week
    assert week["businessHours"] == hours
    month = fc.options(view="month", initial_date=date(2026, 11, 30), tz=NY, now=NOW, window=(time(8), time(18)),
                       business_hours=[])
    assert (month["initialView"], month["dayHeaderFormat"], month["businessHours"]) == (
        "dayGridMonth", {"weekday": "long"}, False)


def test_a_time_grid_fits_under_the_toolbar_on_a_laptop_screen_and_scrolls_inside_itself():
    assert fc.height("day", (time(8), time(18))) == fc.TIME_GRID_MAX_HEIGHT < 64 + 40 * 21
    assert fc.height("week", (time(0), time(23, 59))) == fc.TIME_GRID_MAX_HEIGHT
    assert fc.height("day", (time(9), time(10))) == 480
    assert (fc.height("month", (time(8), time(18))), fc.height("list", (time(8), time(18)))) == (820, 700)


def test_callbacks_follow_what_the_user_may_do_and_never_include_events_set():
    assert fc.callbacks(selectable=False, editable=False) == ["eventClick"]
    assert fc.callbacks(selectable=True, editable=True) == ["eventClick", "select", "eventChange"]


def test_a_time_grid_opens_at_the_scroll_time_given_and_at_the_top_without_one():
    window = (time(8), time(18))
    late = fc.options(view="day", initial_date=date(2026, 11, 30), tz=NY, now=NOW, window=window, scroll=time(15, 30))
    assert late["scrollTime"] == "15:30:00"
    plain = fc.options(view="week", initial_date=date(2026, 11, 30), tz=NY, now=NOW, window=window)
    assert plain["scrollTime"] == "08:00:00"
    month = fc.options(view="month", initial_date=date(2026, 11, 30), tz=NY, now=NOW, window=window, scroll=time(15))
    assert "scrollTime" not in month
