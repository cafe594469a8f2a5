"""Minimum necessary, as each role's screen shows it: billing's Home has the day's counts and no
patient's name; a lab report filed for a patient is listed for the clinician and the manager,
and only counted ("1 clinical document is not listed") for the front desk, with no name sent."""

from __future__ import annotations

from datetime import date

import db
from db import documents, users
from tests.conftest import database, make_appointment, make_patient, user_id_for
from tests.pages.test_patients import open_patients, small_pdf, tab


def test_billing_home_shows_counts_and_no_schedule_while_the_front_desk_gets_the_table(signed_in, app_env):
    billing = signed_in("billing").run()
    assert not billing.exception, billing.exception
    assert "Appointments today" in {m.label for m in billing.metric}
    assert len(billing.dataframe) == 0
    assert not [h for h in billing.subheader if "Schedule" in h.value]
    desk = signed_in("front_desk").run()
    assert len(desk.dataframe) == 1 and len(desk.dataframe[0].value) >= 1


def test_a_lab_report_is_listed_for_the_clinician_and_only_counted_for_the_front_desk(signed_in, app_env):
    with database(app_env) as conn:
        pid = make_patient(conn)
        # Booked on the demo clinician's schedule: their own patient (db.break_glass).
        (provider,) = db.read(conn, "SELECT id FROM providers WHERE user_id = ?", [user_id_for(app_env, "doctor")])[0]
        make_appointment(conn, patient_id=pid, provider_id=provider)
        desk = users.get(conn, user_id_for(app_env, "frontdesk"))
        documents.add(conn, patient_id=pid, filename="hba1c-result.pdf", content=small_pdf("HbA1c 6.1%"),
                      category="lab_report", doc_date=date(2026, 11, 2), by=desk)

    def documents_tab_text(role: str) -> str:
        at = open_patients(signed_in, role=role, patient=pid)
        shown = tab(at, "Documents")
        return " ".join([m.value for m in shown.markdown] + [c.value for c in shown.caption])

    for role in ("front_desk", "billing"):
        text = documents_tab_text(role)
        assert "1 clinical document is not listed" in text
        assert "hba1c" not in text.lower()
    for role in ("clinician", "manager"):
        text = documents_tab_text(role)
        assert "Lab report" in text and "hba1c" in text and "not listed" not in text
