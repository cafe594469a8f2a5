"""NPIs and tax IDs typed at the desk: the check digit of an NPI (Luhn over 80840 + 9 digits, the
CMS rule) catches a mistyped digit, and an EIN that the IRS could never have issued is refused."""

from __future__ import annotations

import pytest

from clinic.errors import ClinicError
from clinic.npi import check_npi, check_tax_id, make_npi, npi_ok


def test_the_cms_example_npi_passes_and_any_single_digit_changed_fails():
    assert npi_ok("1234567893")  # the example in the CMS NPI check digit paper
    for position in range(10):
        digits = list("1234567893")
        digits[position] = str((int(digits[position]) + 1) % 10)
        assert not npi_ok("".join(digits)), position


def test_two_swapped_neighbouring_digits_are_caught():
    assert not npi_ok("2134567893")


@pytest.mark.parametrize("typed", ["123456789", "12345678933", "12345678a3", "", None,
                                   "１２３４５６７８９３"])  # full-width digits
def test_text_that_is_not_ten_digits_is_not_an_npi(typed):
    assert not npi_ok(typed)


def test_check_npi_returns_the_digits_without_what_was_typed_around_them():
    assert check_npi(" 1234-567893 ") == "1234567893"


def test_a_short_npi_is_refused_on_its_field():
    with pytest.raises(ClinicError) as err:
        check_npi("12345", field="provider_npi")
    assert err.value.field == "provider_npi"
    assert str(err.value) == "An NPI has 10 digits."


def test_a_wrong_check_digit_is_refused_with_where_to_check_it():
    with pytest.raises(ClinicError) as err:
        check_npi("1234567890")
    assert err.value.field == "npi"
    assert str(err.value) == "That NPI's check digit is wrong: check it against the NPPES registry."


@pytest.mark.parametrize("nine", ["123456789", "000000000", "999999999", "198765432"])
def test_make_npi_appends_the_digit_that_check_npi_accepts(nine):
    npi = make_npi(nine)
    assert npi[:9] == nine and len(npi) == 10
    assert check_npi(npi) == npi


def test_make_npi_needs_nine_digits():
    with pytest.raises(ValueError):
        make_npi("12345678")


@pytest.mark.parametrize(("typed", "ein"), [("12-3456789", "123456789"), ("123456789", "123456789"),
                                            (" 98-7654321 ", "987654321")])
def test_a_tax_id_is_returned_as_nine_digits(typed, ein):
    assert check_tax_id(typed) == ein


@pytest.mark.parametrize("typed", ["12-345678", "1234567890", "12--3456789", "123-456789", "AB-CDEFGHI", "", None])
def test_a_tax_id_that_is_not_nine_digits_is_refused_on_its_field(typed):
    with pytest.raises(ClinicError) as err:
        check_tax_id(typed, field="billing_tax_id")
    assert err.value.field == "billing_tax_id"
    assert "9 digits" in str(err.value)


@pytest.mark.parametrize("typed", ["000000000", "07-1234567", "89-1234567", "00-1234567", "49-0000001"])
def test_a_tax_id_the_irs_never_issues_is_refused(typed):
    with pytest.raises(ClinicError) as err:
        check_tax_id(typed)
    assert err.value.field == "tax_id"
    assert "never issues" in str(err.value)
