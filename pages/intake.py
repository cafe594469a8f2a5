"""New patient (or Update <name>): the full intake form in the sections of the paper form.

Saving checks every field at once (clinic.intake) and shows each problem under its field; nothing
is written while any remains and what was typed stays. A new patient who looks like someone
already registered is not created until the user opens that record or says "create new anyway"
(audited). An update carries the version of the record the form was opened on: when someone
else saved the patient since, nothing is written, the refusal is shown above the form and what
was typed stays. The blank and the prefilled paper forms download from here.

Which patient: components.nav.edit_intake(id) opens this page on a patient; arriving any other
way (the sidebar) gives a blank form. The target is read once on arrival and then kept here.
"""

from __future__ import annotations

import streamlit as st

from clinic import intake, intake_pdf, timeutil
from clinic.access import can_do
from clinic.errors import ClinicError, NotFound, PossibleDuplicates, StaleRecord, ValidationError
from components import forms, nav
from components import intake_form as ui
from components.audit.downloads import audited
from components.db_session import get_conn
from components.downloads import pdf_fonts
from components.frame import require
from components.text import md
from db import patient_intake, patients, payers, settings

user = require("intake")
conn = get_conn()
config = settings.get_all(conn)
tz, region = config["timezone"], config["country"]
today = timeutil.today(tz)
may_edit = can_do(user.role, "patients.edit")

EDITING = "_intake_editing"  # the patient id being updated, or None for a new patient
PENDING = "_intake_duplicates"  # {"form": what was typed, "candidates": [...]} while the user decides
SAVED = "_intake_saved"  # {"id": patient id, "message": text} after a save


def start(patient_id: int | None) -> None:
    """Show the form for ``patient_id`` (or a blank one) and forget any earlier decision."""
    record = None
    if patient_id is not None:
        try:
            record = patients.get_full(conn, patient_id)
        except NotFound:
            forms.flash("That patient record does not exist; here is a blank form.", "warning")
            patient_id = None
    st.session_state[EDITING] = patient_id
    st.session_state.pop(PENDING, None)
    ui.load(record, region)


if not ui.is_loaded():
    st.session_state.pop(SAVED, None)
    start(nav.intake_target())
    nav.set_intake_target(None)

editing: int | None = st.session_state.get(EDITING)
record = patients.get_full(conn, editing) if editing is not None else None


def name_of(record: patients.PatientRecord) -> str:
    return f"{record.first_name} {record.last_name}"


def created(patient_id: int) -> None:
    new = patients.get(conn, patient_id)
    st.session_state[SAVED] = {"id": patient_id, "message": f"Registered {new.first_name} {new.last_name}: MRN {new.mrn}."}
    st.toast(f"Registered: MRN {new.mrn}", icon=":material/check_circle:")
    ui.load(None, region)  # ready for the next walk-in


def save() -> None:
    """The form's submit callback (runs before the page reruns, so it may reset the widgets)."""
    forms.clear_errors(ui.FORM)
    st.session_state.pop(PENDING, None)
    st.session_state.pop(SAVED, None)
    form = ui.collect(today)
    try:
        if editing is None:
            patient_id = patient_intake.create(conn, form, by=user)
        else:
            changed = patient_intake.update(conn, editing, form, seen_version=ui.seen_version(), by=user)
    except PossibleDuplicates as exc:
        st.session_state[PENDING] = {"form": form, "candidates": exc.candidates}
    except StaleRecord as exc:
        # What was typed stays in the form; the message is shown above it.
        forms.set_errors(ui.FORM, {ui.STALE: str(exc)})
    except ValidationError as exc:
        forms.set_errors(ui.FORM, exc.errors)
    except ClinicError as exc:
        forms.set_errors(ui.FORM, {"": str(exc)})
    else:
        if editing is None:
            created(patient_id)
            return
        saved = patients.get_full(conn, editing)
        labels = ", ".join(ui.field_label(f) for f in changed)
        message = (f"Saved {name_of(saved)} (MRN {saved.mrn}). Changed: {labels}." if changed
                   else f"Nothing changed for {name_of(saved)} (MRN {saved.mrn}).")
        st.session_state[SAVED] = {"id": editing, "message": message}
        ui.load(saved, region)  # show the values as stored (phones formatted, codes upper-case)


def create_anyway() -> None:
    pending = st.session_state.pop(PENDING, None)
    if not pending:
        return
    try:
        patient_id = patient_intake.create(conn, pending["form"], by=user, confirm_new=True)
    except ValidationError as exc:
        forms.set_errors(ui.FORM, exc.errors)
    except ClinicError as exc:
        forms.set_errors(ui.FORM, {"": str(exc)})
    else:
        created(patient_id)


def new_patient_instead() -> None:
    st.session_state.pop(SAVED, None)
    start(None)


def reload_saved() -> None:
    """After a refused stale save: show the record as it is saved now (what was typed is dropped)."""
    st.session_state.pop(SAVED, None)
    start(editing)


# --- the screen --------------------------------------------------------------------------------

if record is None:
    st.title("New patient")
else:
    st.title(f"Update {md(name_of(record))}")
    st.caption(f"MRN {md(record.mrn)} · born {record.date_of_birth:%m/%d/%Y}")
    if not record.active:
        st.warning("This record was merged into another one and cannot be edited.", icon=":material/merge:")
forms.show_flashes()


def pdf(patient_id: int | None) -> bytes:
    values = patients.get_full(conn, patient_id) if patient_id is not None else None
    return intake_pdf.build_pdf(values.as_dict() if values is not None else None, clinic_name=config["clinic_name"],
                                region=region, printed_at=timeutil.to_local(timeutil.now_utc(), tz), **pdf_fonts())


with st.container(horizontal=True):
    st.download_button("Blank intake form (PDF)", data=lambda: pdf(None), file_name=intake_pdf.filename(None),
                       mime="application/pdf", icon=":material/print:", on_click="ignore", key="intake_pdf_blank",
                       help="US Letter, for walk-ins to fill in by hand.")
    if record is not None:
        st.download_button("Prefilled intake form (PDF)", file_name=intake_pdf.filename(record.as_dict()), mime="application/pdf",
                           icon=":material/print:", key="intake_pdf_prefilled",
                           **audited("intake_pdf", lambda: pdf(editing), category="demographics", entity="patient", entity_id=editing,
                                     patient_id=editing),
                           help="What the clinic holds now (as saved), for the patient to check and correct.")
        st.button("New patient instead", icon=":material/person_add:", on_click=new_patient_instead,
                  key="intake_new_instead")

if not may_edit:
    st.info("Your role can read this form but not save it.", icon=":material/lock:")

stale = forms.errors_for(ui.FORM).get(ui.STALE)
if stale:
    with st.container(border=True):
        st.error(stale, icon=":material/sync_problem:")
        st.caption("Nothing was saved, and what you typed is still in the form below. Load the saved record to "
                   "see the other change, then make yours again.")
        st.button("Load the saved record", key="intake_reload", icon=":material/refresh:", on_click=reload_saved)

plan_ids = [p.payer_id for p in record.insurance] if record is not None else []
ui.draw(today=today, payers=ui.payer_labels(payers.list_payers(conn, active_only=False), plan_ids),
        submit_label="Register patient" if record is None else "Save changes", on_submit=save,
        disabled=not may_edit or (record is not None and not record.active))

# What happened on save, right under the button the user just pressed.
pending = st.session_state.get(PENDING)
if pending:
    with st.container(border=True):
        count = len(pending["candidates"])
        st.warning(f"{count} registered patient{'s look' if count != 1 else ' looks'} like this one. Open the "
                   "existing record, or create a new one if this is a different person.", icon=":material/group:")
        for c in pending["candidates"]:
            who_col, open_col = st.columns([5, 1.4], vertical_alignment="center")
            phone = intake.display_phone(c.phone, region)
            who_col.markdown(f"**{md(c.name)}** · MRN {md(c.mrn)} · born {c.date_of_birth:%m/%d/%Y}"
                             + (f" · {md(phone)}" if phone else "") + f"  \n:gray[{md(c.why.capitalize())}]")
            if open_col.button("Open this patient", key=f"intake_dup_open_{c.id}", icon=":material/folder_shared:",
                               width="stretch"):
                st.session_state.pop(PENDING, None)
                nav.open_patient(c.id)
        st.button("Create new anyway", key="intake_create_anyway", on_click=create_anyway, icon=":material/person_add:",
                  help="This is a different person: register them. The decision is recorded in the audit log.")

saved = st.session_state.get(SAVED)
if saved:
    message_col, open_col = st.columns([4, 1], vertical_alignment="center")
    message_col.success(md(saved["message"]), icon=":material/check_circle:")
    if open_col.button("Open patient file", key="intake_open_saved", icon=":material/folder_shared:", type="primary"):
        st.session_state.pop(SAVED, None)
        nav.open_patient(saved["id"])
