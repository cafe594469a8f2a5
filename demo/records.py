"""Demo records beyond the schedule: payers and insurance, addresses and intake answers, filed
documents (small generated PDFs), the message and call log, signed visit notes, and the waitlist.

Called by :func:`demo.seed.seed` inside its transaction with its seeded generator, so the same
seed gives the same records. Set-wise where the row counts are large (insurance, intake answers);
documents, messages, notes and the waitlist are few and built one by one.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pandas as pd

from clinic.printing import ClinicPDF
from db import Connection, run_with_frame
from demo.practice import CLINIC_NAME
from demo.schedule import ANNUAL, FOLLOW_UP, Provider

PAYERS = (  # name, payer ID, kind, electronic ID, claim filing address, timely-filing days — all synthetic
    ("Medicare", "MCARE", "medicare", "91301", "Medicare Part B Claims\nPO Box 1001\nAlbany, NY 12201", 365),
    ("New York Medicaid", "NYMCD", "medicaid", "91302", "Medicaid Claims Processing\nPO Box 1002\nAlbany, NY 12201",
     90),
    ("Blue Harbor Health", "BHH01", "commercial", "91303", "Blue Harbor Health Claims\nPO Box 1003\nNew York, NY 10001",
     180),
    ("Evergreen Mutual", "EVM22", "commercial", "91304", "Evergreen Mutual Claims\nPO Box 1004\nSyracuse, NY 13201",
     90),
    ("Summit Care Plans", "SCP07", "commercial", "91305", "Summit Care Plans Claims\nPO Box 1005\nBuffalo, NY 14201",
     120),
    ("Self-pay", None, "self_pay", None, None, None),
)
CITIES = (("New York", "NY", "100"), ("Brooklyn", "NY", "112"), ("Yonkers", "NY", "107"), ("Albany", "NY", "122"),
          ("White Plains", "NY", "106"), ("Hoboken", "NJ", "070"))
STREETS = ("Maple Ave", "Oak St", "River Rd", "Park Pl", "Hudson St", "Elm St", "Cedar Ln", "Main St", "Union Sq")
LANGUAGES = ("English", "English", "English", "Spanish", "Chinese", "Russian", "Haitian Creole", "Bengali")
ALLERGIES = (None, None, None, None, "Penicillin", "Peanuts", "Latex", "Sulfa drugs", "Shellfish")
MEDICATIONS = (None, None, "Lisinopril 10 mg daily", "Metformin 500 mg twice daily", "Atorvastatin 20 mg",
               "Levothyroxine 50 mcg", "Albuterol inhaler as needed")
CONDITIONS = (None, None, "Hypertension", "Type 2 diabetes", "Asthma", "Hypothyroidism", "Seasonal allergies")
RELATIONS = ("Spouse", "Parent", "Sibling", "Friend", "Child")

MESSAGE_TEMPLATES = (  # channel, request type, subject, body
    ("phone_in", "appointment", "Wants an earlier appointment", "Asked to be called if something opens up this week."),
    ("phone_in", "refill", "Refill request", "Needs a refill before the weekend; pharmacy on file."),
    ("portal", "results", "Question about lab results", "Asks what the cholesterol numbers mean."),
    ("phone_in", "billing", "Question about a bill", "Thinks the copay was charged twice."),
    ("portal", "referral", "Referral to physiotherapy", "Needs a referral for knee physiotherapy."),
    ("email", "other", "Change of address", "Moved last month; new address in the message."),
    ("phone_out", "appointment", "Called to reschedule", "Left a message offering Thursday morning."),
)
NOTE_TEMPLATES = (
    "Seen for {reason}. History taken, vitals within normal limits. Plan discussed; follow up as needed.",
    "{reason}: examined, no red flags. Advised rest and fluids. Return if not improving in a week.",
    "Visit for {reason}. Medication reviewed and continued. Next review in three months.",
)


def seed_patient_records(cur: Connection, rng: np.random.Generator, *, patient_ids: np.ndarray,
                         birth_dates: np.ndarray, today: dt.date, now: dt.datetime, user_ids: dict[str, int],
                         files: int) -> dict[str, int]:
    """Everything in this module but the waitlist, for the patients already inserted; row counts.

    ``now`` (aware) is the seeder's "now": no note is signed after it.
    """
    payer_ids = _payers(cur)
    n = len(patient_ids)
    _intake_answers(cur, rng, patient_ids, today)
    insured = _insurance(cur, rng, patient_ids, birth_dates, payer_ids, today)
    docs = _documents(cur, rng, patient_ids, today, user_ids, files)
    msgs = _messages(cur, rng, patient_ids, today, user_ids)
    notes = _notes(cur, rng, today, now, user_ids)
    return {"payers": len(payer_ids), "insurance_plans": insured, "documents": docs, "messages": msgs,
            "visit_notes": notes, "patients_with_intake": n}


def _payers(cur: Connection) -> dict[str, int]:
    ids = {}
    for name, code, kind, electronic_id, address, filing_days in PAYERS:
        (pid,) = cur.execute("INSERT INTO payers (name, payer_code, kind, electronic_id, filing_address,"
                             " timely_filing_days) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                             [name, code, kind, electronic_id, address, filing_days]).fetchone()
        ids[kind if kind in ("medicare", "medicaid", "self_pay") else name] = pid
    return ids


def _intake_answers(cur: Connection, rng: np.random.Generator, ids: np.ndarray, today: dt.date) -> None:
    n = len(ids)
    city = rng.integers(len(CITIES), size=n)
    frame = pd.DataFrame({
        "id": ids,
        "address_line1": [f"{num} {STREETS[s]}" for num, s in zip(rng.integers(1, 990, size=n),
                                                                   rng.integers(len(STREETS), size=n))],
        "city": [CITIES[c][0] for c in city],
        "state": [CITIES[c][1] for c in city],
        "postal_code": [f"{CITIES[c][2]}{z:02d}" for c, z in zip(city, rng.integers(1, 99, size=n))],
        "preferred_language": [LANGUAGES[i] for i in rng.integers(len(LANGUAGES), size=n)],
        "allergies": [ALLERGIES[i] for i in rng.integers(len(ALLERGIES), size=n)],
        "medications": [MEDICATIONS[i] for i in rng.integers(len(MEDICATIONS), size=n)],
        "conditions": [CONDITIONS[i] for i in rng.integers(len(CONDITIONS), size=n)],
        "emergency_relationship": [RELATIONS[i] for i in rng.integers(len(RELATIONS), size=n)],
        "emergency_phone": [f"+1212555{x:04d}" for x in rng.integers(100, 199, size=n)],
        "consent": rng.random(n) < 0.7,
        "privacy_days": rng.integers(30, 900, size=n),
    })
    run_with_frame(cur, "seed_intake", frame,
              "UPDATE patients SET address_line1 = s.address_line1, city = s.city, state = s.state,"
              " postal_code = s.postal_code, preferred_language = s.preferred_language, allergies = s.allergies,"
              " medications = s.medications, conditions = s.conditions,"
              " emergency_name = 'Contact of ' || patients.first_name, emergency_relationship = s.emergency_relationship,"
              " emergency_phone = s.emergency_phone, preferred_contact = CASE WHEN s.consent THEN 'sms' ELSE 'phone' END,"
              " consent_sms = s.consent AND patients.reminder_opt_in, consent_email = FALSE,"
              " privacy_ack_on = least(patients.created_at::DATE, current_date),"
              " financial_policy_on = least(patients.created_at::DATE, current_date)"
              " FROM seed_intake s WHERE patients.id = s.id")


def _insurance(cur: Connection, rng: np.random.Generator, ids: np.ndarray, birth_dates: np.ndarray,
               payer_ids: dict[str, int], today: dt.date) -> int:
    n = len(ids)
    age = (np.datetime64(today, "D") - birth_dates.astype("datetime64[D]")).astype(np.int64) // 365
    commercial = [payer_ids[name] for name, _, kind, *_rest in PAYERS if kind == "commercial"]
    roll = rng.random(n)
    payer = np.where(age >= 65, payer_ids["medicare"],
                     np.where(roll < 0.15, payer_ids["medicaid"],
                              np.where(roll < 0.22, payer_ids["self_pay"],
                                       np.array(commercial)[rng.integers(len(commercial), size=n)])))
    letters = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ"))
    member = [f"{a}{b}{num:07d}" for a, b, num in zip(letters[rng.integers(24, size=n)], letters[rng.integers(24, size=n)],
                                                     rng.integers(0, 10_000_000, size=n))]
    group = [f"G{g:05d}" for g in rng.integers(0, 99999, size=n)]
    frame = pd.DataFrame({"patient_id": ids, "payer_id": payer, "member_id": member, "group_number": group,
                          "child": age < 18})
    frame.loc[frame["payer_id"] == payer_ids["self_pay"], ["member_id", "group_number"]] = ["SELF-PAY", None]
    run_with_frame(cur, "seed_insurance", frame,
              "INSERT INTO patient_insurance (patient_id, rank, payer_id, member_id, group_number, subscriber_name,"
              " subscriber_relationship)"
              " SELECT s.patient_id, 1, s.payer_id, s.member_id, s.group_number,"
              " CASE WHEN s.child THEN 'Parent of ' || p.first_name END, CASE WHEN s.child THEN 'child' ELSE 'self' END"
              " FROM seed_insurance s JOIN patients p ON p.id = s.patient_id")
    return n


class _DemoDocument(ClinicPDF):
    footer_note = "Synthetic demo document - not a real patient."


def _pdf(title: str, lines: list[str]) -> bytes:
    """A one-page letter on the clinic's paper (the same header and footer as every printout)."""
    pdf = _DemoDocument(clinic_name=CLINIC_NAME, title=title)
    pdf.set_creation_date(dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))  # same bytes for the same seed
    pdf.add_page()
    pdf.set_font(pdf.family, size=11)
    for line in lines:
        pdf.multi_cell(0, 6, pdf.clean(line), new_x="LMARGIN", new_y="NEXT")
    return pdf.to_bytes()


def _documents(cur: Connection, rng: np.random.Generator, ids: np.ndarray, today: dt.date,
               user_ids: dict[str, int], files: int) -> int:
    # Each PDF takes fpdf2 some milliseconds: keep the count modest.
    chosen = rng.choice(ids, size=min(files, len(ids)), replace=False)
    kinds = (("referral", "Referral letter"), ("lab_report", "Laboratory report"), ("consent_form", "Consent form"),
             ("correspondence", "Letter"))
    count = 0
    for pid in chosen.tolist():
        name = cur.execute("SELECT first_name || ' ' || last_name, mrn FROM patients WHERE id = ?", [pid]).fetchone()
        category, title = kinds[int(rng.integers(len(kinds)))]
        day = today - dt.timedelta(days=int(rng.integers(1, 400)))
        content = _pdf(title, [f"Patient: {name[0]} (MRN {name[1]})", f"Date: {day:%d %B %Y}"])
        cur.execute(
            "INSERT INTO documents (patient_id, category, doc_date, note, filename, mime_type, size_bytes, sha256,"
            " content, uploaded_by) VALUES (?, ?, ?, ?, ?, 'application/pdf', ?, ?, ?, ?)",
            [pid, category, day, None, title.lower().replace(" ", "-") + ".pdf", len(content),
             hashlib.sha256(content).hexdigest(), content, user_ids["frontdesk"]],
        )
        count += 1
    return count


def _messages(cur: Connection, rng: np.random.Generator, ids: np.ndarray, today: dt.date,
              user_ids: dict[str, int]) -> int:
    routed = {"refill": "clinician", "referral": "clinician", "results": "clinician", "billing": "billing"}
    chosen = rng.choice(ids, size=min(40, len(ids)), replace=False)
    for i, pid in enumerate(chosen.tolist()):
        channel, kind, subject, body = MESSAGE_TEMPLATES[i % len(MESSAGE_TEMPLATES)]
        age = int(rng.integers(0, 20))
        status = "done" if age > 10 else ("waiting" if rng.random() < 0.2 else "open")
        created = dt.datetime.combine(today - dt.timedelta(days=age), dt.time(14, 0), tzinfo=dt.timezone.utc)
        cur.execute(
            "INSERT INTO messages (patient_id, channel, request_type, subject, body, status, assignee_role, due_on,"
            " created_at, created_by, closed_at, closed_by, closed_note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [pid, channel, kind, subject, body, status, routed.get(kind, "front_desk"),
             today - dt.timedelta(days=age - 3), created, user_ids["frontdesk"],
             created + dt.timedelta(days=1) if status == "done" else None,
             user_ids["frontdesk"] if status == "done" else None, "Handled" if status == "done" else None],
        )
    return len(chosen)


def _notes(cur: Connection, rng: np.random.Generator, today: dt.date, now: dt.datetime,
           user_ids: dict[str, int]) -> int:
    """Signed notes for the linked doctor's completed visits of the last four weeks (those of
    today not signed by "now" are left for the doctor to write)."""
    rows = cur.execute(
        "SELECT a.id, a.patient_id, coalesce(a.reason, 'a check-up'), a.end_at FROM appointments a"
        " JOIN providers p ON p.id = a.provider_id WHERE p.user_id = ? AND a.status = 'completed'"
        " AND a.start_at >= ? ORDER BY a.id",
        [user_ids["doctor"], dt.datetime.combine(today - dt.timedelta(days=28), dt.time(0), tzinfo=dt.timezone.utc)],
    ).fetchall()
    signed_count = 0
    for appointment_id, patient_id, reason, end_at in rows:
        text = NOTE_TEMPLATES[int(rng.integers(len(NOTE_TEMPLATES)))].format(reason=reason.lower())
        signed = end_at + dt.timedelta(minutes=int(rng.integers(5, 240)))
        if signed > now:
            continue
        signed_count += 1
        cur.execute(
            "INSERT INTO visit_notes (appointment_id, patient_id, author_id, body, created_at, updated_at, signed_at,"
            " signed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [appointment_id, patient_id, user_ids["doctor"], text, end_at, end_at, signed, user_ids["doctor"]],
        )
    return signed_count


def insert_waitlist(cur: Connection, rng: np.random.Generator, patient_ids: np.ndarray,
                    providers: list[Provider], type_ids: list[int], user_ids: dict[str, int]) -> int:
    """A dozen patients hoping for an earlier slot: some with one provider, some with anyone."""
    n = min(12, len(patient_ids))
    chosen = rng.choice(patient_ids, size=n, replace=False)
    notes = ("Prefers mornings", "Can come at short notice", "After 3 pm only", None, "Call mobile first", None)
    # The time preferences the notes speak of, as the matching reads them (earliest, latest start).
    windows = {"Prefers mornings": (None, dt.time(11, 45)), "After 3 pm only": (dt.time(15, 0), None)}
    for i, patient_id in enumerate(chosen.tolist()):
        provider = providers[int(rng.integers(len(providers)))].id if rng.random() < 0.6 else None
        type_id = type_ids[FOLLOW_UP] if rng.random() < 0.7 else type_ids[ANNUAL]
        days = sorted(rng.choice(5, size=int(rng.integers(1, 4)), replace=False).tolist()) if rng.random() < 0.7 else []
        note = notes[i % len(notes)]
        earliest, latest = windows.get(note, (None, None))
        cur.execute(
            "INSERT INTO waitlist (patient_id, provider_id, type_id, preferred_days, note, earliest_start,"
            " latest_start, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [int(patient_id), provider, type_id, ",".join(map(str, days)) or None, note, earliest, latest,
             user_ids["frontdesk"]],
        )
    return n
