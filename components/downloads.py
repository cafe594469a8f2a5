"""Download buttons for the day sheet PDF and .ics calendar files.

Files are built when the button is clicked, not on every rerun (``st.download_button`` with a
callable): a page can show many buttons at no cost. The callable runs on another thread, so it
only uses the shared connection through db/ functions (each opens its own cursor).

Any page can offer one appointment to the patient with
``appointment_ics_button(conn, appointment_id, key=...)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import streamlit as st

from clinic import daysheet, ics, printing
from clinic.errors import NotFound
from clinic.timeutil import to_local
from components.audit.downloads import audited
from db import Connection, appointments, providers, settings, visit_types

def pdf_fonts() -> dict[str, Path]:
    """``font``/``bold_font`` arguments for the PDF builders: the Unicode pair in assets/fonts, if
    any (found by clinic/printing.py, which says what happens without them)."""
    return printing.bundled_fonts()


def day_sheet_pdf_button(sheet: daysheet.DaySheet, *, key: str) -> None:
    fonts = pdf_fonts()
    st.download_button(
        "Download day sheet (PDF)",
        file_name=daysheet.filename(sheet),
        mime="application/pdf",
        icon=":material/print:",
        **audited("day_sheet_pdf", lambda: daysheet.build_pdf(sheet, **fonts), category="scheduling", entity="day_sheet",
                  detail={"day": sheet.day.isoformat(), "provider": sheet.provider, "rows": len(sheet.rows)}),
        key=key,
        help="US Letter, ready to print.",
    )


def schedule_ics_button(
    rows: Sequence[daysheet.SheetRow], *, provider: str, clinic_name: str, first: date, end: date, key: str
) -> None:
    st.download_button(
        "Download schedule (.ics)",
        file_name=ics.schedule_filename(provider, first, end),
        mime="text/calendar",
        icon=":material/event:",
        **audited("schedule_ics", lambda: ics.provider_schedule(rows, provider=provider, clinic_name=clinic_name), category="scheduling", entity="schedule",
                  detail={"provider": provider, "first": first.isoformat(), "end": end.isoformat(), "rows": len(rows)}),
        key=key,
        help="For your own calendar app: patient names and visit types, no visit reasons.",
    )


def appointment_ics_button(conn: Connection, appointment_id: int, key: str, *, label: str = "Add to calendar (.ics)") -> None:
    """A button giving the patient's calendar file for one appointment (no clinical reason in it)."""
    try:
        appointment = appointments.get(conn, appointment_id)
    except NotFound:
        return
    tz = settings.timezone(conn)

    def build() -> bytes:
        provider = next(
            (p.name for p in providers.list_providers(conn, active_only=False) if p.id == appointment.provider_id),
            "your provider",
        )
        return ics.appointment_calendar(
            appointment.id,
            start=appointment.start_at,
            end=appointment.end_at,
            clinic_name=settings.get(conn, "clinic_name"),
            provider=provider,
            visit_type=visit_types.get(conn, appointment.type_id).name,
            status=appointment.status,
        )

    st.download_button(
        label,
        file_name=ics.appointment_filename(to_local(appointment.start_at, tz)),
        mime="text/calendar",
        icon=":material/event:",
        **audited("appointment_ics", build, category="scheduling", entity="appointment", entity_id=appointment.id,
                  patient_id=appointment.patient_id),
        key=key,
        help="For the patient: clinic, provider, visit type and time. No visit reason.",
    )
