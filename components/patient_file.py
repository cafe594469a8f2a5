"""The patient file, section by section: header, appointments, documents, messages and calls,
visit notes, intake history and merging a duplicate. pages/patients.py puts them together.

Things that matter here:

* Opening a file is audited once per opening (:func:`record_opening`), not on every rerun: the
  id last recorded is kept in the session.
* Documents are read from the database only when someone clicks their download button (a
  callable passed to ``st.download_button``): every read is an audited ``document.download``,
  so merely showing the list must not fetch the bytes.
* Success messages appear inside the tab where the action happened (:func:`notice`). A message
  above the tabs would shift them down one element, and the browser would then draw a fresh
  tab bar with the first tab selected.
* Everything typed by people (names, notes, subjects, file names) is shown through
  components.text.md, a dataframe, or a disabled text area: never as live Markdown or HTML.
* Button callbacks run before the page's access check, so each write asks again who is signed in
  and whether their role may do it (:func:`acting_user`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from clinic import intake, timeutil
from clinic.access import ROLE_LABELS, ROLES, can_do
from clinic.documents import CATEGORIES
from clinic.errors import ClinicError, NotAllowed, ValidationError
from clinic.scheduling import STATUS_LABELS
from components import auth, forms
from components.patient_search import patient_search
from components.text import md
from db import Connection, documents, messages, notes, patients, users
from db.payers import KIND_LABELS
from db.users import User

VIEWED = "_patient_file_viewed"
NOTICE = "_patient_file_notice"
DOC_FORM, MSG_FORM, NOTE_FORM, MERGE_FORM = "doc_upload", "msg_log", "visit_note", "merge"
UPLOAD_TYPES = ["pdf", "png", "jpg", "jpeg"]
NOTE_STATUSES = ("completed", "checked_in")
HISTORY_LABELS = {**intake.FIELD_LABELS, "insurance1": "Primary insurance", "insurance2": "Secondary insurance",
                  "merged": "Merged record"}


@dataclass(frozen=True)
class FileContext:
    """What every section needs: the connection, who is looking, and the patient's record."""

    conn: Connection
    user: User
    patient: dict  # db.patients.get_full
    tz: str
    region: str
    today: date

    @property
    def id(self) -> int:
        return int(self.patient["id"])


# --- small formatting helpers --------------------------------------------------------------------


def missing(value: Any) -> bool:
    """True for None and for the NaN/NaT/NA pandas puts where the database had NULL."""
    return value is None or (not isinstance(value, (str, bytes, list, dict)) and bool(pd.isna(value)))


def text_or(value: Any, default: str = "") -> str:
    return default if missing(value) else str(value)


def lines(text: Any) -> str:
    """Multi-line user text as Markdown: every line escaped, line breaks kept."""
    return "  \n".join(md(line) for line in text_or(text).splitlines())


def local(instant: Any, tz: str, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    if missing(instant):
        return ""
    return timeutil.to_local(pd.Timestamp(instant).to_pydatetime(), tz).strftime(fmt)


def human_size(size: Any) -> str:
    size = int(size or 0)
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def full_name(patient: dict) -> str:
    return f"{patient['last_name']}, {patient['first_name']}"


def plan_text(plan: dict) -> str:
    """One insurance plan in a line of Markdown (payer and IDs escaped)."""
    kind = KIND_LABELS.get(plan.get("payer_kind"), "")
    parts = [f"**{md(plan['payer'])}**" + (f" ({kind})" if kind and kind != plan["payer"] else "")]
    if plan.get("member_id") and plan.get("payer_kind") != "self_pay":
        parts.append(f"member {md(plan['member_id'])}")
    if plan.get("group_number"):
        parts.append(f"group {md(plan['group_number'])}")
    return " · ".join(parts)


# --- opening a file, and messages shown where the action happened ---------------------------------


def record_opening(ctx: FileContext) -> None:
    """Write the ``patient.view`` audit row once per opening of a file (not on every rerun)."""
    if st.session_state.get(VIEWED) != ctx.id:
        patients.record_view(ctx.conn, ctx.id, by=ctx.user)
        st.session_state[VIEWED] = ctx.id


def forget_opening() -> None:
    """The file was closed: opening it again is a new view, audited again."""
    st.session_state.pop(VIEWED, None)


def notice(where: str, message: str) -> None:
    st.session_state[NOTICE] = (where, message)


def show_notice(where: str) -> None:
    pending = st.session_state.get(NOTICE)
    if pending and pending[0] == where:
        st.session_state.pop(NOTICE, None)
        st.success(pending[1], icon=":material/check_circle:")


def report(form: str, exc: ClinicError, default_field: str = "") -> None:
    """Store a refused action's message(s) next to the fields at fault."""
    if isinstance(exc, ValidationError):
        forms.set_errors(form, exc.errors)
    else:
        forms.set_errors(form, {exc.field or default_field: str(exc)})


def acting_user(form: str, action: str) -> User | None:
    """The signed-in user, if they may still do ``action``; else None with the refusal shown.

    Button callbacks run before the page's own access check, so an account deactivated (or a role
    changed) since the page was drawn is checked again here, at the moment of the write.
    """
    user = auth.current_user()
    if user is None or not can_do(user.role, action):
        forms.set_errors(form, {"": NotAllowed().message})
        return None
    return user


# --- header --------------------------------------------------------------------------------------


def _tile(label: str, value: str, detail: str = "") -> None:
    with st.container(border=True, height="stretch"):
        st.caption(label)
        st.markdown(value)
        if detail:
            st.caption(detail)


def header(ctx: FileContext, *, may_edit: bool) -> str | None:
    """Who this is, what to watch out for, and where they stand. Returns the action clicked:
    ``"edit"``, ``"close"`` or None."""
    p = ctx.patient
    summary = patients.summary(ctx.conn, ctx.id)
    plans = patients.insurance_for(ctx.conn, ctx.id)
    clicked = None

    name_col, action_col = st.columns([5, 1.4], vertical_alignment="center")
    with name_col:
        preferred = f" :gray[“{md(p['preferred_name'])}”]" if p.get("preferred_name") else ""
        st.header(f"{md(full_name(p))}{preferred}", anchor=False)
        facts = [
            f"**{intake.age_on(p['date_of_birth'], ctx.today)} years**",
            md(str(p["sex"]).capitalize()),
            f"DOB {p['date_of_birth']:%m/%d/%Y}",
            f"MRN **{md(p['mrn'])}**",
        ]
        mobile = intake.display_phone(p.get("phone_mobile"), ctx.region)
        home = intake.display_phone(p.get("phone_home"), ctx.region)
        if mobile:
            facts.append(f":material/smartphone: {md(mobile)}")
        if home:
            facts.append(f":material/call: {md(home)}")
        if not mobile and not home:
            facts.append(":gray[no phone on file]")
        if p.get("preferred_language") and p["preferred_language"] != "English":
            facts.append(f"speaks **{md(p['preferred_language'])}**")
        st.markdown(" · ".join(facts))
    with action_col:
        if may_edit and st.button("Edit intake", key="pf_edit_intake", icon=":material/edit:", width="stretch"):
            clicked = "edit"
        if st.button("Close file", key="pf_close", icon=":material/close:", width="stretch"):
            clicked = "close"

    if p.get("allergies"):
        st.error(f"**Allergies:** {lines(p['allergies'])}", icon=":material/warning:")
    else:
        st.caption(":material/info: No allergies recorded at intake.")

    next_col, last_col, noshow_col, insurance_col = st.columns([1.2, 1, 0.8, 1.6])
    with next_col:
        if summary.next_appointment is None:
            _tile("Next appointment", ":gray[None booked]")
        else:
            _tile("Next appointment", f"**{local(summary.next_appointment, ctx.tz)}**",
                  md(summary.next_provider or ""))
    with last_col:
        if summary.last_visit is None:
            _tile("Last visit", ":gray[No completed visit]")
        else:
            _tile("Last visit", f"**{local(summary.last_visit, ctx.tz, '%a %d %b %Y')}**",
                  f"{summary.completed} completed visit{'s' if summary.completed != 1 else ''}")
    with noshow_col:
        value = f":orange[**{summary.no_shows}**]" if summary.no_shows else "**0**"
        _tile("No-shows", value, "missed without cancelling")
    with insurance_col:
        if not plans:
            _tile("Insurance", ":gray[None on file]")
        else:
            primary = plans[0]
            others = [f"Secondary: {plan_text(plan)}" for plan in plans[1:]]
            _tile("Insurance", plan_text(primary), "  \n".join(others))
    return clicked


# --- appointments --------------------------------------------------------------------------------


def appointments_tab(ctx: FileContext) -> None:
    booked = patients.appointments_for(ctx.conn, ctx.id)
    if booked.empty:
        st.info("No appointments yet.", icon=":material/event_busy:")
        return
    st.caption(f"{len(booked)} appointment{'s' if len(booked) != 1 else ''}, newest first. Times are clinic time.")
    cancellation = [
        " · ".join(x for x in (text_or(reason), "late cancellation" if late is True else "") if x)
        for reason, late in zip(booked["cancel_reason"], booked["late_cancel"])
    ]
    st.dataframe(
        pd.DataFrame({
            "when": booked["start_at"].dt.tz_convert(ctx.tz),
            "status": booked["status"].map(STATUS_LABELS),
            "provider": booked["provider"],
            "visit_type": booked["visit_type"],
            "reason": booked["reason"],
            "cancellation": cancellation,
        }),
        hide_index=True,
        width="stretch",
        key=f"pf_appointments_{ctx.id}",
        column_config={
            "when": st.column_config.DatetimeColumn("When", format="ddd MM/DD/YYYY HH:mm"),
            "status": "Status",
            "provider": "Provider",
            "visit_type": "Visit type",
            "reason": "Reason",
            "cancellation": "Cancellation",
        },
    )


# --- documents -----------------------------------------------------------------------------------


def _reader(conn: Connection, document_id: int, user: User):
    """The bytes of one document, read (and audited) only when the download is clicked."""

    def read() -> bytes:
        return documents.get_file(conn, document_id, by=user).content

    return read


def _upload_key(ctx: FileContext) -> str:
    # A new key empties the uploader after a document was filed.
    return f"doc_file_{ctx.id}_{st.session_state.get(f'doc_generation_{ctx.id}', 0)}"


def _file_document(ctx: FileContext) -> None:
    forms.clear_errors(DOC_FORM)
    user = acting_user(DOC_FORM, "documents.upload")
    if user is None:
        return
    uploaded = st.session_state.get(_upload_key(ctx))
    if uploaded is None:
        forms.set_errors(DOC_FORM, {"file": "Choose a file to upload."})
        return
    category = st.session_state.get(f"doc_category_{ctx.id}")
    try:
        documents.add(ctx.conn, patient_id=ctx.id, filename=uploaded.name, content=uploaded.getvalue(),
                      category=category, doc_date=st.session_state.get(f"doc_date_{ctx.id}"),
                      note=st.session_state.get(f"doc_note_{ctx.id}", ""), by=user)
    except ClinicError as exc:
        report(DOC_FORM, exc, "file")
        return
    generation = f"doc_generation_{ctx.id}"
    st.session_state[generation] = st.session_state.get(generation, 0) + 1
    # Assign the empty values rather than deleting the keys: only an assigned value is sent back to
    # widgets the browser is still showing.
    st.session_state[f"doc_category_{ctx.id}"] = None
    st.session_state[f"doc_note_{ctx.id}"] = ""
    st.session_state[f"doc_date_{ctx.id}"] = ctx.today
    notice("documents", f"Filed “{uploaded.name}” as {CATEGORIES[category].lower()}.")


def documents_tab(ctx: FileContext, *, may_upload: bool) -> None:
    show_notice("documents")
    filed = documents.list_for_patient(ctx.conn, ctx.id)
    if filed.empty:
        st.info("No documents filed yet.", icon=":material/folder_off:")
    else:
        st.caption(f"{len(filed)} document{'s' if len(filed) != 1 else ''}, newest first. "
                   "Each download is recorded in the audit log.")
        widths = [1, 1.2, 2.4, 0.8, 2, 1.3]
        for col, title in zip(st.columns(widths), ("Date", "Category", "File", "Size", "Note")):
            col.markdown(f"**{title}**")
        for doc in filed.to_dict("records"):
            date_col, cat_col, file_col, size_col, note_col, button_col = st.columns(
                widths, vertical_alignment="center")
            date_col.markdown(local_date(doc["doc_date"]))
            cat_col.markdown(CATEGORIES.get(doc["category"], md(doc["category"])))
            file_col.markdown(f"{md(doc['filename'])}  \n:gray[by {md(doc['uploaded_by'])}, "
                              f"{local(doc['uploaded_at'], ctx.tz, '%m/%d/%Y')}]")
            size_col.markdown(human_size(doc["size_bytes"]))
            note_col.markdown(lines(doc["note"]) or ":gray[—]")
            with button_col:
                st.download_button(
                    "Download", data=_reader(ctx.conn, int(doc["id"]), ctx.user), file_name=doc["filename"],
                    mime=doc["mime_type"], key=f"doc_download_{doc['id']}", icon=":material/download:",
                    on_click="ignore", width="stretch",
                )

    st.subheader("File a document", anchor=False)
    if not may_upload:
        st.caption("Your role cannot file documents.")
        return
    with st.form(f"doc_upload_form_{ctx.id}", border=True):
        st.file_uploader("File: PDF, PNG or JPEG, at most 10 MB", type=UPLOAD_TYPES, key=_upload_key(ctx),
                         help="The file's content is checked, not just its name.")
        forms.field_error(DOC_FORM, "file")
        cat_col, date_col = st.columns(2)
        with cat_col:
            st.selectbox("Category", list(CATEGORIES), format_func=CATEGORIES.get, index=None,
                         placeholder="Choose a category", key=f"doc_category_{ctx.id}")
            forms.field_error(DOC_FORM, "category")
        with date_col:
            st.date_input("Document date", value=ctx.today, format="MM/DD/YYYY", key=f"doc_date_{ctx.id}",
                          min_value=date(1900, 1, 1))
            forms.field_error(DOC_FORM, "doc_date")
        st.text_input("Note", key=f"doc_note_{ctx.id}", max_chars=500, placeholder="Optional, e.g. front and back")
        st.form_submit_button("File document", type="primary", icon=":material/upload_file:",
                              on_click=_file_document, args=(ctx,))
    forms.form_error(DOC_FORM)


def local_date(value: Any) -> str:
    """A DATE column (pandas gives it as a naive Timestamp) as MM/DD/YYYY."""
    return "" if missing(value) else pd.Timestamp(value).strftime("%m/%d/%Y")


# --- messages and calls --------------------------------------------------------------------------

AUTO = "auto"
MSG_BLANK = {"channel": next(iter(messages.CHANNELS)), "type": next(iter(messages.REQUEST_TYPES)), "subject": "",
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
    user = acting_user(MSG_FORM, "messages.log")
    if user is None:
        return
    state = st.session_state
    assignee_user, assignee_role = _assignee_parts(state.get(msg_key(ctx, "assignee")))
    try:
        messages.log(ctx.conn, patient_id=ctx.id, channel=state.get(msg_key(ctx, "channel")),
                     request_type=state.get(msg_key(ctx, "type")), subject=state.get(msg_key(ctx, "subject"), ""),
                     body=state.get(msg_key(ctx, "body"), ""), status=state.get(msg_key(ctx, "state")) or "open",
                     assignee_user=assignee_user, assignee_role=assignee_role, due_on=state.get(msg_key(ctx, "due")),
                     by=user)
    except ClinicError as exc:
        report(MSG_FORM, exc)
        return
    subject = state.get(msg_key(ctx, "subject"), "")
    # Back to a blank form (assigned, not deleted, so the browser's widgets empty too).
    for field, blank in MSG_BLANK.items():
        state[msg_key(ctx, field)] = blank
    notice("messages", f"Logged “{intake.clean_text(subject, 150)}”.")


def _assignee_label(value: Any) -> str:
    return ROLE_LABELS.get(value, value) if isinstance(value, str) else ""


def messages_tab(ctx: FileContext, *, may_log: bool) -> None:
    show_notice("messages")
    logged = messages.for_patient(ctx.conn, ctx.id)
    if logged.empty:
        st.info("No calls or messages logged yet.", icon=":material/forum:")
    else:
        st.dataframe(
            pd.DataFrame({
                "when": logged["created_at"].dt.tz_convert(ctx.tz),
                "channel": logged["channel"].map(messages.CHANNELS),
                "type": logged["request_type"].map(messages.REQUEST_TYPES),
                "subject": logged["subject"],
                "state": logged["status"].map(messages.STATES),
                "assignee": logged["assignee"].map(_assignee_label),
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

    st.subheader("Log a call or message", anchor=False)
    if not may_log:
        st.caption("Your role cannot log calls or messages.")
        return
    with st.container(border=True):
        left, middle, right = st.columns(3)
        with left:
            st.selectbox("Channel", list(messages.CHANNELS), format_func=messages.CHANNELS.get,
                         key=msg_key(ctx, "channel"))
            forms.field_error(MSG_FORM, "channel")
        with middle:
            st.selectbox("Request", list(messages.REQUEST_TYPES), format_func=messages.REQUEST_TYPES.get,
                         key=msg_key(ctx, "type"))
            forms.field_error(MSG_FORM, "request_type")
        with right:
            st.selectbox("Follow-up", list(messages.STATES), format_func=messages.STATES.get, key=msg_key(ctx, "state"))
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
            routing = messages.route(st.session_state.get(msg_key(ctx, "type")) or "other", user_id=user_id, role=role)
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


# --- visit notes ---------------------------------------------------------------------------------


def _note_body_key(appointment_id: int) -> str:
    return f"note_body_{appointment_id}"


def _save_note(ctx: FileContext, appointment_id: int, *, sign: bool) -> None:
    forms.clear_errors(NOTE_FORM)
    user = acting_user(NOTE_FORM, "notes.write")
    if user is None:
        return
    body = st.session_state.get(_note_body_key(appointment_id), "")
    try:
        note_id = notes.save_draft(ctx.conn, appointment_id, body, by=user)
        if sign:
            notes.sign(ctx.conn, note_id, by=user)
    except ClinicError as exc:
        report(NOTE_FORM, exc, "body")
        return
    if sign:
        st.session_state.pop(_note_body_key(appointment_id), None)
        notice("notes", "Note signed. It can no longer be edited; add an addendum for later changes.")
    else:
        notice("notes", "Draft saved.")


def _add_addendum(ctx: FileContext, note_id: int) -> None:
    forms.clear_errors(NOTE_FORM)
    user = acting_user(NOTE_FORM, "notes.write")
    if user is None:
        return
    key = f"addendum_{note_id}"
    try:
        notes.add_addendum(ctx.conn, note_id, st.session_state.get(key, ""), by=user)
    except ClinicError as exc:
        report(NOTE_FORM, exc, "addendum")
        return
    st.session_state[key] = ""
    notice("notes", "Addendum added.")


def _visit_label(row: dict, tz: str) -> str:
    return (f"{local(row['start_at'], tz)} · {row['provider']} · {row['visit_type']}"
            f" · {STATUS_LABELS.get(row['status'], row['status'])}")


def _write_note(ctx: FileContext) -> None:
    booked = patients.appointments_for(ctx.conn, ctx.id)
    visits = {int(r["id"]): r for r in booked.to_dict("records") if r["status"] in NOTE_STATUSES}
    st.subheader("Write a visit note", anchor=False)
    if not visits:
        st.caption("This patient has no checked-in or completed visit to write a note for.")
        return
    appointment_id = st.selectbox("Visit", list(visits), key=f"note_visit_{ctx.id}",
                                  format_func=lambda i: _visit_label(visits[i], ctx.tz),
                                  help="Checked-in and completed visits, most recent first.")
    note = notes.for_appointment(ctx.conn, appointment_id)
    if note is None or note["signed_at"] is None:
        key = _note_body_key(appointment_id)
        if key not in st.session_state:
            st.session_state[key] = note["body"] if note else ""
        st.text_area("Note", key=key, height=220, max_chars=20000,
                     placeholder="Free text, or paste transcribed dictation.")
        forms.field_error(NOTE_FORM, "body")
        if note is not None:
            st.caption(f"Draft by {md(note['author'] or '—')}, last saved "
                       f"{local(note['updated_at'] or note['created_at'], ctx.tz)}. Not signed yet.")
        save_col, sign_col, _ = st.columns([1, 1, 3])
        with save_col:
            st.button("Save draft", key="note_save", icon=":material/save:", width="stretch",
                      on_click=_save_note, args=(ctx, appointment_id), kwargs={"sign": False})
        with sign_col:
            st.button("Sign note", key="note_sign", type="primary", icon=":material/verified:", width="stretch",
                      on_click=_save_note, args=(ctx, appointment_id), kwargs={"sign": True},
                      help="Saves and signs: a signed note is locked; later changes are addenda.")
    else:
        st.markdown(f":green-badge[:material/verified: Signed] by {md(note['signed_by'] or '—')}, "
                    f"{local(note['signed_at'], ctx.tz)}")
        st.text_area("Signed note (read-only)", value=note["body"], disabled=True, height=160,
                     key=f"note_signed_{note['id']}")
        st.text_area("Addendum", key=f"addendum_{note['id']}", height=100, max_chars=20000,
                     placeholder="A correction or later finding; saved with your name and the time.")
        forms.field_error(NOTE_FORM, "addendum")
        st.button("Add addendum", key="note_addendum", type="primary", icon=":material/post_add:",
                  on_click=_add_addendum, args=(ctx, int(note["id"])))
    forms.form_error(NOTE_FORM)


def notes_tab(ctx: FileContext, *, may_write: bool) -> None:
    show_notice("notes")
    if may_write:
        _write_note(ctx)
        st.subheader("All notes", anchor=False)
    written = notes.for_patient(ctx.conn, ctx.id)
    if written.empty:
        st.info("No visit notes yet.", icon=":material/description:")
        return
    for _, entries in written.groupby("note_id", sort=False):
        note = entries[entries["kind"] == "note"].iloc[0]
        with st.container(border=True):
            state = (f":green-badge[:material/verified: Signed {local(note['signed_at'], ctx.tz, '%m/%d/%Y %H:%M')}]"
                     if not missing(note["signed_at"]) else ":orange-badge[:material/edit_note: Draft, not signed]")
            st.markdown(f"**Visit {local(note['start_at'], ctx.tz)}** · {md(text_or(note['author'], '—'))} {state}")
            st.markdown(lines(note["body"]))
            for addendum in entries[entries["kind"] == "addendum"].to_dict("records"):
                st.markdown(f":blue-badge[Addendum] {md(text_or(addendum['author'], '—'))}, "
                            f"{local(addendum['written_at'], ctx.tz)}  \n{lines(addendum['body'])}")


# --- intake history ------------------------------------------------------------------------------


def history_tab(ctx: FileContext) -> None:
    changed = patients.changes_for(ctx.conn, ctx.id)
    created = local(ctx.patient.get("created_at"), ctx.tz)
    if created:
        st.caption(f"Registered {created}.")
    if changed.empty:
        st.info("No changes since the patient was registered.", icon=":material/history:")
        return
    st.dataframe(
        pd.DataFrame({
            "when": changed["changed_at"].dt.tz_convert(ctx.tz),
            "by": changed["by"],
            "field": changed["field"].map(lambda f: HISTORY_LABELS.get(f, f)),
            "old": changed["old_value"],
            "new": changed["new_value"],
        }),
        hide_index=True,
        width="stretch",
        key=f"pf_history_{ctx.id}",
        column_config={
            "when": st.column_config.DatetimeColumn("When", format="MM/DD/YYYY HH:mm"),
            "by": "By", "field": "Field", "old": "Before", "new": "After",
        },
    )


# --- merging a duplicate -------------------------------------------------------------------------


def _merge_other_key(ctx: FileContext) -> str:
    return f"merge_other_{ctx.id}"


def _merge(ctx: FileContext, other_id: int, other_mrn: str) -> None:
    forms.clear_errors(MERGE_FORM)
    user = acting_user(MERGE_FORM, "patients.merge")
    if user is None:
        return
    try:
        moved = patients.merge(ctx.conn, survivor_id=ctx.id, merged_id=other_id, by=user)
    except ClinicError as exc:
        report(MERGE_FORM, exc)
        return
    st.session_state.pop(_merge_other_key(ctx), None)
    what = ", ".join(f"{n} {table.replace('_', ' ')}" for table, n in moved.items() if n) or "nothing to move"
    notice("merge", f"Merged MRN {other_mrn} into this record ({what}). It is kept, marked as merged.")


def _side(ctx: FileContext, patient_id: int, title: str) -> None:
    p = patients.get(ctx.conn, patient_id)
    booked = patients.appointments_for(ctx.conn, patient_id)
    with st.container(border=True):
        st.markdown(f"**{title}**")
        st.markdown(
            f"{md(p.display_name)}  \nDOB {p.date_of_birth:%m/%d/%Y}  \nMRN {md(p.mrn)}  \n"
            f"{md(intake.display_phone(p.phone_mobile, ctx.region)) or ':gray[no phone]'}  \n"
            f"{len(booked)} appointment{'s' if len(booked) != 1 else ''}"
        )


def merge_section(ctx: FileContext) -> None:
    st.divider()
    show_notice("merge")
    with st.expander("Merge a duplicate record into this one", icon=":material/call_merge:"):
        st.caption("The duplicate's appointments, documents, messages, notes and insurance move to this record "
                   "in one step. The duplicate is kept, marked as merged, and can no longer be opened for booking.")
        picked = patient_search(f"merge_find_{ctx.id}", label="Find the duplicate record", button_label="Compare",
                                icon=":material/compare_arrows:", exclude={ctx.id})
        if picked is not None:
            st.session_state[_merge_other_key(ctx)] = picked
            st.rerun()  # draw the comparison with the search box emptied
        other_id = st.session_state.get(_merge_other_key(ctx))
        other = patients.get(ctx.conn, other_id) if other_id else None
        if other is None or other.status != "active":
            st.session_state.pop(_merge_other_key(ctx), None)
            forms.form_error(MERGE_FORM)
            return
        keep_col, merge_col = st.columns(2)
        with keep_col:
            _side(ctx, ctx.id, "Keep: this record")
        with merge_col:
            _side(ctx, other.id, "Merge in: the duplicate")
        confirmed = st.checkbox("These two records are the same person; move everything to this record.",
                                key=f"merge_confirm_{ctx.id}_{other.id}")
        forms.field_error(MERGE_FORM, "merged")
        forms.form_error(MERGE_FORM)
        st.button("Merge into this record", key="merge_go", type="primary", icon=":material/call_merge:",
                  disabled=not confirmed, on_click=_merge, args=(ctx, other.id, other.mrn))
