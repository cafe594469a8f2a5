"""Diagnoses in the database: the ICD-10-CM list loaded once from the package, searched by code or
words, described; and an invoice line takes only billable codes (at most 4), writing nothing else."""

from __future__ import annotations

import pytest

import db
from clinic.errors import ValidationError
from db import billing, diagnoses, users
from tests.conftest import make_user
from tests.db.billing_factories import complete_visit, draft_for, make_billed_visit_type, make_fees


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """One database with the code list loaded, shared by the read-only tests of this module."""
    connection = db.connect(tmp_path_factory.mktemp("icd10") / "clinic.duckdb")
    inserted = diagnoses.ensure_loaded(connection)
    yield connection, inserted
    connection.close()


def test_the_list_is_loaded_once_with_its_billable_codes_and_release(loaded):
    conn, inserted = loaded
    total, billable = db.read(conn, "SELECT count(*), count(*) FILTER (billable) FROM icd10_codes")[0]
    assert inserted == total and 70_000 < billable < total
    assert diagnoses.is_loaded(conn)
    assert diagnoses.ensure_loaded(conn) == 0  # already there: nothing inserted again
    assert db.read(conn, "SELECT count(*) FROM icd10_codes")[0][0] == total
    assert db.read(conn, "SELECT value FROM settings WHERE key = 'icd10_release'")[0][0] == "1.5.0"


def test_a_newer_package_release_reloads_the_list(loaded, monkeypatch):
    conn, _ = loaded
    monkeypatch.setattr(diagnoses, "_release", lambda: "99.0")
    assert not diagnoses.is_loaded(conn)
    assert diagnoses.ensure_loaded(conn) > 70_000
    assert db.read(conn, "SELECT value FROM settings WHERE key = 'icd10_release'")[0][0] == "99.0"
    monkeypatch.undo()
    assert diagnoses.ensure_loaded(conn) > 70_000  # and back, for the other tests


@pytest.mark.parametrize("typed", ["e11.6", "E116", "e11.6 "])
def test_a_code_prefix_finds_the_billable_codes_under_it_in_code_order(loaded, typed):
    conn, _ = loaded
    found = diagnoses.search(conn, typed, limit=50)
    codes = [code for code, _ in found]
    assert codes[:3] == ["E11.610", "E11.618", "E11.620"]
    assert all(code.startswith("E11.6") for code in codes) and len(codes) == len(set(codes))
    assert "E11.6" not in codes and "E11.62" not in codes  # headings are not offered
    assert dict(found)["E11.621"] == "Type 2 diabetes mellitus with foot ulcer"


def test_words_find_descriptions_holding_every_word_in_any_order(loaded):
    conn, _ = loaded
    found = diagnoses.search(conn, "KIDNEY diabetes", limit=200)
    assert ("E11.22", "Type 2 diabetes mellitus with diabetic chronic kidney disease") in found
    assert all("kidney" in d.lower() and "diabetes" in d.lower() for _, d in found)


def test_the_general_condition_comes_before_its_variants_and_the_limit_holds(loaded):
    conn, _ = loaded
    found = diagnoses.search(conn, "hypertension", limit=5)
    assert found[0] == ("I10", "Essential (primary) hypertension")
    assert len(found) == 5


def test_codes_are_ranked_before_description_matches(loaded):
    conn, _ = loaded
    # "i10" is the code I10 and also appears in no description; "z00" begins many codes.
    assert diagnoses.search(conn, "i10", limit=3)[0][0] == "I10"
    found = diagnoses.search(conn, "z00", limit=3)
    assert [c for c, _ in found] == ["Z00.00", "Z00.01", "Z00.110"]


def test_blank_or_unmatched_text_finds_nothing_and_wildcards_are_plain_text(loaded):
    conn, _ = loaded
    assert diagnoses.search(conn, "   ") == []
    assert diagnoses.search(conn, "zzqqxx") == []
    assert diagnoses.search(conn, "_") == []  # not "any character"
    percent = diagnoses.search(conn, "%", limit=200)
    assert 0 < len(percent) < 200 and all("%" in d for _, d in percent)  # the sign itself, not "everything"


def test_describe_gives_the_official_words_for_codes_and_headings(loaded):
    conn, _ = loaded
    assert diagnoses.describe(conn, "e119") == "Type 2 diabetes mellitus without complications"
    assert diagnoses.describe(conn, "E11") == "Type 2 diabetes mellitus"
    assert diagnoses.describe(conn, "E11.99") is None
    assert diagnoses.describe(conn, "") is None


def test_search_and_describe_load_the_list_on_first_use(conn):
    assert db.read(conn, "SELECT count(*) FROM icd10_codes")[0][0] == 0
    assert diagnoses.describe(conn, "I10") == "Essential (primary) hypertension"
    assert db.read(conn, "SELECT count(*) FROM icd10_codes")[0][0] > 70_000


# --- invoice lines take only billable codes ------------------------------------------------------


@pytest.fixture
def draft(conn):
    make_fees(conn)
    clerk = users.get(conn, make_user(conn, role="billing"))
    invoice_id = draft_for(conn, complete_visit(conn, type_id=make_billed_visit_type(conn)))
    return conn, clerk, invoice_id


def _line_rows(conn, invoice_id):
    return db.read(conn, "SELECT code, dx1, dx2, dx3, dx4 FROM invoice_lines WHERE invoice_id = ? ORDER BY position",
                   [invoice_id])


@pytest.mark.parametrize(("codes", "words"), [(["I10", "E11.99"], "“E11.99” is not in the ICD-10-CM code list"),
                                              (["E11"], "is a heading, not a billable code"),
                                              (["I10", "E11.9", "Z00.00", "J45.909", "R05.9"], "At most 4")])
def test_a_line_with_an_unknown_heading_or_fifth_diagnosis_is_refused_and_nothing_is_written(draft, codes, words):
    conn, clerk, invoice_id = draft
    before = _line_rows(conn, invoice_id)
    version = billing.get(conn, invoice_id).version
    with pytest.raises(ValidationError) as err:
        billing.add_line(conn, invoice_id, code="J1100", diagnoses=codes, version=version, user=clerk)
    assert words in err.value.errors["diagnoses"]
    first = billing.lines(conn, invoice_id)[0]
    with pytest.raises(ValidationError) as err:
        billing.update_line(conn, first.id, code=first.code, quantity=1, unit_price=first.unit_price,
                            description=first.description, diagnoses=codes, version=version, user=clerk)
    assert words in err.value.errors["diagnoses"]
    assert _line_rows(conn, invoice_id) == before
    assert billing.get(conn, invoice_id).version == version


def test_a_bad_diagnosis_is_reported_together_with_the_lines_other_bad_fields(draft):
    conn, clerk, invoice_id = draft
    with pytest.raises(ValidationError) as err:
        billing.add_line(conn, invoice_id, code="J1100", quantity="0", diagnoses=["E11.99"],
                         version=billing.get(conn, invoice_id).version, user=clerk)
    assert set(err.value.errors) == {"quantity", "diagnoses"}


def test_four_billable_codes_are_saved_normalised_in_order(draft):
    conn, clerk, invoice_id = draft
    billing.add_line(conn, invoice_id, code="J1100", diagnoses=["e119", "i10", "", "j45909", "Z00.00"],
                     version=billing.get(conn, invoice_id).version, user=clerk)
    assert _line_rows(conn, invoice_id)[-1] == ("J1100", "E11.9", "I10", "J45.909", "Z00.00")
