"""Emergency ("break-glass") access to a record outside a clinician's own schedule.

A clinician reads and writes the clinical part of a record (visit notes, lab and imaging
reports) for their own patients: those with an appointment, past or booked, with the provider
linked to their login. For anyone else they break the glass: a reason is required, the grant
runs for :data:`MINUTES`, it is audited (``record.break_glass``), and every action taken under
it is listed for the office manager's review: the audit rows of that user on that patient
between the grant's start and end (:func:`actions_under`). The manager marks each grant
reviewed, with a note (``record.break_glass_review``).

Other roles are governed by the role table alone (``clinic.access``): the office manager reads
notes for oversight, the front desk and billing never see clinical content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from clinic.errors import NotAllowed, NotFound, ValidationError
from clinic.timeutil import now_utc
from db import Connection, atomic, audit, read, read_one
from db.actors import Actor, acting, refusal, write_refusal

MINUTES = 60  # how long a grant lasts
REASON_MIN, REASON_MAX = 15, 500
# What the clinician is told before breaking the glass, and what the review list says.
WARNING = ("This patient is not on your schedule. In an emergency you may open their clinical record "
           f"for {MINUTES} minutes: give the reason. Everything you do is recorded and reviewed by the office manager.")

Access = Literal["own", "role", "emergency", "none"]


@dataclass(frozen=True)
class Grant:
    id: int
    user_id: int
    patient_id: int
    reason: str
    started_at: datetime
    ends_at: datetime
    reviewed_by: int | None = None
    reviewed_at: datetime | None = None
    review_note: str | None = None


@dataclass(frozen=True)
class ReviewItem:
    """One grant as the review list shows it, with how many actions were taken under it."""

    grant: Grant
    user: str          # full name of the clinician
    patient: str       # "Last, First"
    mrn: str
    actions: int
    reviewer: str | None


# An audit row made under a grant: the grant's own row (written in the grant's transaction, whose
# clock may read a moment earlier), or the grant user's row on the grant's patient while it ran.
_UNDER = ("((a.entity = 'break_glass' AND a.entity_id = $grant AND a.action = 'record.break_glass')"
          " OR (a.user_id = $user AND a.patient_id = $patient AND a.occurred_at >= $start AND a.occurred_at <= $end))")
_GRANT = "SELECT id, user_id, patient_id, reason, started_at, ends_at, reviewed_by, reviewed_at, review_note FROM break_glass"


def _role_and_provider(cur: Connection, user_id: int) -> tuple[str | None, list[int]]:
    row = cur.execute("SELECT role FROM users WHERE id = ?", [user_id]).fetchone()
    providers = [r[0] for r in cur.execute("SELECT id FROM providers WHERE user_id = ?", [user_id]).fetchall()]
    return (row[0] if row else None), providers


def _is_own(cur: Connection, providers: list[int], patient_id: int) -> bool:
    if not providers:
        return False
    return cur.execute(
        "SELECT 1 FROM appointments WHERE patient_id = ? AND list_contains(?, provider_id) LIMIT 1",
        [patient_id, providers]).fetchone() is not None


def _active(cur: Connection, user_id: int, patient_id: int, at: datetime) -> Grant | None:
    row = cur.execute(_GRANT + " WHERE user_id = ? AND patient_id = ? AND started_at <= ? AND ends_at > ?"
                               " ORDER BY ends_at DESC LIMIT 1", [user_id, patient_id, at, at]).fetchone()
    return Grant(*row) if row else None


def _access(cur: Connection, user_id: int, patient_id: int) -> tuple[Access, Grant | None]:
    role, providers = _role_and_provider(cur, user_id)
    if role != "clinician":
        return "role", None
    if _is_own(cur, providers, patient_id):
        return "own", None
    grant = _active(cur, user_id, patient_id, now_utc())
    return ("emergency", grant) if grant else ("none", None)


def access(conn: Connection, user: Any, patient_id: int) -> tuple[Access, Grant | None]:
    """How ``user`` reaches the clinical part of ``patient_id``'s record now: "own" (a clinician's
    own patient), "role" (not a clinician: the role table decides), "emergency" (under an
    active grant, returned too) or "none" (a clinician who must break the glass first)."""
    cur = conn.cursor()
    try:
        return _access(cur, getattr(user, "id", user), patient_id)
    finally:
        cur.close()


def require_clinical_access(cur: Connection, actor: Actor, patient_id: int) -> None:
    """Inside a write or an audited read: refuse a clinician who has neither a care relationship
    with the patient nor an active emergency grant. Operators and other roles pass (their role
    was already checked)."""
    if actor.is_operator or actor.role != "clinician":
        return
    kind, _ = _access(cur, actor.id, patient_id)
    if kind == "none":
        raise refusal(actor, "records.clinical", "This patient is not on your schedule: open their record for an "
                      "emergency first (with the reason), or ask their clinician.", patient_id=patient_id)


def reader(conn: Connection, by: Any, action: str, patient_id: int) -> Actor:
    """For a read of the clinical part of a record outside a write: ``by`` may do ``action``
    (clinic.access) and, a clinician, has this patient on their schedule or an active emergency
    grant. A refusal is audited (outcome "refused") before NotAllowed is raised."""
    cur = conn.cursor()
    try:
        actor = acting(cur, by, action)
        require_clinical_access(cur, actor, patient_id)
        return actor
    except NotAllowed as err:
        if err.patient_id is None:
            err.patient_id = patient_id  # the refusal's row says whose record it was
        write_refusal(conn, err)
        err.audit_pending = False
        raise
    finally:
        cur.close()


def check_reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if len(text) < REASON_MIN:
        raise ValidationError({"reason": f"Say why, in at least {REASON_MIN} characters (who asked, what is urgent)."})
    return text[:REASON_MAX]


def start(conn: Connection, *, patient_id: int, reason: str | None, by) -> Grant:
    """Break the glass: a clinician gets the clinical part of this patient's record for
    :data:`MINUTES` minutes. An active grant is returned as it is (no second one)."""
    text = check_reason(reason)

    def write(cur: Connection) -> Grant:
        actor = acting(cur, by, "records.break_glass")
        if cur.execute("SELECT 1 FROM patients WHERE id = ? AND status = 'active'", [patient_id]).fetchone() is None:
            raise NotFound("That patient does not exist.")
        kind, grant = _access(cur, actor.id, patient_id)
        if kind == "own":
            raise ValidationError({"reason": "This patient is on your schedule: no emergency access is needed."})
        if grant is not None:
            return grant
        now = now_utc()  # the clinic's clock, which access checks read too
        row = cur.execute(
            "INSERT INTO break_glass (user_id, patient_id, reason, started_at, ends_at) VALUES (?, ?, ?, ?, ?)"
            " RETURNING id, user_id, patient_id, reason, started_at, ends_at, reviewed_by, reviewed_at, review_note",
            [actor.id, patient_id, text, now, now + timedelta(minutes=MINUTES)]).fetchone()
        audit.record(cur, actor, "record.break_glass", "break_glass", row[0], patient_id,
                     detail={"reason": text, "minutes": MINUTES}, category="clinical")
        return Grant(*row)

    return atomic(conn, write)


def actions_under(conn: Connection, grant_id: int) -> list[tuple]:
    """The grant's own audit row and the audit rows of its user on its patient while it ran,
    oldest first: (id, occurred_at, action, entity, entity_id, outcome)."""
    grant = get(conn, grant_id)
    return read(conn, "SELECT id, occurred_at, action, entity, entity_id, outcome FROM audit_log a WHERE " + _UNDER
                      + " ORDER BY id", {"user": grant.user_id, "patient": grant.patient_id, "grant": str(grant.id),
                                         "start": grant.started_at, "end": grant.ends_at})


def get(conn: Connection, grant_id: int) -> Grant:
    row = read_one(conn, _GRANT + " WHERE id = ?", [grant_id])
    if row is None:
        raise NotFound("That emergency access does not exist.")
    return Grant(*row)


def for_review(conn: Connection, *, reviewed: bool = False) -> list[ReviewItem]:
    """Grants waiting for review (or, ``reviewed=True``, those already reviewed), newest first."""
    rows = read(
        conn,
        "SELECT g.id, g.user_id, g.patient_id, g.reason, g.started_at, g.ends_at, g.reviewed_by, g.reviewed_at,"
        " g.review_note, u.full_name, p.last_name || ', ' || p.first_name, p.mrn,"
        " (SELECT count(*) FROM audit_log a WHERE (a.entity = 'break_glass' AND a.entity_id = g.id::VARCHAR"
        "  AND a.action = 'record.break_glass') OR (a.user_id = g.user_id AND a.patient_id = g.patient_id"
        "  AND a.occurred_at >= g.started_at AND a.occurred_at <= g.ends_at)), r.full_name"
        " FROM break_glass g JOIN users u ON u.id = g.user_id JOIN patients p ON p.id = g.patient_id"
        " LEFT JOIN users r ON r.id = g.reviewed_by"
        " WHERE (g.reviewed_at IS NOT NULL) = ? ORDER BY g.started_at DESC, g.id DESC",
        [reviewed])
    return [ReviewItem(Grant(*r[:9]), r[9], r[10], r[11], r[12], r[13]) for r in rows]


def review(conn: Connection, grant_id: int, *, note: str | None, by) -> None:
    """Mark a grant reviewed (the manager read the reason and what was done), with a note."""
    text = " ".join((note or "").split())[:REASON_MAX] or None

    def write(cur: Connection) -> None:
        actor = acting(cur, by, "records.review_break_glass")
        row = cur.execute("SELECT patient_id, reviewed_at FROM break_glass WHERE id = ?", [grant_id]).fetchone()
        if row is None:
            raise NotFound("That emergency access does not exist.")
        if row[1] is not None:
            raise ValidationError({"review": "This emergency access was already reviewed."})
        cur.execute("UPDATE break_glass SET reviewed_by = ?, reviewed_at = ?, review_note = ? WHERE id = ?",
                    [actor.id, now_utc(), text, grant_id])
        audit.record(cur, actor, "record.break_glass_review", "break_glass", grant_id, row[0],
                     detail={"note": text} if text else None, category="clinical")

    atomic(conn, write)
