"""Today through the real app: each provider's day around now, one-click status changes with a
confirmed no-show and an undo, late arrivals, the name filter, links to the patient file, the
waiting room, and the gaps a walk-in could take (a click opens the booking, filled in).

The clinic clock is set to the seeded Monday (SEED_TODAY) at 07:30, so the page opens on that day
whatever the wall clock says; a test that needs another hour sets it with ``at_clock``. Seeded
that Monday: visits from 08:00 to 16:20 with three providers, all still scheduled or confirmed.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

import db
from clinic import frontdesk, timeutil
from clinic.closures import public_holidays
from components.text import md
from db import appointments, availability, providers
from tests.conftest import SEED_TODAY, TZ, make_appointment, make_patient, user_id_for, database


def local(hh: int, mm: int = 0, day=SEED_TODAY):
    return timeutil.local_to_utc(datetime.combine(day, time(hh, mm)), TZ)


CLOCK = local(7, 30)


@pytest.fixture(autouse=True)
def seeded_monday_morning(clinic_clock):
    clinic_clock(CLOCK)


@pytest.fixture
def at_clock(clinic_clock):
    return lambda hh, mm=0: clinic_clock(local(hh, mm))


def open_today(signed_in, role="front_desk", day=SEED_TODAY):
    at = signed_in(role).run()
    at.switch_page("pages/today.py").run()
    if day != at.date_input(key="today_day").value:
        at.date_input(key="today_day").set_value(day).run()
    assert not at.exception, at.exception
    return at


def day_rows(path, day=SEED_TODAY, **filters):
    with database(path) as conn:
        return appointments.list_rows(conn, *timeutil.day_bounds(day, TZ), **filters)


def row_at(path, hh, mm, provider_name=None):
    return next(r for r in day_rows(path) if timeutil.to_local(r.start_at, TZ).time() == time(hh, mm)
                and (provider_name is None or r.provider == provider_name))


def first_with_status(path, status):
    return next(r for r in day_rows(path) if r.status == status)


def saved(path, appointment_id):
    with database(path) as conn:
        return appointments.get(conn, appointment_id)


def button_keys(at):
    return {b.key for b in at.button}


def markdown_with(at, *parts):
    return [m.value for m in at.markdown if all(p in m.value for p in parts)]


def links(at):
    return {link.value: link.proto.query_string for link in at.get("page_link")}


def tile(at, label):
    return next(m.value for m in at.metric if m.label == label)


def change_elsewhere(path, appointment_id, to_status, **kwargs):
    """Another desk changes the appointment while this page is open."""
    with database(path) as conn:
        appointments.change_status(conn, appointment_id, to_status, user="test", **kwargs)


# --- around now --------------------------------------------------------------------------------


def test_each_list_starts_at_the_current_hour_and_folds_the_rest_of_the_day(signed_in, app_env):
    at = open_today(signed_in)
    rows = day_rows(app_env)
    soon = [r for r in rows if r.start_at < local(8, 30)]  # 07:00 to an hour from 07:30
    later = [r for r in rows if r.start_at >= local(8, 30)]
    assert soon and later
    keys = button_keys(at)
    assert {f"checkin_{r.id}" for r in soon} <= keys
    assert not {f"checkin_{r.id}" for r in later} & keys
    # Every patient of the day still counts in the tiles.
    assert tile(at, "To arrive") == str(len(rows))
    # A click shows one provider's later visits; the other providers stay folded.
    okafor = next(r.provider_id for r in rows if r.provider == "Dr. Amara Okafor")
    hers = [r for r in later if r.provider_id == okafor]
    assert at.button(key=f"today_later_{okafor}").label == f"Show {len(hers)} later visits"
    at.button(key=f"today_later_{okafor}").click().run()
    keys = button_keys(at)
    assert {f"checkin_{r.id}" for r in hers} <= keys
    assert not {f"checkin_{r.id}" for r in later if r.provider_id != okafor} & keys


def test_finished_visits_before_the_hour_fold_away_but_open_ones_stay_however_early(signed_in, app_env, at_clock):
    done, late = row_at(app_env, 8, 0, "Grace Lindqvist, RN"), row_at(app_env, 8, 0, "Daniel Reyes, NP")
    change_elsewhere(app_env, done.id, "checked_in")
    change_elsewhere(app_env, done.id, "completed")
    at_clock(10, 0)
    at = open_today(signed_in)
    keys = button_keys(at)
    assert f"checkin_{late.id}" in keys  # two hours late, still there to check in or mark
    assert f"undo_{done.id}" not in keys
    grace = done.provider_id
    at.button(key=f"today_earlier_{grace}").click().run()
    assert f"undo_{done.id}" in button_keys(at)


def test_jump_to_now_brings_back_today_around_now_without_a_filter(signed_in, app_env):
    at = open_today(signed_in)
    okafor = row_at(app_env, 8, 0, "Dr. Amara Okafor").provider_id
    at.button(key=f"today_later_{okafor}").click().run()
    at.text_input(key="today_query").input("Shah").run()
    at.button(key="today_next").click().run()
    at.button(key="today_now").click().run()
    assert at.date_input(key="today_day").value == SEED_TODAY
    assert at.text_input(key="today_query").value == ""
    assert at.button(key=f"today_later_{okafor}").label.startswith("Show ")


# --- late arrivals -----------------------------------------------------------------------------


def test_a_patient_not_checked_in_minutes_after_their_start_is_marked_late(signed_in, app_env, at_clock):
    at_clock(8, 20)
    at = open_today(signed_in)
    late = row_at(app_env, 8, 0, "Daniel Reyes, NP")
    just_due = row_at(app_env, 8, 15)  # five minutes is not late yet
    assert markdown_with(at, "Late 20 min") and len(markdown_with(at, "Late 20 min")) == 3
    assert not markdown_with(at, "Late 5 min")
    assert tile(at, "Late") == "3"
    assert just_due.status in ("scheduled", "confirmed")
    at.button(key=f"checkin_{late.id}").click().run()
    at.run()  # the whole page again (the click itself redrew only that provider's part and the tiles)
    assert len(markdown_with(at, "Late 20 min")) == 2
    assert tile(at, "Late") == "2"


# --- status buttons ----------------------------------------------------------------------------


def test_checking_in_records_the_arrival_and_puts_the_patient_in_the_waiting_room(signed_in, app_env):
    at = open_today(signed_in)
    row = row_at(app_env, 8, 0, "Daniel Reyes, NP")
    assert not markdown_with(at, md(row.patient), "just arrived")
    at.button(key=f"checkin_{row.id}").click().run()
    assert not at.exception
    after = saved(app_env, row.id)
    assert after.status == "checked_in" and after.arrived_at == CLOCK
    assert markdown_with(at, f"**{md(row.patient)}**", "just arrived")
    assert any("Checked in" in t.value for t in at.toast)
    assert tile(at, "Waiting") == "1"
    keys = button_keys(at)
    assert f"checkin_{row.id}" not in keys
    assert {f"start_{row.id}", f"complete_{row.id}"} <= keys


def test_a_click_reruns_only_its_providers_part_and_the_tiles_not_the_whole_page(signed_in, app_env, monkeypatch):
    at = open_today(signed_in)
    row = row_at(app_env, 8, 0, "Daniel Reyes, NP")
    page_wide = []  # only the whole page's run reads the working hours (for the gaps)
    real = availability.hours_by_provider
    monkeypatch.setattr(availability, "hours_by_provider", lambda conn: page_wide.append(1) or real(conn))
    at.button(key=f"checkin_{row.id}").click().run()
    assert saved(app_env, row.id).status == "checked_in"
    assert tile(at, "Waiting") == "1" and markdown_with(at, "just arrived")
    assert page_wide == []
    at.run()
    at.button(key="today_next").click().run()  # a control of the page itself reruns it all
    assert page_wide


def test_taking_a_patient_in_ends_their_wait_and_completing_finishes_the_visit(signed_in, app_env):
    at = open_today(signed_in)
    row = row_at(app_env, 8, 0, "Dr. Amara Okafor")
    at.button(key=f"checkin_{row.id}").click().run()
    at.button(key=f"start_{row.id}").click().run()
    assert saved(app_env, row.id).started_at == CLOCK
    assert not markdown_with(at, f"**{md(row.patient)}**", "just arrived")
    assert tile(at, "With provider") == "1"
    assert f"start_{row.id}" not in button_keys(at)
    at.button(key=f"complete_{row.id}").click().run()
    assert saved(app_env, row.id).status == "completed"
    assert {k for k in button_keys(at) if k.endswith(f"_{row.id}")} == {f"undo_{row.id}"}


def test_no_show_waits_for_the_grace_period_and_asks_to_confirm(signed_in, app_env, at_clock):
    at_clock(8, 20)
    at = open_today(signed_in)
    due, too_soon = row_at(app_env, 8, 0, "Daniel Reyes, NP"), row_at(app_env, 8, 15)
    early = at.button(key=f"noshow_{too_soon.id}")
    assert early.disabled and "Possible from 08:30" in early.help
    assert not at.button(key=f"noshow_{due.id}").disabled
    at.button(key=f"noshow_{due.id}").click().run()
    assert saved(app_env, due.id).status == "scheduled"  # asked, not done
    assert markdown_with(at, "as a no-show?")
    at.button(key=f"noshow_keep_{due.id}").click().run()
    assert saved(app_env, due.id).status == "scheduled"
    assert f"noshow_yes_{due.id}" not in button_keys(at)
    at.button(key=f"noshow_{due.id}").click().run()
    at.button(key=f"noshow_yes_{due.id}").click().run()
    assert saved(app_env, due.id).status == "no_show"
    assert {k for k in button_keys(at) if k.endswith(f"_{due.id}")} == {f"checkin_{due.id}", f"undo_{due.id}"}


def test_a_mistaken_no_show_is_undone_with_a_reason_and_no_invented_arrival(signed_in, app_env, at_clock):
    at_clock(8, 20)
    row = row_at(app_env, 8, 0, "Daniel Reyes, NP")
    change_elsewhere(app_env, row.id, "no_show")
    at = open_today(signed_in)
    at.button(key=f"undo_{row.id}").click().run()
    at.button(key=f"undo_yes_{row.id}").click().run()  # no reason typed
    assert [e.value for e in at.error] == ["Say why the no-show is undone."]
    assert saved(app_env, row.id).status == "no_show"
    at.text_input(key=f"undo_reason_{row.id}").input("Marked the wrong patient").run()
    at.button(key=f"undo_yes_{row.id}").click().run()
    after = saved(app_env, row.id)
    assert (after.status, after.arrived_at) == ("scheduled", None)
    with database(app_env) as conn:
        history = appointments.events_for(conn, row.id)
    assert history.iloc[-1]["reason"] == "Marked the wrong patient"
    assert f"checkin_{row.id}" in button_keys(at)


def test_a_mistaken_completion_is_undone_back_to_checked_in(signed_in, app_env):
    row = row_at(app_env, 8, 0, "Dr. Amara Okafor")
    change_elsewhere(app_env, row.id, "checked_in", now=local(7, 25))
    change_elsewhere(app_env, row.id, "completed")
    at = open_today(signed_in)
    at.button(key=f"undo_{row.id}").click().run()
    at.text_input(key=f"undo_reason_{row.id}").input("Still with the doctor").run()
    at.button(key=f"undo_yes_{row.id}").click().run()
    after = saved(app_env, row.id)
    assert (after.status, after.arrived_at) == ("checked_in", local(7, 25))
    assert f"complete_{row.id}" in button_keys(at)


def test_moves_the_status_table_forbids_are_not_offered(signed_in, app_env):
    at = open_today(signed_in)
    keys = button_keys(at)
    scheduled = row_at(app_env, 8, 0, "Daniel Reyes, NP").id
    assert f"complete_{scheduled}" not in keys and f"start_{scheduled}" not in keys
    cancelled = [r.id for r in day_rows(app_env, include_cancelled=True) if r.status == "cancelled"]
    assert cancelled
    assert not {k for k in keys for i in cancelled if k.endswith(f"_{i}")}
    assert not [k for k in keys if k.startswith(("cancel", "confirm"))]


def test_a_click_on_a_row_changed_elsewhere_says_why_next_to_it_and_changes_nothing(signed_in, app_env, at_clock):
    at_clock(8, 20)
    at = open_today(signed_in)
    row = row_at(app_env, 8, 0, "Daniel Reyes, NP")
    at.button(key=f"noshow_{row.id}").click().run()
    change_elsewhere(app_env, row.id, "checked_in")  # the patient arrives at the other desk meanwhile
    at.button(key=f"noshow_yes_{row.id}").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["A checked in appointment cannot be marked no-show."]
    assert saved(app_env, row.id).status == "checked_in"
    assert f"start_{row.id}" in button_keys(at)


def test_a_click_on_a_visit_cancelled_elsewhere_names_the_patient_and_changes_nothing(signed_in, app_env):
    at = open_today(signed_in)
    row = row_at(app_env, 8, 0, "Daniel Reyes, NP")
    change_elsewhere(app_env, row.id, "cancelled", reason="Called to cancel")
    at.button(key=f"checkin_{row.id}").click().run()
    assert not at.exception
    message = "A cancelled appointment cannot be marked checked in."
    assert [e.value for e in at.error] == [f"{md(row.patient)}: {message}"]
    assert saved(app_env, row.id).status == "cancelled"


# --- finding a patient, and their file ----------------------------------------------------------


def test_the_name_filter_shows_only_that_patients_visits_all_day(signed_in, app_env):
    at = open_today(signed_in)
    at.text_input(key="today_query").input("sakura").run()
    sakuras = [r for r in day_rows(app_env) if "Sakura" in r.patient]
    assert len(sakuras) >= 3 and any(r.start_at >= local(11) for r in sakuras)  # later ones too
    assert {f"checkin_{r.id}" for r in sakuras} == {k for k in button_keys(at) if k.startswith("checkin_")}
    assert set(links(at)) == {md(r.patient) for r in sakuras}
    # By MRN (every visit of that one patient), and a name nobody has.
    at.text_input(key="today_query").input(sakuras[0].mrn).run()
    assert {k for k in button_keys(at) if k.startswith("checkin_")} == {
        f"checkin_{r.id}" for r in sakuras if r.patient_id == sakuras[0].patient_id}
    at.text_input(key="today_query").input("Nobodyhere").run()
    assert any("No visit on this day for a patient matching" in i.value for i in at.info)
    assert not [k for k in button_keys(at) if k.startswith("checkin_")]


def test_each_row_links_to_the_patients_file(signed_in, app_env):
    at = open_today(signed_in)
    shown = [r for r in day_rows(app_env) if r.start_at < local(8, 30)]
    assert links(at) == {md(r.patient): f"patient={r.patient_id}" for r in shown}
    assert all(link.proto.page == "patients" for link in at.get("page_link"))


# --- whose day, which day ----------------------------------------------------------------------


def test_a_clinician_sees_their_own_day_and_acts_only_on_their_own_patients(signed_in, app_env):
    with database(app_env) as conn:
        own = providers.for_user(conn, user_id_for(app_env, "doctor"))
    at = open_today(signed_in, "clinician")
    assert at.selectbox(key="today_provider").value == own.id
    at.button(key=f"today_later_{own.id}").click().run()
    mine = day_rows(app_env, provider_id=own.id)
    others = [r for r in day_rows(app_env) if r.provider_id != own.id]
    assert markdown_with(at, f"#### {md(own.name)}")
    assert not markdown_with(at, f"#### {md(others[0].provider)}")
    assert {f"checkin_{r.id}" for r in mine} <= button_keys(at)
    # With every provider shown, the others' rows are there to read, without buttons.
    at.selectbox(key="today_provider").select(0).run()
    assert markdown_with(at, f"#### {md(others[0].provider)}")
    assert not {k for k in button_keys(at) for r in others if k.endswith(f"_{r.id}")}


def next_weekday_after_today(skip=3):
    today = timeutil.today(TZ)
    closed = public_holidays("US", "NY", [today.year, today.year + 1])
    return frontdesk.reminder_day(today, skip, frontdesk.working_day_test(range(5), closed))


def gap_labels(at, provider_id):
    return list(at.pills(key=f"gaps_{provider_id}").options)


def test_a_day_ahead_shows_its_bookings_and_free_gaps_but_no_check_in_yet(signed_in, app_env):
    day = next_weekday_after_today(skip=15)  # past the seeded bookings (two weeks ahead)
    with database(app_env) as conn:
        okafor = db.read_one(conn, "SELECT id FROM providers WHERE name = 'Dr. Amara Okafor'")[0]
        appointment_id = make_appointment(conn, provider_id=okafor, patient_id=make_patient(conn, last_name="Ahead"),
                                          start_at=local(10, 0, day), minutes=15)
    at = open_today(signed_in, day=day)
    assert any(label.startswith("Ahead") for label in links(at))
    assert f"checkin_{appointment_id}" not in button_keys(at)
    assert any("Check-in opens on the day" in c.value for c in at.caption)
    assert gap_labels(at, okafor)[:2] == ["08:00–10:00 · 120 min", "10:15–12:00 · 105 min"]


def test_a_bookable_gap_opens_the_booking_with_the_slot_filled_in(signed_in, app_env):
    day = next_weekday_after_today(skip=15)
    with database(app_env) as conn:
        okafor = db.read_one(conn, "SELECT id FROM providers WHERE name = 'Dr. Amara Okafor'")[0]
        make_appointment(conn, provider_id=okafor, start_at=local(10, 0, day), minutes=15)
    at = open_today(signed_in, day=day)
    at.pills(key=f"gaps_{okafor}").set_value(1).run()  # 10:15–12:00
    assert not at.exception
    assert at.date_input(key="bk_date").value == day
    assert at.time_input(key="bk_time").value == time(10, 15)
    assert at.selectbox(key="bk_provider").value == okafor
    # The chip lets go, so the same gap can be picked again later.
    assert at.pills(key=f"gaps_{okafor}").value is None


def test_time_off_is_not_offered_as_a_gap_for_any_provider_shown(signed_in, app_env):
    day = next_weekday_after_today(skip=15)
    with database(app_env) as conn:
        names = dict(db.read(conn, "SELECT name, id FROM providers WHERE active"))
        okafor = names["Dr. Amara Okafor"]
        availability.add_time_off(conn, okafor, local(8, 0, day), local(11, 0, day), "Conference", by="test")
    at = open_today(signed_in, day=day)
    okafor_gaps = gap_labels(at, okafor)
    assert okafor_gaps[0] == "11:00–12:00 · 60 min"
    assert not [g for g in okafor_gaps if g.startswith("08:00")]
    # Only Dr. Okafor is away: a colleague working that morning keeps it free.
    assert any(gap_labels(at, pid)[0].startswith("08:00–") for n, pid in names.items() if n != "Dr. Amara Okafor")


def test_a_past_day_offers_no_gaps(signed_in, app_env):
    at = open_today(signed_in, day=SEED_TODAY - timedelta(days=3))
    assert any(c.value == "This day is over." for c in at.caption)
    assert not list(at.pills)


def test_the_page_opens_on_the_clinics_today(signed_in):
    at = signed_in("front_desk").run()
    at.switch_page("pages/today.py").run()
    assert not at.exception
    assert at.date_input(key="today_day").value == SEED_TODAY


def test_an_address_with_a_day_opens_that_day_and_the_address_follows_the_day_shown(signed_in):
    at = signed_in("front_desk")
    at.query_params["day"] = "2026-03-04"
    at.run()
    at.switch_page("pages/today.py")
    at.query_params["day"] = "2026-03-04"
    at.run()
    assert at.date_input(key="today_day").value == SEED_TODAY + timedelta(days=2)
    at.button(key="today_next").click().run()
    assert at.date_input(key="today_day").value == SEED_TODAY + timedelta(days=3)
    assert at.query_params["day"] == ["2026-03-05"] or at.query_params["day"] == "2026-03-05"


def test_an_address_with_a_day_that_is_not_a_date_says_so_and_shows_today(signed_in):
    at = signed_in("front_desk").run()
    at.switch_page("pages/today.py")
    at.query_params["day"] = "03/04/2026"
    at.run()
    assert any("which is not a date written" in w.value for w in at.warning)
    assert at.date_input(key="today_day").value == SEED_TODAY


@pytest.mark.parametrize("key, shift", [("today_prev", -1), ("today_next", 1)])
def test_the_arrows_move_one_day(signed_in, key, shift):
    at = open_today(signed_in)
    at.button(key=key).click().run()
    assert at.date_input(key="today_day").value == SEED_TODAY + timedelta(days=shift)


def test_a_visit_likely_to_be_missed_carries_a_risk_marker_with_its_reasons(signed_in, app_env):
    habitual = row_at(app_env, 8, 0, "Daniel Reyes, NP")
    with database(app_env) as conn:  # booked 40 days ahead, for a patient who missed all five
        patient_id = make_patient(conn)
        conn.execute("UPDATE appointments SET patient_id = ?, booked_at = start_at - INTERVAL 40 DAY WHERE id = ?",
                     [patient_id, habitual.id])
        for weeks in range(1, 6):
            make_appointment(conn, patient_id=patient_id, provider_id=habitual.provider_id,
                             type_id=habitual.type_id, start_at=habitual.start_at - timedelta(weeks=weeks),
                             status="no_show")
    at = open_today(signed_in)
    (marked,) = [m for m in at.container(key=f"today_row_{habitual.id}").markdown if "no-show risk" in m.value]
    assert ":red-badge[:material/warning: High no-show risk]" in marked.value
    assert "5 of 5 missed" in marked.proto.help
    # A low risk is not marked: most of the morning's visits carry no marker.
    shown = [r for r in day_rows(app_env) if r.start_at < local(8, 30)]
    quiet = [r for r in shown
             if not any("no-show risk" in m.value for m in at.container(key=f"today_row_{r.id}").markdown)]
    assert len(quiet) >= len(shown) // 2
