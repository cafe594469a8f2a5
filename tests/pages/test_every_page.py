"""Every page renders for every role allowed to see it, and is refused (no data, one audit row) otherwise."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from clinic.access import PAGES, ROLES
from db.actors import PAGE_OPEN
from tests.conftest import ROOT, user_id_for, DEMO_USER_FOR_ROLE, query

ALLOWED = [(page, role) for page, roles in PAGES.items() for role in ROLES if role in roles]
REFUSED = [(page, role) for page, roles in PAGES.items() for role in ROLES if role not in roles]


@pytest.mark.parametrize("page, role", ALLOWED)
def test_a_page_renders_without_error_for_an_allowed_role(signed_in, page, role):
    at = signed_in(role)
    at.switch_page(f"pages/{page}.py")  # opened at its own address: the first run draws it
    at.run()
    assert not at.exception, at.exception
    assert not [e for e in at.error if "does not give access" in e.value]
    assert at.title, "the page shows a title"


def page_refusals(path, user_id: int) -> list[tuple]:
    return query(path, "SELECT entity_id, role, category FROM audit_log WHERE action = ? AND outcome = 'refused'"
                       " AND user_id = ? ORDER BY id", [PAGE_OPEN, user_id])


@pytest.mark.parametrize("page, role", REFUSED)
def test_a_page_opened_directly_by_a_refused_role_shows_no_data_and_the_refusal_is_audited(app_env, page, role):
    # Run the page file on its own, as a hand-typed URL would reach it past the navigation.
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=30)
    user_id = user_id_for(app_env, DEMO_USER_FOR_ROLE[role])
    at.session_state["user_id"] = user_id
    at.run()
    assert not at.exception
    assert [e.value for e in at.error if "does not give access" in e.value]
    assert not at.dataframe and not at.title and not at.text_input
    assert page_refusals(app_env, user_id) == [(page, role, "security")]


def test_a_refused_page_is_audited_once_per_opening_not_on_every_rerun(app_env):
    page, role = REFUSED[0]
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=30)
    user_id = user_id_for(app_env, DEMO_USER_FOR_ROLE[role])
    at.session_state["user_id"] = user_id
    at.run()
    at.run()
    assert not at.exception
    assert [e.value for e in at.error if "does not give access" in e.value]
    assert page_refusals(app_env, user_id) == [(page, role, "security")]


@pytest.mark.parametrize("role", ROLES)
def test_the_navigation_lists_only_pages_the_role_may_open(signed_in, role):
    at = signed_in(role)
    at.run()
    assert not at.exception
    # The sidebar says who is signed in and offers sign-out.
    assert any(DEMO_USER_FOR_ROLE[role] in m.value for m in at.sidebar.markdown)
    assert at.sidebar.button(key="sign_out")
