"""Patient documents, stored inside the database (so every backup of it covers them).

Filing a document and reading one back are both user actions checked against the acting
account at that moment (:func:`db.actors.acting`): a download button drawn before the account
was deactivated serves nothing. Every read is audited in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from clinic import documents as rules
from clinic.access import DOCUMENT_READERS, ROLE_LABELS, may_read_document
from clinic.errors import ClinicError, DuplicateDocument, NotFound
from db import Connection, atomic, audit, break_glass, read
from db.actors import acting, refusal


@dataclass(frozen=True)
class StoredFile:
    filename: str
    mime_type: str
    content: bytes
    patient_id: int


@dataclass(frozen=True)
class Document:
    """One filed document as the list shows it (without its bytes)."""

    id: int
    doc_date: date
    category: str
    filename: str
    note: str | None
    size_bytes: int
    mime_type: str
    uploaded_at: datetime
    uploaded_by: str  # full name, or "—" when unknown
    sha256: str


def add(conn: Connection, *, patient_id: int, filename: str, content: bytes, category: str | None,
        doc_date: date | None, note: str = "", by) -> int:
    """File one document. Raises ClinicError saying why a file is refused (type sniffed from the
    bytes, size, category), DuplicateDocument when this patient already has the same bytes, or
    NotAllowed."""
    checked = rules.check_upload(filename, content)
    if category not in rules.CATEGORIES:
        raise ClinicError("Choose a category.", field="category")
    if doc_date is None:
        raise ClinicError("Enter the document's date.", field="doc_date")

    def write(cur: Connection) -> int:
        actor = acting(cur, by, "documents.upload")
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
             checked.size_bytes, checked.sha256, content, actor.id],
        ).fetchone()
        audit.record(cur, actor, "document.add", "document", doc_id, patient_id,
                     detail={"category": category, "size": checked.size_bytes, "sha256": checked.sha256})
        return doc_id

    return atomic(conn, write)


def list_for_patient(conn: Connection, patient_id: int, *, role: str | None = None,
                     clinical: bool = True) -> list[Document]:
    """The patient's documents, newest first, without their content: those ``role`` may read
    (:func:`clinic.access.may_read_document`; every one for an operator, ``role`` None), and no
    clinical one when ``clinical`` is False (a clinician outside their schedule: db.break_glass)."""
    rows = read(
        conn,
        "SELECT d.id, d.doc_date, d.category, d.filename, d.note, d.size_bytes, d.mime_type, d.uploaded_at,"
        " coalesce(u.full_name, '—') AS uploaded_by, d.sha256"
        " FROM documents d LEFT JOIN users u ON u.id = d.uploaded_by"
        " WHERE d.patient_id = ? ORDER BY d.doc_date DESC, d.id DESC",
        [patient_id],
    )
    return [Document(*r) for r in rows if _readable(role, r[2], clinical)]


def _readable(role: str | None, category: str, clinical: bool) -> bool:
    return may_read_document(role, category) and (clinical or category not in DOCUMENT_READERS)


def count_withheld(conn: Connection, patient_id: int, *, role: str | None, clinical: bool = True) -> int:
    """How many of the patient's documents ``role`` may not read (the list says they exist)."""
    rows = read(conn, "SELECT category FROM documents WHERE patient_id = ?", [patient_id])
    return sum(not _readable(role, category, clinical) for (category,) in rows)


def get_file(conn: Connection, document_id: int, *, by) -> StoredFile:
    """The exact bytes that were uploaded, for an account that may read documents now.
    Reading is audited in the same transaction."""

    def read_audited(cur: Connection) -> StoredFile:
        actor = acting(cur, by, "documents.read")
        row = cur.execute("SELECT filename, mime_type, content, patient_id, category FROM documents WHERE id = ?",
                          [document_id]).fetchone()
        if row is None:
            raise NotFound("That document does not exist.")
        if not may_read_document(actor.role, row[4]):
            raise refusal(actor, "documents.read", f"Your role ({ROLE_LABELS[actor.role]}) cannot open "
                          f"{rules.CATEGORIES[row[4]].lower()}s: they are clinical.", patient_id=row[3])
        if row[4] in DOCUMENT_READERS:  # clinical: a clinician's own patient, or under emergency access
            break_glass.require_clinical_access(cur, actor, row[3])
        audit.record(cur, actor, "document.download", "document", document_id, row[3])
        return StoredFile(row[0], row[1], bytes(row[2]), row[3])

    return atomic(conn, read_audited)
