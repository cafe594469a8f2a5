"""The demo seeder: reproducible, refuses to overwrite, and its data obeys the booking rules."""

from __future__ import annotations

import datetime as dt
from datetime import date

import pytest

import db
from clinic.errors import ClinicError
from clinic.scheduling import BLOCKING, TRANSITIONS, Block, within_hours
from db import users
from demo import seed as seeder
from tests.demo.seeding import ALL_HASHES, DATA_HASHES, NOW, TODAY, TZ, hashes, seeded_db

LIVE = sorted(BLOCKING)

PROVIDER_OVERLAPS = (
    "SELECT count(*) FROM ("
    " SELECT start_at, max(busy_until) OVER (PARTITION BY provider_id ORDER BY start_at, id"
    "   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS busy_before"
    " FROM appointments WHERE list_contains($live, status))"
    " WHERE start_at < busy_before"
)
PATIENT_OVERLAPS = (
    "SELECT count(*) FROM ("
    " SELECT start_at, max(end_at) OVER (PARTITION BY patient_id ORDER BY start_at, id"
    "   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS end_before"
    " FROM appointments)"
    " WHERE start_at < end_before"
)
NO_SHOW_RATE_BY_LEAD = (
    "SELECT avg((status = 'no_show')::INTEGER) FROM appointments"
    " WHERE status IN ('completed', 'no_show')"
    " AND timezone($tz, start_at)::DATE - timezone($tz, booked_at)::DATE BETWEEN $lo AND $hi"
)


# --- reproducibility and refusal ------------------------------------------------------------


def test_the_same_seed_gives_identical_data(small, tmp_path):
    again = seeded_db(tmp_path / "t.duckdb")
    try:
        assert hashes(again, DATA_HASHES) == hashes(small, DATA_HASHES)
    finally:
        again.close()


def test_a_different_seed_gives_different_patients_and_appointments(small, tmp_path):
    other = seeded_db(tmp_path / "t.duckdb", seed=8)
    try:
        mine, theirs = hashes(small, DATA_HASHES), hashes(other, DATA_HASHES)
    finally:
        other.close()
    for table in ("patients", "appointments", "appointment_events"):
        assert mine[table] != theirs[table]


def test_seeding_a_seeded_database_is_refused_and_changes_nothing(tmp_path):
    conn = seeded_db(tmp_path / "t.duckdb")
    try:
        before = hashes(conn, ALL_HASHES)
        with pytest.raises(ClinicError, match="already has patients or providers"):
            seeder.seed(conn, scale="test", seed=7, timezone=TZ, today=TODAY)
        assert hashes(conn, ALL_HASHES) == before
    finally:
        conn.close()


def test_a_database_with_only_a_provider_is_refused_before_any_user_is_created(tmp_path):
    conn = db.connect(tmp_path / "t.duckdb")
    try:
        conn.cursor().execute("INSERT INTO providers (name, kind) VALUES ('Dr. Real Person', 'physician')")
        before = hashes(conn, ALL_HASHES)
        with pytest.raises(ClinicError):
            seeder.seed(conn, scale="test", today=TODAY)
        assert db.read_one(conn, "SELECT count(*) FROM users")[0] == 0
        # Settings as the migrations left them: no demo clinic name, no time zone written.
        assert hashes(conn, ALL_HASHES) == before
    finally:
        conn.close()


def test_an_unknown_scale_is_refused(tmp_path):
    conn = db.connect(tmp_path / "t.duckdb")
    try:
        with pytest.raises(ClinicError, match="Unknown scale"):
            seeder.seed(conn, scale="huge", today=TODAY)
    finally:
        conn.close()


def test_later_inserts_get_fresh_ids_and_mrns(tmp_path):
    conn = seeded_db(tmp_path / "t.duckdb")
    try:
        cur = conn.cursor()
        max_id, max_mrn = cur.execute("SELECT max(id), max(mrn::BIGINT) FROM patients").fetchone()
        new_id, new_mrn = cur.execute(
            "INSERT INTO patients (mrn, first_name, last_name, date_of_birth, sex)"
            " VALUES (nextval('patients_mrn_seq')::VARCHAR, 'New', 'Person', DATE '1990-01-01', 'female')"
            " RETURNING id, mrn"
        ).fetchone()
        assert new_id > max_id and int(new_mrn) > max_mrn
        (appointment_id,) = cur.execute(
            "INSERT INTO appointments (patient_id, provider_id, type_id, start_at, end_at, busy_until)"
            " SELECT ?, min(id), 1, TIMESTAMPTZ '2030-01-02 14:00:00+00', TIMESTAMPTZ '2030-01-02 14:15:00+00',"
            " TIMESTAMPTZ '2030-01-02 14:15:00+00' FROM providers RETURNING id",
            [new_id],
        ).fetchone()
        others = cur.execute("SELECT max(id) FROM appointments WHERE id <> ?", [appointment_id]).fetchone()[0]
        assert appointment_id > others
        (event_id,) = cur.execute(
            "INSERT INTO appointment_events (appointment_id, to_status) VALUES (?, 'scheduled') RETURNING id",
            [appointment_id],
        ).fetchone()
        assert event_id > cur.execute("SELECT max(id) FROM appointment_events WHERE id <> ?", [event_id]).fetchone()[0]
    finally:
        conn.close()


# --- what the data contains ------------------------------------------------------------------


def test_reference_data_settings_and_the_audit_row(small):
    settings = dict(db.read(small, "SELECT key, value FROM settings"))
    # The seeder's settings, beside the defaults the migrations write.
    assert settings.items() >= {"clinic_name": seeder.CLINIC_NAME, "clinic_phone": "(914) 555-0100", "timezone": TZ,
                                "country": "US",
                                "subdivision": "NY", "is_demo": "true"}.items()
    types = db.read(small, "SELECT name, duration_min, new_patients_only, buffer_after_min, default_fee_code, colour"
                           " FROM visit_types ORDER BY id")
    assert [t[:5] for t in types] == [
        ("New patient", 30, True, 0, "OVNEW"),
        ("Follow-up", 15, False, 0, "OVEST"),
        ("Annual physical", 40, False, 0, "PHYS"),
        ("Vaccination", 10, False, 0, "G0008"),
        ("Procedure", 45, False, 15, "MINPROC"),
    ]
    assert len({t[5] for t in types}) == 5
    providers = db.read(small, "SELECT kind, colour FROM providers ORDER BY id")
    assert len(providers) == 3 and len({c for _, c in providers}) == 3
    runs = db.read(small, "SELECT detail FROM audit_log WHERE action = 'seed.run'")
    assert runs == [('{"scale": "test", "seed": 7}',)]


def test_the_demo_scale_has_six_providers_two_thousand_patients_and_two_years(demo):
    kinds = [k for (k,) in db.read(demo, "SELECT kind FROM providers ORDER BY id")]
    assert len(kinds) == 6 and kinds.count("physician") == 3 and "nurse" in kinds
    assert db.read_one(demo, "SELECT count(*) FROM patients")[0] == 2000
    first, last = db.read_one(
        demo,
        "SELECT min(timezone($tz, start_at))::DATE, max(timezone($tz, start_at))::DATE FROM appointments",
        {"tz": TZ},
    )
    assert (TODAY - first).days >= 720 and 35 <= (last - TODAY).days <= 42
    per_day = db.read_one(
        demo,
        "SELECT avg(n) FROM (SELECT provider_id, timezone($tz, start_at)::DATE, count(*) AS n FROM appointments"
        " WHERE start_at < $now GROUP BY ALL)",
        {"tz": TZ, "now": NOW},
    )[0]
    assert 14 <= per_day <= 20


def test_demo_users_sign_in_with_password_demo_and_the_doctor_is_a_physician(small):
    for username, _, role in seeder.DEMO_USERS:
        assert users.authenticate(small, username, "demo").role == role
    doctor = users.find_by_username(small, "doctor")
    assert db.read(small, "SELECT kind FROM providers WHERE user_id = ?", [doctor.id]) == [("physician",)]


def test_patients_look_real_but_are_plainly_fictional(small):
    bad = db.read_one(
        small,
        "SELECT count(*) FILTER (WHERE NOT regexp_full_match(phone_mobile, '\\+1[0-9]{3}55501[0-9]{2}')),"
        " count(*) FILTER (WHERE NOT regexp_full_match(email, '[a-z]+\\.[a-z]+[0-9]+@example\\.(com|org)')),"
        " count(*) FILTER (WHERE date_of_birth > created_at::DATE),"
        " count(*) FILTER (WHERE date_diff('year', date_of_birth, $today) > 96)"
        " FROM patients",
        {"today": TODAY},
    )
    assert bad == (0, 0, 0, 0)
    assert db.read_one(
        small, "SELECT count(DISTINCT mrn) = count(*) AND count(DISTINCT email) = count(email) FROM patients"
    )[0]


# --- the booking rules hold ------------------------------------------------------------------


def test_no_provider_is_double_booked_counting_the_buffer_after_each_visit(small):
    assert db.read_one(small, PROVIDER_OVERLAPS, {"live": LIVE})[0] == 0
    # Stronger: the seed packs cancelled and no-show visits without overlap too.
    assert db.read_one(small, PROVIDER_OVERLAPS, {"live": list(TRANSITIONS)})[0] == 0


def test_no_patient_is_booked_in_two_places_at_once(small):
    assert db.read_one(small, PATIENT_OVERLAPS)[0] == 0


def test_every_appointment_lies_inside_its_providers_working_hours_in_clinic_time(small):
    hours: dict[int, list[Block]] = {}
    for provider_id, weekday, start, end in db.read(
        small, "SELECT provider_id, weekday, start_time, end_time FROM provider_hours"
    ):
        hours.setdefault(provider_id, []).append(Block(weekday, start, end))
    rows = db.read(small, "SELECT provider_id, start_at, busy_until FROM appointments")
    outside = [r for r in rows if not within_hours(r[1], r[2], hours[r[0]], TZ)]
    assert rows and outside == []
    # The window crosses the spring-forward change; local opening hours held on both sides.
    days = {r[1].date() for r in rows}
    assert min(days) < date(2026, 3, 8) < max(days)


def test_a_clinic_in_another_time_zone_keeps_its_hours_in_its_own_local_time(tmp_path):
    # Santiago switches clocks at midnight, so even "now" (local midnight) can be a missing time.
    conn = db.connect(tmp_path / "santiago.duckdb")
    try:
        seeder.seed(conn, scale="test", seed=3, timezone="America/Santiago", today=date(2026, 4, 6))
        hours: dict[int, list[Block]] = {}
        for provider_id, weekday, start, end in db.read(
            conn, "SELECT provider_id, weekday, start_time, end_time FROM provider_hours"
        ):
            hours.setdefault(provider_id, []).append(Block(weekday, start, end))
        rows = db.read(conn, "SELECT provider_id, start_at, busy_until FROM appointments")
        assert [r for r in rows if not within_hours(r[1], r[2], hours[r[0]], "America/Santiago")] == []
    finally:
        conn.close()


def test_no_appointment_falls_on_a_weekend_or_a_day_the_clinic_is_closed(small):
    from db import availability

    days = [d for (d,) in db.read(small, "SELECT DISTINCT timezone($tz, start_at)::DATE FROM appointments", {"tz": TZ})]
    closed = availability.closures_between(small, min(days), max(days))
    assert [d for d in days if d.weekday() >= 5 or d in closed] == []
    assert date(2026, 2, 16) not in days  # Washington's Birthday, inside the test window
    # Lincoln's Birthday (a New York holiday) is switched off for the demo clinic: it opens.
    assert date(2026, 2, 12) not in closed and date(2026, 2, 12) in days


def test_past_visits_have_outcomes_and_future_ones_are_still_open(small):
    statuses = db.read(
        small,
        "SELECT DISTINCT start_at >= $now, status FROM appointments",
        {"now": NOW},
    )
    assert {s for future, s in statuses if not future} == {"completed", "no_show", "cancelled"}
    assert {s for future, s in statuses if future} == {"scheduled", "confirmed", "cancelled"}
    inconsistent = db.read_one(
        small,
        "SELECT count(*) FROM appointments WHERE"
        " (arrived_at IS NOT NULL OR started_at IS NOT NULL) <> (status = 'completed')"
        " OR (cancel_reason IS NOT NULL OR late_cancel IS NOT NULL) <> (status = 'cancelled')"
        " OR (status = 'confirmed' AND reminder_at IS NULL)"
        " OR booked_at >= start_at OR booked_at > $now OR reminder_at > $now",
        {"now": NOW},
    )[0]
    assert inconsistent == 0


def test_nobody_is_booked_before_they_were_registered_and_new_patient_visits_come_first(small):
    assert db.read_one(
        small,
        "SELECT count(*) FROM appointments a JOIN patients p ON p.id = a.patient_id WHERE a.booked_at < p.created_at",
    )[0] == 0
    assert db.read_one(
        small,
        "SELECT count(*) FROM (SELECT type_id, row_number() OVER (PARTITION BY patient_id ORDER BY start_at) AS nth"
        " FROM appointments) JOIN visit_types vt ON vt.id = type_id WHERE vt.name = 'New patient' AND nth > 1",
    )[0] == 0


def test_every_status_change_is_an_allowed_move_recorded_between_booking_and_now(small):
    moves = db.read(small, "SELECT DISTINCT from_status, to_status FROM appointment_events")
    for from_status, to_status in moves:
        if from_status is None:
            assert to_status == "scheduled"
        else:
            assert to_status in TRANSITIONS[from_status]
    wrong = db.read_one(
        small,
        "SELECT count(*) FROM appointments a WHERE"
        " (SELECT count(*) FROM appointment_events e WHERE e.appointment_id = a.id)"
        "   <> CASE a.status WHEN 'scheduled' THEN 1 WHEN 'completed' THEN 3 ELSE 2 END"
        " OR (SELECT arg_max(to_status, id) FROM appointment_events e WHERE e.appointment_id = a.id) <> a.status"
        " OR EXISTS (SELECT 1 FROM appointment_events e WHERE e.appointment_id = a.id"
        "   AND (e.occurred_at < a.booked_at OR e.occurred_at > $now))",
        {"now": NOW},
    )[0]
    assert wrong == 0


def test_no_shows_are_more_common_for_long_lead_times(demo):
    short = db.read_one(demo, NO_SHOW_RATE_BY_LEAD, {"tz": TZ, "lo": 0, "hi": 1})[0]
    long = db.read_one(demo, NO_SHOW_RATE_BY_LEAD, {"tz": TZ, "lo": 21, "hi": 365})[0]
    assert short < 0.08 and long > 0.18 and long > 2.5 * short


def test_no_shows_are_more_common_on_mondays_and_fridays_than_midweek(demo):
    rate = dict(db.read(
        demo,
        "SELECT isodow(timezone($tz, start_at)), avg((status = 'no_show')::INTEGER) FROM appointments"
        " WHERE status IN ('completed', 'no_show') GROUP BY ALL",
        {"tz": TZ},
    ))
    assert min(rate[1], rate[5]) > max(rate[2], rate[3], rate[4])


def test_some_patients_no_show_again_and_again(demo):
    # A per-patient propensity: the worst tenth of regular patients miss far more than the median.
    p90, p50 = db.read_one(
        demo,
        "SELECT quantile_cont(r, 0.9), quantile_cont(r, 0.5) FROM ("
        " SELECT avg((status = 'no_show')::INTEGER) AS r FROM appointments"
        " WHERE status IN ('completed', 'no_show') GROUP BY patient_id HAVING count(*) >= 10)",
    )
    assert p90 > 2 * p50


# --- the large scale -------------------------------------------------------------------------


def test_the_large_scale_seeds_a_million_appointments_without_overlaps(tmp_path):
    conn = db.connect(tmp_path / "large.duckdb")
    try:
        # How long it takes is measured by `make bench` ("seed large"), not asserted here; so are
        # the large clinic's invoices and stock (bench seeds it whole). Here: the schedule alone.
        counts = seeder.seed(conn, scale="large", seed=1, timezone=TZ, today=TODAY, money_and_stock=False)
        assert counts["providers"] == 40 and counts["patients"] == 150_000
        assert 900_000 <= counts["appointments"] <= 1_100_000
        assert db.read_one(conn, "SELECT count(*) FROM appointments")[0] == counts["appointments"]
        assert db.read_one(conn, PROVIDER_OVERLAPS, {"live": LIVE})[0] == 0
        assert db.read_one(conn, PATIENT_OVERLAPS)[0] == 0
        first = db.read_one(conn, "SELECT min(timezone($tz, start_at))::DATE FROM appointments", {"tz": TZ})[0]
        assert (TODAY - first).days >= 5 * 365 - 10
    finally:
        conn.close()


def test_the_demo_waitlists_time_preferences_are_ones_the_matching_can_read(small):
    rows = small.execute(
        "SELECT note, earliest_start, latest_start FROM waitlist WHERE note IN ('After 3 pm only', 'Prefers mornings')"
    ).fetchall()
    assert rows, "the seeded waitlist has patients with time preferences"
    for note, earliest, latest in rows:
        if note == "After 3 pm only":
            assert (earliest, latest) == (dt.time(15, 0), None)
        else:
            assert earliest is None and latest is not None and latest < dt.time(12, 0)
