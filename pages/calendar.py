"""Calendar: the clinic's appointments by provider, week, month or list. Drag across empty time
to book (or "New appointment"), click an appointment for its details and status actions, drag it
to move it. It opens at "now", keeps its day (another day than today is also in the address,
``?day=YYYY-MM-DD``), view and filters, and reopens where the user was after a booking or a move."""

from __future__ import annotations

from datetime import date

import streamlit as st

from clinic import calendar_events as ce
from components import calendar as cal
from components import calendar_actions, calendar_state, forms
from components import fullcalendar as fc
from components.appointment_details import details_dialog
from components.booking_dialog import render_booking
from components.calendar_state import BOOKING, CAL, DETAILS, REFUSED
from components.db_session import get_conn
from components.frame import require
from components.text import md
from db import appointments, availability

user = require("calendar")
conn = get_conn()
ctx = calendar_state.load_context(conn, user)
tz, today, roster, types = ctx.tz, ctx.today, ctx.roster, ctx.types
hours = availability.hours_by_provider(conn)

ss = st.session_state
calendar_state.restore_toolbar(today, [ctx.own.id] if ctx.own and ctx.own.id in roster else [])
if ss.get(calendar_actions.GOTO):  # a month-grid entry was clicked: open that day (before the widgets exist)
    ss["cal_day"], ss["cal_view"] = ss.pop(calendar_actions.GOTO)
# A provider deactivated or a visit type retired since the filter was set is dropped from it.
ss["cal_providers"] = [i for i in ss["cal_providers"] if i in roster]
ss["cal_types"] = [i for i in ss.get("cal_types", []) if i in types]


def go_to(day: date) -> None:
    ss["cal_day"] = day


# --- the toolbar: day, arrows, view, filters ------------------------------------------------------

with st.container(horizontal=True, horizontal_alignment="distribute", vertical_alignment="center"):
    st.title("Calendar", width="content")
    if ctx.may_book:
        st.button("New appointment", key="cal_new", icon=":material/add:", type="primary",
                  on_click=calendar_actions.new_appointment, args=(ctx,),
                  help="Book at the next free time, from the day shown (of the provider you filtered to).")
view = ss.get("cal_view") or ce.DEFAULT_VIEW
with st.container(horizontal=True, vertical_alignment="bottom", gap="small"):
    day = st.date_input("Day", key="cal_day", format="MM/DD/YYYY", width=150)
    day = day if isinstance(day, date) else today
    st.button("", icon=":material/chevron_left:", key="cal_prev", help="Back",
              on_click=go_to, args=(ce.shift(view, day, -1),))
    st.button("Today", key="cal_today", on_click=go_to, args=(today,), disabled=day == today)
    st.button("", icon=":material/chevron_right:", key="cal_next", help="Ahead",
              on_click=go_to, args=(ce.shift(view, day, 1),))
    view = st.segmented_control("View", list(ce.VIEWS), key="cal_view", required=True,
                                format_func=ce.VIEWS.get) or ce.DEFAULT_VIEW
    active = ce.filter_count(ss.get("cal_providers"), ss.get("cal_types"), [True] if ss.get("cal_cancelled") else [])
    with st.popover(f"Filters ({active})" if active else "Filters", icon=":material/filter_list:"):
        chosen_providers = st.multiselect("Providers", list(roster), key="cal_providers",
                                          placeholder="All providers", format_func=lambda i: roster[i].name)
        chosen_types = st.multiselect("Visit types", list(types), key="cal_types", placeholder="All visit types",
                                      format_func=lambda i: types[i].name)
        show_cancelled = st.toggle("Show cancelled appointments", key="cal_cancelled")
calendar_state.keep_toolbar(day, today)

# --- what the period holds ------------------------------------------------------------------------

shown = [roster[i] for i in (chosen_providers or roster)]
shown_ids = [p.id for p in shown]
blocks = [b for p in shown for b in hours.get(p.id, [])]
window = ce.working_window(blocks)
start_at, end_at = ce.visible_bounds(view, day, tz)
wanted = {"provider_ids": shown_ids, "type_ids": chosen_types or None, "include_cancelled": show_cancelled}
if view == "month":  # one entry per provider and day, counted in the database
    counts = appointments.count_by_day_and_provider(conn, start_at, end_at, tz, **wanted)
    total = sum(c.count for c in counts)
    events = fc.month_summary_events(counts, {p.id: p.colour for p in shown})
else:
    rows = appointments.list_rows(conn, start_at, end_at, **wanted)
    total = len(rows)
    events = [fc.appointment_event(r, tz, movable=ctx.may_book, now=ctx.now, with_provider=view != "day")
              for r in rows]
closures = availability.closures_between(conn, *ce.visible_days(view, day))
events += [fc.closure_event(d, reason, window, all_day=view == "month")
           for d, reason in ce.closed_days(closures, view, day)]
if view in ce.TIME_GRID_VIEWS:  # the grids draw time off as shaded bands; month and list do not
    events += fc.time_off_events(availability.time_off_by_provider(conn, start_at, end_at, shown_ids), tz)

# --- the summary line and messages ----------------------------------------------------------------

summary = f"**{ce.period_label(view, day)}** · {total} appointment{'s' if total != 1 else ''}"
if chosen_providers or chosen_types:
    summary += " · showing " + md(", ".join([roster[i].name for i in chosen_providers]
                                             + [types[i].name for i in chosen_types]))
if view == "month":
    hint = "Click a provider's count to open that day" + (" · click an empty day to book" if ctx.may_book else "")
else:
    hint = ("Drag across empty time to book · click an appointment for details · drag it to move it"
            if ctx.may_book else "Click an appointment for its details")
st.markdown(f"{summary}  \n:gray[{hint} · times in {md(tz)}]")
if view == "week" and len(shown) > 1:
    st.caption("Tip: choose one provider under Filters for a roomier week.")
if view == "day" and day in closures:
    st.info(f"The clinic is closed on {day:%A %d %B}: {md(closures[day] or 'clinic closed')}.",
            icon=":material/event_busy:")
forms.show_flashes()
if ss.get(REFUSED):
    st.error(ss.pop(REFUSED), icon=":material/block:")

# --- the calendar, and what a click or drag on it does ------------------------------------------

action = cal.clinic_calendar(
    events,
    [fc.resource(p.id, p.name, hours.get(p.id, [])) for p in shown],
    view=view, initial_date=day, tz=tz, now=ctx.now, window=window,
    key=cal.calendar_key(CAL, view, day.isoformat()),
    business_hours=None if view == "day" else fc.business_hours(blocks),
    weekends=ce.works_weekends(blocks),
    selectable=ctx.may_book and view != "list", editable=ctx.may_book,
    extra_css=fc.type_stripes_css(types.values()),
    scroll=calendar_state.scroll_time(ctx, view, day, window),
)
if action is not None:
    calendar_actions.handle(ctx, action, window)

if ss.get(BOOKING):
    render_booking(conn, user, ctx=ctx)
elif ss.get(DETAILS) is not None:
    details_dialog(ctx)
