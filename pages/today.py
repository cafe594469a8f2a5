"""Today: every provider's day around now, with one-click check-in, start, complete and no-show;
who is late and who is waiting; the free gaps a walk-in could take, one click from the booking.

A big clinic's day does not fit one screen: on today each provider's list runs from the current
hour to an hour ahead (earlier finished visits and later ones fold away, a click apart), a
name typed in the filter finds a patient's visit, and each provider's part reruns on its own
(components/today_schedule.py). ``?day=YYYY-MM-DD`` opens another day.
"""

from __future__ import annotations

import streamlit as st

from clinic import frontdesk, timeutil, today_view
from clinic.access import can_do, can_open, may_change_appointment
from components import forms
from components.booking_dialog import open_booking, render_booking
from components.db_session import get_conn
from components.frame import require
from components.text import md
from components.today_schedule import (LIST_HEIGHT, LIST_ROWS, PATIENTS_PAGE, SUMMARY_KEY, DayScreen, back_to_now,
                                       provider_part, summary, takes_payments)
from db import appointments, availability, providers, settings

user = require("today")
conn = get_conn()
config = settings.get_all(conn)
tz = config["timezone"]
today = timeutil.today(tz)
now = timeutil.now_utc()

ALL = 0  # the provider filter's "All providers"
DAY_PARAM = "day"
ss = st.session_state

own = providers.for_user(conn, user.id) if user.role == "clinician" else None

# --- which day, whose day ----------------------------------------------------------------------

# ?day=YYYY-MM-DD (a bookmark, a link, a refresh): applied when the address changes, so the
# arrows and the date field still move freely afterwards.
asked = st.query_params.get(DAY_PARAM)
if asked is not None and asked != ss.get("_today_day_param"):
    ss["_today_day_param"] = asked
    try:
        ss["today_day"] = today_view.parse_day(asked) or today
    except today_view.BadDay as exc:
        ss["today_day"] = today
        st.warning(md(str(exc)), icon=":material/link_off:")
ss.setdefault("today_day", today)
ss.setdefault("today_provider", own.id if own else ALL)


def go_to(day) -> None:
    ss["today_day"] = day


def jump_to_now() -> None:
    ss["today_day"] = today
    ss["today_query"] = ""
    back_to_now()


st.title("Today")
controls = st.columns([1.1, 1.7, 1.6, 1.6], vertical_alignment="bottom")
with controls[0]:
    day = st.date_input("Day", key="today_day", format="MM/DD/YYYY") or today
with controls[1]:
    with st.container(horizontal=True, gap="small", wrap=False):
        st.button("", icon=":material/chevron_left:", key="today_prev", help="Previous day",
                  on_click=go_to, args=(frontdesk.shift_day(day, -1),))
        st.button("Jump to now", icon=":material/schedule:", key="today_now", on_click=jump_to_now,
                  help="Today, each provider's list from the current hour, no name filter.")
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
    query = st.text_input("Find a patient", key="today_query", placeholder="Name or MRN",
                          help="Shows only the visits of patients whose name contains every word typed.")

if st.query_params.get(DAY_PARAM) != day.isoformat():
    # The address follows the day shown, so a refresh or a bookmark comes back to it.
    st.query_params[DAY_PARAM] = day.isoformat()
    ss["_today_day_param"] = day.isoformat()

when = "today" if day == today else ("a past day" if day < today else "a day ahead")
st.caption(f"{day:%A %d %B %Y} · {when} · {md(config['clinic_name'])}")
forms.show_flashes()

day_start, day_end = timeutil.day_bounds(day, tz)
closures = availability.closures_between(conn, day, day)
if day in closures:
    st.info(f"The clinic is closed on {day:%A %d %B}: {md(closures[day] or 'clinic closed')}.",
            icon=":material/event_busy:")

rows = appointments.list_rows(conn, day_start, day_end, provider_id=provider_id or None)
by_provider: dict[int, list] = {}
for r in rows:
    by_provider.setdefault(r.provider_id, []).append(r)
screen = DayScreen(
    conn=conn, user=user, tz=tz, day=day, day_start=day_start, day_end=day_end, is_today=day == today,
    attendance_open=frontdesk.attendance_open(day, today), rules=availability.rules(conn),
    query=(query or "").strip(), hide_finished=bool(ss.get("today_hide_finished")),
    fold_other_days=len(by_provider) > 1 and len(rows) > today_view.FOLD_ABOVE_ROWS,
    own_provider_id=own.id if own else None, may_act_on_others=may_change_appointment(user.role, False),
    patients_page=st.Page(PATIENTS_PAGE, url_path="patients") if can_open(user.role, "patients") else None,
    provider_filter=provider_id or None,
    prefetched={SUMMARY_KEY: rows, **by_provider},
)
if takes_payments(screen):
    screen.prefetch_owed(rows)

tiles_box = st.container()
waiting_col, gaps_col = st.columns(2, gap="large")
summary(screen, tiles_box, waiting_col)

# --- bookable gaps: a click opens the booking with the slot filled in -------------------------


def book_gap(key: str, provider_id: int, starts: list) -> None:
    """A gap picked: open the booking dialog at its start, and let the chip go."""
    picked = ss.get(key)
    ss[key] = None
    if picked is not None:
        open_booking(starts[picked], provider_id=provider_id)


with gaps_col:
    st.subheader("Bookable gaps", divider="gray")
    may_book = can_do(user.role, "appointments.book")
    if day < today:
        st.caption("This day is over.")
    else:
        hours = availability.hours_by_provider(conn)
        gap_providers = [pid for pid in ([provider_id] if provider_id else list(roster)) if pid in roster]
        away = availability.time_off_by_provider(conn, day_start, day_end, gap_providers)
        free = {pid: gaps for pid in gap_providers
                if (gaps := frontdesk.bookable_gaps(day, tz, hours.get(pid, []), frontdesk.busy_intervals(
                    by_provider.get(pid, [])), now=now, time_off=away.get(pid, []), closed=day in closures))}
        any_gap = bool(free)
        # Many providers' gaps scroll in their box, so the schedule below stays near the top.
        with st.container(height=LIST_HEIGHT if len(free) > LIST_ROWS else "content", border=False):
            for pid, gaps in free.items():
                label = [f"{screen.local(g.start)}–{screen.local(g.end)} · {g.minutes} min" for g in gaps]
                if not may_book:
                    st.markdown(f"**{md(roster[pid].name)}**  \n" + " ".join(f":green-badge[{t}]" for t in label))
                    continue
                st.pills(md(roster[pid].name), list(range(len(gaps))), format_func=label.__getitem__,
                         key=f"gaps_{pid}", on_change=book_gap, args=(f"gaps_{pid}", pid, [g.start for g in gaps]),
                         help="Click a gap to book it.", wrap=True)
        if any_gap:
            st.caption(f"Free time of {frontdesk.MIN_GAP_MIN} minutes or more inside working hours, to offer "
                       "walk-ins." + (" Click one to book it." if may_book else ""))
        else:
            st.caption(f"No free gap of {frontdesk.MIN_GAP_MIN} minutes or more left.")

# --- the day, provider by provider -------------------------------------------------------------

head, toggle_col = st.columns([4, 1], vertical_alignment="bottom")
head.subheader("Schedule", divider="gray")
with toggle_col:
    st.toggle("Hide finished", key="today_hide_finished", help="Hide completed visits and no-shows.")
if not screen.attendance_open:
    st.caption("Check-in opens on the day. To cancel or move a visit, use the Calendar.")
elif screen.is_today and not screen.query:
    window = today_view.now_window(now, tz)
    st.caption(f"Each list shows {screen.local(window.start)}–{screen.local(window.end)} and every earlier visit still "
               "open; the rest of the day is a click away. Cancelling and moving visits is on the Calendar.")
else:
    st.caption("Cancelling and moving visits is on the Calendar.")

if not rows:
    st.info("No appointments on this day." if day not in closures else "Nothing booked: the clinic is closed.")

# Providers in name order (as in the filter); one who left keeps their already booked day.
matching = {pid for pid, mine in by_provider.items() if any(today_view.matches(r, screen.query) for r in mine)}
if rows and screen.query and not matching:
    st.info(f"No visit on this day for a patient matching “{md(screen.query)}”.", icon=":material/person_search:")
for pid in dict.fromkeys([p for p in roster if p in by_provider] + list(by_provider)):
    if pid in matching:
        provider_part(screen, pid, by_provider[pid][0].provider)

render_booking(conn, user)
