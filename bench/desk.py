"""The front desk's waits (group "desk"): finding free time, booking, moving and checking in a
visit, the patient search, opening a patient file, taking a payment, completing a visit, and
taking one unit out of stock. Each figure is the median and 95th percentile over
``RUNS_PER_REPEAT`` × ``ctx.repeat`` runs after a warm-up (a desk operation takes milliseconds, and
a 95th percentile of 15 runs is their second slowest: one stall decides it), beside a trivial query's round trip timed just before it; the issue's
targets (15) apply to the 95th percentile.

Every write runs the app's own function (the one its page or component calls) as the account
that clicks it there, and every run makes a real change on a different thing (a different free
slot, appointment or invoice): timing the same refused write again would time the refusal. The
things to change are chosen before the timing starts; one refused on its turn (a slot taken by
an earlier run, a patient busy at that time) is recorded in the row's ``extra`` and the next one
is tried, and a figure that fewer than half its runs produced is an error, not a row.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TypeVar

import db
from bench.core import ROUND_TRIP, Context, Row, measure_row, round_trip, timed_row
from clinic import calendar_events, timeutil
from clinic.errors import ClinicError
from db import (appointments, ar_reports, billing, break_glass, documents, inventory, messages, patient_intake,
                patients, settings, slots, users, visit_types)

GROUP = "desk"
RUNS_PER_REPEAT = 4
BASELINE = ROUND_TRIP
T = TypeVar("T")


def cases(ctx: Context) -> list[Row]:
    """The desk's rows, in the order a visit goes: find time, book, move, check in, complete; then
    the search, the file, a payment and a stock use. Writes to ``ctx.conn``'s database."""
    conn, repeat, now = ctx.conn, ctx.repeat * RUNS_PER_REPEAT, timeutil.now_utc()
    desk = users.find_by_username(conn, "frontdesk")
    clerk = users.find_by_username(conn, "billing")
    follow_up = next(t for t in visit_types.list_active(conn) if t.name == "Follow-up")
    day_start, day_end = timeutil.day_bounds(ctx.today, ctx.tz)
    wanted = 3 * (repeat + 1)  # candidates to change: a refused one gives way to the next
    # The patient with the longest history: the heaviest file to open, search for and book.
    patient = patients.get(conn, db.read_one(
        conn, "SELECT a.patient_id FROM appointments a JOIN patients p ON p.id = a.patient_id"
              " WHERE p.status = 'active' GROUP BY a.patient_id ORDER BY count(*) DESC, a.patient_id LIMIT 1")[0])
    rows: list[Row] = []

    def read_case(name: str, fn: Callable[[], object], target: float | None = None) -> None:
        rows.append(measure_row(GROUP, name, fn, repeat, **round_trip(conn, repeat), target_ms=target,
                                target_on="p95_ms"))

    def write_case(name: str, act: Callable[[T], object], candidates: Iterable[T], target: float | None = None) -> None:
        base = round_trip(conn, repeat)
        samples, changed, failed = sample_changes(name, act, candidates, repeat)
        rows.append(timed_row(GROUP, name, samples, **base, target_ms=target, target_on="p95_ms",
                              extra={"changed": changed, "failed": failed}))

    # Finding and booking free time, as the booking dialog does (any provider, for its patient).
    after = calendar_events.search_from(ctx.today, ctx.tz, now)
    read_case("next 8 free slots, any provider, one patient", lambda: slots.find_next_available(
        conn, follow_up.id, patient_id=patient.id, after=after, limit=8), 100)
    spare = [r[0] for r in db.read(conn, "SELECT id FROM patients WHERE status = 'active' ORDER BY id DESC LIMIT ?",
                                   [wanted])]
    free = _apart(slots.find_next_available(conn, follow_up.id, after=after, limit=wanted), follow_up)
    write_case("book one appointment", lambda c: appointments.book(
        conn, patient_id=c[1], provider_id=c[0].provider_id, type_id=follow_up.id, start=c[0].start, user=desk),
        zip(free, spare), 25)

    # Moving a booked follow-up (a week or more ahead) to a free time, maybe with another provider:
    # the same locks and rules as a booking, so the same target.
    booked = [r[0] for r in db.read(
        conn, "SELECT id FROM appointments WHERE type_id = ? AND status IN ('scheduled', 'confirmed')"
              " AND start_at >= ? ORDER BY start_at, id LIMIT ?", [follow_up.id, day_end + timedelta(days=7), wanted])]
    free = _apart(slots.find_next_available(conn, follow_up.id, after=after, limit=wanted), follow_up)

    def move(c: tuple[int, slots.Slot]) -> tuple[int, datetime]:
        appointments.reschedule(conn, c[0], start=c[1].start, provider_id=c[1].provider_id, user=desk)
        return c[0], c[1].start

    write_case("reschedule one appointment", move, zip(booked, free), 25)

    # Today's visits still to come, nearest to now first: checked in, then (as on Today) completed,
    # which writes the status, the visit's draft invoice and its supply kit's stock use.
    today_ids = [r[0] for r in db.read(
        conn, "SELECT id FROM appointments WHERE status IN ('scheduled', 'confirmed') AND start_at >= ?"
              " AND start_at < ? ORDER BY abs(epoch(start_at) - epoch(?::TIMESTAMPTZ)), id LIMIT ?",
        [day_start, day_end, now, wanted])]
    write_case("check in", lambda i: appointments.change_status(conn, i, "checked_in", user=desk).id, today_ids)
    arrived = [r[0] for r in db.read(
        conn, "SELECT id FROM appointments WHERE status = 'checked_in' AND start_at >= ? AND start_at < ?"
              " ORDER BY arrived_at DESC, id LIMIT ?", [day_start, day_end, wanted])]
    write_case("complete a visit (status, invoice, kit)",
               lambda i: appointments.change_status(conn, i, "completed", user=desk).id, arrived)

    # The patient search box (components/patient_search.py asks for 20), by what callers give.
    fragment = f"{patient.last_name[:3]} {patient.first_name[:3]}".lower()  # "gar mar"
    phone = "".join(ch for ch in (patient.phone_mobile or "5550147") if ch.isdigit())[-7:]
    for name, text in {"name fragment": fragment, "phone": f"{phone[:3]}-{phone[3:]}",
                       "date of birth": f"{patient.date_of_birth:%m/%d/%Y}"}.items():
        read_case(f"patient search by {name}", lambda text=text: patients.search(conn, text, limit=20), 50)
    read_case("open a patient file (its reads)", lambda: open_file(conn, desk, patient.id))

    # A patient's payment, one dollar on a different owing invoice each run (the payment form).
    owing = [r[0] for r in db.read(
        conn, "SELECT invoice_id FROM invoice_balances WHERE status IN ('open', 'partially_paid') AND balance >= 1"
              " ORDER BY invoice_id LIMIT ?", [wanted])]
    write_case("post a patient payment", lambda i: (i, billing.post_patient_payment(
        conn, invoice_id=i, amount="1.00", method="card", user=clerk)), owing, 25)

    # One unit used outside a kit (the stock page's form: FEFO, with its balance row), each run from
    # another of the items with most on hand.
    stocked = [r[0] for r in db.read(
        conn, "SELECT item_id FROM stock_balances GROUP BY item_id HAVING sum(quantity) > 0"
              " ORDER BY sum(quantity) DESC, item_id LIMIT ?", [wanted])]
    write_case("use one unit of stock (FEFO)", lambda i: (i, sum(n for _lot, n in inventory.use(
        conn, item_id=i, quantity=1, user=desk, today=ctx.today))), stocked)
    return rows


def open_file(conn: db.Connection, user: users.User, patient_id: int) -> None:
    """The reads pages/patients.py and components/patient_file/ make to show one patient's file to
    ``user`` (the front desk: its header with the balance, the Appointments, Billing, Documents,
    Messages and Intake history tabs; no notes, no access log, no merge). The ``patient.view``
    audit row is left out: the page writes it once per opening, not on every rerun."""
    settings.get_all(conn)
    patients.get_full(conn, patient_id)
    clinical, _grant = break_glass.access(conn, user, patient_id)
    patients.summary(conn, patient_id)
    billing.patient_balance(conn, patient_id)
    billing.patient_credit(conn, patient_id)
    patients.appointments_for(conn, patient_id)
    settings.timezone(conn)
    ar_reports.patient_ledger(conn, patient_id)
    patients.get(conn, patient_id)  # the statement button's MRN (the PDF is built only when clicked)
    documents.list_for_patient(conn, patient_id, role=user.role, clinical=clinical != "none")
    documents.count_withheld(conn, patient_id, role=user.role, clinical=clinical != "none")
    messages.for_patient(conn, patient_id, role=user.role)
    users.list_users(conn, active_only=True)
    patient_intake.changes_for(conn, patient_id)


def sample_changes(name: str, act: Callable[[T], object], candidates: Iterable[T], repeat: int, *,
                   warmup: int = 1) -> tuple[list[float], list[object], list[str]]:
    """Milliseconds of ``repeat`` runs of ``act`` after ``warmup`` untimed ones, each on the next
    candidate; also what each run (warm-up included) returned, and the refusals.

    A candidate refused with a ClinicError gives way to the next one: its time is not a sample of
    the operation (it wrote nothing), but it is kept, as "candidate: why". Raises RuntimeError when
    fewer than half the runs succeeded, or the candidates ran out before half the samples."""
    samples: list[float] = []
    changed: list[object] = []
    failed: list[str] = []
    pool = iter(candidates)
    while len(changed) < warmup + repeat:
        candidate = next(pool, None)
        if candidate is None:
            break
        started = time.perf_counter()
        try:
            result = act(candidate)
        except ClinicError as exc:
            failed.append(f"{candidate}: {exc}")
            continue
        elapsed = (time.perf_counter() - started) * 1000
        if len(changed) >= warmup:
            samples.append(elapsed)
        changed.append(result)
    if not samples or len(samples) * 2 < repeat or len(failed) > len(changed):
        raise RuntimeError(f"{name}: {len(changed)} of {len(changed) + len(failed)} runs made their change "
                           f"({repeat} timed wanted); refused: {failed[:5]}")
    return samples, changed, failed


def _apart(found: list[slots.Slot], visit_type) -> list[slots.Slot]:
    """The free slots no two of which overlap with one provider (with the visit's buffer), so
    booking one does not take the next one's time."""
    span = timedelta(minutes=visit_type.duration_min + visit_type.buffer_after_min)
    kept: list[slots.Slot] = []
    for s in found:
        if all(k.provider_id != s.provider_id or abs(k.start - s.start) >= span for k in kept):
            kept.append(s)
    return kept
