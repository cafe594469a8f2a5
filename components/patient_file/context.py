"""What every section of the patient file shares: the :class:`FileContext` (connection, viewer,
record), the audited opening of a file, success notices shown inside the tab where the action
happened, refusals stored next to their fields, and small formatting helpers.

Success messages appear inside the tab where the action happened (:func:`notice`). A message
above the tabs would shift them down one element, and the browser would then draw a fresh tab
bar with the first tab selected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import streamlit as st

from clinic import timeutil
from clinic.errors import ClinicError, NotAllowed, ValidationError
from components import forms
from components.text import md
from db import Connection, patients
from db.patients import PatientRecord
from db.users import User

VIEWED = "_patient_file_viewed"
NOTICE = "_patient_file_notice"


@dataclass(frozen=True)
class FileContext:
    """What every section needs: the connection, who is looking, and the patient's record."""

    conn: Connection
    user: User
    patient: PatientRecord
    tz: str
    region: str
    today: date

    @property
    def id(self) -> int:
        return self.patient.id


# --- opening a file, and messages shown where the action happened ---------------------------------


def record_opening(ctx: FileContext) -> None:
    """Write the ``patient.view`` audit row once per opening of a file (not on every rerun)."""
    if st.session_state.get(VIEWED) != ctx.id:
        patients.record_view(ctx.conn, ctx.id, by=ctx.user)
        st.session_state[VIEWED] = ctx.id


def forget_opening() -> None:
    """The file was closed: opening it again is a new view, audited again."""
    st.session_state.pop(VIEWED, None)


def notice(where: str, message: str) -> None:
    st.session_state[NOTICE] = (where, message)


def show_notice(where: str) -> None:
    pending = st.session_state.get(NOTICE)
    if pending and pending[0] == where:
        st.session_state.pop(NOTICE, None)
        st.success(pending[1], icon=":material/check_circle:")


def report(form: str, exc: ClinicError, default_field: str = "") -> None:
    """Store a refused action's message(s) next to the fields at fault (a refusal of the account
    itself belongs to no field: it is shown with the form)."""
    if isinstance(exc, ValidationError):
        forms.set_errors(form, exc.errors)
    elif isinstance(exc, NotAllowed):
        forms.set_errors(form, {"": str(exc)})
    else:
        forms.set_errors(form, {exc.field or default_field: str(exc)})


# --- small formatting helpers --------------------------------------------------------------------


def lines(text: str | None) -> str:
    """Multi-line user text as Markdown: every line escaped, line breaks kept."""
    return "  \n".join(md(line) for line in (text or "").splitlines())


def local(instant: datetime | None, tz: str, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    """An instant in clinic time, or "" for none."""
    return "" if instant is None else timeutil.to_local(instant, tz).strftime(fmt)


def local_date(day: date | None) -> str:
    return "" if day is None else day.strftime("%m/%d/%Y")


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
