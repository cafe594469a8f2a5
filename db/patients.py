"""Patients: finding and reading a patient (the short row, the full record with insurance, the
file's header facts and appointment list), registering a caller in a hurry, and the audited
opening of a file.

Registering with the full intake form and editing it live in db.patient_intake; merging two
records in db.patient_merge. :func:`get` and :func:`get_full` raise NotFound like every ``get``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from clinic import intake
from clinic.errors import NotFound, PossibleDuplicates
from clinic.timeutil import now_utc
from clinic.timeutil import today as clinic_today
from db import Connection, atomic, audit, patient_intake, read, read_one, settings
from db.actors import acting


@dataclass(frozen=True)
class Patient:
    id: int
    mrn: str
    first_name: str
    last_name: str
    preferred_name: str | None
    date_of_birth: date
    sex: str
    phone_mobile: str | None
    email: str | None
    reminder_opt_in: bool
    status: str

    @property
    def display_name(self) -> str:
        return f"{self.last_name}, {self.first_name}"


_SELECT = ("SELECT id, mrn, first_name, last_name, preferred_name, date_of_birth, sex, phone_mobile, email,"
           " reminder_opt_in, status FROM patients")


def count_active(conn: Connection) -> int:
    return int(read_one(conn, "SELECT count(*) FROM patients WHERE status = 'active'")[0])


def get(conn: Connection, patient_id: int) -> Patient:
    """The patient (active or not). Raises NotFound."""
    row = read_one(conn, _SELECT + " WHERE id = ?", [patient_id])
    if row is None:
        raise NotFound("That patient does not exist.")
    return Patient(*row)


_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%d.%m.%Y")


def _as_date(text: str) -> date | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


# The name search: each token must start the first, last or preferred name, case and accents
# folded; ties in name order by id, so a page of results is the same every time.
_NAME_SLOTS = 4
_SEARCH_BY_NAME = (
    _SELECT + " WHERE status = 'active'"
    " AND ($t0 IS NULL OR strip_accents(lower(first_name)) LIKE strip_accents(lower($t0)) || '%'"
    "      OR strip_accents(lower(last_name)) LIKE strip_accents(lower($t0)) || '%'"
    "      OR strip_accents(lower(coalesce(preferred_name, ''))) LIKE strip_accents(lower($t0)) || '%')"
    " AND ($t1 IS NULL OR strip_accents(lower(first_name)) LIKE strip_accents(lower($t1)) || '%'"
    "      OR strip_accents(lower(last_name)) LIKE strip_accents(lower($t1)) || '%'"
    "      OR strip_accents(lower(coalesce(preferred_name, ''))) LIKE strip_accents(lower($t1)) || '%')"
    " AND ($t2 IS NULL OR strip_accents(lower(first_name)) LIKE strip_accents(lower($t2)) || '%'"
    "      OR strip_accents(lower(last_name)) LIKE strip_accents(lower($t2)) || '%'"
    "      OR strip_accents(lower(coalesce(preferred_name, ''))) LIKE strip_accents(lower($t2)) || '%')"
    " AND ($t3 IS NULL OR strip_accents(lower(first_name)) LIKE strip_accents(lower($t3)) || '%'"
    "      OR strip_accents(lower(last_name)) LIKE strip_accents(lower($t3)) || '%'"
    "      OR strip_accents(lower(coalesce(preferred_name, ''))) LIKE strip_accents(lower($t3)) || '%')"
    " AND ($rest IS NULL OR list_bool_and(list_transform($rest, lambda t:"
    "      strip_accents(lower(first_name)) LIKE strip_accents(lower(t)) || '%'"
    "      OR strip_accents(lower(last_name)) LIKE strip_accents(lower(t)) || '%'"
    "      OR strip_accents(lower(coalesce(preferred_name, ''))) LIKE strip_accents(lower(t)) || '%')))"
    " ORDER BY last_name, first_name, id LIMIT $limit"
)


def search(conn: Connection, text: str, *, limit: int = 20) -> list[Patient]:
    """Active patients matching ``text``: a name fragment (any order, accents and case ignored),
    an MRN, a date of birth, or a phone number in any format."""
    query = intake.clean_text(text, 100)
    if not query:
        return []
    dob = _as_date(query)
    digits = re.sub(r"\D", "", query)
    tokens = [t for t in re.split(r"[\s,]+", query) if t]
    if dob is not None:
        rows = read(conn, _SELECT + " WHERE status = 'active' AND date_of_birth = ? ORDER BY last_name, first_name"
                              " LIMIT ?", [dob, limit])
    elif digits and len(digits) >= 4 and len(digits) == len(re.sub(r"[\s()+.-]", "", query)):
        # All digits (with phone punctuation): an MRN or a phone number.
        rows = read(
            conn,
            _SELECT + " WHERE status = 'active' AND (mrn = $digits OR regexp_replace(phone_mobile, '\\D', '', 'g')"
                      " LIKE '%' || $digits) ORDER BY last_name, first_name LIMIT $limit",
            {"digits": digits, "limit": limit},
        )
    else:
        if not tokens:  # punctuation only: no name to match
            return []
        # Every token must start the first, last or preferred name (accents folded). The first
        # four are parameters of their own (a lambda over a list of them costs several times more
        # per row, on every patient); any further ones go through the lambda.
        slots = {f"t{i}": tokens[i] if i < len(tokens) else None for i in range(_NAME_SLOTS)}
        rows = read(conn, _SEARCH_BY_NAME, {**slots, "rest": tokens[_NAME_SLOTS:] or None, "limit": limit})
    return [Patient(*r) for r in rows]


def quick_add(conn: Connection, *, first_name: str, last_name: str, date_of_birth: date | None, phone: str,
              by, sex: str = "unknown", confirm_new: bool = False) -> int:
    """Register a caller with the few details needed to book (full intake comes at the visit).

    Runs the same duplicate check as the full intake (:func:`db.patient_intake.find_duplicates`:
    same date of birth with a similar name, or the same phone number) and raises
    PossibleDuplicates with the look-alikes unless ``confirm_new`` (the user has seen them and
    says this is someone else: audited as ``patient.create_despite_duplicates``, like the intake).
    Raises ValidationError naming each field at fault, or NotAllowed; returns the new patient's id.
    """
    values = settings.get_all(conn)
    clean = intake.quick_patient(first_name, last_name, date_of_birth, phone, sex=sex,
                                 today=clinic_today(values["timezone"]), region=values["country"])
    candidates = patient_intake.find_duplicates(conn, first_name=clean["first_name"], last_name=clean["last_name"],
                                                date_of_birth=clean["date_of_birth"], phone=clean["phone_mobile"])
    if candidates and not confirm_new:
        raise PossibleDuplicates(candidates)

    def write(cur: Connection) -> int:
        actor = acting(cur, by, "appointments.book")
        (patient_id,) = cur.execute(
            "INSERT INTO patients (mrn, first_name, last_name, date_of_birth, sex, phone_mobile, created_by)"
            " VALUES (nextval('patients_mrn_seq')::VARCHAR, $first_name, $last_name, $date_of_birth, $sex,"
            " $phone_mobile, $created_by) RETURNING id",
            {**clean, "created_by": actor.id},
        ).fetchone()
        audit.record(cur, actor, "patient.quick_add", "patient", patient_id, patient_id)
        if candidates:
            audit.record(cur, actor, "patient.create_despite_duplicates", "patient", patient_id, patient_id,
                         detail={"candidates": [c.id for c in candidates]})
        return patient_id

    return atomic(conn, write)


# --- the full record -------------------------------------------------------------------------


@dataclass(frozen=True)
class InsurancePlan:
    rank: int
    payer_id: int
    payer: str
    payer_kind: str
    member_id: str
    group_number: str | None
    subscriber_name: str | None
    subscriber_relationship: str


@dataclass(frozen=True)
class PatientRecord:
    """Everything the intake form edits (the fields of clinic.intake.PATIENT_FIELDS), the record's
    identity and state, the ``version`` an edit must carry, and the active insurance plans."""

    id: int
    mrn: str
    status: str
    merged_into: int | None
    created_at: datetime
    updated_at: datetime | None
    version: int
    first_name: str
    middle_name: str | None
    last_name: str
    preferred_name: str | None
    date_of_birth: date
    sex: str
    preferred_language: str | None
    phone_mobile: str | None
    phone_home: str | None
    email: str | None
    address_line1: str | None
    address_line2: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    preferred_contact: str | None
    consent_sms: bool
    consent_email: bool
    emergency_name: str | None
    emergency_relationship: str | None
    emergency_phone: str | None
    allergies: str | None
    medications: str | None
    conditions: str | None
    first_visit_reason: str | None
    privacy_ack_on: date | None
    financial_policy_on: date | None
    insurance: tuple[InsurancePlan, ...] = ()

    @property
    def display_name(self) -> str:
        return f"{self.last_name}, {self.first_name}"

    @property
    def active(self) -> bool:
        return self.status == "active"

    def plan(self, rank: int) -> InsurancePlan | None:
        return next((p for p in self.insurance if p.rank == rank), None)

    def as_dict(self) -> dict[str, Any]:
        """Every field as a plain dict, with ``insurance1``/``insurance2`` as dicts: what
        clinic.intake.validate_patient and clinic.intake_pdf read."""
        values = {name: value for name, value in asdict(self).items() if name != "insurance"}
        for plan in self.insurance:
            values[f"insurance{plan.rank}"] = asdict(plan)
        return values


_RECORD_COLUMNS = ("id, mrn, status, merged_into, created_at, updated_at, coalesce(version, 0), "
                   + ", ".join("coalesce(" + f + ", FALSE)" if f in ("consent_sms", "consent_email") else f
                               for f in intake.PATIENT_FIELDS))


def get_full(conn: Connection, patient_id: int) -> PatientRecord:
    """The full record with its active insurance plans. Raises NotFound."""
    row = read_one(conn, "SELECT " + _RECORD_COLUMNS + " FROM patients WHERE id = ?", [patient_id])
    if row is None:
        raise NotFound("That patient does not exist.")
    names = ("id", "mrn", "status", "merged_into", "created_at", "updated_at", "version", *intake.PATIENT_FIELDS)
    return PatientRecord(**dict(zip(names, row)), insurance=tuple(insurance_for(conn, patient_id)))


def insurance_for(conn: Connection, patient_id: int) -> list[InsurancePlan]:
    """The patient's active plans, primary first."""
    rows = read(
        conn,
        "SELECT i.rank, i.payer_id, p.name AS payer, p.kind AS payer_kind, i.member_id, i.group_number,"
        " i.subscriber_name, i.subscriber_relationship FROM patient_insurance i JOIN payers p ON p.id = i.payer_id"
        " WHERE i.patient_id = ? AND i.active ORDER BY i.rank",
        [patient_id],
    )
    return [InsurancePlan(*r) for r in rows]


# --- the patient file's header and appointment list ------------------------------------------


@dataclass(frozen=True)
class Summary:
    next_appointment: datetime | None
    next_provider: str | None
    no_shows: int
    completed: int
    last_visit: datetime | None


def summary(conn: Connection, patient_id: int, *, now: datetime | None = None) -> Summary:
    now = now or now_utc()
    row = read_one(
        conn,
        "SELECT (SELECT min(start_at) FROM appointments WHERE patient_id = $p AND start_at >= $now"
        "          AND status IN ('scheduled', 'confirmed', 'checked_in')),"
        " (SELECT pr.name FROM appointments a JOIN providers pr ON pr.id = a.provider_id WHERE a.patient_id = $p"
        "   AND a.start_at >= $now AND a.status IN ('scheduled', 'confirmed', 'checked_in') ORDER BY a.start_at LIMIT 1),"
        " count(*) FILTER (WHERE status = 'no_show'), count(*) FILTER (WHERE status = 'completed'),"
        " max(start_at) FILTER (WHERE status = 'completed')"
        " FROM appointments WHERE patient_id = $p",
        {"p": patient_id, "now": now},
    )
    return Summary(row[0], row[1], int(row[2] or 0), int(row[3] or 0), row[4])


@dataclass(frozen=True)
class PatientAppointment:
    """One of a patient's appointments as their file lists it."""

    id: int
    start_at: datetime
    status: str
    provider: str
    visit_type: str
    reason: str | None
    cancel_reason: str | None
    late_cancel: bool | None


def appointments_for(conn: Connection, patient_id: int) -> list[PatientAppointment]:
    """Past and future appointments of a patient, newest first."""
    rows = read(
        conn,
        "SELECT a.id, a.start_at, a.status, pr.name AS provider, vt.name AS visit_type, a.reason,"
        " a.cancel_reason, a.late_cancel FROM appointments a JOIN providers pr ON pr.id = a.provider_id"
        " JOIN visit_types vt ON vt.id = a.type_id WHERE a.patient_id = ? ORDER BY a.start_at DESC",
        [patient_id],
    )
    return [PatientAppointment(*r) for r in rows]


def record_view(conn: Connection, patient_id: int, *, by) -> None:
    """Opening a patient file is audited: who viewed whose record (an inactive account is refused)."""

    def write(cur: Connection) -> None:
        actor = acting(cur, by, None)
        audit.record(cur, actor, "patient.view", "patient", patient_id, patient_id)

    atomic(conn, write)
