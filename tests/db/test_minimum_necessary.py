"""Minimum necessary: lab and imaging reports and clinical requests (refills, results) are read by
the clinicians and the office manager only. The front desk still files such a report (it takes
the fax) and logs such a call (it takes the call), and sees that they exist, not what they say."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest
from PIL import Image

import db
from clinic.errors import NotAllowed
from db import documents, messages, users
from tests.conftest import make_appointment, make_patient, make_provider, make_user


def png(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def staff(conn):
    return {role: users.get(conn, make_user(conn, username=f"mn_{role}", role=role))
            for role in ("front_desk", "billing", "clinician", "manager", "admin")}


def on_schedule(conn, clinician, patient_id: int) -> None:
    """Book the patient with the clinician's own schedule (db.break_glass: their own patient)."""
    make_appointment(conn, patient_id=patient_id, provider_id=make_provider(conn, user_id=clinician.id))


def test_a_lab_report_is_filed_by_the_front_desk_but_opened_only_by_clinicians_and_the_manager(conn, staff):
    pid = make_patient(conn)
    on_schedule(conn, staff["clinician"], pid)
    lab = documents.add(conn, patient_id=pid, filename="potassium.png", content=png("red"), category="lab_report",
                        doc_date=date(2026, 11, 2), by=staff["front_desk"])
    card = documents.add(conn, patient_id=pid, filename="card.png", content=png("blue"), category="insurance_card",
                         doc_date=date(2026, 11, 2), by=staff["front_desk"])

    for role in ("clinician", "manager"):
        assert documents.get_file(conn, lab, by=staff[role]).content == png("red")
        assert sorted(d.id for d in documents.list_for_patient(conn, pid, role=role)) == sorted([lab, card])
        assert documents.count_withheld(conn, pid, role=role) == 0
    for role in ("front_desk", "billing", "admin"):
        downloads = db.read(conn, "SELECT count(*) FROM audit_log WHERE action = 'document.download'")[0][0]
        with pytest.raises(NotAllowed, match="lab reports"):
            documents.get_file(conn, lab, by=staff[role])
        # Nothing was read: no download row, one refusal row. The card stays theirs to open.
        assert db.read(conn, "SELECT count(*) FROM audit_log WHERE action = 'document.download'")[0][0] == downloads
        assert db.read(conn, "SELECT action, patient_id FROM audit_log WHERE outcome = 'refused' AND user_id = ?",
                       [staff[role].id]) == [("documents.read", pid)]
        assert documents.get_file(conn, card, by=staff[role]).content == png("blue")
        listed = documents.list_for_patient(conn, pid, role=role)
        assert [d.filename for d in listed] == ["card.png"]
        assert documents.count_withheld(conn, pid, role=role) == 1


def test_a_refill_request_shows_its_words_only_to_clinicians_and_the_manager(conn, staff):
    pid = make_patient(conn)
    messages.log_message(conn, patient_id=pid, channel="phone_in", request_type="refill",
                         subject="Refill of sertraline 50 mg", body="Out of tablets since Friday", by=staff["front_desk"])
    messages.log_message(conn, patient_id=pid, channel="phone_in", request_type="appointment",
                         subject="Wants a morning slot", by=staff["front_desk"])

    def log(role):
        frame = messages.for_patient(conn, pid, role=role)
        return {row.request_type: (row.subject, row.body) for row in frame.itertuples()}

    for role in ("clinician", "manager"):
        assert log(role)["refill"] == ("Refill of sertraline 50 mg", "Out of tablets since Friday")
    for role in ("front_desk", "billing", "admin"):
        seen = log(role)
        assert seen["refill"][0] == messages.WITHHELD and pd.isna(seen["refill"][1])
        assert "sertraline" not in messages.for_patient(conn, pid, role=role).to_csv()
        assert seen["appointment"][0] == "Wants a morning slot"

    # A clinical request named for a billing clerk by mistake shows up, without its words.
    messages.log_message(conn, patient_id=pid, channel="portal", request_type="results",
                         subject="My biopsy result?", assignee_user=staff["billing"].id, by=staff["front_desk"])
    (item,) = [i for i in messages.inbox(conn, user_id=staff["billing"].id, role="billing", today=date(2026, 12, 1))
               if i.request_type == "results"]
    assert item.subject == messages.WITHHELD and item.body is None
