"""Patient documents, stored inside the database (so every backup of it covers them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from clinic import documents as rules
from clinic.errors import ClinicError, DuplicateDocument, NotFound
from db import Connection, atomic, audit, read_df, read_one


@dataclass(frozen=True)
class StoredFile:
    filename: str
    mime_type: str
    content: bytes
    patient_id: int


def add(conn: Connection, *, patient_id: int, filename: str, content: bytes, category: str, doc_date: date,
        note: str = "", by) -> int:
    """File one document. Raises ClinicError saying why a file is refused (type sniffed from the
    bytes, size, category), or DuplicateDocument when this patient already has the same bytes."""
    checked = rules.check_upload(filename, content)
    if category not in rules.CATEGORIES:
        raise ClinicError("Choose a category.", field="category")
    if doc_date is None:
        raise ClinicError("Enter the document's date.", field="doc_date")

    def write(cur: Connection) -> int:
        if cur.execute("SELECT 1 FROM patients WHERE id = ? AND status = 'active'", [patient_id]).fetchone() is None:
            raise NotFound("That patient does not exist.")
        same = cur.execute(
            "SELECT filename, strftime(uploaded_at, '%Y-%m-%d') FROM documents WHERE patient_id = ? AND sha256 = ?",
            [patient_id, checked.sha256],
        ).fetchone()
        if same:
            raise DuplicateDocument(same[0], same[1])
        (doc_id,) = cur.execute(
            "INSERT INTO documents (patient_id, category, doc_date, note, filename, mime_type, size_bytes, sha256,"
            " content, uploaded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [patient_id, category, doc_date, (note or "").strip()[:500] or None, checked.filename, checked.mime_type,
             checked.size_bytes, checked.sha256, content, getattr(by, "id", None)],
        ).fetchone()
        audit.record(cur, by, "document.add", "document", doc_id, patient_id,
                     detail={"category": category, "size": checked.size_bytes, "sha256": checked.sha256})
        return doc_id

    return atomic(conn, write)


def list_for_patient(conn: Connection, patient_id: int):
    """The patient's documents, newest first, without their content."""
    return read_df(
        conn,
        "SELECT d.id, d.doc_date, d.category, d.filename, d.note, d.size_bytes, d.mime_type, d.uploaded_at,"
        " coalesce(u.full_name, '—') AS uploaded_by, d.sha256 FROM documents d LEFT JOIN users u ON u.id = d.uploaded_by"
        " WHERE d.patient_id = ? ORDER BY d.doc_date DESC, d.id DESC",
        [patient_id],
    )


def get_file(conn: Connection, document_id: int, *, by) -> StoredFile:
    """The exact bytes that were uploaded. Reading a document is audited."""
    row = read_one(conn, "SELECT filename, mime_type, content, patient_id FROM documents WHERE id = ?", [document_id])
    if row is None:
        raise NotFound("That document does not exist.")
    atomic(conn, lambda cur: audit.record(cur, by, "document.download", "document", document_id, row[3]))
    return StoredFile(row[0], row[1], bytes(row[2]), row[3])
