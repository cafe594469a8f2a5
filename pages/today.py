"""Today: every provider's day in time order with one-click check-in, start, complete and no-show;
who is waiting and for how long; the free gaps a walk-in could take."""

from __future__ import annotations

import streamlit as st

from clinic import frontdesk, timeutil
from clinic.access import may_change_appointment
from clinic.errors import ClinicError
from clinic.scheduling import STATUS_COLOURS, STATUS_LABELS
from components.db_session import get_conn
from components.frame import require
from components.kpi import Tile, tiles
from components.text import md
from db import appointments, availability, providers, settings

user = require("today")
conn = get_conn()
config = settings.get_all(conn)
tz = config["timezone"]
today = timeutil.today(tz)
now = timeutil.now_utc()

ALL = 0  # the provider filter's "All providers"
ACTION_ICONS = {frontdesk.CHECK_IN: ":material/how_to_reg:", frontdesk.START: ":material/play_arrow:",
                frontdesk.COMPLETE: ":material/task_alt:", frontdesk.NO_SHOW: ":material/person_off:"}
ERRORS_KEY = "_today_row_errors"

own = providers.for_user(conn, user.id) if user.role == "clinician" else None

# --- which day, whose day ----------------------------------------------------------------------

st.session_state.setdefault("today_day", today)
st.session_state.setdefault("today_provider", own.id if own else ALL)


def go_to(day) -> None:
    st.session_state["today_day"] = day


st.title("Today")
controls = st.columns([1.3, 1.4, 2, 1.4], vertical_alignment="bottom")
with controls[0]:
    day = st.date_input("Day", key="today_day", format="MM/DD/YYYY") or today
with controls[1]:
    with st.container(horizontal=True, gap="small"):
        st.button("", icon=":material/chevron_left:", key="today_prev", help="Previous day",
                  on_click=go_to, args=(frontdesk.shift_day(day, -1),))
        st.button("Today", key="today_back", on_click=go_to, args=(today,), disabled=day == today)
        st.button("", icon=":material/chevron_right:", key="today_next", help="Next day",
                  on_click=go_to, args=(frontdesk.shift_day(day, 1),))
with controls[2]:
    roster = {p.id: p for p in providers.list_providers(conn)}

    def provider_label(i: int) -> str:
        if i == ALL:
            return "All providers"
        return roster[i].name + (" (you)" if own and own.id == i else "")

    provider_id = st.selectbox("Provider", [ALL, *roster], key="today_provider", format_func=provider_label)
with controls[3]:
    hide_finished = st.toggle("Hide finished visits", key="today_hide_finished",
                              help="Hide completed visits and no-shows.")

when = "today" if day == today else ("a past day" if day < today else "a day ahead")
st.caption(f"{day:%A %d %B %Y} · {when} · {md(config['clinic_name'])}")

day_start, day_end = timeutil.day_bounds(day, tz)
closures = availability.closures_between(conn, day, day)
if day in closures:
    st.info(f"The clinic is closed on {day:%A %d %B}: {md(closures[day] or 'clinic closed')}.",
            icon=":material/event_busy:")

rows = appointments.list_rows(conn, day_start, day_end, provider_id=provider_id or None)
counts = frontdesk.day_counts(rows)
tiles([
    Tile("To arrive", counts.to_arrive, "Scheduled or confirmed, not checked in yet."),
    Tile("Waiting", counts.waiting, "Checked in, not yet taken in."),
    Tile("With provider", counts.with_provider, "Taken in, visit not completed yet."),
    Tile("Completed", counts.completed),
    Tile("No-shows", counts.no_show),
])


def local_time(instant) -> str:
    return f"{timeutil.to_local(instant, tz):%H:%M}"


# --- waiting room and bookable gaps ------------------------------------------------------------

waiting_col, gaps_col = st.columns(2, gap="large")
with waiting_col:
    st.subheader("Waiting room", divider="gray")
    waiting = frontdesk.waiting_room(rows, now)
    if not waiting:
        st.caption("Nobody is waiting.")
    for w in waiting:
        colour = "red" if w.long else "orange"
        st.markdown(
            f"**{md(w.patient)}** :{colour}-badge[{frontdesk.waited_label(w.minutes)}]  \n"
            f":gray[for {md(w.provider)} at {local_time(w.start_at)} · arrived {local_time(w.arrived_at)}]"
        )

with gaps_col:
    st.subheader("Bookable gaps", divider="gray")
    if day < today:
        st.caption("This day is over.")
    else:
        hours = availability.hours_by_provider(conn)
        gap_providers = [pid for pid in ([provider_id] if provider_id else list(roster)) if pid in roster]
        away = availability.time_off_by_provider(conn, day_start, day_end, gap_providers)
        any_gap = False
        for pid in gap_providers:
            mine = [r for r in rows if r.provider_id == pid]
            gaps = frontdesk.bookable_gaps(day, tz, hours.get(pid, []), frontdesk.busy_intervals(mine), now=now,
                                           time_off=away.get(pid, []), closed=day in closures)
            if gaps:
                any_gap = True
                badges = " ".join(
                    f":green-badge[{local_time(g.start)}–{local_time(g.end)} · {g.minutes} min]" for g in gaps
                )
                st.markdown(f"**{md(roster[pid].name)}**  \n{badges}")
        if any_gap:
            st.caption(f"Free time of {frontdesk.MIN_GAP_MIN} minutes or more inside working hours, "
                       "to offer walk-ins. Book it on the Calendar.")
        else:
            st.caption(f"No free gap of {frontdesk.MIN_GAP_MIN} minutes or more left.")

# --- the day, provider by provider -------------------------------------------------------------


def act(appointment_id: int, action: str, patient: str) -> None:
    """One click on a row's action button (runs before the page is drawn again)."""
    errors = st.session_state.setdefault(ERRORS_KEY, {})
    errors.pop(appointment_id, None)
    try:
        if action == frontdesk.START:
            appointments.mark_started(conn, appointment_id, user=user)
        else:
            appointments.change_status(conn, appointment_id, action, user=user)
    except ClinicError as exc:
        errors[appointment_id] = (patient, str(exc))
    else:
        st.toast(frontdesk.ACTION_DONE[action].format(md(patient)), icon=":material/check_circle:")


def status_line(row: appointments.AppointmentRow) -> str:
    label = STATUS_LABELS.get(row.status, row.status)
    colour = STATUS_COLOURS.get(row.status, "gray")
    if row.status == "checked_in" and row.started_at is not None:
        label, colour = "Checked in · with provider", "violet"
    return f":{colour}-badge[{label}]"


def arrival_line(row: appointments.AppointmentRow) -> str:
    if row.arrived_at is None:
        return ""
    parts = [f"arrived {local_time(row.arrived_at)}"]
    if row.status == "checked_in":
        if row.started_at is None:
            parts.append(frontdesk.waited_label(frontdesk.waiting_minutes(row.arrived_at, now)))
        else:
            parts.append(f"in since {local_time(row.started_at)}")
    return " · ".join(parts)


def show_row(row: appointments.AppointmentRow, actionable: bool) -> None:
    appointment_id = row.id
    time_col, patient_col, visit_col, status_col, action_col = st.columns(
        [0.7, 2.3, 2.3, 2.5, 2.8], vertical_alignment="center"
    )
    with time_col:
        st.markdown(f"**{local_time(row.start_at)}**  \n:gray[{local_time(row.end_at)}]")
    with patient_col:
        new = " :blue-badge[New patient]" if row.first_visit else ""
        st.markdown(f"{md(row.patient)}{new}  \n:gray[MRN {md(row.mrn)}]")
    with visit_col:
        reason = md(row.reason) if row.reason else "—"
        st.markdown(f"{md(row.visit_type)}  \n:gray[{reason}]")
    with status_col:
        arrival = arrival_line(row)
        st.markdown(status_line(row) + (f"  \n:gray[{arrival}]" if arrival else ""))
    with action_col:
        actions = frontdesk.row_actions(row.status, row.started_at is not None) if actionable else []
        if actions:
            primary = frontdesk.primary_action(actions)
            with st.container(horizontal=True, gap="small"):
                for action in actions:
                    st.button(
                        frontdesk.ACTION_LABELS[action],
                        key=f"{frontdesk.ACTION_KEYS[action]}_{appointment_id}",
                        icon=ACTION_ICONS[action],
                        type="primary" if action == primary else "secondary",
                        on_click=act,
                        args=(appointment_id, action, row.patient),
                    )
    error = st.session_state.get(ERRORS_KEY, {}).pop(appointment_id, None)
    if error:
        st.error(error[1], icon=":material/error:")


st.subheader("Schedule", divider="gray")
open_for_attendance = frontdesk.attendance_open(day, today)
if not open_for_attendance:
    st.caption("Check-in opens on the day. To cancel or move a visit, use the Calendar.")
else:
    st.caption("Cancelling and moving visits is on the Calendar.")

# A row changed elsewhere may have left the list (cancelled on the calendar): say why here.
listed_ids = {r.id for r in rows if not (hide_finished and frontdesk.is_finished(r.status))}
for appointment_id in [i for i in st.session_state.get(ERRORS_KEY, {}) if i not in listed_ids]:
    patient, message = st.session_state[ERRORS_KEY].pop(appointment_id)
    st.error(f"{md(patient)}: {message}", icon=":material/error:")

if not rows:
    st.info("No appointments on this day." if day not in closures else "Nothing booked: the clinic is closed.")

# Providers in name order (as in the filter); one who left keeps their already booked day.
for pid in dict.fromkeys([p for p in roster if any(r.provider_id == p for r in rows)]
                         + [r.provider_id for r in rows]):
    provider_rows = [r for r in rows if r.provider_id == pid]
    visible = [r for r in provider_rows if not (hide_finished and frontdesk.is_finished(r.status))]
    own_rows = own is not None and own.id == pid
    actionable = open_for_attendance and may_change_appointment(user.role, own_rows)
    with st.container(border=True, key=f"today_provider_{pid}"):
        title = md(provider_rows[0].provider)
        st.markdown(f"#### {title}" + (" :blue-badge[You]" if own_rows else ""))
        if not visible:
            st.caption("Every visit is finished.")
        for row in visible:
            show_row(row, actionable)
