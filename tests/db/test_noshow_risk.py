"""No-show risk over a real DuckDB file: features read in SQL from earlier visits only, the model
learned from the clinic's history ranking held-out later weeks, scores with reasons in words for
upcoming visits, and the model fitted once a day (again when old visits are imported)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
import pytest

from clinic import noshow_risk as nr
from clinic import timeutil
from db import noshow_risk
from tests.conftest import SEED_NOW, SEED_TODAY, TZ, make_patient, make_provider, make_visit_type

TODAY = SEED_TODAY  # a Monday


@pytest.fixture(autouse=True)
def fresh_models(clinic_clock):
    clinic_clock(SEED_NOW)  # 10:00 on TODAY in the clinic
    noshow_risk.forget_models()
    yield
    noshow_risk.forget_models()


def local(day: date, hh: int = 9, mm: int = 0) -> datetime:
    return timeutil.local_to_utc(datetime.combine(day, time(hh, mm)), TZ)


def visit(conn, patient_id, day, *, status="completed", lead=3, hh=9, provider_id=None, type_id=None,
          booked_at=None, reminder_at=None, reminder_outcome=None) -> int:
    start = local(day, hh)
    (appointment_id,) = conn.execute(
        "INSERT INTO appointments (patient_id, provider_id, type_id, start_at, end_at, busy_until, status, booked_at,"
        " reminder_at, reminder_outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [patient_id, provider_id or 1, type_id or 1, start, start + timedelta(minutes=15),
         start + timedelta(minutes=15), status, booked_at or start - timedelta(days=lead), reminder_at,
         reminder_outcome],
    ).fetchone()
    return appointment_id


@pytest.fixture
def clinic(conn):
    """A provider and two visit types; their ids."""
    return {"provider_id": make_provider(conn), "type_id": make_visit_type(conn, name="Follow-up"),
            "other_type": make_visit_type(conn, name="Physical")}


def synthetic_history(conn, clinic, *, weeks=20, per_day=30, seed=3) -> None:
    """Weekdays of visits where a long lead time and a few habitual patients clearly drive
    no-shows (seeded), in one insert."""
    rng = np.random.default_rng(seed)
    days = [TODAY - timedelta(days=d) for d in range(1, weeks * 7 + 1)]
    days = [d for d in days if d.weekday() < 5]
    n = len(days) * per_day
    day = np.repeat(np.array(days, dtype="datetime64[D]"), per_day)
    minute = np.tile(np.arange(per_day) * 15, len(days))
    lead = rng.integers(0, 45, n)
    patient = rng.integers(0, 600, n)
    habit = np.where(np.arange(600) < 60, 4.0, 0.7)[patient]
    no_show = rng.random(n) < np.minimum(np.where(lead > 21, 0.25, 0.03) * habit, 0.9)
    starts = pd.to_datetime(day) + pd.to_timedelta(8 * 60 + minute, unit="min")
    starts = starts.tz_localize(TZ).tz_convert("UTC")
    frame = pd.DataFrame({
        "patient_id": 100_000 + patient,
        "start_at": starts,
        "booked_at": starts - pd.to_timedelta(lead, unit="D"),
        "status": np.where(no_show, "no_show", "completed"),
        "type_id": np.where(rng.random(n) < 0.5, clinic["type_id"], clinic["other_type"]),
    })
    conn.register("history", frame)
    conn.execute(
        "INSERT INTO appointments (patient_id, provider_id, type_id, start_at, end_at, busy_until, status, booked_at)"
        " SELECT patient_id, ?, type_id, start_at, start_at + INTERVAL 15 MINUTE, start_at + INTERVAL 15 MINUTE,"
        " status, booked_at FROM history",
        [clinic["provider_id"]],
    )
    conn.unregister("history")


# --- features: only what came before ----------------------------------------------------------


def test_features_count_only_the_patients_visits_that_started_before(conn, clinic):
    p = make_patient(conn)
    first = visit(conn, p, TODAY - timedelta(days=30))
    missed = visit(conn, p, TODAY - timedelta(days=20), status="no_show")
    twin_a = visit(conn, p, TODAY - timedelta(days=10), hh=10)  # two visits at the same moment
    twin_b = visit(conn, p, TODAY - timedelta(days=10), hh=10, status="no_show")
    upcoming = visit(conn, p, TODAY + timedelta(days=1), status="scheduled")

    def history():
        features, no_show, _ = noshow_risk.finished_visits(conn, since=TODAY - timedelta(days=60), before=TODAY)
        return list(zip(features.prior_visits.tolist(), features.prior_no_shows.tolist())), no_show.tolist()

    before, outcomes = history()
    assert before == [(0, 0), (1, 0), (2, 1), (2, 1)]  # the twins do not see each other
    assert outcomes == [False, True, False, True]

    # A later no-show changes nothing about the earlier visits' features.
    later = visit(conn, p, TODAY - timedelta(days=5), status="no_show")
    after, _ = history()
    assert after[:4] == before and after[4] == (4, 2)

    ids, features = noshow_risk.features_for(conn, [upcoming, first])
    by_id = dict(zip(ids.tolist(), zip(features.prior_visits.tolist(), features.prior_no_shows.tolist())))
    assert by_id == {upcoming: (5, 3), first: (0, 0)}
    assert {missed, twin_a, twin_b, later}  # all counted above


def test_lead_weekday_visit_type_and_reminder_are_read_as_the_desk_knew_them(conn, clinic):
    p = make_patient(conn)
    tuesday = TODAY + timedelta(days=1)
    # Booked late the evening before (clinic time): one calendar day ahead, though under 24 hours.
    late_booked = visit(conn, p, tuesday, status="scheduled", booked_at=local(TODAY, 23, 30))
    no_answer = visit(conn, p, tuesday, hh=11, status="scheduled", reminder_at=SEED_NOW, reminder_outcome="no_answer")
    confirmed = visit(conn, p, tuesday, hh=12, status="confirmed", type_id=clinic["other_type"])
    sent = visit(conn, p, tuesday, hh=13, status="scheduled", reminder_at=SEED_NOW)
    # Finished visits: one confirmed on its reminder call; one confirmed, then moved (so not).
    kept = visit(conn, p, TODAY - timedelta(days=7))
    moved = visit(conn, p, TODAY - timedelta(days=6))
    conn.execute("INSERT INTO appointment_events (appointment_id, from_status, to_status) VALUES"
                 " (?, 'scheduled', 'confirmed'), (?, 'scheduled', 'confirmed'), (?, 'confirmed', 'scheduled')",
                 [kept, moved, moved])
    ids, f = noshow_risk.features_for(conn, [late_booked, no_answer, confirmed, sent])
    got = {i: (lead, wd, vt, rem) for i, lead, wd, vt, rem in
           zip(ids.tolist(), f.lead_days.tolist(), f.weekday.tolist(), f.visit_type.tolist(), f.reminder.tolist())}
    assert got[late_booked][:2] == (1, 1)  # 1 day ahead, a Tuesday (Monday is 0)
    assert got[confirmed][2] == "Physical"
    assert {i: r[3] for i, r in got.items()} == {late_booked: "no reminder recorded", no_answer: "not reached",
                                                 confirmed: "confirmed", sent: "reminder sent"}
    finished, _, _ = noshow_risk.finished_visits(conn, since=TODAY - timedelta(days=30), before=TODAY)
    assert finished.reminder.tolist() == ["confirmed", "no reminder recorded"]  # kept, then moved


# --- the model on the clinic's history ----------------------------------------------------------


def test_held_out_later_weeks_are_ranked_well_when_lead_time_drives_no_shows(conn, clinic):
    synthetic_history(conn, clinic)
    result = noshow_risk.evaluate(conn, as_of=TODAY, holdout_weeks=8)
    assert result["cut"] == TODAY - timedelta(weeks=8)
    assert result["auc"] > 0.7
    assert result["test_size"] == 8 * 5 * 30 and result["train_size"] == 12 * 5 * 30
    calibration = result["calibration"]
    assert list(calibration["decile"]) == list(range(1, 11))
    assert calibration["appointments"].sum() == result["test_size"]
    # The riskiest tenth really missed more than the safest tenth.
    assert calibration["observed"].iloc[-1] > calibration["observed"].iloc[0]
    assert calibration["predicted"].is_monotonic_increasing


def test_an_empty_clinic_has_no_scores_and_no_auc(conn, clinic):
    upcoming = visit(conn, make_patient(conn), TODAY + timedelta(days=1), status="scheduled")
    assert noshow_risk.score_upcoming(conn, appointment_ids=[upcoming]) == {}
    result = noshow_risk.evaluate(conn, as_of=TODAY)
    assert result["auc"] is None and result["test_size"] == 0 and result["calibration"].empty


def test_an_upcoming_visit_gets_a_score_a_band_and_its_reasons_in_words(conn, clinic):
    synthetic_history(conn, clinic)
    habitual, reliable = make_patient(conn), make_patient(conn)
    for weeks_ago, status in zip(range(5, 0, -1), ["no_show", "completed", "no_show", "completed", "no_show"]):
        visit(conn, habitual, TODAY - timedelta(weeks=weeks_ago), status=status, lead=2)
        visit(conn, reliable, TODAY - timedelta(weeks=weeks_ago), lead=2)
    risky = visit(conn, habitual, TODAY + timedelta(days=1), status="scheduled", lead=40, type_id=clinic["type_id"])
    safe = visit(conn, reliable, TODAY + timedelta(days=1), hh=10, status="scheduled", lead=1,
                 type_id=clinic["type_id"])
    risks = noshow_risk.score_upcoming(conn, appointment_ids=[risky, safe])
    assert risks[risky].band == "high" and risks[safe].band == "low"
    assert risks[risky].score > 3 * risks[safe].score
    assert set(risks[risky].reasons[:2]) == {"3 of 5 missed", "booked 40 days ahead"}
    assert "0 of 5 missed" in risks[safe].reasons or "booked 1 day ahead" in risks[safe].reasons
    # The same by period: every visit not cancelled starting then.
    by_day = noshow_risk.score_upcoming(conn, start=local(TODAY + timedelta(days=1), 0),
                                        end=local(TODAY + timedelta(days=2), 0))
    assert set(by_day) == {risky, safe} and by_day[risky].score == pytest.approx(risks[risky].score)


def test_the_model_is_fitted_once_a_day_and_again_when_old_visits_arrive(conn, clinic, monkeypatch, clinic_clock):
    monkeypatch.setattr(noshow_risk, "RECHECK_S", 0)  # look for new old visits on every call
    synthetic_history(conn, clinic, weeks=6)
    upcoming = visit(conn, make_patient(conn), TODAY + timedelta(days=1), status="scheduled")
    fits = []
    real_fit = nr.fit
    monkeypatch.setattr(nr, "fit", lambda *a, **k: fits.append(1) or real_fit(*a, **k))
    for _ in range(3):
        noshow_risk.score_upcoming(conn, appointment_ids=[upcoming])
    assert len(fits) == 1
    visit(conn, make_patient(conn), TODAY - timedelta(days=3), status="no_show")  # e.g. an import
    noshow_risk.score_upcoming(conn, appointment_ids=[upcoming])
    assert len(fits) == 2
    visit(conn, make_patient(conn), TODAY + timedelta(days=3), status="scheduled")  # a booking: no refit
    noshow_risk.score_upcoming(conn, appointment_ids=[upcoming])
    assert len(fits) == 2
    clinic_clock(SEED_NOW + timedelta(days=1))  # the next morning
    noshow_risk.score_upcoming(conn, appointment_ids=[upcoming])
    assert len(fits) == 3


def test_the_seeded_clinic_ranks_its_last_two_weeks_better_than_chance(seeded):
    result = noshow_risk.evaluate(seeded, as_of=SEED_TODAY, holdout_weeks=2)
    assert result["test_size"] > 300 and result["test_no_shows"] > 20
    assert result["auc"] > 0.65
    tuesday = timeutil.day_bounds(SEED_TODAY + timedelta(days=1), TZ)
    risks = noshow_risk.score_upcoming(seeded, start=tuesday[0], end=tuesday[1])
    assert risks and {r.band for r in risks.values()} <= set(nr.BANDS)
    assert all(0 < r.score < 1 for r in risks.values())
