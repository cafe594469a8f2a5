"""The one DuckDB connection of this process, shared by every browser session.

This is the only place that reads configuration for the database path:
``CLINICDESK_DB`` environment variable, else ``db_path`` in ``.streamlit/secrets.toml``,
else ``data/clinic.duckdb`` beside app.py.

The connection is cached with ``st.cache_resource``; every db/ function takes it and opens its
own ``cursor()`` per operation, because Streamlit runs each session on its own thread and a
DuckDB connection is not thread-safe.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

import db
from clinic.errors import DatabaseLocked

APP_DIR = Path(__file__).resolve().parent.parent
DEFAULT_PATH = APP_DIR / "data" / "clinic.duckdb"


def db_path() -> Path:
    env = os.environ.get("CLINICDESK_DB", "").strip()
    if env:
        return Path(env)
    try:
        configured = st.secrets.get("db_path")
    except Exception:  # no secrets.toml at all: Streamlit raises rather than returning None
        configured = None
    if configured:
        path = Path(configured)
        return path if path.is_absolute() else APP_DIR / path
    return DEFAULT_PATH


@st.cache_resource(show_spinner=False)
def _open(path: str) -> db.Connection:
    # A backups folder of the server's own choosing (CLINICDESK_BACKUPS) must be opened to DuckDB
    # now: db.connect locks file access down to the app's folders for good.
    backups = os.environ.get("CLINICDESK_BACKUPS", "").strip()
    return db.connect(path, allow_dirs=[backups] if backups else ())


def get_conn() -> db.Connection:
    """The process-wide connection (opened, and migrated, on first use). A database file held by
    another process (a second app, a running manage.py) is said in one line, and nothing else runs."""
    try:
        return _open(str(db_path()))
    except DatabaseLocked as exc:  # not cached: the next request tries again
        st.error(str(exc), icon=":material/lock:")
        st.stop()


def secret(name: str, default: str | None = None) -> str | None:
    """A value from secrets.toml, or ``default`` when there is no such file or key."""
    try:
        value = st.secrets.get(name)
    except Exception:
        value = None
    return value if value else default
