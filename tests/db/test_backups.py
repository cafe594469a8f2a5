"""Backups on a real database file: a snapshot with its manifest and audit head, checked against
its manifest, restored into a new file (never over one), corrupted copies refused, the newest N
kept; and a restore drill while other threads book, take payments and use stock."""

from __future__ import annotations

import contextlib
import io
import json
import random
import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from PIL import Image

import db
from clinic.errors import ClinicError, ValidationError
from db import audit_chain, backups, billing, documents, users
from tests.conftest import SEED_NOW, make_user


def counts(conn) -> dict[str, int]:
    tables = [r[0] for r in db.read(conn, "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
                                          " AND database_name = current_database()")]
    return {t: db.read(conn, "SELECT count(*) FROM query_table(?)", [t])[0][0] for t in tables}


@pytest.fixture
def admin(seeded):
    return users.get(seeded, db.read(seeded, "SELECT id FROM users WHERE username = 'admin'")[0][0])


def test_a_backup_restores_into_a_new_file_with_every_row_document_and_a_verifying_trail(seeded, admin, tmp_path):
    scan = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(scan, format="PNG")
    documents.add(seeded, patient_id=db.read(seeded, "SELECT min(id) FROM patients")[0][0], filename="scan.png",
                  content=scan.getvalue(), category="referral", doc_date=SEED_NOW.date(), by="test")
    before = counts(seeded)
    made = backups.create(seeded, by=admin, kind="manual")
    assert made.path.parent == Path(db.app_folder(seeded, "backups"))
    assert made.manifest_ok and made.size_bytes > 0 and made.schema_version == max(db.applied_versions(seeded))
    assert {t: v["rows"] for t, v in made.tables.items()} == before
    assert backups.verify(made.path) == []
    # The backup is in the trail of the database it was made from.
    assert db.read(seeded, "SELECT action, user_id FROM audit_log ORDER BY id DESC LIMIT 1") == [
        ("backup.create", admin.id)]

    restored = tmp_path / "restored" / "clinic.duckdb"
    backups.restore(made.path, restored)
    with contextlib.closing(db.connect(restored, seal=False)) as copy:
        assert counts(copy) == before
        assert db.read(copy, "SELECT content FROM documents WHERE filename = 'scan.png'") == [(scan.getvalue(),)]
        report = audit_chain.verify(copy)
        assert report.ok, report.problems
        # The same schema, as migrated then, and ids and record numbers go on where they left off.
        assert db.read(copy, "SELECT * FROM schema_migrations ORDER BY version") == db.read(
            seeded, "SELECT * FROM schema_migrations ORDER BY version")
        next_ids = "SELECT nextval('patients_id_seq'), nextval('patients_mrn_seq')"
        assert db.read(copy, next_ids) == db.read(seeded, next_ids)
        # The backup's own audit row was written after the copy was taken: its id is the copy's next.
        (backup_row,) = db.read_one(seeded, "SELECT max(id) FROM audit_log WHERE action = 'backup.create'")
        assert db.read(copy, "SELECT nextval('audit_log_id_seq')") == [(backup_row,)]


def test_the_rows_migrations_write_are_the_ones_a_backup_empties_before_copying():
    """A backup builds its new file with the migrations, empties what they wrote, then copies the
    live rows in (db/backups.py): a migration that writes rows into another table must be named
    in _EMPTY_AFTER_MIGRATING, or a backup would fail on the duplicate."""
    conn = duckdb.connect()
    db.migrate(conn)
    tables = [r[0] for r in db.read(conn, "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'")]
    written = {t for t in tables
               if t != "schema_migrations" and db.read(conn, "SELECT count(*) FROM query_table(?)", [t])[0][0]}
    emptied = {statement.removeprefix("DELETE FROM ") for statement in backups._EMPTY_AFTER_MIGRATING}
    assert written == emptied


def test_a_name_put_into_sql_is_a_plain_name_or_refused():
    assert db.identifier("clinic-2026.v2") == '"clinic-2026.v2"'
    for bad in ('x"; DROP TABLE patients; --', "", "a'b", "9lives"):
        with pytest.raises(ValueError):
            db.identifier(bad)


def test_a_database_from_an_older_version_is_backed_up_before_its_upgrade(db_path, tmp_path, monkeypatch):
    older = tmp_path / "older"
    older.mkdir()
    latest = max(v for v, _, _ in db.migration_files())
    for version, _, path in db.migration_files():
        if version < latest:
            (older / path.name).write_text(path.read_text())
    monkeypatch.setattr(db, "MIGRATIONS_DIR", older)
    with contextlib.closing(db.connect(db_path)) as conn:
        make_user(conn, username="sam")
    assert backups.list_backups(db_path.parent / "backups") == []  # nothing pending: no backup
    monkeypatch.setattr(db, "MIGRATIONS_DIR", Path(db.__file__).with_name("migrations"))
    with contextlib.closing(db.connect(db_path)) as conn:
        assert max(db.applied_versions(conn)) == latest
    (upgrade,) = backups.list_backups(db_path.parent / "backups")
    assert upgrade.kind == "upgrade" and upgrade.schema_version == latest - 1
    assert upgrade.tables["users"]["rows"] == 1 and backups.verify(upgrade.path) == []


def test_restore_never_overwrites_a_file(seeded, admin, tmp_path):
    made = backups.create(seeded, by=admin)
    existing = tmp_path / "clinic.duckdb"
    existing.write_bytes(b"someone's database")
    with pytest.raises(ValidationError) as refused:
        backups.restore(made.path, existing)
    assert "never overwrites" in refused.value.errors["to"]
    assert existing.read_bytes() == b"someone's database"


def test_a_damaged_backup_or_manifest_is_refused_with_the_reason(seeded, admin, tmp_path):
    made = backups.create(seeded, by=admin)
    # A manifest that no longer matches the file (a table's rows changed since).
    manifest_path = made.path.with_name(made.path.name + backups.MANIFEST_SUFFIX)
    manifest = json.loads(manifest_path.read_text())
    manifest["tables"]["patients"]["rows"] += 1
    manifest_path.write_text(json.dumps(manifest))
    assert any("table patients has" in p for p in backups.verify(made.path))
    with pytest.raises(ValidationError) as refused:
        backups.restore(made.path, tmp_path / "a.duckdb")
    assert "does not check out" in refused.value.errors["backup"]
    assert not (tmp_path / "a.duckdb").exists()

    # Bytes overwritten in the middle of the file itself.
    second = backups.create(seeded, by=admin)
    data = bytearray(second.path.read_bytes())
    for block in range(12288 + 4096, len(data), 262144):  # a scratch in every data block
        data[block:block + 64] = random.Random(block).randbytes(64)
    second.path.write_bytes(bytes(data))
    assert backups.verify(second.path) != []
    # And one without a manifest.
    lone = second.path.with_name("clinicdesk-20260101-000000-manual.duckdb")
    lone.write_bytes(b"not a database")
    assert "no readable manifest" in backups.verify(lone)[0]


def test_only_the_newest_good_backups_are_kept_and_never_the_last_one_deleted(seeded, admin):
    made = [backups.create(seeded, by=admin) for _ in range(4)]
    folder = made[0].path.parent
    assert [b.path for b in backups.list_backups(folder)] == [m.path for m in reversed(made)]
    assert backups.prune(folder, 2) == [made[1].path, made[0].path]
    assert [b.path for b in backups.list_backups(folder)] == [made[3].path, made[2].path]
    assert not made[0].path.with_name(made[0].path.name + backups.MANIFEST_SUFFIX).exists()
    backups.prune(folder, 0)  # at least one is always kept
    assert [b.path for b in backups.list_backups(folder)] == [made[3].path]


def test_only_an_admin_backs_up_and_a_refusal_is_audited(seeded):
    desk = users.get(seeded, make_user(seeded, username="desk_backup"))
    with pytest.raises(ClinicError, match="does not allow"):
        backups.create(seeded, by=desk)
    assert db.read(seeded, "SELECT action, outcome FROM audit_log WHERE user_id = ?", [desk.id]) == [
        ("backups.manage", "refused")]


def test_the_daily_backup_is_due_once_a_day_after_its_hour(seeded, admin, clinic_clock):
    tz = "America/New_York"
    clinic_clock(SEED_NOW.replace(hour=13))  # the backup below is made at 08:00 in New York
    morning = SEED_NOW.replace(hour=11)  # 06:00 in New York
    assert not backups.due_daily(seeded, 7, tz, now=morning)
    after = SEED_NOW.replace(hour=13)  # 08:00
    assert backups.due_daily(seeded, 7, tz, now=after)
    backups.create(seeded, by="app", kind="daily")
    made_at = backups.list_backups(backups.folder_for(seeded))[0].created_at
    assert not backups.due_daily(seeded, 7, tz, now=made_at + timedelta(hours=1))
    assert backups.due_daily(seeded, 7, tz, now=made_at + timedelta(days=1, hours=1))


# --- the drill --------------------------------------------------------------------------------


BALANCES = (
    "SELECT i.id, i.status, CASE WHEN i.status IN ('draft', 'void') THEN 0 ELSE"
    " (SELECT coalesce(sum(quantity * unit_price), 0) FROM invoice_lines l WHERE l.invoice_id = i.id) END"
    " - (SELECT coalesce(sum(amount), 0) FROM payment_applications a WHERE a.invoice_id = i.id)"
    " - (SELECT coalesce(sum(amount), 0) FROM adjustments j WHERE j.invoice_id = i.id)"
    " + (SELECT coalesce(sum(amount), 0) FROM refunds r WHERE r.invoice_id = i.id)"
    " FROM invoices i WHERE i.status = 'open' OR i.id IN (SELECT invoice_id FROM payment_applications)"
    " ORDER BY i.id DESC")


def _busy_desk(path: Path, stop: threading.Event, errors: list, seed: int) -> None:
    """Book, pay and use stock in a loop on its own connection until told to stop."""
    from db import appointments, billing, inventory, slots

    rng = random.Random(seed)
    conn = db.connect(path)
    try:
        desk = users.get(conn, db.read(conn, "SELECT id FROM users WHERE username = 'frontdesk'")[0][0])
        patients = [r[0] for r in db.read(conn, "SELECT id FROM patients WHERE status = 'active' LIMIT 40")]
        open_invoices = [r[0] for r in db.read(conn, "SELECT id FROM invoices WHERE status = 'open' LIMIT 40")]
        items = [r[0] for r in db.read(conn, "SELECT item_id FROM stock_balances GROUP BY item_id"
                                             " HAVING sum(quantity) > 20 LIMIT 10")]
        visit_type = db.read(conn, "SELECT id FROM visit_types WHERE NOT new_patients_only ORDER BY id LIMIT 1")[0][0]
        while not stop.is_set():
            try:
                choice = rng.random()
                if choice < 0.4:
                    free = slots.find_next_available(conn, visit_type, after=SEED_NOW + timedelta(days=rng.randint(1, 20)),
                                                     limit=1)
                    if free:
                        appointments.book(conn, patient_id=rng.choice(patients), provider_id=free[0].provider_id,
                                          type_id=visit_type, start=free[0].start, user=desk, now=SEED_NOW)
                elif choice < 0.7 and open_invoices:
                    billing.post_patient_payment(conn, invoice_id=rng.choice(open_invoices), amount=Decimal("1.00"),
                                                 method="cash", user=desk)
                elif items:
                    inventory.use(conn, item_id=rng.choice(items), quantity=1, user=desk, today=SEED_NOW.date())
            except ClinicError:
                pass  # a slot taken by the other thread, a paid-off invoice: the desk moves on
    except Exception as exc:  # noqa: BLE001 - reported by the test
        errors.append(repr(exc))
    finally:
        conn.close()


@pytest.mark.reliability
def test_restore_drill_a_backup_taken_while_the_desk_works_restores_whole_and_consistent(seeded_path, tmp_path):
    with contextlib.closing(db.connect(seeded_path)) as conn:
        admin = users.get(conn, db.read(conn, "SELECT id FROM users WHERE username = 'admin'")[0][0])
        work = "SELECT (SELECT count(*) FROM appointments) + (SELECT count(*) FROM payments) + (SELECT count(*) FROM stock_movements)"
        before = db.read(conn, work)[0][0]
        stop, errors = threading.Event(), []
        desks = [threading.Thread(target=_busy_desk, args=(seeded_path, stop, errors, n)) for n in range(2)]
        for desk in desks:
            desk.start()
        try:
            made = [backups.create(conn, by=admin) for _ in range(2)]
        finally:
            stop.set()
            for desk in desks:
                desk.join(timeout=60)
        assert errors == []
        assert db.read(conn, work)[0][0] > before  # the desk did work while the backups ran
        for n, backup in enumerate(made):
            assert backups.verify(backup.path) == []
            target = tmp_path / f"drill{n}.duckdb"
            backups.restore(backup.path, target)
            with contextlib.closing(db.connect(target, seal=False)) as copy:
                assert counts(copy) == {t: v["rows"] for t, v in backup.tables.items()}
                # A backup can catch the desk between an audit row's commit and its seal: the
                # trail is then whole but for rows committed last, which are only unsealed, never
                # altered, and may sit below a row another desk sealed first (ids are drawn at
                # insert, seals taken in commit order). Opening the restored file in ClinicDesk
                # seals them, as after a stop.
                late = audit_chain.verify(copy).problems
                assert {p.kind for p in late} <= {"unsealed"}
            with contextlib.closing(db.connect(target)) as copy:
                assert audit_chain.verify(copy).ok
                # No overlapping bookings for a provider.
                assert db.read(copy, "SELECT count(*) FROM appointments a JOIN appointments b ON a.provider_id ="
                                     " b.provider_id AND a.id < b.id AND a.status NOT IN ('cancelled')"
                                     " AND b.status NOT IN ('cancelled') AND a.start_at < b.busy_until"
                                     " AND b.start_at < a.busy_until") == [(0,)]
                # Every invoice's balance follows from its lines and its money, and none is below zero.
                balances = db.read(copy, BALANCES)
                assert balances and all(balance >= 0 for _, _, balance in balances)
                for invoice_id, status, balance in balances[:60]:
                    assert billing.invoice_totals(copy, invoice_id)["balance"] == balance, (invoice_id, status)
                # No stock below zero.
                assert db.read(copy, "SELECT count(*) FROM stock_balances WHERE quantity < 0") == [(0,)]
