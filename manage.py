#!/usr/bin/env python3
"""ClinicDesk operator commands. Run ``python manage.py --help``.

These work on a database file that the app is NOT holding: DuckDB locks the file for the one
process that opens it. When the app holds it, each command says so in one line and exits 2.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from datetime import date
from pathlib import Path

import db
from clinic.access import ROLES
from clinic.errors import ClinicError, DatabaseLocked, ValidationError

DEFAULT_DB = Path(__file__).resolve().parent / "data" / "clinic.duckdb"
EXIT_ERROR = 1
EXIT_LOCKED = 2


def _open(path: Path, allow_dirs: list[Path] | None = None) -> db.Connection:
    """Open the database; ``allow_dirs`` are folders DuckDB may read besides the database's own
    imports/ and backups/ (db.connect locks external file access down to those)."""
    return db.connect(path, allow_dirs=allow_dirs or ())


def cmd_init(args: argparse.Namespace) -> int:
    """An empty database with one admin account (and the audit key, when secrets.toml has none)."""
    from clinic.app_secrets import audit_key, secrets_path
    from db import audit, settings, users

    audit_key(create=True)
    username = args.admin_username or _ask("Admin username", "admin")
    full_name = args.admin_name or _ask("Admin full name", "Clinic Administrator")
    password = args.admin_password or os.environ.get("CLINICDESK_ADMIN_PASSWORD") or _ask_password()
    conn = _open(args.db)
    try:
        if users.list_users(conn):
            print(f"{args.db} already has users; nothing done. Use create-user to add one.", file=sys.stderr)
            return EXIT_ERROR
        settings.set_many(conn, {"timezone": args.timezone, "clinic_name": args.clinic_name, "is_demo": "false"},
                          by="manage.py")
        users.create(conn, username=username, full_name=full_name, role="admin", password=password, by="manage.py")
        db.atomic(conn, lambda cur: audit.record(cur, "manage.py", "db.init", detail={"path": str(args.db)}))
    finally:
        conn.close()
    print(f"Created {args.db} with admin user {username}.")
    print(f"The audit trail's key is in {secrets_path()}: back it up apart from the database, never commit it.")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    """Demo data. A new file is built beside the target and moved into place only when complete,
    so an interrupted seed never leaves a half-filled database behind."""
    from demo import seed as seeder

    target: Path = args.db
    started = time.perf_counter()
    if target.exists():
        conn = _open(target)
        try:
            from db import users

            has_patients = bool(db.read(conn, "SELECT count(*) FROM patients")[0][0])
            if users.list_users(conn) and not has_patients:
                print(f"{target} is a clinic's database with its own accounts: demo data (and the demo users' known "
                      "password) goes only into a new file. Nothing done.", file=sys.stderr)
                return EXIT_ERROR
            counts = seeder.seed(conn, scale=args.scale, seed=args.seed, timezone=args.timezone)
        finally:
            conn.close()
    else:
        partial = target.with_name(target.name + ".partial")
        head = partial.with_name(partial.name + ".audit-head")  # the audit trail's head file moves too
        for leftover in (partial, partial.with_name(partial.name + ".wal"), head):
            leftover.unlink(missing_ok=True)
        conn = _open(partial)
        try:
            counts = seeder.seed(conn, scale=args.scale, seed=args.seed, timezone=args.timezone)
            conn.execute("CHECKPOINT")
        finally:
            conn.close()
        if head.exists():
            os.replace(head, target.with_name(target.name + ".audit-head"))
        os.replace(partial, target)
    elapsed = time.perf_counter() - started
    summary = ", ".join(f"{n:,} {name}" for name, n in counts.items())
    print(f"Seeded {target} ({args.scale}, seed {args.seed}) in {elapsed:.1f} s: {summary}.")
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from db import users

    password = args.password or os.environ.get("CLINICDESK_NEW_PASSWORD") or _ask_password()
    conn = _open(args.db)
    try:
        user_id = users.create(
            conn, username=args.username, full_name=args.full_name, role=args.role, password=password, by="manage.py"
        )
    finally:
        conn.close()
    print(f"Created user {args.username} ({args.role}), id {user_id}.")
    return 0


def cmd_describe(args: argparse.Namespace) -> int:
    """What `make run` prints before starting the app: the address and, for a demo, the logins."""
    from db import settings

    conn = _open(args.db)
    try:
        demo = settings.is_demo(conn)
        name = settings.get(conn, "clinic_name")
    finally:
        conn.close()
    print(f"\nClinicDesk for {name}: open http://{args.address}:{args.port} in your browser.")
    if demo:
        print("Demo data. Sign in as frontdesk, billing, doctor, manager or admin; the password is 'demo'.")
    print()
    return 0


def cmd_import_noshow(args: argparse.Namespace) -> int:
    """The public "Medical Appointment No Shows" CSV into patients and appointments."""
    from db.imports import noshow

    source: Path = args.csv.resolve()
    if not source.is_file():
        print(f"There is no file {args.csv}.", file=sys.stderr)
        return EXIT_ERROR
    return _import(args.db, source.parent, lambda conn: noshow.import_noshow(conn, source, user="manage.py"))


def cmd_import_synthea(args: argparse.Namespace) -> int:
    """A Synthea CSV export folder (patients, providers, payers, encounters, claims, supplies)."""
    from db.imports import synthea

    folder: Path = args.dir.resolve()
    if not folder.is_dir():
        print(f"There is no folder {args.dir}.", file=sys.stderr)
        return EXIT_ERROR
    return _import(args.db, folder, lambda conn: synthea.import_synthea(conn, folder, user="manage.py"))


def cmd_export_837(args: argparse.Namespace) -> int:
    """Draft claims ready to send as one 837P file; they become submitted."""
    from clinic.money import money_text
    from db import claim_batches, payers

    out: Path = args.out
    if out.exists():
        print(f"{out} exists already: choose a new file name (claim files are never overwritten).", file=sys.stderr)
        return EXIT_ERROR
    conn = _open(args.db)
    try:
        payer_id = None
        if args.payer:
            wanted = args.payer.strip().upper()
            found = [p for p in payers.list_payers(conn, active_only=False)
                     if wanted in (str(p.id), (p.payer_code or "").upper(), (p.electronic_id or "").upper())]
            if not found:
                print(f"No payer has the id, code or electronic ID {args.payer}.", file=sys.stderr)
                return EXIT_ERROR
            payer_id = found[0].id
        sent = claim_batches.send_batch(conn, user="manage.py", payer_id=payer_id, since=args.since)
        _name, text = claim_batches.batch_file(conn, sent.batch.id, user="manage.py")
    finally:
        conn.close()
    out.write_text(text, encoding="ascii")
    b = sent.batch
    print(f"Wrote {out} ({b.file_name}): {b.claim_count} claims, {money_text(b.total_charge)}, now submitted.")
    for skipped in sent.skipped:
        print(f"Not sent {skipped.control_number}: {' '.join(skipped.problems)}")
    return 0


def cmd_import_835(args: argparse.Namespace) -> int:
    """An 835 remittance posted to the claims it answers (or only reviewed, with --dry-run)."""
    from clinic.money import money_text
    from db import remittances

    source: Path = args.file
    if not source.is_file():
        print(f"There is no file {source}.", file=sys.stderr)
        return EXIT_ERROR
    text = source.read_bytes().decode("latin-1")
    conn = _open(args.db)
    try:
        if args.dry_run:
            review = remittances.review_835(conn, text, file_name=source.name)
        else:
            review = remittances.import_835(conn, text, file_name=source.name, user="manage.py").review
    finally:
        conn.close()
    print(remittances.summary(review) + ("" if args.dry_run else ": posted") + ".")
    for plan in review.planned:
        done = "post" if plan.outcome == "post" else plan.outcome.replace("_", " ")
        print(f"  {plan.payment.control_number}: paid {money_text(plan.payment.paid)} -> {done}"
              + (f" (invoice {plan.invoice_id})" if plan.invoice_id else "") + (f": {plan.reason}" if plan.reason else ""))
    for plb in review.remittance.provider_adjustments:
        print(f"  provider adjustment {plb.reason}{f' {plb.reference}' if plb.reference else ''}: {money_text(plb.amount)}")
    return 0


def cmd_verify_audit(args: argparse.Namespace) -> int:
    """Check the audit trail's seals and head file; exit 1 when it is broken. Seals nothing."""
    from clinic.app_secrets import audit_key
    from db import audit_chain

    if not args.db.is_file():
        print(f"There is no database {args.db}.", file=sys.stderr)
        return EXIT_ERROR
    audit_key(create=False)  # a missing key is an error here, never a new key
    conn = db.connect(args.db, seal=False)
    try:
        report = audit_chain.reanchor(conn, by="manage.py") if args.reanchor else audit_chain.verify(conn, args.head)
    finally:
        conn.close()
    print(report.summary() + ("." if report.ok else ":"))
    for problem in report.problems:
        where = f"row {problem.audit_id}" if problem.audit_id is not None else "trail"
        print(f"  [{problem.kind}] {where}: {problem.message}")
    if args.reanchor:
        print("Recorded in the trail (audit.reanchor) and started a new head file from the trail as it is now.")
        return 0
    return 0 if report.ok else EXIT_ERROR


def _size(n: int) -> str:
    return f"{n / 1_048_576:.1f} MB" if n >= 1_048_576 else f"{n / 1024:.0f} KB"


def cmd_backup(args: argparse.Namespace) -> int:
    from db import backups

    conn = _open(args.db, allow_dirs=[args.to])
    try:
        made = backups.create(conn, by="manage.py", kind="command", folder=args.to)
    finally:
        conn.close()
    print(f"Backed up {args.db} to {made.path} ({_size(made.size_bytes)}, {len(made.tables)} tables, "
          f"{made.rows} rows); manifest beside it.")
    if args.keep:
        for gone in backups.prune(args.to, args.keep):
            print(f"Deleted the older backup {gone.name}.")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from db import backups

    try:
        restored = backups.restore(args.backup, args.to)
    except ValidationError as exc:
        for message in exc.errors.values():
            print(message, file=sys.stderr)
        return EXIT_ERROR
    when = restored.created_at.strftime("%Y-%m-%d %H:%M UTC") if restored.created_at else "an unknown time"
    print(f"Restored {args.backup.name} (made {when}, schema version {restored.schema_version}) to {args.to}: "
          f"{len(restored.tables)} tables, {restored.rows} rows, each matching the manifest.")
    for table, facts in sorted(restored.tables.items()):
        print(f"  {table}: {facts['rows']} rows")
    print(f"Point the app at it with CLINICDESK_DB={args.to}.")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from db import health

    findings = health.check(args.db, args.backups)
    marks = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}
    for finding in findings:
        print(f"[{marks[finding.level]}] {finding.text}")
    worst = {f.level for f in findings}
    return EXIT_ERROR if worst & {"warn", "fail"} else 0


def cmd_verify_backup(args: argparse.Namespace) -> int:
    from db import backups

    problems = backups.verify(args.backup)
    if problems:
        print(f"{args.backup} does not check out:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_ERROR
    made = backups.describe(args.backup)
    print(f"{args.backup} checks out: {len(made.tables)} tables, {made.rows} rows, each matching its manifest.")
    return 0


def _import(path: Path, readable: Path, run) -> int:
    """Open (or create) the database with ``readable`` open to DuckDB's reader, run one import
    and print its summary."""
    from db import users

    conn = _open(path, allow_dirs=[readable])
    try:
        summary = run(conn)
        has_users = bool(users.list_users(conn))
    finally:
        conn.close()
    print(f"{path}:")
    for line in summary.lines():
        print(line)
    if not has_users:
        print(f"The database has no users yet: run `python manage.py init --db {path}` to add an admin.")
    return 0


def _ask(prompt: str, default: str) -> str:
    if not sys.stdin.isatty():
        return default
    answer = input(f"{prompt} [{default}]: ").strip()
    return answer or default


def _ask_password() -> str:
    if not sys.stdin.isatty():
        raise ValidationError({"password": "No password given: pass --password (or set it in the environment)."})
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat it: "):
        raise ValidationError({"password": "The two passwords differ."})
    return first


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="manage.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def add_db(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"database file (default {DEFAULT_DB})")

    p = sub.add_parser("init", help="create an empty database with a first admin user")
    add_db(p)
    p.add_argument("--admin-username")
    p.add_argument("--admin-name")
    p.add_argument("--admin-password", help="else CLINICDESK_ADMIN_PASSWORD, else asked")
    p.add_argument("--timezone", default="America/New_York", help="the clinic's IANA time zone")
    p.add_argument("--clinic-name", default="My Clinic")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("seed", help="fill an empty database with synthetic demo data")
    add_db(p)
    p.add_argument("--scale", choices=("demo", "large", "test"), default="demo")
    p.add_argument("--seed", type=int, default=42, help="same seed, same data")
    p.add_argument("--timezone", default="America/New_York")
    p.set_defaults(func=cmd_seed)

    p = sub.add_parser("create-user", help="add a staff account")
    add_db(p)
    p.add_argument("--username", required=True)
    p.add_argument("--full-name", required=True)
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--password", help="else CLINICDESK_NEW_PASSWORD, else asked")
    p.set_defaults(func=cmd_create_user)

    p = sub.add_parser("describe", help="print the app's address and, for a demo, its logins")
    add_db(p)
    p.add_argument("--address", default="127.0.0.1")
    p.add_argument("--port", default="8501")
    p.set_defaults(func=cmd_describe)

    p = sub.add_parser("import-noshow", help="import the public Medical Appointment No Shows CSV")
    add_db(p)
    p.add_argument("csv", type=Path, help="the CSV file (PatientId, AppointmentID, ..., No-show)")
    p.set_defaults(func=cmd_import_noshow)

    p = sub.add_parser("import-synthea", help="import a Synthea CSV export folder")
    add_db(p)
    p.add_argument("dir", type=Path, help="the folder holding patients.csv, encounters.csv, claims.csv, ...")
    p.set_defaults(func=cmd_import_synthea)

    p = sub.add_parser("export-837", help="write the draft claims ready to send as one 837P file")
    add_db(p)
    p.add_argument("--out", type=Path, required=True, help="the file to write (never overwritten)")
    p.add_argument("--payer", help="only this payer's claims: its number, payer code or electronic ID")
    p.add_argument("--since", type=date.fromisoformat, help="only services on or after this date (YYYY-MM-DD)")
    p.set_defaults(func=cmd_export_837)

    p = sub.add_parser("import-835", help="post an 835 remittance file to the claims it answers")
    add_db(p)
    p.add_argument("file", type=Path, help="the 835 file")
    p.add_argument("--dry-run", action="store_true", help="only say what would be posted")
    p.set_defaults(func=cmd_import_835)

    p = sub.add_parser("verify-audit", help="check that no audit row was changed, deleted, inserted, moved or cut")
    add_db(p)
    p.add_argument("--head", type=Path, help="the head file (default: <database file>.audit-head beside it)")
    p.add_argument("--reanchor", action="store_true",
                   help="after looking into what it reports: record that in the trail and start a new head file")
    p.set_defaults(func=cmd_verify_audit)

    p = sub.add_parser("backup", help="snapshot the database (app stopped) into a folder, with its manifest")
    add_db(p)
    p.add_argument("--to", type=Path, required=True, help="the backups folder")
    p.add_argument("--keep", type=int, help="then keep only the newest N backups there")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="restore a backup into a new database file (never over one)")
    p.add_argument("backup", type=Path, help="the backup's .duckdb file (its manifest beside it)")
    p.add_argument("--to", type=Path, required=True, help="the new database file")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("doctor", help="check a database file (app stopped): schema, sizes, disk, backups, integrity")
    add_db(p)
    p.add_argument("--backups", type=Path, help="the backups folder (default: backups/ beside the database)")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("verify-backup", help="check a backup against its manifest without restoring it")
    p.add_argument("backup", type=Path)
    p.set_defaults(func=cmd_verify_backup)

    # Its options are bench's own (python manage.py bench --help): main() hands them over whole.
    sub.add_parser("bench", help="measure pages, operations and analytics at a clinic's scale (bench/)",
                   add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:
        from bench.__main__ import main as bench

        return bench(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except DatabaseLocked as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_LOCKED
    except ValidationError as exc:
        for field, message in exc.errors.items():
            print(f"{field}: {message}", file=sys.stderr)
        return EXIT_ERROR
    except ClinicError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
