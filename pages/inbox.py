"""Inbox: open calls and messages for me or my role, overdue first. Mark one done (with a note)
or park it as waiting; log a new call or message and see who it will go to. The roles that take
payments also see the payment plans with overdue instalments, to call those patients."""

from __future__ import annotations

import streamlit as st

from clinic import followup, timeutil
from clinic.access import ROLE_LABELS, ROLES, can_do
from clinic.errors import ClinicError, ValidationError
from clinic.money import money_text
from components import forms, nav
from components.db_session import get_conn
from components.frame import require
from components.kpi import Tile, tiles
from components.text import md
from db import ar_reports, messages, patients, settings, users
from db.messages import InboxItem

user = require("inbox")
conn = get_conn()
tz = settings.timezone(conn)
today = timeutil.today(tz)
may_log = can_do(user.role, "messages.log")

ITEMS, LOG = "inbox_items", "inbox_log"
# "Assign to" choices are plain strings with labels that never change: Streamlit's selectbox
# hands back the label the browser shows, so a label that depends on another field (or a tuple
# option) would not map back to its option after that field changes.
DEFAULT = "default"  # whoever handles this request type (clinic.followup.route)
people = {p.id: p for p in sorted(users.list_users(conn, active_only=True), key=lambda p: p.full_name)}


def assignee(choice: str | None) -> tuple[str, int | str | None]:
    """("default", None), ("role", "clinician") or ("user", 12) from a choice "role:clinician", "user:12"."""
    kind, _, value = (choice or DEFAULT).partition(":")
    if kind == "user":
        return kind, int(value)
    return (kind, value) if kind == "role" else (DEFAULT, None)


def target_text(routing: followup.Routing) -> str:
    if routing.user_id:
        person = people.get(routing.user_id)
        return f"{person.full_name if person else 'that user'}’s inbox"
    return f"the inbox of every {ROLE_LABELS[routing.role].lower()} user"


def assignee_text(value: str | None) -> str:
    """The inbox query gives a user's name or a role key."""
    if value is None:
        return "nobody"
    return f"{ROLE_LABELS[value]} role" if value in ROLES else str(value)


# --- actions ---------------------------------------------------------------------------------------


def change_status(message_id: int, status: str, subject: str) -> None:
    forms.clear_errors(ITEMS)
    note = st.session_state.get(f"inbox_note_{message_id}", "") if status == "done" else ""
    try:
        messages.set_status(conn, message_id, status, note=note, by=user)
    except ClinicError as exc:
        forms.set_errors(ITEMS, {"": str(exc)})
        return
    st.session_state.pop(f"inbox_note_{message_id}", None)
    subject = md(subject)
    forms.flash({"done": f"Done: “{subject}”.", "waiting": f"Parked as waiting: “{subject}”.",
                 "open": f"Back in the inbox: “{subject}”."}[status])


def log_item() -> None:
    state = st.session_state
    forms.clear_errors(LOG)
    kind, chosen = assignee(state.get("log_assignee"))
    patient_id = state.get("log_patient")
    status = state.get("log_state", "open")
    fields = dict(patient_id=patient_id, channel=state.get("log_channel"), request_type=state.get("log_type"),
                  subject=state.get("log_subject", ""), body=state.get("log_body", ""), status=status,
                  assignee_user=chosen if kind == "user" else None, assignee_role=chosen if kind == "role" else None,
                  due_on=state.get("log_due"))
    unchosen = followup.unchosen_patient(state.get("log_search", ""), patient_id)
    try:
        if unchosen:
            followup.check_message(**fields, today=today)  # so that every other problem shows at once too
            raise ValidationError(unchosen)
        messages.log_message(conn, **fields, by=user)
    except ValidationError as exc:
        forms.set_errors(LOG, {**unchosen, **exc.errors})
        return
    except ClinicError as exc:
        forms.set_errors(LOG, {exc.field or "": str(exc)})
        return
    subject = md(" ".join(state.get("log_subject", "").split()))
    routing = followup.route(state.get("log_type"), user_id=chosen if kind == "user" else None,
                             role=chosen if kind == "role" else None)
    # Ready for the next call. Values are set, not popped: a popped key leaves the browser showing
    # the old text in a keyed widget.
    state.update(log_search="", log_patient=None, log_channel=next(iter(followup.CHANNELS)),
                 log_type=next(iter(followup.REQUEST_TYPES)), log_subject="", log_body="", log_state="open",
                 log_assignee=DEFAULT, log_due=None)
    forms.flash(f"Logged “{subject}” as done." if status == "done"
                else f"Logged “{subject}”: it is in {md(target_text(routing))}.")


# --- the page --------------------------------------------------------------------------------------

st.title("Inbox")
st.caption(f"Calls and messages for you and the {ROLE_LABELS[user.role]} role · {today:%A %d %B %Y}")
forms.show_flashes()

items = messages.inbox(conn, user_id=user.id, role=user.role, today=today, include_waiting=True)
open_items = [i for i in items if i.status == "open"]
waiting_items = [i for i in items if i.status == "waiting"]
count = followup.counts(((i.status, i.due_on) for i in items), today)

tiles([
    Tile("Open for you", messages.count_open_for(conn, user_id=user.id, role=user.role),
         "Open items assigned to you or to your role."),
    Tile("Overdue", count.overdue, "Open items whose due date has passed."),
    Tile("Due today", count.due_today),
    Tile("Waiting", count.waiting, "Parked: waiting for the patient, a pharmacy, another office…"),
])


def item_card(item: InboxItem) -> None:
    message_id = item.id
    subject = item.subject
    due = item.due_on
    waiting = item.status == "waiting"
    with st.container(border=True, key=f"inbox_item_{message_id}"):
        text_col, action_col = st.columns([5, 3], vertical_alignment="center")
        with text_col:
            overdue = due is not None and due < today and not waiting
            due_text = followup.due_label(due, today)
            badges = [f":blue-badge[{followup.REQUEST_TYPES.get(item.request_type, item.request_type)}]",
                      f":gray-badge[{followup.CHANNELS.get(item.channel, item.channel)}]"]
            if waiting:
                badges.append(":orange-badge[:material/pause_circle: Waiting]")
            st.markdown(f"**{md(subject)}** &nbsp; " + " ".join(badges))
            when = (f":red[**:material/schedule: {due_text}**]" if overdue else due_text)
            for_whom = "for you" if item.assignee_user == user.id else f"for {md(assignee_text(item.assignee))}"
            st.markdown(f"{when} · logged {followup.age_label(item.created_at, today, tz)} · {for_whom}")
            if item.body:
                st.caption(md(item.body))
            if item.patient_id is not None:
                if st.button(f"{md(item.patient)} · MRN {md(item.mrn)}", key=f"inbox_patient_{message_id}",
                             type="tertiary", icon=":material/folder_shared:", help="Open the patient's file"):
                    nav.open_patient(item.patient_id)
        with action_col:
            st.text_input("Note", key=f"inbox_note_{message_id}", placeholder="Note when done",
                          label_visibility="collapsed", max_chars=1000)
            # A wrapping row: side by side when there is room, one under the other when not.
            with st.container(horizontal=True, gap="small"):
                st.button("Done", key=f"inbox_done_{message_id}", type="primary", icon=":material/check:",
                          on_click=change_status, args=(message_id, "done", subject), width="stretch")
                if waiting:
                    st.button("Back to open", key=f"inbox_reopen_{message_id}", icon=":material/replay:",
                              on_click=change_status, args=(message_id, "open", subject), width="stretch")
                else:
                    st.button("Waiting", key=f"inbox_wait_{message_id}", icon=":material/pause_circle:",
                              on_click=change_status, args=(message_id, "waiting", subject), width="stretch",
                              help="Park it: waiting for the patient, a pharmacy, another office…")


def plan_calls() -> None:
    """Patients whose payment plan has an instalment past due: who to call, and about how much."""
    calls = ar_reports.overdue_instalment_calls(conn, as_of=today)
    if not calls:
        return
    with st.expander(f"Payment plans overdue: {len(calls)} to call", expanded=True, icon=":material/call:"):
        for call in calls:
            with st.container(horizontal=True, vertical_alignment="center", gap="small",
                              key=f"inbox_plan_{call.plan_id}"):
                phone = md(call.phone) if call.phone else ":gray[no phone on file]"
                late = f"{call.instalments} instalment{'s' if call.instalments != 1 else ''}"
                st.markdown(f"**{md(call.patient)}** · {phone}  \n:red[{md(money_text(call.overdue))} overdue] "
                            f"({late}, since {call.first_due:%m/%d/%Y})", width="stretch")
                st.page_link("pages/patients.py", label="Billing tab", icon=":material/payments:",
                             query_params={"patient": str(call.patient_id), "tab": "billing"},
                             help=f"MRN {call.mrn}: the plan and the payment form, in the patient's file")


inbox_tab, log_tab = st.tabs(["Open items", "Log a call or message"], key="inbox_tab")

with inbox_tab:
    forms.form_error(ITEMS)
    if can_do(user.role, "billing.payment"):
        plan_calls()
    if not open_items:
        st.info("Nothing open for you. Well done.", icon=":material/inbox:")
    for item in open_items:
        item_card(item)
    if waiting_items:
        with st.expander(f"Waiting ({len(waiting_items)})", icon=":material/pause_circle:"):
            for item in waiting_items:
                item_card(item)

with log_tab:
    if not may_log:
        st.caption("Your role cannot log calls or messages.")
    else:
        who_col, what_col = st.columns(2, gap="large")
        with who_col:
            text = st.text_input("Find patient", key="log_search", placeholder="Name, MRN, date of birth or phone")
            found = {p.id: p for p in patients.search(conn, text)} if text.strip() else {}
            if text.strip() and not found:
                st.caption("No active patient matches.")
            # A new search preselects its first match. Set through session state, because a keyed
            # selectbox keeps its old choice (or none) in the browser when only its options change.
            if st.session_state.get("log_patient") not in found:
                st.session_state["log_patient"] = next(iter(found), None)
            st.selectbox(
                "Patient", list(found), key="log_patient",
                placeholder="Search above, then choose" if text.strip() else "No patient (search above to choose one)",
                format_func=lambda i: f"{found[i].display_name} · born {found[i].date_of_birth:%m/%d/%Y}"
                                      f" · MRN {found[i].mrn}",
            )
            forms.field_error(LOG, "patient")
            channel_col, type_col = st.columns(2)
            with channel_col:
                st.selectbox("Channel", list(followup.CHANNELS), key="log_channel", format_func=followup.CHANNELS.get)
                forms.field_error(LOG, "channel")
            with type_col:
                request_type = st.selectbox("Request", list(followup.REQUEST_TYPES), key="log_type",
                                            format_func=followup.REQUEST_TYPES.get)
                forms.field_error(LOG, "request_type")
            st.text_input("Subject", key="log_subject", max_chars=150, placeholder="e.g. Refill of lisinopril")
            forms.field_error(LOG, "subject")
            st.text_area("Text", key="log_body", max_chars=5000, height=120,
                         placeholder="What the patient said or asked, and what you told them.")
        with what_col:
            state = st.radio("Follow-up", list(followup.STATES), key="log_state", format_func=followup.STATES.get,
                             horizontal=True, help="Done: handled already, it goes to nobody's inbox.")
            forms.field_error(LOG, "status")
            choices = [DEFAULT, *(f"role:{r}" for r in ROLES), *(f"user:{i}" for i in people)]

            def choice_label(choice: str) -> str:
                kind, value = assignee(choice)
                if kind == "role":
                    return f"{ROLE_LABELS[value]} role (anyone)"
                if kind == "user":
                    person = people.get(value)
                    return f"{person.full_name} ({ROLE_LABELS.get(person.role, person.role)})" if person else "A former user"
                return "Default for this request"

            kind, chosen = assignee(st.selectbox("Assign to", choices, key="log_assignee", format_func=choice_label,
                                                 disabled=state == "done"))
            forms.field_error(LOG, "assignee")
            st.date_input("Due", value=None, key="log_due", format="MM/DD/YYYY", min_value=today,
                          disabled=state == "done", help="Leave empty for no due date.")
            forms.field_error(LOG, "due_on")
            routing = followup.route(request_type, user_id=chosen if kind == "user" else None,
                                     role=chosen if kind == "role" else None)
            with st.container(border=True):
                if state == "done":
                    st.markdown(":material/check_circle: Logged as **done**: it goes to nobody's inbox.")
                else:
                    st.markdown(f":material/forward_to_inbox: Goes to **{md(target_text(routing))}**.")
            st.button("Log it", key="log_submit", type="primary", icon=":material/add_comment:", on_click=log_item,
                      width="stretch")
            forms.form_error(LOG)
