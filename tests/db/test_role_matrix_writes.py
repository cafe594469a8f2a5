"""The role matrix, write side: every action of ``clinic.access.ACTIONS`` tried by every role
through a real data-layer function on a seeded database. An allowed role gets its write; a
refused one gets NotAllowed, nothing written, and exactly one audit row (outcome "refused")
naming them and what they tried, sealed into the tamper-evident chain.

``PERFORMS`` maps each action to one function that performs it: ``prepare(conn)`` sets the
scene as an operator ("test": never refused, outside the counts) and returns ``act(by)``, the
one call under test. A new key in ACTIONS fails :func:`test_every_action_has_a_function_here`
until it gets its entry.
"""

from __future__ import annotations

import io
import itertools
import shutil
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest
from PIL import Image

import db
from clinic import timeutil
from clinic.access import ACTIONS, ROLES
from clinic.audit_terms import category_for
from clinic.errors import NotAllowed
from db import (actors, appointments, audit_report, availability, backups, break_glass, claims, documents, explorer,
                fees, inventory, messages, notes, patient_intake, patient_merge, payers, payments, purchase_orders,
                settings, stock_catalog, users, vendors, waitlist)
from db import invoices as invoices_db
from db.imports import imports_dir, noshow
from tests.conftest import (DEMO_USER_FOR_ROLE, SEED_NOW, copy_database, make_appointment, make_patient,
                            make_user)

NOSHOW_SAMPLE = Path(__file__).resolve().parent.parent / "data" / "noshow_sample.csv"
OWN_PROVIDER = 1  # the seeded clinician ("doctor") is provider 1
FOLLOW_UP = 2  # a seeded visit type open to every patient
REASON = "Patient collapsed in the waiting room; allergies and medication list needed now."

_n = itertools.count(1)
Act = Callable[[Any], Any]


def _one(conn, sql: str, params=None):
    row = db.read_one(conn, sql, params)
    assert row is not None, sql
    return row[0]


def _png(n: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (n % 256, (n // 256) % 256, 90)).save(out, format="PNG")
    return out.getvalue()


def _future_day(n: int) -> date:
    """A weekday in the seeded clinic's future, a different one per call (no two bookings meet)."""
    return date(2026, 4, 6) + timedelta(weeks=n // 5, days=n % 5)  # Monday 6 April 2026 onwards


# --- one function per action ----------------------------------------------------------------------


def users_manage(conn) -> Act:
    target = make_user(conn, role="front_desk")
    return lambda by: users.set_role(conn, target, "billing", by=by)


def appointments_book(conn) -> Act:
    patient = make_patient(conn)
    start = datetime.combine(_future_day(next(_n)), time(14, 0), tzinfo=timezone.utc)  # 10:00 in New York
    return lambda by: appointments.book(conn, patient_id=patient, provider_id=2, type_id=FOLLOW_UP, start=start,
                                        user=by, reason="Matrix")


def appointments_status(conn) -> Act:
    # On the clinician's own schedule, so that the clinician is allowed too.
    visit = make_appointment(conn, provider_id=OWN_PROVIDER, type_id=FOLLOW_UP, start_at=SEED_NOW)
    return lambda by: appointments.change_status(conn, visit, "checked_in", user=by, now=SEED_NOW)


def waitlist_manage(conn) -> Act:
    patient = make_patient(conn)
    return lambda by: waitlist.add(conn, patient_id=patient, type_id=FOLLOW_UP, provider_id=None,
                                   preferred_days=None, by=by)


def reminders_record(conn) -> Act:
    visit = make_appointment(conn, provider_id=2, type_id=FOLLOW_UP, start_at=SEED_NOW + timedelta(days=2))
    return lambda by: appointments.record_reminder(conn, visit, "left_message", user=by, now=SEED_NOW)


def schedule_manage(conn) -> Act:
    day = _future_day(next(_n)) + timedelta(days=400)
    return lambda by: availability.add_closure(conn, day, "Matrix", by=by, now=SEED_NOW)


def patients_edit(conn) -> Act:
    n = next(_n)
    form = {"first_name": "Matrix", "last_name": f"Intake{n}", "date_of_birth": date(1970, 1, 1) + timedelta(days=n),
            "sex": "female", "phone_mobile": f"(212) 555-{n % 10000:04d}"}
    return lambda by: patient_intake.create(conn, form, by=by, confirm_new=True)


def patients_merge(conn) -> Act:
    survivor, merged = make_patient(conn), make_patient(conn)
    return lambda by: patient_merge.merge(conn, survivor_id=survivor, merged_id=merged, by=by)


def documents_upload(conn) -> Act:
    patient, n = make_patient(conn), next(_n)
    return lambda by: documents.add(conn, patient_id=patient, filename="card.png", content=_png(n),
                                    category="insurance_card", doc_date=date(2026, 3, 1), by=by)


def documents_read(conn) -> Act:
    document = documents.add(conn, patient_id=make_patient(conn), filename="card.png", content=_png(next(_n)),
                             category="insurance_card", doc_date=date(2026, 3, 1), by="test")
    return lambda by: documents.get_file(conn, document, by=by)


def messages_log(conn) -> Act:
    return lambda by: messages.log_message(conn, patient_id=None, channel="phone_in", request_type="other",
                                           subject="Matrix call", by=by)


def notes_read(conn) -> Act:
    # A patient on the demo doctor's schedule: the role table alone decides.
    patient = _one(conn, "SELECT n.patient_id FROM visit_notes n JOIN appointments a ON a.id = n.appointment_id"
                         " WHERE a.provider_id = ? ORDER BY n.id LIMIT 1", [OWN_PROVIDER])
    return lambda by: notes.for_patient(conn, patient, by=by)


def notes_write(conn) -> Act:
    visit = make_appointment(conn, provider_id=OWN_PROVIDER, type_id=FOLLOW_UP, start_at=SEED_NOW - timedelta(days=1),
                             status="completed")
    return lambda by: notes.save_draft(conn, visit, "Knee better.", seen_revision=0, by=by)


def records_break_glass(conn) -> Act:
    patient = make_patient(conn)  # on nobody's schedule
    return lambda by: break_glass.start(conn, patient_id=patient, reason=REASON, by=by)


def records_review_break_glass(conn) -> Act:
    doctor = _one(conn, "SELECT id FROM users WHERE username = 'doctor'")
    grant = _one(conn, "INSERT INTO break_glass (user_id, patient_id, reason, started_at, ends_at)"
                       " VALUES (?, ?, ?, ?, ?) RETURNING id",
                 [doctor, make_patient(conn), REASON, SEED_NOW, SEED_NOW + timedelta(hours=1)])
    return lambda by: break_glass.review(conn, grant, note="Looked at it.", by=by)


def payers_manage(conn) -> Act:
    n = next(_n)
    return lambda by: payers.save(conn, name=f"Matrix Health {n}", payer_code=f"MTX{n}", kind="commercial", by=by)


def settings_manage(conn) -> Act:
    return lambda by: settings.set_many(conn, {"session_idle_min": "20"}, by=by)


def billing_invoice(conn) -> Act:
    patient = make_patient(conn)
    return lambda by: invoices_db.create_invoice(conn, patient_id=patient, service_date=date(2026, 3, 1), user=by)


def billing_payment(conn) -> Act:
    patient = make_patient(conn)
    return lambda by: payments.post_payment_on_account(conn, patient_id=patient, amount="10.00", method="cash",
                                                       user=by)


def billing_claim(conn) -> Act:
    claim = _one(conn, "SELECT id FROM claims WHERE status = 'submitted' ORDER BY id LIMIT 1")
    return lambda by: claims.change_claim_status(conn, claim, "accepted", user=by)


def billing_adjust(conn) -> Act:
    invoice = _one(conn, "SELECT id FROM invoices WHERE status = 'open' ORDER BY id LIMIT 1")
    return lambda by: payments.adjust_invoice(conn, invoice_id=invoice, kind="courtesy", amount="0.01",
                                              reason="Matrix", user=by)


def billing_fees(conn) -> Act:
    n = next(_n)
    return lambda by: fees.save_fee(conn, code=f"M{n:04d}", description="Matrix fee", price="10.00",
                                    effective_from=date(2026, 1, 1), user=by)


def inventory_stock(conn) -> Act:
    item = _one(conn, "SELECT id FROM stock_items WHERE active AND NOT lot_tracked ORDER BY id LIMIT 1")
    return lambda by: inventory.receive(conn, item_id=item, quantity=1, user=by)


def inventory_items(conn) -> Act:
    n = next(_n)
    return lambda by: stock_catalog.create_item(conn, sku=f"MTX-{n}", name=f"Matrix item {n}", category="supply",
                                                unit="box", reorder_point=1, reorder_quantity=2, user=by)


def inventory_order(conn) -> Act:
    vendor = _one(conn, "SELECT id FROM vendors WHERE active ORDER BY id LIMIT 1")
    item = _one(conn, "SELECT id FROM stock_items WHERE active ORDER BY id LIMIT 1")
    return lambda by: purchase_orders.create_order(conn, vendor_id=vendor, lines=[(item, 1, None)], user=by)


def inventory_vendors(conn) -> Act:
    n = next(_n)
    values = {"name": f"Matrix Supply {n}", "contact_person": "Ana Ortiz", "phone": "(212) 555-0142",
              "email": "orders@matrix.example.com", "account_number": "", "lead_time_days": "5",
              "minimum_order": "", "notes": ""}
    return lambda by: vendors.save_vendor(conn, values, user=by)


def explorer_query(conn) -> Act:
    return lambda by: explorer.run_query(conn, "SELECT count(*) AS n FROM visit_types", user=by)


def data_import(conn) -> Act:
    path = imports_dir(conn) / "noshow_sample.csv"
    shutil.copyfile(NOSHOW_SAMPLE, path)
    return lambda by: noshow.import_noshow(conn, path, user=by)


def audit_read(conn) -> Act:
    return lambda by: audit_report.record_read(conn, None, by=by)


def audit_export(conn) -> Act:
    return lambda by: audit_report.record_export(conn, None, by=by)


def backups_manage(conn) -> Act:
    return lambda by: backups.create(conn, by=by)


PERFORMS: dict[str, Callable[[duckdb.DuckDBPyConnection], Act]] = {
    "users.manage": users_manage,
    "appointments.book": appointments_book,
    "appointments.status": appointments_status,
    "waitlist.manage": waitlist_manage,
    "reminders.record": reminders_record,
    "schedule.manage": schedule_manage,
    "patients.edit": patients_edit,
    "patients.merge": patients_merge,
    "documents.upload": documents_upload,
    "documents.read": documents_read,
    "messages.log": messages_log,
    "notes.read": notes_read,
    "notes.write": notes_write,
    "records.break_glass": records_break_glass,
    "records.review_break_glass": records_review_break_glass,
    "payers.manage": payers_manage,
    "settings.manage": settings_manage,
    "billing.invoice": billing_invoice,
    "billing.payment": billing_payment,
    "billing.claim": billing_claim,
    "billing.adjust": billing_adjust,
    "billing.fees": billing_fees,
    "inventory.stock": inventory_stock,
    "inventory.items": inventory_items,
    "inventory.order": inventory_order,
    "inventory.vendors": inventory_vendors,
    "explorer.query": explorer_query,
    "data.import": data_import,
    "audit.read": audit_read,
    "audit.export": audit_export,
    "backups.manage": backups_manage,
}

CASES = [(action, role) for action in ACTIONS for role in ROLES]


# --- the database -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(seeded_template, tmp_path_factory):
    """One seeded copy for the whole matrix, on the seeded clinic's clock, and its demo users."""
    path = copy_database(seeded_template, tmp_path_factory.mktemp("matrix") / "clinic.duckdb")
    connection = db.connect(path)
    timeutil.set_clock(SEED_NOW)
    try:
        staff = {role: users.find_by_username(connection, DEMO_USER_FOR_ROLE[role]) for role in ROLES}
        yield connection, staff
    finally:
        timeutil.set_clock(None)
        connection.close()


def footprint(conn) -> list[tuple]:
    """Row count and a content hash of every table but the audit trail: any write changes it."""
    tables = [t for (t,) in db.read(conn, "SELECT table_name FROM duckdb_tables() WHERE database_name ="
                                          " current_database() AND table_name NOT IN ('audit_log', 'audit_chain')"
                                          " ORDER BY table_name")]
    # Table names come from the catalogue just read, never from input.
    union = " UNION ALL ".join(
        "SELECT '" + t + "', count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM \"" + t + "\" t" for t in tables)
    return db.read(conn, union)


def last_audit_id(conn) -> int:
    return _one(conn, "SELECT coalesce(max(id), 0) FROM audit_log")


def audit_since(conn, after: int) -> list[tuple]:
    return db.read(conn, "SELECT id, user_id, username, role, action, category, outcome, detail FROM audit_log"
                         " WHERE id > ? ORDER BY id", [after])


# --- the matrix ---------------------------------------------------------------------------------------


def test_every_action_has_a_function_here():
    assert set(PERFORMS) == set(ACTIONS), "give each new action of clinic.access.ACTIONS its function in PERFORMS"


@pytest.mark.parametrize("action, role", CASES, ids=[f"{a}-{r}" for a, r in CASES])
def test_a_role_does_an_action_only_when_the_table_allows_it_and_a_refusal_is_audited_once(world, action, role):
    conn, staff = world
    user = staff[role]
    act = PERFORMS[action](conn)
    before, audited = footprint(conn), last_audit_id(conn)

    if role in ACTIONS[action]:
        act(user)
        assert not [r for r in audit_since(conn, audited) if r[6] == "refused"]
        return

    with pytest.raises(NotAllowed) as refused:
        act(user)
    assert "does not allow" in str(refused.value) or "does not give access" in str(refused.value)
    assert footprint(conn) == before, f"{role} was refused {action} but something was written"
    rows = audit_since(conn, audited)
    assert len(rows) == 1, rows
    (row_id, user_id, username, row_role, row_action, category, outcome, detail) = rows[0]
    assert (user_id, username, row_role) == (user.id, user.username, role)
    assert (row_action, outcome, category) == (action, "refused", category_for(action))
    assert detail
    # Sealed into the tamper-evident chain like any other row.
    assert db.read(conn, "SELECT count(*) FROM audit_chain WHERE audit_id = ?", [row_id]) == [(1,)]


# --- the refusal row: once, whatever happens around it ------------------------------------------------


def refusals(conn, user_id: int) -> list[tuple]:
    return db.read(conn, "SELECT action, outcome, detail FROM audit_log WHERE user_id = ? AND outcome = 'refused'",
                   [user_id])


def test_a_refusal_after_a_write_conflict_is_audited_once(conn):
    desk = users.get(conn, make_user(conn, role="front_desk"))
    tries = []

    def write(cur):
        tries.append(1)
        if len(tries) == 1:
            raise duckdb.TransactionException("TransactionContext Error: Conflict on tuple deletion!")
        actors.acting(cur, desk, "users.manage")

    with pytest.raises(NotAllowed):
        db.atomic(conn, write)
    assert len(tries) == 2
    assert [(a, o) for a, o, _ in refusals(conn, desk.id)] == [("users.manage", "refused")]


def test_a_refusal_inside_a_nested_write_is_audited_once(conn):
    billing = users.get(conn, make_user(conn, role="billing"))

    def outer(cur):
        cur.execute("INSERT INTO settings (key, value) VALUES ('matrix', 'x')")
        db.atomic(conn, lambda inner: actors.acting(inner, billing, "patients.merge"))

    with pytest.raises(NotAllowed):
        db.atomic(conn, outer)
    assert [(a, o) for a, o, _ in refusals(conn, billing.id)] == [("patients.merge", "refused")]
    assert db.read(conn, "SELECT count(*) FROM settings WHERE key = 'matrix'") == [(0,)]


def test_a_refused_read_checked_outside_a_write_is_audited(conn):
    desk = users.get(conn, make_user(conn, role="front_desk"))
    with pytest.raises(NotAllowed):
        actors.current(conn, desk, "notes.read")
    assert [(a, o) for a, o, _ in refusals(conn, desk.id)] == [("notes.read", "refused")]
    assert actors.current(conn, desk, "messages.log").id == desk.id
    assert len(refusals(conn, desk.id)) == 1


def test_a_deactivated_account_is_refused_under_the_action_it_tried_with_its_role_as_read(conn):
    manager = users.get(conn, make_user(conn, role="manager"))
    users.set_active(conn, manager.id, False, by="test")
    with pytest.raises(NotAllowed, match="no longer active"):
        vendors.save_vendor(conn, {"name": "Henry Medical Supply", "phone": "(212) 555-0142"}, user=manager)
    rows = db.read(conn, "SELECT username, role, action, category, outcome FROM audit_log WHERE user_id = ?"
                         " AND outcome = 'refused'", [manager.id])
    assert rows == [(manager.username, "manager", "inventory.vendors", "inventory", "refused")]


def test_a_check_of_the_account_alone_is_refused_as_access_refused(conn):
    desk = users.get(conn, make_user(conn, role="front_desk"))
    users.set_active(conn, desk.id, False, by="test")
    with pytest.raises(NotAllowed):
        db.atomic(conn, lambda cur: actors.acting(cur, desk, None))
    assert [(a, o) for a, o, _ in refusals(conn, desk.id)] == [(actors.ACCOUNT_REFUSED, "refused")]


def test_an_operator_is_never_refused_nor_audited_as_refused(conn):
    before = last_audit_id(conn)
    for action in ACTIONS:
        assert db.atomic(conn, lambda cur, a=action: actors.acting(cur, "manage.py", a)).is_operator
    assert audit_since(conn, before) == []


def test_a_refusal_by_a_rule_beyond_the_role_table_can_be_audited_the_same_way_with_its_patient(conn):
    doctor = users.get(conn, make_user(conn, role="clinician"))
    patient = make_patient(conn)

    def write(cur):
        actor = actors.acting(cur, doctor, "documents.read")
        raise actors.refusal(actor, "documents.read", "Not on your schedule.", patient_id=patient)

    with pytest.raises(NotAllowed, match="Not on your schedule"):
        db.atomic(conn, write)
    assert db.read(conn, "SELECT action, patient_id, category, outcome FROM audit_log WHERE user_id = ?",
                   [doctor.id]) == [("documents.read", patient, "clinical", "refused")]
