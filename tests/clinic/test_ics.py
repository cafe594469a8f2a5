"""Calendar files: valid when parsed back, right instants across daylight saving, nothing clinical
in the patient's file."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from clinic import daysheet, ics

NY = ZoneInfo("America/New_York")
UTC = timezone.utc
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def patient_file(appointment_id=42, start=datetime(2026, 3, 9, 9, 0, tzinfo=NY), minutes=15, **overrides):
    values = {"start": start, "end": start + timedelta(minutes=minutes), "clinic_name": "Riverside Family Practice",
              "provider": "Dr. Amara Okafor", "visit_type": "Follow-up", "now": NOW}
    values.update(overrides)
    return ics.appointment_calendar(appointment_id, **values)


def events(data: bytes):
    return Calendar.from_ical(data).walk("VEVENT")


def sheet_row(n, *, start, patient="Tanaka, Ana", reason="Depression follow-up", new=False, status="scheduled"):
    return daysheet.SheetRow(appointment_id=n, start=start, end=start + timedelta(minutes=15), patient=patient,
                             mrn=f"{100000 + n}", age="40", visit_type="Follow-up", reason=reason, new_patient=new,
                             status=status)


def test_an_appointment_after_the_spring_forward_change_is_at_the_right_utc_instant():
    # 8 March 2026 the US moves to daylight time: 09:00 in New York is 13:00 UTC from then on.
    (event,) = events(patient_file(start=datetime(2026, 3, 9, 9, 0, tzinfo=NY)))
    assert event.decoded("dtstart") == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    assert event.decoded("dtend") == datetime(2026, 3, 9, 13, 15, tzinfo=UTC)


def test_an_appointment_before_the_change_is_five_hours_behind_utc():
    (event,) = events(patient_file(start=datetime(2026, 3, 2, 9, 0, tzinfo=NY)))
    assert event.decoded("dtstart") == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def test_times_are_written_in_utc_so_every_calendar_app_reads_them_alike():
    assert b"DTSTART:20260309T130000Z" in patient_file()


def test_the_patient_file_names_clinic_provider_and_visit_type_and_has_a_stable_uid():
    (event,) = events(patient_file())
    assert str(event["uid"]) == "appointment-42@clinicdesk"
    assert str(event["summary"]) == "Follow-up with Dr. Amara Okafor"
    assert str(event["location"]) == "Riverside Family Practice"
    assert str(event["status"]) == "CONFIRMED"
    again = events(patient_file(start=datetime(2026, 3, 10, 11, 0, tzinfo=NY), now=NOW + timedelta(days=1)))[0]
    assert str(again["uid"]) == "appointment-42@clinicdesk"


def test_the_patient_file_cannot_carry_a_clinical_reason():
    with pytest.raises(TypeError):
        ics.appointment_calendar(1, start=NOW, end=NOW, clinic_name="C", provider="P", visit_type="V",
                                 reason="Depression follow-up")  # type: ignore[call-arg]
    text = patient_file().decode()
    for word in ("Reason", "reason", "MRN", "Tanaka"):
        assert word not in text


def test_a_cancelled_appointment_file_says_cancelled():
    (event,) = events(patient_file(status="cancelled"))
    assert str(event["status"]) == "CANCELLED"


def test_commas_semicolons_and_line_breaks_survive_the_round_trip():
    (event,) = events(patient_file(clinic_name='Smith, Jones; "Family" Practice'))
    assert str(event["location"]) == 'Smith, Jones; "Family" Practice'
    assert "\n" in str(event["description"])


def test_a_naive_time_is_refused_rather_than_guessed():
    with pytest.raises(ValueError):
        patient_file(start=datetime(2026, 3, 9, 9, 0))


def test_the_provider_schedule_has_one_event_per_appointment_with_patient_but_no_reason():
    rows = [sheet_row(1, start=datetime(2026, 3, 9, 9, 0, tzinfo=NY)),
            sheet_row(2, start=datetime(2026, 3, 9, 9, 30, tzinfo=NY), patient="Søndergaard, Victoria", new=True)]
    data = ics.provider_schedule(rows, provider="Dr. Amara Okafor", clinic_name="Riverside Family Practice", now=NOW)
    cal = Calendar.from_ical(data)
    assert str(cal["x-wr-calname"]) == "Dr. Amara Okafor: Riverside Family Practice"
    found = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    assert set(found) == {"appointment-1@clinicdesk", "appointment-2@clinicdesk"}
    second = found["appointment-2@clinicdesk"]
    assert str(second["summary"]) == "Søndergaard, Victoria: Follow-up (new patient)"
    assert "MRN 100002" in str(second["description"])
    assert second.decoded("dtstart") == datetime(2026, 3, 9, 13, 30, tzinfo=UTC)
    assert str(second["class"]) == "PRIVATE"
    assert "Depression" not in data.decode()


def test_an_empty_schedule_is_still_a_valid_calendar():
    cal = Calendar.from_ical(ics.provider_schedule([], provider="Dr. A", clinic_name="C", now=NOW))
    assert cal.walk("VEVENT") == []
    assert str(cal["version"]) == "2.0"


def test_a_week_runs_monday_to_sunday_whatever_day_is_chosen():
    assert ics.schedule_days(date(2026, 3, 4), "week") == (date(2026, 3, 2), date(2026, 3, 9))
    assert ics.schedule_days(date(2026, 3, 8), "week") == (date(2026, 3, 2), date(2026, 3, 9))
    assert ics.schedule_days(date(2026, 3, 9), "week") == (date(2026, 3, 9), date(2026, 3, 16))
    assert ics.schedule_days(date(2026, 3, 4), "day") == (date(2026, 3, 4), date(2026, 3, 5))
    with pytest.raises(ValueError):
        ics.schedule_days(date(2026, 3, 4), "month")


def test_the_week_with_the_clock_change_is_an_hour_short():
    start, end = ics.schedule_bounds(date(2026, 3, 4), "week", "America/New_York")
    assert start == datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 9, 4, 0, tzinfo=UTC)
    assert end - start == timedelta(days=7, hours=-1)


def test_file_names_say_what_the_file_holds():
    assert ics.appointment_filename(datetime(2026, 3, 9, 9, 0, tzinfo=NY)) == "appointment-2026-03-09-0900.ics"
    assert ics.schedule_filename("Dr. Amara Okafor", date(2026, 3, 2), date(2026, 3, 3)) == (
        "schedule-dr-amara-okafor-2026-03-02.ics")
    assert ics.schedule_filename("Dr. Amara Okafor", date(2026, 3, 2), date(2026, 3, 9)) == (
        "schedule-dr-amara-okafor-2026-03-02-to-2026-03-08.ics")
