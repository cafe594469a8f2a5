"""Importing a Synthea CSV export: the tiny made-up export in tests/data/synthea (Synthea's headers)."""

from __future__ import annotations

import csv
import shutil
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import db
from clinic.errors import ClinicError
from db.imports import imports_dir, synthea

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "synthea"
ADA, BEN, CORA = ("aaaaaaaa-0000-0000-0000-00000000000" + n for n in "123")


@pytest.fixture
def export(conn) -> Path:
    target = imports_dir(conn) / "synthea"
    shutil.copytree(SAMPLE, target)
    return target


def source_totals(folder: Path) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    """Per patient, straight from claims_transactions.csv: charges, payments, adjustments."""
    sums: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)
    with (folder / "claims_transactions.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            column, slot = {"CHARGE": ("AMOUNT", 0), "PAYMENT": ("PAYMENTS", 1),
                            "ADJUSTMENT": ("ADJUSTMENTS", 2)}.get(row["TYPE"], (None, None))
            if column:
                sums[row["PATIENTID"]][slot] += Decimal(row[column])
    return {patient: tuple(values) for patient, values in sums.items()}


def clinic_totals(conn) -> dict[str, tuple[Decimal, Decimal, Decimal, Decimal]]:
    rows = db.read(conn, "SELECT p.external_id, sum(b.charges), sum(b.payments), sum(b.adjustments), sum(b.balance)"
                         " FROM invoice_balances b JOIN patients p ON p.id = b.patient_id GROUP BY 1")
    return {r[0]: tuple(r[1:]) for r in rows}


def test_charges_payments_and_balances_per_patient_equal_the_source(conn, export):
    synthea.import_synthea(conn, export, user="test")
    source = source_totals(export)
    ours = clinic_totals(conn)
    for patient in (ADA, BEN, CORA):
        charges, payments, adjustments = source[patient]
        assert ours[patient] == (charges, payments, adjustments, charges - payments - adjustments)
    # By hand: Ada paid in full; Ben owes 130 - 80 (Humana) - 10 (adjusted) - 15 (card) = 25; Cora owes 200.
    assert {p: ours[p][3] for p in ours} == {ADA: Decimal("0.00"), BEN: Decimal("25.00"), CORA: Decimal("200.00")}
    paid = db.read(conn, "SELECT sum(amount) FROM payments")[0][0]
    assert paid == sum(v[1] for p, v in source.items() if p in (ADA, BEN, CORA))
    assert db.read(conn, "SELECT count(*) FROM payment_balances WHERE unapplied <> 0")[0][0] == 0


def test_what_each_file_becomes_and_what_is_rejected(conn, export):
    summary = synthea.import_synthea(conn, export, user="test")
    assert summary.added == {"payers": 4, "providers": 2, "patients": 3, "appointments": 4, "invoices": 4,
                             "payments": 6, "claims": 4, "stock movements": 5}
    assert summary.imported == 4
    assert summary.rejected == {
        "encounters.csv: patient not in patients.csv (or not imported)": 1,
        "claims.csv: encounter not imported": 1,
        "supplies.csv: encounter not imported": 1,
    }
    statuses = dict(db.read(conn, "SELECT status, count(*) FROM invoices GROUP BY 1"))
    assert statuses == {"paid": 2, "partially_paid": 1, "open": 1}
    claims = db.read(conn, "SELECT py.name, c.rank, c.status FROM claims c JOIN payers py ON py.id = c.payer_id"
                           " ORDER BY c.control_number, c.rank")
    assert claims == [("Medicare", 1, "paid"), ("Medicaid", 2, "paid"), ("Humana", 1, "paid"),
                      ("Humana", 1, "submitted")]
    sources = db.read(conn, "SELECT p.source, coalesce(py.name, '-'), p.method, p.amount FROM payments p"
                            " LEFT JOIN payers py ON py.id = p.payer_id ORDER BY p.external_id")
    assert sources == [
        ("insurer", "Medicare", "eft", Decimal("114.06")), ("insurer", "Medicaid", "eft", Decimal("28.52")),
        ("patient", "-", "other", Decimal("50.00")), ("patient", "-", "check", Decimal("35.55")),
        ("insurer", "Humana", "eft", Decimal("80.00")), ("patient", "-", "card", Decimal("15.00")),
    ]


def test_patients_providers_and_coverage_are_readable(conn, export):
    synthea.import_synthea(conn, export, user="test")
    patients = db.read(conn, "SELECT first_name, last_name, sex, date_of_birth, status FROM patients"
                             " ORDER BY external_id")
    assert patients == [("Ada", "Lovelace", "female", date(1948, 3, 18), "active"),
                        ("Ben", "Okafor", "male", date(1985, 11, 2), "active"),
                        ("Cora", "Diaz", "female", date(1990, 6, 30), "inactive")]
    assert db.read(conn, "SELECT name, active, accepting_new FROM providers ORDER BY name") == [
        ("Maria Santos", False, False), ("Ted Reilly", False, False)]
    coverage = db.read(conn, "SELECT p.first_name, i.rank, py.name, i.member_id, i.subscriber_relationship"
                             " FROM patient_insurance i JOIN patients p ON p.id = i.patient_id"
                             " JOIN payers py ON py.id = i.payer_id ORDER BY 1, 2")
    assert coverage == [("Ada", 1, "Medicare", "m-ada-2013", "self"), ("Ada", 2, "Medicaid", "m-ada-2013", "self"),
                        ("Ben", 1, "Humana", "m-ben", "spouse")]


def test_encounters_are_completed_visits_on_the_day_written(conn, export):
    synthea.import_synthea(conn, export, user="test")  # clinic zone: America/New_York
    rows = db.read(conn, "SELECT a.start_at, a.end_at, a.status, t.name FROM appointments a"
                         " JOIN visit_types t ON t.id = a.type_id ORDER BY a.start_at")
    zone = ZoneInfo("America/New_York")
    # 2016-04-29T00:15:00Z is 29 April at 00:15 as written, not 28 April in New York.
    wellness = rows[1]
    assert wellness[0].astimezone(zone).replace(tzinfo=None) == datetime(2016, 4, 29, 0, 15)
    assert (wellness[1] - wellness[0]).total_seconds() == 30 * 60
    assert [r[3] for r in rows] == ["Office visit (imported)", "Wellness visit (imported)",
                                    "Urgent care visit (imported)", "Inpatient stay (imported)"]
    assert {r[2] for r in rows} == {"completed"}
    assert db.read(conn, "SELECT count(*) FROM appointment_events")[0][0] == 4


def test_supplies_are_stock_used_at_the_visit_and_never_below_zero(conn, export):
    synthea.import_synthea(conn, export, user="test")
    usage = db.read(conn, "SELECT i.sku, i.name, sum(-m.quantity) FROM stock_movements m JOIN stock_items i"
                          " ON i.id = m.item_id WHERE m.kind = 'usage' AND m.appointment_id IS NOT NULL"
                          " GROUP BY 1, 2 ORDER BY 1")
    assert usage == [("SCT-337388004", "Blood glucose testing strips", 85), ("SCT-706180003", "Disposable gloves", 4)]
    on_hand = db.read(conn, "SELECT item_id, quantity FROM stock_balances")
    assert on_hand and all(q == 0 for _, q in on_hand)
    assert db.read(conn, "SELECT sum(quantity) FROM stock_movements")[0][0] == 0


COUNTS = ("SELECT " + ", ".join(f"(SELECT count(*) FROM {table})" for table in (
    "patients", "providers", "payers", "appointments", "invoices", "invoice_lines", "payments", "payment_applications",
    "adjustments", "claims", "claim_lines", "stock_movements", "stock_items", "patient_insurance", "visit_types")))


def test_importing_the_same_export_again_adds_nothing(conn, export):
    synthea.import_synthea(conn, export, user="test")
    counts = db.read(conn, COUNTS)
    again = synthea.import_synthea(conn, export, user="test")
    assert again.imported == 0 and again.duplicates == 4
    assert set(again.added.values()) == {0}
    assert db.read(conn, COUNTS) == counts
    assert clinic_totals(conn)[BEN][3] == Decimal("25.00")


def test_a_folder_that_is_not_a_synthea_export_is_refused(conn, tmp_path):
    folder = imports_dir(conn) / "not_synthea"
    folder.mkdir()
    (folder / "patients.csv").write_text("Id,FIRST\n1,Ada\n", encoding="utf-8")
    with pytest.raises(ClinicError, match="not a Synthea CSV export") as refused:
        synthea.import_synthea(conn, folder, user="test")
    assert refused.value.field == "file"
    assert db.read(conn, "SELECT count(*) FROM patients")[0][0] == 0
