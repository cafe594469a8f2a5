"""Reading 835 remittances: what the billing clerk would post, and the files that must be refused.

Public samples in tests/data/x12 (see its README): badx12 X221 files are valid 835s written as a
single line, so their "line" numbers are segment numbers; the LinuxForHealth files have one
segment per line.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from clinic.errors import ClinicError
from clinic.x12 import validate
from clinic.x12_835 import Cas, ProviderAdjustment, parse_835
from tests.x12_factory import Claim, Line, edit_835, make_835, paid_claim

DATA = Path(__file__).resolve().parent.parent / "data" / "x12"


def sample(name: str) -> str:
    return (DATA / name).read_text(encoding="ascii")


def refusal(text: str) -> str:
    with pytest.raises(ClinicError) as caught:
        parse_835(text)
    assert caught.value.field == "file"
    assert str(caught.value).endswith("Nothing was posted.")
    return str(caught.value)


def answer_for_three_claims() -> str:
    """Paid in full, partly paid with patient responsibility, denied; and a PLB interest/withhold."""
    return make_835(
        [
            Claim("CD00000001", (Line("99213", "100", "100", line_id=11, allowed="100"),)),
            paid_claim("CD00000002", line_id=21),
            Claim("CD00000003", (Line("99214", "200", "0", modifiers=("25", "59"), line_id=31, units=2,
                                      adjustments=(("CO", "50", "200"),)),), status="4"),
        ],
        trace="EFT778899", payer_id="1999999999", method="ACH", paid_on=date(2026, 2, 20),
        provider_adjustments=[("L6", "INTEREST", "-3.10"), ("WO", "CD00000009", "12.50")],
    )


# --- the factory the lead's round-trip tests use ----------------------------------------------


@pytest.mark.parametrize("method", ["CHK", "ACH", "NON"])
def test_factory_files_pass_pyx12_validation(method):
    assert validate(answer_for_three_claims()) == []
    assert validate(make_835([paid_claim()], method=method)) == []
    assert validate(make_835([paid_claim(adjustments=(("OA", "23", "0"),))])) == []


def test_factory_refuses_more_provider_adjustments_than_one_plb_holds():
    with pytest.raises(ValueError):
        make_835([paid_claim()], provider_adjustments=[("WO", None, "1")] * 7)


# --- what gets posted --------------------------------------------------------------------------


def test_payment_header_gives_trace_payer_method_date_and_amount():
    remit = parse_835(answer_for_three_claims())
    assert remit.trace_number == "EFT778899"
    assert remit.payer_key == "1999999999"
    assert remit.payer_name == "ACME HEALTH PLAN"
    assert remit.method == "ACH"
    assert remit.paid_on == date(2026, 2, 20)
    # 100 + 80 + 0 paid on claims, minus PLB (-3.10 interest added, 12.50 withheld)
    assert remit.payment_amount == Decimal("170.60")
    assert remit.provider_adjustments == (
        ProviderAdjustment("L6", "INTEREST", Decimal("-3.10")),
        ProviderAdjustment("WO", "CD00000009", Decimal("12.50")),
    )
    assert remit.provider_adjustment_total == Decimal("9.40")
    assert remit.warnings == ()


def test_claims_carry_status_amounts_and_patient():
    full, partial, denied = parse_835(answer_for_three_claims()).claims
    assert [c.control_number for c in (full, partial, denied)] == ["CD00000001", "CD00000002", "CD00000003"]
    assert (full.status_code, full.charge, full.paid, full.patient_responsibility) == (
        "1", Decimal("100.00"), Decimal("100.00"), None)
    assert (partial.charge, partial.paid, partial.patient_responsibility) == (
        Decimal("150.00"), Decimal("80.00"), Decimal("20.00"))
    assert (denied.status_code, denied.paid) == ("4", Decimal("0.00"))
    assert partial.patient_name == "DOE, JANE"
    assert partial.payer_claim_number == "PCN0001"
    assert full.line == 13 and partial.line == 19


def test_service_lines_carry_code_modifiers_allowed_line_id_date_and_cas():
    _, partial, denied = parse_835(answer_for_three_claims()).claims
    (line,) = partial.services
    assert (line.code, line.modifiers, line.charge, line.paid, line.allowed) == (
        "99213", (), Decimal("150.00"), Decimal("80.00"), Decimal("100.00"))
    assert line.line_control == "21"
    assert line.service_date == date(2026, 2, 2)
    assert line.adjustments == (Cas("CO", "45", Decimal("50.00")), Cas("PR", "2", Decimal("20.00")))
    (refused,) = denied.services
    assert (refused.code, refused.modifiers, refused.units) == ("99214", ("25", "59"), Decimal("2"))
    assert refused.adjustments == (Cas("CO", "50", Decimal("200.00")),)
    assert refused.allowed is None


def test_one_cas_segment_with_two_reasons_gives_two_adjustments():
    claims = parse_835(sample("X221-secondary-payments.edi")).claims
    second_line = claims[1].services[1]
    assert second_line.code == "66543" and second_line.modifiers == ("26",)
    assert second_line.adjustments == (
        Cas("PR", "1", Decimal("150.00")), Cas("PR", "2", Decimal("70.00")), Cas("CO", "42", Decimal("85.00")))
    assert claims[0].adjustments == (Cas("OA", "23", Decimal("9411.64")),)  # claim-level CAS
    assert claims[0].services == ()


def test_negative_provider_adjustment_adds_to_the_payment():
    remit = parse_835(sample("X221-dollars-and-data-sent-together.edi"))
    assert remit.payment_amount == Decimal("150000.00")
    assert sum(c.paid for c in remit.claims) == Decimal("149998.73")
    assert remit.provider_adjustments == (ProviderAdjustment("CV", "CP", Decimal("-1.27")),)


def test_same_claim_number_answered_again_counts_occurrences():
    claims = parse_835(sample("X221-multiple-claims-single-check.edi")).claims
    assert {c.control_number for c in claims} == {"7722337"}
    assert [c.occurrence for c in claims] == list(range(1, 10))
    assert [c.line for c in claims[:3]] == [13, 38, 52]  # segment numbers: the file is one line


def test_service_period_start_is_the_date_when_there_is_no_single_date():
    text = edit_835(make_835([paid_claim()]), "DTM*472*20260202~", "DTM*150*20260203~\nDTM*151*20260204~")
    assert validate(text) == []
    assert parse_835(text).claims[0].services[0].service_date == date(2026, 2, 3)


def test_problems_that_do_not_touch_the_money_are_warnings():
    remit = parse_835(sample("linuxforhealth-medicare-part-a.835"))
    assert [c.control_number for c in remit.claims] == ["666123", "777777"]
    assert any("PER" in w for w in remit.warnings)
    assert any("TS309" in w for w in remit.warnings)


def test_a_second_plb_segment_is_read_despite_pyx12s_footer_limit():
    text = edit_835(make_835([paid_claim()], provider_adjustments=[("WO", "A1", "5"), ("FB", "B2", "1")]),
                    "*WO:A1*5*FB:B2*1~", "*WO:A1*5~\nPLB*1234567893*20261231*FB:B2*1~")
    remit = parse_835(text)
    assert [a.reason for a in remit.provider_adjustments] == ["WO", "FB"]
    assert remit.payment_amount == Decimal("74.00")
    assert any("FOOTER" in w for w in remit.warnings)


def test_a_claim_whose_adjustments_do_not_add_up_is_flagged_not_refused():
    text = make_835([paid_claim(charge="160")])
    (claim,) = parse_835(text).claims
    assert claim.charge == Decimal("160.00")
    assert any("CD00000001" in w and "does not equal its adjustments" in w for w in parse_835(text).warnings)


# --- refused files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("CLP*CD00000001*1*150*80*", "CLP*CD00000001*1*150*8O*", "Line 13, segment CLP"),
        ("CAS*CO*45*50~", "CAS*CO*45*5,0~", "Line 17, segment CAS"),
        ("DTM*472*20260202~", "DTM*472*20260231~", "Line 16, segment DTM"),
        ("AMT*B6*100~", "AMT*B6*100.005~", "Line 20, segment AMT"),
        ("LX*1~", "LX*1~\nZZZ*1~", "Line 13, segment ZZZ"),
        ("TRN*1*TRACE0001*1512345678~\n", "", "Line 5, segment TRN"),
    ],
    ids=["letter-in-amount", "comma-in-amount", "no-such-date", "fraction-of-a-cent", "unknown-segment",
         "missing-trace"],
)
def test_a_corrupted_file_is_refused_naming_line_and_segment(old, new, where):
    message = refusal(edit_835(make_835([paid_claim()]), old, new))
    assert message.startswith(where + ":")


def test_wrong_segment_count_is_refused():
    text = make_835([paid_claim()]).replace("SE*19*0001", "SE*18*0001")
    assert refusal(text).startswith("Line 21, segment ST: SE count of 18")


def test_unbalanced_payment_is_refused():
    text = make_835([paid_claim()], provider_adjustments=[("WO", None, "5")], payment_amount="80")
    assert validate(text) == []  # pyx12 does not add money up
    message = refusal(text)
    assert message.startswith("Line 4, segment BPR: The file's total payment $80.00 does not equal")
    assert "$75.00" in message


def test_a_claim_file_is_not_a_remittance():
    assert validate(sample("X222-commercial-health-insurance.edi")) == []
    assert refusal(sample("X222-commercial-health-insurance.edi")).startswith(
        "Line 2, segment GS: This is not an 835 payment file")


def test_two_payments_in_one_file_are_refused():
    one = make_835([paid_claim()])
    start, end = one.index("ST*835"), one.index("GE*")
    second = one[start:end].replace("*0001~", "*0002~").replace("TRACE0001", "TRACE0002")
    text = one[:end] + second + one[end:].replace("GE*1*", "GE*2*")
    assert "more than one payment" in refusal(text)


def test_text_that_is_not_x12_is_refused():
    assert refusal("claim,paid\nCD1,80\n").startswith("Line 1: This is not an X12 file")


def test_linuxforhealth_components_written_with_the_wrong_separator_are_refused():
    # This public file declares ':' as component separator in ISA16 but writes SVC*HC>55669.
    text = sample("linuxforhealth-cob-contractural-adjustment.835")
    assert refusal(text).startswith("Line 4, segment BPR")  # first: its BPR16 date is missing
    repaired = text.replace("CHK***********20050318", "CHK************20050318")
    message = refusal(repaired)
    assert message.startswith("Line 21, segment SVC: Segment SVC*HC>55669 not found")
