"""Free time and recurring bookings: the next free slots for a visit type, and weekly series
(plan every date without writing, then book the bookable ones).

Every candidate runs through the same rules as a real booking (``clinic.scheduling``); the facts
are read set-wise (a week or a whole series at a time), never query by query per candidate.
Booking a series books each date through :func:`db.appointments.book`, so each one is checked
again under the booking locks (see ``db.booking_context`` for why that is race-free).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from clinic import scheduling
from clinic import waitlist as prefs
from clinic.errors import ClinicError
from clinic.timeutil import day_bounds, now_utc
from db import Connection, appointments, availability, booking_context, read, read_one, settings

_WINDOW = booking_context.WINDOW


# --- finding free time ----------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    provider_id: int
    provider: str
    start: datetime


def find_next_available(
    conn: Connection,
    type_id: int,
    *,
    provider_id: int | None = None,
    patient_id: int | None = None,
    after: datetime | None = None,
    limit: int = 10,
    step_min: int = 15,
    weekdays: list[int] | None = None,
    earliest_start: time | None = None,
    latest_start: time | None = None,
) -> list[Slot]:
    """The next ``limit`` free start times for a visit type, with one provider or any active one,
    optionally only on some weekdays (Monday = 0) and only starting within a clinic-local
    window (``earliest_start`` to ``latest_start``, both included): a waitlisted patient's
    preferences (``clinic.waitlist``). The window is wall-clock time on each day, so a day after
    a daylight-saving change keeps it.

    Walks forward day by day (up to the booking horizon), reading each provider's appointments
    for a week at a time in one query, and runs every candidate through the same rules as a real
    booking. With a patient, their own appointments count too.
    """
    now = after or now_utc()
    values = settings.get_all(conn)  # the zone, the rules and the holidays' country: one read
    rules = availability.rules(conn, values)
    tz = values["timezone"]
    z = scheduling.zone(tz)
    row = read_one(conn, "SELECT id, name, duration_min, buffer_after_min, new_patients_only, colour"
                         " FROM visit_types WHERE id = ? AND active", [type_id])
    if row is None:
        raise ClinicError("Choose a visit type.", field="type")
    visit_type = scheduling.VisitType(*row)
    providers = read(
        conn,
        "SELECT id, name, active, accepting_new FROM providers WHERE active AND ($pid IS NULL OR id = $pid) ORDER BY name",
        {"pid": provider_id},
    )
    hours = availability.hours_by_provider(conn)
    patient_is_new = True
    if patient_id is not None:
        # NOT EXISTS, not count(*) = 0: the scan stops at the first visit found.
        patient_is_new = read_one(
            conn, "SELECT NOT EXISTS (SELECT 1 FROM appointments WHERE patient_id = ?"
                  " AND status IN ('completed', 'checked_in'))",
            [patient_id],
        )[0]
    if visit_type.new_patients_only and not patient_is_new:
        return []  # every time would be refused (scheduling.NewPatientsOnly): no need to try 180 days
    window = prefs.Preferences(earliest_start=earliest_start, latest_start=latest_start)
    first_day = now.astimezone(z).date()
    last_day = first_day + timedelta(days=rules.max_days_ahead)
    closures = availability.closures_between(conn, first_day, last_day, values=values)
    found: list[Slot] = []
    week = first_day
    blocking = sorted(scheduling.BLOCKING)
    while week <= last_day and len(found) < limit:
        week_end = min(week + timedelta(days=7), last_day + timedelta(days=1))
        lo, _ = day_bounds(week, tz)
        hi, _ = day_bounds(week_end, tz)
        # Thousands of rows a week with every provider: read as microseconds (a TIMESTAMPTZ costs
        # several times more to fetch), and only those around the day being searched become times.
        busy_rows = read(
            conn,
            "SELECT provider_id, epoch_us(start_at), epoch_us(busy_until) FROM appointments"
            " WHERE start_at < $hi AND busy_until > $lo"
            " AND list_contains($blocking, status) AND ($pid IS NULL OR provider_id = $pid)",
            {"lo": lo - _WINDOW, "hi": hi + _WINDOW, "blocking": blocking, "pid": provider_id},
        )
        busy: dict[int, list[tuple[int, int]]] = {}
        for pid, s_, e_ in busy_rows:
            busy.setdefault(pid, []).append((s_, e_))
        patient_busy = []
        if patient_id is not None:
            patient_busy = [
                scheduling.Interval(s_, e_)
                for s_, e_ in read(
                    conn,
                    "SELECT start_at, end_at FROM appointments WHERE patient_id = ? AND start_at < ? AND end_at > ?"
                    " AND list_contains(?, status)",
                    [patient_id, hi, lo, blocking],
                )
            ]
        time_off_rows = read(
            conn, "SELECT provider_id, start_at, end_at, reason FROM provider_time_off WHERE start_at < ? AND end_at > ?",
            [hi, lo],
        )
        time_off: dict[int, list[scheduling.Interval]] = {}
        for pid, s_, e_, r_ in time_off_rows:
            time_off.setdefault(pid, []).append(scheduling.Interval(s_, e_, r_))
        day = week
        while day < week_end and len(found) < limit:
            if weekdays and day.weekday() not in weekdays:
                day += timedelta(days=1)
                continue
            # Every provider's candidate times of the day in the order the slots are listed (time,
            # then provider), then the rules on each in turn until enough are free: most of a day
            # is never checked. Each provider's context holds only the busy times around this day.
            day_lo, day_hi = day_bounds(day, tz)
            near_lo, near_hi = day_lo - _WINDOW, day_hi + _WINDOW
            near_lo_us, near_hi_us = _epoch_us(near_lo), _epoch_us(near_hi)
            nearby = [i for i in patient_busy if i.start < near_hi and i.end > near_lo]
            candidates: list[tuple[datetime, str, int, scheduling.BookingContext]] = []
            for pid, name, active, accepting in providers:
                ctx = scheduling.BookingContext(
                    tz=tz, provider_name=name, provider_active=active, accepting_new=accepting,
                    hours=hours.get(pid, []), time_off=time_off.get(pid, []), closures=closures,
                    provider_busy=[scheduling.Interval(_at(s_), _at(e_)) for s_, e_ in busy.get(pid, ())
                                   if s_ < near_hi_us and e_ > near_lo_us],
                    patient_busy=nearby, patient_is_new=patient_is_new, rules=rules,
                )
                candidates.extend((t, name, pid, ctx) for t in scheduling.candidate_starts(day, visit_type, ctx,
                                                                                         step_min=step_min)
                                  if window.any_time or window.fits(t, tz))
            candidates.sort(key=lambda c: (c[0], c[1]))  # stable: a provider's own order is kept
            for start, name, pid, ctx in candidates:
                if len(found) >= limit:
                    break
                if scheduling.is_bookable(start, visit_type, ctx, now=now):
                    found.append(Slot(pid, name, start))
            day += timedelta(days=1)
        week = week_end
    return found


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _epoch_us(instant: datetime) -> int:
    """DuckDB's ``epoch_us`` of an aware instant."""
    return (instant - _EPOCH) // timedelta(microseconds=1)


def _at(epoch_us: int) -> datetime:
    """The UTC instant of DuckDB's ``epoch_us``."""
    return _EPOCH + timedelta(microseconds=epoch_us)


# --- recurring bookings ---------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    start: datetime
    problem: str | None  # None: can be booked


def series_starts(first: datetime, every_weeks: int, times: int, tz: str) -> list[datetime]:
    """Start instants of a weekly series, keeping the local wall-clock time across DST changes."""
    if not 1 <= every_weeks <= 52:
        raise ClinicError("Repeat every 1 to 52 weeks.", field="every_weeks")
    if not 1 <= times <= 52:
        raise ClinicError("Book 1 to 52 occurrences.", field="times")
    z = scheduling.zone(tz)
    local = first.astimezone(z)
    starts = []
    for i in range(times):
        naive = local.replace(tzinfo=None) + timedelta(weeks=every_weeks * i)
        starts.append(naive.replace(tzinfo=z).astimezone(first.tzinfo))
    return starts


def plan_series(
    conn: Connection, *, patient_id: int, provider_id: int, type_id: int, first: datetime,
    every_weeks: int, times: int, now: datetime | None = None,
) -> list[Occurrence]:
    """Check every occurrence of a series without writing anything: which dates can be booked,
    and why the others cannot. Occurrences of the same series do not collide with each other
    (they are a week or more apart).

    The facts of every date are read at once, a fixed handful of queries however long the
    series (the provider's appointments, time off and hours, the patient's appointments, the
    closures over the whole span), then each date runs through the booking rules.
    """
    tz = settings.timezone(conn)
    now = now or now_utc()
    starts = series_starts(first, every_weeks, times, tz)
    try:
        facts = _series_facts(conn, tz, patient_id=patient_id, provider_id=provider_id, type_id=type_id,
                              starts=starts)
    except ClinicError as exc:  # an unknown provider or visit type: no date can be booked
        return [Occurrence(start, str(exc)) for start in starts]
    visit_type, ctx = facts
    plan = []
    for start in starts:
        try:
            scheduling.check_booking(start, visit_type, ctx, now=now)
            plan.append(Occurrence(start, None))
        except ClinicError as exc:
            plan.append(Occurrence(start, str(exc)))
    return plan


def _series_facts(
    conn: Connection, tz: str, *, patient_id: int, provider_id: int, type_id: int, starts: list[datetime],
) -> tuple[scheduling.VisitType, scheduling.BookingContext]:
    """One booking context holding the facts of every start of a series (set-wise reads).

    The busy times and time off cover the whole span, so each check sees what is around its own
    date (the rules test overlaps, not membership). Read on one cursor: one consistent snapshot.
    """
    zone = scheduling.zone(tz)
    lo, hi = min(starts) - _WINDOW, max(starts) + _WINDOW
    blocking = sorted(scheduling.BLOCKING)
    cur = conn.cursor()
    try:
        provider = booking_context.provider_facts(cur, provider_id)
        visit_type = booking_context.visit_type(cur, type_id)
        provider_busy = cur.execute(
            "SELECT start_at, busy_until FROM appointments WHERE provider_id = ? AND start_at < ? AND busy_until > ?"
            " AND list_contains(?, status)",
            [provider_id, hi, lo, blocking],
        ).fetchall()
        patient_busy = cur.execute(
            "SELECT start_at, end_at FROM appointments WHERE patient_id = ? AND start_at < ? AND end_at > ?"
            " AND list_contains(?, status)",
            [patient_id, hi, lo, blocking],
        ).fetchall()
        (seen_before,) = cur.execute(
            "SELECT count(*) FROM appointments WHERE patient_id = ? AND status IN ('completed', 'checked_in')",
            [patient_id],
        ).fetchone()
        hours = [
            scheduling.Block(int(w), s_, e_)
            for w, s_, e_ in cur.execute(
                "SELECT weekday, start_time, end_time FROM provider_hours WHERE provider_id = ?", [provider_id]
            ).fetchall()
        ]
    finally:
        cur.close()
    time_off = availability.time_off_by_provider(conn, lo, hi, [provider_id]).get(provider_id, [])
    closures = availability.closures_between(conn, min(starts).astimezone(zone).date(),
                                             max(starts).astimezone(zone).date())
    ctx = scheduling.BookingContext(
        tz=tz, provider_name=provider[0], provider_active=provider[1], accepting_new=provider[2], hours=hours,
        time_off=time_off, closures=closures,
        provider_busy=[scheduling.Interval(s_, e_) for s_, e_ in provider_busy],
        patient_busy=[scheduling.Interval(s_, e_) for s_, e_ in patient_busy],
        patient_is_new=seen_before == 0, rules=availability.rules(conn),
    )
    return visit_type, ctx


def book_series(
    conn: Connection, *, patient_id: int, provider_id: int, type_id: int, starts: list[datetime], user,
    notes: str = "", reason: str = "", now: datetime | None = None,
) -> list[Occurrence]:
    """Book each start as one appointment of a new series; each is checked again as it is booked
    (something may have changed since the plan). Returns what happened to each."""
    (series_id,) = read_one(conn, "SELECT nextval('appointment_series_id_seq')")
    results = []
    for start in starts:
        try:
            appointments.book(conn, patient_id=patient_id, provider_id=provider_id, type_id=type_id, start=start, user=user,
                 notes=notes, reason=reason, now=now, series_id=series_id)
            results.append(Occurrence(start, None))
        except ClinicError as exc:
            results.append(Occurrence(start, str(exc)))
    return results
