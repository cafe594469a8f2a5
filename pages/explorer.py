"""Manager › Data explorer (manager, admin): browse the clinic's tables (filter, sort, download as
CSV or Parquet), ask read-only questions in SQL (checked, limited, audited: db.explorer), and
import appointment data (components.explorer.imports)."""

from __future__ import annotations

import streamlit as st

from components.db_session import get_conn
from components.explorer import browse, imports, sql_box
from components.frame import require

user = require("explorer")
conn = get_conn()

st.title("Data explorer")
browse_tab, sql_tab, import_tab = st.tabs(["Browse tables", "SQL", "Import"])
with browse_tab:
    browse.browse_section(conn, user)
with sql_tab:
    sql_box.sql_section(conn, user)
with import_tab:
    imports.import_section(conn, user)
