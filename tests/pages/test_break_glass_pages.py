"""Emergency access as the screens show it: the demo clinician opens a record that is not on
their schedule and finds its notes closed behind a reason; a reason too short is refused next
to the field and writes nothing; a good one opens the notes under a red banner; the manager
then finds the grant in Audit trail › Emergency access, with what was done, and marks it reviewed."""

from __future__ import annotations

import db
from tests.conftest import database, query, user_id_for
from tests.pages.test_patients import open_patients, tab

REASON = "Patient of Dr. Reyes fainted at reception; checking recent notes for medication."


def stranger(path) -> int:
    """An active patient with no appointment on the demo clinician's schedule."""
    doctor = user_id_for(path, "doctor")
    return query(path, """
        SELECT p.id FROM patients p WHERE p.status = 'active'
          AND NOT EXISTS (SELECT 1 FROM appointments a JOIN providers v ON v.id = a.provider_id
                          WHERE a.patient_id = p.id AND v.user_id = ?)
        ORDER BY p.id LIMIT 1""", [doctor])[0][0]


def test_a_clinician_breaks_the_glass_with_a_reason_and_the_manager_reviews_it(signed_in, app_env):
    pid = stranger(app_env)
    at = open_patients(signed_in, "clinician", patient=pid)
    notes = tab(at, "Notes")
    assert any("not on your schedule" in w.value for w in notes.warning)
    assert not [t for t in notes.text_area if t.label.startswith("Draft")]
    assert not [e for e in at.error if "Emergency access" in e.value]  # no banner yet

    at.text_area(key=f"break_glass_reason_{pid}").input("urgent").run()
    at.button(key="break_glass_open").click().run()
    assert any("at least 15 characters" in e.value for e in tab(at, "Notes").error)
    assert query(app_env, "SELECT count(*) FROM break_glass") == [(0,)]
    assert at.text_area(key=f"break_glass_reason_{pid}").value == "urgent", "what was typed stays"

    at.text_area(key=f"break_glass_reason_{pid}").input(REASON).run()
    at.button(key="break_glass_open").click().run()
    assert not at.exception, at.exception
    assert any("Emergency access" in e.value and "recorded and reviewed" in e.value for e in at.error)
    assert not [w for w in tab(at, "Notes").warning if "not on your schedule" in w.value]
    ((user_id, reason),) = query(app_env, "SELECT user_id, reason FROM break_glass WHERE patient_id = ?", [pid])
    assert (user_id, reason) == (user_id_for(app_env, "doctor"), REASON)
    assert query(app_env, "SELECT count(*) FROM audit_log WHERE action = 'record.break_glass' AND patient_id = ?",
                 [pid]) == [(1,)]

    manager = signed_in("manager").run()
    manager.switch_page("pages/audit.py").run()
    assert not manager.exception, manager.exception
    review = tab(manager, "Emergency access")
    (item,) = [e for e in review.expander if "opened" in e.label]
    assert "MRN" in item.label and "action" in item.label
    assert any(REASON.split(";")[0][:20] in m.value.replace("\\", "") for m in item.markdown)
    (grant_id,) = query(app_env, "SELECT id FROM break_glass WHERE patient_id = ?", [pid])[0]
    manager.text_input(key=f"bg_note_{grant_id}").input("Confirmed with Dr. Reyes.").run()
    manager.button(key=f"bg_review_{grant_id}").click().run()
    assert not manager.exception, manager.exception
    with database(app_env) as conn:
        assert db.read(conn, "SELECT review_note, reviewed_by IS NOT NULL FROM break_glass WHERE id = ?",
                       [grant_id]) == [("Confirmed with Dr. Reyes.", True)]
    assert any("No emergency access waiting" in i.value for i in tab(manager, "Emergency access").info)
