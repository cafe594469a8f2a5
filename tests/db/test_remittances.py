"""835 remittances against a seeded DuckDB file, end to end: claims exported as an 837P are
answered by an 835 (paid, partly paid with the patient's share, denied, a claim we never sent,
a provider-level adjustment); the review says what will be posted before anything is; the import
posts it and every balance follows from the money; the same file twice posts nothing; a
malformed file is refused with its line and segment and posts nothing; what cannot be matched
is left for a person with its reason; manage.py import-835."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

import db
from clinic import timeutil
from clinic.errors import ClinicError
from db import claim_batches, remittances
from db.claims import claim_lines, get_claim
from db.ledger import invoice_totals
from tests.conftest import query
from tests.db.billing_factories import check_ledger, make_drafts
from tests.x12_factory import Claim, Line, edit_835, make_835

D = Decimal
NOW = datetime(2026, 3, 12, 15, 0, tzinfo=timezone.utc)
PAID_ON = date(2026, 3, 10)


@pytest.fixture(autouse=True)
def clock():
    timeutil.set_clock(NOW)
    yield
    timeutil.set_clock(None)


@pytest.fixture
def sent(seeded):
    """Eight claims made and sent in one 837P file: their ids."""
    ids = make_drafts(seeded)
    claim_batches.send_batch(seeded, user="billing", claim_ids=ids)
    return ids


def answer(conn, claim_id: int, how: str) -> Claim:
    """The payer's answer to our claim: 'paid' in full down to the allowed amount (CO-45),
    'share' paid with a deductible and coinsurance left to the patient, 'denied' (CO-197)."""
    claim = get_claim(conn, claim_id)
    lines = []
    for line in claim_lines(conn, claim_id):
        charge = line.charge
        if how == "denied":
            lines.append(Line(line.code, charge, 0, line_id=line.id, allowed=0, adjustments=(("CO", "197", charge),)))
            continue
        allowed = (charge * D("0.8")).quantize(D("0.01"))
        reduction = charge - allowed
        if how == "paid":
            lines.append(Line(line.code, charge, allowed, line_id=line.id, allowed=allowed,
                              adjustments=(("CO", "45", reduction),) if reduction else ()))
        else:
            deductible = min(D("10.00"), allowed)
            coinsurance = ((allowed - deductible) * D("0.2")).quantize(D("0.01"))
            paid = allowed - deductible - coinsurance
            adjustments = tuple(a for a in (("CO", "45", reduction), ("PR", "1", deductible),
                                            ("PR", "2", coinsurance)) if a[2])
            lines.append(Line(line.code, charge, paid, line_id=line.id, allowed=allowed, adjustments=adjustments))
    share = sum((a[2] for ln in lines for a in ln.adjustments if a[0] == "PR"), D(0))
    return Claim(claim.control_number, lines=tuple(lines), status="4" if how == "denied" else "1",
                 patient_responsibility=share)


def balances(conn, claim_ids):
    return {i: invoice_totals(conn, get_claim(conn, i).invoice_id) for i in claim_ids}


def test_round_trip_every_balance_follows_from_the_money(seeded, sent):
    paid_id, share_id, denied_id, *untouched = sent
    before = balances(seeded, sent)
    text = make_835([answer(seeded, paid_id, "paid"), answer(seeded, share_id, "share"),
                     answer(seeded, denied_id, "denied"), Claim("CD99999999", lines=(Line("99213", 100, 60),))],
                    trace="EFT20260310", paid_on=PAID_ON, method="ACH", provider_adjustments=[("L6", None, "-2.50")])

    review = remittances.review_835(seeded, text, file_name="era.835")
    outcome = {p.payment.control_number: p.outcome for p in review.planned}
    assert list(outcome.values()) == ["post", "post", "post", "unmatched"]
    assert review.balanced
    assert review.to_post_total == sum((p.payment.paid for p in review.planned[:3]), D(0))
    assert db.read(seeded, "SELECT count(*) FROM remittances") == [(0,)]  # a review writes nothing

    done = remittances.import_835(seeded, text, file_name="era.835", user="billing")
    assert (done.posted, done.not_posted) == (3, 1)
    after = balances(seeded, sent)
    statuses = {i: get_claim(seeded, i).status for i in sent}
    assert statuses[paid_id] == "paid" and statuses[share_id] == "paid" and statuses[denied_id] == "denied"
    assert all(statuses[i] == "submitted" for i in untouched)

    # Paid down to the allowed amount: the reduction written off, what was paid applied, nothing
    # left from the insurer (the copay taken at the desk may already have been paid).
    p = review.planned[0]
    assert after[paid_id]["payments"] - before[paid_id]["payments"] == p.payment.paid
    assert after[paid_id]["adjustments"] - before[paid_id]["adjustments"] == p.write_off
    assert after[paid_id]["balance"] == max(before[paid_id]["balance"] - p.payment.paid - p.write_off, D(0))
    # The patient's share stays on the invoice: balance = before - paid - CO-45.
    s = review.planned[1]
    assert after[share_id]["balance"] == before[share_id]["balance"] - s.payment.paid - s.write_off
    assert s.patient_share > 0 and after[share_id]["balance"] >= s.patient_share - (
        before[share_id]["charges"] - before[share_id]["balance"])
    # A denial leaves the whole balance owed, for an appeal or a write-off by the clerk.
    assert after[denied_id]["balance"] == before[denied_id]["balance"]
    for i in untouched:
        assert after[i] == before[i]
    # The insurer's payment carries the trace number; the answers are marked as from an 835.
    assert query_payments(seeded, "EFT20260310") == [("eft", p.payment.paid), ("eft", s.payment.paid)]
    assert db.read(seeded, "SELECT count(*) FROM claim_answers WHERE source = '835'") == [(3,)]
    # The remittance, its claims' outcomes and the provider-level adjustment are kept.
    (row,) = remittances.list_remittances(seeded)
    assert (row.trace_number, row.payment_amount, row.posted, row.not_posted) == (
        "EFT20260310", review.remittance.payment_amount, 3, 1)
    assert [c.outcome for c in remittances.remittance_claims(seeded, row.id)] == [
        "posted", "posted", "posted", "unmatched"]
    assert remittances.provider_adjustments(seeded, row.id) == [("L6", None, D("-2.50"))]
    check_ledger(seeded, as_of=NOW.date())

    # The same file again posts nothing.
    payments = db.read(seeded, "SELECT count(*), sum(amount) FROM payments")
    with pytest.raises(ClinicError, match="imported before"):
        remittances.import_835(seeded, text, file_name="era-again.835", user="billing")
    assert db.read(seeded, "SELECT count(*), sum(amount) FROM payments") == payments
    assert [p.outcome for p in remittances.review_835(seeded, text).planned] == [
        "already_posted", "already_posted", "already_posted", "unmatched"]


def query_payments(conn, reference: str) -> list[tuple]:
    return db.read(conn, "SELECT method, amount FROM payments WHERE reference = ? AND source = 'insurer' ORDER BY id",
                   [reference])


def test_a_malformed_file_is_refused_with_its_line_and_segment_and_posts_nothing(seeded, sent):
    text = make_835([answer(seeded, sent[0], "paid")], paid_on=PAID_ON)
    clp = next(line for line in text.splitlines() if line.startswith("CLP*"))
    parts = clp.split("*")
    parts[3] = parts[3] + "x"
    broken = edit_835(text, clp, "*".join(parts))
    with pytest.raises(ClinicError, match=r"[Ll]ine \d+, segment CLP") as refused:
        remittances.import_835(seeded, broken, user="billing")
    assert refused.value.field == "file"
    assert db.read(seeded, "SELECT count(*) FROM remittances") == [(0,)]
    assert get_claim(seeded, sent[0]).status == "submitted"


def test_what_cannot_be_matched_line_by_line_is_left_for_a_person(seeded, sent):
    multi = next(i for i in sent if len(claim_lines(seeded, i)) > 1)
    lines = claim_lines(seeded, multi)
    # The payer answers only the first line.
    first = lines[0]
    text = make_835([Claim(get_claim(seeded, multi).control_number,
                           lines=(Line(first.code, first.charge, first.charge, line_id=first.id),),
                           charge=sum((ln.charge for ln in lines), D(0)))], paid_on=PAID_ON)
    review = remittances.review_835(seeded, text)
    (plan,) = review.planned
    assert plan.outcome == "not_posted" and "did not answer line 2" in plan.reason
    done = remittances.import_835(seeded, text, user="billing")
    assert (done.posted, done.not_posted) == (0, 1)
    assert get_claim(seeded, multi).status == "submitted"


def test_a_claim_not_sent_yet_is_not_posted(seeded):
    (draft,) = make_drafts(seeded, 1)
    text = make_835([answer(seeded, draft, "paid")], paid_on=PAID_ON)
    (plan,) = remittances.review_835(seeded, text).planned
    assert plan.outcome == "not_posted" and "submit it first" in plan.reason


def test_manage_import_835_dry_run_then_post(seeded_path, tmp_path, capsys):
    from manage import main

    with db.connect(seeded_path) as conn:
        ids = make_drafts(conn, 2)
        claim_batches.send_batch(conn, user="billing", claim_ids=ids)
        text = make_835([answer(conn, i, "paid") for i in ids], paid_on=PAID_ON, trace="CHK1001")
    path = tmp_path / "era.835"
    path.write_text(text)
    assert main(["import-835", str(path), "--db", str(seeded_path), "--dry-run"]) == 0
    assert "2 of 2 claim payments to post" in capsys.readouterr().out
    assert query(seeded_path, "SELECT count(*) FROM remittances") == [(0,)]
    assert main(["import-835", str(path), "--db", str(seeded_path)]) == 0
    assert "posted" in capsys.readouterr().out
    assert query(seeded_path, "SELECT status FROM claims WHERE list_contains(?, id)", [ids]) == [("paid",), ("paid",)]
    assert main(["import-835", str(path), "--db", str(seeded_path)]) == 1
    assert "imported before" in capsys.readouterr().err


def test_a_denial_whose_lines_do_not_deny_is_left_for_a_person(seeded, sent):
    paid = answer(seeded, sent[0], "paid")
    text = make_835([Claim(paid.control_number, lines=paid.lines, status="4")], paid_on=PAID_ON)
    (plan,) = remittances.review_835(seeded, text).planned
    assert plan.outcome == "not_posted" and "marks the claim denied" in plan.reason
