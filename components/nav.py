"""Moving between screens with a record in hand (e.g. from the calendar to a patient's file).

The target page reads the id with the matching ``*_target`` function; the id travels in the
session, never in the URL (patient ids in links leak into browser history and logs).
"""

from __future__ import annotations

import streamlit as st

_PATIENT = "_nav_patient_id"
_INTAKE = "_nav_intake_patient_id"


def open_patient(patient_id: int) -> None:
    """Go to the patient file of ``patient_id``."""
    st.session_state[_PATIENT] = int(patient_id)
    st.switch_page("pages/patients.py")


def patient_target() -> int | None:
    """The patient the file should show (set by open_patient or by the file's own search)."""
    return st.session_state.get(_PATIENT)


def set_patient_target(patient_id: int | None) -> None:
    st.session_state[_PATIENT] = patient_id


def edit_intake(patient_id: int | None) -> None:
    """Go to the intake form: for ``patient_id``, or blank for a new patient when None."""
    st.session_state[_INTAKE] = patient_id
    st.switch_page("pages/intake.py")


def intake_target() -> int | None:
    return st.session_state.get(_INTAKE)


def set_intake_target(patient_id: int | None) -> None:
    st.session_state[_INTAKE] = patient_id
