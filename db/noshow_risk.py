"""No-show risk from the clinic's own history: the features of each visit read in SQL, the model
fitted once a day per process and kept in memory, scores with reasons for the appointments a
screen shows, and how well the model ranks on held-out later weeks.

Features use only what came before a visit: the patient's earlier completed and missed visits
are counted by a window over visits that START BEFORE it (``EXCLUDE GROUP``: another visit at the
same moment, as in imported data with dates only, does not count), so a later no-show never
changes an earlier visit's features. The model (``clinic.noshow_risk``) learns from visits before
today (the last :data:`TRAIN_DAYS`), so today's and upcoming visits are never in its training.

Caching: fitting reads two years of visits (seconds on the large clinic); scoring the day's
visits is one small query. The model is cached per database file and clinic-local day, and
refitted when the number of finished visits before today changes (an import of old visits).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from clinic import noshow_risk as nr
from clinic import timeutil
from clinic.noshow_risk import Risk
from db import Connection, read, read_one, settings

# Training looks back this many days from today (older habits matter less; the fit stays quick).
TRAIN_DAYS = 730

# Where the reminder stood before the visit, as clinic.analytics.REMINDER_GROUPS: the call's
# outcome; else confirmed by its status or, for a finished visit, by its last confirmation event
# (``a.was_confirmed``: a visit confirmed, then rescheduled, is not); else sent (an imported
# record's reminder_sent, or a reminder logged here without an outcome); else none.
_REMINDER = (
    " CASE WHEN a.reminder_outcome = 'confirmed' OR a.status = 'confirmed' OR a.was_confirmed THEN 'confirmed'"
    " WHEN a.reminder_outcome = 'wants_reschedule' THEN 'wants to reschedule'"
    " WHEN a.reminder_outcome IN ('left_message', 'no_answer') THEN 'not reached'"
    " WHEN coalesce(a.reminder_sent, a.reminder_at IS NOT NULL) THEN 'reminder sent'"
    " ELSE 'no reminder recorded' END AS reminder"
)
_FEATURE_COLUMNS = (
    " a.id, a.prior_visits, a.prior_no_shows,"
    " greatest(date_diff('day', CAST(timezone($tz, a.booked_at) AS DATE),"
    " CAST(timezone($tz, a.start_at) AS DATE)), 0) AS lead_days,"
    " isodow(CAST(timezone($tz, a.start_at) AS DATE)) - 1 AS weekday,"
    " vt.name AS visit_type," + _REMINDER
)
# Finished visits starting in [$since, $before), with counts of the patient's finished visits
# before each (over their whole history before $before).
_HISTORY_SQL = (
    "WITH finished AS (SELECT *, count(*) OVER w AS prior_visits,"
    " count(*) FILTER (WHERE status = 'no_show') OVER w AS prior_no_shows"
    " FROM appointments WHERE status IN ('completed', 'no_show') AND start_at < $before"
    " WINDOW w AS (PARTITION BY patient_id ORDER BY start_at"
    " RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW EXCLUDE GROUP))"
    " SELECT" + _FEATURE_COLUMNS + ", a.status = 'no_show' AS no_show, a.start_at >= $cut AS held_out"
    " FROM (SELECT f.*, coalesce(c.state = 'confirmed', FALSE) AS was_confirmed FROM finished f"
    " LEFT JOIN (SELECT appointment_id, arg_max(to_status, id) AS state FROM appointment_events"
    " WHERE to_status = 'confirmed' OR (from_status = 'confirmed' AND to_status = 'scheduled')"
    " GROUP BY appointment_id) c ON c.appointment_id = f.id WHERE f.start_at >= $since) a"
    " JOIN visit_types vt ON vt.id = a.type_id ORDER BY a.start_at, a.id"
)
# The asked-for appointments, whatever their status, with their patients' finished visits before
# each. An open visit's own status says whether it is confirmed: no events are read.
_SCORE_SQL = (
    "WITH shown AS MATERIALIZED (SELECT * FROM appointments WHERE id IN (SELECT unnest($ids))),"
    # Their patients' finished visits first: joined on "started before" straight against the whole
    # table, DuckDB took ten times longer on the large clinic.
    " finished AS MATERIALIZED (SELECT patient_id, start_at, status FROM appointments"
    " WHERE patient_id IN (SELECT patient_id FROM shown) AND status IN ('completed', 'no_show')),"
    " before AS (SELECT s.id, count(*) AS prior_visits, count(*) FILTER (WHERE p.status = 'no_show') AS prior_no_shows"
    " FROM shown s JOIN finished p ON p.patient_id = s.patient_id AND p.start_at < s.start_at GROUP BY s.id),"
    " a AS (SELECT s.*, coalesce(b.prior_visits, 0) AS prior_visits, coalesce(b.prior_no_shows, 0) AS prior_no_shows,"
    " FALSE AS was_confirmed FROM shown s LEFT JOIN before b ON b.id = s.id)"
    " SELECT" + _FEATURE_COLUMNS + " FROM a JOIN visit_types vt ON vt.id = a.type_id"
)
_IDS_BETWEEN_SQL = (
    "SELECT id FROM appointments WHERE start_at >= $start AND start_at < $end AND status <> 'cancelled'"
)
_PATH_SQL = "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
_FINISHED_SQL = "SELECT count(*) FROM appointments WHERE status IN ('completed', 'no_show') AND start_at < $before"
# How often (seconds) a cached model checks whether finished visits were added before today.
RECHECK_S = 300.0


@dataclass
class _Cached:
    day: date
    finished: int  # finished visits before ``day`` when fitted
    checked: float  # time.monotonic() of the last check
    model: nr.Model | None


_models: dict[str, _Cached] = {}  # by database file
_lock = threading.Lock()


def _features(rows: dict[str, np.ndarray]) -> nr.Features:
    return nr.Features(
        prior_visits=np.asarray(rows["prior_visits"], np.int64),
        prior_no_shows=np.asarray(rows["prior_no_shows"], np.int64),
        lead_days=np.asarray(rows["lead_days"], np.int64),
        weekday=np.asarray(rows["weekday"], np.int64),
        visit_type=np.asarray(rows["visit_type"], object),
        reminder=np.asarray(rows["reminder"], object),
    )


def _columns(conn: Connection, sql: str, params: dict) -> dict[str, np.ndarray]:
    cur = conn.cursor()  # fetchnumpy: columns as arrays, no pandas in between
    try:
        return cur.execute(sql, params).fetchnumpy()
    finally:
        cur.close()


def finished_visits(conn: Connection, *, since: date, before: date, cut: date | None = None, tz: str | None = None):
    """(features, no_show flags, held-out flags) of the completed and missed visits starting on
    clinic-local days [since, before), in time order; held out: those on or after ``cut``."""
    tz = tz or settings.timezone(conn)
    start = timeutil.day_bounds(before, tz)[0]
    rows = _columns(conn, _HISTORY_SQL, {"tz": tz, "since": timeutil.day_bounds(since, tz)[0], "before": start,
                                         "cut": timeutil.day_bounds(cut, tz)[0] if cut else start})
    return _features(rows), np.asarray(rows["no_show"], bool), np.asarray(rows["held_out"], bool)


def fit(conn: Connection, *, before: date, days: int = TRAIN_DAYS, tz: str | None = None) -> nr.Model | None:
    """The model fitted on the finished visits of the ``days`` days before ``before`` (None when
    there is nothing to learn from: no visit, or no no-show or no kept visit among them)."""
    features, no_show, _ = finished_visits(conn, since=before - timedelta(days=days), before=before, tz=tz)
    if len(no_show) == 0 or no_show.all() or not no_show.any():
        return None
    return nr.fit(features, no_show)


def model_for_today(conn: Connection, *, tz: str | None = None) -> nr.Model | None:
    """Today's model for this database, fitted at most once a day per process, and again when
    finished visits before today were added (an import), checked every :data:`RECHECK_S` seconds."""
    tz = tz or settings.timezone(conn)
    today = timeutil.today(tz)
    path = read_one(conn, _PATH_SQL)[0] or f"memory:{id(conn)}"
    with _lock:  # two sessions opening Today at once fit once
        cached = _models.get(path)
        now = time.monotonic()
        if cached is not None and cached.day == today and now - cached.checked < RECHECK_S:
            return cached.model
        finished = read_one(conn, _FINISHED_SQL, {"before": timeutil.day_bounds(today, tz)[0]})[0]
        if cached is None or (cached.day, cached.finished) != (today, finished):
            cached = _models[path] = _Cached(today, finished, now, fit(conn, before=today, tz=tz))
        cached.checked = now
        return cached.model


def forget_models() -> None:
    """Drop every cached model (tests that rewrite history within one day)."""
    with _lock:
        _models.clear()


def score_upcoming(
    conn: Connection,
    *,
    appointment_ids: list[int] | None = None,
    start=None,
    end=None,
    model: nr.Model | None = None,
) -> dict[int, Risk]:
    """Risk of a no-show, with its reasons, for each appointment asked for (by id, or every one
    not cancelled starting in [start, end)). Empty when the clinic has no history to learn from."""
    if appointment_ids is None:
        appointment_ids = [r[0] for r in read(conn, _IDS_BETWEEN_SQL, {"start": start, "end": end})]
    ids = sorted({int(i) for i in appointment_ids})
    if not ids:
        return {}
    tz = settings.timezone(conn)
    model = model or model_for_today(conn, tz=tz)
    if model is None:
        return {}
    found, features = features_for(conn, ids, tz=tz)
    return {int(i): r for i, r in zip(found, nr.explain(model, features))}


def features_for(conn: Connection, appointment_ids: list[int], *, tz: str | None = None):
    """(ids, features) of the given appointments, whatever their status: what the desk knows of
    each now (its patient's finished visits that started before it, its reminder as it stands)."""
    rows = _columns(conn, _SCORE_SQL, {"tz": tz or settings.timezone(conn), "ids": list(appointment_ids)})
    return np.asarray(rows["id"], np.int64), _features(rows)


def evaluate(conn: Connection, *, as_of: date, holdout_weeks: int = 8, days: int = TRAIN_DAYS) -> dict:
    """How well the model ranks visits it has not seen: fitted on the finished visits of the
    ``days`` before the last ``holdout_weeks`` weeks before ``as_of``, tested on those weeks.

    Returns ``auc`` (None without both outcomes in the test weeks, or without a model),
    ``calibration`` (DataFrame: decile, appointments, predicted, observed), ``train_size``,
    ``test_size``, ``test_no_shows``, ``clinic_rate`` (the training rate) and the ``cut`` date."""
    tz = settings.timezone(conn)
    cut = as_of - timedelta(weeks=holdout_weeks)
    features, no_show, test = finished_visits(conn, since=cut - timedelta(days=days), before=as_of, cut=cut, tz=tz)
    train = ~test
    result = {"auc": None, "calibration": pd.DataFrame(columns=["decile", "appointments", "predicted", "observed"]),
              "train_size": int(train.sum()), "test_size": int(test.sum()), "test_no_shows": int(no_show[test].sum()),
              "clinic_rate": None, "cut": cut}
    if not train.any() or no_show[train].all() or not no_show[train].any():
        return result
    model = nr.fit(features.take(train), no_show[train])
    result["clinic_rate"] = model.clinic_rate
    if test.any():
        scores = nr.predict(model, features.take(test))
        result["auc"] = nr.auc(no_show[test], scores)
        result["calibration"] = pd.DataFrame([vars(b) for b in nr.calibration(no_show[test], scores)])
    return result
