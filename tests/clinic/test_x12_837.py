"""837P claim files: what a payer or clearinghouse receives. Every file built here must pass pyx12's
full validation (clinic.x12.validate), and the segments a payer reads (who, what, how much, which
diagnoses, what the primary paid) must carry the claim's values."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal

import pytest

from clinic.errors import ClinicError
from clinic.npi import make_npi
from clinic.x12 import validate
from clinic.x12_837 import (Address, BillingProvider, ClaimOut, Envelope, Person, PriorAnswerLine, PriorPayer,
                            Rendering, ServiceLine, Submitter, amount, build_837p)

HOME = Address("12 Main St", "Springfield", "IL", "62701-1234")
BILLING = BillingProvider("Maple Family Clinic", make_npi("123456789"), "12-3456789",
                          Address("400 Oak Ave", "Springfield", "IL", "627015555", line2="Suite 2"), "207Q00000X")
ENVELOPE = Envelope(42, datetime(2025, 3, 4, 9, 5), Submitter("Maple Family Clinic", "MAPLE01", "Ann Desk",
                                                              "(217) 555-0100"), "Acme Clearinghouse", "ACMECH")
JANE = Person("Doe", "Jane", "Q", member_id="XYZ123", address=HOME, birth_date=date(1980, 1, 2), sex="female")
TIM = Person("Doe", "Tim", address=HOME, birth_date=date(2015, 6, 30), sex="male")
VISIT = date(2025, 3, 1)


def line(line_id=7, code="99213", charge="120.00", pointers=(1,), modifiers=(), units=1, prior=None):
    return ServiceLine(line_id, code, tuple(modifiers), Decimal(charge), units, tuple(pointers), VISIT, prior)


def claim(number="CD00000042", *, relationship="self", patient=JANE, lines=None, diagnoses=("E11.9", "I10"),
          **changes):
    base = ClaimOut(number, 1, "CI", "Acme Health", "ACME1", relationship, JANE, patient, "GRP1", "11",
                    tuple(diagnoses), tuple(lines or (line(),)))
    return dataclasses.replace(base, **changes)


def build(claims, envelope=ENVELOPE, billing=BILLING) -> str:
    text = build_837p(envelope, billing, claims)
    assert [str(p) for p in validate(text)] == []
    return text


def segments(text: str, seg_id: str | None = None) -> list[list[str]]:
    rows = [s.split("*") for s in text.replace("\n", "").split("~") if s]
    return [r for r in rows if seg_id is None or r[0] == seg_id]


def test_one_claim_for_a_subscriber_who_is_the_patient():
    text = build([claim()])
    assert text.count("~\n") == len(segments(text)) and text.endswith("~\n")
    assert segments(text, "HL") == [["HL", "1", "", "20", "1"], ["HL", "2", "1", "22", "0"]]
    assert segments(text, "SBR") == [["SBR", "P", "18", "GRP1", "", "", "", "", "", "CI"]]
    assert ["NM1", "IL", "1", "DOE", "JANE", "Q", "", "", "MI", "XYZ123"] in segments(text)
    assert segments(text, "DMG") == [["DMG", "D8", "19800102", "F"]]
    assert segments(text, "PAT") == []
    assert segments(text, "CLM") == [["CLM", "CD00000042", "120", "", "", "11:B:1", "Y", "A", "Y", "Y"]]
    assert segments(text, "HI") == [["HI", "ABK:E119", "ABF:I10"]]
    assert segments(text, "SV1") == [["SV1", "HC:99213", "120", "UN", "1", "", "", "1"]]
    assert segments(text, "DTP") == [["DTP", "472", "D8", "20250301"]]
    assert segments(text, "REF")[-1] == ["REF", "6R", "7"]
    assert ["NM1", "85", "2", "MAPLE FAMILY CLINIC", "", "", "", "", "XX", BILLING.npi] in segments(text)
    assert ["REF", "EI", "123456789"] in segments(text)
    assert ["N4", "SPRINGFIELD", "IL", "627015555"] in segments(text)
    assert ["NM1", "PR", "2", "ACME HEALTH", "", "", "", "", "PI", "ACME1"] in segments(text)


@pytest.mark.parametrize(("relationship", "code"), [("spouse", "01"), ("child", "19"), ("other", "G8")])
def test_a_patient_who_is_not_the_subscriber_gets_a_patient_loop(relationship, code):
    text = build([claim(relationship=relationship, patient=TIM)])
    assert segments(text, "HL") == [["HL", "1", "", "20", "1"], ["HL", "2", "1", "22", "1"],
                                    ["HL", "3", "2", "23", "0"]]
    assert segments(text, "SBR") == [["SBR", "P", "", "GRP1", "", "", "", "", "", "CI"]]
    assert segments(text, "PAT") == [["PAT", code]]
    assert ["NM1", "QC", "1", "DOE", "TIM"] in segments(text)
    assert segments(text, "DMG") == [["DMG", "D8", "20150630", "M"]]  # the patient's, not the subscriber's


def test_twelve_diagnoses_and_four_pointers_per_line():
    codes = ("E11.9", "I10", "J06.9", "R05.9", "M54.50", "Z00.00", "E78.5", "K21.9", "F41.1", "G43.909",
             "N39.0", "L30.9")
    text = build([claim(diagnoses=codes, lines=(line(7, pointers=(1, 2, 3, 4)), line(8, "81002", "15", (12, 5))))])
    assert segments(text, "HI") == [["HI", "ABK:E119", *[f"ABF:{c.replace('.', '')}" for c in codes[1:]]]]
    assert [s[7] for s in segments(text, "SV1")] == ["1:2:3:4", "12:5"]


def test_a_thirteenth_diagnosis_or_a_pointer_past_the_list_is_refused_before_writing():
    with pytest.raises(ClinicError, match="1 to 12 diagnoses"):
        build_837p(ENVELOPE, BILLING, [claim(diagnoses=[f"E11.{i}" for i in range(10)] + ["I10", "J069", "R05"])])
    with pytest.raises(ClinicError, match="point at 1 to 4"):
        build_837p(ENVELOPE, BILLING, [claim(lines=(line(pointers=(3,)),))])
    with pytest.raises(ClinicError, match="point at 1 to 4"):
        build_837p(ENVELOPE, BILLING, [claim(lines=(line(pointers=(1, 2, 1, 2, 1)),))])


def test_modifiers_follow_the_procedure_code():
    text = build([claim(lines=(line(modifiers=("25",)), line(8, "20610", "200", modifiers=("RT", "59", "XS", "76"))))])
    assert [s[1] for s in segments(text, "SV1")] == ["HC:99213:25", "HC:20610:RT:59:XS:76"]
    with pytest.raises(ClinicError, match="more than 4 modifiers"):
        build_837p(ENVELOPE, BILLING, [claim(lines=(line(modifiers=("25", "59", "RT", "LT", "76")),))])


def test_amounts_are_plain_decimals_and_the_claim_total_is_the_sum_of_its_lines():
    assert [amount(Decimal(v)) for v in ("100.00", "100.50", "79.04", "0", "-5.00")] == [
        "100", "100.5", "79.04", "0", "-5"]
    one = claim(lines=(line(7, charge="100.50", units=2), line(8, "81002", "20.25")))
    assert one.total_charge == Decimal("120.75")
    text = build([one])
    assert segments(text, "CLM")[0][2] == "120.75"
    assert [(s[2], s[4]) for s in segments(text, "SV1")] == [("100.5", "2"), ("20.25", "1")]


def test_a_secondary_claim_carries_what_the_primary_paid_line_by_line():
    prior = PriorPayer("Acme Health", "ACME1", "XYZ123", JANE, "GRP1", "CI", "child", Decimal("60.00"),
                       date(2025, 3, 20))
    answered = line(8, "99213", "100.50", prior=PriorAnswerLine(
        Decimal("60"), (("CO", "45", Decimal("20.50")), ("PR", "1", Decimal("10")), ("PR", "2", Decimal("10")))))
    secondary = claim("CD00000043", relationship="child", patient=TIM, rank=2, payer_name="Beta Health",
                      payer_id="BETA1", group_number=None, lines=(answered,), prior=prior)
    text = build([secondary])
    assert segments(text, "SBR") == [["SBR", "S", "", "", "", "", "", "", "", "CI"],
                                     ["SBR", "P", "19", "GRP1", "", "", "", "", "", "CI"]]
    assert segments(text, "AMT") == [["AMT", "D", "60"]]
    assert segments(text, "OI") == [["OI", "", "", "Y", "P", "", "Y"]]
    payers = [s for s in segments(text, "NM1") if s[1] == "PR"]
    assert [p[3] for p in payers] == ["BETA HEALTH", "ACME HEALTH"]
    assert segments(text, "SVD") == [["SVD", "ACME1", "60", "HC:99213", "", "1"]]
    assert segments(text, "CAS") == [["CAS", "CO", "45", "20.5"], ["CAS", "PR", "1", "10", "", "2", "10"]]
    assert segments(text, "DTP") == [["DTP", "472", "D8", "20250301"], ["DTP", "573", "D8", "20250320"]]


def test_a_secondary_line_without_a_primary_answer_puts_the_adjudication_date_on_the_claim():
    prior = PriorPayer("Acme Health", "ACME1", "XYZ123", JANE, None, "MB", "self", Decimal("0"), date(2025, 3, 20))
    many = tuple(("CO", str(reason), Decimal("1")) for reason in (45, 97, 253, 59, 16, 18, 22))
    lines = (line(8, prior=PriorAnswerLine(Decimal("0"), many)), line(9, "81002", "15"))
    text = build([claim(rank=2, lines=lines, prior=prior)])
    assert [len(s) for s in segments(text, "CAS")] == [2 + 3 * 6 - 1, 2 + 2]  # 6 reasons per CAS, then 1
    assert segments(text, "DTP").count(["DTP", "573", "D8", "20250320"]) == 2  # 2330B and the answered line
    assert len(segments(text, "SVD")) == 1


def test_a_rendering_provider_is_named_only_when_it_is_not_the_billing_provider():
    other = Rendering("Smith", "Alan", make_npi("987654321"))
    text = build([claim(rendering=other), claim("CD00000043", rendering=Rendering("Maple", "X", BILLING.npi))])
    assert [s for s in segments(text, "NM1") if s[1] == "82"] == [
        ["NM1", "82", "1", "SMITH", "ALAN", "", "", "", "XX", other.npi]]


def test_several_claims_in_one_file_keep_their_numbers_and_sequential_hls():
    claims = [claim("CD00000042"), claim("CD00000043", relationship="child", patient=TIM), claim("CD00000044")]
    text = build(claims)
    assert [s[1] for s in segments(text, "CLM")] == ["CD00000042", "CD00000043", "CD00000044"]
    assert [s[1:4] for s in segments(text, "HL")] == [["1", "", "20"], ["2", "1", "22"], ["3", "1", "22"],
                                                      ["4", "3", "23"], ["5", "1", "22"]]
    assert len(segments(text, "ST")) == 1


def test_the_envelope_counts_and_control_numbers_agree():
    envelope = dataclasses.replace(ENVELOPE, control_number=123, usage="T", batch_reference="B-7")
    text = build([claim("CD1"), claim("CD2", relationship="spouse", patient=TIM)], envelope)
    rows = segments(text)
    isa, gs, st = rows[0], rows[1], rows[2]
    assert len(text.splitlines()[0]) == 106  # ISA is fixed width
    assert (isa[6].strip(), isa[8].strip(), isa[9], isa[10], isa[13], isa[15], isa[16]) == (
        "MAPLE01", "ACMECH", "250304", "0905", "000000123", "T", ":")
    assert gs[1:] == ["HC", "MAPLE01", "ACMECH", "20250304", "0905", "123", "X", "005010X222A1"]
    assert st == ["ST", "837", "0001", "005010X222A1"]
    assert segments(text, "BHT") == [["BHT", "0019", "00", "B-7", "20250304", "0905", "CH"]]
    se, ge, iea = rows[-3], rows[-2], rows[-1]
    assert se == ["SE", str(len(rows) - 4), "0001"]  # ST to SE inclusive
    assert ge == ["GE", "1", "123"]
    assert iea == ["IEA", "1", "000000123"]


def test_accents_and_delimiters_in_typed_text_are_cleaned():
    messy = Person("Peña*O'Neil~", "José:^", member_id="ab*12", birth_date=date(1990, 1, 1), sex="other",
                   address=Address("1 Rue Élysée*", "Montréal", "il", "62701"))
    text = build([dataclasses.replace(claim(), subscriber=messy,
                                      lines=(line(code="99213~", modifiers=("2:5",)),))])
    assert ["NM1", "IL", "1", "PENA O'NEIL", "JOSE", "", "", "", "MI", "AB 12"] in segments(text)
    assert ["N3", "1 RUE ELYSEE"] in segments(text) and ["N4", "MONTREAL", "IL", "62701"] in segments(text)
    assert segments(text, "DMG") == [["DMG", "D8", "19900101", "U"]]
    assert segments(text, "SV1")[0][1] == "HC:99213:25"


def test_a_file_with_an_empty_npi_is_found_invalid():
    text = build_837p(ENVELOPE, dataclasses.replace(BILLING, npi=""), [claim()])
    problems = validate(text)
    assert problems and problems[0].segment == "NM1"
    assert text.splitlines()[problems[0].line - 1].startswith("NM1*85*")


def test_a_patient_without_a_birth_date_is_found_invalid():
    undated = dataclasses.replace(TIM, birth_date=None)
    problems = validate(build_837p(ENVELOPE, BILLING, [claim(relationship="child", patient=undated)]))
    assert any(p.segment == "DMG" for p in problems)


def test_an_empty_batch_or_an_unknown_relationship_is_refused():
    with pytest.raises(ClinicError, match="no claims"):
        build_837p(ENVELOPE, BILLING, [])
    with pytest.raises(ClinicError, match="relationship"):
        build_837p(ENVELOPE, BILLING, [claim(relationship="cousin", patient=TIM)])
