"""The patient file through the real app: finding a patient, the audited opening, the header's
alerts, documents, the call log, visit notes and merging a duplicate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from fpdf import FPDF

import db
from components.text import md
from tests.conftest import SEED_TODAY, make_appointment, make_patient, user_id_for, query, database

NAV_KEY = "_nav_patient_id"  # components.nav: the patient another page asks the file to open


@dataclass(frozen=True)
class Seeded:
    """A seeded patient as the database has them (names and MRNs are generated: never assumed)."""

    id: int
    mrn: str
    first: str
    last: str
    dob: date
    phone: str  # E.164, +1 and ten digits
    allergies: str
    payer: str
    member_id: str
    group_number: str

    @property
    def local_phone(self) -> tuple[str, str, str]:
        digits = self.phone.removeprefix("+1")
        return digits[:3], digits[3:6], digits[6:]


def the_patient(path: Path) -> Seeded:
    """The seeded patient these tests open: one with everything the file shows (an allergy, a
    commercial plan, a document, a signed note, a completed visit still without a note, a mobile
    phone, no intake changes yet), with plain names and IDs so what is shown reads as stored."""
    row = query(path, """
        SELECT p.id, p.mrn, p.first_name, p.last_name, p.date_of_birth, p.phone_mobile, p.allergies,
               y.name, i.member_id, i.group_number
        FROM patients p
        JOIN patient_insurance i ON i.patient_id = p.id AND i.rank = 1 AND i.active
        JOIN payers y ON y.id = i.payer_id AND y.kind = 'commercial'
        WHERE p.status = 'active' AND p.preferred_name IS NULL AND regexp_full_match(p.phone_mobile, '[+]1[0-9]{10}')
          AND regexp_full_match(p.first_name || p.last_name, '[A-Za-z]+')
          AND regexp_full_match(p.allergies, '[A-Za-z ]+')
          AND regexp_full_match(i.member_id || i.group_number, '[A-Za-z0-9]+')
          AND EXISTS (SELECT 1 FROM documents d WHERE d.patient_id = p.id)
          AND EXISTS (SELECT 1 FROM visit_notes n WHERE n.patient_id = p.id AND n.signed_at IS NOT NULL)
          AND EXISTS (SELECT 1 FROM appointments a LEFT JOIN visit_notes n ON n.appointment_id = a.id
                      WHERE a.patient_id = p.id AND a.status = 'completed' AND n.id IS NULL)
          AND NOT EXISTS (SELECT 1 FROM patient_changes c WHERE c.patient_id = p.id)
        ORDER BY p.id LIMIT 1""")
    assert row, "the seeded database has a patient with a full file"
    return Seeded(*row[0])


def another_patient(path: Path, besides: int) -> Seeded:
    """Another seeded patient (any active one with a plain name), to switch to."""
    (pid,) = query(path, "SELECT id FROM patients WHERE status = 'active' AND id <> ?"
                         " AND regexp_full_match(first_name || last_name, '[A-Za-z]+') ORDER BY id LIMIT 1",
                   [besides])[0]
    first, last, mrn = query(path, "SELECT first_name, last_name, mrn FROM patients WHERE id = ?", [pid])[0]
    return Seeded(pid, mrn, first, last, date.min, "", "", "", "", "")


def patient_id(path: Path) -> int:
    return the_patient(path).id


def other_patient_id(path: Path) -> int:
    return another_patient(path, the_patient(path).id).id


def open_patients(signed_in, role="front_desk", patient=None):
    at = signed_in(role)
    if patient is not None:
        at.session_state[NAV_KEY] = patient
    at.run()
    at.switch_page("pages/patients.py").run()
    assert not at.exception, at.exception
    return at


def search(at, text: str):
    at.text_input(key="patient_find").input(text).run()
    assert not at.exception, at.exception
    return at


def result_ids(at) -> set[int]:
    return {int(b.key.rsplit("_", 1)[1]) for b in at.button if b.key and b.key.startswith("patient_find_pick_")}


def tab(at, label: str):
    return next(t for t in at.tabs if t.label == label)


def small_pdf(text: str = "Referral") -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


# --- finding a patient ---------------------------------------------------------------------------


@pytest.mark.parametrize("typed", [
    lambda p: f"{p.last.lower()} {p.first[:3].lower()}",  # "brooks dan"
    lambda p: f"{p.first[:3]} {p.last}",  # "Dan Brooks"
    lambda p: f"{p.last.upper()}, {p.first.lower()}",  # "BROOKS, daniel"
    lambda p: p.mrn,
    lambda p: "({}) {}-{}".format(*p.local_phone),  # "(347) 555-0134"
    lambda p: "{}.{}.{}".format(*p.local_phone),  # "347.555.0134"
    lambda p: f"{p.dob:%m/%d/%Y}",
], ids=["last-first", "first-prefix-last", "last-comma-first", "mrn", "phone", "phone-dots", "birth-date"])
def test_a_patient_is_found_by_name_in_either_order_mrn_phone_or_birth_date(signed_in, app_env, typed):
    patient = the_patient(app_env)
    at = search(open_patients(signed_in), typed(patient))
    assert patient.id in result_ids(at)


def test_accents_are_ignored_when_searching(signed_in, app_env, seeded_path):
    with database(seeded_path) as conn:
        zoe = make_patient(conn, first_name="Zoë", last_name="Ångström")
    at = search(open_patients(signed_in), "angstrom zoe")
    assert result_ids(at) == {zoe}


def test_a_search_that_matches_nobody_says_so(signed_in):
    at = search(open_patients(signed_in), "Nobodyhasthisname")
    assert not result_ids(at)
    assert any("No active patient matches" in c.value for c in at.caption)


def test_opening_a_patient_shows_their_file_and_empties_the_search(signed_in, app_env):
    patient = the_patient(app_env)
    pid = patient.id
    at = search(open_patients(signed_in), f"{patient.last.lower()} {patient.first[:3].lower()}")
    at.button(key=f"patient_find_pick_{pid}").click().run()
    assert not at.exception
    assert [h.value for h in at.header] == [f"{patient.last}, {patient.first}"]
    assert at.text_input(key="patient_find").value == ""
    assert not result_ids(at)


# --- opening is audited --------------------------------------------------------------------------


def views_of(path: Path, pid: int) -> int:
    return query(path, "SELECT count(*) FROM audit_log WHERE action = 'patient.view' AND patient_id = ?", [pid])[0][0]


def test_opening_a_file_writes_one_view_audit_row_however_often_the_page_reruns(signed_in, app_env):
    patient = the_patient(app_env)
    pid = patient.id
    at = search(open_patients(signed_in), patient.mrn)
    at.button(key=f"patient_find_pick_{pid}").click().run()
    at.run()
    at.text_input(key=f"msg_subject_{pid}").input("typing something").run()
    at.run()
    assert not at.exception
    assert views_of(app_env, pid) == 1
    rows = query(app_env, "SELECT username, entity, entity_id FROM audit_log WHERE action = 'patient.view'")
    assert rows == [("frontdesk", "patient", str(pid))]


def test_closing_and_opening_the_file_again_is_a_second_view(signed_in, app_env):
    pid = patient_id(app_env)
    at = open_patients(signed_in, patient=pid)
    at.button(key="pf_close").click().run()
    assert not at.header
    assert any("Find a patient" in i.value for i in at.info)
    search(at, the_patient(app_env).mrn).button(key=f"patient_find_pick_{pid}").click().run()
    assert views_of(app_env, pid) == 2


def test_another_page_can_open_a_file_directly(signed_in, app_env):
    other = another_patient(app_env, patient_id(app_env))
    pid = other.id
    at = open_patients(signed_in, patient=pid)
    assert [h.value for h in at.header] == [f"{other.last}, {other.first}"]
    assert views_of(app_env, pid) == 1


def open_address(signed_in, patient: str, role="front_desk"):
    """The Patients page opened at ``/patients?patient=<patient>`` (a link, a bookmark, a refresh)."""
    at = signed_in(role)
    at.run()
    at.query_params["patient"] = patient
    at.switch_page("pages/patients.py").run()
    assert not at.exception, at.exception
    return at


def test_an_address_naming_a_patient_opens_their_file_and_the_opening_is_audited(signed_in, app_env):
    other = another_patient(app_env, patient_id(app_env))
    pid = other.id
    at = open_address(signed_in, str(pid), role="clinician")
    assert [h.value for h in at.header] == [f"{other.last}, {other.first}"]
    assert query(app_env, "SELECT username FROM audit_log WHERE action = 'patient.view' AND patient_id = ?",
                 [pid]) == [("doctor",)]
    at.run()
    assert views_of(app_env, pid) == 1, "a rerun is not a second opening"


def test_the_address_follows_the_open_file_so_a_refresh_keeps_it(signed_in, app_env):
    patient = the_patient(app_env)
    pid = patient.id
    at = open_patients(signed_in)
    assert "patient" not in at.query_params
    search(at, patient.mrn).button(key=f"patient_find_pick_{pid}").click().run()
    assert at.query_params.get("patient") == str(pid)
    second = another_patient(app_env, pid)
    other = second.id
    search(at, second.mrn).button(key=f"patient_find_pick_{other}").click().run()
    assert at.query_params.get("patient") == str(other)
    assert [h.value for h in at.header] == [f"{second.last}, {second.first}"]
    at.button(key="pf_close").click().run()
    assert "patient" not in at.query_params and not at.header


def test_a_file_opened_by_another_page_gets_its_address_too(signed_in, app_env):
    pid = other_patient_id(app_env)
    at = open_patients(signed_in, patient=pid)
    assert at.query_params.get("patient") == str(pid)


@pytest.mark.parametrize("asked, message", [("999999", "There is no patient number 999999"),
                                            ("12abc", "which is not a patient number")])
def test_an_address_naming_no_patient_says_so_and_opens_nothing(signed_in, app_env, asked, message):
    at = open_address(signed_in, asked)
    assert [w.value for w in at.warning if message in w.value], [w.value for w in at.warning]
    assert not at.header and not at.tabs
    assert query(app_env, "SELECT count(*) FROM audit_log WHERE action = 'patient.view'") == [(0,)]


def test_an_address_naming_a_merged_record_points_to_the_one_that_survived(signed_in, seeded_path):
    with database(seeded_path) as conn:
        from db import patient_merge

        keep, gone = make_patient(conn, first_name="Kept"), make_patient(conn)
        patient_merge.merge(conn, survivor_id=keep, merged_id=gone, by="test")
    at = open_address(signed_in, str(gone))
    assert any("was merged into another record" in w.value for w in at.warning)
    assert not at.header
    at.button(key="pf_open_survivor").click().run()
    assert at.query_params.get("patient") == str(keep)
    assert at.header and "Kept" in at.header[0].value


# --- the header ----------------------------------------------------------------------------------


def test_the_header_shows_allergies_age_mrn_phone_insurance_and_no_shows(signed_in, app_env):
    patient = the_patient(app_env)
    pid = patient.id
    at = open_patients(signed_in, patient=pid)
    assert [e.value for e in at.error] == [f"**Allergies:** {patient.allergies}"]
    facts = at.markdown[0].value
    # The clinic clock's today is SEED_TODAY: the age the way people count it, on that day.
    dob = patient.dob
    age = SEED_TODAY.year - dob.year - ((SEED_TODAY.month, SEED_TODAY.day) < (dob.month, dob.day))
    assert f"**{age} years**" in facts and f"DOB {dob:%m/%d/%Y}" in facts and f"MRN **{patient.mrn}**" in facts
    assert "\\({}\\) {}\\-{}".format(*patient.local_phone) in facts  # "(347) 555-0134", Markdown-escaped
    shown = " ".join(m.value for m in at.markdown)
    assert f"**{patient.payer}** (Commercial) · member {patient.member_id} · group {patient.group_number}" in shown
    no_shows = query(app_env, "SELECT count(*) FROM appointments WHERE patient_id = ? AND status = 'no_show'",
                     [pid])[0][0]
    assert f":orange[**{no_shows}**]" in shown
    assert not [m for m in at.markdown if "balance" in m.value.lower()], "no made-up balance before billing exists"


def test_a_patient_without_allergies_gets_no_alarm(signed_in, seeded_path):
    with database(seeded_path) as conn:
        pid = make_patient(conn)
    at = open_patients(signed_in, patient=pid)
    assert not at.error
    assert any("No allergies recorded" in c.value for c in at.caption)


def test_names_typed_with_markdown_or_html_are_shown_as_typed(signed_in, seeded_path):
    with database(seeded_path) as conn:
        pid = make_patient(conn, first_name="<b>Zed</b>", last_name="*Star* [x](y)")
    at = open_patients(signed_in, patient=pid)
    assert at.header[0].value == "\\*Star\\* \\[x\\]\\(y\\), \\<b\\>Zed\\</b\\>"


def test_edit_intake_is_offered_to_the_front_desk_and_opens_the_intake_form(signed_in, app_env):
    pid = patient_id(app_env)
    billing = open_patients(signed_in, "billing", patient=pid)
    assert not [b for b in billing.button if b.key == "pf_edit_intake"]
    at = open_patients(signed_in, patient=pid)
    at.button(key="pf_edit_intake").click().run()
    assert not at.exception
    # The intake page (another screen) is showing now.
    assert not [b for b in at.button if b.key == "pf_edit_intake"]
    assert at.title and at.title[0].value != "Patients"


# --- appointments --------------------------------------------------------------------------------


def test_the_appointments_tab_lists_every_visit_with_its_status_label(signed_in, app_env):
    pid = patient_id(app_env)
    at = open_patients(signed_in, patient=pid)
    table = tab(at, "Appointments").dataframe[0].value
    count = query(app_env, "SELECT count(*) FROM appointments WHERE patient_id = ?", [pid])[0][0]
    assert len(table) == count
    assert set(table["status"]) <= {"Scheduled", "Confirmed", "Checked in", "Completed", "No-show", "Cancelled"}
    assert "Completed" in set(table["status"])


# --- documents -----------------------------------------------------------------------------------


def upload(at, pid: int, name: str, content: bytes, category: str | None = "referral", note: str = ""):
    (uploader,) = at.file_uploader
    uploader.upload(name, content, "application/pdf")
    if category:
        at.selectbox(key=f"doc_category_{pid}").select(category)
    at.text_input(key=f"doc_note_{pid}").input(note)
    next(b for b in at.button if b.label == "File document").click()
    at.run()
    assert not at.exception, at.exception
    return at


def documents_of(path: Path, pid: int) -> list[tuple]:
    return query(path, "SELECT filename, category, note, size_bytes, content FROM documents WHERE patient_id = ?"
                       " ORDER BY id", [pid])


@pytest.fixture
def media_managers(monkeypatch):
    """The media file managers AppTest makes for its runs (it drops its runtime after each run):
    the way to click a download button as the browser does and get the bytes it serves."""
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.testing.v1 import app_test as app_test_module

    made = []

    class Recording(MediaFileManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(app_test_module, "MediaFileManager", Recording)
    return made


def download_bytes(manager, button) -> bytes:
    """What the browser receives when it clicks ``button``: its deferred callable runs now."""
    url = manager.execute_deferred(button.proto.deferred_file_id)
    return manager.read_file(url.rsplit("/", 1)[1]).content


def test_a_pdf_is_filed_listed_and_downloaded_byte_for_byte(signed_in, seeded_path, media_managers):
    with database(seeded_path) as conn:
        pid = make_patient(conn)
    content = small_pdf("Referral to physiotherapy")
    at = upload(open_patients(signed_in, patient=pid), pid, "referral.pdf", content, note="Front *and* back")
    stored = documents_of(seeded_path, pid)
    assert [r[:4] for r in stored] == [("referral.pdf", "referral", "Front *and* back", len(content))]
    assert bytes(stored[0][4]) == content
    docs = tab(at, "Documents")
    assert any(f"Filed “{md('referral.pdf')}” as referral." in s.value for s in docs.success)
    assert any(m.value.startswith("referral\\.pdf") for m in docs.markdown)
    assert any(m.value == "Front \\*and\\* back" for m in docs.markdown)
    # Listing a document does not read it; only a download does, and it is audited.
    downloads = "SELECT count(*) FROM audit_log WHERE action = 'document.download' AND patient_id = ?"
    assert query(seeded_path, downloads, [pid])[0][0] == 0
    assert [b.label for b in docs.download_button] == ["Download"]
    assert download_bytes(media_managers[-1], docs.download_button[0]) == content
    assert query(seeded_path, downloads, [pid])[0][0] == 1
    # The uploader starts empty for the next document.
    # The form is blank for the next document.
    assert at.file_uploader(key=f"doc_file_{pid}_1").value is None
    assert at.text_input(key=f"doc_note_{pid}").value == ""
    assert at.selectbox(key=f"doc_category_{pid}").value is None


def test_a_text_file_renamed_pdf_is_refused_next_to_the_uploader_and_nothing_is_stored(signed_in, seeded_path):
    with database(seeded_path) as conn:
        pid = make_patient(conn)
    at = upload(open_patients(signed_in, patient=pid), pid, "scan.pdf", b"just some text, not a PDF", note="keep me")
    assert any("Only PDF, PNG or JPEG files can be filed" in e.value for e in tab(at, "Documents").error)
    assert documents_of(seeded_path, pid) == []
    assert at.text_input(key=f"doc_note_{pid}").value == "keep me", "what was typed stays"


def test_the_same_file_twice_is_recognised(signed_in, seeded_path):
    with database(seeded_path) as conn:
        pid = make_patient(conn)
    content = small_pdf("Lab report")
    at = upload(open_patients(signed_in, patient=pid), pid, "lab.pdf", content, category="lab_report")
    at = upload(at, pid, "lab-again.pdf", content, category="lab_report")
    assert any("already in the patient's documents" in e.value for e in tab(at, "Documents").error)
    assert len(documents_of(seeded_path, pid)) == 1


def test_a_document_needs_a_file_and_a_category(signed_in, seeded_path):
    with database(seeded_path) as conn:
        pid = make_patient(conn)
    at = open_patients(signed_in, patient=pid)
    next(b for b in at.button if b.label == "File document").click()
    at.run()
    assert "Choose a file to upload." in [e.value for e in tab(at, "Documents").error]
    at = upload(at, pid, "referral.pdf", small_pdf(), category=None)
    assert "Choose a category." in [e.value for e in tab(at, "Documents").error]
    assert documents_of(seeded_path, pid) == []


def test_billing_sees_documents_but_cannot_file_them(signed_in, app_env):
    at = open_patients(signed_in, "billing", patient=patient_id(app_env))
    docs = tab(at, "Documents")
    assert docs.download_button
    assert not at.file_uploader
    assert any("cannot file documents" in c.value for c in docs.caption)


# --- messages and calls --------------------------------------------------------------------------


def test_a_refill_request_is_routed_to_the_clinicians(signed_in, app_env):
    pid = patient_id(app_env)
    at = open_patients(signed_in, patient=pid)
    at.selectbox(key=f"msg_type_{pid}").select("refill").run()
    assert any("Goes to: **Clinician**" in c.value for c in tab(at, "Messages and calls").caption)
    at.text_input(key=f"msg_subject_{pid}").input("Refill of lisinopril")
    at.text_area(key=f"msg_body_{pid}").input("Pharmacy on Main St.")
    at.button(key="msg_log").click().run()
    assert not at.exception
    rows = query(app_env, "SELECT request_type, subject, body, status, assignee_role, assignee_user FROM messages"
                          " WHERE patient_id = ? AND subject = 'Refill of lisinopril'", [pid])
    assert rows == [("refill", "Refill of lisinopril", "Pharmacy on Main St.", "open", "clinician", None)]
    table = tab(at, "Messages and calls").dataframe[0].value
    logged = table[table["type"] == "Prescription refill request"]
    assert list(logged["assignee"]) == ["Clinician"]
    # The front desk took the call; what a clinical request says is for the clinicians to read.
    assert list(logged["subject"]) == ["(clinical: not shown to your role)"]
    assert "lisinopril" not in table.to_csv()
    assert at.text_input(key=f"msg_subject_{pid}").value == "", "the form is empty for the next call"


def test_a_message_can_be_assigned_to_a_person_with_a_due_date(signed_in, app_env):
    pid = patient_id(app_env)
    billing_id = user_id_for(app_env, "billing")
    at = open_patients(signed_in, patient=pid)
    at.selectbox(key=f"msg_channel_{pid}").select("email")
    at.selectbox(key=f"msg_type_{pid}").select("billing")
    at.selectbox(key=f"msg_state_{pid}").select("waiting")
    at.selectbox(key=f"msg_assignee_{pid}").select(f"user:{billing_id}")
    due = SEED_TODAY + timedelta(days=30)
    at.date_input(key=f"msg_due_{pid}").set_value(due)
    at.text_input(key=f"msg_subject_{pid}").input("Copay charged twice")
    at.button(key="msg_log").click().run()
    rows = query(app_env, "SELECT channel, status, assignee_user, assignee_role, due_on FROM messages"
                          " WHERE subject = 'Copay charged twice'")
    assert rows == [("email", "waiting", billing_id, None, due)]


def test_a_message_without_a_subject_is_refused_next_to_the_field(signed_in, app_env):
    pid = patient_id(app_env)
    before = query(app_env, "SELECT count(*) FROM messages")[0][0]
    at = open_patients(signed_in, patient=pid)
    at.text_area(key=f"msg_body_{pid}").input("Called about something")
    at.button(key="msg_log").click().run()
    assert "Enter a short subject." in [e.value for e in tab(at, "Messages and calls").error]
    assert at.text_area(key=f"msg_body_{pid}").value == "Called about something"
    assert query(app_env, "SELECT count(*) FROM messages")[0][0] == before


def test_an_account_deactivated_while_the_file_is_open_cannot_log_anything(signed_in, app_env):
    pid = patient_id(app_env)
    at = open_patients(signed_in, patient=pid)
    at.text_input(key=f"msg_subject_{pid}").input("Sneaky entry")
    with database(app_env) as conn:
        conn.execute("UPDATE users SET active = FALSE WHERE username = 'frontdesk'")
    at.button(key="msg_log").click().run()
    assert not at.exception
    assert query(app_env, "SELECT count(*) FROM messages WHERE subject = 'Sneaky entry'") == [(0,)]
    assert at.text_input(key="login_username"), "the sign-in form is shown instead"


# --- visit notes ---------------------------------------------------------------------------------


def test_the_front_desk_and_billing_see_no_notes_tab_and_the_clinician_no_billing_tab(signed_in, app_env):
    pid = patient_id(app_env)
    for role in ("front_desk", "billing"):
        at = open_patients(signed_in, role, patient=pid)
        assert [t.label for t in at.tabs] == ["Appointments", "Billing", "Documents", "Messages and calls",
                                              "Intake history"]
        assert not any("Seen for" in m.value for m in at.markdown)
    at = open_patients(signed_in, "clinician", patient=pid)
    assert "Billing" not in [t.label for t in at.tabs]
    assert "Notes" in [t.label for t in at.tabs]


def test_the_manager_reads_notes_but_cannot_write_them(signed_in, app_env):
    at = open_patients(signed_in, "manager", patient=patient_id(app_env))
    notes_tab = tab(at, "Notes")
    assert any(":green-badge[:material/verified: Signed" in m.value for m in notes_tab.markdown)
    assert not notes_tab.text_area


def test_the_doctor_writes_a_draft_signs_it_and_then_can_only_add_an_addendum(signed_in, app_env):
    pid = patient_id(app_env)
    # A completed visit of this patient that has no note yet.
    visit = query(app_env, "SELECT a.id FROM appointments a LEFT JOIN visit_notes n ON n.appointment_id = a.id"
                           " WHERE a.patient_id = ? AND a.status = 'completed' AND n.id IS NULL"
                           " ORDER BY a.start_at DESC LIMIT 1", [pid])[0][0]
    at = open_patients(signed_in, "clinician", patient=pid)
    at.selectbox(key=f"note_visit_{pid}").select(visit).run()
    at.text_area(key=f"note_body_{visit}").input("Knee pain.\nNo swelling; **bold** stays as typed.")
    at.button(key="note_save").click().run()
    assert not at.exception
    assert query(app_env, "SELECT body, signed_at FROM visit_notes WHERE appointment_id = ?", [visit]) == [
        ("Knee pain.\nNo swelling; **bold** stays as typed.", None)]
    assert any("Draft saved." in s.value for s in tab(at, "Notes").success)
    assert any(":orange-badge" in m.value and "Draft" in m.value for m in tab(at, "Notes").markdown)

    at.text_area(key=f"note_body_{visit}").input("Knee pain.\nNo swelling.")
    at.button(key="note_sign").click().run()
    assert not at.exception
    (note_id, body, signed_at), = query(app_env, "SELECT id, body, signed_at FROM visit_notes WHERE appointment_id = ?",
                                        [visit])
    assert body == "Knee pain.\nNo swelling." and signed_at is not None
    # Signed: the text is read-only, there is no save or sign button, and an addendum box is offered.
    assert at.text_area(key=f"note_signed_{note_id}").disabled
    assert at.text_area(key=f"note_signed_{note_id}").value == "Knee pain.\nNo swelling."
    assert not [b for b in at.button if b.key in ("note_save", "note_sign")]
    at.text_area(key=f"addendum_{note_id}").input("X-ray normal.")
    at.button(key="note_addendum").click().run()
    assert not at.exception
    assert query(app_env, "SELECT body FROM note_addenda WHERE note_id = ?", [note_id]) == [("X-ray normal.",)]
    assert any("X\\-ray normal\\." in m.value and "Addendum" in m.value for m in tab(at, "Notes").markdown)


def test_an_empty_note_is_refused_next_to_the_note(signed_in, app_env):
    pid = patient_id(app_env)
    visit = query(app_env, "SELECT a.id FROM appointments a LEFT JOIN visit_notes n ON n.appointment_id = a.id"
                           " WHERE a.patient_id = ? AND a.status = 'completed' AND n.id IS NULL LIMIT 1", [pid])[0][0]
    at = open_patients(signed_in, "clinician", patient=pid)
    at.selectbox(key=f"note_visit_{pid}").select(visit).run()
    at.button(key="note_sign").click().run()
    assert "Write the note before saving it." in [e.value for e in tab(at, "Notes").error]
    assert query(app_env, "SELECT count(*) FROM visit_notes WHERE appointment_id = ?", [visit]) == [(0,)]


# --- intake history ------------------------------------------------------------------------------


def test_the_intake_history_shows_what_changed_and_who_changed_it(signed_in, app_env):
    from db import patient_intake, patients, users

    pid = patient_id(app_env)
    with database(app_env) as conn:
        clerk = users.get(conn, user_id_for(app_env, "frontdesk"))
        record = patients.get_full(conn, pid)
        patient_intake.update(conn, pid, {**record.as_dict(), "preferred_name": "Dan"}, seen_version=record.version,
                              by=clerk)
    at = open_patients(signed_in, patient=pid)
    table = tab(at, "Intake history").dataframe[0].value
    assert list(table["field"]) == ["Preferred name"]
    assert list(table["new"]) == ["Dan"] and list(table["by"]) == ["Maya Torres"]


# --- merging -------------------------------------------------------------------------------------


def test_the_manager_merges_a_duplicate_and_its_appointments_move(signed_in, seeded_path):
    with database(seeded_path) as conn:
        keep = make_patient(conn, first_name="Duplicate", last_name="Keeper", date_of_birth=date(1970, 5, 5))
        other = make_patient(conn, first_name="Duplicat", last_name="Keeper", date_of_birth=date(1970, 5, 5))
        for hour in (14, 15):
            make_appointment(conn, patient_id=other, status="completed",
                             start_at=datetime(2026, 1, 5, hour, tzinfo=timezone.utc))
        other_mrn = db.read(conn, "SELECT mrn FROM patients WHERE id = ?", [other])[0][0]
    at = open_patients(signed_in, "manager", patient=keep)
    at.text_input(key=f"merge_find_{keep}").input(other_mrn).run()
    at.button(key=f"merge_find_{keep}_pick_{other}").click().run()
    assert not at.exception
    sides = " ".join(m.value for m in at.markdown)
    assert "Keep: this record" in sides and "Merge in: the duplicate" in sides and "2 appointments" in sides
    assert at.button(key="merge_go").disabled, "nothing happens before the confirmation"
    at.checkbox(key=f"merge_confirm_{keep}_{other}").check().run()
    at.button(key="merge_go").click().run()
    assert not at.exception
    assert query(seeded_path, "SELECT count(*) FROM appointments WHERE patient_id = ?", [keep]) == [(2,)]
    assert query(seeded_path, "SELECT count(*) FROM appointments WHERE patient_id = ?", [other]) == [(0,)]
    assert query(seeded_path, "SELECT status, merged_into FROM patients WHERE id = ?", [other]) == [("merged", keep)]
    assert any(f"Merged MRN {other_mrn} into this record" in s.value for s in at.success)
    assert len(tab(at, "Appointments").dataframe[0].value) == 2


def test_only_the_manager_and_admin_can_merge(signed_in, app_env):
    pid = patient_id(app_env)
    for role, offered in (("front_desk", False), ("clinician", False), ("manager", True), ("admin", True)):
        at = open_patients(signed_in, role, patient=pid)
        assert bool([e for e in at.expander if e.label == "Merge a duplicate record into this one"]) is offered, role


def test_a_merged_record_points_to_the_one_that_survived(signed_in, seeded_path):
    with database(seeded_path) as conn:
        from db import patient_merge

        keep, gone = make_patient(conn), make_patient(conn)
        patient_merge.merge(conn, survivor_id=keep, merged_id=gone, by="test")
    at = open_patients(signed_in, patient=gone)
    assert any("was merged into another record" in w.value for w in at.warning)
    assert not at.header
    at.button(key="pf_open_survivor").click().run()
    assert at.session_state[NAV_KEY] == keep
    assert at.header


# --- the acting account, the due-date rule and shared drafts ----------------------------------


@pytest.fixture
def clock():
    """Set the clinic clock (the app runs in this process); back to the real clock afterwards."""
    from clinic import timeutil

    yield timeutil.set_clock
    timeutil.set_clock(None)


def test_a_front_desk_user_deactivated_while_the_file_is_open_cannot_download_a_document(signed_in, seeded_path,
                                                                                          media_managers):
    from streamlit.runtime.media_file_storage import MediaFileStorageError

    from db import documents, users

    with database(seeded_path) as conn:
        pid = make_patient(conn)
        documents.add(conn, patient_id=pid, filename="insurance-card.pdf", content=small_pdf("Card"),
                      category="insurance_card", doc_date=date(2026, 3, 1), by="test")
    at = open_patients(signed_in, patient=pid)
    button = tab(at, "Documents").download_button[0]
    with database(seeded_path) as conn:
        users.set_active(conn, user_id_for(seeded_path, "frontdesk"), False, by="test")
    with pytest.raises(MediaFileStorageError, match="no longer active"):
        download_bytes(media_managers[-1], button)
    assert query(seeded_path, "SELECT count(*) FROM audit_log WHERE action = 'document.download'") == [(0,)]


def test_the_files_message_form_refuses_a_due_date_that_has_passed(signed_in, app_env, clock):
    clock(datetime(2026, 3, 2, 21, 0, tzinfo=timezone.utc))  # Monday 16:00 in New York
    pid = patient_id(app_env)
    before = query(app_env, "SELECT count(*) FROM messages")[0][0]
    at = open_patients(signed_in, patient=pid)
    at.text_input(key=f"msg_subject_{pid}").input("Call the lab back")
    at.date_input(key=f"msg_due_{pid}").set_value(date(2026, 3, 2)).run()
    clock(datetime(2026, 3, 3, 14, 0, tzinfo=timezone.utc))  # the file was left open overnight
    at.button(key="msg_log").click().run()
    assert not at.exception
    assert "The due date is in the past." in [e.value for e in tab(at, "Messages and calls").error]
    assert query(app_env, "SELECT count(*) FROM messages")[0][0] == before
    assert at.text_input(key=f"msg_subject_{pid}").value == "Call the lab back"


def a_completed_visit_without_a_note(path, pid: int) -> int:
    return query(path, "SELECT a.id FROM appointments a LEFT JOIN visit_notes n ON n.appointment_id = a.id"
                       " WHERE a.patient_id = ? AND a.status = 'completed' AND n.id IS NULL"
                       " ORDER BY a.start_at DESC LIMIT 1", [pid])[0][0]


def test_a_colleagues_draft_is_shown_read_only(signed_in, app_env):
    from db import notes, users

    pid = patient_id(app_env)
    visit = a_completed_visit_without_a_note(app_env, pid)
    with database(app_env) as conn:
        from tests.conftest import make_provider, make_user

        colleague = users.get(conn, make_user(conn, full_name="Dr. Lind", role="clinician"))
        # Dr. Lind sees this patient too (a booked visit on their schedule).
        make_appointment(conn, patient_id=pid, provider_id=make_provider(conn, user_id=colleague.id))
        notes.save_draft(conn, visit, "Dr. Lind's draft.", seen_revision=0, by=colleague)
    at = open_patients(signed_in, "clinician", patient=pid)
    at.selectbox(key=f"note_visit_{pid}").select(visit).run()
    notes_tab = tab(at, "Notes")
    draft = next(t for t in notes_tab.text_area if t.label == "Draft (read-only)")
    assert draft.disabled and draft.value == "Dr. Lind's draft."
    assert any("Only its author can change or sign it." in c.value for c in notes_tab.caption)
    assert not [b for b in at.button if b.key in ("note_save", "note_sign")]


def test_a_draft_saved_in_another_tab_is_not_overwritten_by_this_one(signed_in, app_env):
    pid = patient_id(app_env)
    visit = a_completed_visit_without_a_note(app_env, pid)
    first = open_patients(signed_in, "clinician", patient=pid)
    first.selectbox(key=f"note_visit_{pid}").select(visit).run()
    first.text_area(key=f"note_body_{visit}").input("First version.")
    first.button(key="note_save").click().run()
    second = open_patients(signed_in, "clinician", patient=pid)
    second.selectbox(key=f"note_visit_{pid}").select(visit).run()
    first.text_area(key=f"note_body_{visit}").input("First version, more detail.")
    first.button(key="note_save").click().run()
    second.text_area(key=f"note_body_{visit}").input("Second tab's text.")
    second.button(key="note_sign").click().run()
    assert not second.exception
    assert "changed by someone else since you opened it" in [e.value for e in tab(second, "Notes").error]
    assert second.text_area(key=f"note_body_{visit}").value == "Second tab's text."
    assert query(app_env, "SELECT body, signed_at FROM visit_notes WHERE appointment_id = ?", [visit]) == [
        ("First version, more detail.", None)]
    second.button(key="note_reload").click().run()
    assert second.text_area(key=f"note_body_{visit}").value == "First version, more detail."
