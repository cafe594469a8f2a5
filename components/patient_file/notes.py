"""The patient file's Notes tab (clinicians and the manager): writing, saving and signing the
note of a checked-in or completed visit, addenda to a signed note, and every note of the patient.

The editor remembers the draft revision it was opened on and hands it back with every save and
signature (db.notes refuses a save over a newer revision). Only the draft's author may change or
sign it; signing saves what is in the box and signs it in one step.
"""

from __future__ import annotations

import streamlit as st

from clinic.errors import ClinicError, StaleRecord
from clinic.scheduling import STATUS_LABELS
from components import forms
from components.patient_file.context import FileContext, lines, local, notice, report, show_notice
from components.text import md
from db import notes, patients
from db.notes import Note
from db.patients import PatientAppointment

NOTE_FORM = "visit_note"
NOTE_STATUSES = ("completed", "checked_in")


def _body_key(appointment_id: int) -> str:
    return f"note_body_{appointment_id}"


def _seen_key(appointment_id: int) -> str:
    """The draft revision the editor was opened on (0: no note yet)."""
    return f"_note_seen_{appointment_id}"


def _stale_key(appointment_id: int) -> str:
    return f"_note_stale_{appointment_id}"


def _forget_editor(appointment_id: int) -> None:
    for key in (_body_key(appointment_id), _seen_key(appointment_id), _stale_key(appointment_id)):
        st.session_state.pop(key, None)


def _save_note(ctx: FileContext, appointment_id: int, *, sign: bool) -> None:
    forms.clear_errors(NOTE_FORM)
    state = st.session_state
    body = state.get(_body_key(appointment_id), "")
    seen = state.get(_seen_key(appointment_id), 0)
    try:
        if sign:
            notes.sign(ctx.conn, appointment_id, body, seen_revision=seen, by=ctx.user)
        else:
            saved = notes.save_draft(ctx.conn, appointment_id, body, seen_revision=seen, by=ctx.user)
    except StaleRecord as exc:
        state[_stale_key(appointment_id)] = True
        report(NOTE_FORM, exc, "body")
        return
    except ClinicError as exc:
        report(NOTE_FORM, exc, "body")
        return
    if sign:
        _forget_editor(appointment_id)
        notice("notes", "Note signed. It can no longer be edited; add an addendum for later changes.")
    else:
        state[_seen_key(appointment_id)] = saved.revision
        notice("notes", "Draft saved.")


def _add_addendum(ctx: FileContext, note_id: int) -> None:
    forms.clear_errors(NOTE_FORM)
    key = f"addendum_{note_id}"
    try:
        notes.add_addendum(ctx.conn, note_id, st.session_state.get(key, ""), by=ctx.user)
    except ClinicError as exc:
        report(NOTE_FORM, exc, "addendum")
        return
    st.session_state[key] = ""
    notice("notes", "Addendum added.")


def _visit_label(visit: PatientAppointment, tz: str) -> str:
    return (f"{local(visit.start_at, tz)} · {visit.provider} · {visit.visit_type}"
            f" · {STATUS_LABELS.get(visit.status, visit.status)}")


def _draft_editor(ctx: FileContext, appointment_id: int, note: Note | None) -> None:
    key = _body_key(appointment_id)
    if key not in st.session_state:
        st.session_state[key] = note.body if note else ""
        st.session_state[_seen_key(appointment_id)] = note.revision if note else 0
    st.text_area("Note", key=key, height=220, max_chars=20000, placeholder="Free text, or paste transcribed dictation.")
    forms.field_error(NOTE_FORM, "body")
    if st.session_state.get(_stale_key(appointment_id)):
        st.button("Load the saved draft (discards what is in the box)", key="note_reload", icon=":material/refresh:",
                  on_click=_forget_editor, args=(appointment_id,))
    if note is not None:
        st.caption(f"Draft by {md(note.author or '—')}, last saved {local(note.updated_at, ctx.tz)}. Not signed yet.")
    save_col, sign_col, _ = st.columns([1, 1, 3])
    with save_col:
        st.button("Save draft", key="note_save", icon=":material/save:", width="stretch",
                  on_click=_save_note, args=(ctx, appointment_id), kwargs={"sign": False})
    with sign_col:
        st.button("Sign note", key="note_sign", type="primary", icon=":material/verified:", width="stretch",
                  on_click=_save_note, args=(ctx, appointment_id), kwargs={"sign": True},
                  help="Saves and signs: a signed note is locked; later changes are addenda.")


def _signed_view(ctx: FileContext, note: Note) -> None:
    st.markdown(f":green-badge[:material/verified: Signed] by {md(note.signed_by or '—')}, "
                f"{local(note.signed_at, ctx.tz)}")
    st.text_area("Signed note (read-only)", value=note.body, disabled=True, height=160, key=f"note_signed_{note.id}")
    st.text_area("Addendum", key=f"addendum_{note.id}", height=100, max_chars=20000,
                 placeholder="A correction or later finding; saved with your name and the time.")
    forms.field_error(NOTE_FORM, "addendum")
    st.button("Add addendum", key="note_addendum", type="primary", icon=":material/post_add:",
              on_click=_add_addendum, args=(ctx, note.id))


def _write_note(ctx: FileContext) -> None:
    visits = {v.id: v for v in patients.appointments_for(ctx.conn, ctx.id) if v.status in NOTE_STATUSES}
    st.subheader("Write a visit note", anchor=False)
    if not visits:
        st.caption("This patient has no checked-in or completed visit to write a note for.")
        return
    appointment_id = st.selectbox("Visit", list(visits), key=f"note_visit_{ctx.id}",
                                  format_func=lambda i: _visit_label(visits[i], ctx.tz),
                                  help="Checked-in and completed visits, most recent first.")
    note = notes.for_appointment(ctx.conn, appointment_id)
    if note is not None and note.signed:
        _signed_view(ctx, note)
    elif note is not None and note.author_id != ctx.user.id:
        # A colleague's draft: theirs to finish and sign.
        st.text_area("Draft (read-only)", value=note.body, disabled=True, height=160, key=f"note_draft_{note.id}")
        st.caption(f"Draft by {md(note.author or '—')}, last saved {local(note.updated_at, ctx.tz)}. "
                   "Only its author can change or sign it.")
    else:
        _draft_editor(ctx, appointment_id, note)
    forms.form_error(NOTE_FORM)


def _all_notes(ctx: FileContext) -> None:
    written = notes.for_patient(ctx.conn, ctx.id, by=ctx.user)
    if not written:
        st.info("No visit notes yet.", icon=":material/description:")
        return
    for note in written:
        with st.container(border=True):
            state = (f":green-badge[:material/verified: Signed {local(note.signed_at, ctx.tz, '%m/%d/%Y %H:%M')}]"
                     if note.signed_at is not None else ":orange-badge[:material/edit_note: Draft, not signed]")
            st.markdown(f"**Visit {local(note.visit_start, ctx.tz)}** · {md(note.author or '—')} {state}")
            st.markdown(lines(note.body))
            for addendum in note.addenda:
                st.markdown(f":blue-badge[Addendum] {md(addendum.author or '—')}, "
                            f"{local(addendum.written_at, ctx.tz)}  \n{lines(addendum.body)}")


def notes_tab(ctx: FileContext, *, may_write: bool) -> None:
    show_notice("notes")
    if may_write:
        _write_note(ctx)
        st.subheader("All notes", anchor=False)
    _all_notes(ctx)
