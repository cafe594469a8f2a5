"""Waitlist through the real app: add a patient, take them off, offer a free slot and book it."""

from __future__ import annotations

from datetime import datetime, time

import pytest

import db
from clinic import timeutil
from db import appointments, waitlist
from tests.conftest import SEED_TODAY, TZ, database, make_patient, make_provider, query


@pytest.fixture(autouse=True)
def clinic_morning(clinic_clock):
    """The seeded Monday at 07:00 clinic time, whatever the wall clock says."""
    clinic_clock(timeutil.local_to_utc(datetime.combine(SEED_TODAY, time(7)), TZ))


def open_waitlist(signed_in, role="front_desk"):
    at = signed_in(role).run()
    at.switch_page("pages/waitlist.py").run()
    assert not at.exception, at.exception
    return at


def ids(path, sql, params=()):
    return [r[0] for r in query(path, sql, params)]


def add_entry(path, *, days=None, provider="Dr. Amara Okafor", last_name="Waiting", earliest=None, latest=None):
    with database(path) as conn:
        patient_id = make_patient(conn, last_name=last_name)
        type_id = db.read_one(conn, "SELECT id FROM visit_types WHERE name = 'Follow-up'")[0]
        provider_id = db.read_one(conn, "SELECT id FROM providers WHERE name = ?", [provider])[0] if provider else None
        entry_id = waitlist.add(conn, patient_id=patient_id, type_id=type_id, provider_id=provider_id,
                                preferred_days=days, earliest_start=earliest, latest_start=latest,
                                note="Mornings are best", by="test")
    return entry_id, patient_id


def offered_times(keys) -> list[datetime]:
    """The clinic-local start of each offer button (its key ends in YYYYmmddHHMM)."""
    return [datetime.strptime(k.rsplit("_", 1)[1], "%Y%m%d%H%M") for k in keys]


def offer_keys(at, entry_id):
    return [b.key for b in at.button if b.key and b.key.startswith(f"offer_{entry_id}_")]


def choose(at, entry_id):
    at.selectbox(key="waitlist_entry").select(entry_id).run()
    assert not at.exception
    return at


def test_a_patient_found_by_name_is_added_with_their_preferred_days(signed_in, app_env):
    with database(app_env) as conn:
        patient_id = make_patient(conn, first_name="Wanda", last_name="Listerine")
        type_id = db.read_one(conn, "SELECT id FROM visit_types WHERE name = 'Annual physical'")[0]
    at = open_waitlist(signed_in)
    at.text_input(key="wl_search").input("Listerine").run()
    at.button(key=f"wl_search_pick_{patient_id}").click().run()
    at.selectbox(key="wl_type").select(type_id).run()
    at.multiselect(key="wl_days").select(0).select(2).run()
    at.text_input(key="wl_note").input("Mornings only").run()
    at.button(key="wl_add").click().run()
    assert not at.exception
    rows = query(app_env, "SELECT type_id, provider_id, preferred_days, note, status FROM waitlist"
                          " WHERE patient_id = ?", [patient_id])
    assert rows == [(type_id, None, "0,2", "Mornings only", "waiting")]
    assert any("Added Listerine, Wanda to the waitlist" in s.value for s in at.success)
    table = at.dataframe[0].value
    added = table[table["patient"] == "Listerine, Wanda"].iloc[0]
    assert (added["days"], added["provider"], added["visit_type"]) == ("Mon, Wed", "Any provider", "Annual physical")
    # The form is ready for the next caller, and the new entry is the one offered a slot.
    assert at.text_input(key="wl_search").value == ""
    assert at.selectbox(key="waitlist_entry").value == ids(app_env, "SELECT id FROM waitlist WHERE patient_id = ?",
                                                           [patient_id])[0]


def test_adding_without_choosing_a_patient_says_so_and_writes_nothing(signed_in, app_env):
    before = ids(app_env, "SELECT count(*) FROM waitlist")
    at = open_waitlist(signed_in)
    at.text_input(key="wl_note").input("Someone called").run()
    at.button(key="wl_add").click().run()
    assert [e.value for e in at.error] == ["Find the patient and choose them."]
    assert ids(app_env, "SELECT count(*) FROM waitlist") == before
    assert at.text_input(key="wl_note").value == "Someone called"


def test_taking_a_patient_off_the_waitlist(signed_in, app_env):
    entry_id, _ = add_entry(app_env, last_name="Leaving")
    at = choose(open_waitlist(signed_in), entry_id)
    at.button(key=f"remove_{entry_id}").click().run()
    assert not at.exception
    assert ids(app_env, "SELECT status FROM waitlist WHERE id = ?", [entry_id]) == ["removed"]
    assert "Leaving, Alex" not in set(at.dataframe[0].value["patient"])
    assert any("Took Leaving, Alex off the waitlist" in s.value for s in at.success)


def test_offering_a_slot_books_it_and_closes_the_entry(signed_in, app_env):
    entry_id, patient_id = add_entry(app_env)
    at = choose(open_waitlist(signed_in), entry_id)
    keys = offer_keys(at, entry_id)
    assert 0 < len(keys) <= 10
    at.button(key=keys[0]).click().run()
    assert not at.exception
    booked = query(app_env, "SELECT a.id, pr.name, a.status, a.notes FROM appointments a"
                            " JOIN providers pr ON pr.id = a.provider_id WHERE a.patient_id = ?", [patient_id])
    assert [(name, status, notes) for _, name, status, notes in booked] == [
        ("Dr. Amara Okafor", "scheduled", "Mornings are best")]
    assert query(app_env, "SELECT status, appointment_id FROM waitlist WHERE id = ?", [entry_id]) == [
        ("booked", booked[0][0])]
    assert any("Booked Waiting, Alex with Dr\\. Amara Okafor" in s.value for s in at.success)
    # The booked time is the one on the button that was clicked.
    start = query(app_env, "SELECT start_at FROM appointments WHERE id = ?", [booked[0][0]])[0][0]
    assert keys[0].endswith(f"{timeutil.to_local(start, TZ):%Y%m%d%H%M}")


def test_offered_slots_fall_on_the_patients_preferred_days(signed_in, app_env):
    entry_id, _ = add_entry(app_env, days=[2], provider=None, last_name="Wednesday")
    at = choose(open_waitlist(signed_in), entry_id)
    keys = offer_keys(at, entry_id)
    assert keys
    assert {datetime.strptime(k.rsplit("_", 1)[1], "%Y%m%d%H%M").weekday() for k in keys} == {2}
    assert any("on their preferred days" in c.value for c in at.caption)


def test_a_slot_taken_meanwhile_is_refused_and_the_entry_stays_waiting(signed_in, app_env):
    entry_id, patient_id = add_entry(app_env, last_name="Unlucky")
    at = choose(open_waitlist(signed_in), entry_id)
    key = offer_keys(at, entry_id)[0]
    # Another desk books someone else into that very slot first.
    with database(app_env) as conn:
        _, _, provider_id, stamp = key.split("_")
        start = timeutil.local_to_utc(datetime.strptime(stamp, "%Y%m%d%H%M"), TZ)
        type_id = db.read_one(conn, "SELECT id FROM visit_types WHERE name = 'Follow-up'")[0]
        appointments.book(conn, patient_id=make_patient(conn), provider_id=int(provider_id), type_id=type_id,
                          start=start, user="test")
    at.button(key=key).click().run()
    assert not at.exception
    assert any("already has a patient" in e.value for e in at.error)
    assert query(app_env, "SELECT count(*) FROM appointments WHERE patient_id = ?", [patient_id]) == [(0,)]
    assert ids(app_env, "SELECT status FROM waitlist WHERE id = ?", [entry_id]) == ["waiting"]


def test_an_entry_taken_off_the_list_at_another_desk_is_not_booked(signed_in, app_env):
    entry_id, patient_id = add_entry(app_env, last_name="Gone")
    at = choose(open_waitlist(signed_in), entry_id)
    key = offer_keys(at, entry_id)[0]
    with database(app_env) as conn:
        waitlist.remove(conn, entry_id, by="test")
    at.button(key=key).click().run()
    assert not at.exception
    assert any("already dealt with" in e.value for e in at.error)
    assert query(app_env, "SELECT count(*) FROM appointments WHERE patient_id = ?", [patient_id]) == [(0,)]


# --- preferred days and start times --------------------------------------------------------------


def fill_add_form(at, app_env, *, last_name: str, days=(), earliest=None, latest=None, note=""):
    with database(app_env) as conn:
        patient_id = make_patient(conn, first_name="Pat", last_name=last_name)
    at.text_input(key="wl_search").input(last_name).run()
    at.button(key=f"wl_search_pick_{patient_id}").click().run()
    okafor = query(app_env, "SELECT id FROM providers WHERE name = 'Dr. Amara Okafor'")[0][0]
    at.selectbox(key="wl_provider").select(okafor).run()
    for day in days:
        at.multiselect(key="wl_days").select(day)
    at.time_input(key="wl_earliest").set_value(earliest)
    at.time_input(key="wl_latest").set_value(latest)
    at.text_input(key="wl_note").input(note).run()
    return patient_id


def test_preferred_days_and_start_times_are_saved_listed_and_every_offer_keeps_to_them(signed_in, app_env):
    at = open_waitlist(signed_in)
    patient_id = fill_add_form(at, app_env, last_name="Afternoons", days=(0, 2), earliest=time(15), latest=time(16),
                               note="Call the mobile first")
    at.button(key="wl_add").click().run()
    assert not at.exception
    assert query(app_env, "SELECT preferred_days, earliest_start, latest_start, note FROM waitlist"
                          " WHERE patient_id = ?", [patient_id]) == [("0,2", time(15), time(16), "Call the mobile first")]
    table = at.dataframe[0].value
    row = table[table["patient"] == "Afternoons, Pat"].iloc[0]
    assert (row["days"], row["times"]) == ("Mon, Wed", "15:00–16:00")
    entry_id = at.selectbox(key="waitlist_entry").value
    starts = offered_times(offer_keys(at, entry_id))
    assert len(starts) == 10
    assert all(s.weekday() in (0, 2) and time(15) <= s.time() <= time(16) for s in starts), starts
    assert any("on their preferred days and times (Mon, Wed · 15:00–16:00)" in c.value for c in at.caption)


def test_an_entry_for_after_three_is_offered_three_oclock_and_never_a_quarter_to(signed_in, app_env):
    with database(app_env) as conn:
        make_provider(conn, name="Dr. Quiet")  # free all week, 08:00-12:00 and 13:00-17:00
    entry_id, _ = add_entry(app_env, provider="Dr. Quiet", earliest=time(15), last_name="Afterthree")
    at = choose(open_waitlist(signed_in), entry_id)
    starts = offered_times(offer_keys(at, entry_id))
    assert starts[:2] == [datetime.combine(SEED_TODAY, time(15)), datetime.combine(SEED_TODAY, time(15, 15))]
    assert min(s.time() for s in starts) >= time(15)


def test_a_window_that_ends_before_it_starts_is_refused_next_to_the_field_and_keeps_what_was_typed(signed_in,
                                                                                                  app_env):
    before = query(app_env, "SELECT count(*) FROM waitlist")
    at = open_waitlist(signed_in)
    fill_add_form(at, app_env, last_name="Backwards", earliest=time(15), latest=time(14), note="keep me")
    at.button(key="wl_add").click().run()
    assert [e.value for e in at.error] == ["The latest start must be later than the earliest start."]
    assert query(app_env, "SELECT count(*) FROM waitlist") == before
    assert (at.time_input(key="wl_earliest").value, at.time_input(key="wl_latest").value) == (time(15), time(14))
    assert at.text_input(key="wl_note").value == "keep me"


def test_days_and_times_outside_the_providers_hours_are_each_refused_next_to_their_field(signed_in, app_env):
    before = query(app_env, "SELECT count(*) FROM waitlist")
    at = open_waitlist(signed_in)
    fill_add_form(at, app_env, last_name="Weekend", days=(5,), earliest=None, latest=time(18, 30))
    at.button(key="wl_add").click().run()
    errors = [e.value for e in at.error]
    assert "Dr. Amara Okafor does not see patients on Saturday: choose other days." in errors
    assert len(errors) == 1, "no hours on the chosen days: the days are what to fix first"
    at.multiselect(key="wl_days").unselect(5).run()
    at.button(key="wl_add").click().run()
    assert [e.value for e in at.error] == ["Choose a start time within Dr. Amara Okafor’s hours (08:00–17:00)."]
    assert query(app_env, "SELECT count(*) FROM waitlist") == before


def test_every_field_at_fault_is_named_at_once(signed_in, app_env):
    at = open_waitlist(signed_in)
    at.time_input(key="wl_earliest").set_value(time(16))
    at.time_input(key="wl_latest").set_value(time(9)).run()
    at.button(key="wl_add").click().run()
    assert sorted(e.value for e in at.error) == ["Find the patient and choose them.",
                                                 "The latest start must be later than the earliest start."]


def test_with_nothing_free_in_their_window_the_desk_can_look_at_other_times_and_back(signed_in, app_env):
    # An entry whose window no longer meets the provider's hours (the hours changed since).
    entry_id, patient_id = add_entry(app_env, last_name="Evening")
    with database(app_env) as conn:
        conn.cursor().execute("UPDATE waitlist SET earliest_start = '19:00', latest_start = '20:00' WHERE id = ?",
                              [entry_id])
    at = choose(open_waitlist(signed_in), entry_id)
    assert offer_keys(at, entry_id) == []
    nothing = "Nothing free on their preferred days and times (Any day · 19:00–20:00)"
    assert any(nothing in w.value for w in at.warning)
    at.button(key=f"wl_other_{entry_id}").click().run()
    keys = offer_keys(at, entry_id)
    assert keys and any("Outside their preferences" in w.value for w in at.warning)
    at.button(key=f"wl_keep_{entry_id}").click().run()
    assert offer_keys(at, entry_id) == []
