"""Reminder calls: the reminder day's booked patients with their phone numbers, and one click to
record what happened on the call (confirming also confirms the appointment)."""

from __future__ import annotations

import streamlit as st

from clinic import frontdesk, intake, timeutil
from clinic.access import can_do
from clinic.errors import ClinicError
from components.db_session import get_conn
from components.frame import require
from components.kpi import Tile, tiles
from components.text import md
from db import appointments, availability, providers, settings

user = require("reminders")
conn = get_conn()
config = settings.get_all(conn)
tz = config["timezone"]
today = timeutil.today(tz)
may_record = can_do(user.role, "reminders.record")

OUTCOME_COLOURS = {"confirmed": "green", "left_message": "orange", "no_answer": "orange",
                   "wants_reschedule": "violet"}
ERRORS_KEY = "_reminder_row_errors"
SHOW_TO_CALL, SHOW_ALL = "Still to call", "All"

# The reminder day: ``reminder_days_ahead`` working days after today (Friday calls Monday).
days_ahead = availability.reminder_days_ahead(conn)
working = {p.id for p in providers.list_providers(conn)}
weekdays = {b.weekday for pid, blocks in availability.hours_by_provider(conn).items() if pid in working for b in blocks}
closures = availability.closures_between(conn, today, frontdesk.shift_day(today, frontdesk.SEARCH_DAYS))
default_day = frontdesk.reminder_day(today, days_ahead, frontdesk.working_day_test(weekdays, closures))

st.title("Reminder calls")
controls = st.columns([1.3, 2, 3], vertical_alignment="bottom")
with controls[0]:
    st.session_state.setdefault("reminders_day", default_day)
    day = st.date_input("Appointments on", key="reminders_day", format="MM/DD/YYYY") or default_day
with controls[1]:
    show = st.segmented_control("Show", [SHOW_TO_CALL, SHOW_ALL], key="reminders_show", default=SHOW_ALL)
ahead = "working day" if days_ahead == 1 else "working days"
st.caption(
    f"{day:%A %d %B %Y}"
    + (f" · the next reminder day ({days_ahead} {ahead} ahead)" if day == default_day else "")
    + f" · {md(config['clinic_name'])}"
)

day_start, day_end = timeutil.day_bounds(day, tz)
rows = [r for r in appointments.list_rows(conn, day_start, day_end) if r.status in frontdesk.REMINDABLE]
counts = frontdesk.reminder_counts(rows)
tiles([
    Tile("To call", counts.to_call, "Scheduled and nobody has called yet."),
    Tile("Confirmed", counts.confirmed, "Confirmed on a call or earlier."),
    Tile("Not reached", counts.not_reached, "Left a message or no answer: worth another try."),
    Tile("Wants to reschedule", counts.wants_reschedule, "Move these on the Calendar."),
])


def local(instant, fmt: str = "%H:%M") -> str:
    return "" if instant is None else timeutil.to_local(instant, tz).strftime(fmt)


def record(appointment_id: int, outcome: str, patient: str) -> None:
    errors = st.session_state.setdefault(ERRORS_KEY, {})
    errors.pop(appointment_id, None)
    try:
        appointments.record_reminder(conn, appointment_id, outcome, user=user)
    except ClinicError as exc:
        errors[appointment_id] = (patient, str(exc))
    else:
        st.toast(f"{md(patient)}: {frontdesk.REMINDER_LABELS[outcome].lower()}.", icon=":material/check_circle:")


def show_row(row: appointments.AppointmentRow) -> None:
    appointment_id = row.id
    outcome = row.reminder_outcome
    time_col, patient_col, visit_col, action_col = st.columns([0.55, 2.2, 1.5, 5.5], vertical_alignment="center")
    with time_col:
        st.markdown(f"**{local(row.start_at)}**")
    with patient_col:
        phone = intake.display_phone(row.phone, config["country"])
        opt = ":green-badge[Opted in]" if row.reminder_opt_in else ":orange-badge[Opted out]"
        badges = []
        if row.status == "confirmed":
            badges.append(":green-badge[Confirmed]")
        if outcome and not (outcome == "confirmed" and row.status == "confirmed"):
            badges.append(f":{OUTCOME_COLOURS[outcome]}-badge[{frontdesk.REMINDER_LABELS[outcome]}]")
        if not badges:
            badges.append(":gray-badge[Not called]")
        when = local(row.reminder_at, "%a %H:%M")
        st.markdown(
            f"**{md(row.patient)}**  \n"
            + (f"{md(phone)}" if phone else ":red[no phone on file]") + f" {opt}"
            + "  \n" + " ".join(badges) + (f" :gray[called {when}]" if outcome and when else "")
        )
    with visit_col:
        st.markdown(f"{md(row.visit_type)}  \n:gray[{md(row.provider)}]")
    with action_col:
        if may_record:
            with st.container(horizontal=True, gap="small"):
                for choice in appointments.REMINDER_OUTCOMES:
                    st.button(
                        frontdesk.REMINDER_LABELS[choice],
                        key=f"reminder_{choice}_{appointment_id}",
                        type="primary" if choice == "confirmed" and row.status != "confirmed" else "secondary",
                        on_click=record,
                        args=(appointment_id, choice, row.patient),
                    )
    error = st.session_state.get(ERRORS_KEY, {}).pop(appointment_id, None)
    if error:
        st.error(error[1], icon=":material/error:")


st.subheader("Patients to call", divider="gray")
day_closed = availability.closures_between(conn, day, day)
if day in day_closed:
    st.info(f"The clinic is closed on {day:%A %d %B}: {md(day_closed[day] or 'clinic closed')}.",
            icon=":material/event_busy:")
listed = [r for r in rows if show != SHOW_TO_CALL or frontdesk.needs_call(r.status, r.reminder_outcome)]
# A visit changed elsewhere may have left the list (cancelled, checked in): say why here.
listed_ids = {r.id for r in listed}
for appointment_id in [i for i in st.session_state.get(ERRORS_KEY, {}) if i not in listed_ids]:
    patient, message = st.session_state[ERRORS_KEY].pop(appointment_id)
    st.error(f"{md(patient)}: {message}", icon=":material/error:")
if not rows:
    st.info("No scheduled or confirmed appointments on this day.")
elif not listed:
    st.success("Everyone on this day has been called.", icon=":material/check_circle:")
else:
    st.caption("Patients who want to reschedule are moved on the Calendar.")
    with st.container(border=True):
        for row in listed:
            show_row(row)
