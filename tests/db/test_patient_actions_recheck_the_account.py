"""Every write on patients, documents, messages and notes re-reads the acting account inside its
transaction: a page drawn for an account that was deactivated or demoted since cannot act, and
the audit row names the account as the database holds it."""

from __future__ import annotations

import io
from datetime import date

import pytest
from fpdf import FPDF
from PIL import Image

import db
from clinic.errors import NotAllowed
from db import documents, messages, notes, patient_intake, patient_merge, patients, users
from tests.conftest import make_appointment, make_patient, make_provider, make_user


def _small_pdf() -> bytes:
    """A real one-page PDF: uploads must parse now, not just start with %PDF-."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text="Referral")
    return bytes(pdf.output())


def _small_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, "PNG")
    return out.getvalue()


PDF = _small_pdf()
# Not a (212) 555 number: tests.conftest.make_patient hands those out in turn, and a factory patient
# with the same phone would make this one a likely duplicate, depending on which tests ran before.
NEW_PATIENT = {"first_name": "Ana", "last_name": "Núñez", "date_of_birth": date(1990, 1, 17), "sex": "female",
               "phone_mobile": "(646) 555-0100"}


def deactivate(conn, user) -> None:
    users.set_active(conn, user.id, False, by="test")


COUNTS = {
    "patients": "SELECT count(*) FROM patients",
    "patient_changes": "SELECT count(*) FROM patient_changes",
    "documents": "SELECT count(*) FROM documents",
    "visit_notes": "SELECT count(*) FROM visit_notes",
    "note_addenda": "SELECT count(*) FROM note_addenda",
}


def rows(conn, table: str) -> int:
    return db.read(conn, COUNTS[table])[0][0]


@pytest.fixture
def desk(conn):
    """The front-desk user as a page holds it (read when the page was drawn)."""
    return users.get(conn, make_user(conn, username="desk"))


@pytest.fixture
def doctor(conn):
    return users.get(conn, make_user(conn, username="doc", role="clinician"))


def test_a_deactivated_front_desk_account_can_no_longer_register_edit_or_quick_add(conn, desk):
    pid = make_patient(conn)
    record = patients.get_full(conn, pid)
    deactivate(conn, desk)
    before = rows(conn, "patients")
    with pytest.raises(NotAllowed, match="no longer active"):
        patient_intake.create(conn, NEW_PATIENT, by=desk)
    with pytest.raises(NotAllowed):
        patients.quick_add(conn, first_name="Bo", last_name="Quick", date_of_birth=date(1990, 1, 1), phone="",
                           by=desk)
    with pytest.raises(NotAllowed):
        patient_intake.update(conn, pid, {**record.as_dict(), "allergies": "Latex", "preferred_contact": "phone"},
                              seen_version=record.version, by=desk)
    assert rows(conn, "patients") == before
    assert patients.get_full(conn, pid).allergies is None
    assert rows(conn, "patient_changes") == 0


def test_a_deactivated_account_cannot_file_or_download_a_document(conn, desk):
    pid = make_patient(conn)
    doc = documents.add(conn, patient_id=pid, filename="id.pdf", content=PDF, category="id_card",
                        doc_date=date(2026, 1, 1), by=desk)
    deactivate(conn, desk)
    with pytest.raises(NotAllowed):
        documents.get_file(conn, doc, by=desk)
    with pytest.raises(NotAllowed):
        documents.add(conn, patient_id=pid, filename="other.png", content=_small_png(),
                      category="other", doc_date=date(2026, 1, 2), by=desk)
    assert rows(conn, "documents") == 1
    assert db.read(conn, "SELECT count(*) FROM audit_log WHERE action = 'document.download'") == [(0,)]


def test_a_deactivated_account_cannot_log_a_message_or_close_an_item(conn, desk):
    message_id = messages.log_message(conn, patient_id=None, channel="phone_in", request_type="other",
                                      subject="Call back", by=desk)
    deactivate(conn, desk)
    with pytest.raises(NotAllowed):
        messages.set_status(conn, message_id, "done", note="closing anyway", by=desk)
    with pytest.raises(NotAllowed):
        messages.log_message(conn, patient_id=None, channel="phone_in", request_type="other", subject="More",
                             by=desk)
    assert db.read(conn, "SELECT id, status FROM messages") == [(message_id, "open")]


def test_a_deactivated_clinician_cannot_save_sign_or_add_to_a_note(conn, doctor):
    own = make_provider(conn, user_id=doctor.id)  # their own patients' visits
    visit, signed_visit = (make_appointment(conn, status="completed", provider_id=own),
                           make_appointment(conn, status="completed", provider_id=own))
    saved = notes.save_draft(conn, visit, "Draft.", seen_revision=0, by=doctor)
    signed = notes.sign(conn, signed_visit, "Signed.", seen_revision=0, by=doctor)
    deactivate(conn, doctor)
    with pytest.raises(NotAllowed):
        notes.save_draft(conn, visit, "Changed.", seen_revision=saved.revision, by=doctor)
    with pytest.raises(NotAllowed):
        notes.sign(conn, visit, "Draft.", seen_revision=saved.revision, by=doctor)
    with pytest.raises(NotAllowed):
        notes.add_addendum(conn, signed, "Later finding.", by=doctor)
    assert notes.for_appointment(conn, visit).body == "Draft." and not notes.for_appointment(conn, visit).signed
    assert rows(conn, "note_addenda") == 0


def test_a_manager_demoted_to_front_desk_can_no_longer_merge_with_the_page_still_open(conn):
    manager = users.get(conn, make_user(conn, username="boss", role="manager"))
    keep, duplicate = make_patient(conn), make_patient(conn)
    users.set_role(conn, manager.id, "front_desk", by="test")
    with pytest.raises(NotAllowed, match="Front desk"):
        patient_merge.merge(conn, survivor_id=keep, merged_id=duplicate, by=manager)
    assert db.read(conn, "SELECT status FROM patients WHERE id = ?", [duplicate]) == [("active",)]


def test_opening_a_file_with_a_deactivated_account_is_refused_and_not_audited_as_a_view(conn, desk):
    pid = make_patient(conn)
    deactivate(conn, desk)
    with pytest.raises(NotAllowed):
        patients.record_view(conn, pid, by=desk)
    assert db.read(conn, "SELECT count(*) FROM audit_log WHERE action = 'patient.view'") == [(0,)]


def test_the_audit_row_names_the_account_as_the_database_holds_it(conn):
    user_id = make_user(conn, username="maya", role="front_desk")
    pid = make_patient(conn)
    # The page may hand over just the id: the write reads the account itself.
    messages.log_message(conn, patient_id=pid, channel="phone_in", request_type="other", subject="Call", by=user_id)
    documents.add(conn, patient_id=pid, filename="a.pdf", content=PDF, category="other", doc_date=date(2026, 1, 1),
                  by=user_id)
    audited = db.read(conn, "SELECT action, user_id, username FROM audit_log WHERE action IN"
                            " ('message.log', 'document.add') ORDER BY id")
    assert audited == [("message.log", user_id, "maya"), ("document.add", user_id, "maya")]


def test_roles_are_checked_for_every_patient_action(conn):
    billing = users.get(conn, make_user(conn, role="billing"))
    desk = users.get(conn, make_user(conn, role="front_desk"))
    visit = make_appointment(conn, status="completed")
    keep, duplicate = make_patient(conn), make_patient(conn)
    with pytest.raises(NotAllowed):
        patient_intake.create(conn, NEW_PATIENT, by=billing)
    with pytest.raises(NotAllowed):
        documents.add(conn, patient_id=keep, filename="a.pdf", content=PDF, category="other",
                      doc_date=date(2026, 1, 1), by=billing)
    with pytest.raises(NotAllowed):
        patient_merge.merge(conn, survivor_id=keep, merged_id=duplicate, by=desk)
    with pytest.raises(NotAllowed):
        notes.save_draft(conn, visit, "Not a clinician.", seen_revision=0, by=desk)
    assert (rows(conn, "documents"), rows(conn, "visit_notes")) == (0, 0)
