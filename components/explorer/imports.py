"""The data explorer's import of appointment history: upload a CSV in the public "Medical
Appointment No Shows" format, import it with a progress bar, then show what was imported, what
was already there and which rows were rejected and why. The work is db.imports.noshow's; the
upload is written into the database's imports/ folder first (the one folder DuckDB may read once
external access is locked down) and deleted after the import."""

from __future__ import annotations

import re
import time

import pandas as pd
import streamlit as st

from clinic.errors import ClinicError
from components import forms
from db.imports import ImportSummary, imports_dir, noshow

FORM = "noshow_import"
_UPLOAD = "noshow_import_file"
_RESULT = "noshow_import_result"
MAX_UPLOAD_MB = 25


def import_section(conn, user) -> None:
    st.caption("Import past appointments from a CSV in the public “Medical Appointment No Shows” format "
               f"(columns {', '.join(noshow.COLUMNS)}). Each row becomes a completed visit or a no-show for "
               "a patient named after their PatientId, on the day written, at "
               f"{noshow.START_TIME:%H:%M}. Importing the same file again adds nothing.")
    with st.form("noshow_import_form", border=True):
        # The public file alone is 10.2 MB. Streamlit's server still refuses any upload above
        # server.maxUploadSize (config.toml), which must be at least this much.
        st.file_uploader(f"CSV file, at most {MAX_UPLOAD_MB} MB", type=["csv"], key=_UPLOAD,
                         max_upload_size=MAX_UPLOAD_MB)
        forms.field_error(FORM, "file")
        submitted = st.form_submit_button("Import appointments", type="primary", icon=":material/upload_file:")
    forms.form_error(FORM)
    if submitted:
        _run(conn, user)
    summary = st.session_state.get(_RESULT)
    if summary is not None:
        _show(summary)


def _run(conn, user) -> None:
    forms.clear_errors(FORM)
    st.session_state.pop(_RESULT, None)
    upload = st.session_state.get(_UPLOAD)
    if upload is None:
        forms.set_errors(FORM, {"file": "Choose a CSV file to import."})
        st.rerun()
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", upload.name)[-80:] or "upload.csv"
    bar = st.progress(0.0, text="Saving the file")
    try:
        target = imports_dir(conn) / f"{time.strftime('%Y%m%d-%H%M%S')}-{safe}"
        target.write_bytes(upload.getvalue())
        try:
            summary = noshow.import_noshow(conn, target, user=user,
                                           progress=lambda fraction, text: bar.progress(fraction, text=text))
        finally:
            target.unlink(missing_ok=True)
    except ClinicError as exc:
        bar.empty()
        forms.set_errors(FORM, {exc.field if exc.field == "file" else "": str(exc)})
        st.rerun()
    bar.empty()
    st.session_state[_RESULT] = summary


def _show(summary: ImportSummary) -> None:
    new_patients = summary.added.get("patients", 0)
    st.success(f"Imported {summary.imported:,} appointments ({new_patients:,} new patients) "
               f"in {summary.seconds:.1f} s.", icon=":material/check_circle:")
    imported, skipped, rejected = st.columns(3)
    imported.metric("Imported", f"{summary.imported:,}")
    skipped.metric("Already imported", f"{summary.duplicates:,}",
                   help="Rows whose AppointmentID was imported before (or appears twice in the file).")
    rejected.metric("Rejected", f"{summary.rejected_total:,}")
    if summary.rejected:
        reasons = sorted(summary.rejected.items(), key=lambda kv: -kv[1])
        st.dataframe(pd.DataFrame({
            "Why the row was rejected": [reason for reason, _ in reasons],
            "Rows": [n for _, n in reasons],
            "For example": [", ".join(summary.examples.get(reason, [])) for reason, _ in reasons],
        }), hide_index=True, width="stretch")
