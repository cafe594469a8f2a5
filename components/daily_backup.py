"""The automatic daily backup: the first request after the set hour (setting ``backup_hour``,
clinic time) starts it on a thread of its own, so nobody waits for it; then the newest
``backup_keep`` are kept. Checked at most once a minute per process, and at most one runs.

``CLINICDESK_DAILY_BACKUP=off`` in the server's environment switches it off (a server backed up
otherwise; the test suite, whose many short-lived databases need none)."""

from __future__ import annotations

import logging
import os
import threading
import time

import streamlit as st

from clinic import timeutil
from db import Connection, backups, settings

log = logging.getLogger(__name__)
_EVERY_S = 60


@st.cache_resource(show_spinner=False)
def _state() -> dict:
    return {"lock": threading.Lock(), "checked_at": 0.0}


def _run(conn: Connection, lock: threading.Lock) -> None:
    try:
        made = backups.create(conn, by="app", kind="daily")
        backups.prune(made.path.parent, settings.int_value(conn, "backup_keep"))
        log.info("daily backup %s made", made.path.name)
    except Exception:
        log.exception("the daily backup failed")  # the Backups page shows its age: it will say
    finally:
        lock.release()


def maybe_start(conn: Connection) -> None:
    if os.environ.get("CLINICDESK_DAILY_BACKUP", "").strip().lower() == "off":
        return
    state = _state()
    if time.monotonic() - state["checked_at"] < _EVERY_S:
        return
    state["checked_at"] = time.monotonic()
    try:
        values = settings.get_all(conn)
        due = backups.due_daily(conn, settings.int_value(conn, "backup_hour", values),
                                values.get("timezone") or settings.DEFAULTS["timezone"], now=timeutil.now_utc())
    except Exception:
        log.exception("could not tell whether the daily backup is due")
        return
    if due and state["lock"].acquire(blocking=False):
        threading.Thread(target=_run, args=(conn, state["lock"]), name="daily-backup", daemon=True).start()
