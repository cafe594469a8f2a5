"""Booking rules, pure: no database, no clock (``now`` is passed in)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, strategies as st

from clinic import scheduling as s

TZ = "America/New_York"
NY = ZoneInfo(TZ)
WEEKDAYS = [s.Block(d, time(8), time(12)) for d in range(5)] + [s.Block(d, time(13), time(17)) for d in range(5)]
FOLLOW_UP = s.VisitType(1, "Follow-up", 15)
PROCEDURE = s.VisitType(2, "Procedure", 45, buffer_after_min=15)
NEW = s.VisitType(3, "New patient", 30, new_patients_only=True)
NOW = datetime(2026, 3, 2, 7, 0, tzinfo=NY)  # Monday morning before opening


def local(y, m, d, hh, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=NY).astimezone(timezone.utc)


def ctx(**overrides):
    values = dict(tz=TZ, provider_name="Dr. Ames", provider_active=True, accepting_new=True, hours=WEEKDAYS)
    values.update(overrides)
    return s.BookingContext(**values)


def test_a_slot_inside_working_hours_is_accepted_and_ends_after_its_duration():
    end, busy_until = s.check_booking(local(2026, 3, 2, 9), PROCEDURE, ctx(), now=NOW)
    assert end == local(2026, 3, 2, 9, 45)
    assert busy_until == local(2026, 3, 2, 10, 0)


@pytest.mark.parametrize(
    "start, error",
    [
        (local(2026, 3, 2, 7, 45), s.OutsideWorkingHours),  # before opening
        (local(2026, 3, 2, 11, 50), s.OutsideWorkingHours),  # runs into lunch
        (local(2026, 3, 7, 9), s.OutsideWorkingHours),  # Saturday
        (local(2026, 3, 1, 9), s.InThePast),
        (local(2027, 3, 1, 9), s.TooFarAhead),
    ],
)
def test_slots_breaking_a_rule_are_refused_with_that_rule(start, error):
    with pytest.raises(error):
        s.check_booking(start, FOLLOW_UP, ctx(), now=NOW)


def test_back_to_back_slots_do_not_overlap():
    busy = [s.Interval(local(2026, 3, 2, 9), local(2026, 3, 2, 9, 15))]
    s.check_booking(local(2026, 3, 2, 9, 15), FOLLOW_UP, ctx(provider_busy=busy), now=NOW)
    s.check_booking(local(2026, 3, 2, 8, 45), FOLLOW_UP, ctx(provider_busy=busy), now=NOW)
    with pytest.raises(s.SlotTaken):
        s.check_booking(local(2026, 3, 2, 9, 5), FOLLOW_UP, ctx(provider_busy=busy), now=NOW)


def test_the_buffer_after_a_procedure_keeps_the_provider_busy():
    busy = [s.Interval(local(2026, 3, 2, 10), local(2026, 3, 2, 10, 30))]
    with pytest.raises(s.ProviderBusy):
        s.check_booking(local(2026, 3, 2, 9, 30), PROCEDURE, ctx(provider_busy=busy), now=NOW)


def test_a_patient_cannot_be_in_two_places_at_once():
    busy = [s.Interval(local(2026, 3, 2, 9), local(2026, 3, 2, 9, 30))]
    with pytest.raises(s.PatientBusy):
        s.check_booking(local(2026, 3, 2, 9, 15), FOLLOW_UP, ctx(patient_busy=busy), now=NOW)


def test_closures_and_time_off_are_refused_with_their_reason():
    with pytest.raises(s.ClinicClosed, match="Staff training"):
        s.check_booking(local(2026, 3, 3, 9), FOLLOW_UP, ctx(closures={date(2026, 3, 3): "Staff training"}), now=NOW)
    away = [s.Interval(local(2026, 3, 4, 0), local(2026, 3, 5, 0), "Conference")]
    with pytest.raises(s.ProviderAway, match="Conference"):
        s.check_booking(local(2026, 3, 4, 15), FOLLOW_UP, ctx(time_off=away), now=NOW)


def test_minimum_notice_is_enforced_unless_waived():
    now = local(2026, 3, 2, 8, 50)
    rules = s.Rules(min_notice_min=60)
    with pytest.raises(s.TooSoon):
        s.check_booking(local(2026, 3, 2, 9), FOLLOW_UP, ctx(rules=rules), now=now)
    s.check_booking(local(2026, 3, 2, 9), FOLLOW_UP, ctx(rules=rules), now=now, ignore_notice=True)


def test_new_patient_visits_are_for_new_patients_and_providers_accepting_them():
    with pytest.raises(s.NewPatientsOnly):
        s.check_booking(local(2026, 3, 2, 9), NEW, ctx(patient_is_new=False), now=NOW)
    with pytest.raises(s.NotAcceptingNewPatients):
        s.check_booking(local(2026, 3, 2, 9), NEW, ctx(patient_is_new=True, accepting_new=False), now=NOW)
    s.check_booking(local(2026, 3, 2, 9), NEW, ctx(patient_is_new=True), now=NOW)


@pytest.mark.parametrize("visit", [FOLLOW_UP, PROCEDURE, NEW])
@pytest.mark.parametrize("accepting_new", [True, False])
def test_the_patients_history_matters_exactly_when_a_rule_can_turn_on_it(visit, accepting_new):
    start = local(2026, 3, 2, 9)
    outcomes = set()
    for is_new in (True, False):
        try:
            s.check_booking(start, visit, ctx(patient_is_new=is_new, accepting_new=accepting_new), now=NOW)
            outcomes.add("booked")
        except s.ClinicError as exc:
            outcomes.add(type(exc).__name__)
    assert s.history_matters(visit, accepting_new) == (len(outcomes) > 1)


def test_working_hours_follow_the_wall_clock_across_the_spring_forward_change():
    # 8 March 2026: New York moves from UTC-5 to UTC-4. 09:00 local is 13:00 UTC on the Monday
    # after, but was 14:00 UTC on the Monday before.
    before = local(2026, 3, 2, 9)
    after = local(2026, 3, 9, 9)
    assert before.hour == 14 and after.hour == 13
    s.check_booking(after, FOLLOW_UP, ctx(), now=NOW)
    # The same UTC time, 12:00, is 08:00 (open) after the change but 07:00 (closed) before it.
    s.check_booking(datetime(2026, 3, 9, 12, 0, tzinfo=timezone.utc), FOLLOW_UP, ctx(), now=NOW)
    with pytest.raises(s.OutsideWorkingHours):
        s.check_booking(datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc), FOLLOW_UP, ctx(), now=NOW - timedelta(days=1))


def test_the_status_table_allows_the_front_desk_workflow_and_nothing_else():
    assert s.allowed_moves("scheduled") == ["confirmed", "checked_in", "no_show", "cancelled"]
    s.check_transition("checked_in", "completed")
    for target in s.STATUSES:
        with pytest.raises(s.InvalidTransition):
            s.check_transition("cancelled", target)
        if target != "checked_in":  # the one way back from completed: undoing a mistake
            with pytest.raises(s.InvalidTransition):
                s.check_transition("completed", target)
    with pytest.raises(s.InvalidTransition, match="completed appointment cannot be marked no-show"):
        s.check_transition("completed", "no_show")


def test_undo_moves_are_allowed_but_kept_out_of_the_ordinary_buttons_and_need_a_reason():
    assert s.UNDO_MOVES == {("no_show", "scheduled"), ("completed", "checked_in")}
    for current, wanted in s.UNDO_MOVES:
        s.check_transition(current, wanted)
        assert wanted not in s.allowed_moves(current)
        assert s.undo_move(current) == wanted
        assert s.needs_reason(current, wanted)
        with pytest.raises(s.ClinicError, match="Say why") as err:
            s.check_reason(current, wanted, None)
        assert err.value.field == "reason"
    assert s.needs_reason("scheduled", "cancelled")
    assert not s.needs_reason("no_show", "checked_in")  # a late arrival is no mistake
    s.check_reason("no_show", "checked_in", None)


def test_only_moves_from_a_freed_status_to_a_holding_one_take_the_time_back():
    assert s.takes_time_back("no_show", "checked_in") and s.takes_time_back("no_show", "scheduled")
    assert not s.takes_time_back("scheduled", "checked_in")
    assert not s.takes_time_back("completed", "checked_in")
    assert not s.takes_time_back("scheduled", "no_show")


def test_a_no_show_is_possible_from_the_start_plus_the_grace_period():
    start = local(2026, 3, 2, 16, 25)
    assert s.no_show_possible_from(start, s.Rules()) == local(2026, 3, 2, 16, 40)
    assert s.no_show_possible_from(start, s.Rules(no_show_grace_min=0)) == start
    with pytest.raises(s.NoShowTooEarly, match="possible from 16:40 [(]15 minutes after the start[)]") as err:
        s.check_no_show(start, local(2026, 3, 2, 13, 31), s.Rules(), "America/New_York")
    assert err.value.field == "status"
    s.check_no_show(start, local(2026, 3, 2, 16, 40), s.Rules(), "America/New_York")


def test_a_freed_slot_taken_back_is_refused_only_when_something_else_holds_it():
    appt = (local(2026, 3, 2, 16, 25), local(2026, 3, 2, 16, 40))
    s.check_still_free(*appt, appt[1], ctx(provider_busy=[s.Interval(local(2026, 3, 2, 16, 40), local(2026, 3, 2, 17))]))
    with pytest.raises(s.ProviderBusy):
        s.check_still_free(*appt, appt[1], ctx(provider_busy=[s.Interval(*appt)]))
    with pytest.raises(s.PatientBusy):
        s.check_still_free(*appt, appt[1], ctx(patient_busy=[s.Interval(local(2026, 3, 2, 16, 30), local(2026, 3, 2, 16, 45))]))


def test_cancelled_and_no_show_free_the_slot():
    assert "cancelled" not in s.BLOCKING and "no_show" not in s.BLOCKING
    assert {"scheduled", "confirmed", "checked_in", "completed"} == set(s.BLOCKING)


def test_a_late_cancellation_is_one_inside_the_notice_window():
    start = local(2026, 3, 3, 9)
    assert s.is_late_cancellation(start, start - timedelta(hours=23), s.Rules())
    assert not s.is_late_cancellation(start, start - timedelta(hours=25), s.Rules())


def test_free_slots_skip_busy_times_and_lunch():
    busy = [s.Interval(local(2026, 3, 2, 8), local(2026, 3, 2, 11, 45))]
    slots = list(s.free_slots(date(2026, 3, 2), FOLLOW_UP, ctx(provider_busy=busy), now=NOW))
    assert slots[0] == local(2026, 3, 2, 11, 45)
    assert slots[1] == local(2026, 3, 2, 13, 0)
    assert local(2026, 3, 2, 16, 45) == slots[-1]


@given(
    starts=st.lists(st.integers(min_value=0, max_value=32), min_size=1, max_size=30),
    duration=st.sampled_from([10, 15, 30, 40, 45]),
)
def test_slots_accepted_one_after_another_never_overlap(starts, duration):
    vt = s.VisitType(9, "Any", duration)
    accepted: list[s.Interval] = []
    for quarter in starts:
        start = local(2026, 3, 2, 8) + timedelta(minutes=15 * quarter)
        try:
            end, busy_until = s.check_booking(start, vt, ctx(provider_busy=list(accepted)), now=NOW)
        except s.ClinicError:
            continue
        accepted.append(s.Interval(start, busy_until))
    ordered = sorted(accepted, key=lambda i: i.start)
    for a, b in zip(ordered, ordered[1:]):
        assert a.end <= b.start


def test_every_status_has_one_badge_colour_and_the_day_statuses_are_attendance_only():
    assert set(s.STATUS_COLOURS) == set(s.STATUSES)
    assert (s.STATUS_COLOURS["no_show"], s.STATUS_COLOURS["completed"]) == ("red", "green")
    assert s.ON_THE_DAY == {"checked_in", "completed", "no_show"}
    # Confirming and cancelling can happen any day before the visit; attendance only on the day.
    assert not s.ON_THE_DAY & {"scheduled", "confirmed", "cancelled"}
