"""Merging a duplicate patient record into the one that stays: one user action, one transaction.

Everything of the duplicate (appointments, documents, messages, notes, insurance, waitlist
entries, intake history, and billing: invoices with their claims, payments and so credit, payment
plans, the billing account) moves to the survivor; the duplicate is kept, marked ``merged`` with a
pointer to the survivor. The acting account is re-read first (action ``patients.merge``).
"""

from __future__ import annotations

from clinic.errors import ClinicError, NotFound
from clinic.timeutil import now_utc
from db import Connection, atomic, audit
from db.actors import acting

# Tables whose rows follow a patient into the surviving record on a merge. A fixed allow-list:
# the table name is chosen from here, never from input.
# Billing follows too: invoices (and through them their lines, payments applied, adjustments,
# refunds and insurance claims, which hang off the invoice and carry no patient of their own),
# payments (so the duplicate's credit becomes the survivor's), payment plans, and the billing
# account (below).
_MERGE_TABLES = ("appointments", "documents", "messages", "visit_notes", "patient_insurance", "waitlist",
                 "patient_changes", "invoices", "payments", "payment_plans")
_MERGE_SQL = {t: "UPDATE " + t + " SET patient_id = $survivor WHERE patient_id = $merged" for t in _MERGE_TABLES}
# Moving an invoice bumps its version, the conflict point of every write to it (db.ledger): a clerk
# posting on it at the same moment conflicts with the merge and retries under the survivor.
_MERGE_SQL["invoices"] = "UPDATE invoices SET patient_id = $survivor, version = version + 1 WHERE patient_id = $merged"
_COUNT_SQL = {t: "SELECT count(*) FROM " + t + " WHERE patient_id = ?" for t in _MERGE_TABLES}


def merge(conn: Connection, *, survivor_id: int, merged_id: int, by) -> dict[str, int]:
    """Move everything of ``merged_id`` to ``survivor_id`` in one transaction and keep the merged
    record, marked ``merged`` with a pointer to the survivor. Returns rows moved per table."""
    if survivor_id == merged_id:
        raise ClinicError("Choose two different patients.", field="merged")

    def write(cur: Connection) -> dict[str, int]:
        actor = acting(cur, by, "patients.merge")
        rows = dict(cur.execute("SELECT id, status FROM patients WHERE id IN (?, ?)",
                                [survivor_id, merged_id]).fetchall())
        if len(rows) < 2:
            raise NotFound("One of the two patients does not exist.")
        if rows[survivor_id] != "active" or rows[merged_id] != "active":
            raise ClinicError("Only two active records can be merged.", field="merged")
        # Serialise with bookings of either patient (same version trick as db.appointments), and
        # bump both records' version: an intake form opened before the merge is now stale.
        cur.execute("UPDATE patients SET booking_version = booking_version + 1, version = coalesce(version, 0) + 1"
                    " WHERE id IN (?, ?)", [survivor_id, merged_id])
        # The survivor keeps its own insurance when it has some; the merged record's plans then
        # move along as inactive history.
        if cur.execute("SELECT count(*) FROM patient_insurance WHERE patient_id = ? AND active",
                       [survivor_id]).fetchone()[0]:
            cur.execute("UPDATE patient_insurance SET active = FALSE WHERE patient_id = ?", [merged_id])
        moved = {"billing_accounts": _merge_billing_account(cur, survivor_id, merged_id)}
        for table in _MERGE_TABLES:
            count = cur.execute(_COUNT_SQL[table], [merged_id]).fetchone()[0]
            if count:
                cur.execute(_MERGE_SQL[table], {"survivor": survivor_id, "merged": merged_id})
            moved[table] = count
        cur.execute("UPDATE patients SET status = 'merged', merged_into = ?, updated_at = ? WHERE id = ?",
                    [survivor_id, now_utc(), merged_id])
        cur.execute("INSERT INTO patient_changes (patient_id, user_id, field, old_value, new_value)"
                    " VALUES (?, ?, 'merged', ?, ?)",
                    [survivor_id, actor.id, f"record {merged_id}", f"into record {survivor_id}"])
        audit.record(cur, actor, "patient.merge", "patient", merged_id, survivor_id,
                     detail={"survivor": survivor_id, "merged": merged_id, "moved": moved})
        return moved

    return atomic(conn, write)


def _merge_billing_account(cur: Connection, survivor_id: int, merged_id: int) -> int:
    """The duplicate's billing account (the lock row of its credit, db.ledger.lock_account) goes:
    both rows are bumped first, so a clerk spending either patient's credit at the same moment
    conflicts with the merge; then the survivor has a row and the duplicate's is deleted (its
    payments, hence its credit, move to the survivor). Returns 1 if the duplicate had one."""
    cur.execute("UPDATE billing_accounts SET version = version + 1 WHERE patient_id IN (?, ?)",
                [survivor_id, merged_id])
    (had,) = cur.execute("SELECT count(*) FROM billing_accounts WHERE patient_id = ?", [merged_id]).fetchone()
    if had:
        cur.execute("INSERT INTO billing_accounts (patient_id, version) VALUES (?, 1) ON CONFLICT DO NOTHING",
                    [survivor_id])
        cur.execute("DELETE FROM billing_accounts WHERE patient_id = ?", [merged_id])
    return had
