"""Admin › Providers and hours: who can be booked, when, and by which rules.

Six tabs: providers, weekly hours, time off, closures and public holidays, visit types, booking
rules. Every change is checked by db/ (nothing is written when it refuses) and audited there.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, time

import pandas as pd
import streamlit as st

from clinic import timeutil
from clinic.access import can_do
from clinic.errors import ClinicError, ValidationError
from clinic.scheduling import Block
from components import forms
from components.db_session import get_conn
from components.frame import require
from components.text import md
from db import appointments, availability, providers, settings, visit_types

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TIME_OFF_REASONS = ("Vacation", "Meeting", "Other")
TABS = ("Providers", "Weekly hours", "Time off", "Closures and holidays", "Visit types", "Booking rules")
STAMP = "ddd DD MMM YYYY, HH:mm"
# Ids start at 1, so 0 stands for "add a new one" in the add-or-edit pickers and for "no login".
# (A selectbox whose value is None shows its placeholder instead of the option.)
NEW = NO_LOGIN = 0

RESET = "_schedule_reset"

user = require("admin_schedule")
conn = get_conn()
tz = settings.timezone(conn)
today = timeutil.today(tz)

st.title("Providers and hours")
if not can_do(user.role, "schedule.manage"):
    st.error("Your role cannot change providers, hours or closures.", icon=":material/block:")
    st.stop()
forms.show_flashes()
# Widgets a successful save asked to start afresh. They are re-seeded through Session State
# below (see `seeded`), which also updates what the browser shows; merely forgetting a key would
# leave the old text in the browser, to be sent back on the next click.
for _key in st.session_state.pop(RESET, []):
    st.session_state.pop(_key, None)


def seeded(key: str, value):
    """``key`` for a widget whose value lives in Session State, set to ``value`` when absent."""
    if key not in st.session_state:
        st.session_state[key] = value
    return key


def fail(form: str, exc: ClinicError) -> None:
    """Keep the messages for the next run (next to their fields) and rerun."""
    forms.set_errors(form, exc.errors if isinstance(exc, ValidationError) else {exc.field or "": str(exc)})
    st.rerun()


def succeed(form: str, message: str, *, forget: tuple[str, ...] = (), kind: str = "success") -> None:
    """Clear the form's errors, have the named (seeded) widgets start afresh, and rerun."""
    forms.clear_errors(form)
    st.session_state[RESET] = list(forget)
    forms.flash(message, kind)
    st.rerun()


def all_errors(form: str) -> None:
    """Every message of a form in one place: for an editor, whose cells cannot hold a message."""
    for message in dict.fromkeys(forms.errors_for(form).values()):
        st.error(message, icon=":material/error:")


def plain(value, default: str = "") -> str:
    """A nullable text cell of a table as text (pandas gives None, NaN or NA for NULL)."""
    return default if value is None or pd.isna(value) else str(value)


def colour_swatches(frame: pd.DataFrame, column: str):
    # The colours were checked to be #rrggbb when saved, so they are safe to put in CSS.
    return frame.style.map(lambda c: f"background-color: {c}; color: white", subset=[column])


everyone = providers.list_providers(conn, active_only=False)
by_id = {p.id: p for p in everyone}


def provider_label(provider_id: int) -> str:
    p = by_id[provider_id]
    return p.name if p.active else f"{p.name} (inactive)"


providers_tab, hours_tab, time_off_tab, closures_tab, types_tab, rules_tab = st.tabs(
    TABS, key="schedule_tab", on_change="rerun"
)

# --- providers ---------------------------------------------------------------------------------

with providers_tab:
    table = providers.list_all(conn)
    if table.empty:
        st.info("No providers yet: add the first one below.")
    else:
        shown = table.drop(columns=["id", "user_id"]).assign(
            kind=table["kind"].map(providers.KIND_LABELS), login=table["login"].fillna("—")
        )
        st.dataframe(
            colour_swatches(shown, "colour"),
            hide_index=True,
            column_config={
                "name": "Name",
                "kind": "Kind",
                "colour": "Colour",
                "active": st.column_config.CheckboxColumn("Active"),
                "accepting_new": st.column_config.CheckboxColumn("Takes new patients"),
                "login": "Linked login",
            },
        )

    chosen_id = st.selectbox(
        "Add or edit", [NEW, *by_id], format_func=lambda i: "New provider" if i == NEW else provider_label(i),
        key="provider_choice",
    )
    chosen = by_id.get(chosen_id)
    slot = "new" if chosen is None else str(chosen.id)
    form = f"provider_{slot}"
    logins = {u.id: u for u in providers.linkable_users(conn, None if chosen is None else chosen.id)}
    login_key = seeded(f"provider_login_{slot}", NO_LOGIN if chosen is None else chosen.user_id or NO_LOGIN)
    if st.session_state[login_key] not in (NO_LOGIN, *logins):  # deactivated or linked elsewhere meanwhile
        st.session_state[login_key] = NO_LOGIN
    with st.form(form):
        st.markdown("**New provider**" if chosen is None else f"**Edit {md(chosen.name)}**")
        name = st.text_input("Name", key=seeded(f"provider_name_{slot}", "" if chosen is None else chosen.name),
                             help="As patients and staff know them, e.g. Dr. Amara Okafor or Daniel Reyes, NP.")
        forms.field_error(form, "name")
        kind = st.selectbox("Kind", providers.KINDS, format_func=providers.KIND_LABELS.get,
                            key=seeded(f"provider_kind_{slot}", "physician" if chosen is None else chosen.kind))
        forms.field_error(form, "kind")
        colour = st.color_picker("Colour in the calendar",
                                 key=seeded(f"provider_colour_{slot}", "#2563eb" if chosen is None else chosen.colour))
        forms.field_error(form, "colour")
        active = st.checkbox("Active (can be booked)",
                             key=seeded(f"provider_active_{slot}", chosen is None or chosen.active),
                             help="Deactivating keeps their booked appointments: move or cancel them in the calendar.")
        accepting_new = st.checkbox(
            "Accepting new patients", key=seeded(f"provider_accepting_{slot}", chosen is None or chosen.accepting_new)
        )
        user_id = st.selectbox(
            "Linked login", [NO_LOGIN, *logins],
            format_func=lambda i: "No login" if i == NO_LOGIN else f"{logins[i].full_name} ({logins[i].username})",
            key=login_key,
            help="The clinician's own account: their home page and day sheet show this provider's patients.",
        )
        forms.field_error(form, "user_id")
        saved = st.form_submit_button("Add provider" if chosen is None else "Save provider", type="primary")
    forms.form_error(form)
    if saved:
        values = {"name": name, "kind": kind, "colour": colour, "active": active, "accepting_new": accepting_new,
                  "user_id": None if user_id == NO_LOGIN else user_id}
        try:
            if chosen is None:
                providers.create(conn, **values, by=user)
            else:
                changed = providers.update(conn, chosen.id, **values, by=user)
        except ClinicError as exc:
            fail(form, exc)
        else:
            keys = tuple(f"provider_{f}_{slot}" for f in ("name", "kind", "colour", "active", "accepting", "login"))
            if chosen is None:
                succeed(form, f"Added {md(' '.join(name.split()))}.", forget=keys)
            elif changed:
                succeed(form, f"Saved {md(' '.join(name.split()))}.", forget=keys)
            else:
                succeed(form, "Nothing to save: no field was changed.", forget=keys, kind="info")

# --- weekly hours ------------------------------------------------------------------------------


def editor_blocks(edited: pd.DataFrame) -> list[Block]:
    """The editor's rows as blocks; blank rows are skipped, half-filled ones refused."""
    blocks, errors = [], {}
    for row in edited.itertuples(index=False):
        cells = [None if pd.isna(v) else v for v in (row.weekday, row.start, row.end)]
        if all(c is None for c in cells):
            continue
        if any(c is None for c in cells):
            errors[""] = "Fill in the weekday, start and end of every row (or delete the row)."
            continue
        day, start, end = cells
        try:
            start = start if isinstance(start, time) else time.fromisoformat(str(start))
            end = end if isinstance(end, time) else time.fromisoformat(str(end))
        except ValueError:
            errors["start"] = "Enter times like 08:30."
            continue
        if day not in WEEKDAYS:
            errors["weekday"] = "Choose a weekday."
            continue
        blocks.append(Block(WEEKDAYS.index(day), start, end))
    if errors:
        raise ValidationError(errors)
    return blocks


with hours_tab:
    if not by_id:
        st.info("Add a provider first.")
    else:
        hours_for = st.selectbox("Provider", list(by_id), format_func=provider_label, key="hours_provider")
        st.caption(
            "One row per working block in clinic time; a day may have several (08:00–12:00 and 13:00–17:00). "
            "Add a row at the bottom, delete one by ticking it and pressing the bin. "
            "Booked appointments stay as they are when hours change."
        )
        blocks = availability.hours_for(conn, hours_for)
        current = pd.DataFrame(
            [(WEEKDAYS[b.weekday], b.start, b.end) for b in blocks], columns=["weekday", "start", "end"]
        )
        # The key follows the saved hours: after a save the editor starts afresh from them (the
        # browser would otherwise keep applying its old edits); after a refusal the key and the
        # typed edits stay.
        editor_key = f"hours_editor_{hours_for}_{hashlib.sha1(repr(blocks).encode()).hexdigest()[:10]}"
        form = f"hours_{hours_for}"
        edited = st.data_editor(
            current,
            num_rows="dynamic",
            hide_index=True,
            column_config={
                "weekday": st.column_config.SelectboxColumn("Weekday", options=WEEKDAYS, required=True),
                "start": st.column_config.TimeColumn("Start", format="HH:mm", step=300, required=True),
                "end": st.column_config.TimeColumn("End", format="HH:mm", step=300, required=True),
            },
            key=editor_key,
        )
        all_errors(form)
        if st.button("Save hours", type="primary", key="save_hours"):
            try:
                availability.set_hours(conn, hours_for, editor_blocks(edited), by=user)
            except ClinicError as exc:
                fail(form, exc)
            else:
                succeed(form, f"Saved the weekly hours of {md(by_id[hours_for].name)}.")

# --- time off ----------------------------------------------------------------------------------

with time_off_tab:
    upcoming = availability.list_time_off(conn, from_day=timeutil.now_utc())
    st.subheader("Upcoming time off")
    if upcoming.empty:
        st.info("Nobody has time off coming up.")
    else:
        upcoming["start_at"] = upcoming["start_at"].dt.tz_convert(tz)
        upcoming["end_at"] = upcoming["end_at"].dt.tz_convert(tz)
        st.dataframe(
            upcoming.drop(columns=["id"]),
            hide_index=True,
            column_config={
                "provider": "Provider",
                "start_at": st.column_config.DatetimeColumn("From", format=STAMP),
                "end_at": st.column_config.DatetimeColumn("To", format=STAMP),
                "reason": "Reason",
            },
        )
        rows = {r.id: r for r in upcoming.itertuples(index=False)}
        remove_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
        with remove_col:
            to_remove = st.selectbox(
                "Time off to remove", list(rows),
                format_func=lambda i: f"{rows[i].provider} · {rows[i].start_at:%a %d %b %H:%M} – "
                f"{rows[i].end_at:%a %d %b %H:%M} · {plain(rows[i].reason)}",
                key="time_off_to_remove",
            )
        with button_col:
            if st.button("Remove", key="remove_time_off"):
                try:
                    availability.remove_time_off(conn, to_remove, by=user)
                except ClinicError as exc:
                    fail("remove_time_off", exc)
                else:
                    succeed("remove_time_off", "Time off removed.")
        forms.form_error("remove_time_off")

    st.subheader("Add time off")
    form = "time_off"
    # Not an st.form: the time fields hide when "Whole days" is ticked.
    off_provider = st.selectbox("Provider", [p.id for p in everyone if p.active], format_func=provider_label,
                                key="off_provider")
    forms.field_error(form, "provider")
    whole_days = st.checkbox("Whole days", value=True, key="off_whole_days")
    from_col, to_col = st.columns(2)
    with from_col:
        off_from_day = st.date_input("From", value=today, key="off_from_day", format="YYYY-MM-DD")
        off_from_time = (time(0) if whole_days
                         else st.time_input("From time", value=time(8), key="off_from_time", step=900))
        forms.field_error(form, "start")
    with to_col:
        off_to_day = st.date_input("To", value=today, key="off_to_day", format="YYYY-MM-DD",
                                   help="With whole days: the last day off.")
        off_to_time = (time(0) if whole_days
                       else st.time_input("To time", value=time(17), key="off_to_time", step=900))
        forms.field_error(form, "end")
    reason_kind = st.radio("Reason", TIME_OFF_REASONS, horizontal=True, key="off_reason_kind")
    reason_text = st.text_input("Details", key=seeded("off_reason_text", ""),
                                help="Required for Other, optional otherwise.",
                                max_chars=200)
    forms.field_error(form, "reason")
    if st.button("Add time off", type="primary", key="add_time_off"):
        try:
            if off_provider is None:
                raise ValidationError({"provider": "Choose a provider."})
            details = " ".join(reason_text.split())
            if reason_kind == "Other" and not details:
                raise ValidationError({"reason": "Say what the time off is for."})
            reason = details if reason_kind == "Other" else (f"{reason_kind}: {details}" if details else reason_kind)
            if whole_days:
                start, _ = timeutil.day_bounds(off_from_day, tz)
                _, end = timeutil.day_bounds(off_to_day, tz)
            else:
                start = timeutil.local_to_utc(datetime.combine(off_from_day, off_from_time), tz)
                end = timeutil.local_to_utc(datetime.combine(off_to_day, off_to_time), tz)
            if end <= timeutil.now_utc():
                raise ValidationError({"end": "That time off is already over: check the dates."})
            availability.add_time_off(conn, off_provider, start, end, reason, by=user)
        except ClinicError as exc:
            fail(form, exc)
        else:
            clashes = len(appointments.list_between(conn, start, end, provider_id=off_provider))
            message = f"Added time off for {md(by_id[off_provider].name)}."
            if clashes:
                message += (f" {clashes} booked appointment{'s' if clashes > 1 else ''} fall in it and"
                            " were kept: move or cancel them in the calendar.")
            succeed(form, message, forget=("off_reason_text",), kind="warning" if clashes else "success")

# --- closures and public holidays --------------------------------------------------------------

with closures_tab:
    st.subheader("Clinic closures")
    closures = availability.list_closures(conn)
    if closures.empty:
        st.info("No closures besides public holidays.")
    else:
        st.dataframe(
            closures.drop(columns=["id"]),
            hide_index=True,
            column_config={"day": st.column_config.DateColumn("Day", format="ddd DD MMM YYYY"), "reason": "Reason"},
        )
        days = {r.id: r for r in closures.itertuples(index=False)}
        remove_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
        with remove_col:
            closure_to_remove = st.selectbox(
                "Closure to remove", list(days),
                format_func=lambda i: f"{days[i].day:%a %d %b %Y} · {plain(days[i].reason, 'Clinic closed')}",
                key="closure_to_remove",
            )
        with button_col:
            if st.button("Remove", key="remove_closure"):
                try:
                    availability.remove_closure(conn, closure_to_remove, by=user)
                except ClinicError as exc:
                    fail("remove_closure", exc)
                else:
                    succeed("remove_closure", "Closure removed: the day can be booked again.")
        forms.form_error("remove_closure")

    form = "closure"
    with st.form(form):
        st.markdown("**Close the clinic for a day**")
        closure_day = st.date_input("Day", value=today, key="closure_day", format="YYYY-MM-DD")
        forms.field_error(form, "day")
        closure_reason = st.text_input("Reason", key=seeded("closure_reason", ""), max_chars=200,
                                       placeholder="e.g. Staff training, flooding, move")
        add_closure = st.form_submit_button("Add closure", type="primary")
    forms.form_error(form)
    if add_closure:
        try:
            if closure_day < today:
                raise ValidationError({"day": "Choose today or a later day."})
            availability.add_closure(conn, closure_day, closure_reason, by=user)
        except ClinicError as exc:
            fail(form, exc)
        else:
            booked = len(appointments.list_between(conn, *timeutil.day_bounds(closure_day, tz)))
            message = f"The clinic is closed on {closure_day:%A %d %B %Y}."
            if booked:
                message += (f" {booked} booked appointment{'s' if booked > 1 else ''} on that day"
                            " were kept: move or cancel them in the calendar.")
            succeed(form, message, forget=("closure_reason",), kind="warning" if booked else "success")

    st.subheader("Public holidays")
    config = settings.get_all(conn)
    st.caption(f"From the holiday calendar of {md(config['country'])}-{md(config['subdivision'])}. "
               "Switch one off when the clinic opens on that day.")
    year = st.number_input("Year", min_value=2000, max_value=2100, value=today.year, step=1, key="holiday_year")
    holidays = availability.holidays_with_state(conn, int(year))
    if not holidays:
        st.info("No public holidays known for this country and year.")
    for day, holiday_name, closed in holidays:
        day_col, name_col, toggle_col = st.columns([1, 2, 1], vertical_alignment="center")
        day_col.write(f"{day:%a %d %b %Y}")
        name_col.write(md(holiday_name))
        now_closed = toggle_col.toggle("Clinic closed", value=closed, key=f"holiday_{day.isoformat()}")
        if now_closed != closed:
            try:
                availability.set_holiday_closed(conn, day, now_closed, by=user)
            except ClinicError as exc:
                fail("holidays", exc)
            else:
                succeed("holidays", f"{md(holiday_name)}: the clinic is {'closed' if now_closed else 'open'}"
                        f" on {day:%d %B %Y}.")
    forms.form_error("holidays")

# --- visit types -------------------------------------------------------------------------------

with types_tab:
    types = visit_types.list_all(conn)
    st.dataframe(
        colour_swatches(types.drop(columns=["id"]), "colour"),
        hide_index=True,
        column_config={
            "name": "Name",
            "duration_min": st.column_config.NumberColumn("Minutes", format="%d"),
            "buffer_after_min": st.column_config.NumberColumn("Buffer after", format="%d min"),
            "new_patients_only": st.column_config.CheckboxColumn("New patients only"),
            "colour": "Colour",
            "default_fee_code": "Default fee code",
            "active": st.column_config.CheckboxColumn("Active"),
        },
    )
    type_rows = {int(r.id): r for r in types.itertuples(index=False)}
    type_id = st.selectbox(
        "Add or edit", [NEW, *type_rows],
        format_func=lambda i: "New visit type" if i == NEW
        else type_rows[i].name + ("" if type_rows[i].active else " (inactive)"),
        key="type_choice",
    )
    row = type_rows.get(type_id)
    slot = "new" if row is None else str(type_id)
    form = f"visit_type_{slot}"
    with st.form(form):
        st.markdown("**New visit type**" if row is None else f"**Edit {md(row.name)}**")
        type_name = st.text_input("Name", key=seeded(f"type_name_{slot}", "" if row is None else row.name))
        forms.field_error(form, "name")
        minutes_col, buffer_col = st.columns(2)
        with minutes_col:
            duration = st.number_input(
                "Duration (minutes)", min_value=5, max_value=480, step=5,
                key=seeded(f"type_duration_{slot}", 15 if row is None else int(row.duration_min)),
            )
            forms.field_error(form, "duration_min")
        with buffer_col:
            buffer_after = st.number_input(
                "Buffer after (minutes)", min_value=0, max_value=120, step=5,
                key=seeded(f"type_buffer_{slot}", 0 if row is None else int(row.buffer_after_min)),
                help="Time after the visit when the provider is still busy (cleaning, notes).",
            )
            forms.field_error(form, "buffer_after_min")
        type_colour = st.color_picker("Colour",
                                      key=seeded(f"type_colour_{slot}", "#64748b" if row is None else row.colour))
        forms.field_error(form, "colour")
        fee_code = st.text_input("Default fee code",
                                 key=seeded(f"type_fee_{slot}", "" if row is None else (row.default_fee_code or "")),
                                 help="Billing uses it as the first line of the invoice.")
        forms.field_error(form, "default_fee_code")
        new_only = st.checkbox("New patients only",
                               key=seeded(f"type_new_only_{slot}", row is not None and bool(row.new_patients_only)))
        type_active = st.checkbox("Active (can be booked)",
                                  key=seeded(f"type_active_{slot}", row is None or bool(row.active)))
        save_type = st.form_submit_button("Add visit type" if row is None else "Save visit type", type="primary")
    forms.form_error(form)
    if save_type:
        values = {"name": type_name, "duration_min": duration, "buffer_after_min": buffer_after, "colour": type_colour,
                  "new_patients_only": new_only, "default_fee_code": fee_code, "active": type_active}
        try:
            visit_types.save(conn, values, by=user, type_id=None if row is None else type_id)
        except ClinicError as exc:
            fail(form, exc)
        else:
            fields = ("name", "duration", "buffer", "colour", "fee", "new_only", "active")
            keys = tuple(f"type_{f}_{slot}" for f in fields)
            succeed(form, f"{'Added' if row is None else 'Saved'} {md(' '.join(type_name.split()))}.", forget=keys)

# --- booking rules -----------------------------------------------------------------------------

with rules_tab:
    current_rules = availability.rules(conn)
    form = "rules"
    with st.form(form):
        min_notice = st.number_input("Minimum notice (minutes)", min_value=0, step=15,
                                     value=current_rules.min_notice_min, key="rule_min_notice_min",
                                     help="How soon before a visit it can still be booked. 0 – 10080.")
        forms.field_error(form, "min_notice_min")
        max_days = st.number_input("Book at most this many days ahead", min_value=0, step=1,
                                   value=current_rules.max_days_ahead, key="rule_max_days_ahead", help="1 – 730.")
        forms.field_error(form, "max_days_ahead")
        late_cancel = st.number_input("Late-cancellation window (hours)", min_value=0, step=1,
                                      value=current_rules.late_cancel_hours, key="rule_late_cancel_hours",
                                      help="A cancellation this close to the visit is flagged as late. 0 – 168.")
        forms.field_error(form, "late_cancel_hours")
        reminder_days = st.number_input("Reminder calls this many days ahead", min_value=0, step=1,
                                        value=availability.reminder_days_ahead(conn), key="rule_reminder_days_ahead",
                                        help="The reminder list shows the appointments of that day. 1 – 14.")
        forms.field_error(form, "reminder_days_ahead")
        save_rules = st.form_submit_button("Save booking rules", type="primary")
    forms.form_error(form)
    if save_rules:
        try:
            availability.save_rules(conn, {"min_notice_min": min_notice, "max_days_ahead": max_days,
                                           "late_cancel_hours": late_cancel, "reminder_days_ahead": reminder_days},
                                    by=user)
        except ClinicError as exc:
            fail(form, exc)
        else:
            succeed(form, "Booking rules saved. They apply to the next booking.")
