"""Admin › Providers and hours through the real app: each tab's happy path, and a refused input
that is shown next to its field and writes nothing."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

import db
from clinic import timeutil
from components.text import md
from db import settings, users
from tests.conftest import SEED_TODAY, TZ, database, make_provider, make_user, user_id_for


@pytest.fixture(autouse=True)
def clinic_morning(clinic_clock):
    """The screen runs on the clinic clock: nine o'clock on the seeded clinic's Monday, every run."""
    clinic_clock(datetime.combine(SEED_TODAY, time(9), tzinfo=ZoneInfo(TZ)))


def count(path, sql: str, params=None) -> int:
    with database(path) as conn:
        return db.read_one(conn, sql, params)[0]


def open_schedule(signed_in, role: str = "admin"):
    at = signed_in(role).run()
    at.switch_page("pages/admin_schedule.py").run()
    assert not at.exception, at.exception
    return at


def errors(at) -> list[str]:
    return [e.value for e in at.error]


def successes(at) -> list[str]:
    return [s.value for s in at.success]


def table(at, column: str):
    """The first table on the page that has ``column``."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def click(at, label: str):
    next(b for b in at.button if b.label == label).click()
    return at.run()


def provider_id(path, name: str) -> int:
    with database(path) as conn:
        return db.read_one(conn, "SELECT id FROM providers WHERE name = ?", [name])[0]


def soon() -> date:
    """A day in the clinic's near future (by the clinic clock the page runs on)."""
    return SEED_TODAY + timedelta(days=12)


# --- providers ---------------------------------------------------------------------------------


def test_the_providers_table_shows_every_provider_with_kind_and_linked_login(signed_in):
    at = open_schedule(signed_in)
    assert [t.label for t in at.tabs] == ["Providers", "Weekly hours", "Time off", "Closures and holidays",
                                          "Visit types", "Booking rules", "Clinic details"]
    shown = table(at, "login")
    okafor = shown[shown["name"] == "Dr. Amara Okafor"].iloc[0]
    assert (okafor["kind"], okafor["login"]) == ("Physician", "doctor")


def test_adding_a_provider_with_a_linked_login_lists_them(signed_in, app_env):
    with database(app_env) as conn:
        nurse = make_user(conn, username="kim.rn", full_name="Kim Park", role="clinician")
    at = open_schedule(signed_in)
    at.text_input(key="provider_name_new").input("Kim Park, RN")
    at.selectbox(key="provider_kind_new").select("nurse")
    at.color_picker(key="provider_colour_new").pick("#0f766e")
    at.checkbox(key="provider_accepting_new").uncheck()
    at.selectbox(key="provider_login_new").select(nurse)
    at = click(at, "Add provider")
    assert not at.exception
    assert "Added Kim Park, RN." in successes(at)
    assert "Kim Park, RN" in set(table(at, "login")["name"])
    assert at.text_input(key="provider_name_new").value == ""
    with database(app_env) as conn:
        row = db.read(conn, "SELECT kind, colour, active, accepting_new, user_id FROM providers"
                            " WHERE name = 'Kim Park, RN'")
        assert row == [("nurse", "#0f766e", True, False, nurse)]
        assert db.read_one(conn, "SELECT count(*) FROM audit_log WHERE action = 'provider.create'")[0] == 1


def test_a_taken_provider_name_is_shown_under_the_name_and_nothing_is_added(signed_in, app_env):
    before = count(app_env, "SELECT count(*) FROM providers")
    at = open_schedule(signed_in)
    at.text_input(key="provider_name_new").input("dr. amara okafor")
    at = click(at, "Add provider")
    assert "Another provider already has that name." in errors(at)
    assert at.text_input(key="provider_name_new").value == "dr. amara okafor"
    assert count(app_env, "SELECT count(*) FROM providers") == before


def test_editing_a_provider_saves_the_changed_fields(signed_in, app_env):
    pid = provider_id(app_env, "Daniel Reyes, NP")
    at = open_schedule(signed_in)
    at.selectbox(key="provider_choice").select(pid).run()
    at.checkbox(key=f"provider_accepting_{pid}").uncheck()
    at.color_picker(key=f"provider_colour_{pid}").pick("#111827")
    at = click(at, "Save provider")
    assert "Saved Daniel Reyes, NP." in successes(at)
    with database(app_env) as conn:
        assert db.read(conn, "SELECT colour, accepting_new FROM providers WHERE id = ?", [pid]) == [("#111827", False)]


# --- weekly hours ------------------------------------------------------------------------------


def hours_editor_key(at, pid: int) -> str:
    return next(d.key for d in at.dataframe if (d.key or "").startswith(f"hours_editor_{pid}_"))


def edit_hours(at, pid: int, *, added=(), deleted=(), edited=None):
    """Edit the weekly-hours table as the browser would (changed cells by row number, deleted row
    numbers, added rows), then save."""
    at.selectbox(key="hours_provider").select(pid).run()
    edits = {"edited_rows": dict(edited or {}), "added_rows": list(added), "deleted_rows": list(deleted)}
    at.session_state[hours_editor_key(at, pid)] = edits
    return click(at.run(), "Save hours")


def hours(path, pid: int) -> list[tuple]:
    with database(path) as conn:
        return db.read(conn, "SELECT weekday, start_time, end_time FROM provider_hours WHERE provider_id = ?"
                             " ORDER BY weekday, start_time", [pid])


def test_a_second_block_on_a_day_and_a_removed_block_are_saved(signed_in, app_env):
    pid = provider_id(app_env, "Dr. Amara Okafor")
    before = hours(app_env, pid)
    assert before[:2] == [(0, time(8), time(12)), (0, time(13), time(17))]
    at = open_schedule(signed_in)
    # Row 1 is Monday 13:00-17:00; add Saturday morning.
    saturday = {"weekday": "Saturday", "start": "09:00:00.000", "end": "12:00:00.000"}
    at = edit_hours(at, pid, deleted=[1], added=[saturday])
    assert not at.exception
    assert f"Saved the weekly hours of {md('Dr. Amara Okafor')}." in successes(at)
    after = hours(app_env, pid)
    assert (0, time(13), time(17)) not in after
    assert (5, time(9), time(12)) in after
    assert len(after) == len(before)
    # The editor starts afresh from what was saved.
    assert (at.session_state[hours_editor_key(at, pid)] or {}).get("added_rows") in (None, [])


def test_a_changed_cell_is_saved_and_the_rows_after_a_deleted_one_keep_their_own_values(signed_in, app_env):
    pid = provider_id(app_env, "Dr. Amara Okafor")
    before = hours(app_env, pid)
    assert before[2:4] == [(1, time(8), time(12)), (1, time(13), time(17))]
    # Row 0 (Monday 08:00-12:00) ends at 11:30 now; row 1 (Monday afternoon) goes; row 3 moves to Saturday.
    at = edit_hours(open_schedule(signed_in), pid, deleted=[1],
                    edited={0: {"end": "11:30:00.000"}, 3: {"weekday": "Saturday"}})
    assert not at.exception
    after = hours(app_env, pid)
    assert after[:2] == [(0, time(8), time(11, 30)), (1, time(8), time(12))]
    assert (5, time(13), time(17)) in after and (1, time(13), time(17)) not in after
    assert len(after) == len(before) - 1


def test_overlapping_blocks_are_refused_under_the_editor_and_the_hours_stay(signed_in, app_env):
    pid = provider_id(app_env, "Dr. Amara Okafor")
    before = hours(app_env, pid)
    at = open_schedule(signed_in)
    at = edit_hours(at, pid, added=[{"weekday": "Monday", "start": "11:00:00.000", "end": "14:00:00.000"}])
    assert "Two blocks on the same day overlap." in errors(at)
    assert hours(app_env, pid) == before
    # What was typed is still in the editor, ready to be corrected.
    assert at.session_state[hours_editor_key(at, pid)]["added_rows"]


def test_a_provider_without_hours_gets_their_first_blocks(signed_in, app_env):
    with database(app_env) as conn:
        pid = make_provider(conn, name="Dr. New Hire", hours=[])
    at = open_schedule(signed_in)
    at = edit_hours(at, pid, added=[{"weekday": "Tuesday", "start": "08:00:00.000", "end": "12:00:00.000"},
                                    {"weekday": "Tuesday", "start": "12:30:00.000", "end": "16:00:00.000"}])
    assert not at.exception
    assert hours(app_env, pid) == [(1, time(8), time(12)), (1, time(12, 30), time(16))]


def test_a_half_filled_row_is_refused(signed_in, app_env):
    pid = provider_id(app_env, "Dr. Amara Okafor")
    before = hours(app_env, pid)
    at = edit_hours(open_schedule(signed_in), pid, added=[{"weekday": "Sunday", "start": "09:00:00.000"}])
    assert "Fill in the weekday, start and end of every row (or delete the row)." in errors(at)
    assert hours(app_env, pid) == before


# --- time off ----------------------------------------------------------------------------------


def time_off_rows(path, pid: int) -> list[tuple]:
    with database(path) as conn:
        return db.read(conn, "SELECT start_at, end_at, reason FROM provider_time_off WHERE provider_id = ?"
                             " ORDER BY start_at", [pid])


def test_whole_days_of_vacation_run_from_local_midnight_to_local_midnight_and_can_be_removed(signed_in, app_env):
    pid = provider_id(app_env, "Grace Lindqvist, RN")
    before = time_off_rows(app_env, pid)
    first = soon()
    at = open_schedule(signed_in)
    at.selectbox(key="off_provider").select(pid)
    at.date_input(key="off_from_day").set_value(first)
    at.date_input(key="off_to_day").set_value(first + timedelta(days=2))
    at.radio(key="off_reason_kind").set_value("Vacation")
    at = click(at, "Add time off")
    assert not at.exception
    assert any("Added time off for Grace Lindqvist, RN." in m for m in [*successes(at), *(w.value for w in at.warning)])
    added = [r for r in time_off_rows(app_env, pid) if r not in before]
    start, end = timeutil.day_bounds(first, TZ)[0], timeutil.day_bounds(first + timedelta(days=2), TZ)[1]
    assert added == [(start, end, "Vacation")]
    listed = table(at, "start_at")
    assert "Grace Lindqvist, RN" in set(listed["provider"])

    with database(app_env) as conn:
        new_id = db.read_one(conn, "SELECT id FROM provider_time_off WHERE provider_id = ? AND start_at = ?",
                             [pid, start])[0]
    at.selectbox(key="time_off_to_remove").select(new_id)
    at = at.button(key="remove_time_off").click().run()
    assert "Time off removed." in successes(at)
    assert time_off_rows(app_env, pid) == before


def test_a_meeting_is_stored_in_utc_from_clinic_local_times(signed_in, app_env):
    pid = provider_id(app_env, "Dr. Amara Okafor")
    day = soon()
    at = open_schedule(signed_in)
    at.selectbox(key="off_provider").select(pid)
    at.checkbox(key="off_whole_days").uncheck().run()
    at.date_input(key="off_from_day").set_value(day)
    at.time_input(key="off_from_time").set_value(time(13))
    at.date_input(key="off_to_day").set_value(day)
    at.time_input(key="off_to_time").set_value(time(15))
    at.radio(key="off_reason_kind").set_value("Meeting")
    at.text_input(key="off_reason_text").input("Board")
    at = click(at, "Add time off")
    assert not at.exception
    start = timeutil.local_to_utc(datetime.combine(day, time(13)), TZ)
    assert (start, start + timedelta(hours=2), "Meeting: Board") in time_off_rows(app_env, pid)


@pytest.mark.parametrize(
    "reason, to_time, message",
    [("Other", time(15), "Say what the time off is for."), ("Meeting", time(12), "Time off must end after it starts.")],
)
def test_bad_time_off_is_explained_and_not_saved(signed_in, app_env, reason, to_time, message):
    pid = provider_id(app_env, "Dr. Amara Okafor")
    before = time_off_rows(app_env, pid)
    at = open_schedule(signed_in)
    at.selectbox(key="off_provider").select(pid)
    at.checkbox(key="off_whole_days").uncheck().run()
    at.date_input(key="off_from_day").set_value(soon())
    at.time_input(key="off_from_time").set_value(time(13))
    at.date_input(key="off_to_day").set_value(soon())
    at.time_input(key="off_to_time").set_value(to_time)
    at.radio(key="off_reason_kind").set_value(reason)
    at = click(at, "Add time off")
    assert message in errors(at)
    assert at.time_input(key="off_to_time").value == to_time
    assert time_off_rows(app_env, pid) == before


# --- closures and holidays ---------------------------------------------------------------------


def closures(path) -> list[tuple]:
    with database(path) as conn:
        return db.read(conn, "SELECT day, reason FROM clinic_closures ORDER BY day")


def add_closure(at, day: date, reason: str):
    at.date_input(key="closure_day").set_value(day)
    at.text_input(key="closure_reason").input(reason)
    return click(at, "Add closure")


def test_a_closure_is_added_listed_and_removed(signed_in, app_env):
    before = closures(app_env)
    day = soon()
    at = add_closure(open_schedule(signed_in), day, "Staff training")
    assert not at.exception
    shown = [*successes(at), *(w.value for w in at.warning)]
    assert any(f"The clinic is closed on {day:%A %d %B %Y}." in m for m in shown)
    assert (day, "Staff training") in closures(app_env)
    listed = table(at, "day")
    assert "Staff training" in set(listed["reason"])

    with database(app_env) as conn:
        closure_id = db.read_one(conn, "SELECT id FROM clinic_closures WHERE day = ?", [day])[0]
    at.selectbox(key="closure_to_remove").select(closure_id)
    at = at.button(key="remove_closure").click().run()
    assert "Closure removed: the day can be booked again." in successes(at)
    assert closures(app_env) == before


def test_the_same_closure_twice_and_a_past_day_are_refused_and_not_saved(signed_in, app_env):
    day = soon()
    at = add_closure(open_schedule(signed_in), day, "Move")
    after_first = closures(app_env)
    at = add_closure(at, day, "Move again")
    assert f"{day:%d %B %Y} is already a closure." in errors(at)
    assert at.text_input(key="closure_reason").value == "Move again"
    at = add_closure(at, SEED_TODAY - timedelta(days=1), "Too late")
    assert "Choose today or a later day." in errors(at)
    assert closures(app_env) == after_first


def test_a_public_holiday_can_be_opened_and_closed_again(signed_in, app_env):
    year = SEED_TODAY.year
    independence = date(year, 7, 4)
    if independence.weekday() == 5:  # observed on the Friday before
        independence -= timedelta(days=1)
    elif independence.weekday() == 6:
        independence += timedelta(days=1)
    at = open_schedule(signed_in)
    toggle = at.toggle(key=f"holiday_{independence.isoformat()}")
    assert toggle.value is True
    at = toggle.set_value(False).run()
    assert not at.exception
    assert count(app_env, "SELECT count(*) FROM holiday_overrides WHERE day = ?", [independence]) == 1
    assert at.toggle(key=f"holiday_{independence.isoformat()}").value is False
    at = at.toggle(key=f"holiday_{independence.isoformat()}").set_value(True).run()
    assert count(app_env, "SELECT count(*) FROM holiday_overrides WHERE day = ?", [independence]) == 0
    assert count(app_env, "SELECT count(*) FROM audit_log WHERE action = 'closure.holiday'") == 2


# --- visit types -------------------------------------------------------------------------------


def test_a_new_visit_type_is_added_and_an_old_one_edited(signed_in, app_env):
    at = open_schedule(signed_in)
    at.text_input(key="type_name_new").input("Telehealth")
    at.number_input(key="type_duration_new").set_value(20)
    at.number_input(key="type_buffer_new").set_value(5)
    at.text_input(key="type_fee_new").input("99442")
    at = click(at, "Add visit type")
    assert "Added Telehealth." in successes(at)
    assert "Telehealth" in set(table(at, "duration_min")["name"])
    with database(app_env) as conn:
        assert db.read(conn, "SELECT duration_min, buffer_after_min, default_fee_code, active FROM visit_types"
                             " WHERE name = 'Telehealth'") == [(20, 5, "99442", True)]
        follow_up = db.read_one(conn, "SELECT id FROM visit_types WHERE name = 'Follow-up'")[0]
    at.selectbox(key="type_choice").select(follow_up).run()
    at.number_input(key=f"type_duration_{follow_up}").set_value(20)
    at = click(at, "Save visit type")
    assert f"Saved {md('Follow-up')}." in successes(at)
    assert count(app_env, "SELECT duration_min FROM visit_types WHERE id = ?", [follow_up]) == 20


def test_a_visit_type_needs_a_name_of_its_own(signed_in, app_env):
    before = count(app_env, "SELECT count(*) FROM visit_types")
    at = open_schedule(signed_in)
    at.text_input(key="type_name_new").input("follow-up")
    at = click(at, "Add visit type")
    assert "Another visit type already has that name." in errors(at)
    at.text_input(key="type_name_new").input("  ")
    at = click(at, "Add visit type")
    assert "Enter a name." in errors(at)
    assert count(app_env, "SELECT count(*) FROM visit_types") == before


# --- booking rules -----------------------------------------------------------------------------


def setting(path, key: str) -> str | None:
    with database(path) as conn:
        row = db.read_one(conn, "SELECT value FROM settings WHERE key = ?", [key])
    return row[0] if row else None


def test_booking_rules_are_saved_and_shown_again(signed_in, app_env):
    at = open_schedule(signed_in)
    at.number_input(key="rule_min_notice_min").set_value(60)
    at.number_input(key="rule_max_days_ahead").set_value(90)
    at.number_input(key="rule_reminder_days_ahead").set_value(2)
    assert at.number_input(key="rule_no_show_grace_min").value == 15  # the default
    at.number_input(key="rule_no_show_grace_min").set_value(20)
    at = click(at, "Save booking rules")
    assert "Booking rules saved. They apply to the next booking or status change." in successes(at)
    assert (setting(app_env, "min_notice_min"), setting(app_env, "max_days_ahead"),
            setting(app_env, "reminder_days_ahead"), setting(app_env, "no_show_grace_min")) == ("60", "90", "2", "20")
    assert at.number_input(key="rule_max_days_ahead").value == 90
    assert at.number_input(key="rule_no_show_grace_min").value == 20


def test_a_no_show_grace_period_over_four_hours_is_refused_under_its_field(signed_in, app_env):
    at = open_schedule(signed_in)
    at.number_input(key="rule_no_show_grace_min").set_value(300)
    at = click(at, "Save booking rules")
    assert "Enter a number from 0 to 240." in errors(at)
    assert at.number_input(key="rule_no_show_grace_min").value == 300
    assert setting(app_env, "no_show_grace_min") is None


def test_an_out_of_range_rule_is_shown_under_its_field_and_no_rule_is_saved(signed_in, app_env):
    before = {k: setting(app_env, k) for k in ("min_notice_min", "max_days_ahead")}
    at = open_schedule(signed_in)
    at.number_input(key="rule_min_notice_min").set_value(30)
    at.number_input(key="rule_max_days_ahead").set_value(0)
    at = click(at, "Save booking rules")
    assert "Enter a number from 1 to 730." in errors(at)
    assert at.number_input(key="rule_min_notice_min").value == 30
    assert {k: setting(app_env, k) for k in before} == before


def test_the_office_manager_can_change_schedules_too(signed_in):
    at = open_schedule(signed_in, "manager")
    assert at.title[0].value == "Providers and hours"
    assert not [e for e in errors(at) if "cannot" in e]


def test_a_manager_made_front_desk_with_the_screen_still_open_adds_no_closure(signed_in, app_env):
    before = closures(app_env)
    at = open_schedule(signed_in, "manager")
    with database(app_env) as conn:
        users.set_role(conn, user_id_for(app_env, "manager"), "front_desk", by="test")
    at = add_closure(at, soon(), "Staff training")
    assert not at.exception
    assert closures(app_env) == before
    assert "Providers and hours" not in [t.value for t in at.title]  # the screen is no longer theirs


# --- clinic details ----------------------------------------------------------------------------


def test_clinic_details_are_saved_and_a_bad_phone_is_shown_under_the_phone(signed_in, app_env):
    at = open_schedule(signed_in)
    with database(app_env) as conn:
        before = settings.get_all(conn)
    at.text_area(key="clinic_details_address").input("12 Main Street\nSpringfield, NY 10001")
    at.text_input(key="clinic_details_phone").input("555")
    at = click(at, "Save clinic details")
    assert any("phone number" in e for e in errors(at))
    assert at.text_input(key="clinic_details_phone").value == "555"
    assert at.text_area(key="clinic_details_address").value == "12 Main Street\nSpringfield, NY 10001"
    with database(app_env) as conn:
        assert settings.get_all(conn) == before  # nothing saved

    at.text_input(key="clinic_details_phone").input("(212) 555-0142")
    at = click(at, "Save clinic details")
    assert "Clinic details saved. New invoices and statements print them." in successes(at)
    with database(app_env) as conn:
        saved = settings.get_all(conn)
    assert (saved["clinic_address"], saved["clinic_phone"]) == ("12 Main Street\nSpringfield, NY 10001", "(212) 555-0142")


def test_a_manager_sees_the_clinic_details_but_cannot_change_them(signed_in):
    at = open_schedule(signed_in, "manager")
    assert not [b for b in at.button if b.label == "Save clinic details"]
    assert any("Only an administrator" in c.value for c in at.caption)
