"""Admin › Backups (admin): back up now, the list of backups with their size and age (a warning
when the newest is older than a day, or there is none), check one against its manifest, and when
the automatic daily backup runs and how many are kept. Restoring is done with the app stopped
(``manage.py restore``), as the page says."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic import timeutil
from clinic.errors import ClinicError, ValidationError
from components import forms
from components.db_session import get_conn
from components.frame import require
from components.text import md
from db import backups, settings

FORM = "backup_settings"

user = require("backups")
conn = get_conn()
values = settings.get_all(conn)
tz = settings.timezone(conn)
folder = backups.folder_for(conn)

st.title("Backups")
st.caption(f"Consistent snapshots of the whole database, documents included, in {md(folder)}. Copy that folder "
           "off this machine too (see the README, “Running it for real”).")

if st.button("Back up now", type="primary", icon=":material/backup:", key="backup_now"):
    try:
        with st.spinner("Backing up…"):
            made = backups.create(conn, by=user, kind="manual")
        gone = backups.prune(folder, settings.int_value(conn, "backup_keep", values))
    except ClinicError as exc:
        st.error(str(exc), icon=":material/error:")
    else:
        st.success(f"Backed up: {md(made.path.name)}, {made.rows:,} rows in {len(made.tables)} tables"
                   + (f"; {len(gone)} older backup(s) deleted." if gone else "."), icon=":material/check_circle:")

listed = backups.list_backups(folder)
now = timeutil.now_utc()
age = backups.newest_age(folder, now)
if age is None:
    st.warning("There is no backup yet. Back up now.", icon=":material/warning:")
elif age > backups.STALE_AFTER:
    st.warning(f"The newest backup is {age.days} day(s) old. Back up now, and check why the daily backup "
               "did not run (the server's log says).", icon=":material/warning:")


def _age(created) -> str:
    if created is None:
        return "—"
    minutes = int((now - created).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"


if listed:
    st.dataframe(
        pd.DataFrame([{
            "File": b.path.name,
            "Made": timeutil.to_local(b.created_at, tz).strftime("%Y-%m-%d %H:%M") if b.created_at else "—",
            "Age": _age(b.created_at),
            "Kind": b.kind,
            "Size (MB)": round(b.size_bytes / 1_048_576, 2),
            "Tables": len(b.tables),
            "Rows": b.rows,
            "Manifest": "yes" if b.manifest_ok else "missing",
        } for b in listed]),
        hide_index=True, width="stretch",
    )
    names = [b.path.name for b in listed]
    chosen = st.selectbox("Check a backup against its manifest", names, key="backup_check_choice")
    if st.button("Check it", icon=":material/verified:", key="backup_check"):
        problems = backups.verify(folder / chosen)
        if problems:
            st.error(f"{md(chosen)} does not check out:\n\n" + "\n".join(f"- {md(p)}" for p in problems),
                     icon=":material/error:")
        else:
            st.success(f"{md(chosen)} checks out: every table matches its manifest.", icon=":material/verified:")

st.subheader("Automatic backup")
with st.form(FORM):
    left, right = st.columns(2)
    hour = left.number_input("Daily backup after (hour, clinic time)", min_value=0, max_value=23, step=1,
                             value=settings.int_value(conn, "backup_hour", values), key="backup_hour",
                             help="The first request after this hour each day makes the day's backup.")
    forms.field_error(FORM, "backup_hour")
    keep = right.number_input("Backups to keep", min_value=1, max_value=365, step=1,
                              value=settings.int_value(conn, "backup_keep", values), key="backup_keep",
                              help="Older ones are deleted after each backup; the newest good one is never deleted.")
    forms.field_error(FORM, "backup_keep")
    saved = st.form_submit_button("Save")
forms.form_error(FORM)
if saved:
    try:
        settings.set_many(conn, {"backup_hour": str(int(hour)), "backup_keep": str(int(keep))}, by=user)
    except ValidationError as exc:
        forms.set_errors(FORM, exc.errors)
        st.rerun()
    except ClinicError as exc:
        forms.set_errors(FORM, {"": str(exc)})
        st.rerun()
    else:
        forms.clear_errors(FORM)
        st.success("Saved.", icon=":material/check_circle:")

st.subheader("Restoring")
st.markdown("Stop the app, then restore into a **new** file and point the app at it:\n\n"
            "```\npython manage.py verify-backup backups/<file>.duckdb\n"
            "python manage.py restore backups/<file>.duckdb --to data/restored.duckdb\n"
            "CLINICDESK_DB=data/restored.duckdb make run\n```\n\n"
            "Restore never overwrites a file, and refuses a backup that does not match its manifest.")
