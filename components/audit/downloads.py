"""Auditing a download or a print: ``st.download_button(..., **audited("invoice_pdf", ...))``.

The button's on_click writes one ``export.<what>`` audit row (db.audit_report.record_download)
for the account signed in at that moment, with the data's category and, where there is one, the
patient whose data left the app. An on_click callback runs before the rerun the click causes, so
the row is written once per click; AppTest clicks it the same way.
"""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st

from clinic.errors import ClinicError
from components import auth
from components.db_session import get_conn
from db import audit_report

log = logging.getLogger(__name__)


def _record(what: str, options: dict[str, Any]) -> None:
    user = auth.current_user()
    try:
        audit_report.record_download(get_conn(), what, by=user, **options)
    except ClinicError as err:  # refused: the refusal is in the trail; say so where the button was
        st.toast(str(err), icon=":material/block:")


def audited(what: str, *, category: str | None = None, patient_id: int | None = None, entity: str | None = None,
            entity_id: Any = None, detail: Any = None, permission: str | None = None) -> dict[str, Any]:
    """The ``on_click``/``args`` of a download button whose click leaves an ``export.<what>`` row."""
    options = {"category": category, "patient_id": patient_id, "entity": entity, "entity_id": entity_id,
               "detail": detail, "permission": permission}
    return {"on_click": _record, "args": (what, options)}
