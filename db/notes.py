"""Visit notes: a clinician writes the note of an appointment; signing locks it; later changes
are addenda with author and time. Who may read or write is decided by clinic.access."""

from __future__ import annotations

from clinic.errors import ClinicError, NoteLocked, NotFound
from clinic.timeutil import now_utc
from db import Connection, atomic, audit, read_df, read_one


def save_draft(conn: Connection, appointment_id: int, body: str, *, by) -> int:
    """Create or update the unsigned note of an appointment; returns the note id."""
    text = (body or "").strip()
    if not text:
        raise ClinicError("Write the note before saving it.", field="body")
    if len(text) > 20000:
        raise ClinicError("A note can hold 20,000 characters; split it into an addendum.", field="body")

    def write(cur: Connection) -> int:
        appt = cur.execute("SELECT patient_id FROM appointments WHERE id = ?", [appointment_id]).fetchone()
        if appt is None:
            raise NotFound("That appointment does not exist.")
        existing = cur.execute("SELECT id, signed_at FROM visit_notes WHERE appointment_id = ?", [appointment_id]).fetchone()
        if existing and existing[1] is not None:
            raise NoteLocked()
        if existing:
            cur.execute("UPDATE visit_notes SET body = ?, updated_at = ? WHERE id = ?", [text, now_utc(), existing[0]])
            note_id = existing[0]
        else:
            (note_id,) = cur.execute(
                "INSERT INTO visit_notes (appointment_id, patient_id, author_id, body) VALUES (?, ?, ?, ?) RETURNING id",
                [appointment_id, appt[0], getattr(by, "id", None), text],
            ).fetchone()
        audit.record(cur, by, "note.save", "visit_note", note_id, appt[0])
        return note_id

    return atomic(conn, write)


def sign(conn: Connection, note_id: int, *, by) -> None:
    def write(cur: Connection) -> None:
        row = cur.execute("SELECT patient_id, signed_at FROM visit_notes WHERE id = ?", [note_id]).fetchone()
        if row is None:
            raise NotFound("That note does not exist.")
        if row[1] is not None:
            raise NoteLocked("This note is already signed.")
        cur.execute("UPDATE visit_notes SET signed_at = ?, signed_by = ? WHERE id = ?", [now_utc(), getattr(by, "id", None), note_id])
        audit.record(cur, by, "note.sign", "visit_note", note_id, row[0])

    atomic(conn, write)


def add_addendum(conn: Connection, note_id: int, body: str, *, by) -> int:
    text = (body or "").strip()
    if not text:
        raise ClinicError("Write the addendum before saving it.", field="addendum")

    def write(cur: Connection) -> int:
        row = cur.execute("SELECT patient_id, signed_at FROM visit_notes WHERE id = ?", [note_id]).fetchone()
        if row is None:
            raise NotFound("That note does not exist.")
        if row[1] is None:
            raise ClinicError("The note is not signed yet: edit it instead of adding an addendum.", field="addendum")
        (addendum_id,) = cur.execute(
            "INSERT INTO note_addenda (note_id, author_id, body) VALUES (?, ?, ?) RETURNING id",
            [note_id, getattr(by, "id", None), text[:20000]],
        ).fetchone()
        audit.record(cur, by, "note.addendum", "visit_note", note_id, row[0])
        return addendum_id

    return atomic(conn, write)


def for_appointment(conn: Connection, appointment_id: int) -> dict | None:
    row = read_one(
        conn,
        "SELECT n.id, n.body, n.created_at, n.updated_at, n.signed_at, a.full_name, s.full_name FROM visit_notes n"
        " LEFT JOIN users a ON a.id = n.author_id LEFT JOIN users s ON s.id = n.signed_by WHERE n.appointment_id = ?",
        [appointment_id],
    )
    if row is None:
        return None
    keys = ("id", "body", "created_at", "updated_at", "signed_at", "author", "signed_by")
    return dict(zip(keys, row))


def for_patient(conn: Connection, patient_id: int):
    """Every note of a patient with its addenda, newest visit first (one row per note or addendum)."""
    return read_df(
        conn,
        "SELECT a.start_at, n.id AS note_id, 'note' AS kind, n.body, au.full_name AS author, n.created_at AS written_at,"
        " n.signed_at FROM visit_notes n JOIN appointments a ON a.id = n.appointment_id"
        " LEFT JOIN users au ON au.id = n.author_id WHERE n.patient_id = $p"
        " UNION ALL"
        " SELECT a.start_at, n.id, 'addendum', d.body, du.full_name, d.created_at, NULL FROM note_addenda d"
        " JOIN visit_notes n ON n.id = d.note_id JOIN appointments a ON a.id = n.appointment_id"
        " LEFT JOIN users du ON du.id = d.author_id WHERE n.patient_id = $p"
        " ORDER BY 1 DESC, 2, 6",
        {"p": patient_id},
    )
