"""Test-only bookers for the race tests: a deliberately naive check-then-insert.

It exists to show that ``tests/db/test_booking.py``'s race test would notice a regression: the
same rules as ``db.appointments.book`` but WITHOUT the version bumps that serialise bookings. It
lives here, never in production code.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from clinic import scheduling
from db import Connection, atomic, booking_context


def book_naively(
    conn: Connection,
    *,
    patient_id: int,
    provider_id: int,
    type_id: int,
    start: datetime,
    user=None,
    after_check: Callable[[], object] | None = None,
) -> int:
    """Check the rules, then insert, in one transaction and without any lock.

    ``after_check`` runs between the check and the insert: a test passes a ``threading.Barrier``'s
    ``wait`` so that every naive booker has read a free slot before any of them inserts (the
    interleaving that MVCC allows and the version bumps forbid), which makes the double booking
    certain instead of a matter of thread timing.
    """
    fixed = booking_context.fixed_facts(conn, start)

    def write(cur: Connection) -> int:
        provider = booking_context.provider_facts(cur, provider_id)
        visit_type = booking_context.visit_type(cur, type_id)
        ctx = booking_context.load(cur, fixed, provider=provider, provider_id=provider_id, patient_id=patient_id,
                                   start=start)
        end, busy_until = scheduling.check_booking(start, visit_type, ctx, now=start - timedelta(days=1))
        if after_check is not None:
            after_check()
        (appointment_id,) = cur.execute(
            "INSERT INTO appointments (patient_id, provider_id, type_id, start_at, end_at, busy_until)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [patient_id, provider_id, type_id, start, end, busy_until],
        ).fetchone()
        return appointment_id

    # One attempt: a retry would wait at the barrier again, alone.
    return atomic(conn, write, attempts=1)
