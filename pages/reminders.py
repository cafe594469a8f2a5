"""Reminder calls: the reminder day's booked patients with their phone numbers, where each call
stands (a badge) and one click to record how it went (confirming also confirms the appointment).
Patients who opted out of reminders are listed apart, not to be called. A big day comes a page
at a time. Each patient's no-show risk (learned from the clinic's own history, with its reasons)
puts the riskiest calls first; the list can still be read by time."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic import frontdesk, intake, noshow_risk, timeutil
from clinic.access import can_do
from clinic.errors import ClinicError
from components.db_session import get_conn
from components.frame import require
from components.kpi import Tile, tiles
from components.text import md
from db import appointments, availability, providers, settings
from db import noshow_risk as risk_model

user = require("reminders")
conn = get_conn()
config = settings.get_all(conn)
tz = config["timezone"]
today = timeutil.today(tz)
may_record = can_do(user.role, "reminders.record")

OUTCOME_COLOURS = {"confirmed": "green", "left_message": "orange", "no_answer": "orange",
                   "wants_reschedule": "violet"}
OUTCOME_ICONS = {"confirmed": ":material/thumb_up:", "left_message": ":material/voicemail:",
                 "no_answer": ":material/phone_missed:", "wants_reschedule": ":material/event_repeat:"}
ERRORS_KEY = "_reminder_row_errors"
PAGE_KEY = "reminders_page"
PAGE_SIZE = 25
SHOW_TO_CALL, SHOW_ALL = "Still to call", "All"
RISKIEST, BY_TIME = "Riskiest first", "By time"
ALL = 0
ss = st.session_state

# The reminder day: ``reminder_days_ahead`` working days after today (Friday calls Monday).
days_ahead = availability.reminder_days_ahead(conn)
roster = {p.id: p for p in providers.list_providers(conn)}
weekdays = {b.weekday for pid, blocks in availability.hours_by_provider(conn).items() if pid in roster for b in blocks}
closures = availability.closures_between(conn, today, frontdesk.shift_day(today, frontdesk.SEARCH_DAYS))
default_day = frontdesk.reminder_day(today, days_ahead, frontdesk.working_day_test(weekdays, closures))


def first_page() -> None:
    ss[PAGE_KEY] = 0


st.title("Reminder calls")
controls = st.columns([1.2, 1.8, 2, 1.5], vertical_alignment="bottom")
with controls[0]:
    ss.setdefault("reminders_day", default_day)
    day = st.date_input("Appointments on", key="reminders_day", format="MM/DD/YYYY", on_change=first_page) \
        or default_day
with controls[1]:
    provider_id = st.selectbox("Provider", [ALL, *roster], key="reminders_provider", on_change=first_page,
                               format_func=lambda i: "All providers" if i == ALL else roster[i].name)
with controls[2]:
    show = st.segmented_control("Show", [SHOW_TO_CALL, SHOW_ALL], key="reminders_show", default=SHOW_TO_CALL,
                                on_change=first_page) or SHOW_TO_CALL
with controls[3]:
    # The calls still to make come riskiest first; "All" is the day as booked, by time.
    order = BY_TIME
    if show == SHOW_TO_CALL:
        order = st.segmented_control("Order", [RISKIEST, BY_TIME], key="reminders_order", default=RISKIEST,
                                     on_change=first_page,
                                     help="Riskiest first: the patients most likely to miss their visit, "
                                          "as the clinic's past visits show.") or RISKIEST
ahead = "working day" if days_ahead == 1 else "working days"
st.caption(
    f"{day:%A %d %B %Y}"
    + (f" · the next reminder day ({days_ahead} {ahead} ahead)" if day == default_day else "")
    + f" · {md(config['clinic_name'])}"
)

day_start, day_end = timeutil.day_bounds(day, tz)
booked = [r for r in appointments.list_rows(conn, day_start, day_end, provider_id=provider_id or None)
          if r.status in frontdesk.REMINDABLE]
rows, not_to_call = frontdesk.split_opted_out(booked)
risks = risk_model.score_upcoming(conn, appointment_ids=[r.id for r in booked])
counts = frontdesk.reminder_counts(rows)
tiles([
    Tile("To call", counts.to_call, "Scheduled, opted in to reminders, and nobody has called yet."),
    Tile("Confirmed", counts.confirmed, "Confirmed on a call or earlier."),
    Tile("Not reached", counts.not_reached, "Left a message or no answer: worth another try."),
    Tile("Wants to reschedule", counts.wants_reschedule, "Move these on the Calendar."),
    Tile("Not to be called", len(not_to_call), "Opted out of reminders: listed apart, not called."),
])


def local(instant, fmt: str = "%H:%M") -> str:
    return "" if instant is None else timeutil.to_local(instant, tz).strftime(fmt)


def record(appointment_id: int, outcome: str, patient: str) -> None:
    errors = ss.setdefault(ERRORS_KEY, {})
    errors.pop(appointment_id, None)
    try:
        appointments.record_reminder(conn, appointment_id, outcome, user=user)
    except ClinicError as exc:
        errors[appointment_id] = (patient, str(exc))
    else:
        st.toast(f"{md(patient)}: {frontdesk.REMINDER_LABELS[outcome].lower()}.", icon=":material/check_circle:")


def call_state(row: appointments.AppointmentRow) -> str:
    """Where the call stands, as badges: a status, never a button."""
    outcome = row.reminder_outcome
    badges = []
    if row.status == "confirmed":
        badges.append(":green-badge[:material/check: Confirmed]")
    if outcome and not (outcome == "confirmed" and row.status == "confirmed"):
        badges.append(f":{OUTCOME_COLOURS[outcome]}-badge[{frontdesk.REMINDER_LABELS[outcome]}]")
    if not badges:
        badges.append(":gray-badge[Not called yet]")
    when = local(row.reminder_at, "%a %H:%M")
    return " ".join(badges) + (f"  \n:gray[called {when}]" if outcome and when else "")


def risk_cell(risk: noshow_risk.Risk) -> tuple[str, str]:
    """The no-show risk as a badge over its reasons, and the score in the help text."""
    label = noshow_risk.BAND_LABELS[risk.band]
    reasons = md(", ".join(risk.reasons)) if risk.reasons else "like most visits"
    return (f":{noshow_risk.BAND_COLOURS[risk.band]}-badge[{label} no-show risk]  \n:gray[{reasons}]",
            f"Chance of a no-show about {risk.score:.0%}, from the clinic's past visits.")


def show_row(row: appointments.AppointmentRow) -> None:
    appointment_id = row.id
    with st.container(horizontal=True, vertical_alignment="center", gap="small", border=True,
                      key=f"reminder_row_{appointment_id}"):
        st.markdown(f"**{local(row.start_at)}**", width=48)
        phone = intake.display_phone(row.phone, config["country"])
        st.markdown(f"**{md(row.patient)}**  \n" + (md(phone) if phone else ":red[no phone on file]"), width=230)
        st.markdown(f"{md(row.visit_type)}  \n:gray[{md(row.provider)}]", width=190)
        if row.id in risks:
            risk_body, risk_help = risk_cell(risks[row.id])
            st.markdown(risk_body, width=210, help=risk_help)
        st.markdown(call_state(row), width=190)
        if may_record:
            # The actions as one group (it wraps under the row as a whole), named as such, so
            # an outcome button never reads as the state shown in the badge beside it.
            with st.container(horizontal=True, vertical_alignment="center", gap="small", width="content"):
                st.markdown(":gray[Log the call:]", width="content")
                for choice in appointments.REMINDER_OUTCOMES:
                    st.button(frontdesk.REMINDER_LABELS[choice], key=f"reminder_{choice}_{appointment_id}",
                              icon=OUTCOME_ICONS[choice], type="secondary", on_click=record,
                              args=(appointment_id, choice, row.patient))
    error = ss.get(ERRORS_KEY, {}).pop(appointment_id, None)
    if error:
        st.error(error[1], icon=":material/error:")


st.subheader("Patients to call", divider="gray")
day_closed = availability.closures_between(conn, day, day)
if day in day_closed:
    st.info(f"The clinic is closed on {day:%A %d %B}: {md(day_closed[day] or 'clinic closed')}.",
            icon=":material/event_busy:")
listed = [r for r in rows if show != SHOW_TO_CALL or frontdesk.needs_call(r.status, r.reminder_outcome)]
if order == RISKIEST:
    listed = noshow_risk.riskiest_first(listed, risks)
# A visit changed elsewhere may have left the list (cancelled, checked in): say why here.
listed_ids = {r.id for r in listed}
for appointment_id in [i for i in ss.get(ERRORS_KEY, {}) if i not in listed_ids]:
    patient, message = ss[ERRORS_KEY].pop(appointment_id)
    st.error(f"{md(patient)}: {message}", icon=":material/error:")
if not rows:
    st.info("No scheduled or confirmed appointments to call about on this day.")
elif not listed:
    st.success("Everyone on this day has been called.", icon=":material/check_circle:")
else:
    page = frontdesk.page_of(len(listed), ss.get(PAGE_KEY, 0), PAGE_SIZE)
    ranking = ""
    if not risks:
        ranking = "No-show risk shows once the clinic has kept and missed visits to learn from. "
    elif order == RISKIEST:
        ranking = "Riskiest first: the patients most likely to miss their visit, with why. "
    st.caption(ranking + "Each row shows where the call stands; the buttons record how a call went. "
               "Patients who want to reschedule are moved on the Calendar.")
    for row in listed[page.start:page.end]:
        show_row(row)
    if page.count > 1:
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            st.button("", icon=":material/chevron_left:", key="reminders_prev", help="Previous page",
                      disabled=page.number == 0, on_click=ss.__setitem__, args=(PAGE_KEY, page.number - 1))
            st.markdown(f"Patients {page.start + 1}–{page.end} of {page.total} · page {page.number + 1} of "
                        f"{page.count}", width="content")
            st.button("", icon=":material/chevron_right:", key="reminders_next", help="Next page",
                      disabled=page.number + 1 >= page.count, on_click=ss.__setitem__,
                      args=(PAGE_KEY, page.number + 1))

if not_to_call:
    with st.expander(f"Not to be called ({len(not_to_call)}): opted out of reminders", icon=":material/phone_disabled:"):
        st.dataframe(
            pd.DataFrame([{"Time": local(r.start_at), "Patient": r.patient, "Visit type": r.visit_type,
                           "Provider": r.provider, "Status": "Confirmed" if r.status == "confirmed" else "Scheduled",
                           "Risk": noshow_risk.risk_text(risks[r.id]) if r.id in risks else ""}
                          for r in not_to_call]),
            hide_index=True, width="stretch",
        )
