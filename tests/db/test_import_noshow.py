"""Importing the public no-show CSV: a 22-row file in its format (tests/data/noshow_sample.csv)."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import db
from clinic.errors import ClinicError, NotAllowed
from db import settings
from db.imports import imports_dir, noshow
from tests.conftest import make_user

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "noshow_sample.csv"


@pytest.fixture
def sample(conn) -> Path:
    """The sample copied where the app puts uploads (a folder DuckDB may read when locked down)."""
    target = imports_dir(conn) / "noshow_sample.csv"
    shutil.copyfile(SAMPLE, target)
    return target


def appointment(conn, external_id: str) -> dict:
    row = db.read(conn, "SELECT a.status, a.start_at, a.end_at, a.booked_at, a.reminder_sent, a.notes,"
                        " p.external_id, p.sex, p.date_of_birth, p.first_name || ' ' || p.last_name, p.conditions"
                        " FROM appointments a JOIN patients p ON p.id = a.patient_id"
                        " WHERE a.import_source = 'noshow' AND a.external_id = ?", [external_id])
    assert row, f"appointment {external_id} was not imported"
    keys = ("status", "start_at", "end_at", "booked_at", "reminder_sent", "notes", "patient", "sex",
            "date_of_birth", "name", "conditions")
    return dict(zip(keys, row[0]))


def test_good_rows_are_imported_and_bad_ones_counted_by_reason(conn, sample):
    summary = noshow.import_noshow(conn, sample, user="test")
    assert summary.imported == 10
    assert summary.duplicates == 1  # AppointmentID 5000003 appears twice
    assert summary.added == {"patients": 9, "appointments": 10}
    assert summary.rejected == {
        noshow.BEFORE_BOOKED: 1,
        noshow.IMPOSSIBLE_AGE: 2,
        noshow.BAD_DATE: 2,
        noshow.BAD_AGE: 1,
        noshow.UNREADABLE: 1,
        noshow.BAD_GENDER: 1,
        noshow.BAD_NO_SHOW: 1,
        noshow.BAD_SMS: 1,
        noshow.BAD_ID: 1,
    }
    assert summary.examples[noshow.BEFORE_BOOKED] == ["AppointmentID 5000006"]
    assert summary.examples[noshow.IMPOSSIBLE_AGE] == ["AppointmentID 5000007", "AppointmentID 5000008"]
    assert summary.examples[noshow.UNREADABLE] == ["line 13"]
    assert db.read(conn, "SELECT count(*) FROM appointments")[0][0] == 10
    text = "\n".join(summary.lines())
    assert "Imported 10 appointments" in text and "Rejected 11 rows" in text
    assert "1 × appointment day before the day it was scheduled (e.g. AppointmentID 5000006)" in text


def test_importing_the_same_file_again_adds_nothing(conn, sample):
    noshow.import_noshow(conn, sample, user="test")
    counts = db.read(conn, "SELECT (SELECT count(*) FROM patients), (SELECT count(*) FROM appointments),"
                           " (SELECT count(*) FROM appointment_events), (SELECT count(*) FROM providers)")
    again = noshow.import_noshow(conn, sample, user="test")
    assert again.imported == 0
    assert again.duplicates == 11
    assert again.added == {"patients": 0, "appointments": 0}
    assert db.read(conn, "SELECT (SELECT count(*) FROM patients), (SELECT count(*) FROM appointments),"
                         " (SELECT count(*) FROM appointment_events), (SELECT count(*) FROM providers)") == counts
    assert db.read(conn, "SELECT count(*) FROM audit_log WHERE action = 'data.import'")[0][0] == 2


def test_no_show_yes_means_the_patient_did_not_come_and_sms_is_the_reminder(conn, sample):
    noshow.import_noshow(conn, sample, user="test")
    came = appointment(conn, "5000001")
    missed = appointment(conn, "5000002")
    assert (came["status"], came["reminder_sent"]) == ("completed", False)
    assert (missed["status"], missed["reminder_sent"]) == ("no_show", True)
    statuses = dict(db.read(conn, "SELECT status, count(*) FROM appointments GROUP BY status"))
    assert statuses == {"completed": 7, "no_show": 3}
    events = db.read(conn, "SELECT e.from_status, e.to_status FROM appointment_events e"
                           " JOIN appointments a ON a.id = e.appointment_id WHERE a.external_id = '5000002'")
    assert events == [(None, "no_show")]


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Tokyo", "UTC"])
def test_the_appointment_is_on_the_day_written_in_the_clinics_zone(conn, sample, zone):
    settings.set_many(conn, {"timezone": zone}, by="test")
    noshow.import_noshow(conn, sample, user="test")
    row = appointment(conn, "5000001")  # AppointmentDay 2016-04-29T00:00:00Z, ScheduledDay 2016-04-29T18:38:08Z
    local = row["start_at"].astimezone(ZoneInfo(zone))
    assert (local.date(), local.time()) == (date(2016, 4, 29), noshow.START_TIME)
    assert (row["end_at"] - row["start_at"]).total_seconds() == noshow.DURATION_MIN * 60
    booked = row["booked_at"].astimezone(ZoneInfo(zone))
    assert booked.replace(tzinfo=None) == datetime(2016, 4, 29, 18, 38, 8)


def test_a_new_york_clinic_keeps_april_29_in_the_database_too(conn, sample):
    noshow.import_noshow(conn, sample, user="test")  # the default zone is America/New_York
    day = db.read(conn, "SELECT CAST(timezone('America/New_York', start_at) AS DATE) FROM appointments"
                        " WHERE external_id = '5000001'")[0][0]
    assert day == date(2016, 4, 29)
    assert appointment(conn, "5000001")["start_at"] == datetime(2016, 4, 29, 13, 0, tzinfo=timezone.utc)


def test_patients_get_a_placeholder_name_and_a_birth_date_from_their_age(conn, sample):
    noshow.import_noshow(conn, sample, user="test")
    first = appointment(conn, "5000002")
    assert first["name"] == "Patient 1001"
    assert first["sex"] == "female"
    # Age 62 on 2016-04-29 and on 2016-05-03: the latest birth date giving both is 1954-04-29.
    assert first["date_of_birth"] == date(1954, 4, 29)
    assert first["conditions"] == "hypertension"
    assert first["notes"] == "Neighbourhood: JARDIM DA PENHA"
    baby = appointment(conn, "5000005")
    assert baby["date_of_birth"] == date(2016, 4, 29)
    assert appointment(conn, "5000018")["conditions"] == "hypertension, diabetes, handicap (2)"
    assert appointment(conn, "5000019")["patient"] == "1018"  # written as 1018.0 in the file
    assert appointment(conn, "5000020")["patient"] == "1020E-2"  # not whole: kept as written
    assert db.read(conn, "SELECT count(*) FROM patients WHERE external_id = '1001'")[0][0] == 1


def test_imported_history_goes_to_one_provider_nobody_can_book_new_visits_with(conn, sample):
    noshow.import_noshow(conn, sample, user="test")
    providers = db.read(conn, "SELECT DISTINCT p.name, p.accepting_new, (SELECT count(*) FROM provider_hours h"
                              " WHERE h.provider_id = p.id)"
                              " FROM appointments a JOIN providers p ON p.id = a.provider_id")
    assert providers == [(noshow.PROVIDER_NAME, False, 0)]
    types = db.read(conn, "SELECT DISTINCT t.name, t.active FROM appointments a JOIN visit_types t ON t.id = a.type_id")
    assert types == [(noshow.VISIT_TYPE_NAME, False)]


def test_a_file_in_another_format_is_refused_and_nothing_is_written(conn):
    wrong = imports_dir(conn) / "wrong.csv"
    wrong.write_text("PatientId,AppointmentID,Gender\n1,2,F\n", encoding="utf-8")
    with pytest.raises(ClinicError, match="not in the no-show format") as refused:
        noshow.import_noshow(conn, wrong, user="test")
    assert refused.value.field == "file"
    assert db.read(conn, "SELECT count(*) FROM appointments")[0][0] == 0


def test_only_a_manager_or_admin_may_import(conn, sample):
    clerk = make_user(conn, role="front_desk")
    with pytest.raises(NotAllowed):
        noshow.import_noshow(conn, sample, user=clerk)
    manager = make_user(conn, role="manager")
    assert noshow.import_noshow(conn, sample, user=manager).imported == 10
    assert db.read(conn, "SELECT username FROM audit_log WHERE action = 'data.import'")[0][0].startswith("user")


def test_progress_is_reported_from_start_to_done(conn, sample):
    seen: list[tuple[float, str]] = []
    noshow.import_noshow(conn, sample, user="test", progress=lambda f, text: seen.append((f, text)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(seen) >= 4


def test_overlapping_history_is_imported_without_the_booking_rules(conn, tmp_path):
    rows = "\n".join(f"{2000 + n},{6000000 + n},F,2016-05-01T10:00:00Z,2016-05-02T00:00:00Z,30,CENTRO,0,0,0,0,0,0,No"
                     for n in range(3))
    path = imports_dir(conn) / "same_slot.csv"
    path.write_text(",".join(noshow.COLUMNS) + "\n" + rows + "\n", encoding="utf-8")
    assert noshow.import_noshow(conn, path, user="test").imported == 3
    assert db.read(conn, "SELECT count(DISTINCT start_at), count(*) FROM appointments") == [(1, 3)]


def test_a_file_outside_the_folders_the_database_may_read_is_refused(conn, tmp_path):
    outside = tmp_path / "elsewhere" / "noshow.csv"
    outside.parent.mkdir()
    shutil.copyfile(SAMPLE, outside)
    with pytest.raises(ClinicError, match="outside the folders this database may read"):
        noshow.import_noshow(conn, outside, user="test")
    assert db.read(conn, "SELECT count(*) FROM appointments")[0][0] == 0
