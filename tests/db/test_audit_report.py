"""The audit report (db.audit_report) on a real database file: each filter narrows the trail to
the rows it names, the period holds [since, until), only the listed sorts exist, pages split the
rows while the total stays the whole count, the CSV holds a header and every filtered row (across
fetch chunks, with clinic-local times, formula-looking text kept as text), "who looked" lists the
views, downloads and prints of one record by anyone (merged duplicates too) and nothing else, and
reading or exporting the trail leaves its own audit row, or a "refused" row for a role that may not.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest

import db
from clinic.errors import NotAllowed, ValidationError
from db import audit, audit_report, patients, settings, users
from tests.conftest import make_appointment, make_patient, make_user

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)  # 10:00 in New York


def write(conn, by, action, *, patient_id=None, entity=None, entity_id=None, category=None, outcome="success",
          at: datetime | None = None, detail=None) -> int:
    """One audit row through the normal write path; ``at`` then sets its time (test set-up only)."""
    db.atomic(conn, lambda cur: audit.record(cur, by, action, entity, entity_id, patient_id, detail,
                                             category=category, outcome=outcome))
    (row_id,) = db.read_one(conn, "SELECT max(id) FROM audit_log")
    if at is not None:
        conn.cursor().execute("UPDATE audit_log SET occurred_at = ? WHERE id = ?", [at, row_id])
    return row_id


def account(conn, user_id: int) -> users.User:
    return users.get(conn, user_id)


@pytest.fixture
def scene(conn):
    """Two staff and two patients with a handful of rows an hour apart from T0."""
    desk = account(conn, make_user(conn, username="desk", role="front_desk", full_name="Dana Desk"))
    doc = account(conn, make_user(conn, username="doc", role="clinician", full_name="Dr. Lee"))
    ann, bob = make_patient(conn, last_name="Ames"), make_patient(conn, last_name="Zorn")
    ids = {
        "desk_views_ann": write(conn, desk, "patient.view", patient_id=ann, entity="patient", entity_id=ann,
                                at=T0),
        "doc_views_ann": write(conn, doc, "patient.view", patient_id=ann, entity="patient", entity_id=ann,
                               at=T0 + timedelta(hours=1)),
        "doc_writes_note": write(conn, doc, "note.create", patient_id=bob, entity="note", entity_id=1,
                                 at=T0 + timedelta(hours=2)),
        "desk_refused": write(conn, desk, "invoice.finalize", outcome="refused", at=T0 + timedelta(hours=3)),
        "failed_sign_in": write(conn, "desk", "auth.sign_in_failed", outcome="failure",
                                at=T0 + timedelta(hours=4)),
    }
    return {"desk": desk, "doc": doc, "ann": ann, "bob": bob, "ids": ids}


def ids_of(rows) -> set[int]:
    return {r.id for r in rows}


DAY = dict(since=T0 - timedelta(hours=1), until=T0 + timedelta(hours=5))


# --- filters, sort, pages ----------------------------------------------------------------------


def test_each_filter_narrows_the_trail_to_the_rows_it_names(conn, scene):
    ids = scene["ids"]

    def found(**filters):
        rows, total = audit_report.search(conn, **DAY, **filters)
        assert total == len(rows)
        return ids_of(rows)

    assert found() == set(ids.values())
    assert found(user="doc") == {ids["doc_views_ann"], ids["doc_writes_note"]}
    assert found(user="desk") == {ids["desk_views_ann"], ids["desk_refused"], ids["failed_sign_in"]}
    assert found(patient_id=scene["ann"]) == {ids["desk_views_ann"], ids["doc_views_ann"]}
    assert found(action="patient.view") == {ids["desk_views_ann"], ids["doc_views_ann"]}
    assert found(category="clinical") == {ids["doc_writes_note"]}
    assert found(outcome="refused") == {ids["desk_refused"]}
    assert found(outcome="failure", user="desk") == {ids["failed_sign_in"]}
    assert found(user="doc", patient_id=scene["bob"], category="clinical") == {ids["doc_writes_note"]}
    assert found(user="nobody") == set()


def test_rows_say_who_in_which_role_and_whose_record(conn, scene):
    rows, _ = audit_report.search(conn, **DAY, user="doc", action="patient.view")
    (row,) = rows
    mrn = patients.get(conn, scene["ann"]).mrn
    assert (row.username, row.full_name, row.role, row.category, row.outcome) == (
        "doc", "Dr. Lee", "clinician", "demographics", "success")
    assert (row.patient_id, row.mrn, row.patient_name) == (scene["ann"], mrn, "Ames, Alex")
    assert row.occurred_at == T0 + timedelta(hours=1)


def test_a_period_holds_rows_from_its_start_up_to_but_not_including_its_end(conn, scene):
    ids = scene["ids"]
    rows, total = audit_report.search(conn, since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=3))
    assert ids_of(rows) == {ids["doc_views_ann"], ids["doc_writes_note"]} and total == 2


def test_a_period_that_ends_before_it_starts_is_refused_on_the_period(conn, scene):
    with pytest.raises(ValidationError) as caught:
        audit_report.search(conn, since=T0, until=T0 - timedelta(days=1))
    assert "period" in caught.value.errors


@pytest.mark.parametrize("sort", ["occurred_at", "a.id; DELETE FROM audit_log", "newest DESC", ""])
def test_a_sort_outside_the_fixed_list_is_refused_and_changes_nothing(conn, scene, sort):
    (before,) = db.read_one(conn, "SELECT count(*) FROM audit_log")
    with pytest.raises(ValidationError) as caught:
        audit_report.search(conn, **DAY, sort=sort)
    assert "sort" in caught.value.errors
    with pytest.raises(ValidationError):
        audit_report.to_csv(conn, audit_report.Filters(**DAY), sort=sort)
    assert db.read_one(conn, "SELECT count(*) FROM audit_log") == (before,)


def test_each_listed_sort_orders_the_whole_filtered_set(conn, scene):
    ids = scene["ids"]

    def order(sort):
        return [r.id for r in audit_report.search(conn, **DAY, sort=sort)[0]]

    newest = order("newest")
    assert newest == [ids[k] for k in ("failed_sign_in", "desk_refused", "doc_writes_note", "doc_views_ann",
                                       "desk_views_ann")]
    assert order("oldest") == newest[::-1]
    by_user = [r.username for r in audit_report.search(conn, **DAY, sort="user")[0]]
    assert by_user == ["desk", "desk", "desk", "doc", "doc"]
    by_patient = [r.patient_name for r in audit_report.search(conn, **DAY, sort="patient")[0]]
    assert by_patient[:3] == ["Ames, Alex", "Ames, Alex", "Zorn, Alex"] and by_patient[3:] == [None, None]
    outcomes = [r.outcome for r in audit_report.search(conn, **DAY, sort="outcome")[0]]
    assert outcomes == sorted(outcomes)


def test_pages_split_the_rows_and_every_page_reports_the_whole_total(conn, scene):
    for n in range(6):
        write(conn, scene["desk"], "patient.view", patient_id=scene["bob"], at=T0 + timedelta(minutes=n))
    seen = []
    for page in (1, 2, 3):
        rows, total = audit_report.search(conn, **DAY, user="desk", page=page, per_page=4)
        assert total == 9
        seen.append([r.id for r in rows])
    assert [len(p) for p in seen] == [4, 4, 1]
    everything = [r.id for r in audit_report.search(conn, **DAY, user="desk", per_page=50)[0]]
    assert sum(seen, []) == everything
    assert audit_report.search(conn, **DAY, user="desk", page=4, per_page=4) == ([], 9)


# --- the CSV -----------------------------------------------------------------------------------


def parsed(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def test_the_csv_has_a_header_and_every_filtered_row_across_fetch_chunks(conn, scene, monkeypatch):
    monkeypatch.setattr(audit_report, "_CHUNK", 2)  # 9 rows come in five fetches
    for n in range(6):
        write(conn, scene["desk"], "patient.view", patient_id=scene["bob"], at=T0 + timedelta(minutes=n))
    filters = audit_report.Filters(**DAY, user="desk")
    data = audit_report.to_csv(conn, filters)

    assert data.decode().splitlines()[0] == ",".join(audit_report.CSV_HEADER)
    rows = parsed(data)
    expected = db.read(conn, "SELECT id FROM audit_log WHERE username = 'desk' AND occurred_at >= ? AND"
                             " occurred_at < ? ORDER BY occurred_at DESC, id DESC", [DAY["since"], DAY["until"]])
    assert [int(r["id"]) for r in rows] == [i for (i,) in expected]
    assert len(rows) == audit_report.search(conn, **DAY, user="desk")[1] == 9


def test_the_csv_gives_each_time_in_utc_and_in_the_clinic_zone(conn, scene):
    settings.set_many(conn, {"timezone": "America/New_York"}, by="test")
    rows = parsed(audit_report.to_csv(conn, {"since": DAY["since"], "until": DAY["until"], "user": "doc",
                                             "action": "patient.view"}))
    assert [(r["occurred_at_utc"], r["occurred_at_local"]) for r in rows] == [
        ("2026-03-02T16:00:00Z", "2026-03-02T11:00:00-05:00")]
    assert (rows[0]["role"], rows[0]["patient"]) == ("clinician", "Ames, Alex")


def test_csv_cells_a_spreadsheet_would_run_as_formulas_stay_text(conn, scene):
    typed = "=HYPERLINK(\"http://evil.example\",\"x\")"
    write(conn, typed, "auth.sign_in_failed", outcome="failure", at=T0)
    (row,) = parsed(audit_report.to_csv(conn, audit_report.Filters(**DAY, user=typed)))
    assert row["username"] == "'" + typed


def test_a_csv_for_an_account_that_may_not_export_is_refused(conn, scene):
    with pytest.raises(NotAllowed):
        audit_report.to_csv(conn, audit_report.Filters(**DAY), by=scene["desk"])


# --- who looked ---------------------------------------------------------------------------------


def test_who_looked_lists_every_view_download_and_print_of_the_record_by_anyone(conn, scene):
    ann = scene["ann"]
    billing = account(conn, make_user(conn, username="bill", role="billing"))
    patients.record_view(conn, ann, by=scene["desk"])
    patients.record_view(conn, ann, by=scene["doc"])
    audit_report.record_download(conn, "statement_pdf", by=billing, category="billing", entity="patient",
                                 entity_id=ann)
    write(conn, scene["desk"], "patient.update", patient_id=ann)  # a change, not a look
    patients.record_view(conn, scene["bob"], by=scene["doc"])  # another record
    audit_report.record_who_looked(conn, ann, by=account(conn, make_user(conn, role="manager")))  # the audit's own

    looked = audit_report.who_looked(conn, ann)
    newest = [(r.username, r.role, r.action, r.outcome) for r in looked[:3]]
    assert newest == [("bill", "billing", "export.statement_pdf", "success"),
                      ("doc", "clinician", "patient.view", "success"),
                      ("desk", "front_desk", "patient.view", "success")]
    # and the two views of the scene, oldest last; each with its time, newest first
    assert [r.id for r in looked[3:]] == [scene["ids"]["doc_views_ann"], scene["ids"]["desk_views_ann"]]
    times = [r.occurred_at for r in looked]
    assert times == sorted(times, reverse=True) and all(t.tzinfo is not None for t in times)
    assert {r.action for r in looked} == {"patient.view", "export.statement_pdf"}


def test_who_looked_includes_views_of_a_duplicate_merged_into_the_record(conn, scene):
    ann, duplicate = scene["ann"], make_patient(conn, last_name="Ames")
    patients.record_view(conn, duplicate, by=scene["doc"])
    conn.cursor().execute("UPDATE patients SET merged_into = ?, status = 'merged' WHERE id = ?", [ann, duplicate])
    assert duplicate in {r.patient_id for r in audit_report.who_looked(conn, ann)}
    rows, _ = audit_report.search(conn, since=None, until=None, patient_id=ann, user="doc")
    assert duplicate in {r.patient_id for r in rows}


# --- reading and exporting are audited ----------------------------------------------------------


def test_reading_the_report_writes_an_audit_read_row_saying_what_was_asked(conn, scene):
    manager = account(conn, make_user(conn, username="boss", role="manager"))
    filters = audit_report.Filters(**DAY, user="doc", patient_id=scene["ann"])
    audit_report.record_read(conn, filters, by=manager, sort="oldest", page=2)

    (row,) = db.read(conn, "SELECT username, role, action, category, outcome, patient_id, detail FROM audit_log"
                           " WHERE action = 'audit.read'")
    assert row[:6] == ("boss", "manager", "audit.read", "security", "success", scene["ann"])
    assert json.loads(row[6]) == {"since": DAY["since"].isoformat(), "until": DAY["until"].isoformat(),
                                  "user": "doc", "patient_id": scene["ann"], "sort": "oldest", "page": 2}


def test_exporting_the_report_writes_an_audit_export_row_with_its_row_count(conn, scene):
    admin = account(conn, make_user(conn, username="root", role="admin"))
    audit_report.record_export(conn, audit_report.Filters(**DAY, user="desk"), by=admin)
    (row,) = db.read(conn, "SELECT username, role, category, detail FROM audit_log WHERE action = 'audit.export'")
    assert row[:3] == ("root", "admin", "security")
    assert json.loads(row[3])["rows"] == 3


@pytest.mark.parametrize("role", ["front_desk", "billing", "clinician"])
def test_a_role_that_may_not_read_the_trail_is_refused_and_the_refusal_is_recorded(conn, scene, role):
    someone = account(conn, make_user(conn, role=role))
    with pytest.raises(NotAllowed):
        audit_report.record_read(conn, audit_report.Filters(**DAY), by=someone)
    with pytest.raises(NotAllowed):
        audit_report.record_export(conn, audit_report.Filters(**DAY), by=someone)
    rows = db.read(conn, "SELECT action, outcome, role FROM audit_log WHERE username = ? AND action LIKE 'audit.%'"
                         " ORDER BY id", [someone.username])
    assert rows == [("audit.read", "refused", role), ("audit.export", "refused", role)]


def test_a_download_of_an_appointment_names_its_patient(conn, scene):
    appointment = make_appointment(conn, patient_id=scene["bob"])
    audit_report.record_download(conn, "appointment_ics", by=scene["desk"], category="scheduling",
                                 entity="appointment", entity_id=appointment)
    (row,) = db.read(conn, "SELECT patient_id, category, role FROM audit_log WHERE action = 'export.appointment_ics'")
    assert row == (scene["bob"], "scheduling", "front_desk")


def test_a_deactivated_account_cannot_leave_a_download_row_as_if_it_were_active(conn, scene):
    conn.cursor().execute("UPDATE users SET active = false WHERE id = ?", [scene["desk"].id])
    with pytest.raises(NotAllowed):
        audit_report.record_download(conn, "invoice_pdf", by=scene["desk"], category="billing")
    assert db.read(conn, "SELECT outcome FROM audit_log WHERE action = 'export.invoice_pdf'") == [("refused",)]


# --- the filters' choices -----------------------------------------------------------------------


def test_the_user_choices_are_every_account_and_every_other_name_in_the_trail(conn, scene):
    write(conn, "manage.py", "backup.create")
    names = dict(audit_report.users(conn))
    assert names["desk"] == "Dana Desk" and names["doc"] == "Dr. Lee"
    assert "manage.py" in names and names["manage.py"] is None
    assert list(names) == sorted(names)


def test_the_action_choices_are_the_actions_in_the_trail(conn, scene):
    assert {"patient.view", "note.create", "invoice.finalize", "auth.sign_in_failed"} <= set(audit_report.actions(conn))
    assert set(audit_report.categories()) >= {"clinical", "security"} and "refused" in audit_report.outcomes()
