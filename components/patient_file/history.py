"""The patient file's Intake history tab: when the patient was registered, and every change to
their intake since (field, before, after, who, when)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic import intake
from components.patient_file.context import FileContext, local
from db import patient_intake

HISTORY_LABELS = {**intake.FIELD_LABELS, "insurance1": "Primary insurance", "insurance2": "Secondary insurance",
                  "merged": "Merged record"}


def history_tab(ctx: FileContext) -> None:
    changed = patient_intake.changes_for(ctx.conn, ctx.id)
    created = local(ctx.patient.created_at, ctx.tz)
    if created:
        st.caption(f"Registered {created}.")
    if changed.empty:
        st.info("No changes since the patient was registered.", icon=":material/history:")
        return
    st.dataframe(
        pd.DataFrame({
            "when": changed["changed_at"].dt.tz_convert(ctx.tz),
            "by": changed["by"],
            "field": changed["field"].map(lambda f: HISTORY_LABELS.get(f, f)),
            "old": changed["old_value"],
            "new": changed["new_value"],
        }),
        hide_index=True,
        width="stretch",
        key=f"pf_history_{ctx.id}",
        column_config={
            "when": st.column_config.DatetimeColumn("When", format="MM/DD/YYYY HH:mm"),
            "by": "By", "field": "Field", "old": "Before", "new": "After",
        },
    )
