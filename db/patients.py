"""Patients: intake (create and update with history), duplicates, merging, finding, the file header.

Every change to a patient writes one ``patient_changes`` row per field that changed (the intake
history) and an audit row, in the same transaction as the change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from clinic import intake
from clinic.errors import ClinicError, NotFound, PossibleDuplicates, ValidationError
from clinic.timeutil import now_utc
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


# --- the full intake -------------------------------------------------------------------------

_FULL_COLUMNS = ("id, mrn, status, merged_into, created_at, updated_at, " + ", ".join(intake.PATIENT_FIELDS))
_INSERT_FIELDS = ", ".join(intake.PATIENT_FIELDS)
_INSERT_PARAMS = ", ".join("$" + f for f in intake.PATIENT_FIELDS)
# Column names come from the fixed list intake.PATIENT_FIELDS; values are always parameters.
_UPDATE_SQL = ("UPDATE patients SET " + ", ".join(f + " = $" + f for f in intake.PATIENT_FIELDS)
               + ", reminder_opt_in = $reminder_opt_in, updated_at = $now WHERE id = $id")


@dataclass(frozen=True)
class Candidate:
    id: int
    mrn: str
    name: str
    date_of_birth: date
    phone: str | None
    email: str | None
    why: str


def get_full(conn: Connection, patient_id: int) -> dict:
    """Everything the intake form edits, plus id/mrn/status, and ``insurance1``/``insurance2``."""
    cur = conn.cursor()
    try:
        cur.execute("SELECT " + _FULL_COLUMNS + " FROM patients WHERE id = ?", [patient_id])
        row = cur.fetchone()
        if row is None:
            raise NotFound("That patient does not exist.")
        names = [d[0] for d in cur.description]
        values = dict(zip(names, row))
        for plan in insurance_for(conn, patient_id):
            values[f"insurance{plan['rank']}"] = plan
        return values
    finally:
        cur.close()


def insurance_for(conn: Connection, patient_id: int) -> list[dict]:
    cur = conn.cursor()
    try:
        cur.execute(
            "SELECT i.rank, i.payer_id, p.name AS payer, p.kind AS payer_kind, i.member_id, i.group_number,"
            " i.subscriber_name, i.subscriber_relationship FROM patient_insurance i JOIN payers p ON p.id = i.payer_id"
            " WHERE i.patient_id = ? AND i.active ORDER BY i.rank",
            [patient_id],
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]
    finally:
        cur.close()


def _with_payer_kinds(conn: Connection, form: dict) -> dict:
    """Self-pay plans need no member ID: look the payer's kind up rather than trusting the form."""
    form = dict(form)
    for rank in (1, 2):
        plan = form.get(f"insurance{rank}")
        if plan and plan.get("payer_id"):
            row = read_one(conn, "SELECT kind FROM payers WHERE id = ? AND active", [int(plan["payer_id"])])
            if row is None:
                raise ValidationError({f"insurance{rank}.payer_id": "Choose a payer from the list."})
            form[f"insurance{rank}"] = {**plan, "payer_kind": row[0]}
    return form


def find_duplicates(conn: Connection, *, first_name: str, last_name: str, date_of_birth: date | None,
                    phone: str | None = None, email: str | None = None, exclude_id: int | None = None,
                    limit: int = 10) -> list[Candidate]:
    """Likely duplicates: same date of birth with a similar name (Jaro-Winkler on the folded
    full name), or the same phone number, or the same email address."""
    full = intake.clean_text(f"{first_name} {last_name}")
    rows = read(
        conn,
        "WITH c AS (SELECT id, mrn, last_name || ', ' || first_name AS name, date_of_birth, phone_mobile, email,"
        "   jaro_winkler_similarity(strip_accents(lower(first_name || ' ' || last_name)), strip_accents(lower($full))) AS sim_a,"
        "   jaro_winkler_similarity(strip_accents(lower(last_name || ' ' || first_name)), strip_accents(lower($full))) AS sim_b"
        "   FROM patients WHERE status = 'active' AND id IS DISTINCT FROM $exclude)"
        " SELECT id, mrn, name, date_of_birth, phone_mobile, email,"
        "  CASE WHEN date_of_birth = $dob AND greatest(sim_a, sim_b) >= 0.85 THEN 'same date of birth, similar name'"
        "       WHEN $phone IS NOT NULL AND (phone_mobile = $phone) THEN 'same phone number'"
        "       ELSE 'same email address' END AS why"
        " FROM c WHERE (date_of_birth = $dob AND greatest(sim_a, sim_b) >= 0.85)"
        "  OR ($phone IS NOT NULL AND phone_mobile = $phone)"
        "  OR ($email IS NOT NULL AND lower(email) = lower($email))"
        " ORDER BY greatest(sim_a, sim_b) DESC, id LIMIT $limit",
        {"full": full, "dob": date_of_birth, "phone": phone, "email": email, "exclude": exclude_id, "limit": limit},
    )
    return [Candidate(*r) for r in rows]


def create(conn: Connection, form: dict, *, by, confirm_new: bool = False) -> int:
    """Register a patient from the intake form; returns the new id.

    Raises ValidationError (every field at fault) or PossibleDuplicates (unless ``confirm_new``:
    the user has looked at the candidates and says this is someone else — that is audited).
    """
    values = settings.get_all(conn)
    clean = intake.validate_patient(_with_payer_kinds(conn, form), today=clinic_today(values["timezone"]),
                                    region=values["country"])
    candidates = find_duplicates(conn, first_name=clean["first_name"], last_name=clean["last_name"],
                                 date_of_birth=clean["date_of_birth"], phone=clean["phone_mobile"],
                                 email=clean["email"])
    if candidates and not confirm_new:
        raise PossibleDuplicates(candidates)
    insurance = clean.pop("insurance")

    def write(cur: Connection) -> int:
        (patient_id,) = cur.execute(
            "INSERT INTO patients (mrn, " + _INSERT_FIELDS + ", reminder_opt_in, created_by)"
            " VALUES (nextval('patients_mrn_seq')::VARCHAR, " + _INSERT_PARAMS + ", $reminder_opt_in, $created_by)"
            " RETURNING id",
            {**clean, "reminder_opt_in": clean["consent_sms"] or clean["consent_email"],
             "created_by": getattr(by, "id", None)},
        ).fetchone()
        _write_insurance(cur, patient_id, insurance)
        audit.record(cur, by, "patient.create", "patient", patient_id, patient_id)
        if candidates:
            audit.record(cur, by, "patient.create_despite_duplicates", "patient", patient_id, patient_id,
                         detail={"candidates": [c.id for c in candidates]})
        return patient_id

    return atomic(conn, write)


def _write_insurance(cur: Connection, patient_id: int, plans: list[dict]) -> None:
    cur.execute("UPDATE patient_insurance SET active = FALSE WHERE patient_id = ? AND active", [patient_id])
    for plan in plans:
        cur.execute(
            "INSERT INTO patient_insurance (patient_id, rank, payer_id, member_id, group_number, subscriber_name,"
            " subscriber_relationship) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [patient_id, plan["rank"], plan["payer_id"], plan["member_id"], plan["group_number"],
             plan["subscriber_name"], plan["subscriber_relationship"]],
        )


def _plan_text(plan: dict | None) -> str | None:
    if not plan:
        return None
    parts = [str(plan.get("payer_id")), plan.get("member_id"), plan.get("group_number") or "",
             plan.get("subscriber_relationship") or "self", plan.get("subscriber_name") or ""]
    return " / ".join(p for p in parts if p is not None)


def update(conn: Connection, patient_id: int, form: dict, *, by) -> list[str]:
    """Save an edited intake form; returns the names of the fields that changed (each one also
    written to the intake history with old and new value)."""
    values = settings.get_all(conn)
    clean = intake.validate_patient(_with_payer_kinds(conn, form), today=clinic_today(values["timezone"]),
                                    region=values["country"])
    insurance = clean.pop("insurance")

    def write(cur: Connection) -> list[str]:
        cur.execute("SELECT " + _INSERT_FIELDS + ", status FROM patients WHERE id = ?", [patient_id])
        row = cur.fetchone()
        if row is None:
            raise NotFound("That patient does not exist.")
        if row[-1] != "active":
            raise ClinicError("This record was merged into another one and cannot be edited.")
        before = dict(zip(intake.PATIENT_FIELDS, row[:-1]))
        changed = [f for f in intake.PATIENT_FIELDS if before[f] != clean[f]]
        old_plans = {p["rank"]: p for p in _plans_on(cur, patient_id)}
        new_plans = {p["rank"]: p for p in insurance}
        plan_changes = [r for r in (1, 2) if _plan_text(old_plans.get(r)) != _plan_text(new_plans.get(r))]
        if changed:
            cur.execute(
                _UPDATE_SQL,
                {**clean, "reminder_opt_in": clean["consent_sms"] or clean["consent_email"], "now": now_utc(),
                 "id": patient_id},
            )
        for f in changed:
            cur.execute(
                "INSERT INTO patient_changes (patient_id, user_id, field, old_value, new_value) VALUES (?, ?, ?, ?, ?)",
                [patient_id, getattr(by, "id", None), f, intake.display_value(before[f]), intake.display_value(clean[f])],
            )
        if plan_changes:
            _write_insurance(cur, patient_id, insurance)
            for r in plan_changes:
                cur.execute(
                    "INSERT INTO patient_changes (patient_id, user_id, field, old_value, new_value) VALUES (?, ?, ?, ?, ?)",
                    [patient_id, getattr(by, "id", None), f"insurance{r}", intake.display_value(_plan_text(old_plans.get(r))),
                     intake.display_value(_plan_text(new_plans.get(r)))],
                )
        all_changed = changed + [f"insurance{r}" for r in plan_changes]
        if all_changed:
            audit.record(cur, by, "patient.update", "patient", patient_id, patient_id, detail={"fields": all_changed})
        return all_changed

    return atomic(conn, write)


def _plans_on(cur: Connection, patient_id: int) -> list[dict]:
    rows = cur.execute(
        "SELECT rank, payer_id, member_id, group_number, subscriber_name, subscriber_relationship"
        " FROM patient_insurance WHERE patient_id = ? AND active ORDER BY rank", [patient_id]).fetchall()
    keys = ("rank", "payer_id", "member_id", "group_number", "subscriber_name", "subscriber_relationship")
    return [dict(zip(keys, r)) for r in rows]


def changes_for(conn: Connection, patient_id: int):
    """The intake history: what changed, when, by whom (newest first)."""
    return read_df(
        conn,
        "SELECT c.changed_at, coalesce(u.full_name, '—') AS by, c.field, c.old_value, c.new_value"
        " FROM patient_changes c LEFT JOIN users u ON u.id = c.user_id WHERE c.patient_id = ?"
        " ORDER BY c.changed_at DESC, c.id DESC",
        [patient_id],
    )


# Tables whose rows follow a patient into the surviving record on a merge. A fixed allow-list:
# the table name is chosen from here, never from input.
_MERGE_TABLES = ("appointments", "documents", "messages", "visit_notes", "patient_insurance", "waitlist",
                 "patient_changes")
_MERGE_SQL = {t: "UPDATE " + t + " SET patient_id = $survivor WHERE patient_id = $merged" for t in _MERGE_TABLES}
_COUNT_SQL = {t: "SELECT count(*) FROM " + t + " WHERE patient_id = ?" for t in _MERGE_TABLES}


def merge(conn: Connection, *, survivor_id: int, merged_id: int, by) -> dict[str, int]:
    """Move everything of ``merged_id`` to ``survivor_id`` in one transaction and keep the merged
    record, marked ``merged`` with a pointer to the survivor. Returns rows moved per table."""
    if survivor_id == merged_id:
        raise ClinicError("Choose two different patients.", field="merged")

    def write(cur: Connection) -> dict[str, int]:
        rows = dict(cur.execute("SELECT id, status FROM patients WHERE id IN (?, ?)", [survivor_id, merged_id]).fetchall())
        if len(rows) < 2:
            raise NotFound("One of the two patients does not exist.")
        if rows[survivor_id] != "active" or rows[merged_id] != "active":
            raise ClinicError("Only two active records can be merged.", field="merged")
        # Serialise with bookings of either patient (same version trick as db.appointments).
        cur.execute("UPDATE patients SET booking_version = booking_version + 1 WHERE id IN (?, ?)",
                    [survivor_id, merged_id])
        # The survivor keeps its own insurance when it has some; the merged record's plans then
        # move along as inactive history.
        if cur.execute("SELECT count(*) FROM patient_insurance WHERE patient_id = ? AND active",
                       [survivor_id]).fetchone()[0]:
            cur.execute("UPDATE patient_insurance SET active = FALSE WHERE patient_id = ?", [merged_id])
        moved = {}
        for table in _MERGE_TABLES:
            count = cur.execute(_COUNT_SQL[table], [merged_id]).fetchone()[0]
            if count:
                cur.execute(_MERGE_SQL[table], {"survivor": survivor_id, "merged": merged_id})
            moved[table] = count
        cur.execute("UPDATE patients SET status = 'merged', merged_into = ?, updated_at = ? WHERE id = ?",
                    [survivor_id, now_utc(), merged_id])
        cur.execute("INSERT INTO patient_changes (patient_id, user_id, field, old_value, new_value)"
                    " VALUES (?, ?, 'merged', ?, ?)",
                    [survivor_id, getattr(by, "id", None), f"record {merged_id}", f"into record {survivor_id}"])
        audit.record(cur, by, "patient.merge", "patient", merged_id, survivor_id,
                     detail={"survivor": survivor_id, "merged": merged_id, "moved": moved})
        return moved

    return atomic(conn, write)


# --- the patient file's header ---------------------------------------------------------------


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


def appointments_for(conn: Connection, patient_id: int):
    """Past and future appointments of a patient, newest first."""
    return read_df(
        conn,
        "SELECT a.id, a.start_at, a.status, pr.name AS provider, vt.name AS visit_type, a.reason,"
        " a.cancel_reason, a.late_cancel FROM appointments a JOIN providers pr ON pr.id = a.provider_id"
        " JOIN visit_types vt ON vt.id = a.type_id WHERE a.patient_id = ? ORDER BY a.start_at DESC",
        [patient_id],
    )


def record_view(conn: Connection, patient_id: int, *, by) -> None:
    """Opening a patient file is audited: who viewed whose record."""
    atomic(conn, lambda cur: audit.record(cur, by, "patient.view", "patient", patient_id, patient_id))
