"""What every chart section shares (stock charts, analytics): a heading, the chart or table, a
one-line caption saying what it counts, and its data as CSV; a plain message instead of an empty
chart when the frame has no rows. Also the one plotly layout every chart is drawn with.

Nothing is computed here: frames come ready from db/ functions.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from components.audit.downloads import audited

LAYOUT = dict(margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),
              hovermode="closest")


def csv_button(frame: pd.DataFrame, *, columns: dict[str, str], file_name: str, key: str) -> None:
    """Download the chart's data: ``columns`` maps the frame's columns to the CSV's headers."""
    st.download_button(
        "Download data (CSV)", key=key, icon=":material/download:", mime="text/csv",
        **audited("chart_csv", lambda: frame[list(columns)].rename(columns=columns).to_csv(index=False, float_format="%.2f"), entity="chart", detail={"file": file_name, "rows": len(frame)}),
        file_name=file_name,
    )


def section(title: str, frame: pd.DataFrame, *, empty: str, draw: Callable[[], None], caption: str,
            csv_columns: dict[str, str], file_name: str, key: str) -> None:
    """A heading, then ``draw()``, the caption and the CSV button; ``empty`` alone when no rows."""
    st.subheader(title, divider="gray")
    if frame.empty:
        st.info(empty, icon=":material/info:")
        return
    draw()
    st.caption(caption)
    csv_button(frame, columns=csv_columns, file_name=file_name, key=f"{key}_csv")


def plot(figure: go.Figure, key: str) -> None:
    figure.update_layout(**LAYOUT)
    st.plotly_chart(figure, key=key, config={"displaylogo": False})
