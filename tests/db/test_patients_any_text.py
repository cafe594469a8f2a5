"""Any text at all in any intake field: a clean message or a correct save, never an exception,
never a changed schema, and what was saved reads back exactly as validated."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import db
from clinic import intake
from clinic.errors import PossibleDuplicates, ValidationError
from db import patient_intake, patients

FIELDS = ("first_name", "middle_name", "last_name", "preferred_name", "phone_mobile", "phone_home", "email",
          "address_line1", "address_line2", "city", "state", "postal_code", "emergency_name",
          "emergency_relationship", "allergies", "medications", "conditions", "first_visit_reason",
          "preferred_language")
NASTY = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["'; DROP TABLE patients; --", "<img src=x onerror=alert(1)>", "Robert'); DELETE FROM users;--",
                     "$1 $name ? %s {0}", "\u202eevil", "Zoë Ünïcödé 漢字 🩺", "a\x00b", "  \t\n  "]),
)
SCHEMA_SQL = "SELECT table_name, column_name, data_type FROM information_schema.columns ORDER BY ALL"


@pytest.fixture(scope="module")
def conn(tmp_path_factory):
    """One database for every generated example (a module-wide fixture, as hypothesis needs)."""
    connection = db.connect(tmp_path_factory.mktemp("any_text") / "clinic.duckdb")
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def schema(conn):
    return db.read(conn, SCHEMA_SQL)


def base() -> dict:
    return {"first_name": "Test", "last_name": "Person", "date_of_birth": date(1980, 1, 1), "sex": "other",
            "phone_mobile": "212 555 0123"}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(FIELDS), value=NASTY)
def test_any_text_in_any_field_is_refused_cleanly_or_saved_exactly(conn, schema, field, value):
    form = {**base(), field: value}
    try:
        expected = intake.validate_patient(form, today=date(2026, 3, 2))
    except ValidationError:
        expected = None
    try:
        pid = patient_intake.create(conn, form, by="test", confirm_new=True)
    except ValidationError as exc:
        assert expected is None and all(m.strip() for m in exc.errors.values())
    except PossibleDuplicates:  # cannot happen with confirm_new, but would be a clean outcome too
        raise AssertionError("confirm_new must create")
    else:
        assert expected is not None
        saved = patients.get_full(conn, pid)
        assert getattr(saved, field) == expected[field]
    assert db.read(conn, SCHEMA_SQL) == schema
