"""The invoice ledger's reads against a real DuckDB file: each filter picks the invoices a clerk
expects, the totals equal the rows to the cent (and the A/R aging on the demo clinic), who owes
each balance, and the CSV export with exact amounts."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from clinic.errors import ValidationError
from db import billing
from db.invoice_ledger import PATIENT_ONLY, ledger, ledger_csv, ledger_table, ledger_totals
from tests.conftest import SEED_TODAY, make_patient, make_provider
from tests.db.billing_factories import make_fees, make_invoice
from tests.db.test_claims import insure, make_payer

D = Decimal


@pytest.fixture
def scene(conn):
    """Five invoices of three patients, two providers, one insurer:

    * ``claimed``  Ames, Dr A, 1 Mar: 135.00, primary claim to Blue Harbor (insurance owes 135.00)
    * ``partial``  Baker, Dr B, 5 Mar: 100.00, paid 40.00, courtesy 10.00 -> 50.00 (patient owes)
    * ``paid``     Baker, Dr A, 10 Mar: 80.25, paid 100.00 (19.75 to credit) -> 0.00
    * ``draft``    Cole, Dr B, 12 Mar: lines 50.00, not finalised
    * ``void``     Cole, Dr A, 2 Mar: 30.00, voided
    """
    make_fees(conn)
    dr_a, dr_b = make_provider(conn, name="Dr. Avery"), make_provider(conn, name="Dr. Brook")
    ames = make_patient(conn, first_name="Ann", last_name="Ames")
    baker = make_patient(conn, first_name="Bob", last_name="=Baker")  # a name a spreadsheet would run
    cole = make_patient(conn, first_name="Cy", last_name="Cole")
    blue = make_payer(conn, "Blue Harbor")
    insure(conn, ames, blue)

    def invoice(patient, provider, day, amount, *, finalize=True):
        invoice_id = billing.create_invoice(conn, patient_id=patient, service_date=day, provider_id=provider,
                                            user="test")
        billing.add_line(conn, invoice_id, code="99213", unit_price=amount, description="Office visit",
                         version=billing.get(conn, invoice_id).version, user="test", diagnoses=["I10"])
        if finalize:
            billing.finalize_invoice(conn, invoice_id, user="test")
        return invoice_id

    ids = {
        "claimed": invoice(ames, dr_a, date(2026, 3, 1), "135.00"),
        "partial": invoice(baker, dr_b, date(2026, 3, 5), "100.00"),
        "paid": invoice(baker, dr_a, date(2026, 3, 10), "80.25"),
        "draft": invoice(cole, dr_b, date(2026, 3, 12), "50.00", finalize=False),
        "void": invoice(cole, dr_a, date(2026, 3, 2), "30.00"),
    }
    billing.create_claim(conn, ids["claimed"], user="test")
    billing.post_patient_payment(conn, invoice_id=ids["partial"], amount="40.00", method="cash", user="test")
    billing.adjust_invoice(conn, invoice_id=ids["partial"], kind="courtesy", amount="10.00", reason="Regular",
                           user="test")
    billing.post_patient_payment(conn, invoice_id=ids["paid"], amount="100.00", method="card", user="test")
    billing.void_invoice(conn, ids["void"], reason="Entered twice", user="test")
    return {"ids": ids, "dr_a": dr_a, "dr_b": dr_b, "ames": ames, "baker": baker, "cole": cole, "blue": blue}


def _ids(rows) -> set[int]:
    return {r.id for r in rows}


def test_every_invoice_is_listed_newest_service_first_with_its_money(conn, scene):
    rows = ledger(conn)
    ids = scene["ids"]
    assert [r.id for r in rows] == [ids["draft"], ids["paid"], ids["partial"], ids["void"], ids["claimed"]]
    by_id = {r.id: r for r in rows}
    partial = by_id[ids["partial"]]
    assert (partial.patient_name, partial.provider_name, partial.status) == ("=Baker, Bob", "Dr. Brook",
                                                                             "partially_paid")
    assert (partial.charges, partial.paid, partial.adjusted, partial.balance) == (D("100.00"), D("40.00"),
                                                                                  D("10.00"), D("50.00"))
    assert partial.owed_by == "patient" and partial.payer_label == "Patient (no claim)"
    claimed = by_id[ids["claimed"]]
    assert (claimed.payer_name, claimed.owed_by, claimed.balance) == ("Blue Harbor", "insurance", D("135.00"))
    paid = by_id[ids["paid"]]
    assert (paid.status, paid.paid, paid.balance, paid.owed_by) == ("paid", D("80.25"), D("0.00"), None)
    draft = by_id[ids["draft"]]
    assert (draft.charges, draft.lines_total, draft.balance) == (D("0.00"), D("50.00"), D("0.00"))
    assert all(isinstance(getattr(r, f), Decimal) for r in rows for f in ("charges", "paid", "adjusted", "balance"))


def test_each_filter_picks_the_expected_invoices(conn, scene):
    ids, s = scene["ids"], scene
    assert _ids(ledger(conn, status="partially_paid")) == {ids["partial"]}
    assert _ids(ledger(conn, status=["open", "partially_paid"])) == {ids["claimed"], ids["partial"]}
    assert _ids(ledger(conn, payer_id=s["blue"])) == {ids["claimed"]}
    assert _ids(ledger(conn, payer_id=PATIENT_ONLY)) == set(ids.values()) - {ids["claimed"]}
    assert _ids(ledger(conn, provider_id=s["dr_b"])) == {ids["partial"], ids["draft"]}
    assert _ids(ledger(conn, start=date(2026, 3, 2), end=date(2026, 3, 10))) == {ids["void"], ids["partial"],
                                                                                 ids["paid"]}
    assert _ids(ledger(conn, patient_id=s["baker"])) == {ids["partial"], ids["paid"]}
    assert _ids(ledger(conn, patient_id=s["baker"], provider_id=s["dr_a"])) == {ids["paid"]}
    assert ledger(conn, patient_id=s["ames"], status="paid") == []


def test_totals_match_the_rows_to_the_cent(conn, scene):
    totals = ledger_totals(conn)
    assert totals == {"count": 5, "charges": D("315.25"), "paid": D("120.25"), "adjusted": D("10.00"),
                      "balance": D("185.00"), "insurance_owes": D("135.00"), "patient_owes": D("50.00"),
                      "drafts": 1, "drafts_total": D("50.00")}
    dr_b = ledger_totals(conn, provider_id=scene["dr_b"])
    assert (dr_b["count"], dr_b["charges"], dr_b["balance"], dr_b["drafts_total"]) == (2, D("100.00"), D("50.00"),
                                                                                       D("50.00"))
    assert ledger_totals(conn, status="void")["charges"] == D("0.00")
    none = ledger_totals(conn, start=date(2027, 1, 1))
    assert none["count"] == 0 and none["balance"] == D("0.00")


def test_a_period_that_ends_before_it_starts_or_an_unknown_status_is_refused(conn, scene):
    with pytest.raises(ValidationError) as err:
        ledger(conn, start=date(2026, 3, 10), end=date(2026, 3, 1))
    assert err.value.field == "period"
    with pytest.raises(ValidationError):
        ledger_totals(conn, status="overdue")


def test_the_csv_has_exact_amounts_and_no_runnable_formulas(conn, scene):
    rows = list(csv.DictReader(io.StringIO(ledger_csv(conn, patient_id=scene["baker"]))))
    assert [r["invoice"] for r in rows] == [str(scene["ids"]["paid"]), str(scene["ids"]["partial"])]
    assert rows[0]["paid"] == "80.25" and rows[0]["balance"] == "0.00"
    assert rows[1]["patient"] == "'=Baker, Bob"
    assert (rows[1]["status"], rows[1]["charges"], rows[1]["adjusted"], rows[1]["owed_by"]) == (
        "partially_paid", "100.00", "10.00", "patient")


def test_on_the_demo_clinic_the_ledger_agrees_with_the_aging_and_its_own_rows(seeded):
    # Whatever the seeder billed, plus a few visits billed here: finalised, some paid in part.
    for n, (appointment_id, *_rest) in enumerate(billing.unbilled_visits(seeded, as_of=SEED_TODAY)[:12]):
        invoice_id = billing.invoice_completed_visit(seeded, appointment_id, user="test")
        if not billing.lines(seeded, invoice_id):
            continue
        billing.finalize_invoice(seeded, invoice_id, user="test")
        if n % 3 == 0:
            billing.post_patient_payment(seeded, invoice_id=invoice_id, amount="7.33", method="cash", user="test")
    owing = ["open", "partially_paid"]
    rows = ledger(seeded, status=owing)
    totals = ledger_totals(seeded, status=owing)
    assert totals["count"] == len(rows) > 0
    assert totals["balance"] == sum((r.balance for r in rows), D("0.00"))
    assert totals["balance"] == billing.ar_aging(seeded, as_of=SEED_TODAY)["total"]
    assert totals["insurance_owes"] + totals["patient_owes"] == totals["balance"]
    every = ledger_totals(seeded)
    assert every["charges"] - every["paid"] - every["adjusted"] == every["balance"]


def test_the_table_to_show_has_the_same_rows_with_exact_decimals_and_status_labels(conn, scene):
    from clinic.billing import INVOICE_STATUS_LABELS

    rows = ledger(conn)
    shown = ledger_table(conn).to_pylist()
    assert [r["Invoice"] for r in shown] == [r.id for r in rows]
    assert [r["Status"] for r in shown] == [INVOICE_STATUS_LABELS[r.status] for r in rows]
    assert [(r["Charges"], r["Paid"], r["Adjusted"], r["Balance"]) for r in shown] == [
        (r.charges, r.paid, r.adjusted, r.balance) for r in rows]
    assert all(isinstance(r["Balance"], Decimal) for r in shown)
    claimed = next(r for r in shown if r["Invoice"] == scene["ids"]["claimed"])
    assert (claimed["Payer"], claimed["Owed by"], claimed["Patient"]) == ("Blue Harbor", "Insurance", "Ames, Ann")
    assert ledger_table(conn, payer_id=scene["blue"]).num_rows == 1
