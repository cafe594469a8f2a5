"""The patient file's Documents tab: the filed documents with a download button each, and the
form to file a new one.

Documents are read from the database only when someone clicks their download button (a
callable passed to ``st.download_button``): every read is an audited ``document.download``,
checked against the account as it is at that moment, so merely showing the list must not fetch
the bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import streamlit as st

from clinic.documents import CATEGORIES
from clinic.errors import ClinicError
from components import forms
from components.patient_file.context import (FileContext, human_size, lines, local, local_date, notice, report,
                                             show_notice)
from components.text import md
from db import Connection, documents
from db.users import User

DOC_FORM = "doc_upload"
UPLOAD_TYPES = ["pdf", "png", "jpg", "jpeg"]


def _reader(conn: Connection, document_id: int, user: User) -> Callable[[], bytes]:
    """The bytes of one document, read (and audited) only when the download is clicked."""

    def read() -> bytes:
        return documents.get_file(conn, document_id, by=user).content

    return read


def _upload_key(ctx: FileContext) -> str:
    # A new key empties the uploader after a document was filed.
    return f"doc_file_{ctx.id}_{st.session_state.get(f'doc_generation_{ctx.id}', 0)}"


def _file_document(ctx: FileContext) -> None:
    forms.clear_errors(DOC_FORM)
    uploaded = st.session_state.get(_upload_key(ctx))
    if uploaded is None:
        forms.set_errors(DOC_FORM, {"file": "Choose a file to upload."})
        return
    category = st.session_state.get(f"doc_category_{ctx.id}")
    try:
        documents.add(ctx.conn, patient_id=ctx.id, filename=uploaded.name, content=uploaded.getvalue(),
                      category=category, doc_date=st.session_state.get(f"doc_date_{ctx.id}"),
                      note=st.session_state.get(f"doc_note_{ctx.id}", ""), by=ctx.user)
    except ClinicError as exc:
        report(DOC_FORM, exc, "file")
        return
    generation = f"doc_generation_{ctx.id}"
    st.session_state[generation] = st.session_state.get(generation, 0) + 1
    # Assign the empty values rather than deleting the keys: only an assigned value is sent back to
    # widgets the browser is still showing.
    st.session_state[f"doc_category_{ctx.id}"] = None
    st.session_state[f"doc_note_{ctx.id}"] = ""
    st.session_state[f"doc_date_{ctx.id}"] = ctx.today
    notice("documents", f"Filed “{md(uploaded.name)}” as {CATEGORIES[category].lower()}.")


def _listing(ctx: FileContext, clinical: bool) -> None:
    filed = documents.list_for_patient(ctx.conn, ctx.id, role=ctx.user.role, clinical=clinical)
    withheld = documents.count_withheld(ctx.conn, ctx.id, role=ctx.user.role, clinical=clinical)
    if withheld:
        why = ("lab and imaging reports are for the clinicians and the office manager." if clinical
               else "this patient is not on your schedule (see the Notes tab for emergency access).")
        st.caption(f":material/lock: {withheld} clinical document{'s are' if withheld != 1 else ' is'} not listed: {why}")
    if not filed:
        if not withheld:
            st.info("No documents filed yet.", icon=":material/folder_off:")
        return
    st.caption(f"{len(filed)} document{'s' if len(filed) != 1 else ''}, newest first. "
               "Each download is recorded in the audit log.")
    widths = [1, 1.2, 2.4, 0.8, 2, 1.3]
    for col, title in zip(st.columns(widths), ("Date", "Category", "File", "Size", "Note")):
        col.markdown(f"**{title}**")
    for doc in filed:
        date_col, cat_col, file_col, size_col, note_col, button_col = st.columns(widths, vertical_alignment="center")
        date_col.markdown(local_date(doc.doc_date))
        cat_col.markdown(CATEGORIES.get(doc.category, md(doc.category)))
        file_col.markdown(f"{md(doc.filename)}  \n:gray[by {md(doc.uploaded_by)}, "
                          f"{local(doc.uploaded_at, ctx.tz, '%m/%d/%Y')}]")
        size_col.markdown(human_size(doc.size_bytes))
        note_col.markdown(lines(doc.note) or ":gray[—]")
        with button_col:
            st.download_button(
                "Download", data=_reader(ctx.conn, doc.id, ctx.user), file_name=doc.filename,
                mime=doc.mime_type, key=f"doc_download_{doc.id}", icon=":material/download:",
                on_click="ignore", width="stretch",
            )


def documents_tab(ctx: FileContext, *, may_upload: bool, clinical: bool = True) -> None:
    show_notice("documents")
    _listing(ctx, clinical)
    st.subheader("File a document", anchor=False)
    if not may_upload:
        st.caption("Your role cannot file documents.")
        return
    with st.form(f"doc_upload_form_{ctx.id}", border=True):
        st.file_uploader("File: PDF, PNG or JPEG, at most 10 MB", type=UPLOAD_TYPES, key=_upload_key(ctx),
                         max_upload_size=10, help="The file's content is checked, not just its name.")
        forms.field_error(DOC_FORM, "file")
        cat_col, date_col = st.columns(2)
        with cat_col:
            st.selectbox("Category", list(CATEGORIES), format_func=CATEGORIES.get, index=None,
                         placeholder="Choose a category", key=f"doc_category_{ctx.id}")
            forms.field_error(DOC_FORM, "category")
        with date_col:
            st.date_input("Document date", value=ctx.today, format="MM/DD/YYYY", key=f"doc_date_{ctx.id}",
                          min_value=date(1900, 1, 1))
            forms.field_error(DOC_FORM, "doc_date")
        st.text_input("Note", key=f"doc_note_{ctx.id}", max_chars=500, placeholder="Optional, e.g. front and back")
        st.form_submit_button("File document", type="primary", icon=":material/upload_file:",
                              on_click=_file_document, args=(ctx,))
    forms.form_error(DOC_FORM)
