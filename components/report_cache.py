"""Report reads cached until the next write: the manager's analytics and the stock charts read the
same figures on every rerun (a filter moved, a tab opened, a chart hovered), and over years of a
large clinic each costs tens to hundreds of milliseconds.

``cached(module)`` stands in for a db/ report module: ``reports = cached(db.reports)`` and then
``reports.no_show_rates(conn, "weekday", start=..., end=...)`` as before. Each call is kept
(st.cache_data, shared by every session) under the function, its arguments and
:func:`db.data_version`, which changes after every committed write in this process: a booking, a
payment or a stock movement makes every cached figure stale at once, and the next read recomputes.
The database's file is part of the key too (the tests open many files in one process).
Arguments are the report's own (dates, ids, names), so two managers with the same filters share one
computation; the connection is not part of the key (there is one per process).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import streamlit as st

import db


def _compute(module: str, name: str, conn: db.Connection, args: tuple, kwargs: tuple) -> Any:
    return getattr(importlib.import_module(module), name)(conn, *args, **dict(kwargs))


# The database and data_version are only part of the keys.
@st.cache_data(show_spinner=False, max_entries=512)
def _call(module: str, name: str, database: str, version: int, args: tuple, kwargs: tuple,
          _conn: db.Connection) -> Any:
    return _compute(module, name, _conn, args, kwargs)


@st.cache_resource(show_spinner=False, max_entries=64)
def _shared_call(module: str, name: str, database: str, version: int, args: tuple, kwargs: tuple,
                 _conn: db.Connection) -> Any:
    return _compute(module, name, _conn, args, kwargs)


class _Cached:
    def __init__(self, module: ModuleType, shared: bool):
        self._module = module
        self._call = _shared_call if shared else _call

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)
        if not callable(value) or isinstance(value, type):
            return value  # constants and classes pass through

        def read(conn: db.Connection, *args: Any, **kwargs: Any) -> Any:
            return self._call(self._module.__name__, name, db.database_file(conn), db.data_version(), args,
                              tuple(sorted(kwargs.items())), conn)

        read.__doc__ = value.__doc__
        return read


def cached(module: ModuleType, *, shared: bool = False) -> Any:
    """``module`` (a db/ report module) with every function's result kept until the next write.

    Each read gets its own copy of the result (st.cache_data), unless ``shared``: then every read
    gets the one object kept (st.cache_resource), for results too large to copy on every rerun
    (the claims work list: thousands of claims, a third of a second to unpickle). A shared
    result must be treated as read-only."""
    return _Cached(module, shared)


def clear() -> None:
    """Forget every kept result, copied and shared (the benchmark's first runs start from nothing)."""
    _call.clear()
    _shared_call.clear()
