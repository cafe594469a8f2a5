"""Billing › Payers: the insurers (and self-pay) that patients' plans name. List them with how many
patients use each; add one; change a name, payer ID, kind, what claims need (electronic payer ID,
claim filing address, timely-filing days), or take one out of use."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic.access import can_do
from clinic.errors import ClinicError, NotAllowed, ValidationError
from components import forms
from components.db_session import get_conn
from components.frame import require
from components.text import md
from db import payers

user = require("admin_payers")
conn = get_conn()
may_manage = can_do(user.role, "payers.manage")

ADD, EDIT = "add_payer", "edit_payer"
KINDS = list(payers.KIND_LABELS)


def save(form: str, *, payer_id: int | None = None, prefix: str) -> bool:
    """Save the form whose widgets are keyed ``{prefix}name``, ``{prefix}code``…; on failure keep the
    messages for the next run and leave what was typed. True when saved."""
    state = st.session_state
    try:
        payers.save(conn, name=state.get(f"{prefix}name", ""), payer_code=state.get(f"{prefix}code", ""),
                    kind=state.get(f"{prefix}kind"), active=bool(state.get(f"{prefix}active", True)), by=user,
                    payer_id=payer_id, electronic_id=state.get(f"{prefix}eid", ""),
                    filing_address=state.get(f"{prefix}address", ""),
                    timely_filing_days=state.get(f"{prefix}filing_days", ""))
    except ValidationError as exc:
        forms.set_errors(form, exc.errors)
        return False
    except ClinicError as exc:
        forms.set_errors(form, {exc.field or "": str(exc)})
        if isinstance(exc, NotAllowed):
            # The account is read again on every run: one demoted or deactivated since this page
            # was drawn no longer reaches it on the rerun, so say it wherever they land as well.
            st.toast(str(exc), icon=":material/block:")
        return False
    forms.clear_errors(form)
    return True


def add_payer() -> None:
    state = st.session_state
    if save(ADD, prefix="new_payer_"):
        forms.flash(f"Added {md(' '.join(state['new_payer_name'].split()))}.")
        # Set, not popped: a popped key would leave the old text showing in the browser.
        state.update(new_payer_name="", new_payer_code="", new_payer_kind=KINDS[0], new_payer_active=True,
                     new_payer_eid="", new_payer_address="", new_payer_filing_days="")


def change_payer(payer_id: int) -> None:
    state = st.session_state
    if save(EDIT, payer_id=payer_id, prefix=f"payer_{payer_id}_"):
        forms.flash(f"Saved {md(' '.join(state[f'payer_{payer_id}_name'].split()))}.")
        # The payer's label in the picker may have changed (name, inactive): choose it again by id,
        # so the browser shows the new label instead of falling back to the first payer.
        state["edit_payer_id"] = payer_id


def claim_fields(form: str, prefix: str, payer: payers.Payer | None = None) -> None:
    """What claims need from the payer, inside ``form``. (Empty for self-pay.)"""
    st.text_input("Electronic payer ID", value=(payer.electronic_id or "") if payer else "", key=f"{prefix}eid",
                  max_chars=20, help="The payer's ID at the clearinghouse, for electronic claims.")
    forms.field_error(form, "electronic_id")
    st.text_area("Claim filing address", value=(payer.filing_address or "") if payer else "", key=f"{prefix}address",
                 max_chars=300, height=110, help="Where paper claims go, one line per address line.")
    forms.field_error(form, "filing_address")
    days = payer.timely_filing_days if payer else None
    st.text_input("Timely filing (days)", value="" if days is None else str(days), key=f"{prefix}filing_days",
                  max_chars=4, help="Days from the date of service within which a claim must be filed. "
                                    "The claims work list warns 14 days before.")
    forms.field_error(form, "timely_filing_days")


st.title("Payers")
st.caption("Insurers and self-pay, as chosen on a patient's insurance. A payer no longer in use is made "
           "inactive rather than deleted: patients' past plans still name it.")
forms.show_flashes()

st.dataframe(
    pd.DataFrame(
        [{"name": row.payer.name, "payer_code": row.payer.payer_code or "—",
          "kind": payers.KIND_LABELS[row.payer.kind], "electronic_id": row.payer.electronic_id or "—",
          "timely_filing_days": row.payer.timely_filing_days, "active": row.payer.active, "patients": row.patients}
         for row in payers.list_all(conn)],
        columns=["name", "payer_code", "kind", "electronic_id", "timely_filing_days", "active", "patients"],
    ),
    hide_index=True,
    key="payers_table",
    column_config={
        "name": st.column_config.TextColumn("Name", width="medium"),
        "payer_code": "Payer ID",
        "kind": "Kind",
        "electronic_id": st.column_config.TextColumn("Electronic ID", help="The payer's ID at the clearinghouse."),
        "timely_filing_days": st.column_config.NumberColumn(
            "Timely filing (days)", help="Days from the service to file a claim; empty when not known."),
        "active": st.column_config.CheckboxColumn("Active"),
        "patients": st.column_config.NumberColumn("Patients", help="Patients with an active plan naming this payer."),
    },
)

if not may_manage:
    st.caption("Your role cannot change payers.")
    st.stop()

add_col, edit_col = st.columns(2, gap="large")

with add_col:
    st.subheader("Add a payer", divider="gray")
    with st.form(ADD):
        st.text_input("Name", key="new_payer_name", max_chars=120)
        forms.field_error(ADD, "name")
        st.text_input("Payer ID", key="new_payer_code", max_chars=20,
                      help="The clinic's short code for this payer (letters, digits, dashes).")
        forms.field_error(ADD, "payer_code")
        st.selectbox("Kind", KINDS, key="new_payer_kind", format_func=payers.KIND_LABELS.get)
        forms.field_error(ADD, "kind")
        claim_fields(ADD, "new_payer_")
        st.session_state.setdefault("new_payer_active", True)
        st.checkbox("Active (can be chosen on a patient's insurance)", key="new_payer_active")
        st.form_submit_button("Add payer", type="primary", icon=":material/add:", on_click=add_payer)
    forms.form_error(ADD)

with edit_col:
    st.subheader("Change a payer", divider="gray")
    known = {p.id: p for p in payers.list_payers(conn, active_only=False)}
    if not known:
        st.caption("No payers yet.")
    else:
        chosen_id = st.selectbox("Payer", list(known), key="edit_payer_id",
                                 on_change=forms.clear_errors, args=(EDIT,),
                                 format_func=lambda i: known[i].name + ("" if known[i].active else " (inactive)"))
        chosen = known.get(chosen_id) or next(iter(known.values()))
        # Keys carry the payer's id, so choosing another payer shows its own values.
        with st.form(EDIT):
            prefix = f"payer_{chosen.id}_"
            st.text_input("Name", value=chosen.name, key=f"{prefix}name", max_chars=120)
            forms.field_error(EDIT, "name")
            st.text_input("Payer ID", value=chosen.payer_code or "", key=f"{prefix}code", max_chars=20)
            forms.field_error(EDIT, "payer_code")
            st.selectbox("Kind", KINDS, index=KINDS.index(chosen.kind), key=f"{prefix}kind",
                         format_func=payers.KIND_LABELS.get)
            forms.field_error(EDIT, "kind")
            claim_fields(EDIT, prefix, chosen)
            st.checkbox("Active (can be chosen on a patient's insurance)", value=chosen.active, key=f"{prefix}active")
            st.form_submit_button("Save changes", type="primary", icon=":material/save:", on_click=change_payer,
                                  args=(chosen.id,))
        forms.form_error(EDIT)
        if not chosen.active:
            st.caption(f"{md(chosen.name)} is inactive: it is not offered for new insurance plans.")
