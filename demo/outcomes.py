"""What happened to each demo visit: when it was booked, whether it was cancelled, confirmed,
missed or completed, and when; then the appointment rows and their status events, as frames
ready for one bulk insert each.

"Now" for the seeder is the clinic-local midnight starting ``today`` unless the caller passes a
later moment of ``today`` (the demo seeded for the real today: see :mod:`demo.seed`). Nothing is
booked, cancelled, reminded or confirmed after that midnight; visits before ``today`` carry
outcomes (completed, no_show, cancelled); today's visits have played out up to "now" (checked
in, completed or no-show) and everything later is still open.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import numpy as np
import pandas as pd

from clinic.scheduling import STATUSES, Rules
from db import Connection
from demo.frames import CLOSE_S, DAY_S, OPEN_S, day_number, reserve_ids, to_utc
from demo.names import CANCEL_REASONS, REASONS
from demo.people import Patients
from demo.schedule import NEW, Appointments, Provider

# Tuning knobs for the appointment history.
PAST_CANCEL_RATE: Final = 0.08
FUTURE_CANCEL_RATE: Final = 0.03
CONFIRM_RATE: Final = 0.7
REMINDER_LEAD_S: Final = 72 * 3600
# No-show multiplier by weekday (Mon..Sun): Mondays and Fridays are worse.
NO_SHOW_WEEKDAY: Final = np.array([1.3, 0.95, 0.85, 0.9, 1.2, 1.0, 1.0])

# Statuses travel as small integer codes: indexes into clinic.scheduling.STATUSES.
SCHEDULED, CONFIRMED, CHECKED_IN, COMPLETED, NO_SHOW, CANCELLED = (
    STATUSES.index(name) for name in ("scheduled", "confirmed", "checked_in", "completed", "no_show", "cancelled")
)
LATE_CANCEL_S: Final = Rules().late_cancel_hours * 3600


def finish_appointments(rng: np.random.Generator, appts: Appointments, patients: Patients, today: dt.date,
                        now: int | None = None) -> None:
    """Booking times, patient registration times, statuses and the times of the status events.

    ``now`` is naive clinic-local seconds on ``today``; by default the midnight starting it. A
    later ``now`` changes only today's visits and draws no extra random numbers, so everything
    else is the same as at midnight.
    """
    n = len(appts.day)
    today_n = day_number(today)
    horizon = today_n * DAY_S  # local midnight starting today: no booking, cancelling or reminding after it
    now = horizon if now is None else now
    past = appts.day < today_n

    # Lead time in days: past visits many 0-14 days ahead with a tail to 60 (a fifth same day);
    # future ones were necessarily booked before today.
    lead = np.minimum(1 + np.floor(rng.exponential(10.0, n)).astype(np.int64), 60)
    lead = np.where(rng.random(n) < 0.2, 0, lead)
    extra = np.minimum(np.floor(rng.exponential(6.0, n)).astype(np.int64), 45)
    booked_day = np.where(past, appts.day - lead, today_n - 1 - extra)
    booked = booked_day * DAY_S + rng.integers(OPEN_S, CLOSE_S, n)
    same_day = past & (lead == 0)
    earliest = appts.day * DAY_S + 6 * 3600 + 1800
    booked = np.where(same_day, np.maximum(appts.start - rng.integers(20 * 60, 4 * 3600, n), earliest), booked)

    # Registration: established patients some years before the window, new ones minutes before
    # their "New patient" visit was booked. Nobody is booked before they exist.
    created = np.empty(patients.n, dtype=np.int64)
    window_start = int(appts.day.min()) if n else today_n
    est = patients.n_established
    est_days = window_start - 61 - np.sort(rng.integers(0, 8 * 365, est))[::-1]
    created[:est] = est_days * DAY_S + rng.integers(OPEN_S, CLOSE_S, est)
    new_rows = np.flatnonzero(appts.type == NEW)
    new_patients = appts.patient[new_rows]
    created[new_patients] = booked[new_rows] - rng.integers(60, 20 * 60, len(new_rows))
    patients.created = created
    booked = np.maximum(booked, created[appts.patient] + 60)
    appts.booked = booked
    lead = appts.day - np.floor_divide(booked, DAY_S)

    status = np.full(n, SCHEDULED, dtype=np.int64)
    cancel = rng.random(n) < np.where(past, PAST_CANCEL_RATE, FUTURE_CANCEL_RATE)
    # No-shows rise with lead time (3% same day to 28% at 30+ days), by weekday and by patient.
    weekday = (appts.day + 3) % 7
    p_no_show = (0.03 + 0.25 * np.minimum(lead, 30) / 30) * NO_SHOW_WEEKDAY[weekday]
    p_no_show = np.minimum(p_no_show * patients.no_show_propensity[appts.patient], 0.95)
    misses = rng.random(n) < p_no_show  # drawn for every visit: today's may have come due by "now"
    no_show = past & ~cancel & misses
    status[past] = COMPLETED
    status[no_show] = NO_SHOW
    status[cancel] = CANCELLED

    # Cancelled some time between booking and the visit (skewed late), or before "now".
    until = np.where(past, appts.start, horizon)
    cancelled_at = booked + np.floor(rng.beta(np.where(past, 2.0, 1.0), 1.2) * (until - booked)).astype(np.int64)
    cancelled_at = np.where(cancel, np.minimum(cancelled_at, until - 60), -1)
    cancelled_at = np.where(cancel, np.maximum(cancelled_at, booked + 1), -1)

    # Reminders go out 72 h ahead to opted-in patients, if booked by then, not yet cancelled,
    # and not after "now"; most reminded future visits get confirmed.
    reminder = appts.start - REMINDER_LEAD_S
    sent = patients.opt_in[appts.patient] & (reminder > booked) & (reminder <= horizon)
    sent &= ~cancel | (reminder < cancelled_at)
    confirm = ~past & sent & ~cancel & (rng.random(n) < CONFIRM_RATE)
    status[confirm] = CONFIRMED

    # Completed visits went scheduled -> checked_in (on arrival) -> completed (after the visit):
    # clinic.scheduling.TRANSITIONS has no direct scheduled -> completed move. Times are drawn
    # for every visit and used where the status needs them.
    arrived = appts.start + np.clip(np.round(rng.normal(-6 * 60, 6 * 60, n)), -40 * 60, 10 * 60).astype(np.int64)
    arrived = np.maximum(arrived, booked + 60)  # a walk-in booked at the desk arrives after booking
    started = np.minimum(np.maximum(arrived, appts.start) + rng.integers(0, 6 * 60, n), appts.end - 60)
    finished = appts.end + rng.integers(0, 20 * 60, n)
    marked = appts.start + rng.integers(15 * 60, 60 * 60, n)  # when the desk gives up on a missed visit

    # Today up to "now", as on any past day: done when finished by now, in the clinic when
    # arrived (the last half hour or so), missed once the desk has marked it; the rest still
    # open. Outcomes replace a confirmation. At midnight nobody has arrived yet: nothing changes.
    todays = (appts.day == today_n) & ~cancel
    status[todays & ~misses & (finished <= now)] = COMPLETED
    status[todays & ~misses & (finished > now) & (arrived <= now)] = CHECKED_IN
    status[todays & misses & (marked <= now)] = NO_SHOW
    came = (status == COMPLETED) | (status == CHECKED_IN)

    changed = np.full(n, -1, dtype=np.int64)
    changed = np.where(came, arrived, changed)
    changed = np.where(status == NO_SHOW, marked, changed)
    changed = np.where(status == CANCELLED, cancelled_at, changed)
    confirmed_at = np.minimum(reminder + rng.integers(5 * 60, 6 * 3600, n), horizon - 60)
    changed = np.where(status == CONFIRMED, confirmed_at, changed)

    appts.status = status
    appts.arrived = np.where(came, arrived, -1)
    # Checked in and already with the clinician ("started"), or still in the waiting room.
    appts.started = np.where((status == COMPLETED) | ((status == CHECKED_IN) & (started <= now)), started, -1)
    appts.finished = np.where(status == COMPLETED, finished, -1)
    appts.cancelled = cancelled_at
    appts.reminder = np.where(sent, reminder, -1)
    appts.changed = changed

    offsets = np.cumsum([0] + [len(r) for r in REASONS])
    sizes = np.diff(offsets)
    appts.reason = offsets[appts.type] + np.floor(rng.random(n) * sizes[appts.type]).astype(np.int64)
    appts.cancel_reason = np.where(cancel, rng.integers(0, len(CANCEL_REASONS), n), -1)


# --- the appointment and event rows ----------------------------------------------------------


INSERT_APPOINTMENTS = (
    "INSERT INTO appointments (id, patient_id, provider_id, type_id, start_at, end_at, busy_until, status,"
    " booked_at, booked_by, reason, arrived_at, started_at, cancel_reason, late_cancel, reminder_at)"
    " SELECT id, patient_id, provider_id, type_id, start_at, end_at, busy_until, status, booked_at, booked_by,"
    " reason, arrived_at, started_at, cancel_reason, late_cancel, reminder_at FROM seed_appointments ORDER BY id"
)
INSERT_EVENTS = (
    "INSERT INTO appointment_events (id, appointment_id, occurred_at, user_id, from_status, to_status, reason)"
    " SELECT id, appointment_id, occurred_at, user_id, from_status, to_status, reason FROM seed_events ORDER BY id"
)


def appointment_frames(
    cur: Connection,
    appts: Appointments,
    providers: list[Provider],
    type_ids: list[int],
    patient_ids: np.ndarray,
    user_ids: dict[str, int],
    tz: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Appointments numbered in booking order (as the app would have), and their events."""
    order = np.lexsort((appts.provider, appts.start, appts.booked))
    appts.take(order)
    n = len(appts.day)
    first_id = reserve_ids(cur, "appointments_id_seq", n)
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    status_names = pd.Categorical.from_codes(appts.status, categories=list(STATUSES))
    cancel = appts.status == CANCELLED
    frontdesk = user_ids["frontdesk"]

    appt_frame = pd.DataFrame({
        "id": ids,
        "patient_id": patient_ids[appts.patient],
        "provider_id": np.array([p.id for p in providers], dtype=np.int64)[appts.provider],
        "type_id": np.array(type_ids, dtype=np.int64)[appts.type],
        "start_at": to_utc(appts.start, tz),
        "end_at": to_utc(appts.end, tz),
        "busy_until": to_utc(appts.busy_until, tz),
        "status": status_names,
        "booked_at": to_utc(appts.booked, tz),
        "booked_by": np.full(n, frontdesk, dtype=np.int64),
        "reason": pd.Categorical.from_codes(appts.reason, categories=[r for group in REASONS for r in group]),
        "arrived_at": to_utc(appts.arrived, tz, appts.arrived >= 0),
        "started_at": to_utc(appts.started, tz, appts.started >= 0),
        "cancel_reason": pd.Categorical.from_codes(appts.cancel_reason, categories=list(CANCEL_REASONS)),
        "late_cancel": pd.arrays.BooleanArray(appts.start - appts.cancelled < LATE_CANCEL_S, mask=~cancel),
        "reminder_at": to_utc(appts.reminder, tz, appts.reminder >= 0),
    })

    # Events: "-> scheduled" when booked; then "scheduled -> status" for every other status,
    # except that completed visits pass through checked_in (the allowed moves), so they get a
    # third event "checked_in -> completed".
    moved = np.flatnonzero(appts.status != SCHEDULED)
    done = np.flatnonzero(appts.status == COMPLETED)
    first_move = np.where(appts.status[moved] == COMPLETED, CHECKED_IN, appts.status[moved])
    ev_appt = np.concatenate([ids, ids[moved], ids[done]])
    ev_at_local = np.concatenate([appts.booked, appts.changed[moved], appts.finished[done]])
    ev_seq = np.repeat(np.arange(3), [n, len(moved), len(done)])
    ev_from = np.concatenate([np.full(n, -1), np.full(len(moved), SCHEDULED), np.full(len(done), CHECKED_IN)])
    ev_to = np.concatenate([np.full(n, SCHEDULED), first_move, np.full(len(done), COMPLETED)])
    ev_reason = np.concatenate([np.full(n, -1), np.where(cancel[moved], appts.cancel_reason[moved], -1),
                                np.full(len(done), -1)])
    ev_order = np.lexsort((ev_seq, ev_appt, ev_at_local))  # numbered in time order
    m = len(ev_appt)
    first_event = reserve_ids(cur, "appointment_events_id_seq", m)
    event_frame = pd.DataFrame({
        "id": np.arange(first_event, first_event + m, dtype=np.int64),
        "appointment_id": ev_appt[ev_order],
        "occurred_at": to_utc(ev_at_local[ev_order], tz),
        "user_id": np.full(m, frontdesk, dtype=np.int64),
        "from_status": pd.Categorical.from_codes(ev_from[ev_order], categories=list(STATUSES)),
        "to_status": pd.Categorical.from_codes(ev_to[ev_order], categories=list(STATUSES)),
        "reason": pd.Categorical.from_codes(ev_reason[ev_order], categories=list(CANCEL_REASONS)),
    })
    return appt_frame, event_frame
