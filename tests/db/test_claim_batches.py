"""837P claim files against a seeded DuckDB file: sending the draft claims as one file that pyx12
finds valid, marking them submitted in the same transaction, control numbers that never repeat,
what a payer would reject refused before the file is written (and nothing written), the batch
list and its audited download, and manage.py export-837."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

import db
from clinic import timeutil, x12
from clinic.errors import ClinicError
from db import claim_batches
from tests.conftest import query
from tests.db.billing_factories import make_drafts

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def clock():
    timeutil.set_clock(NOW)
    yield
    timeutil.set_clock(None)


@pytest.fixture(autouse=True)
def unsent(request):
    """Eight claims made and not yet sent in the seeded database."""
    if "seeded" in request.fixturenames:
        make_drafts(request.getfixturevalue("seeded"))
    elif "seeded_path" in request.fixturenames:
        with db.connect(request.getfixturevalue("seeded_path")) as conn:
            make_drafts(conn)


def drafts(conn) -> list[int]:
    return [r[0] for r in db.read(conn, "SELECT id FROM claims WHERE status = 'draft' ORDER BY id")]


def segments(text: str, tag: str) -> list[list[str]]:
    return [line.rstrip("~").split("*") for line in text.splitlines() if line.startswith(tag + "*")]


def test_every_ready_draft_goes_out_in_one_valid_file_and_becomes_submitted(seeded):
    waiting = drafts(seeded)
    assert len(waiting) >= 5
    ready = claim_batches.draft_claims(seeded)
    assert [r.claim_id for r in ready] == waiting and all(r.ready for r in ready)

    sent = claim_batches.send_batch(seeded, user="admin")

    name, text = claim_batches.batch_file(seeded, sent.batch.id, user="admin")
    assert x12.validate(text) == []
    assert sent.batch.claim_count == len(waiting) and not sent.skipped
    # Each claim by its own number (CLM01), with its charge; the file's total is the claims' total.
    numbers = {r[0]: r[1] for r in db.read(seeded, "SELECT control_number, id FROM claims WHERE list_contains(?, id)",
                                           [waiting])}
    clms = segments(text, "CLM")
    assert sorted(c[1] for c in clms) == sorted(numbers)
    assert sum(__import__("decimal").Decimal(c[2]) for c in clms) == sent.batch.total_charge
    # Every service line carries our line id (REF*6R), so the 835 can answer it line by line.
    line_ids = {str(r[0]) for r in db.read(seeded, "SELECT id FROM claim_lines WHERE list_contains(?, claim_id)",
                                           [waiting])}
    assert {s[2] for s in segments(text, "REF") if s[1] == "6R"} == line_ids
    assert query_status(seeded, waiting) == {"submitted"}
    events = db.read(seeded, "SELECT count(*) FROM claim_events WHERE to_status = 'submitted' AND note = ?"
                             " AND list_contains(?, claim_id)", [f"Sent in claim file {name}", waiting])
    assert events == [(len(waiting),)]
    assert db.read(seeded, "SELECT count(*) FROM claim_batch_claims WHERE batch_id = ?", [sent.batch.id]) == [
        (len(waiting),)]
    assert claim_batches.list_batches(seeded)[0].file_name == name
    # The download is the stored file, and it is audited.
    assert db.read(seeded, "SELECT content FROM claim_batches WHERE id = ?", [sent.batch.id]) == [(text,)]
    assert db.read(seeded, "SELECT count(*) FROM audit_log WHERE action = 'claim.batch_download'") == [(1,)]
    with pytest.raises(ClinicError, match="no draft claim"):
        claim_batches.send_batch(seeded, user="admin")


def query_status(conn, ids: list[int]) -> set[str]:
    return {r[0] for r in db.read(conn, "SELECT status FROM claims WHERE list_contains(?, id)", [ids])}


def test_interchange_control_numbers_never_repeat(seeded):
    first, second, *_ = drafts(seeded)
    a = claim_batches.send_batch(seeded, user="admin", claim_ids=[first])
    b = claim_batches.send_batch(seeded, user="admin", claim_ids=[second])
    texts = [claim_batches.batch_file(seeded, x.batch.id, user="admin")[1] for x in (a, b)]
    isa13 = [segments(t, "ISA")[0][13] for t in texts]
    assert isa13[0] != isa13[1] and all(re.fullmatch(r"\d{9}", n) for n in isa13)
    assert a.batch.file_name != b.batch.file_name
    assert [segments(t, "CLM")[0][1] for t in texts] == [
        db.read(seeded, "SELECT control_number FROM claims WHERE id = ?", [i])[0][0] for i in (first, second)]


@pytest.mark.parametrize("break_it, reason", [
    ("UPDATE claims SET member_id = '' WHERE id = $id", "member ID is missing"),
    ("UPDATE providers SET npi = '1234567890' WHERE id = (SELECT i.provider_id FROM claims c JOIN invoices i"
     " ON i.id = c.invoice_id WHERE c.id = $id)", "fails its check digit"),
    ("UPDATE claim_lines SET pointers = NULL WHERE claim_id = $id", "points at no diagnosis"),
    ("UPDATE payers SET electronic_id = NULL WHERE id = (SELECT payer_id FROM claims WHERE id = $id)",
     "no electronic payer ID"),
])
def test_a_claim_a_payer_would_reject_is_refused_with_its_reason_and_nothing_is_written(seeded, break_it, reason):
    target, *_ = drafts(seeded)
    seeded.execute(break_it, {"id": target})
    listed = {r.claim_id: r for r in claim_batches.draft_claims(seeded)}
    assert any(reason in p for p in listed[target].problems)

    with pytest.raises(ClinicError, match=reason):
        claim_batches.send_batch(seeded, user="admin", claim_ids=[target])
    assert query_status(seeded, [target]) == {"draft"}
    assert db.read(seeded, "SELECT count(*) FROM claim_batches") == [(0,)]

    # Sending every ready claim leaves it out (and says so) but sends the rest.
    sent = claim_batches.send_batch(seeded, user="admin")
    assert target in {s.claim_id for s in sent.skipped}
    assert query_status(seeded, [target]) == {"draft"}


def test_no_diagnosis_is_refused(seeded):
    target, *_ = drafts(seeded)
    seeded.execute("UPDATE claims SET diagnoses = NULL WHERE id = ?", [target])
    problems = {r.claim_id: r.problems for r in claim_batches.draft_claims(seeded)}[target]
    assert any("no diagnosis" in p for p in problems)


def test_missing_practice_settings_stop_every_file(seeded):
    seeded.execute("UPDATE settings SET value = '' WHERE key = 'billing_npi'")
    assert any("Group NPI" in p for p in claim_batches.identity_problems(seeded))
    with pytest.raises(ClinicError, match="Group NPI") as refused:
        claim_batches.send_batch(seeded, user="admin")
    assert refused.value.field == "settings"
    assert db.read(seeded, "SELECT count(*) FROM claims WHERE status = 'submitted' AND submitted_at >= ?", [NOW]) == [
        (0,)]


def test_a_file_pyx12_finds_invalid_is_never_stored(seeded, monkeypatch):
    real = claim_batches.build_837p
    monkeypatch.setattr(claim_batches, "build_837p",
                        lambda *a, **k: real(*a, **k).replace("*XX*1881234565~", "*XX*~"))  # the group NPI lost
    waiting = drafts(seeded)
    with pytest.raises(ClinicError, match="failed validation.*NM1"):
        claim_batches.send_batch(seeded, user="admin")
    assert query_status(seeded, waiting) == {"draft"}
    assert db.read(seeded, "SELECT count(*) FROM claim_batches") == [(0,)]


def test_billing_role_may_send_front_desk_may_not(seeded):
    from clinic.errors import NotAllowed
    from db import users

    desk = users.get(seeded, db.read(seeded, "SELECT id FROM users WHERE username = 'frontdesk'")[0][0])
    with pytest.raises(NotAllowed):
        claim_batches.send_batch(seeded, user=desk)
    biller = users.get(seeded, db.read(seeded, "SELECT id FROM users WHERE username = 'billing'")[0][0])
    assert claim_batches.send_batch(seeded, user=biller).batch.created_by == "Leo Brennan"


def test_manage_export_837_writes_the_file_and_never_overwrites(seeded_path, tmp_path, capsys):
    from manage import main

    out = tmp_path / "claims.837"
    assert main(["export-837", "--db", str(seeded_path), "--out", str(out), "--payer", "MCARE"]) == 0
    text = out.read_text()
    assert x12.validate(text) == []
    assert {s[3] for s in segments(text, "NM1") if s[1] == "PR"} == {"MEDICARE"}
    assert "now submitted" in capsys.readouterr().out
    assert main(["export-837", "--db", str(seeded_path), "--out", str(out)]) == 1
    assert "never overwritten" in capsys.readouterr().err
    assert out.read_text() == text
    assert query(seeded_path, "SELECT count(*) FROM claim_batches") == [(1,)]


def test_a_secondary_claim_carries_what_the_primary_paid_and_adjusted(seeded):
    from decimal import Decimal

    from db import claims

    claim_id, invoice_id, patient_id, primary_payer = db.read(
        seeded, "SELECT c.id, c.invoice_id, i.patient_id, c.payer_id FROM claims c JOIN invoices i ON i.id = c.invoice_id"
                " JOIN invoice_balances b ON b.invoice_id = i.id WHERE c.rank = 1 AND c.status IN ('paid', 'partially_paid')"
                " AND b.balance > 0 AND i.status IN ('open', 'partially_paid') ORDER BY c.id LIMIT 1")[0]
    other = db.read(seeded, "SELECT id FROM payers WHERE kind = 'commercial' AND id <> ? ORDER BY id LIMIT 1",
                    [primary_payer])[0][0]
    seeded.execute("INSERT INTO patient_insurance (patient_id, rank, payer_id, member_id, subscriber_name,"
                   " subscriber_relationship) VALUES (?, 2, ?, 'SEC12345', 'Robert Smith', 'spouse')",
                   [patient_id, other])
    secondary = claims.create_claim(seeded, invoice_id, user="billing", rank=2)

    sent = claim_batches.send_batch(seeded, user="billing", claim_ids=[secondary])
    text = claim_batches.batch_file(seeded, sent.batch.id, user="billing")[1]
    assert x12.validate(text) == []
    assert [s[1] for s in segments(text, "SBR")] == ["S", "P"]  # this payer second, the primary in 2320
    paid = db.read(seeded, "SELECT sum(la.paid) FROM claim_line_answers la WHERE la.answer_id = (SELECT max(id)"
                           " FROM claim_answers WHERE claim_id = ?)", [claim_id])[0][0]
    (amt,) = [s for s in segments(text, "AMT") if s[1] == "D"]
    assert Decimal(amt[2]) == paid
    assert sum(Decimal(s[2]) for s in segments(text, "SVD")) == paid
