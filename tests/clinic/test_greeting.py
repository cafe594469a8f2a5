"""The greeting's name: a first name, or a title with the surname, never a bare title."""

from __future__ import annotations

import pytest

from clinic.greeting import greeting_name


@pytest.mark.parametrize("full_name, name", [
    ("Maya Torres", "Maya"),
    ("Dr. Amara Okafor", "Dr. Okafor"),
    ("Dr Amara Okafor", "Dr. Okafor"),
    ("Dr. Amara Okafor, MD", "Dr. Okafor"),
    ("dr. amara okafor", "dr. okafor"),
    ("Dr. Ann van der Berg", "Dr. van der Berg"),
    ("Dr. Okafor", "Dr. Okafor"),
    ("Daniel Reyes, NP", "Daniel"),
    ("Amara Okafor MD", "Amara"),
    ("Prof. Li", "Prof. Li"),
])
def test_a_user_is_greeted_by_first_name_or_title_and_surname(full_name, name):
    assert greeting_name(full_name) == name


@pytest.mark.parametrize("full_name", ["Dr.", "Dr", "  ", "", None, "MD", "Dr., MD"])
def test_a_name_that_is_only_a_title_gives_no_name_at_all(full_name):
    assert greeting_name(full_name) == ""
