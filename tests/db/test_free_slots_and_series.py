"""Finding free time, recurring bookings, the waitlist and quick-adding a caller, on real DuckDB."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

import db
from clinic import scheduling
from clinic.errors import ClinicError, ValidationError
from db import appointments, patients, slots, waitlist
from tests.conftest import make_patient, make_provider, make_user, make_visit_type

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 2, 7, 0, tzinfo=NY)


def at(month: int, day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, month, day, hh, mm, tzinfo=NY).astimezone(timezone.utc)


@pytest.fixture
def desk(conn):
    from db import users

    return {
        "conn": conn,
        "user": users.get(conn, make_user(conn)),
        "ames": make_provider(conn, name="Dr. Ames"),
        "berg": make_provider(conn, name="Dr. Berg"),
        "follow_up": make_visit_type(conn, name="Follow-up", duration_min=15),
    }


def test_next_available_skips_taken_slots_and_lists_providers_in_time_order(desk):
    conn = desk["conn"]
    appointments.book(conn, patient_id=make_patient(conn), provider_id=desk["ames"], type_id=desk["follow_up"],
                      start=at(3, 2, 8), user=desk["user"], now=NOW)
    found = slots.find_next_available(conn, desk["follow_up"], after=NOW, limit=4)
    assert [(s.provider, s.start) for s in found] == [
        ("Dr. Berg", at(3, 2, 8)),
        ("Dr. Ames", at(3, 2, 8, 15)),
        ("Dr. Berg", at(3, 2, 8, 15)),
        ("Dr. Ames", at(3, 2, 8, 30)),
    ]
    only_ames = slots.find_next_available(conn, desk["follow_up"], provider_id=desk["ames"], after=NOW, limit=2)
    assert [s.start for s in only_ames] == [at(3, 2, 8, 15), at(3, 2, 8, 30)]


def test_every_slot_offered_can_really_be_booked(desk):
    conn = desk["conn"]
    offered = slots.find_next_available(conn, desk["follow_up"], after=NOW, limit=6)
    assert len(offered) == 6
    booked = [appointments.book(conn, patient_id=make_patient(conn), provider_id=slot.provider_id,
                                type_id=desk["follow_up"], start=slot.start, user=desk["user"], now=NOW)
              for slot in offered]
    assert [appointments.get(conn, i).start_at for i in booked] == [slot.start for slot in offered]


def test_busy_times_hold_on_every_day_searched_past_the_first_week(desk):
    conn = desk["conn"]
    for day in (2, 9):  # Mondays: the first week read and the next one
        appointments.book(conn, patient_id=make_patient(conn), provider_id=desk["ames"], type_id=desk["follow_up"],
                          start=at(3, day, 8), user=desk["user"], now=NOW)
    found = slots.find_next_available(conn, desk["follow_up"], provider_id=desk["ames"], after=NOW, limit=2,
                                      weekdays=[0], step_min=60)
    assert [s.start for s in found] == [at(3, 2, 9), at(3, 2, 10)]
    mondays = slots.find_next_available(conn, desk["follow_up"], provider_id=desk["ames"], after=NOW, limit=16,
                                        weekdays=[0], step_min=60)
    assert at(3, 9, 8) not in [s.start for s in mondays] and at(3, 9, 9) in [s.start for s in mondays]


def test_the_patients_own_visit_keeps_every_provider_off_that_time(desk):
    conn = desk["conn"]
    patient = make_patient(conn)
    appointments.book(conn, patient_id=patient, provider_id=desk["berg"], type_id=desk["follow_up"],
                      start=at(3, 2, 8), user=desk["user"], now=NOW)
    found = slots.find_next_available(conn, desk["follow_up"], patient_id=patient, after=NOW, limit=3)
    assert [(s.provider, s.start) for s in found] == [
        ("Dr. Ames", at(3, 2, 8, 15)), ("Dr. Berg", at(3, 2, 8, 15)), ("Dr. Ames", at(3, 2, 8, 30))]


def test_a_new_patient_visit_type_finds_no_time_for_a_patient_seen_before(desk):
    conn = desk["conn"]
    first_visit = make_visit_type(conn, name="New patient", duration_min=30, new_patients_only=True)
    patient = make_patient(conn)
    assert len(slots.find_next_available(conn, first_visit, patient_id=patient, after=NOW, limit=2)) == 2
    visit = appointments.book(conn, patient_id=patient, provider_id=desk["ames"], type_id=desk["follow_up"],
                              start=at(3, 2, 8), user=desk["user"], now=NOW)
    conn.cursor().execute("UPDATE appointments SET status = 'completed' WHERE id = ?", [visit])
    assert slots.find_next_available(conn, first_visit, patient_id=patient, after=NOW, limit=2) == []


def test_next_available_on_a_full_day_moves_to_the_next_working_day(desk):
    conn = desk["conn"]
    from db import availability

    availability.add_closure(conn, date(2026, 3, 2), "Inventory day", by="test", now=NOW)
    found = slots.find_next_available(conn, desk["follow_up"], provider_id=desk["ames"], after=NOW, limit=1)
    assert found[0].start == at(3, 3, 8)


def test_a_weekly_series_keeps_its_local_time_across_the_clock_change():
    starts = slots.series_starts(at(3, 2, 9), 1, 3, "America/New_York")
    assert [s.astimezone(NY).strftime("%m-%d %H:%M") for s in starts] == ["03-02 09:00", "03-09 09:00", "03-16 09:00"]
    assert [s.hour for s in starts] == [14, 13, 13]


def test_a_series_plan_names_the_dates_that_cannot_be_booked_and_booking_writes_only_the_rest(desk):
    conn = desk["conn"]
    from db import availability

    availability.add_closure(conn, date(2026, 3, 16), "Staff training", by="test", now=NOW)
    patient = make_patient(conn)
    plan = slots.plan_series(conn, patient_id=patient, provider_id=desk["ames"], type_id=desk["follow_up"],
                                    first=at(3, 2, 9), every_weeks=1, times=4, now=NOW)
    assert [o.problem is None for o in plan] == [True, True, False, True]
    assert "Staff training" in plan[2].problem
    assert db.read(conn, "SELECT count(*) FROM appointments")[0][0] == 0
    done = slots.book_series(conn, patient_id=patient, provider_id=desk["ames"], type_id=desk["follow_up"],
                                    starts=[o.start for o in plan if o.problem is None], user=desk["user"], now=NOW)
    assert all(o.problem is None for o in done)
    rows = db.read(conn, "SELECT count(*), count(DISTINCT series_id) FROM appointments WHERE series_id IS NOT NULL")
    assert rows == [(3, 1)]


def test_the_waitlist_offers_a_freed_slot_to_entries_that_fit(desk):
    conn = desk["conn"]
    monday_only = make_patient(conn, last_name="Monday")
    friday_only = make_patient(conn, last_name="Friday")
    anyone = make_patient(conn, last_name="Anyday")
    long_visit = make_visit_type(conn, name="Long", duration_min=60)
    waitlist.add(conn, patient_id=monday_only, type_id=desk["follow_up"], provider_id=desk["ames"], preferred_days=[0], by="t")
    waitlist.add(conn, patient_id=friday_only, type_id=desk["follow_up"], provider_id=None, preferred_days=[4], by="t")
    waitlist.add(conn, patient_id=anyone, type_id=desk["follow_up"], provider_id=None, preferred_days=None, by="t")
    waitlist.add(conn, patient_id=anyone, type_id=long_visit, provider_id=None, preferred_days=None, by="t")
    fits = waitlist.matches_for_slot(conn, provider_id=desk["ames"], start=at(3, 2, 9), minutes=15)
    assert sorted(m.patient.split(",")[0] for m in fits) == ["Anyday", "Monday"]
    entry = fits[0].id
    waitlist.remove(conn, entry, by="t")  # dealt with: no longer offered
    assert len(waitlist.matches_for_slot(conn, provider_id=desk["ames"], start=at(3, 2, 9), minutes=15)) == 1


def test_quick_add_stores_the_phone_in_e164_and_names_as_typed(desk):
    conn = desk["conn"]
    pid = patients.quick_add(conn, first_name="  Zoë ", last_name="O'Brien-Núñez", date_of_birth=date(1990, 5, 17),
                             phone="(212) 555-0142", by=desk["user"])
    p = patients.get(conn, pid)
    assert (p.first_name, p.last_name, p.phone_mobile) == ("Zoë", "O'Brien-Núñez", "+12125550142")
    assert [x.id for x in patients.search(conn, "ZOE")] == [pid]  # accents and case folded
    assert [x.id for x in patients.search(conn, "zoe o'brien")] == [pid]
    assert [x.id for x in patients.search(conn, "212-555-0142")] == [pid]
    assert [x.id for x in patients.search(conn, p.mrn)] == [pid]
    assert [x.id for x in patients.search(conn, "05/17/1990")] == [pid]


def test_quick_add_reports_every_bad_field_and_writes_nothing(desk):
    conn = desk["conn"]
    with pytest.raises(ValidationError) as err:
        patients.quick_add(conn, first_name=" ", last_name="", date_of_birth=date(2999, 1, 1), phone="12", by="t")
    assert set(err.value.errors) == {"first_name", "last_name", "date_of_birth", "phone"}
    assert db.read(conn, "SELECT count(*) FROM patients")[0][0] == 0


def test_each_new_patient_gets_a_new_mrn(desk):
    conn = desk["conn"]
    ids = [patients.quick_add(conn, first_name="A", last_name=f"B{i}", date_of_birth=date(2000, 1, 1 + i), phone="",
                              by="t") for i in range(3)]
    mrns = [patients.get(conn, i).mrn for i in ids]
    assert len(set(mrns)) == 3


def test_next_available_can_keep_to_some_weekdays(desk):
    conn = desk["conn"]
    found = slots.find_next_available(conn, desk["follow_up"], provider_id=desk["ames"], after=NOW,
                                             limit=3, weekdays=[2])  # Wednesdays only
    assert [s.start for s in found] == [at(3, 4, 8), at(3, 4, 8, 15), at(3, 4, 8, 30)]


def test_booking_from_the_waitlist_books_and_closes_the_entry_in_one_go(desk):
    conn = desk["conn"]
    patient = make_patient(conn, last_name="Waiting")
    entry = waitlist.add(conn, patient_id=patient, type_id=desk["follow_up"], provider_id=None, preferred_days=None,
                         note="Mornings", by="t")
    appointment_id = waitlist.book_from_waitlist(conn, entry, provider_id=desk["ames"], type_id=desk["follow_up"],
                                                 start=at(3, 2, 9), user=desk["user"], notes="Mornings", now=NOW)
    booked = appointments.get(conn, appointment_id)
    assert (booked.patient_id, booked.provider_id, booked.notes) == (patient, desk["ames"], "Mornings")
    assert db.read(conn, "SELECT status, appointment_id FROM waitlist WHERE id = ?", [entry]) == [
        ("booked", appointment_id)]
    assert waitlist.list_entries(conn) == []


def test_a_refused_waitlist_booking_leaves_the_entry_waiting_and_a_closed_entry_books_nothing(desk):
    conn = desk["conn"]
    appointments.book(conn, patient_id=make_patient(conn), provider_id=desk["ames"], type_id=desk["follow_up"],
                      start=at(3, 2, 9), user=desk["user"], now=NOW)
    entry = waitlist.add(conn, patient_id=make_patient(conn), type_id=desk["follow_up"], provider_id=None,
                         preferred_days=None, by="t")
    with pytest.raises(scheduling.SlotTaken):
        waitlist.book_from_waitlist(conn, entry, provider_id=desk["ames"], type_id=desk["follow_up"],
                                    start=at(3, 2, 9), user=desk["user"], now=NOW)
    assert [e.id for e in waitlist.list_entries(conn)] == [entry]
    waitlist.remove(conn, entry, by=desk["user"])
    with pytest.raises(ClinicError, match="already dealt with"):
        waitlist.book_from_waitlist(conn, entry, provider_id=desk["berg"], type_id=desk["follow_up"],
                                    start=at(3, 2, 10), user=desk["user"], now=NOW)
    assert db.read(conn, "SELECT count(*) FROM appointments")[0][0] == 1


def test_waitlist_entries_come_back_typed_with_any_provider_named(desk):
    conn = desk["conn"]
    patient = make_patient(conn, last_name="Typed")
    waitlist.add(conn, patient_id=patient, type_id=desk["follow_up"], provider_id=None, preferred_days=[4, 0], by="t")
    (entry,) = waitlist.list_entries(conn)
    assert (entry.patient_id, entry.provider_id, entry.provider, entry.preferred_days, entry.note) == (
        patient, None, "Any provider", "0,4", None)


class CountingConnection:
    """A connection that counts the statements run through its cursors."""

    def __init__(self, conn):
        self.conn, self.statements = conn, 0

    def cursor(self):
        outer = self

        class Cursor:
            def __init__(self, cur):
                self.cur = cur

            def execute(self, *args, **kwargs):
                outer.statements += 1
                self.cur.execute(*args, **kwargs)
                return self

            def __getattr__(self, name):
                return getattr(self.cur, name)

        return Cursor(self.conn.cursor())


def test_a_series_plan_reads_the_same_few_queries_for_two_dates_or_twelve(desk):
    conn = desk["conn"]
    patient = make_patient(conn)
    counts = []
    for times in (2, 12):
        counting = CountingConnection(conn)
        plan = slots.plan_series(counting, patient_id=patient, provider_id=desk["ames"], type_id=desk["follow_up"],
                                 first=at(3, 2, 9), every_weeks=1, times=times, now=NOW)
        assert len(plan) == times and all(o.problem is None for o in plan)
        counts.append(counting.statements)
    assert counts[0] == counts[1] <= 12


def test_a_series_plan_names_time_off_a_taken_slot_and_the_patients_own_visit_on_their_dates(desk):
    conn = desk["conn"]
    from db import availability

    patient = make_patient(conn)
    availability.add_time_off(conn, desk["ames"], at(3, 9, 8), at(3, 9, 12), "Conference", by="test", now=NOW)
    appointments.book(conn, patient_id=make_patient(conn), provider_id=desk["ames"], type_id=desk["follow_up"],
                      start=at(3, 16, 9), user=desk["user"], now=NOW)
    appointments.book(conn, patient_id=patient, provider_id=desk["berg"], type_id=desk["follow_up"],
                      start=at(3, 23, 9, 5), user=desk["user"], now=NOW)
    plan = slots.plan_series(conn, patient_id=patient, provider_id=desk["ames"], type_id=desk["follow_up"],
                             first=at(3, 2, 9), every_weeks=1, times=5, now=NOW)
    problems = [o.problem for o in plan]
    assert problems[0] is None and problems[4] is None
    assert "away" in problems[1] and "Conference" in problems[1]
    assert "Dr. Ames already has a patient" in problems[2]
    assert "This patient already has an appointment" in problems[3]


def test_a_series_with_an_unknown_provider_can_book_none_of_its_dates(desk):
    plan = slots.plan_series(desk["conn"], patient_id=make_patient(desk["conn"]), provider_id=999_999,
                             type_id=desk["follow_up"], first=at(3, 2, 9), every_weeks=2, times=3, now=NOW)
    assert [o.problem for o in plan] == ["Choose a provider."] * 3


# --- waitlist preferences: weekdays and a start-time window, used by offers and by matching ------


def wait(desk, *, provider="ames", days=None, earliest=None, latest=None, last_name="Waiting") -> waitlist.Entry:
    conn = desk["conn"]
    entry_id = waitlist.add(conn, patient_id=make_patient(conn, last_name=last_name), type_id=desk["follow_up"],
                            provider_id=desk[provider] if provider else None, preferred_days=days,
                            earliest_start=earliest, latest_start=latest, by="t")
    return next(e for e in waitlist.list_entries(conn) if e.id == entry_id)


def matched(desk, start: datetime) -> list[str]:
    fits = waitlist.matches_for_slot(desk["conn"], provider_id=desk["ames"], start=start, minutes=15)
    return [m.patient.split(",")[0] for m in fits]


def test_an_entry_for_after_three_is_never_offered_a_quarter_to_three_but_is_offered_three(desk):
    entry = wait(desk, earliest=time(15), last_name="Afterthree")
    offers = waitlist.offers_for(desk["conn"], entry, limit=3, after=NOW)
    assert [s.start for s in offers] == [at(3, 2, 15), at(3, 2, 15, 15), at(3, 2, 15, 30)]
    assert matched(desk, at(3, 2, 14, 45)) == []
    assert matched(desk, at(3, 2, 15)) == ["Afterthree"]
    # Without the window the same search starts at the opening: the window is what moved it.
    anytime = waitlist.offers_for(desk["conn"], entry, limit=1, after=NOW, keep_to_preferences=False)
    assert anytime[0].start == at(3, 2, 8)


def test_the_latest_start_is_included_and_nothing_later_is_offered(desk):
    entry = wait(desk, earliest=time(9), latest=time(9, 30))
    offers = waitlist.offers_for(desk["conn"], entry, limit=4, after=NOW)
    assert [s.start for s in offers] == [at(3, 2, 9), at(3, 2, 9, 15), at(3, 2, 9, 30), at(3, 3, 9)]
    assert matched(desk, at(3, 2, 9, 30)) == ["Waiting"]
    assert matched(desk, at(3, 2, 9, 45)) == []


def test_weekdays_and_window_are_kept_together_on_both_sides_of_the_clock_change(desk):
    # Wednesdays 09:00-09:30: the 4th is before the US spring-forward (8 March 2026), the 11th after.
    entry = wait(desk, days=[2], earliest=time(9), latest=time(9, 30), last_name="Wednesday")
    offers = waitlist.offers_for(desk["conn"], entry, limit=5, after=NOW)
    local = [s.start.astimezone(NY).strftime("%a %d %H:%M") for s in offers]
    assert local == ["Wed 04 09:00", "Wed 04 09:15", "Wed 04 09:30", "Wed 11 09:00", "Wed 11 09:15"]
    assert [s.start.hour for s in offers] == [14, 14, 14, 13, 13]  # UTC: the offset changed, the wall clock did not
    assert matched(desk, at(3, 11, 9)) == ["Wednesday"]
    assert matched(desk, at(3, 11, 8, 45)) == matched(desk, at(3, 11, 9, 45)) == []
    assert matched(desk, at(3, 10, 9)) == [], "a Tuesday is not their day"


def test_find_next_available_alone_keeps_to_a_window(desk):
    found = slots.find_next_available(desk["conn"], desk["follow_up"], after=NOW, limit=20,
                                      earliest_start=time(16, 30), latest_start=time(16, 45))
    assert {s.start.astimezone(NY).strftime("%H:%M") for s in found} == {"16:30", "16:45"}
    assert {s.provider for s in found} == {"Dr. Ames", "Dr. Berg"}


def test_an_entry_from_before_the_preferences_existed_fits_any_time(desk):
    conn = desk["conn"]
    patient = make_patient(conn, last_name="Oldentry")
    conn.cursor().execute("INSERT INTO waitlist (patient_id, provider_id, type_id, note) VALUES (?, NULL, ?, ?)",
                          [patient, desk["follow_up"], "After 3 pm only"])
    (entry,) = waitlist.list_entries(conn)
    assert entry.preferences.label == "Any day · Any time" and entry.note == "After 3 pm only"
    assert waitlist.offers_for(conn, entry, limit=1, after=NOW)[0].start == at(3, 2, 8)
    assert matched(desk, at(3, 2, 8)) == matched(desk, at(3, 2, 16, 45)) == ["Oldentry"]


@pytest.mark.parametrize("days, earliest, latest, field, words", [
    (None, time(15), time(14), "latest_start", "later than the earliest start"),
    (None, time(15), time(15), "latest_start", "later than the earliest start"),
    (None, time(6), None, "earliest_start", "Dr. Ames’s hours (08:00–17:00)"),
    (None, None, time(17), "latest_start", "Dr. Ames’s hours (08:00–17:00)"),
    ([5], None, None, "preferred_days", "Dr. Ames does not see patients on Saturday"),
    (None, time(12, 5), time(12, 50), "earliest_start", "Dr. Ames sees no patients between these times"),
])
def test_preferences_outside_the_providers_hours_are_refused_next_to_the_field(desk, days, earliest, latest, field,
                                                                               words):
    conn = desk["conn"]
    with pytest.raises(ValidationError) as err:
        wait(desk, days=days, earliest=earliest, latest=latest)
    assert words in err.value.errors[field]
    assert db.read(conn, "SELECT count(*) FROM waitlist")[0][0] == 0


def test_with_any_provider_the_window_is_checked_against_everyones_hours(desk):
    conn = desk["conn"]
    late = make_provider(conn, name="Dr. Late", hours=[(wd, time(12), time(20)) for wd in range(5)])
    entry = wait(desk, provider=None, earliest=time(18), last_name="Evening")
    assert entry.preferences.label == "Any day · from 18:00"
    assert {s.provider_id for s in waitlist.offers_for(conn, entry, limit=3, after=NOW)} == {late}
    with pytest.raises(ValidationError, match="the clinic’s hours \\(08:00–20:00\\)"):
        wait(desk, provider=None, earliest=time(20, 30))
