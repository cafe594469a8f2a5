"""The intake screen through the real app: register, every problem shown under its field, the
duplicate prompt, updating a patient, and the printable forms."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from components import nav
from tests.conftest import SEED_TODAY, query

TODAY = SEED_TODAY  # the app checks dates against the clinic clock, which app_env sets to SEED_NOW

NEW_PATIENT = {
    "first_name": "Marisol", "last_name": "Quintero-Abbott", "date_of_birth": date(1990, 4, 12), "sex": "female",
    "phone_mobile": "(917) 555-0123", "email": "marisol.qa@example.org", "address_line1": "40 Cedar Ln",
    "city": "Brooklyn", "state": "NY", "postal_code": "11201", "allergies": "Latex",
}


def open_intake(signed_in, patient_id: int | None = None, role: str = "front_desk"):
    at = signed_in(role).run()
    if patient_id is not None:
        # What components.nav.edit_intake(patient_id) leaves behind before switching pages.
        at.session_state[nav._INTAKE] = patient_id
    at.switch_page("pages/intake.py").run()
    assert not at.exception, at.exception
    return at


def widget(at, field: str):
    key = "intake_" + field.replace(".", "_")
    for finder in (at.text_input, at.text_area, at.date_input, at.radio, at.selectbox, at.checkbox):
        try:
            return finder(key=key)
        except KeyError:
            continue
    raise KeyError(field)


def fill(at, values: dict):
    for field, value in values.items():
        w = widget(at, field)
        if hasattr(w, "input"):
            w.input(value)
        else:
            w.set_value(value)
    return at


def save(at, label: str = "Register patient"):
    next(b for b in at.button if b.label == label).click()
    at.run()
    assert not at.exception, at.exception
    return at


def errors(at) -> list[str]:
    return [e.value for e in at.error]


def payer_id(path, name: str) -> int:
    return query(path, "SELECT id FROM payers WHERE name = ?", [name])[0][0]


# --- registering -------------------------------------------------------------------------------


def test_the_blank_form_is_titled_new_patient_and_offers_the_blank_paper_form(signed_in):
    at = open_intake(signed_in)
    assert at.title[0].value == "New patient"
    assert widget(at, "first_name").value == ""
    assert widget(at, "date_of_birth").value is None
    assert [b.label for b in at.get("download_button")] == ["Blank intake form (PDF)"]
    for heading in ("Identity", "Contact", "Emergency contact", "Insurance", "Clinical intake", "Consents"):
        assert heading in [h.value for h in at.subheader]


def test_registering_a_patient_saves_them_with_an_e164_phone_and_shows_the_mrn(signed_in, app_env):
    assert not query(app_env, "SELECT 1 FROM patients WHERE phone_mobile = '+19175550123'")
    at = fill(open_intake(signed_in), NEW_PATIENT)
    fill(at, {"insurance1.payer_id": payer_id(app_env, "Blue Harbor Health"), "insurance1.member_id": "bhh 778 812",
              "privacy_ack": True})
    save(at)
    assert errors(at) == []
    rows = query(app_env, "SELECT id, mrn, first_name, phone_mobile, email, state, allergies, privacy_ack_on"
                          " FROM patients WHERE last_name = 'Quintero-Abbott'")
    assert len(rows) == 1
    patient_id, mrn, first, phone, email, state, allergies, privacy_on = rows[0]
    assert (first, phone, email, state, allergies) == ("Marisol", "+19175550123", "marisol.qa@example.org", "NY", "Latex")
    assert privacy_on == TODAY  # ticked without a date: acknowledged today
    assert query(app_env, "SELECT member_id FROM patient_insurance WHERE patient_id = ? AND active",
                 [patient_id]) == [("BHH778812",)]
    assert any(f"MRN {mrn}" in s.value for s in at.success)
    assert at.button(key="intake_open_saved").label == "Open patient file"
    # The form is blank again for the next walk-in.
    assert widget(at, "first_name").value == "" and widget(at, "date_of_birth").value is None


def test_open_patient_file_after_registering_goes_to_the_new_file(signed_in, app_env):
    at = save(fill(open_intake(signed_in), NEW_PATIENT))
    (patient_id,) = query(app_env, "SELECT id FROM patients WHERE last_name = 'Quintero-Abbott'")[0]
    at.button(key="intake_open_saved").click().run()
    assert at.session_state[nav._PATIENT] == patient_id


@pytest.mark.parametrize(
    "field, typed, message",
    [
        ("first_name", "   ", "Enter the first name."),
        ("date_of_birth", date(1901, 6, 1), "That would make the patient older than 120."),
        ("phone_mobile", "call me", "Enter a phone number, e.g. (212) 555-0142."),
        ("phone_mobile", "(212) 000-0000", "That is not a valid phone number."),
        ("email", "marisol@@example", "That is not a valid email address."),
    ],
)
def test_a_wrong_field_is_named_under_it_nothing_is_saved_and_what_was_typed_stays(signed_in, app_env, field, typed,
                                                                                     message):
    at = fill(open_intake(signed_in), {**NEW_PATIENT, field: typed})
    save(at)
    assert message in errors(at)
    assert any(e.startswith("Nothing was saved. Please correct:") for e in errors(at))
    assert not query(app_env, "SELECT 1 FROM patients WHERE last_name = 'Quintero-Abbott'")
    assert widget(at, field).value == typed
    assert widget(at, "last_name").value == "Quintero-Abbott"
    assert widget(at, "allergies").value == "Latex"


def test_a_future_date_of_birth_is_refused_by_the_field_and_nothing_is_saved(signed_in, app_env):
    # The date box only accepts 01/01/1900 up to the clinic's today (clinic.intake would also refuse
    # a future date, with "cannot be in the future"): a later date leaves the box empty.
    at = fill(open_intake(signed_in), {**NEW_PATIENT, "date_of_birth": TODAY + timedelta(days=3)})
    save(at)
    assert "Enter the date of birth." in errors(at)
    assert widget(at, "date_of_birth").value is None
    assert not query(app_env, "SELECT 1 FROM patients WHERE last_name = 'Quintero-Abbott'")
    assert widget(at, "last_name").value == "Quintero-Abbott"


def test_every_problem_is_shown_at_once_including_a_missing_member_id_for_a_commercial_payer(signed_in, app_env):
    at = fill(open_intake(signed_in), {
        **NEW_PATIENT, "first_name": "", "email": "not-an-email", "phone_mobile": "12",
        "insurance1.payer_id": payer_id(app_env, "Evergreen Mutual"), "insurance1.group_number": "G-12",
    })
    save(at)
    shown = errors(at)
    for message in ("Enter the first name.", "That is not a valid email address.",
                    "That is not a valid phone number.", "Enter the member ID from the card."):
        assert message in shown, message
    summary = next(e for e in shown if e.startswith("Nothing was saved"))
    assert "Primary insurance: member ID" in summary and "First name" in summary
    assert not query(app_env, "SELECT 1 FROM patients WHERE last_name = 'Quintero-Abbott'")
    assert widget(at, "insurance1.group_number").value == "G-12"
    assert widget(at, "insurance1.payer_id").value == payer_id(app_env, "Evergreen Mutual")


def test_self_pay_needs_no_member_id(signed_in, app_env):
    at = fill(open_intake(signed_in), {**NEW_PATIENT, "insurance1.payer_id": payer_id(app_env, "Self-pay")})
    save(at)
    assert errors(at) == []
    assert query(app_env, "SELECT i.member_id FROM patient_insurance i JOIN patients p ON p.id = i.patient_id"
                          " WHERE p.last_name = 'Quintero-Abbott'") == [("SELF-PAY",)]


def test_a_name_with_markup_is_stored_and_shown_exactly_as_typed(signed_in, app_env):
    at = fill(open_intake(signed_in), {**NEW_PATIENT, "first_name": "<b>*Zoë*</b>"})
    save(at)
    assert query(app_env, "SELECT first_name FROM patients WHERE last_name = 'Quintero-Abbott'") == [("<b>*Zoë*</b>",)]
    message = next(s.value for s in at.success if "Registered" in s.value)
    assert r"\<b\>\*Zoë\*\</b\>" in message  # escaped for Markdown, so shown as typed


# --- duplicates --------------------------------------------------------------------------------


def a_seeded_patient(path):
    return query(path, "SELECT id, mrn, first_name, last_name, date_of_birth FROM patients WHERE status = 'active'"
                       " AND length(first_name) > 3 AND length(last_name) > 3 ORDER BY id LIMIT 1")[0]


def near_duplicate(path) -> tuple[dict, tuple]:
    seeded = a_seeded_patient(path)
    _, _, first, last, dob = seeded
    typo = first[:-1] + ("a" if first[-1] != "a" else "e")  # one letter off
    return {**NEW_PATIENT, "first_name": typo, "last_name": last, "date_of_birth": dob}, seeded


def test_a_near_duplicate_is_shown_with_its_details_and_not_created(signed_in, app_env):
    values, (seeded_id, mrn, first, last, dob) = near_duplicate(app_env)
    at = save(fill(open_intake(signed_in), values))
    assert any("look like this one" in w.value or "looks like this one" in w.value for w in at.warning)
    line = next(m.value for m in at.markdown if f"MRN {mrn}" in m.value)
    assert first in line and last in line and f"born {dob:%m/%d/%Y}" in line
    assert "Same date of birth, similar name" in line
    assert at.button(key=f"intake_dup_open_{seeded_id}").label == "Open this patient"
    assert query(app_env, "SELECT count(*) FROM patients WHERE first_name = ? AND last_name = ?",
                 [values["first_name"], last]) == [(0,)]
    assert widget(at, "first_name").value == values["first_name"]


def test_open_this_patient_goes_to_the_existing_file(signed_in, app_env):
    values, (seeded_id, *_) = near_duplicate(app_env)
    at = save(fill(open_intake(signed_in), values))
    at.button(key=f"intake_dup_open_{seeded_id}").click().run()
    assert at.session_state[nav._PATIENT] == seeded_id


def test_create_new_anyway_registers_the_typed_patient_and_records_the_decision(signed_in, app_env):
    values, (seeded_id, *_rest, last, _dob) = near_duplicate(app_env)
    at = save(fill(open_intake(signed_in), values))
    at.button(key="intake_create_anyway").click().run()
    assert not at.exception
    rows = query(app_env, "SELECT id, mrn, phone_mobile FROM patients WHERE first_name = ? AND last_name = ?",
                 [values["first_name"], last])
    assert len(rows) == 1
    new_id, mrn, phone = rows[0]
    assert phone == "+19175550123"
    assert any(f"MRN {mrn}" in s.value for s in at.success)
    audit = query(app_env, "SELECT action FROM audit_log WHERE entity_id = ?", [str(new_id)])
    assert ("patient.create_despite_duplicates",) in audit
    assert not [w for w in at.warning if "like this one" in w.value]


# --- updating ----------------------------------------------------------------------------------


def test_update_mode_shows_the_patient_and_saving_a_change_writes_the_history(signed_in, app_env):
    seeded_id, mrn, first, last, dob = a_seeded_patient(app_env)
    at = open_intake(signed_in, seeded_id)
    assert at.title[0].value == f"Update {first} {last}"
    assert widget(at, "last_name").value == last
    assert widget(at, "date_of_birth").value == dob
    assert [b.label for b in at.get("download_button")] == ["Blank intake form (PDF)", "Prefilled intake form (PDF)"]
    fill(at, {"preferred_name": "Sunny", "allergies": "Sulfa drugs (hives)"})
    save(at, "Save changes")
    assert errors(at) == []
    assert query(app_env, "SELECT preferred_name, allergies FROM patients WHERE id = ?", [seeded_id]) == [
        ("Sunny", "Sulfa drugs (hives)")]
    changes = query(app_env, "SELECT field, new_value FROM patient_changes WHERE patient_id = ?", [seeded_id])
    assert ("preferred_name", "Sunny") in changes and ("allergies", "Sulfa drugs (hives)") in changes
    message = next(s.value for s in at.success if "Saved" in s.value)
    assert f"MRN {mrn}" in message and "Preferred name" in message and "Allergies" in message
    assert widget(at, "preferred_name").value == "Sunny"  # still on the same patient


def test_update_mode_keeps_a_bad_edit_in_the_form_and_changes_nothing(signed_in, app_env):
    seeded_id, *_ = a_seeded_patient(app_env)
    before = query(app_env, "SELECT email FROM patients WHERE id = ?", [seeded_id])
    at = fill(open_intake(signed_in, seeded_id), {"email": "nobody@", "preferred_name": "Sunny"})
    save(at, "Save changes")
    assert "That is not a valid email address." in errors(at)
    assert query(app_env, "SELECT email FROM patients WHERE id = ?", [seeded_id]) == before
    assert query(app_env, "SELECT count(*) FROM patient_changes WHERE patient_id = ?", [seeded_id]) == [(0,)]
    assert widget(at, "email").value == "nobody@" and widget(at, "preferred_name").value == "Sunny"


def test_coming_back_from_another_page_gives_a_blank_form(signed_in, app_env):
    seeded_id, *_ = a_seeded_patient(app_env)
    at = open_intake(signed_in, seeded_id)
    assert at.title[0].value.startswith("Update")
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/intake.py").run()
    assert at.title[0].value == "New patient"
    assert widget(at, "last_name").value == ""


def test_new_patient_instead_clears_the_form(signed_in, app_env):
    seeded_id, *_ = a_seeded_patient(app_env)
    at = open_intake(signed_in, seeded_id)
    at.button(key="intake_new_instead").click().run()
    assert at.title[0].value == "New patient"
    assert widget(at, "last_name").value == ""



# --- two tabs on one patient -------------------------------------------------------------------


def test_a_save_from_a_tab_opened_before_another_tabs_save_is_refused_and_keeps_what_was_typed(signed_in, app_env):
    seeded_id, *_ = a_seeded_patient(app_env)
    first = open_intake(signed_in, seeded_id)
    second = open_intake(signed_in, seeded_id)
    fill(first, {"allergies": "Penicillin (rash)"})
    save(first, "Save changes")
    assert errors(first) == []
    fill(second, {"preferred_name": "Sunny"})
    save(second, "Save changes")
    assert "changed by someone else since you opened it" in errors(second)
    assert not [e for e in errors(second) if e.startswith("Nothing was saved. Please correct")]
    assert query(app_env, "SELECT allergies, preferred_name FROM patients WHERE id = ?", [seeded_id]) == [
        ("Penicillin (rash)", None)]
    assert widget(second, "preferred_name").value == "Sunny", "what was typed stays in the form"
    # Loading the saved record shows the other tab's change; saving from there works.
    second.button(key="intake_reload").click().run()
    assert widget(second, "allergies").value == "Penicillin (rash)"
    assert widget(second, "preferred_name").value == ""
    fill(second, {"preferred_name": "Sunny"})
    save(second, "Save changes")
    assert errors(second) == []
    assert query(app_env, "SELECT allergies, preferred_name FROM patients WHERE id = ?", [seeded_id]) == [
        ("Penicillin (rash)", "Sunny")]
