"""A claim's status buttons: submit (or resubmit a denied one), mark accepted, appeal, mark
denied by hand. Appealing and denying need a reason, typed in the note field beside them."""

from __future__ import annotations

import streamlit as st

from clinic.billing import CLAIM_MOVES
from clinic.claims import HAND_MOVES
from clinic.errors import ClinicError, NotAllowed
from components import forms
from db import Connection, claims
from db.claims import Claim

ICONS = {"submitted": ":material/send:", "accepted": ":material/task_alt:", "appealed": ":material/gavel:",
         "denied": ":material/block:"}
ORDER = ("submitted", "accepted", "appealed", "denied")


def form_name(claim_id: int) -> str:
    return f"claim_status_{claim_id}"


def note_key(claim_id: int) -> str:
    return f"claim_{claim_id}_note"


def label(current: str, wanted: str) -> str:
    if wanted == "submitted":
        return "Resubmit" if current == "denied" else "Submit"
    return {"accepted": "Mark accepted", "appealed": "Appeal", "denied": "Mark denied"}[wanted]


def _change(conn: Connection, user, claim: Claim, wanted: str) -> None:
    form = form_name(claim.id)
    try:
        claims.change_claim_status(conn, claim.id, wanted, user=user, note=st.session_state.get(note_key(claim.id), ""))
    except ClinicError as exc:
        forms.set_errors(form, {exc.field if exc.field == "note" else "": str(exc)})
        if isinstance(exc, NotAllowed):
            st.toast(str(exc), icon=":material/block:")
        return
    forms.clear_errors(form)
    st.session_state[note_key(claim.id)] = ""
    forms.flash(f"Claim {claim.control_number}: {label(claim.status, wanted).lower()}"
                + ("" if wanted != "submitted" else " (dated today)") + ".")


def buttons(conn: Connection, user, claim: Claim, *, may_act: bool) -> None:
    moves = [m for m in ORDER if m in CLAIM_MOVES.get(claim.status, frozenset()) and m in HAND_MOVES]
    if not moves or not may_act:
        return
    form = form_name(claim.id)
    if {"appealed", "denied"} & set(moves):
        st.text_input("Reason or note", key=note_key(claim.id), max_chars=300,
                      placeholder="Needed to appeal or to mark denied (e.g. the reason on the insurer's letter)")
        forms.field_error(form, "note")
    for column, wanted in zip(st.columns(len(moves)), moves):
        with column:
            st.button(label(claim.status, wanted), key=f"claim_{claim.id}_to_{wanted}", icon=ICONS[wanted],
                      type="primary" if wanted == "submitted" else "secondary", width="stretch",
                      on_click=_change, args=(conn, user, claim, wanted))
    forms.form_error(form)
