"""The explorer's import section under AppTest (the upload itself cannot be driven by AppTest:
the import behind it is tested in tests/db/test_import_noshow.py)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

import db
from db.imports import ImportSummary


def _section(path: str) -> None:
    import db
    from components.explorer.imports import import_section

    import_section(db.connect(path), "test")


def test_importing_without_a_file_says_to_choose_one(db_path):
    db.connect(db_path).close()
    at = AppTest.from_function(_section, args=(str(db_path),), default_timeout=30).run()
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["Choose a CSV file to import."]


def test_the_summary_shows_counts_and_each_reason_with_examples(db_path):
    db.connect(db_path).close()
    at = AppTest.from_function(_section, args=(str(db_path),), default_timeout=30)
    at.session_state["noshow_import_result"] = ImportSummary(
        imported=110_521, duplicates=0, seconds=4.2, added={"patients": 62_299, "appointments": 110_521},
        rejected={"appointment day before the day it was scheduled": 5, "impossible age (below 0 or over 115)": 1},
        examples={"impossible age (below 0 or over 115)": ["AppointmentID 5775010"]},
    )
    at.run()
    assert "Imported 110,521 appointments (62,299 new patients)" in at.success[0].value
    assert [m.value for m in at.metric] == ["110,521", "0", "6"]
    table = at.dataframe[0].value
    assert list(table["Rows"]) == [5, 1]
    assert list(table["For example"]) == ["", "AppointmentID 5775010"]
