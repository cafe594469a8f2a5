"""The patient file's merge section (the manager and the admin): find a duplicate record, compare
it side by side with this one, confirm, and merge it into this record in one step."""

from __future__ import annotations

import streamlit as st

from clinic import intake
from clinic.errors import ClinicError, NotFound
from components import forms
from components.patient_file.context import FileContext, notice, report, show_notice
from components.patient_search import patient_search
from components.text import md
from db import patient_merge, patients
from db.patients import Patient

MERGE_FORM = "merge"


def _other_key(ctx: FileContext) -> str:
    return f"merge_other_{ctx.id}"


def _merge(ctx: FileContext, other_id: int, other_mrn: str) -> None:
    forms.clear_errors(MERGE_FORM)
    try:
        moved = patient_merge.merge(ctx.conn, survivor_id=ctx.id, merged_id=other_id, by=ctx.user)
    except ClinicError as exc:
        report(MERGE_FORM, exc)
        return
    st.session_state.pop(_other_key(ctx), None)
    what = ", ".join(f"{n} {table.replace('_', ' ')}" for table, n in moved.items() if n) or "nothing to move"
    notice("merge", f"Merged MRN {other_mrn} into this record ({what}). It is kept, marked as merged.")


def _side(ctx: FileContext, patient: Patient, title: str) -> None:
    booked = len(patients.appointments_for(ctx.conn, patient.id))
    with st.container(border=True):
        st.markdown(f"**{title}**")
        st.markdown(
            f"{md(patient.display_name)}  \nDOB {patient.date_of_birth:%m/%d/%Y}  \nMRN {md(patient.mrn)}  \n"
            f"{md(intake.display_phone(patient.phone_mobile, ctx.region)) or ':gray[no phone]'}  \n"
            f"{booked} appointment{'s' if booked != 1 else ''}"
        )


def _chosen_duplicate(ctx: FileContext) -> Patient | None:
    """The active record picked for comparison, if it still is one."""
    other_id = st.session_state.get(_other_key(ctx))
    try:
        other = patients.get(ctx.conn, other_id) if other_id else None
    except NotFound:
        other = None
    if other is None or other.status != "active":
        st.session_state.pop(_other_key(ctx), None)
        return None
    return other


def merge_section(ctx: FileContext) -> None:
    st.divider()
    show_notice("merge")
    with st.expander("Merge a duplicate record into this one", icon=":material/call_merge:"):
        st.caption("The duplicate's appointments, documents, messages, notes and insurance move to this record "
                   "in one step. The duplicate is kept, marked as merged, and can no longer be opened for booking.")
        picked = patient_search(f"merge_find_{ctx.id}", label="Find the duplicate record", button_label="Compare",
                                icon=":material/compare_arrows:", exclude={ctx.id})
        if picked is not None:
            st.session_state[_other_key(ctx)] = picked
            st.rerun()  # draw the comparison with the search box emptied
        other = _chosen_duplicate(ctx)
        if other is None:
            forms.form_error(MERGE_FORM)
            return
        keep_col, merge_col = st.columns(2)
        with keep_col:
            _side(ctx, patients.get(ctx.conn, ctx.id), "Keep: this record")
        with merge_col:
            _side(ctx, other, "Merge in: the duplicate")
        confirmed = st.checkbox("These two records are the same person; move everything to this record.",
                                key=f"merge_confirm_{ctx.id}_{other.id}")
        forms.field_error(MERGE_FORM, "merged")
        forms.form_error(MERGE_FORM)
        st.button("Merge into this record", key="merge_go", type="primary", icon=":material/call_merge:",
                  disabled=not confirmed, on_click=_merge, args=(ctx, other.id, other.mrn))
