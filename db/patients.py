"""Patients: finding them, quick-adding a caller, reading one. (Full intake: the patients issue.)"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from clinic import intake
from clinic.timeutil import today as clinic_today
from db import Connection, atomic, audit, read, read_df, read_one, settings


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


def get(conn: Connection, patient_id: int) -> Patient | None:
    row = read_one(conn, _SELECT + " WHERE id = ?", [patient_id])
    return Patient(*row) if row else None


_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%d.%m.%Y")


def _as_date(text: str) -> date | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


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
        # Every token must start the first, last or preferred name (accents folded).
        rows = read(
            conn,
            _SELECT + " WHERE status = 'active' AND list_bool_and(list_transform($tokens, lambda t:"
                      " strip_accents(lower(first_name)) LIKE strip_accents(lower(t)) || '%'"
                      " OR strip_accents(lower(last_name)) LIKE strip_accents(lower(t)) || '%'"
                      " OR strip_accents(lower(coalesce(preferred_name, ''))) LIKE strip_accents(lower(t)) || '%'))"
                      " ORDER BY last_name, first_name LIMIT $limit",
            {"tokens": tokens, "limit": limit},
        )
    return [Patient(*r) for r in rows]


def quick_add(conn: Connection, *, first_name: str, last_name: str, date_of_birth: date | None, phone: str,
              by, sex: str = "unknown") -> int:
    """Register a caller with the few details needed to book (full intake comes at the visit).
    Raises ValidationError naming each field at fault; returns the new patient's id."""
    values = settings.get_all(conn)
    clean = intake.quick_patient(first_name, last_name, date_of_birth, phone, sex=sex,
                                 today=clinic_today(values["timezone"]), region=values["country"])

    def write(cur: Connection) -> int:
        (patient_id,) = cur.execute(
            "INSERT INTO patients (mrn, first_name, last_name, date_of_birth, sex, phone_mobile)"
            " VALUES (nextval('patients_mrn_seq')::VARCHAR, $first_name, $last_name, $date_of_birth, $sex,"
            " $phone_mobile) RETURNING id",
            clean,
        ).fetchone()
        audit.record(cur, by, "patient.quick_add", "patient", patient_id, patient_id)
        return patient_id

    return atomic(conn, write)


def list_recent(conn: Connection, limit: int = 50):
    return read_df(conn, "SELECT id, mrn, last_name, first_name, date_of_birth, phone_mobile FROM patients"
                         " WHERE status = 'active' ORDER BY id DESC LIMIT ?", [limit])
