"""ICD-10-CM codes checked against the official list in the pinned simple-icd-10-cm package: what a
clerk types is normalised, and only codes that exist and may be billed pass."""

from __future__ import annotations

import pytest

from clinic import icd10
from clinic.errors import ValidationError


@pytest.mark.parametrize(("typed", "code"), [("e119", "E11.9"), (" E11.9 ", "E11.9"), ("i10", "I10"),
                                             ("S52521A", "S52.521A"), ("z00.00", "Z00.00"), ("B20", "B20")])
def test_a_billable_code_is_accepted_however_it_is_typed(typed, code):
    assert icd10.check_code(typed) == code


def test_a_code_missing_from_the_official_list_is_refused_on_its_field():
    with pytest.raises(ValidationError) as err:
        icd10.check_code("E11.99", field="dx2")
    assert err.value.field == "dx2"
    assert err.value.errors == {"dx2": "“E11.99” is not in the ICD-10-CM code list."}


@pytest.mark.parametrize(("heading", "example"), [("E11", "E11.00"), ("S52.521", "S52.521A"), ("e11.6", "E11.610")])
def test_a_heading_is_refused_and_the_message_names_it_and_a_billable_code_under_it(heading, example):
    with pytest.raises(ValidationError) as err:
        icd10.check_code(heading)
    message = err.value.errors["diagnoses"]
    assert "not a billable code" in message and f"e.g. {example}" in message
    assert icd10.describe(heading) in message  # "Type 2 diabetes mellitus", ...


@pytest.mark.parametrize("typed", ["", "   ", "hello", "A00-A09", "11.9", "E11.9.1"])
def test_text_that_is_not_shaped_like_a_code_is_refused(typed):
    with pytest.raises(ValidationError) as err:
        icd10.check_code(typed)
    assert err.value.field == "diagnoses"
    assert "ICD-10-CM code" in str(err.value)


def test_check_codes_skips_blanks_drops_repeats_and_stops_at_the_first_bad_code():
    assert icd10.check_codes(["e119", "", "E11.9", "I10"]) == ("E11.9", "I10")
    with pytest.raises(ValidationError) as err:
        icd10.check_codes(["I10", "E11"])
    assert "“E11”" in err.value.errors["diagnoses"]


def test_describe_gives_the_official_words_or_none():
    assert icd10.describe("e119") == "Type 2 diabetes mellitus without complications"
    assert icd10.describe("E11") == "Type 2 diabetes mellitus"
    assert icd10.describe("E11.99") is None
    assert icd10.describe("1") is None  # a chapter number is not a code


def test_the_code_list_holds_each_code_once_with_billable_leaves_and_no_chapters_or_blocks():
    rows = icd10.code_list()
    by_code = {code: (description, billable) for code, description, billable in rows}
    assert len(by_code) == len(rows)
    assert by_code["E11.9"] == ("Type 2 diabetes mellitus without complications", True)
    assert by_code["E11"] == ("Type 2 diabetes mellitus", False)
    assert by_code["S52.521A"][1] is True and by_code["B20"][1] is True
    assert "A00-A09" not in by_code and "1" not in by_code
    assert 70_000 < sum(billable for _, _, billable in rows) < 80_000  # FY2026: about 74,700 billable codes
