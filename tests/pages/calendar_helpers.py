"""Helpers shared by the Calendar page tests: the seeded database's ids, bookings made outside
the app, and the calendar component's values as streamlit-calendar 1.4.0 sends them.

A user's click or drag is injected as the component's value under its key: ``select`` times end
in ``Z`` but carry the clinic's wall-clock digits (FullCalendar runs in UTC-coercion mode, see
clinic/calendar_events.py); ``eventChange`` times are naive local strings.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import db
from clinic.closures import public_holidays
from tests.conftest import SEED_TODAY, TZ, database, make_patient

ZONE = ZoneInfo(TZ)


# The seeded test database's schedule runs to Friday 2026-03-13; from this Monday on, every
# provider's day is empty (and it is after the 2026-03-08 spring-forward change).
FIRST_FREE_MONDAY = date(2026, 3, 16)


def working_day(weeks_ahead: int = 1, weekday: int = 0) -> date:
    """A fixed future non-holiday weekday (Monday by default) after the seeded schedule: the
    ``weeks_ahead``-th free week after SEED_TODAY, well inside the booking horizon. The app's clock
    is SEED_NOW (see the ``app_env`` fixture), so this never depends on the wall clock."""
    day = FIRST_FREE_MONDAY + timedelta(days=7 * (weeks_ahead - 1) + weekday)
    assert day > SEED_TODAY and day.weekday() < 5
    assert day not in public_holidays("US", "NY", [day.year]), day
    return day


def free_quarter_hour(path, provider_id, day: date, minutes: int = 15, start=(9, 0)) -> tuple[int, int]:
    """The first quarter hour from ``start`` on ``day`` when ``provider_id`` has no appointment at
    all (whatever its status) for ``minutes``: read from the database, not assumed from the
    generated schedule."""
    hh, mm = start
    with database(path) as conn:
        while hh < 17:
            begin = at_local(day, hh, mm)
            (busy,) = db.read_one(conn, "SELECT count(*) FROM appointments WHERE provider_id = ?"
                                        " AND start_at < ? AND coalesce(busy_until, end_at) > ?",
                                  [provider_id, begin + timedelta(minutes=minutes), begin])
            if not busy:
                return hh, mm
            hh, mm = (hh, mm + 15) if mm < 45 else (hh + 1, 0)
    raise AssertionError(f"no free quarter hour for provider {provider_id} on {day}")


def ids(path) -> dict:
    with database(path) as conn:
        providers = dict(db.read(conn, "SELECT name, id FROM providers"))
        types = dict(db.read(conn, "SELECT name, id FROM visit_types"))
        frontdesk = db.read_one(conn, "SELECT id FROM users WHERE username = 'frontdesk'")[0]
    return {"okafor": providers["Dr. Amara Okafor"], "reyes": providers["Daniel Reyes, NP"],
            "follow_up": types["Follow-up"], "new_patient": types["New patient"], "frontdesk": frontdesk}


def at_local(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=ZONE).astimezone(timezone.utc)


def book(path, *, patient_id, provider_id, type_id, start) -> int:
    from db import appointments

    with database(path) as conn:
        return appointments.book(conn, patient_id=patient_id, provider_id=provider_id, type_id=type_id,
                                 start=start, user="test")


def new_patient(path, **overrides) -> int:
    with database(path) as conn:
        return make_patient(conn, **overrides)


def appointments_of(path, patient_id) -> list[tuple]:
    with database(path) as conn:
        return db.read(conn, "SELECT start_at, provider_id, status, series_id FROM appointments"
                             " WHERE patient_id = ? ORDER BY start_at", [patient_id])


def start_of(path, appointment_id) -> datetime:
    with database(path) as conn:
        return db.read_one(conn, "SELECT start_at FROM appointments WHERE id = ?", [appointment_id])[0]


def component(at) -> dict:
    """The calendar component's JSON args (events, options, callbacks, key)."""
    found = []

    def walk(node):
        for child in getattr(node, "children", {}).values():
            if type(child).__name__ == "UnknownElement" and child.type == "component_instance":
                found.append(json.loads(child.proto.json_args))
            walk(child)

    walk(at.main)
    assert len(found) == 1, "one calendar on the page"
    return found[0]


def wall(day: date, hh: int, mm: int = 0, *, z: bool = True) -> str:
    """A time string as the component sends it (wall-clock digits)."""
    text = f"{day.isoformat()}T{hh:02d}:{mm:02d}:00"
    return text + ".000Z" if z else text


def select_value(day, hh, mm, minutes, provider_id):
    start = datetime.combine(day, time(hh, mm))
    end = start + timedelta(minutes=minutes)
    return {"callback": "select", "select": {
        "allDay": False, "start": start.isoformat() + ".000Z", "end": end.isoformat() + ".000Z",
        "view": {"type": "resourceTimeGridDay"}, "resource": {"id": str(provider_id), "title": "x"}}}


def event(appointment_id, day, start, end, provider_id):
    return {"allDay": False, "title": "x", "start": wall(day, *start, z=False), "end": wall(day, *end, z=False),
            "id": str(appointment_id), "extendedProps": {"appointment_id": appointment_id},
            "resourceId": str(provider_id)}


def change_value(appointment_id, day, old, new, provider_id, new_provider_id=None, old_end=None, new_end=None):
    old_end = old_end or (old[0], old[1] + 15)
    new_end = new_end or (new[0], new[1] + 15)
    return {"callback": "eventChange", "eventChange": {
        "oldEvent": event(appointment_id, day, old, old_end, provider_id),
        "event": event(appointment_id, day, new, new_end, new_provider_id or provider_id),
        "relatedEvents": []}}


def click_value(appointment_id, day, provider_id):
    clicked = event(appointment_id, day, (10, 0), (10, 15), provider_id)
    return {"callback": "eventClick", "eventClick": {"event": clicked, "view": {"type": "resourceTimeGridDay"}}}


def open_calendar(signed_in, role="front_desk", day: date | None = None):
    at = signed_in(role).run()
    at.switch_page("pages/calendar.py").run()
    assert not at.exception, at.exception
    if day is not None:
        at.date_input(key="cal_day").set_value(day).run()
        assert not at.exception, at.exception
    return at


def act(at, value):
    """The user clicks or drags on the calendar: the component's value arrives under its key."""
    at.session_state[component(at)["key"]] = value
    at.run()
    assert not at.exception, at.exception
    return at


def pick_patient(at, patient_id, query):
    at.text_input(key="bk_query").input(query).run()
    at.button(key=f"bk_pick_{patient_id}").click().run()
    return at


def errors(at) -> list[str]:
    return [e.value for e in at.error]


def successes(at) -> list[str]:
    return [s.value for s in at.success]


def titles_at(at, local_iso: str) -> list[str]:
    return [e["title"] for e in component(at)["events"] if e.get("start") == local_iso and "display" not in e]
