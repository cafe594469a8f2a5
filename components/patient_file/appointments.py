"""The patient file's Appointments tab: every visit, newest first, in clinic time, with its
status label and any cancellation."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic import timeutil
from clinic.scheduling import STATUS_LABELS
from components.patient_file.context import FileContext
from db import patients
from db.patients import PatientAppointment


def _cancellation(appointment: PatientAppointment) -> str:
    late = "late cancellation" if appointment.late_cancel else ""
    return " · ".join(x for x in (appointment.cancel_reason or "", late) if x)


def appointments_tab(ctx: FileContext) -> None:
    booked = patients.appointments_for(ctx.conn, ctx.id)
    if not booked:
        st.info("No appointments yet.", icon=":material/event_busy:")
        return
    st.caption(f"{len(booked)} appointment{'s' if len(booked) != 1 else ''}, newest first. Times are clinic time.")
    st.dataframe(
        pd.DataFrame({
            "when": [timeutil.to_local(a.start_at, ctx.tz) for a in booked],
            "status": [STATUS_LABELS.get(a.status, a.status) for a in booked],
            "provider": [a.provider for a in booked],
            "visit_type": [a.visit_type for a in booked],
            "reason": [a.reason for a in booked],
            "cancellation": [_cancellation(a) for a in booked],
        }),
        hide_index=True,
        width="stretch",
        key=f"pf_appointments_{ctx.id}",
        column_config={
            "when": st.column_config.DatetimeColumn("When", format="ddd MM/DD/YYYY HH:mm"),
            "status": "Status",
            "provider": "Provider",
            "visit_type": "Visit type",
            "reason": "Reason",
            "cancellation": "Cancellation",
        },
    )
