"""Calendar files (.ics, RFC 5545) built with the icalendar package. Pure: no streamlit, no duckdb.

Two files, two audiences:

- :func:`appointment_calendar` is handed to the patient. It carries the clinic, the provider,
  the visit type and the time, and nothing clinical: the function takes no reason, note or
  patient name at all, so none can slip into a file that ends up on a phone or in a mail.
- :func:`provider_schedule` is a clinician's own schedule. It is for staff, so each event names
  the patient (with MRN), the visit type and status. It still leaves out the visit reason:
  calendar apps sync to third-party clouds, and the reason is the most sensitive part. Events
  are marked CLASS:PRIVATE so a shared calendar shows them as busy only.

Times are written in UTC (``DTSTART:20260309T130000Z``): unambiguous in every calendar app,
with no VTIMEZONE to get wrong; apps show them in the reader's own zone. Each appointment has
one UID for life (``appointment-<id>@clinicdesk``), so importing a newer file after a
reschedule updates the event instead of adding a second one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone

from icalendar import Calendar, Event

from clinic.daysheet import SheetRow, slug
from clinic.timeutil import day_bounds, now_utc

PRODID = "-//ClinicDesk//Appointments//EN"
SPANS = ("day", "week")


def uid(appointment_id: int) -> str:
    return f"appointment-{appointment_id}@clinicdesk"


def _utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("naive datetime: pass aware instants")
    # A plain datetime (not a pandas Timestamp) in UTC: icalendar writes it with a trailing Z.
    moment = instant.astimezone(timezone.utc)
    return datetime(moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second,
                     tzinfo=timezone.utc)


def _calendar(name: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if name:
        cal.add("x-wr-calname", name)
    return cal


def _event(appointment_id: int, start: datetime, end: datetime, status: str, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", uid(appointment_id))
    event.add("dtstamp", _utc(stamp))
    event.add("dtstart", _utc(start))
    event.add("dtend", _utc(end))
    event.add("status", "CANCELLED" if status == "cancelled" else "CONFIRMED")
    event.add("class", "PRIVATE")
    return event


def appointment_calendar(
    appointment_id: int,
    *,
    start: datetime,
    end: datetime,
    clinic_name: str,
    provider: str,
    visit_type: str,
    status: str = "scheduled",
    now: datetime | None = None,
) -> bytes:
    """One appointment as a .ics file for the patient: where, with whom, what kind of visit, when."""
    event = _event(appointment_id, start, end, status, now or now_utc())
    event.add("summary", f"{visit_type} with {provider}")
    event.add("location", clinic_name)
    event.add(
        "description",
        f"{visit_type} with {provider} at {clinic_name}.\n"
        "To cancel or reschedule, please call the clinic.",
    )
    cal = _calendar()
    cal.add_component(event)
    return cal.to_ical()


def provider_schedule(
    rows: Iterable[SheetRow],
    *,
    provider: str,
    clinic_name: str,
    now: datetime | None = None,
) -> bytes:
    """A clinician's appointments (day sheet rows) as a .ics file for their own calendar."""
    stamp = now or now_utc()
    cal = _calendar(f"{provider}: {clinic_name}")
    for row in rows:
        event = _event(row.appointment_id, row.start, row.end, row.status, stamp)
        event.add("summary", f"{row.patient}: {row.visit_type}" + (" (new patient)" if row.new_patient else ""))
        event.add("location", clinic_name)
        lines = [f"MRN {row.mrn}" if row.mrn else "", f"Status: {row.status_label}"]
        if row.new_patient:
            lines.append("New patient")
        event.add("description", "\n".join(line for line in lines if line))
        cal.add_component(event)
    return cal.to_ical()


def schedule_days(day: date, span: str) -> tuple[date, date]:
    """[first, end) days a schedule file covers: the day itself, or its week (Monday to Sunday)."""
    if span == "day":
        return day, day + timedelta(days=1)
    if span == "week":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=7)
    raise ValueError(f"unknown span {span!r}: use one of {SPANS}")


def schedule_bounds(day: date, span: str, tz: str) -> tuple[datetime, datetime]:
    """[start, end) of :func:`schedule_days` as UTC instants (clinic-local midnights, DST-safe)."""
    first, end = schedule_days(day, span)
    return day_bounds(first, tz)[0], day_bounds(end, tz)[0]


def appointment_filename(start: datetime) -> str:
    return f"appointment-{start:%Y-%m-%d-%H%M}.ics"


def schedule_filename(provider: str, first: date, end: date) -> str:
    last = end - timedelta(days=1)
    days = first.isoformat() if first == last else f"{first.isoformat()}-to-{last.isoformat()}"
    return f"schedule-{slug(provider)}-{days}.ics"
