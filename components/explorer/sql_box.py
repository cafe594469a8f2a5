"""The data explorer's SQL box: a text area for one read-only question, Run, and the answer as a
table with its CSV; a refused query shows its one-line reason right under the box, and the typed
SQL stays. Checking, limits and the audit row are db.explorer.run_query's."""

from __future__ import annotations

import streamlit as st

from clinic.errors import ClinicError
from components.audit.downloads import audited
from components.forms import clear_errors, field_error, set_errors
from db import explorer

FORM = "explorer_sql"
TEXT = "explorer_sql_text"
RESULT = "explorer_sql_result"


def _run(conn, user) -> None:
    """The Run button's callback: answer the question, or keep the reason for the box."""
    clear_errors(FORM)
    st.session_state.pop(RESULT, None)
    try:
        st.session_state[RESULT] = explorer.run_query(conn, st.session_state.get(TEXT, ""), user=user)
    except ClinicError as err:
        set_errors(FORM, {"sql": str(err)})


def sql_section(conn, user) -> None:
    st.caption(
        f"Ask one question in SQL (DuckDB): SELECT, or WITH … SELECT, over the tables listed under "
        f"Browse tables. Nothing can be changed from here. At most {explorer.MAX_ROWS:,} rows come back and a "
        f"question is stopped after {explorer.TIMEOUT_S} seconds. Every query is recorded in the audit log."
    )
    st.text_area("SQL", key=TEXT, height=180, placeholder=explorer.EXAMPLE)
    field_error(FORM, "sql")
    st.button("Run", key="explorer_sql_run", type="primary", icon=":material/play_arrow:", on_click=_run,
              args=(conn, user))
    frame = st.session_state.get(RESULT)
    if frame is None:
        return
    if frame.attrs.get("truncated"):
        st.warning(f"First {len(frame):,} rows shown: the answer has more. Add a WHERE or a LIMIT to narrow it.",
                   icon=":material/info:")
    else:
        st.caption(f"{len(frame):,} row{'' if len(frame) == 1 else 's'}.")
    st.dataframe(frame, hide_index=True)
    st.download_button("Download CSV", key="explorer_sql_csv", icon=":material/download:",
                       **audited("query_csv", lambda: frame.to_csv(index=False), category="security", entity="explorer_query", detail={"rows": len(frame)}),
                       mime="text/csv", file_name="query.csv")
