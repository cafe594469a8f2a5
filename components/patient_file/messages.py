"""The patient file's Messages and calls tab: the patient's communication log, and the form to
log a call or message about them. The form calls the same db.messages.log_message as the
Inbox, so the same checks apply (a due date in the past is refused here too)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic import followup, intake
from clinic.access import ROLE_LABELS, ROLES
from clinic.errors import ClinicError
from components import forms
from components.patient_file.context import FileContext, notice, report, show_notice
from components.text import md
from db import Connection, messages, users

MSG_FORM = "msg_log"
AUTO = "auto"
MSG_BLANK = {"channel": next(iter(followup.CHANNELS)), "type": next(iter(followup.REQUEST_TYPES)), "subject": "",
             "body": "", "state": "open", "assignee": AUTO, "due": None}


def msg_key(ctx: FileContext, field: str) -> str:
    # Per patient: half-typed text must never follow the user into another patient's file.
    return f"msg_{field}_{ctx.id}"


def _assignees(conn: Connection) -> dict[str, str]:
    """Choice value -> label: automatic routing, each role, each active user."""
    choices = {AUTO: "Automatic (by request type)"}
    choices.update({f"role:{r}": f"{ROLE_LABELS[r]} (role)" for r in ROLES})
    choices.update({f"user:{u.id}": f"{u.full_name} ({ROLE_LABELS.get(u.role, u.role)})"
                    for u in users.list_users(conn, active_only=True)})
    return choices


def _assignee_parts(choice: str | None) -> tuple[int | None, str | None]:
    if not choice or choice == AUTO:
        return None, None
    kind, _, value = choice.partition(":")
    return (int(value), None) if kind == "user" else (None, value)


def _log_message(ctx: FileContext) -> None:
    forms.clear_errors(MSG_FORM)
    state = st.session_state
    assignee_user, assignee_role = _assignee_parts(state.get(msg_key(ctx, "assignee")))
    try:
        messages.log_message(
            ctx.conn, patient_id=ctx.id, channel=state.get(msg_key(ctx, "channel")),
            request_type=state.get(msg_key(ctx, "type")), subject=state.get(msg_key(ctx, "subject"), ""),
            body=state.get(msg_key(ctx, "body"), ""), status=state.get(msg_key(ctx, "state")) or "open",
            assignee_user=assignee_user, assignee_role=assignee_role, due_on=state.get(msg_key(ctx, "due")),
            by=ctx.user,
        )
    except ClinicError as exc:
        report(MSG_FORM, exc)
        return
    subject = state.get(msg_key(ctx, "subject"), "")
    # Back to a blank form (assigned, not deleted, so the browser's widgets empty too).
    for field, blank in MSG_BLANK.items():
        state[msg_key(ctx, field)] = blank
    notice("messages", f"Logged “{md(intake.clean_text(subject, 150))}”.")


def _log_table(ctx: FileContext) -> None:
    logged = messages.for_patient(ctx.conn, ctx.id, role=ctx.user.role)
    if logged.empty:
        st.info("No calls or messages logged yet.", icon=":material/forum:")
        return
    st.dataframe(
        pd.DataFrame({
            "when": logged["created_at"].dt.tz_convert(ctx.tz),
            "channel": logged["channel"].map(followup.CHANNELS),
            "type": logged["request_type"].map(followup.REQUEST_TYPES),
            "subject": logged["subject"],
            "state": logged["status"].map(followup.STATES),
            "assignee": logged["assignee"].map(lambda who: ROLE_LABELS.get(who, who)),
            "due": logged["due_on"],
            "text": logged["body"],
            "logged_by": logged["logged_by"],
            "closed_note": logged["closed_note"],
        }),
        hide_index=True,
        width="stretch",
        key=f"pf_messages_{ctx.id}",
        column_config={
            "when": st.column_config.DatetimeColumn("When", format="MM/DD/YYYY HH:mm"),
            "channel": "Channel", "type": "Request", "subject": "Subject",
            "text": st.column_config.TextColumn("Text", width="medium"),
            "state": "Follow-up", "assignee": "Assigned to",
            "due": st.column_config.DateColumn("Due", format="MM/DD/YYYY"),
            "logged_by": "Logged by", "closed_note": "Closing note",
        },
    )


def messages_tab(ctx: FileContext, *, may_log: bool) -> None:
    show_notice("messages")
    _log_table(ctx)
    st.subheader("Log a call or message", anchor=False)
    if not may_log:
        st.caption("Your role cannot log calls or messages.")
        return
    with st.container(border=True):
        left, middle, right = st.columns(3)
        with left:
            st.selectbox("Channel", list(followup.CHANNELS), format_func=followup.CHANNELS.get,
                         key=msg_key(ctx, "channel"))
            forms.field_error(MSG_FORM, "channel")
        with middle:
            st.selectbox("Request", list(followup.REQUEST_TYPES), format_func=followup.REQUEST_TYPES.get,
                         key=msg_key(ctx, "type"))
            forms.field_error(MSG_FORM, "request_type")
        with right:
            st.selectbox("Follow-up", list(followup.STATES), format_func=followup.STATES.get,
                         key=msg_key(ctx, "state"))
            forms.field_error(MSG_FORM, "status")
        st.text_input("Subject", key=msg_key(ctx, "subject"), max_chars=150, placeholder="e.g. Refill of lisinopril")
        forms.field_error(MSG_FORM, "subject")
        st.text_area("Text", key=msg_key(ctx, "body"), max_chars=5000, height=100,
                     placeholder="What the patient asked or was told")
        who_col, due_col = st.columns([2, 1])
        choices = _assignees(ctx.conn)
        with who_col:
            st.selectbox("Assign to", list(choices), format_func=choices.get, key=msg_key(ctx, "assignee"))
            forms.field_error(MSG_FORM, "assignee")
            user_id, role = _assignee_parts(st.session_state.get(msg_key(ctx, "assignee")))
            routing = followup.route(st.session_state.get(msg_key(ctx, "type")) or "other", user_id=user_id, role=role)
            goes_to = (choices.get(f"user:{routing.user_id}", "the chosen person") if routing.user_id
                       else ROLE_LABELS.get(routing.role, routing.role))
            automatic = st.session_state.get(msg_key(ctx, "assignee"), AUTO) == AUTO
            st.caption(f"Goes to: **{md(goes_to)}**" + (", chosen by the request type." if automatic else "."))
        with due_col:
            st.date_input("Due", value=None, format="MM/DD/YYYY", key=msg_key(ctx, "due"), min_value=ctx.today)
            forms.field_error(MSG_FORM, "due_on")
        forms.field_error(MSG_FORM, "patient")
        forms.form_error(MSG_FORM)
        st.button("Log it", key="msg_log", type="primary", icon=":material/add_comment:", on_click=_log_message,
                  args=(ctx,))
