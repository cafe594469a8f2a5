"""Day sheet through the real app (AppTest), on the seeded database (SEED_TODAY = 2026-03-02),
with the clinic clock set to that Monday morning whatever the wall clock says."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from pathlib import Path

import pytest

import db
from clinic import timeutil
from tests.conftest import SEED_TODAY, TZ, database, make_appointment, make_patient, user_id_for


@pytest.fixture(autouse=True)
def seeded_monday(clinic_clock):
    clinic_clock(timeutil.local_to_utc(datetime.combine(SEED_TODAY, time(7)), TZ))


def open_day_sheet(signed_in, role, day: date | None = SEED_TODAY):
    at = signed_in(role).run()
    at.switch_page("pages/day_sheet.py").run()
    assert not at.exception
    if day is not None:
        at.date_input(key="day_sheet_day").set_value(day).run()
        assert not at.exception
    return at


def doctor_provider_id(path: Path) -> int:
    from db import providers

    with database(path) as conn:
        return providers.for_user(conn, user_id_for(path, "doctor")).id


def expected_patients(path: Path, provider_id: int, day: date) -> list[str]:
    from db import appointments

    with database(path) as conn:
        rows = appointments.list_rows(conn, *timeutil.day_bounds(day, TZ), provider_id=provider_id)
    return [r.patient for r in rows]


def shown_patients(at) -> list[str]:
    return list(at.dataframe[0].value["Patient"])


def test_a_clinician_sees_their_own_patients_for_the_day_in_time_order(signed_in, app_env):
    provider_id = doctor_provider_id(app_env)
    expected = expected_patients(app_env, provider_id, SEED_TODAY)
    assert len(expected) > 3
    at = open_day_sheet(signed_in, "clinician")
    assert at.selectbox(key="day_sheet_provider").value == provider_id
    assert shown_patients(at) == expected
    times = list(at.dataframe[0].value["Time"])
    assert times == sorted(times)
    assert "Amara Okafor" in at.subheader[0].value and "Monday 2 March 2026" in at.subheader[0].value
    assert f"{len(expected)} patients" in at.caption[0].value


def test_the_day_is_written_month_day_year_like_everywhere_else(signed_in):
    at = open_day_sheet(signed_in, "clinician")
    assert at.date_input(key="day_sheet_day").proto.format == "MM/DD/YYYY"


def test_an_empty_cell_shows_a_dash_never_none(signed_in, app_env):
    provider_id = doctor_provider_id(app_env)
    with database(app_env) as conn:
        patient = make_patient(conn, last_name="Noreason")
        start = timeutil.local_to_utc(datetime.combine(SEED_TODAY, time(7, 5)), TZ)
        make_appointment(conn, provider_id=provider_id, patient_id=patient, start_at=start, reason=None)
    at = open_day_sheet(signed_in, "clinician")
    table = at.dataframe[0].value
    line = table[table["Patient"].str.startswith("Noreason")].iloc[0]
    assert line["Reason"] == "—"
    assert "None" not in table.astype(str).to_numpy().ravel().tolist()


def test_the_day_defaults_to_the_clinic_today(signed_in):
    at = open_day_sheet(signed_in, "clinician", day=None)
    assert at.date_input(key="day_sheet_day").value == SEED_TODAY


def test_cancelled_visits_are_left_off_and_a_new_baby_is_flagged_with_an_age_in_months(signed_in, app_env):
    provider_id = doctor_provider_id(app_env)
    with database(app_env) as conn:
        baby = make_patient(conn, first_name="Nia", last_name="Newcomer", date_of_birth=date(2024, 9, 15))
        make_appointment(conn, patient_id=baby, provider_id=provider_id, reason="First check-up",
                         start_at=datetime(2026, 3, 2, 17, 30, tzinfo=timezone.utc))
        gone = make_patient(conn, first_name="Carla", last_name="Cancelled")
        make_appointment(conn, patient_id=gone, provider_id=provider_id, status="cancelled",
                         start_at=datetime(2026, 3, 2, 17, 45, tzinfo=timezone.utc))
    at = open_day_sheet(signed_in, "clinician")
    table = at.dataframe[0].value
    assert "Cancelled, Carla" not in set(table["Patient"])
    (nia,) = table[table["Patient"] == "Newcomer, Nia"].to_dict("records")
    assert nia["Time"] == "12:30–12:45"
    assert nia["Age"] == "17 mo"
    assert bool(nia["New patient"])
    assert nia["Reason"] == "First check-up"
    assert nia["Status"] == "Scheduled"
    assert nia["Alerts"] == ""


def test_a_patients_allergies_show_in_the_alerts_column(signed_in, app_env):
    provider_id = doctor_provider_id(app_env)
    with database(app_env) as conn:
        patient = make_patient(conn, first_name="Al", last_name="Lergic")
        conn.execute("UPDATE patients SET allergies = 'Penicillin' WHERE id = ?", [patient])
        make_appointment(conn, patient_id=patient, provider_id=provider_id,
                         start_at=datetime(2026, 3, 2, 17, 30, tzinfo=timezone.utc))
    table = open_day_sheet(signed_in, "clinician").dataframe[0].value
    (row,) = table[table["Patient"] == "Lergic, Al"].to_dict("records")
    assert row["Alerts"] == "Allergy: Penicillin"


def test_the_sheet_offers_the_printable_pdf_and_the_schedule_file(signed_in):
    at = open_day_sheet(signed_in, "clinician")
    labels = [b.label for b in at.download_button]
    assert labels == ["Download day sheet (PDF)", "Download schedule (.ics)"]
    at.radio(key="day_sheet_span").set_value("week").run()
    assert not at.exception
    assert [b.label for b in at.download_button] == labels


def test_the_front_desk_chooses_the_provider_before_seeing_a_sheet(signed_in, app_env):
    at = open_day_sheet(signed_in, "front_desk")
    assert at.selectbox(key="day_sheet_provider").value is None
    assert any("Choose a provider" in i.value for i in at.info)
    assert len(at.dataframe) == 0 and len(at.download_button) == 0
    provider_id = doctor_provider_id(app_env)
    at.selectbox(key="day_sheet_provider").select(provider_id).run()
    assert shown_patients(at) == expected_patients(app_env, provider_id, SEED_TODAY)
    assert len(at.download_button) == 2


def test_a_day_without_patients_says_so_and_still_offers_the_downloads(signed_in):
    at = open_day_sheet(signed_in, "clinician", day=date(2026, 3, 1))  # a Sunday
    assert len(at.dataframe) == 0
    assert any("No patients are booked" in i.value for i in at.info)
    assert len(at.download_button) == 2


def _one_appointment_button(path: str, appointment_id: int) -> None:
    import db as database
    from components.downloads import appointment_ics_button

    appointment_ics_button(database.connect(path), appointment_id, key="ics")


def test_any_page_can_offer_one_appointment_as_a_calendar_file(app_env):
    from streamlit.testing.v1 import AppTest

    with database(app_env) as conn:
        appointment_id = db.read_one(conn, "SELECT min(id) FROM appointments")[0]
    at = AppTest.from_function(_one_appointment_button, args=(str(app_env), appointment_id), default_timeout=30).run()
    assert not at.exception
    assert [b.label for b in at.download_button] == ["Add to calendar (.ics)"]
    missing = AppTest.from_function(_one_appointment_button, args=(str(app_env), 10**9), default_timeout=30).run()
    assert not missing.exception
    assert len(missing.download_button) == 0
