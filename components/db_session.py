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
    return db.connect(path)


def get_conn() -> db.Connection:
    """The process-wide connection (opened, and migrated, on first use)."""
    return _open(str(db_path()))


def secret(name: str, default: str | None = None) -> str | None:
    """A value from secrets.toml, or ``default`` when there is no such file or key."""
    try:
        value = st.secrets.get(name)
    except Exception:
        value = None
    return value if value else default
