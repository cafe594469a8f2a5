"""The calendar screen's shared state: who is looking and what they may do
(:class:`BookingContext`, all the booking dialog needs, loadable by any page;
:class:`CalendarContext`, the calendar's), and which of its dialogs is open (a booking, or one
appointment's details). The booking and details dialogs and the pages read and close them
through here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

import streamlit as st

from clinic import calendar_events as ce
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
PLACE = "_cal_place"  # (day, time), clinic-local: where the user last clicked, dragged or booked on the grid
BOOKED = "_cal_booked"  # the instant the booking dialog just booked (the calendar opens there)
KEPT = "_cal_kept"  # the toolbar's choices, kept while the user is on another page
ADDRESS_DAY = "_cal_address_day"  # the ?day= of the address last applied or written
TOOLBAR = ("cal_day", "cal_view", "cal_providers", "cal_types", "cal_cancelled")


@dataclass(frozen=True)
class BookingContext:
    """What the booking dialog needs for one run of a page (the calendar, Today)."""

    conn: Connection
    user: users.User
    tz: str
    country: str
    today: date
    now: datetime
    roster: dict[int, providers.Provider]  # active providers: the columns and the choices
    types: dict[int, VisitType]  # active visit types
    own: providers.Provider | None  # the provider linked to a clinician's login
    may_book: bool  # book, move, cancel, quick-add


@dataclass(frozen=True)
class CalendarContext(BookingContext):
    """What the calendar's pieces share for one run of the page."""

    everyone: dict[int, providers.Provider]  # including deactivated ones, for older appointments

    def is_own(self, provider_id: int) -> bool:
        """Whether an appointment with ``provider_id`` is one of the user's own patients'."""
        return self.own is not None and self.own.id == provider_id


def load_booking_context(conn: Connection, user: users.User) -> BookingContext:
    """The booking dialog's context alone: settings, active providers and visit types."""
    config = settings.get_all(conn)
    tz = config["timezone"]
    return BookingContext(
        conn=conn, user=user, tz=tz, country=config["country"], today=timeutil.today(tz), now=timeutil.now_utc(),
        roster={p.id: p for p in providers.list_providers(conn)},
        types={t.id: t for t in visit_types.list_active(conn)},
        own=providers.for_user(conn, user.id) if user.role == "clinician" else None,
        may_book=can_do(user.role, "appointments.book"),
    )


def load_context(conn: Connection, user: users.User) -> CalendarContext:
    """The calendar page's context: the booking context and every provider, deactivated too."""
    booking = load_booking_context(conn, user)
    return CalendarContext(**vars(booking),
                           everyone={p.id: p for p in providers.list_providers(conn, active_only=False)})


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


# --- where the calendar is: its day and view, and its place on the time grid ---------------------


def restore_toolbar(today: date, providers: list[int]) -> None:
    """Before the toolbar is drawn: the day, view and filters the user left (Streamlit forgets a
    widget's value while another page is shown), and a ``?day=YYYY-MM-DD`` in the address when
    it is new (a link, a bookmark, a refresh) opens that day."""
    ss = st.session_state
    kept = ss.get(KEPT) or {}
    defaults = {"cal_day": today, "cal_view": ce.DEFAULT_VIEW, "cal_providers": providers, "cal_types": [],
                "cal_cancelled": False}
    for key in TOOLBAR:
        if key not in ss:
            ss[key] = kept.get(key, defaults[key])
    asked = ce.day_from_address(st.query_params.get("day"))
    if asked is not None and asked != ss.get(ADDRESS_DAY):
        ss["cal_day"] = asked
        ss[ADDRESS_DAY] = asked


def keep_toolbar(day: date, today: date) -> None:
    """After the toolbar is drawn: remember it, and show another day than today in the address
    (``?day=``), so a refresh or a bookmark opens the same day; a plain address means today."""
    ss = st.session_state
    ss[KEPT] = {key: ss.get(key) for key in TOOLBAR} | {"cal_day": day}
    if day == today:
        if "day" in st.query_params:
            del st.query_params["day"]
    elif st.query_params.get("day") != day.isoformat():
        st.query_params["day"] = day.isoformat()
    ss[ADDRESS_DAY] = day


def mark_place(at: datetime | None, tz: str) -> None:
    """The user worked at ``at`` on the grid: the calendar reopens there after a remount."""
    if at is not None:
        local = timeutil.to_local(at, tz)
        st.session_state[PLACE] = (local.date(), local.time().replace(second=0, microsecond=0))


def scroll_time(ctx: BookingContext, view: str, day: date, window: tuple[time, time]) -> time:
    """Where the time grid opens this run: at a booking just made when it is on screen, else where
    the user last worked on the days shown, else at "now" when today is shown, else the top."""
    ss = st.session_state
    booked = ss.pop(BOOKED, None)
    if booked is not None and ce.shows(view, day, timeutil.to_local(booked, ctx.tz).date()):
        mark_place(booked, ctx.tz)
    return ce.scroll_time(view, day, window, place=ss.get(PLACE), today=ctx.today,
                          now=timeutil.to_local(ctx.now, ctx.tz).time())
