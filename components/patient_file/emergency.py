"""Emergency ("break-glass") access in the patient file (db.break_glass).

A clinician opening a record that is not on their own schedule sees its demographics, visits,
messages and the non-clinical documents; its notes and lab and imaging reports stay closed
until they give a reason. While a grant runs, a red banner above the tabs says so, until when,
and that everything is recorded for review.
"""

from __future__ import annotations

import streamlit as st

from clinic.errors import ClinicError
from components import forms
from components.patient_file.context import FileContext, local, notice, report, show_notice
from components.text import md
from db import break_glass

FORM = "break_glass"


def clinical_access(ctx: FileContext) -> tuple[str, break_glass.Grant | None]:
    """How the viewer reaches this record's clinical part now (see db.break_glass.access)."""
    return break_glass.access(ctx.conn, ctx.user, ctx.id)


def banner(ctx: FileContext, grant: break_glass.Grant) -> None:
    st.error(f"**Emergency access** until {local(grant.ends_at, ctx.tz, '%H:%M')}: {md(grant.reason)}  \n"
             "Everything you open or write in this record is recorded and reviewed by the office manager.",
             icon=":material/emergency:")


def _key(ctx: FileContext) -> str:
    return f"break_glass_reason_{ctx.id}"


def _open(ctx: FileContext) -> None:
    forms.clear_errors(FORM)
    try:
        break_glass.start(ctx.conn, patient_id=ctx.id, reason=st.session_state.get(_key(ctx), ""), by=ctx.user)
    except ClinicError as exc:
        report(FORM, exc, "reason")
        return
    st.session_state[_key(ctx)] = ""
    notice("notes", f"Emergency access opened for {break_glass.MINUTES} minutes.")


def closed_notes(ctx: FileContext) -> None:
    """The Notes tab of a record outside the clinician's schedule: the reason form."""
    show_notice("notes")
    st.warning(break_glass.WARNING, icon=":material/lock:")
    st.text_area("Reason for emergency access", key=_key(ctx), max_chars=break_glass.REASON_MAX, height=90,
                 placeholder="e.g. Dr. Okafor's patient is unwell in the waiting room; she is away today.")
    forms.field_error(FORM, "reason")
    forms.form_error(FORM)
    st.button("Open for an emergency", key="break_glass_open", type="primary", icon=":material/emergency:",
              on_click=_open, args=(ctx,))
