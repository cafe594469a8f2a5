"""The data explorer's table browser: the list of tables and views (columns, rows), one picked
table with its columns, a filter (a column contains or equals a value) and a sort, the first
1,000 matching rows, and the matching rows as CSV or Parquet (built only when clicked, audited).
Every query is db.explorer_browse's."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic.errors import ClinicError
from db import explorer_browse as browser

MATCH_LABELS = {"contains": "contains", "equals": "equals"}


def _rows(relation: browser.Relation) -> str:
    return "view" if relation.rows is None else f"{relation.rows:,} rows"


def browse_section(conn, user) -> None:
    relations = browser.list_relations(conn)
    if not relations:
        st.info("The database has no tables yet.", icon=":material/info:")
        return
    by_name = {r.name: r for r in relations}
    with st.expander(f"All {len(relations)} tables and views"):
        st.dataframe(pd.DataFrame({"Table": [r.name for r in relations],
                                   "Kind": [r.kind for r in relations],
                                   "Columns": [r.columns for r in relations],
                                   "Rows": [r.rows for r in relations]}),
                     hide_index=True, column_config={"Rows": st.column_config.NumberColumn(format="localized")})
    name = st.selectbox("Table", list(by_name), key="explorer_table",
                        format_func=lambda n: f"{n} ({_rows(by_name[n])})")
    columns = browser.columns_of(conn, name)
    names = [c.name for c in columns]
    with st.expander(f"Columns of {name} ({len(columns)})"):
        st.dataframe(pd.DataFrame({"Column": names, "Type": [c.type for c in columns]}), hide_index=True)

    # Keys carry the table's name, so another table starts with its own (valid) choices.
    left, middle, right = st.columns([2, 1, 2])
    column = left.selectbox("Filter on", [None, *names], key=f"explorer_filter_column_{name}",
                            format_func=lambda c: "No filter" if c is None else c)
    match = middle.selectbox("Match", list(MATCH_LABELS), key=f"explorer_match_{name}",
                             format_func=MATCH_LABELS.get, disabled=column is None,
                             help="Contains: anywhere in the value, any letter case. Equals: the exact value, "
                                  "read as the column's type (a number, a date as YYYY-MM-DD …).")
    value = right.text_input("Value", key=f"explorer_value_{name}", disabled=column is None)
    left, right = st.columns([2, 3])
    sort = left.selectbox("Sort by", [None, *names], key=f"explorer_sort_{name}",
                          format_func=lambda c: "Table order" if c is None else c)
    descending = right.segmented_control("Order", ["Ascending", "Descending"], default="Ascending", required=True,
                                         key=f"explorer_order_{name}", disabled=sort is None) == "Descending"
    chosen = dict(column=column, match=match, value=value if column else "", sort=sort, descending=descending)
    try:
        page = browser.browse(conn, name, **chosen)
    except ClinicError as err:
        st.error(str(err), icon=":material/error:")
        return
    shown = len(page.frame)
    if page.matching > shown:
        st.caption(f"{page.matching:,} rows match; the first {shown:,} are shown. The downloads hold all of them.")
    else:
        st.caption(f"{page.matching:,} row{'' if page.matching == 1 else 's'} match.")
    st.dataframe(page.frame, hide_index=True)
    left, right, _ = st.columns([1, 1, 3])
    for spot, fmt, label, mime in ((left, "csv", "Download CSV", "text/csv"),
                                   (right, "parquet", "Download Parquet", "application/vnd.apache.parquet")):
        spot.download_button(label, key=f"explorer_download_{fmt}", icon=":material/download:", on_click="ignore",
                             mime=mime, file_name=f"{name}.{fmt}", disabled=page.matching == 0,
                             data=lambda fmt=fmt: browser.export(conn, name, user=user, fmt=fmt, **chosen))
