"""Visit notes on a real DuckDB file: only the author edits a draft, every draft revision is kept,
a save over a newer revision is refused, and signing saves and signs in one transaction."""

from __future__ import annotations

import pytest

import db
from clinic.errors import ClinicError, NoteLocked, NotAllowed, StaleRecord
from db import notes, users
from tests.conftest import make_appointment, make_provider, make_user


@pytest.fixture
def doctor(conn):
    return users.get(conn, make_user(conn, username="okafor", full_name="Dr. Okafor", role="clinician"))


@pytest.fixture
def colleague(conn):
    return users.get(conn, make_user(conn, username="lind", full_name="Dr. Lind", role="clinician"))


@pytest.fixture
def visit(conn, doctor, colleague):
    """A completed visit with Dr. Okafor's schedule; the patient sees Dr. Lind too, so both are
    clinicians of theirs (db.break_glass: a clinician writes notes for their own patients)."""
    appointment = make_appointment(conn, status="completed", provider_id=make_provider(conn, user_id=doctor.id))
    patient = db.read(conn, "SELECT patient_id FROM appointments WHERE id = ?", [appointment])[0][0]
    make_appointment(conn, patient_id=patient, provider_id=make_provider(conn, user_id=colleague.id))
    return appointment


def stored(conn, visit: int) -> tuple:
    return db.read(conn, "SELECT body, author_id, signed_at IS NOT NULL, signed_by, revision FROM visit_notes"
                         " WHERE appointment_id = ?", [visit])[0]


def test_every_saved_draft_is_kept_as_a_numbered_revision(conn, doctor, visit):
    first = notes.save_draft(conn, visit, "Cough.", seen_revision=0, by=doctor)
    second = notes.save_draft(conn, visit, "Cough for 3 days.", seen_revision=first.revision, by=doctor)
    notes.save_draft(conn, visit, "Cough for 3 days. Lungs clear.", seen_revision=second.revision, by=doctor)
    kept = notes.revisions(conn, first.note_id)
    assert [(r.revision, r.body, r.saved_by) for r in kept] == [
        (1, "Cough.", doctor.id), (2, "Cough for 3 days.", doctor.id), (3, "Cough for 3 days. Lungs clear.", doctor.id)]
    assert stored(conn, visit) == ("Cough for 3 days. Lungs clear.", doctor.id, False, None, 3)


def test_saving_the_same_text_again_adds_no_revision(conn, doctor, visit):
    saved = notes.save_draft(conn, visit, "Cough.", seen_revision=0, by=doctor)
    again = notes.save_draft(conn, visit, "  Cough.  ", seen_revision=saved.revision, by=doctor)
    assert again.revision == 1 and len(notes.revisions(conn, saved.note_id)) == 1


def test_a_second_clinician_cannot_overwrite_a_colleagues_draft(conn, doctor, colleague, visit):
    saved = notes.save_draft(conn, visit, "Knee pain, no swelling.", seen_revision=0, by=doctor)
    with pytest.raises(NotAllowed, match="Only the clinician who wrote this draft"):
        notes.save_draft(conn, visit, "Rewritten by someone else.", seen_revision=saved.revision, by=colleague)
    assert stored(conn, visit) == ("Knee pain, no swelling.", doctor.id, False, None, 1)
    assert len(notes.revisions(conn, saved.note_id)) == 1


def test_a_second_clinician_cannot_sign_a_colleagues_draft_under_any_name(conn, doctor, colleague, visit):
    saved = notes.save_draft(conn, visit, "Knee pain, no swelling.", seen_revision=0, by=doctor)
    for body in ("Knee pain, no swelling.", "Knee pain. Signed by me."):
        with pytest.raises(NotAllowed):
            notes.sign(conn, visit, body, seen_revision=saved.revision, by=colleague)
    assert stored(conn, visit) == ("Knee pain, no swelling.", doctor.id, False, None, 1)
    assert db.read(conn, "SELECT count(*) FROM audit_log WHERE action = 'note.sign'") == [(0,)]


def test_a_save_from_an_editor_opened_before_a_newer_save_is_refused(conn, doctor, visit):
    saved = notes.save_draft(conn, visit, "Draft from the first tab.", seen_revision=0, by=doctor)
    # Two tabs open on revision 1; the first saves, then the second.
    notes.save_draft(conn, visit, "First tab, more detail.", seen_revision=saved.revision, by=doctor)
    with pytest.raises(StaleRecord, match="^changed by someone else since you opened it$"):
        notes.save_draft(conn, visit, "Second tab wipes it.", seen_revision=saved.revision, by=doctor)
    with pytest.raises(StaleRecord):
        notes.sign(conn, visit, "Second tab signs it.", seen_revision=saved.revision, by=doctor)
    assert stored(conn, visit) == ("First tab, more detail.", doctor.id, False, None, 2)


def test_two_first_drafts_of_one_visit_cannot_both_be_written(conn, doctor, visit):
    notes.save_draft(conn, visit, "Written in one tab.", seen_revision=0, by=doctor)
    with pytest.raises(StaleRecord):
        notes.save_draft(conn, visit, "Written in another tab.", seen_revision=0, by=doctor)
    assert stored(conn, visit)[0] == "Written in one tab."


def test_signing_saves_the_text_shown_and_signs_it_in_one_step(conn, doctor, visit):
    saved = notes.save_draft(conn, visit, "Cough.", seen_revision=0, by=doctor)
    note_id = notes.sign(conn, visit, "Cough for 3 days. Lungs clear.", seen_revision=saved.revision, by=doctor)
    assert note_id == saved.note_id
    assert stored(conn, visit) == ("Cough for 3 days. Lungs clear.", doctor.id, True, doctor.id, 2)
    assert [r.body for r in notes.revisions(conn, note_id)] == ["Cough.", "Cough for 3 days. Lungs clear."]
    assert notes.for_appointment(conn, visit).signed_by == "Dr. Okafor"
    with pytest.raises(NoteLocked):
        notes.sign(conn, visit, "Again.", seen_revision=2, by=doctor)


def test_a_visit_with_no_note_yet_can_be_signed_directly(conn, doctor, visit):
    note_id = notes.sign(conn, visit, "Routine follow-up, no concerns.", seen_revision=0, by=doctor)
    assert stored(conn, visit) == ("Routine follow-up, no concerns.", doctor.id, True, doctor.id, 1)
    assert [r.revision for r in notes.revisions(conn, note_id)] == [1]


def test_a_refused_signature_leaves_the_draft_unsigned_and_unchanged(conn, doctor, visit):
    saved = notes.save_draft(conn, visit, "Cough.", seen_revision=0, by=doctor)
    with pytest.raises(ClinicError, match="20,000 characters"):
        notes.sign(conn, visit, "x" * (notes.MAX_CHARS + 1), seen_revision=saved.revision, by=doctor)
    assert stored(conn, visit) == ("Cough.", doctor.id, False, None, 1)


def test_a_note_stored_before_revisions_existed_is_edited_from_revision_one(conn, doctor, visit):
    # What notes written before migration 004 (and the demo seeder's notes) look like.
    patient = db.read(conn, "SELECT patient_id FROM appointments WHERE id = ?", [visit])[0][0]
    conn.execute("INSERT INTO visit_notes (appointment_id, patient_id, author_id, body) VALUES (?, ?, ?, 'Old text.')",
                 [visit, patient, doctor.id])
    assert notes.for_appointment(conn, visit).revision == 1
    assert notes.save_draft(conn, visit, "New text.", seen_revision=1, by=doctor).revision == 2


def test_only_clinicians_write_notes(conn, visit):
    manager = users.get(conn, make_user(conn, role="manager"))
    with pytest.raises(NotAllowed):
        notes.save_draft(conn, visit, "Not mine to write.", seen_revision=0, by=manager)
    assert db.read(conn, "SELECT count(*) FROM visit_notes") == [(0,)]
