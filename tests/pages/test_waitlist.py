"""Waitlist through the real app: add a patient, take them off, offer a free slot and book it."""

from __future__ import annotations

from datetime import datetime, time

import pytest

import db
from clinic import timeutil
from db import appointments, waitlist
from tests.conftest import SEED_TODAY, TZ, database, make_patient, query


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


def add_entry(path, *, days=None, provider="Dr. Amara Okafor", last_name="Waiting"):
    with database(path) as conn:
        patient_id = make_patient(conn, last_name=last_name)
        type_id = db.read_one(conn, "SELECT id FROM visit_types WHERE name = 'Follow-up'")[0]
        provider_id = db.read_one(conn, "SELECT id FROM providers WHERE name = ?", [provider])[0] if provider else None
        entry_id = waitlist.add(conn, patient_id=patient_id, type_id=type_id, provider_id=provider_id,
                                preferred_days=days, note="Mornings are best", by="test")
    return entry_id, patient_id


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
