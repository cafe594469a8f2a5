"""Visit notes: a clinician writes the note of an appointment; signing locks it; later changes
are addenda with author and time.

A draft belongs to its author: only they save or sign it. Every save keeps the body as a new
row in ``note_revisions`` and bumps ``visit_notes.revision``; a save or a signature carries the
revision the clinician saw and is refused with :class:`clinic.errors.StaleRecord` when the note
moved on meanwhile (another tab of theirs saved first). Signing saves the body it is given and
signs it in ONE transaction, so what is signed is exactly what the clinician read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

import duckdb

from clinic.errors import ClinicError, NoteLocked, NotAllowed, NotFound, StaleRecord
from clinic.timeutil import now_utc
from db import Connection, atomic, audit, break_glass, read, read_one
from db.actors import Actor, acting

MAX_CHARS = 20000
T = TypeVar("T")


@dataclass(frozen=True)
class Note:
    """The note of one appointment, as the editor shows it."""

    id: int
    body: str
    created_at: datetime
    updated_at: datetime
    signed_at: datetime | None
    author_id: int
    author: str | None
    signed_by: str | None
    revision: int

    @property
    def signed(self) -> bool:
        return self.signed_at is not None


@dataclass(frozen=True)
class Addendum:
    body: str
    author: str | None
    written_at: datetime


@dataclass(frozen=True)
class PatientNote:
    """A note in a patient's list, with its visit's start and its addenda (oldest first)."""

    id: int
    visit_start: datetime
    body: str
    author: str | None
    written_at: datetime
    signed_at: datetime | None
    addenda: list[Addendum] = field(default_factory=list)


@dataclass(frozen=True)
class Saved:
    note_id: int
    revision: int


@dataclass(frozen=True)
class Revision:
    revision: int
    body: str
    saved_by: int | None
    saved_at: datetime


def _checked_body(body: str | None) -> str:
    text = (body or "").strip()
    if not text:
        raise ClinicError("Write the note before saving it.", field="body")
    if len(text) > MAX_CHARS:
        raise ClinicError("A note can hold 20,000 characters; split it into an addendum.", field="body")
    return text


def _save(cur: Connection, actor: Actor, appointment_id: int, text: str, seen_revision: int) -> tuple[int, int, int]:
    """Write ``text`` as the draft of the appointment's note; returns (note id, patient id, revision)."""
    appt = cur.execute("SELECT patient_id FROM appointments WHERE id = ?", [appointment_id]).fetchone()
    if appt is None:
        raise NotFound("That appointment does not exist.")
    break_glass.require_clinical_access(cur, actor, appt[0])
    existing = cur.execute("SELECT id, author_id, signed_at, revision, body FROM visit_notes WHERE appointment_id = ?",
                           [appointment_id]).fetchone()
    if existing is None:
        if seen_revision:
            raise StaleRecord()
        if actor.id is None:
            raise NotAllowed("A visit note needs a clinician as its author.")
        now = now_utc()
        (note_id,) = cur.execute(
            "INSERT INTO visit_notes (appointment_id, patient_id, author_id, body, created_at, updated_at, revision)"
            " VALUES (?, ?, ?, ?, ?, ?, 1) RETURNING id",
            [appointment_id, appt[0], actor.id, text, now, now],
        ).fetchone()
        cur.execute("INSERT INTO note_revisions (note_id, revision, body, saved_by, saved_at) VALUES (?, 1, ?, ?, ?)",
                    [note_id, text, actor.id, now])
        audit.record(cur, actor, "note.save", "visit_note", note_id, appt[0], detail={"revision": 1})
        return note_id, appt[0], 1
    note_id, author_id, signed_at, revision, body = existing
    if signed_at is not None:
        raise NoteLocked()
    if not actor.is_operator and actor.id != author_id:
        raise NotAllowed("Only the clinician who wrote this draft can change or sign it.")
    if seen_revision != revision:
        raise StaleRecord()
    if text != body:
        now = now_utc()
        cur.execute("UPDATE visit_notes SET body = ?, updated_at = ?, revision = ? WHERE id = ?",
                    [text, now, revision + 1, note_id])
        cur.execute("INSERT INTO note_revisions (note_id, revision, body, saved_by, saved_at) VALUES (?, ?, ?, ?, ?)",
                    [note_id, revision + 1, text, actor.id, now])
        audit.record(cur, actor, "note.save", "visit_note", note_id, appt[0], detail={"revision": revision + 1})
        return note_id, appt[0], revision + 1
    return note_id, appt[0], revision


def _atomic_note(conn: Connection, write: Callable[[Connection], T]) -> T:
    try:
        return atomic(conn, write)
    except duckdb.ConstraintException as exc:
        # Two first drafts of one appointment at the same moment: the UNIQUE appointment_id (or
        # the revision key) lets one through; the other saw a note that did not exist yet.
        raise StaleRecord() from exc


def save_draft(conn: Connection, appointment_id: int, body: str | None, *, seen_revision: int, by) -> Saved:
    """Create or update the unsigned note of an appointment; returns the note and its revision now
    (what the editor has seen after this save).

    ``seen_revision`` is the revision the clinician's editor was opened on (0 for a note not
    written yet). Raises StaleRecord, NoteLocked, or NotAllowed (not a clinician, not the author).
    """
    text = _checked_body(body)

    def write(cur: Connection) -> Saved:
        actor = acting(cur, by, "notes.write")
        note_id, _, revision = _save(cur, actor, appointment_id, text, seen_revision)
        return Saved(note_id, revision)

    return _atomic_note(conn, write)


def sign(conn: Connection, appointment_id: int, body: str | None, *, seen_revision: int, by) -> int:
    """Save ``body`` as the note of the appointment and sign it, in one transaction; returns the
    note id. Same refusals as :func:`save_draft`; the signer is always the note's author."""
    text = _checked_body(body)

    def write(cur: Connection) -> int:
        actor = acting(cur, by, "notes.write")
        note_id, patient_id, _ = _save(cur, actor, appointment_id, text, seen_revision)
        cur.execute("UPDATE visit_notes SET signed_at = ?, signed_by = ? WHERE id = ?", [now_utc(), actor.id, note_id])
        audit.record(cur, actor, "note.sign", "visit_note", note_id, patient_id)
        return note_id

    return _atomic_note(conn, write)


def add_addendum(conn: Connection, note_id: int, body: str | None, *, by) -> int:
    text = (body or "").strip()
    if not text:
        raise ClinicError("Write the addendum before saving it.", field="addendum")

    def write(cur: Connection) -> int:
        actor = acting(cur, by, "notes.write")
        row = cur.execute("SELECT patient_id, signed_at FROM visit_notes WHERE id = ?", [note_id]).fetchone()
        if row is None:
            raise NotFound("That note does not exist.")
        break_glass.require_clinical_access(cur, actor, row[0])
        if row[1] is None:
            raise ClinicError("The note is not signed yet: edit it instead of adding an addendum.", field="addendum")
        (addendum_id,) = cur.execute(
            "INSERT INTO note_addenda (note_id, author_id, body) VALUES (?, ?, ?) RETURNING id",
            [note_id, actor.id, text[:MAX_CHARS]],
        ).fetchone()
        audit.record(cur, actor, "note.addendum", "visit_note", note_id, row[0])
        return addendum_id

    return atomic(conn, write)


def for_appointment(conn: Connection, appointment_id: int) -> Note | None:
    """The appointment's note, or None when none was written yet (not an error: most visits
    have no note until the clinician writes one)."""
    row = read_one(
        conn,
        "SELECT n.id, n.body, n.created_at, n.updated_at, n.signed_at, n.author_id, a.full_name, s.full_name,"
        " n.revision FROM visit_notes n LEFT JOIN users a ON a.id = n.author_id LEFT JOIN users s ON s.id = n.signed_by"
        " WHERE n.appointment_id = ?",
        [appointment_id],
    )
    return Note(*row) if row else None


def for_patient(conn: Connection, patient_id: int, *, by) -> list[PatientNote]:
    """Every note of a patient with its addenda, newest visit first, for ``by``: someone whose
    role reads notes and, a clinician, who has the patient on their schedule or an emergency
    grant (:func:`db.break_glass.reader`; a refusal is audited and raises NotAllowed)."""
    break_glass.reader(conn, by, "notes.read", patient_id)
    notes = [
        PatientNote(*r) for r in read(
            conn,
            "SELECT n.id, a.start_at, n.body, au.full_name, n.created_at, n.signed_at FROM visit_notes n"
            " JOIN appointments a ON a.id = n.appointment_id LEFT JOIN users au ON au.id = n.author_id"
            " WHERE n.patient_id = ? ORDER BY a.start_at DESC, n.id",
            [patient_id],
        )
    ]
    by_id = {n.id: n for n in notes}
    for note_id, body, author, written_at in read(
        conn,
        "SELECT d.note_id, d.body, du.full_name, d.created_at FROM note_addenda d"
        " JOIN visit_notes n ON n.id = d.note_id LEFT JOIN users du ON du.id = d.author_id"
        " WHERE n.patient_id = ? ORDER BY d.created_at, d.id",
        [patient_id],
    ):
        by_id[note_id].addenda.append(Addendum(body, author, written_at))
    return notes


def revisions(conn: Connection, note_id: int) -> list[Revision]:
    """Every saved draft of a note, oldest first."""
    rows = read(conn, "SELECT revision, body, saved_by, saved_at FROM note_revisions WHERE note_id = ?"
                      " ORDER BY revision", [note_id])
    return [Revision(*r) for r in rows]
