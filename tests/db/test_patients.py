"""Patients on a real DuckDB file: intake with history, duplicates, merge, documents, messages, notes."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timezone

import pytest
from fpdf import FPDF

import db
from clinic.errors import (ClinicError, DuplicateDocument, NoteLocked, NotFound, PossibleDuplicates, StaleRecord,
                           ValidationError)
from clinic import intake, timeutil
from db import documents, messages, notes, patient_intake, patient_merge, patients, payers, users
from tests.conftest import make_appointment, make_patient, make_provider, make_user


def _small_pdf() -> bytes:
    """A real one-page PDF: uploads must parse now, not just start with %PDF-."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text="Referral")
    return bytes(pdf.output())


PDF = _small_pdf()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def desk(conn):
    return users.get(conn, make_user(conn, username="desk"))


@pytest.fixture
def clock():
    """Set the clinic clock for one test: ``clock(aware_datetime)``."""
    yield timeutil.set_clock
    timeutil.set_clock(None)


@pytest.fixture
def blue(conn):
    return payers.save(conn, name="Blue Harbor Health", payer_code="BHH01", kind="commercial", by="test")


def form(**overrides):
    values = {"first_name": "Ana", "last_name": "Núñez", "date_of_birth": date(1990, 1, 17), "sex": "female",
              "phone_mobile": "(212) 555-0100", "email": "ana.nunez@example.com", "preferred_contact": "sms",
              "consent_sms": True}
    values.update(overrides)
    return values


def test_a_new_patient_is_stored_normalised_with_an_mrn_and_insurance(conn, desk, blue):
    pid = patient_intake.create(conn, form(insurance1={"payer_id": blue, "member_id": "xq 123-45"}), by=desk)
    saved = patients.get_full(conn, pid)
    assert (saved.phone_mobile, saved.email, saved.mrn[:1]) == ("+12125550100", "ana.nunez@example.com", "1")
    assert saved.plan(1).member_id == "XQ123-45" and saved.plan(1).payer == "Blue Harbor Health"
    assert saved.plan(2) is None
    assert patients.get(conn, pid).reminder_opt_in is True


def test_a_likely_duplicate_stops_creation_until_confirmed_and_the_override_is_audited(conn, desk):
    first = patient_intake.create(conn, form(), by=desk)
    with pytest.raises(PossibleDuplicates) as err:
        patient_intake.create(conn, form(first_name="Anna", last_name="Nunez", phone_mobile="212 555 0199",
                                   email=""), by=desk)
    assert [c.id for c in err.value.candidates] == [first]
    assert "similar name" in err.value.candidates[0].why
    assert db.read(conn, "SELECT count(*) FROM patients")[0][0] == 1
    second = patient_intake.create(conn, form(first_name="Anna", last_name="Nunez", phone_mobile="212 555 0199",
                                              email=""), by=desk, confirm_new=True)
    assert second != first
    assert db.read(conn, "SELECT count(*) FROM audit_log WHERE action = 'patient.create_despite_duplicates'")[0][0] == 1


def test_the_same_phone_or_email_is_a_duplicate_whatever_the_name(conn, desk):
    patient_intake.create(conn, form(), by=desk)
    with pytest.raises(PossibleDuplicates):
        patient_intake.create(conn, form(first_name="Zed", last_name="Other", date_of_birth=date(1970, 5, 5),
                                         email=""), by=desk)
    with pytest.raises(PossibleDuplicates):
        patient_intake.create(conn, form(first_name="Zed", last_name="Other", date_of_birth=date(1970, 5, 5),
                                   phone_mobile="212 555 0111", email="ANA.NUNEZ@example.com"), by=desk)


def test_quick_add_refuses_an_exact_duplicate_until_confirmed_and_audits_the_override(conn, desk):
    first = patients.quick_add(conn, first_name="Maria", last_name="Lopez", date_of_birth=date(1985, 4, 2),
                               phone="(212) 555-0177", by=desk)
    with pytest.raises(PossibleDuplicates) as err:
        patients.quick_add(conn, first_name="Maria", last_name="Lopez", date_of_birth=date(1985, 4, 2),
                           phone="212 555 0177", by=desk)
    assert [c.id for c in err.value.candidates] == [first]
    assert err.value.field == "duplicates"
    assert db.read(conn, "SELECT count(*) FROM patients")[0][0] == 1
    second = patients.quick_add(conn, first_name="Maria", last_name="Lopez", date_of_birth=date(1985, 4, 2),
                                phone="212 555 0177", by=desk, confirm_new=True)
    assert second != first
    rows = db.read(conn, "SELECT entity_id, detail FROM audit_log WHERE action = 'patient.create_despite_duplicates'")
    assert rows == [(str(second), f'{{"candidates": [{first}]}}')]


def test_quick_add_finds_the_same_look_alikes_as_the_full_intake(conn, desk):
    registered = patient_intake.create(conn, form(), by=desk)
    with pytest.raises(PossibleDuplicates) as similar_name:  # same birth date, name typed without accents
        patients.quick_add(conn, first_name="Anna", last_name="Nunez", date_of_birth=date(1990, 1, 17), phone="",
                           by=desk)
    with pytest.raises(PossibleDuplicates) as same_phone:  # someone else on the same phone
        patients.quick_add(conn, first_name="Zed", last_name="Other", date_of_birth=date(1970, 5, 5),
                           phone="212-555-0100", by=desk)
    assert [c.id for c in similar_name.value.candidates] == [c.id for c in same_phone.value.candidates] == [registered]
    other = patients.quick_add(conn, first_name="Zed", last_name="Other", date_of_birth=date(1970, 5, 5), phone="",
                               by=desk)
    assert other != registered
    assert db.read(conn, "SELECT count(*) FROM audit_log WHERE action = 'patient.create_despite_duplicates'")[0][0] == 0


def test_an_update_writes_one_history_row_per_changed_field(conn, desk, blue):
    pid = patient_intake.create(conn, form(), by=desk)
    changed = patient_intake.update(conn, pid, form(city="Albany", state="ny", postal_code="12207",
                                                    insurance1={"payer_id": blue, "member_id": "M12345"}),
                                    seen_version=0, by=desk)
    assert changed == ["city", "state", "postal_code", "insurance1"]
    history = patient_intake.changes_for(conn, pid)
    assert set(history["field"]) == {"city", "state", "postal_code", "insurance1"}
    assert history.loc[history["field"] == "state", "new_value"].item() == "NY"
    assert patient_intake.update(conn, pid, form(city="Albany", state="NY", postal_code="12207",
                                                 insurance1={"payer_id": blue, "member_id": "M12345"}),
                                 seen_version=1, by=desk) == []


def test_a_refused_update_changes_nothing(conn, desk):
    pid = patient_intake.create(conn, form(), by=desk)
    with pytest.raises(ValidationError) as err:
        patient_intake.update(conn, pid, form(first_name="Changed", email="not-an-email"), seen_version=0, by=desk)
    assert "email" in err.value.errors
    assert patients.get(conn, pid).first_name == "Ana"
    assert len(patient_intake.changes_for(conn, pid)) == 0
    assert patients.get_full(conn, pid).version == 0


def test_merging_moves_appointments_documents_messages_and_keeps_the_merged_record(conn, desk):
    survivor = make_patient(conn, last_name="Keep")
    merged = make_patient(conn, last_name="Gone")
    make_appointment(conn, patient_id=merged)
    documents.add(conn, patient_id=merged, filename="id.pdf", content=PDF, category="id_card",
                  doc_date=date(2026, 1, 1), by=desk)
    messages.log_message(conn, patient_id=merged, channel="phone_in", request_type="appointment",
                         subject="Call back", by=desk)
    manager = users.get(conn, make_user(conn, username="boss", role="manager"))
    moved = patient_merge.merge(conn, survivor_id=survivor, merged_id=merged, by=manager)
    assert (moved["appointments"], moved["documents"], moved["messages"]) == (1, 1, 1)
    assert db.read(conn, "SELECT status, merged_into FROM patients WHERE id = ?", [merged]) == [("merged", survivor)]
    assert db.read(conn, "SELECT count(*) FROM appointments WHERE patient_id = ?", [survivor])[0][0] == 1
    assert patients.search(conn, "Gone") == []
    with pytest.raises(ClinicError):
        patient_merge.merge(conn, survivor_id=survivor, merged_id=merged, by=manager)


def test_documents_are_sniffed_deduplicated_and_given_back_byte_for_byte(conn, desk):
    pid = make_patient(conn)
    doc = documents.add(conn, patient_id=pid, filename="../../etc/scan.PDF", content=PDF, category="referral",
                        doc_date=date(2026, 2, 1), note="From Dr. X", by=desk)
    back = documents.get_file(conn, doc, by=desk)
    assert back.content == PDF and back.mime_type == "application/pdf" and back.filename == "scan.pdf"
    assert [d.sha256 for d in documents.list_for_patient(conn, pid)] == [hashlib.sha256(PDF).hexdigest()]
    with pytest.raises(DuplicateDocument):
        documents.add(conn, patient_id=pid, filename="again.pdf", content=PDF, category="other",
                      doc_date=date(2026, 2, 2), by=desk)
    with pytest.raises(ClinicError, match="Only PDF, PNG or JPEG"):
        documents.add(conn, patient_id=pid, filename="virus.pdf", content=b"MZ\x90\x00 not a pdf", category="other",
                      doc_date=date(2026, 2, 2), by=desk)
    with pytest.raises(ClinicError, match="10 MB"):
        documents.add(conn, patient_id=pid, filename="big.png", content=PNG + b"\x00" * (10 * 1024 * 1024),
                      category="other", doc_date=date(2026, 2, 2), by=desk)
    assert len(documents.list_for_patient(conn, pid)) == 1


def test_refill_requests_go_to_the_clinicians_inbox_overdue_first(conn, desk, clock):
    clock(datetime(2026, 2, 16, 15, 0, tzinfo=timezone.utc))  # logged on Monday 16 February
    doctor = users.get(conn, make_user(conn, username="doc", role="clinician"))
    pid = make_patient(conn)
    later = messages.log_message(conn, patient_id=pid, channel="phone_in", request_type="refill",
                                 subject="Refill later", due_on=date(2026, 3, 9), by=desk)
    overdue = messages.log_message(conn, patient_id=pid, channel="portal", request_type="referral",
                                   subject="Referral", due_on=date(2026, 2, 20), by=desk)
    messages.log_message(conn, patient_id=pid, channel="phone_in", request_type="appointment", subject="Book me",
                         by=desk)
    box = messages.inbox(conn, user_id=doctor.id, role="clinician", today=date(2026, 3, 2))
    assert [item.id for item in box] == [overdue, later]
    messages.set_status(conn, overdue, "done", note="Referral faxed", by=doctor)
    assert [i.id for i in messages.inbox(conn, user_id=doctor.id, role="clinician", today=date(2026, 3, 2))] == [later]
    assert messages.count_open_for(conn, user_id=desk.id, role="front_desk") == 1


def test_a_signed_note_is_locked_and_changes_become_addenda(conn):
    doctor = users.get(conn, make_user(conn, username="doc2", role="clinician"))
    appt = make_appointment(conn, provider_id=make_provider(conn, user_id=doctor.id))
    first = notes.save_draft(conn, appt, "Cough for 3 days. Lungs clear.", seen_revision=0, by=doctor)
    second = notes.save_draft(conn, appt, "Cough for 3 days. Lungs clear. Rest, fluids.",
                              seen_revision=first.revision, by=doctor)
    assert (first.note_id, first.revision, second.revision) == (second.note_id, 1, 2)
    with pytest.raises(ClinicError):
        notes.add_addendum(conn, first.note_id, "too early", by=doctor)
    notes.sign(conn, appt, "Cough for 3 days. Lungs clear. Rest, fluids.", seen_revision=2, by=doctor)
    with pytest.raises(NoteLocked):
        notes.save_draft(conn, appt, "rewrite history", seen_revision=2, by=doctor)
    notes.add_addendum(conn, first.note_id, "Lab result normal.", by=doctor)
    (note,) = notes.for_patient(conn, db.read(conn, "SELECT patient_id FROM appointments WHERE id = ?", [appt])[0][0], by="test")
    assert note.body.endswith("Rest, fluids.") and note.signed_at is not None
    assert [a.body for a in note.addenda] == ["Lab result normal."]


# --- one get contract, typed records ----------------------------------------------------------


def test_getting_a_patient_that_does_not_exist_raises_not_found(conn):
    with pytest.raises(NotFound):
        patients.get(conn, 424242)
    with pytest.raises(NotFound):
        patients.get_full(conn, 424242)


def test_the_full_record_holds_every_intake_field_and_reads_back_into_the_form(conn, desk, blue):
    pid = patient_intake.create(conn, form(insurance1={"payer_id": blue, "member_id": "M12345"}, allergies="Latex"),
                                by=desk)
    record = patients.get_full(conn, pid)
    values = record.as_dict()
    assert set(intake.PATIENT_FIELDS) <= set(values)
    assert (record.allergies, record.consent_sms, record.version) == ("Latex", True, 0)
    assert values["insurance1"]["payer"] == "Blue Harbor Health"
    # Saving the record as it was read changes nothing.
    assert patient_intake.update(conn, pid, values, seen_version=record.version, by=desk) == []


# --- lost updates: an edit carries the version it was opened on --------------------------------


def test_a_save_from_a_form_opened_before_someone_elses_save_is_refused_and_changes_nothing(conn, desk):
    pid = patient_intake.create(conn, form(), by=desk)
    first_tab = patients.get_full(conn, pid)
    second_tab = patients.get_full(conn, pid)
    patient_intake.update(conn, pid, {**first_tab.as_dict(), "allergies": "Penicillin (rash)"},
                          seen_version=first_tab.version, by=desk)
    with pytest.raises(StaleRecord) as refused:
        patient_intake.update(conn, pid, {**second_tab.as_dict(), "city": "Albany"},
                              seen_version=second_tab.version, by=desk)
    assert str(refused.value) == "changed by someone else since you opened it"
    now = patients.get_full(conn, pid)
    assert (now.allergies, now.city, now.version) == ("Penicillin (rash)", None, 1)
    assert list(patient_intake.changes_for(conn, pid)["field"]) == ["allergies"]


def test_every_saved_change_bumps_the_version_a_plan_change_alone_too(conn, desk, blue):
    pid = patient_intake.create(conn, form(), by=desk)
    patient_intake.update(conn, pid, form(city="Albany"), seen_version=0, by=desk)
    patient_intake.update(conn, pid, form(city="Albany", insurance1={"payer_id": blue, "member_id": "M12345"}),
                          seen_version=1, by=desk)
    assert patients.get_full(conn, pid).version == 2
    with pytest.raises(StaleRecord):
        patient_intake.update(conn, pid, form(city="Troy"), seen_version=1, by=desk)


def test_a_booking_does_not_make_an_open_intake_form_stale(conn, desk):
    pid = patient_intake.create(conn, form(), by=desk)
    seen = patients.get_full(conn, pid).version
    conn.execute("UPDATE patients SET booking_version = booking_version + 1 WHERE id = ?", [pid])
    assert patient_intake.update(conn, pid, form(city="Albany"), seen_version=seen, by=desk) == ["city"]


def test_a_merge_makes_an_intake_form_opened_before_it_stale(conn, desk):
    survivor, merged = make_patient(conn), make_patient(conn)
    seen = patients.get_full(conn, survivor).version
    patient_merge.merge(conn, survivor_id=survivor, merged_id=merged, by="test")
    with pytest.raises(StaleRecord):
        patient_intake.update(conn, survivor, {**patients.get_full(conn, survivor).as_dict(), "city": "Albany"},
                              seen_version=seen, by=desk)
