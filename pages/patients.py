"""Patients: find a patient and open their file. The header says who they are and what to watch
out for (allergies, next appointment, no-shows, insurance); tabs hold their appointments,
documents, messages and calls, visit notes (clinicians and the manager only), billing (the roles
that handle money: front desk, billing, manager, admin) and intake history. The manager and the
admin can merge a duplicate record into the open one.

Other pages open a file with components.nav.open_patient(id); the file's address is
``/patients?patient=<id>`` (kept in step with the open file, so a refresh or a bookmark reopens
it; an id that is not a patient's, or a merged record, gets a clear message). ``&tab=billing``
opens it on the Billing tab (Today's "Take payment" link).
"""

from __future__ import annotations

import re

import streamlit as st

from clinic import timeutil
from clinic.access import can_do
from clinic.errors import NotFound
from components import nav
from components import patient_file as pf
from components.db_session import get_conn
from components.frame import require
from components.patient_file.access_log import access_log_tab
from components.patient_search import patient_search
from components.text import md
from db import patients, settings

user = require("patients")
conn = get_conn()
config = settings.get_all(conn)
tz = config["timezone"]

_ID_RE = re.compile(r"^\d{1,18}$")
_FIND_HINT = "Find the patient by name, date of birth, phone or MRN above."


def show_file(patient_id: int | None) -> None:
    """Open (or with None, close) a file: the session and the address say the same."""
    nav.set_patient_target(patient_id)
    nav.show_patient_in_address(patient_id)


st.title("Patients")
picked = patient_search("patient_find")
if picked is not None:
    show_file(picked)
    st.rerun()

asked = nav.patient_in_address()
if asked:
    if not _ID_RE.match(asked):
        st.warning(f"The address asks for patient “{md(asked[:40])}”, which is not a patient number. {_FIND_HINT}",
                   icon=":material/link_off:")
        st.stop()
    nav.set_patient_target(int(asked))  # a link, a bookmark or a refresh: the address wins

patient_id = nav.patient_target()
if patient_id is None:
    if not st.session_state.get("patient_find", "").strip():
        st.info("Find a patient by name, date of birth, phone or MRN, then open their file.",
                icon=":material/person_search:")
    st.stop()
nav.show_patient_in_address(patient_id)

try:
    record = patients.get_full(conn, patient_id)
except NotFound:
    nav.set_patient_target(None)
    st.warning(f"There is no patient number {patient_id}: the link may be mistyped or out of date. {_FIND_HINT}",
               icon=":material/person_off:")
    st.stop()

if not record.active:
    try:
        survivor = patients.get(conn, record.merged_into) if record.merged_into else None
    except NotFound:
        survivor = None
    st.warning(f"MRN {md(record.mrn)} was merged into another record"
               + (f" (MRN {md(survivor.mrn)})." if survivor else ".") + " Its history is in that record now.",
               icon=":material/call_merge:")
    if survivor and st.button("Open the surviving record", key="pf_open_survivor", icon=":material/folder_open:"):
        show_file(survivor.id)
        st.rerun()
    st.stop()

ctx = pf.FileContext(conn=conn, user=user, patient=record, tz=tz, region=config["country"],
                     today=timeutil.today(tz))
pf.record_opening(ctx)

# Money is for the roles that take payments (clinicians see no balances: not needed for care).
may_see_money = can_do(user.role, "billing.payment")
action = pf.header(ctx, may_edit=can_do(user.role, "patients.edit"), may_see_money=may_see_money)
if action == "edit":
    nav.edit_intake(ctx.id)
elif action == "close":
    show_file(None)
    pf.forget_opening()
    st.rerun()

may_read_notes = can_do(user.role, "notes.read")
# A clinician reaches the clinical part (notes, lab and imaging reports) of their own patients'
# records; any other record only under emergency ("break-glass") access, shown in red meanwhile.
# The banner's place is kept even when empty, so that opening a grant does not shift the tabs.
clinical, grant = pf.clinical_access(ctx)
with st.container():
    if grant is not None:
        pf.emergency_banner(ctx, grant)
may_read_audit = can_do(user.role, "audit.read")  # the record's "who looked" (accounting of disclosures)
labels = ["Appointments", *(["Billing"] if may_see_money else []), "Documents", "Messages and calls",
          *(["Notes"] if may_read_notes else []), "Intake history", *(["Who looked"] if may_read_audit else [])]
opening = "Billing" if may_see_money and st.query_params.get("tab") == "billing" else None
tabs = dict(zip(labels, st.tabs(labels, key="patient_file_tabs", default=opening)))
with tabs["Appointments"]:
    pf.appointments_tab(ctx)
if may_see_money:
    with tabs["Billing"]:
        pf.billing_tab(conn, user, ctx.id)
with tabs["Documents"]:
    pf.documents_tab(ctx, may_upload=can_do(user.role, "documents.upload"), clinical=clinical != "none")
with tabs["Messages and calls"]:
    pf.messages_tab(ctx, may_log=can_do(user.role, "messages.log"))
if may_read_notes:
    with tabs["Notes"]:
        if clinical == "none":
            pf.closed_notes(ctx)
        else:
            pf.notes_tab(ctx, may_write=can_do(user.role, "notes.write"))
with tabs["Intake history"]:
    pf.history_tab(ctx)
if may_read_audit:
    with tabs["Who looked"]:
        access_log_tab(ctx)

if can_do(user.role, "patients.merge"):
    pf.merge_section(ctx)
