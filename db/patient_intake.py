"""The full intake: registering a patient (with the duplicate check) and editing their record,
each change written to the intake history.

Both are user actions in one transaction that re-reads the acting account first
(:func:`db.actors.acting`, action ``patients.edit``). An edit carries the ``version`` of the
record the user opened (``PatientRecord.version``); a save from a form opened before someone
else's save is refused with :class:`clinic.errors.StaleRecord` instead of silently undoing it.
Every change writes one ``patient_changes`` row per field that changed and an audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from clinic import intake
from clinic.errors import ClinicError, NotFound, PossibleDuplicates, StaleRecord, ValidationError
from clinic.timeutil import now_utc
from clinic.timeutil import today as clinic_today
from db import Connection, atomic, audit, read, read_df, read_one, settings
from db.actors import acting

_INSERT_FIELDS = ", ".join(intake.PATIENT_FIELDS)
_INSERT_PARAMS = ", ".join("$" + f for f in intake.PATIENT_FIELDS)
# Column names come from the fixed list intake.PATIENT_FIELDS; values are always parameters.
_UPDATE_SQL = ("UPDATE patients SET " + ", ".join(f + " = $" + f for f in intake.PATIENT_FIELDS)
               + ", reminder_opt_in = $reminder_opt_in, updated_at = $now, version = $version WHERE id = $id")
_VERSION_SQL = "UPDATE patients SET updated_at = $now, version = $version WHERE id = $id"


@dataclass(frozen=True)
class Candidate:
    id: int
    mrn: str
    name: str
    date_of_birth: date
    phone: str | None
    email: str | None
    why: str


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


def _validated(conn: Connection, form: dict) -> dict:
    values = settings.get_all(conn)
    return intake.validate_patient(_with_payer_kinds(conn, form), today=clinic_today(values["timezone"]),
                                   region=values["country"])


def create(conn: Connection, form: dict, *, by, confirm_new: bool = False) -> int:
    """Register a patient from the intake form; returns the new id.

    Raises ValidationError (every field at fault), NotAllowed, or PossibleDuplicates (unless
    ``confirm_new``: the user has looked at the candidates and says this is someone else — that
    is audited).
    """
    clean = _validated(conn, form)
    candidates = find_duplicates(conn, first_name=clean["first_name"], last_name=clean["last_name"],
                                 date_of_birth=clean["date_of_birth"], phone=clean["phone_mobile"],
                                 email=clean["email"])
    if candidates and not confirm_new:
        raise PossibleDuplicates(candidates)
    insurance = clean.pop("insurance")

    def write(cur: Connection) -> int:
        actor = acting(cur, by, "patients.edit")
        (patient_id,) = cur.execute(
            "INSERT INTO patients (mrn, " + _INSERT_FIELDS + ", reminder_opt_in, created_by)"
            " VALUES (nextval('patients_mrn_seq')::VARCHAR, " + _INSERT_PARAMS + ", $reminder_opt_in, $created_by)"
            " RETURNING id",
            {**clean, "reminder_opt_in": clean["consent_sms"] or clean["consent_email"], "created_by": actor.id},
        ).fetchone()
        _write_insurance(cur, patient_id, insurance)
        audit.record(cur, actor, "patient.create", "patient", patient_id, patient_id)
        if candidates:
            audit.record(cur, actor, "patient.create_despite_duplicates", "patient", patient_id, patient_id,
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


def _plans_on(cur: Connection, patient_id: int) -> list[dict]:
    rows = cur.execute(
        "SELECT rank, payer_id, member_id, group_number, subscriber_name, subscriber_relationship"
        " FROM patient_insurance WHERE patient_id = ? AND active ORDER BY rank", [patient_id]).fetchall()
    keys = ("rank", "payer_id", "member_id", "group_number", "subscriber_name", "subscriber_relationship")
    return [dict(zip(keys, r)) for r in rows]


def _record_change(cur: Connection, patient_id: int, user_id: int | None, field: str, old: object, new: object) -> None:
    cur.execute(
        "INSERT INTO patient_changes (patient_id, user_id, field, old_value, new_value) VALUES (?, ?, ?, ?, ?)",
        [patient_id, user_id, field, intake.display_value(old), intake.display_value(new)],
    )


def update(conn: Connection, patient_id: int, form: dict, *, seen_version: int, by) -> list[str]:
    """Save an edited intake form; returns the names of the fields that changed (each one also
    written to the intake history with old and new value).

    ``seen_version`` is ``PatientRecord.version`` as the form was opened. Raises StaleRecord when
    the record was saved since, ValidationError, NotAllowed, NotFound, or ClinicError for a
    merged record.
    """
    clean = _validated(conn, form)
    insurance = clean.pop("insurance")

    def write(cur: Connection) -> list[str]:
        actor = acting(cur, by, "patients.edit")
        cur.execute("SELECT " + _INSERT_FIELDS + ", status, coalesce(version, 0) FROM patients WHERE id = ?",
                    [patient_id])
        row = cur.fetchone()
        if row is None:
            raise NotFound("That patient does not exist.")
        *fields, status, version = row
        if status != "active":
            raise ClinicError("This record was merged into another one and cannot be edited.")
        if version != seen_version:
            raise StaleRecord()
        before = dict(zip(intake.PATIENT_FIELDS, fields))
        changed = [f for f in intake.PATIENT_FIELDS if before[f] != clean[f]]
        old_plans = {p["rank"]: p for p in _plans_on(cur, patient_id)}
        new_plans = {p["rank"]: p for p in insurance}
        plan_changes = [r for r in (1, 2) if _plan_text(old_plans.get(r)) != _plan_text(new_plans.get(r))]
        if not changed and not plan_changes:
            return []
        # Every saved change bumps the version (a plan change alone too): a form opened before
        # this save can no longer overwrite it.
        stamp = {"now": now_utc(), "version": version + 1, "id": patient_id}
        if changed:
            opt_in = clean["consent_sms"] or clean["consent_email"]
            cur.execute(_UPDATE_SQL, {**clean, "reminder_opt_in": opt_in, **stamp})
        else:
            cur.execute(_VERSION_SQL, stamp)
        for f in changed:
            _record_change(cur, patient_id, actor.id, f, before[f], clean[f])
        if plan_changes:
            _write_insurance(cur, patient_id, insurance)
            for r in plan_changes:
                _record_change(cur, patient_id, actor.id, f"insurance{r}", _plan_text(old_plans.get(r)),
                               _plan_text(new_plans.get(r)))
        all_changed = changed + [f"insurance{r}" for r in plan_changes]
        audit.record(cur, actor, "patient.update", "patient", patient_id, patient_id, detail={"fields": all_changed})
        return all_changed

    return atomic(conn, write)


def changes_for(conn: Connection, patient_id: int):
    """The intake history as a DataFrame for display: what changed, when, by whom (newest first)."""
    return read_df(
        conn,
        "SELECT c.changed_at, coalesce(u.full_name, '—') AS by, c.field, c.old_value, c.new_value"
        " FROM patient_changes c LEFT JOIN users u ON u.id = c.user_id WHERE c.patient_id = ?"
        " ORDER BY c.changed_at DESC, c.id DESC",
        [patient_id],
    )
