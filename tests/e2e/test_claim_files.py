"""Electronic claims in a real browser, as the billing clerk: Claims › Send claims (837P) sends
the four draft claims as one 837P file, downloaded again as it was sent (valid X12 carrying the
four claim numbers); Claims › Remittances (835) reads the payer's answer to two of them (one
paid, one denied) plus a claim number that is not ours, shows the totals before anything is
posted, and posts the two. What was written is read from the file once the server has stopped.

The scene is written before the server starts (it holds the file's lock afterwards): the draft
claims the real clock leaves are sent in an earlier file, and the four newest claims waiting
for an answer that were never in a file become drafts. The 835 answering two of them is written
then too (their claim numbers and line ids do not change when they are sent).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

import db
from clinic import timeutil, x12
from clinic.money import money_text
from db import claim_batches, settings
from db.claims import claim_lines, get_claim
from db.ledger import invoice_totals
from tests.db.billing_factories import make_drafts
from tests.e2e.conftest import seed_for_e2e, serve
from tests.x12_factory import Claim, Line, make_835

pytestmark = pytest.mark.e2e

D = Decimal
TRACE = "EFT77120"
UNKNOWN = "CD99999999"


@dataclass(frozen=True)
class Scene:
    path: Path
    era: Path                      # the payer's 835
    drafts: tuple[int, ...]        # the four draft claims' ids
    numbers: tuple[str, ...]       # their claim numbers
    paid_id: int
    denied_id: int
    paid: Decimal                  # what the payer pays on the paid claim
    write_off: Decimal             # its CO-45 reduction
    balance_before: dict[int, Decimal]


def answer(conn, claim_id: int, denied: bool) -> tuple[Claim, Decimal, Decimal]:
    """The payer's answer: every line paid at 80% of the charge (the rest CO-45), or denied
    (CO-197); with what it pays and writes off."""
    claim = get_claim(conn, claim_id)
    lines, paid, write_off = [], D(0), D(0)
    for line in claim_lines(conn, claim_id):
        if denied:
            lines.append(Line(line.code, line.charge, 0, line_id=line.id, allowed=0,
                              adjustments=(("CO", "197", line.charge),)))
            continue
        allowed = (line.charge * D("0.8")).quantize(D("0.01"))
        lines.append(Line(line.code, line.charge, allowed, line_id=line.id, allowed=allowed,
                          adjustments=(("CO", "45", line.charge - allowed),)))
        paid, write_off = paid + allowed, write_off + line.charge - allowed
    return Claim(claim.control_number, lines=tuple(lines), status="4" if denied else "1",
                 patient_responsibility=0), paid, write_off


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> Scene:
    seeded = seed_for_e2e(tmp_path_factory.mktemp("e2e-claim-files") / "clinic.duckdb")
    conn = db.connect(seeded.path)
    try:
        earlier = [d.claim_id for d in claim_batches.draft_claims(conn) if d.ready]
        drafts = make_drafts(conn, 4)  # before the earlier file: these were never in one
        if earlier:
            claim_batches.send_batch(conn, user="billing", claim_ids=earlier)
        assert [d.claim_id for d in claim_batches.draft_claims(conn)] == drafts
        before = {i: invoice_totals(conn, get_claim(conn, i).invoice_id)["balance"] for i in drafts}
        # The paid claim is one whose invoice still owes what the payer pays (a patient may have
        # paid part already, and an overpayment is rightly held back for a person).
        answers = {i: answer(conn, i, denied=False) for i in drafts}
        payable = [i for i in drafts if answers[i][1] <= before[i]]
        assert payable, f"no draft claim owes 80% of its charge: {before}"
        paid_id = payable[0]
        denied_id = next(i for i in drafts if i != paid_id)
        paid_answer, paid, write_off = answers[paid_id]
        denied_answer, _, _ = answer(conn, denied_id, denied=True)
        stranger = Claim(UNKNOWN, lines=(Line("99213", 100, 60, adjustments=(("CO", "45", 40),)),))
        era = seeded.path.with_name("era.835")
        era.write_text(make_835([paid_answer, denied_answer, stranger], payer_name="SUMMIT CARE PLANS",
                                trace=TRACE, paid_on=timeutil.today(settings.timezone(conn)), method="ACH"))
        numbers = tuple(get_claim(conn, i).control_number for i in drafts)
        conn.execute("CHECKPOINT")
    finally:
        conn.close()
    return Scene(seeded.path, era, tuple(drafts), numbers, paid_id, denied_id, paid, write_off, before)


def test_the_billing_clerk_sends_an_837p_and_posts_the_835_that_answers_it(tab, scene):
    with contextlib.closing(serve(scene.path)) as running:
        app = tab(next(running), viewport={"width": 1400, "height": 1600}).open("claims").sign_in("billing")
        page = app.page

        # Send: the four drafts go as one file, downloaded again exactly as sent.
        page.get_by_role("tab", name="Send claims (837P)").click()
        app.wait_idle()
        expect(page.get_by_text("4 of 4 draft claims ready")).to_be_visible()
        page.get_by_role("button", name="Send the 4 ready claims").click()
        app.wait_idle()
        sent = page.locator('[data-testid="stAlert"]', has_text="Claim file ")
        expect(sent).to_contain_text("4 claims")
        expect(sent).to_contain_text("now submitted")
        expect(page.get_by_text("No draft claims to send.")).to_be_visible()
        with page.expect_download(timeout=30_000) as info:
            page.get_by_role("button", name="Download again").click()
        download = info.value
        text = download.path().read_text()
        assert x12.validate(text) == []
        claimed = [seg.split("*")[1] for seg in text.replace("\n", "").split("~") if seg.startswith("CLM*")]
        assert sorted(claimed) == sorted(scene.numbers)
        assert download.suggested_filename in sent.inner_text()
        assert app.exceptions() == []

        # Remittance: the review says what will be posted before anything is.
        page.get_by_role("tab", name="Remittances (835)").click()
        app.wait_idle()
        page.locator("input[type=file]").set_input_files(str(scene.era))
        app.wait_idle()
        metric = lambda label: page.get_by_test_id("stMetric").filter(  # noqa: E731
            has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True))
        stranger = D(60)
        expect(metric("Payment")).to_contain_text(money_text(scene.paid + stranger))
        expect(metric("Claim payments")).to_contain_text(money_text(scene.paid + stranger))
        expect(metric("To post now")).to_contain_text(money_text(scene.paid))
        expect(page.get_by_text("= the payment")).to_be_visible()
        post = page.get_by_role("button", name=f"Post 2 claim payments, {money_text(scene.paid)}")
        expect(post).to_be_visible()
        assert app.exceptions() == []
        app.screenshot("claim-files-835-review")

        post.click()
        app.wait_idle()
        posted = page.locator('[data-testid="stAlert"]', has_text="Posted 2 claim payments from era.835")
        expect(posted).to_contain_text(f"Posted 2 claim payments from era.835, {money_text(scene.paid)}. "
                                       "1 left for you")
        expect(page.get_by_role("button", name="Post 2 claim payments")).to_have_count(0)
        assert app.exceptions() == []
        app.screenshot("claim-files-835-posted")

    # The server has stopped: the file is free to read.
    conn = db.connect(scene.path)
    try:
        others = [i for i in scene.drafts if i not in (scene.paid_id, scene.denied_id)]
        statuses = {i: get_claim(conn, i).status for i in scene.drafts}
        assert statuses == {scene.paid_id: "paid", scene.denied_id: "denied",
                            **{i: "submitted" for i in others}}
        after = {i: invoice_totals(conn, get_claim(conn, i).invoice_id)["balance"] for i in scene.drafts}
        before = scene.balance_before
        assert after[scene.paid_id] == max(before[scene.paid_id] - scene.paid - scene.write_off, D(0))
        number = dict(zip(scene.drafts, scene.numbers)).get
        assert after[scene.denied_id] == before[scene.denied_id]  # left owed, for an appeal or a write-off
        assert all(after[i] == before[i] for i in others)
        (batch,) = db.read(conn, "SELECT id FROM claim_batches c WHERE EXISTS (SELECT 1 FROM claim_batch_claims b"
                                 " WHERE b.batch_id = c.id AND list_contains(?, b.claim_id))", [list(scene.drafts)])
        assert db.read(conn, "SELECT count(*) FROM claim_batch_claims WHERE batch_id = ?", batch) == [(4,)]
        assert db.read(conn, "SELECT file_name, trace_number, payment_amount FROM remittances") == [
            ("era.835", TRACE, scene.paid + stranger)]
        assert db.read(conn, "SELECT control_number, outcome FROM remittance_claims ORDER BY position") == [
            (number(scene.paid_id), "posted"), (number(scene.denied_id), "posted"), (UNKNOWN, "unmatched")]
        assert db.read(conn, "SELECT method, amount FROM payments WHERE reference = ? AND source = 'insurer'",
                       [TRACE]) == [("eft", scene.paid)]
    finally:
        conn.close()
