"""837P claim files: which draft claims are ready to send and why the others are not, sending a
batch (the file built, checked by pyx12, stored, its claims marked ``submitted``: one
transaction), the list of batches and a batch's file downloaded again.

The file is built by :mod:`clinic.x12_837` from what this module reads; what a payer would reject
is found first by :mod:`clinic.claim_send`; the file is validated by :func:`clinic.x12.validate`
and never stored (nor any claim marked) when pyx12 finds a problem. Interchange control numbers
come from ``x12_interchange_seq`` and are UNIQUE in ``claim_batches``: a number is never reused,
also when a send fails after taking one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from clinic import practice, x12
from clinic.claim_send import FILING_CODES, Names, problems
from clinic.errors import ClinicError, NotFound
from clinic.money import ZERO, money_text
from clinic.timeutil import now_utc
from clinic.x12_837 import (Address, BillingProvider, ClaimOut, Envelope, Person, PriorAnswerLine, PriorPayer,
                            Rendering, ServiceLine, Submitter, build_837p)
from db import Connection, atomic, audit, read, read_one
from db.actors import acting
from db.claims import ACTION, event_in, timezone_in
from db.settings import DEFAULTS, get_all

DOWNLOAD = "claim.batch_download"


@dataclass(frozen=True)
class ReadyClaim:
    """A draft claim and what stops it from being sent (empty: ready)."""

    claim_id: int
    control_number: str
    patient_name: str
    payer_name: str
    rank: int
    service_date: date
    total_charge: Decimal
    problems: tuple[str, ...]

    @property
    def ready(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Batch:
    id: int
    interchange_control: int
    file_name: str
    claim_count: int
    total_charge: Decimal
    usage: str
    created_at: datetime
    created_by: str | None


@dataclass(frozen=True)
class SentBatch:
    batch: Batch
    skipped: tuple[ReadyClaim, ...]  # drafts left out because of their problems


# --- reading the claims as the file needs them ---------------------------------------------------

_HEADS = (
    "SELECT c.id, c.control_number, c.rank, c.status, c.member_id, c.group_number, c.subscriber_name,"
    " c.subscriber_relationship, c.diagnoses, c.primary_claim_id, i.service_date,"
    " pt.first_name, pt.last_name, pt.middle_name, pt.date_of_birth, pt.sex, pt.address_line1, pt.address_line2,"
    " pt.city, pt.state, pt.postal_code, p.name, coalesce(p.electronic_id, ''), p.kind, pr.name, pr.npi"
    " FROM claims c JOIN invoices i ON i.id = c.invoice_id JOIN patients pt ON pt.id = i.patient_id"
    " JOIN payers p ON p.id = c.payer_id LEFT JOIN providers pr ON pr.id = i.provider_id"
    " WHERE list_contains($ids, c.id) ORDER BY c.id"
)
_LINES = (
    "SELECT l.claim_id, l.id, l.code, l.modifiers, l.quantity, l.charge, l.pointers FROM claim_lines l"
    " WHERE list_contains($ids, l.claim_id) ORDER BY l.claim_id, l.position, l.id"
)
# The primary's latest answer, for a secondary claim: its payer and coverage, and per line what
# it paid and adjusted.
_PRIOR_HEADS = (
    "SELECT c.id, p.name, coalesce(p.electronic_id, ''), p.kind, c.member_id, c.group_number, c.subscriber_name,"
    " c.subscriber_relationship, a.id, a.received_on FROM claims c JOIN payers p ON p.id = c.payer_id"
    " JOIN claim_answers a ON a.claim_id = c.id"
    " WHERE list_contains($ids, c.id) QUALIFY row_number() OVER (PARTITION BY c.id ORDER BY a.posted_at DESC, a.id DESC) = 1"
)
_PRIOR_LINES = (
    "SELECT la.answer_id, l.invoice_line_id, la.id, la.paid FROM claim_line_answers la"
    " JOIN claim_lines l ON l.id = la.claim_line_id WHERE list_contains($answers, la.answer_id)"
)
_PRIOR_ADJUSTMENTS = (
    "SELECT j.line_answer_id, j.group_code, j.reason_code, j.amount FROM claim_line_adjustments j"
    " JOIN claim_line_answers la ON la.id = j.line_answer_id WHERE list_contains($answers, la.answer_id)"
    " ORDER BY j.line_answer_id, j.group_code, j.reason_code"
)


def _split_name(full: str | None) -> tuple[str, str]:
    """(last, first) of a subscriber's name as typed on the intake ("Maria J. Lopez")."""
    words = (full or "").split()
    if not words:
        return "", ""
    return words[-1], " ".join(words[:-1])


def _assemble(cur: Connection, ids: Sequence[int]) -> dict[int, tuple[ClaimOut, Names, ReadyClaim]]:
    heads = cur.execute(_HEADS, {"ids": list(ids)}).fetchall()
    invoice_lines: dict[int, list[tuple]] = {}
    for row in cur.execute(_LINES, {"ids": list(ids)}).fetchall():
        invoice_lines.setdefault(row[0], []).append(row[1:])
    primary_ids = [h[9] for h in heads if h[9] is not None]
    priors = {r[0]: r for r in cur.execute(_PRIOR_HEADS, {"ids": primary_ids}).fetchall()} if primary_ids else {}
    answers = [r[8] for r in priors.values()]
    prior_lines: dict[int, dict[int, PriorAnswerLine]] = {}
    if answers:
        adjustments: dict[int, list[tuple[str, str, Decimal]]] = {}
        for line_answer_id, group, reason, amount in cur.execute(_PRIOR_ADJUSTMENTS, {"answers": answers}).fetchall():
            adjustments.setdefault(line_answer_id, []).append((group, reason, amount))
        for answer_id, invoice_line_id, line_answer_id, paid in cur.execute(_PRIOR_LINES, {"answers": answers}).fetchall():
            prior_lines.setdefault(answer_id, {})[invoice_line_id] = PriorAnswerLine(
                paid, tuple(adjustments.get(line_answer_id, ())))
    invoice_line_of = {row[0]: row for row in cur.execute(
        "SELECT id, invoice_line_id FROM claim_lines WHERE list_contains($ids, claim_id)", {"ids": list(ids)}).fetchall()}

    out: dict[int, tuple[ClaimOut, Names, ReadyClaim]] = {}
    for (claim_id, control, rank, _status, member_id, group, subscriber_name, relationship, diagnoses, primary_id,
         service_date, first, last, middle, birth, sex, line1, line2, city, state, postal, payer_name, payer_eid,
         payer_kind, provider_name, provider_npi) in heads:
        address = Address(line1 or "", city or "", state or "", "".join((postal or "").split("-")), line2 or None)
        patient = Person(last, first, middle or None, None, address, birth, sex)
        if relationship == "self":
            subscriber = Person(last, first, middle or None, member_id, address, birth, sex)
        else:
            sub_last, sub_first = _split_name(subscriber_name)
            subscriber = Person(sub_last, sub_first, None, member_id, address)
        prior = None
        prior_answer: dict[int, PriorAnswerLine] = {}
        if rank == 2 and primary_id in priors:
            (_pid, p_name, p_eid, p_kind, p_member, p_group, p_subscriber, p_relationship, p_answer,
             p_received) = priors[primary_id]
            prior_answer = prior_lines.get(p_answer, {})
            if p_relationship == "self":
                p_person = Person(last, first, middle or None, p_member, address, birth, sex)
            else:
                s_last, s_first = _split_name(p_subscriber)
                p_person = Person(s_last, s_first, None, p_member, address)
            prior = PriorPayer(p_name, p_eid, p_member, p_person, p_group, FILING_CODES.get(p_kind, "CI"),
                               p_relationship, sum((a.paid for a in prior_answer.values()), ZERO), p_received)
        lines = tuple(
            ServiceLine(line_id, code, tuple(m for m in (modifiers or "").split(",") if m), charge, quantity,
                        tuple(ord(letter) - ord("A") + 1 for letter in (pointers or "").split(",") if letter),
                        service_date, prior_answer.get(invoice_line_of[line_id][1]) if prior else None)
            for line_id, code, modifiers, quantity, charge, pointers in invoice_lines.get(claim_id, []))
        rendering = None
        if provider_npi:
            r_last, r_first = _split_name(_without_title(provider_name))
            rendering = Rendering(r_last, r_first, provider_npi)
        claim = ClaimOut(control, rank, FILING_CODES.get(payer_kind, "CI"), payer_name, payer_eid, relationship,
                         subscriber, patient, group or None, "11",
                         tuple(d for d in (diagnoses or "").split(",") if d), lines, rendering, prior)
        names = Names(payer_name, provider_name, provider_npi, prior.payer_name if prior else None)
        ready = ReadyClaim(claim_id, control, f"{first} {last}", payer_name, rank, service_date, claim.total_charge,
                           tuple(problems(claim, names)))
        out[claim_id] = (claim, names, ready)
    return out


def _without_title(name: str | None) -> str:
    """"Dr. Amara Okafor" -> "Amara Okafor"; "Daniel Reyes, NP" -> "Daniel Reyes"."""
    words = (name or "").split(",")[0].split()
    return " ".join(w for w in words if w.rstrip(".").lower() not in ("dr", "doctor"))


def _draft_ids(cur: Connection, payer_id: int | None, since: date | None) -> list[int]:
    return [r[0] for r in cur.execute(
        "SELECT c.id FROM claims c JOIN invoices i ON i.id = c.invoice_id WHERE c.status = 'draft'"
        " AND ($payer IS NULL OR c.payer_id = $payer) AND ($since IS NULL OR i.service_date >= $since) ORDER BY c.id",
        {"payer": payer_id, "since": since}).fetchall()]


def draft_claims(conn: Connection, *, payer_id: int | None = None, since: date | None = None) -> list[ReadyClaim]:
    """Every draft claim (of ``payer_id``, for services on or after ``since``) with what stops it
    from being sent, oldest first."""
    cur = conn.cursor()
    try:
        assembled = _assemble(cur, _draft_ids(cur, payer_id, since))
    finally:
        cur.close()
    return [ready for _claim, _names, ready in assembled.values()]


def send_problems(conn: Connection, claim_id: int) -> list[str]:
    """What stops this draft claim from going out in a claim file (empty: ready, or not a draft)."""
    cur = conn.cursor()
    try:
        assembled = _assemble(cur, [claim_id])
    finally:
        cur.close()
    return list(assembled[claim_id][2].problems) if claim_id in assembled else []


def identity_problems(conn: Connection) -> list[str]:
    """The practice settings still missing before any claim file can be written."""
    missing = practice.missing_identity(get_all(conn))
    return [f"Fill in the practice's claim settings (Schedule settings, Clinic details): {', '.join(missing)}."] \
        if missing else []


# --- sending -------------------------------------------------------------------------------------


def _identity(cur: Connection) -> dict[str, str]:
    values = dict(DEFAULTS)
    values.update(dict(cur.execute("SELECT key, value FROM settings").fetchall()))
    missing = practice.missing_identity(values)
    if missing:
        raise ClinicError("Fill in the practice's claim settings first (Schedule settings, Clinic details): "
                          + ", ".join(missing) + ".", field="settings")
    return values


def send_batch(conn: Connection, *, user, claim_ids: Sequence[int] | None = None, payer_id: int | None = None,
               since: date | None = None) -> SentBatch:
    """Write one 837P file of the chosen draft claims (``claim_ids``), or of every draft claim
    ready to send (of ``payer_id``, served on or after ``since``), and mark them ``submitted``.

    ONE transaction: the claims are locked (their version bumped), read, checked, built into the
    file, validated by pyx12, and then the batch row with the file, its claims, their status,
    events and audit rows are written. Refused, writing nothing: a chosen claim that is not a
    draft or has a problem (each named), no claim ready, missing practice settings, or a file
    pyx12 finds invalid (its first problem named)."""

    def write(cur: Connection) -> SentBatch:
        actor = acting(cur, user, ACTION)
        values = _identity(cur)
        chosen = list(dict.fromkeys(int(i) for i in claim_ids)) if claim_ids is not None else None
        ids = chosen if chosen is not None else _draft_ids(cur, payer_id, since)
        if not ids:
            raise ClinicError("There is no draft claim to send." if chosen is None else "Choose the claims to send.",
                              field="claims")
        cur.execute("UPDATE claims SET version = version + 1 WHERE list_contains($ids, id)", {"ids": ids})
        statuses = dict(cur.execute("SELECT control_number, status FROM claims WHERE list_contains($ids, id)",
                                    {"ids": ids}).fetchall())
        if chosen is not None and len(statuses) != len(ids):
            raise NotFound("One of the chosen claims does not exist.")
        not_draft = [f"{number} is {status.replace('_', ' ')}" for number, status in statuses.items() if status != "draft"]
        if not_draft:
            raise ClinicError("Only draft claims are sent in a file: " + "; ".join(not_draft) + ".", field="claims")
        assembled = _assemble(cur, ids)
        place = values.get("place_of_service") or "11"
        for claim_id, (claim, names, ready) in list(assembled.items()):
            assembled[claim_id] = (_with_place(claim, place), names, ready)
        blocked = [ready for _c, _n, ready in assembled.values() if not ready.ready]
        if chosen is not None and blocked:
            raise ClinicError("Not sent, nothing was written: " + " ".join(
                f"{r.control_number}: {' '.join(r.problems)}" for r in blocked), field="claims")
        sending = [(claim, ready) for claim, _n, ready in assembled.values() if ready.ready]
        if not sending:
            raise ClinicError(f"No draft claim is ready to send: {len(blocked)} need fixing first (see their "
                              "reasons).", field="claims")

        (control,) = cur.execute("SELECT nextval('x12_interchange_seq')").fetchone()
        created = now_utc()
        local = created.astimezone(ZoneInfo(timezone_in(cur))).replace(tzinfo=None)
        text = build_837p(_envelope(values, control, local), _billing(values), [claim for claim, _r in sending])
        found = x12.validate(text)
        if found:
            raise ClinicError(f"The claim file failed validation, so nothing was sent: {found[0]}"
                              + (f" (and {len(found) - 1} more problems)" if len(found) > 1 else "") + ".",
                              field="claims")
        total = sum((claim.total_charge for claim, _r in sending), ZERO)
        file_name = f"claims-{control:09d}-{local:%Y%m%d}.837"
        (batch_id,) = cur.execute(
            "INSERT INTO claim_batches (interchange_control, file_name, content, claim_count, total_charge, usage,"
            " created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [control, file_name, text, len(sending), total, values["x12_usage"], created, actor.id]).fetchone()
        sent_ids = [ready.claim_id for _c, ready in sending]
        cur.execute("INSERT INTO claim_batch_claims (batch_id, claim_id) SELECT ?, unnest(?)", [batch_id, sent_ids])
        cur.execute("UPDATE claims SET status = 'submitted', submitted_at = ? WHERE list_contains(?, id)",
                    [created, sent_ids])
        patients = dict(cur.execute("SELECT c.id, i.patient_id FROM claims c JOIN invoices i ON i.id = c.invoice_id"
                                    " WHERE list_contains(?, c.id)", [sent_ids]).fetchall())
        for _claim, ready in sending:
            event_in(cur, actor, ready.claim_id, "draft", "submitted", f"Sent in claim file {file_name}")
            audit.record(cur, actor, "claim.status", "claim", ready.claim_id, patients[ready.claim_id],
                         detail={"from": "draft", "to": "submitted", "batch_id": batch_id})
        audit.record(cur, actor, "claim.batch", "claim_batch", batch_id,
                     detail={"file": file_name, "claims": len(sending), "total": total, "usage": values["x12_usage"]})
        batch = Batch(batch_id, control, file_name, len(sending), total, values["x12_usage"], created, actor.full_name)
        return SentBatch(batch, tuple(blocked))

    return atomic(conn, write)


def _with_place(claim: ClaimOut, place: str) -> ClaimOut:
    return replace(claim, place_of_service=place)


def _envelope(values: dict[str, str], control: int, local: datetime) -> Envelope:
    submitter = Submitter(values["clinic_name"], values["x12_submitter_id"], values["x12_contact_name"],
                          "".join(ch for ch in values["x12_contact_phone"] if ch.isdigit())[-10:])
    return Envelope(control, local, submitter, values["x12_receiver_name"], values["x12_receiver_id"],
                    values["x12_usage"], f"{control:09d}")


def _billing(values: dict[str, str]) -> BillingProvider:
    address = Address(values["billing_street"], values["billing_city"], values["billing_state"],
                      values["billing_zip"].replace("-", ""))
    return BillingProvider(values["clinic_name"], values["billing_npi"], values["billing_tax_id"], address,
                           values.get("billing_taxonomy") or None)


# --- the batch list ------------------------------------------------------------------------------

_BATCH_SQL = (
    "SELECT b.id, b.interchange_control, b.file_name, b.claim_count, b.total_charge, b.usage, b.created_at,"
    " u.full_name FROM claim_batches b LEFT JOIN users u ON u.id = b.created_by"
)


def list_batches(conn: Connection, *, limit: int = 200) -> list[Batch]:
    """The claim files sent, newest first."""
    return [Batch(*r) for r in read(conn, _BATCH_SQL + " ORDER BY b.id DESC LIMIT ?", [limit])]


def get_batch(conn: Connection, batch_id: int) -> Batch:
    row = read_one(conn, _BATCH_SQL + " WHERE b.id = ?", [batch_id])
    if row is None:
        raise NotFound("That claim file does not exist.")
    return Batch(*row)


def batch_file(conn: Connection, batch_id: int, *, user) -> tuple[str, str]:
    """(file name, content) of a batch's 837P file, exactly as sent; the download is audited."""

    def write(cur: Connection) -> tuple[str, str]:
        actor = acting(cur, user, ACTION)
        row = cur.execute("SELECT file_name, content FROM claim_batches WHERE id = ?", [batch_id]).fetchone()
        if row is None:
            raise NotFound("That claim file does not exist.")
        audit.record(cur, actor, DOWNLOAD, "claim_batch", batch_id, detail={"file": row[0]})
        return row

    return atomic(conn, write)


def batch_summary(batch: Batch) -> str:
    return f"{batch.file_name}: {batch.claim_count} claims, {money_text(batch.total_charge)}"
