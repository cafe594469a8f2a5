"""Emergency ("break-glass") access on a real database file: a clinician writes notes for their
own patients; for anyone else the note is refused until they give a reason; the grant is
time-limited, audited with its reason, and listed for the manager with what was done under it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import db
from clinic.errors import NotAllowed, ValidationError
from clinic.timeutil import now_utc
from db import break_glass, notes, users
from tests.conftest import make_appointment, make_patient, make_provider, make_user

REASON = "Dr. Okafor's patient collapsed in the waiting room; allergies needed now."


@pytest.fixture
def scene(conn):
    doctor = users.get(conn, make_user(conn, username="bg_doctor", role="clinician"))
    colleague = users.get(conn, make_user(conn, username="bg_colleague", role="clinician"))
    manager = users.get(conn, make_user(conn, username="bg_manager", role="manager"))
    desk = users.get(conn, make_user(conn, username="bg_desk", role="front_desk"))
    mine = make_provider(conn, user_id=doctor.id)
    theirs = make_provider(conn, user_id=colleague.id)
    at = datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc)
    own_visit = make_appointment(conn, provider_id=mine, start_at=at, status="completed")
    other_visit = make_appointment(conn, provider_id=theirs, start_at=at, status="completed")
    own = db.read(conn, "SELECT patient_id FROM appointments WHERE id = ?", [own_visit])[0][0]
    other = db.read(conn, "SELECT patient_id FROM appointments WHERE id = ?", [other_visit])[0][0]
    return dict(doctor=doctor, colleague=colleague, manager=manager, desk=desk, own=own, other=other,
                own_visit=own_visit, other_visit=other_visit)


def audit_rows(conn, action):
    return db.read(conn, "SELECT user_id, patient_id, detail, category FROM audit_log WHERE action = ?", [action])


def test_a_clinician_writes_notes_for_their_own_patients_and_is_refused_for_others(conn, scene):
    doctor = scene["doctor"]
    assert break_glass.access(conn, doctor, scene["own"]) == ("own", None)
    assert break_glass.access(conn, doctor, scene["other"]) == ("none", None)
    notes.save_draft(conn, scene["own_visit"], "Knee better.", seen_revision=0, by=doctor)
    with pytest.raises(NotAllowed, match="not on your schedule"):
        notes.save_draft(conn, scene["other_visit"], "Seen in an emergency.", seen_revision=0, by=doctor)
    assert db.read(conn, "SELECT count(*) FROM visit_notes WHERE appointment_id = ?", [scene["other_visit"]]) == [(0,)]
    # The refusal is in the audit trail, on that patient.
    assert db.read(conn, "SELECT user_id, patient_id, action, category FROM audit_log WHERE outcome = 'refused'") == [
        (doctor.id, scene["other"], "records.clinical", "clinical")]
    # Other roles are governed by the role table alone: the manager reads every record.
    assert break_glass.access(conn, scene["manager"], scene["other"]) == ("role", None)


def test_breaking_the_glass_needs_a_reason_and_opens_the_record_for_an_hour_audited(conn, scene):
    doctor, other = scene["doctor"], scene["other"]
    with pytest.raises(ValidationError) as refused:
        break_glass.start(conn, patient_id=other, reason="urgent", by=doctor)
    assert "reason" in refused.value.errors
    assert db.read(conn, "SELECT count(*) FROM break_glass") == [(0,)]

    before = now_utc()
    grant = break_glass.start(conn, patient_id=other, reason=REASON, by=doctor)
    assert grant.reason == REASON
    assert timedelta(minutes=59) < grant.ends_at - before <= timedelta(minutes=61)
    assert break_glass.access(conn, doctor, other) == ("emergency", grant)
    # Asking again while it runs gives the same grant, not a second one.
    assert break_glass.start(conn, patient_id=other, reason=REASON, by=doctor).id == grant.id
    (row,) = audit_rows(conn, "record.break_glass")
    assert row[:2] == (doctor.id, other) and REASON in row[2] and row[3] == "clinical"

    notes.save_draft(conn, scene["other_visit"], "Given oxygen; ambulance called.", seen_revision=0, by=doctor)
    assert [a[2] for a in break_glass.actions_under(conn, grant.id)] == ["record.break_glass", "note.save"]

    # An hour later the glass is whole again.
    conn.execute("UPDATE break_glass SET started_at = started_at - INTERVAL 2 HOUR, ends_at = ends_at - INTERVAL 2 HOUR")
    assert break_glass.access(conn, doctor, other) == ("none", None)
    with pytest.raises(NotAllowed):
        notes.save_draft(conn, scene["other_visit"], "Later.", seen_revision=1, by=doctor)


def test_only_a_clinician_breaks_the_glass_and_never_for_their_own_patient(conn, scene):
    with pytest.raises(NotAllowed):
        break_glass.start(conn, patient_id=scene["other"], reason=REASON, by=scene["desk"])
    with pytest.raises(ValidationError, match="on your schedule"):
        break_glass.start(conn, patient_id=scene["own"], reason=REASON, by=scene["doctor"])
    assert db.read(conn, "SELECT count(*) FROM break_glass") == [(0,)]


def test_the_manager_reviews_each_grant_with_what_was_done_under_it(conn, scene):
    doctor, manager = scene["doctor"], scene["manager"]
    grant = break_glass.start(conn, patient_id=scene["other"], reason=REASON, by=doctor)
    notes.save_draft(conn, scene["other_visit"], "Given oxygen.", seen_revision=0, by=doctor)
    (item,) = break_glass.for_review(conn)
    assert (item.grant.id, item.user, item.actions, item.reviewer) == (grant.id, doctor.full_name, 2, None)
    assert item.mrn == db.read(conn, "SELECT mrn FROM patients WHERE id = ?", [scene["other"]])[0][0]

    with pytest.raises(NotAllowed):
        break_glass.review(conn, grant.id, note="Fine", by=scene["desk"])
    break_glass.review(conn, grant.id, note="Called Dr. Okafor: justified.", by=manager)
    assert break_glass.for_review(conn) == []
    (done,) = break_glass.for_review(conn, reviewed=True)
    assert (done.reviewer, done.grant.review_note) == (manager.full_name, "Called Dr. Okafor: justified.")
    assert len(audit_rows(conn, "record.break_glass_review")) == 1
    with pytest.raises(ValidationError, match="already reviewed"):
        break_glass.review(conn, grant.id, note="again", by=manager)


def test_a_lab_report_of_another_clinicians_patient_needs_the_glass_broken(conn, scene):
    import io

    from PIL import Image

    from db import documents

    out = io.BytesIO()
    Image.new("RGB", (4, 4), "green").save(out, format="PNG")
    lab = documents.add(conn, patient_id=scene["other"], filename="inr.png", content=out.getvalue(),
                        category="lab_report", doc_date=datetime(2026, 11, 30).date(), by=scene["desk"])
    with pytest.raises(NotAllowed, match="not on your schedule"):
        documents.get_file(conn, lab, by=scene["doctor"])
    assert documents.get_file(conn, lab, by=scene["colleague"]).filename == "inr.png"
    break_glass.start(conn, patient_id=scene["other"], reason=REASON, by=scene["doctor"])
    assert documents.get_file(conn, lab, by=scene["doctor"]).filename == "inr.png"


def test_reading_a_patients_notes_is_checked_in_the_data_layer_and_a_refusal_is_audited(conn, scene):
    doctor, colleague, other = scene["doctor"], scene["colleague"], scene["other"]
    notes.save_draft(conn, scene["other_visit"], "Colleague's draft.", seen_revision=0, by=colleague)
    # Their own clinician, and the manager, read the notes.
    assert [n.body for n in notes.for_patient(conn, other, by=colleague)] == ["Colleague's draft."]
    assert [n.body for n in notes.for_patient(conn, other, by=scene["manager"])] == ["Colleague's draft."]
    # The front desk's role does not read notes; a clinician without this patient needs the glass.
    with pytest.raises(NotAllowed, match="does not allow"):
        notes.for_patient(conn, other, by=scene["desk"])
    with pytest.raises(NotAllowed, match="not on your schedule"):
        notes.for_patient(conn, other, by=doctor)
    assert db.read(conn, "SELECT user_id, patient_id, action, outcome FROM audit_log WHERE outcome = 'refused'"
                         " ORDER BY id") == [(scene["desk"].id, other, "notes.read", "refused"),
                                            (doctor.id, other, "records.clinical", "refused")]
    # Under an emergency grant the same read goes through.
    break_glass.start(conn, patient_id=other, reason=REASON, by=doctor)
    assert [n.body for n in notes.for_patient(conn, other, by=doctor)] == ["Colleague's draft."]
