"""Auditing a download or a print: ``st.download_button(..., **audited("invoice_pdf", build, ...))``.

Building the file writes one ``export.<what>`` audit row (db.audit_report.record_download) for
the account signed in when the button was drawn, with the data's category and, where there is
one, the patient whose data left the app: once per click, as Streamlit builds a callable's file
when its button is clicked (AppTest runs it the same way).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import streamlit as st

from clinic.errors import ClinicError
from components import auth
from components.db_session import get_conn
from db import audit_report

log = logging.getLogger(__name__)


def audited(what: str, data: Callable[[], Any], *, category: str | None = None, patient_id: int | None = None,
            entity: str | None = None, entity_id: Any = None, detail: Any = None,
            permission: str | None = None) -> dict[str, Any]:
    """The ``data`` and ``on_click`` of a download button whose file, when the browser asks for it,
    is built and then recorded as an ``export.<what>`` row for the account signed in when the
    button was drawn (re-checked as it is now: a deactivated account gets no file).

    The row is written where the file is built (Streamlit builds a callable's file when the
    button is clicked), not in an on_click callback: a callback's rerun would race the browser's
    fetch of the file and could lose the download."""
    user, conn = auth.current_user(), get_conn()
    options = {"category": category, "patient_id": patient_id, "entity": entity, "entity_id": entity_id,
               "detail": detail, "permission": permission}

    def build() -> Any:
        content = data()
        audit_report.record_download(conn, what, by=user, **options)
        return content

    return {"data": build, "on_click": "ignore"}
