"""ICD-10-CM diagnoses in the database: the code list loaded once, searched by code or words, and
a code's description.

The table ``icd10_codes`` (migration 009) is filled on first use by :func:`ensure_loaded` from the
official list in the pinned ``simple-icd-10-cm`` package (through ``clinic.icd10``), in one
set-wise insert; the package's version is kept in settings (``icd10_release``) and a newer one
reloads the table. Loading is reference data, not a user action: no actor, no audit row.
Whether a code may be billed is ``clinic.icd10.check_code``'s decision (the invoice line edit
asks it); this module serves the clerk looking a code up.
"""

from __future__ import annotations

import logging
import threading
from importlib import metadata

import duckdb
import pandas as pd

from clinic import icd10
from clinic.billing import normalise_icd10
from db import Connection, atomic, read, read_one, run_with_frame
from db.settings import set_value

log = logging.getLogger(__name__)

RELEASE_KEY = "icd10_release"
MAX_WORDS = 6  # words of a search beyond this are ignored (each one is a filter)
# One load at a time in this process (the package import and the insert take seconds; a second
# session arriving meanwhile waits for the first instead of doing it again).
_LOADING = threading.Lock()

def _release() -> str:
    return metadata.version("simple_icd_10_cm")


def is_loaded(conn: Connection) -> bool:
    """True when the table holds the code list of the installed package's release."""
    row = read_one(conn, "SELECT (SELECT value FROM settings WHERE key = ?) = ?"
                         " AND EXISTS (SELECT 1 FROM icd10_codes)", [RELEASE_KEY, _release()])
    return bool(row and row[0])


def ensure_loaded(conn: Connection) -> int:
    """Fill ``icd10_codes`` from the package if it is empty or from another release; returns the
    number of rows inserted (0 when it was already loaded). Safe to call on every search: the
    check is one small query. Two processes' or sessions' loads at once: one wins, the other's
    insert conflicts and its retry finds the table full."""
    if is_loaded(conn):
        return 0
    with _LOADING:
        if is_loaded(conn):
            return 0
        release = _release()
        frame = pd.DataFrame(icd10.code_list(), columns=["code", "description", "billable"])

        def write(cur: Connection) -> int:
            (current,) = cur.execute("SELECT (SELECT value FROM settings WHERE key = ?) IS NOT DISTINCT FROM ?"
                                     " AND EXISTS (SELECT 1 FROM icd10_codes)", [RELEASE_KEY, release]).fetchone()
            if current:
                return 0
            cur.execute("DELETE FROM icd10_codes")
            try:
                run_with_frame(cur, "icd10_frame", frame,
                               "INSERT INTO icd10_codes (code, description, billable, words)"
                               " SELECT code, description, billable, lower(code || ' ' || description)"
                               " FROM icd10_frame")
            except duckdb.ConstraintException as exc:  # loaded by another transaction meanwhile
                raise duckdb.TransactionException("Conflict on icd10_codes: loaded meanwhile") from exc
            set_value(cur, RELEASE_KEY, release)
            return len(frame)

        return atomic(conn, write)


def load_in_background(conn: Connection) -> threading.Thread:
    """Start :func:`ensure_loaded` on a daemon thread (at app start), so the first search or
    diagnosis check does not wait seconds for the package to parse its list. It also imports the
    package that ``clinic.icd10.check_code`` uses."""
    def load() -> None:
        try:
            ensure_loaded(conn)
        except Exception:  # noqa: BLE001 - a later search loads it again; never crash the app for it
            log.exception("loading the ICD-10-CM code list failed")

    thread = threading.Thread(target=load, name="icd10-load", daemon=True)
    thread.start()
    return thread


def _words(text: str) -> list[str]:
    return [w for w in text.lower().split() if w][:MAX_WORDS]


def search(conn: Connection, text: str, *, limit: int = 20) -> list[tuple[str, str]]:
    """Billable codes matching ``text`` as (code, description), at most ``limit``.

    A code or its start ("e11", "E11.6", "e116") matches the codes beginning so, listed first in
    code order; otherwise, or after them, codes whose code or description holds every word
    ("diabetes kidney", "hypertens"), shortest code then shortest description first (the general
    condition before its variants: I10 first for "hypertension"). Blank text gives nothing."""
    words = _words(text or "")
    if not words:
        return []
    ensure_loaded(conn)
    limit = max(1, min(int(limit), 200))
    # As a code: the dotless prefix ("E116" for "e11.6"), matched against codes without their dot.
    prefix = normalise_icd10(text).replace(".", "") if len(words) == 1 else ""
    # Each word must appear in the code or the description; missing words are '' (always found),
    # so the SQL is one constant text and the words are parameters.
    padded = words + [""] * (MAX_WORDS - len(words))
    return [(code, description) for code, description in read(
        conn,
        "WITH c AS (SELECT code, description, words AS hay,"
        " $prefix <> '' AND starts_with(replace(code, '.', ''), $prefix) AS by_code FROM icd10_codes WHERE billable)"
        " SELECT code, description FROM c WHERE by_code OR (contains(hay, $w1) AND contains(hay, $w2)"
        " AND contains(hay, $w3) AND contains(hay, $w4) AND contains(hay, $w5) AND contains(hay, $w6))"
        " ORDER BY by_code DESC, CASE WHEN by_code THEN code END, length(code), length(description), code"
        " LIMIT $limit",
        {"prefix": prefix, "limit": limit, **{f"w{i}": w for i, w in enumerate(padded, start=1)}},
    )]


def describe(conn: Connection, code: str) -> str | None:
    """The official description of an ICD-10-CM code (billable or a heading), or None when the
    list has no such code."""
    normalised = normalise_icd10(code or "")
    if not normalised:
        return None
    ensure_loaded(conn)
    row = read_one(conn, "SELECT description FROM icd10_codes WHERE code = ?", [normalised])
    return row[0] if row else None
