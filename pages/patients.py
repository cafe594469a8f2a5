"""Patients: find a patient and open their file. The header says who they are and what to watch
out for (allergies, next appointment, no-shows, insurance); tabs hold their appointments,
documents, messages and calls, visit notes (clinicians and the manager only) and intake history.
The manager and the admin can merge a duplicate record into the open one.

Other pages open a file with components.nav.open_patient(id). Billing does not exist yet, so the
header shows no balance rather than a made-up one.
"""

from __future__ import annotations

import streamlit as st

from clinic import timeutil
from clinic.access import can_do
from clinic.errors import NotFound
from components import nav
from components import patient_file as pf
from components.db_session import get_conn
from components.frame import require
from components.patient_search import patient_search
from components.text import md
from db import patients, settings

user = require("patients")
conn = get_conn()
config = settings.get_all(conn)
tz = config["timezone"]

st.title("Patients")
picked = patient_search("patient_find")
if picked is not None:
    nav.set_patient_target(picked)
    st.rerun()

patient_id = nav.patient_target()
if patient_id is None:
    if not st.session_state.get("patient_find", "").strip():
        st.info("Find a patient by name, date of birth, phone or MRN, then open their file.",
                icon=":material/person_search:")
    st.stop()

try:
    record = patients.get_full(conn, patient_id)
except NotFound:
    nav.set_patient_target(None)
    st.warning("That patient record does not exist.", icon=":material/person_off:")
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
        nav.set_patient_target(survivor.id)
        st.rerun()
    st.stop()

ctx = pf.FileContext(conn=conn, user=user, patient=record, tz=tz, region=config["country"],
                     today=timeutil.today(tz))
pf.record_opening(ctx)

action = pf.header(ctx, may_edit=can_do(user.role, "patients.edit"))
if action == "edit":
    nav.edit_intake(ctx.id)
elif action == "close":
    nav.set_patient_target(None)
    pf.forget_opening()
    st.rerun()

may_read_notes = can_do(user.role, "notes.read")
labels = ["Appointments", "Documents", "Messages and calls", *(["Notes"] if may_read_notes else []), "Intake history"]
tabs = dict(zip(labels, st.tabs(labels, key="patient_file_tabs")))
with tabs["Appointments"]:
    pf.appointments_tab(ctx)
with tabs["Documents"]:
    pf.documents_tab(ctx, may_upload=can_do(user.role, "documents.upload"))
with tabs["Messages and calls"]:
    pf.messages_tab(ctx, may_log=can_do(user.role, "messages.log"))
if may_read_notes:
    with tabs["Notes"]:
        pf.notes_tab(ctx, may_write=can_do(user.role, "notes.write"))
with tabs["Intake history"]:
    pf.history_tab(ctx)

if can_do(user.role, "patients.merge"):
    pf.merge_section(ctx)
