"""The calendar screen's shared state: who is looking and what they may do
(:class:`CalendarContext`), and which of its dialogs is open (a booking, or one appointment's
details). The booking and details dialogs and the page read and close them through here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import streamlit as st

from clinic import timeutil
from clinic.access import can_do
from clinic.errors import ClinicError, ValidationError
from clinic.scheduling import VisitType
from components import calendar as cal
from components import forms
from db import Connection, providers, settings, users, visit_types

CAL = "cal"  # base of the calendar component's key
BOOKING = "cal_booking"  # the open booking dialog: {"waitlist_id": ..., "patient_id": ...} or None
DETAILS = "cal_details"  # the appointment whose details dialog is open, or None
FREED = "cal_freed"  # the slot a cancellation just freed, for the waitlist matches
REFUSED = "_cal_refused"  # why the last drag was refused, shown once above the calendar


@dataclass(frozen=True)
class CalendarContext:
    """What the calendar's pieces share for one run of the page."""

    conn: Connection
    user: users.User
    tz: str
    country: str
    today: date
    now: datetime
    roster: dict[int, providers.Provider]  # active providers: the columns and the choices
    everyone: dict[int, providers.Provider]  # including deactivated ones, for older appointments
    types: dict[int, VisitType]  # active visit types
    own: providers.Provider | None  # the provider linked to a clinician's login
    may_book: bool  # book, move, cancel, quick-add

    def is_own(self, provider_id: int) -> bool:
        """Whether an appointment with ``provider_id`` is one of the user's own patients'."""
        return self.own is not None and self.own.id == provider_id


def load_context(conn: Connection, user: users.User) -> CalendarContext:
    config = settings.get_all(conn)
    tz = config["timezone"]
    return CalendarContext(
        conn=conn, user=user, tz=tz, country=config["country"], today=timeutil.today(tz), now=timeutil.now_utc(),
        roster={p.id: p for p in providers.list_providers(conn)},
        everyone={p.id: p for p in providers.list_providers(conn, active_only=False)},
        types={t.id: t for t in visit_types.list_active(conn)},
        own=providers.for_user(conn, user.id) if user.role == "clinician" else None,
        may_book=can_do(user.role, "appointments.book"),
    )


def close_dialogs() -> None:
    """Close whichever dialog is open; the calendar remounts with the database's state."""
    st.session_state[BOOKING] = None
    st.session_state[DETAILS] = None
    st.session_state[FREED] = None
    cal.reset(CAL)


def set_error(form: str, exc: ClinicError, fields: set[str]) -> None:
    """Show a refusal next to its field (one of ``fields``), else under the form."""
    if isinstance(exc, ValidationError):
        forms.set_errors(form, {f if f in fields else "": m for f, m in exc.errors.items()})
    else:
        forms.set_errors(form, {exc.field if exc.field in fields else "": str(exc)})
