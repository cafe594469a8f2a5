"""Electronic claims through the real app: the Claims page's "Send claims (837P)" tab lists the
draft claims as ready or with what stops them, and sending writes one claim file of the ready ones
only; a draft opened on the work list says why it cannot go out; and the practice's identity
(Clinic details) and a provider's NPI are checked where they are typed, nothing saved when wrong.

(The 835 upload needs st.file_uploader, which AppTest cannot drive: see tests/e2e.)"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

import db
from clinic.npi import make_npi
from db import settings
from tests.conftest import SEED_TODAY, TZ, database, query
from tests.db.billing_factories import make_drafts

SEND_TAB = "Send claims (837P)"
NO_MEMBER_ID = "The subscriber's member ID is missing: add it on the patient's intake."
GOOD_NPI = make_npi("155500001")
BAD_NPI = GOOD_NPI[:9] + str((int(GOOD_NPI[9]) + 1) % 10)  # one wrong digit: the check digit fails
CHECK_DIGIT = "That NPI's check digit is wrong: check it against the NPPES registry."
ZIP9 = "Claims need the 9-digit ZIP+4, e.g. 10001-2345."


@pytest.fixture(autouse=True)
def clinic_morning(clinic_clock):
    clinic_clock(datetime.combine(SEED_TODAY, time(9), tzinfo=ZoneInfo(TZ)))


def open_page(signed_in, page: str, role: str):
    at = signed_in(role).run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def click(at, label: str):
    next(b for b in at.button if b.label == label).click()
    at.run()
    assert not at.exception, at.exception
    return at


def table(at, column: str):
    """The first table on the page that has ``column``."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def errors(at) -> list[str]:
    return [e.value for e in at.error]


def leaves(node) -> list:
    """The elements under ``node`` in the order the page draws them."""
    if not hasattr(node, "children"):
        return [node]
    return [leaf for index in sorted(node.children) for leaf in leaves(node.children[index])]


def next_to(at, key: str):
    """The element drawn right after the widget ``key`` (a field's message is drawn there)."""
    nodes = leaves(at._tree)
    at_field = next(i for i, n in enumerate(nodes) if getattr(n, "key", None) == key)
    return nodes[at_field + 1] if at_field + 1 < len(nodes) else None


def message_next_to(at, key: str) -> str | None:
    node = next_to(at, key)
    return node.value if node is not None and node.type == "error" else None


def drafts_with_one_broken(path) -> tuple[list[str], str, int]:
    """Four draft claims, one of them (its member ID blanked) not sendable: (the ready ones' numbers,
    the broken one's number, its id)."""
    with database(path) as conn:
        ids = make_drafts(conn, 4)
        broken = ids[0]
        conn.execute("UPDATE claims SET member_id = '' WHERE id = ?", [broken])
        numbers = dict(db.read(conn, "SELECT id, control_number FROM claims WHERE list_contains(?, id)", [ids]))
    return [numbers[i] for i in ids if i != broken], numbers[broken], broken


# --- sending a claim file ------------------------------------------------------------------------


def test_the_ready_drafts_are_sent_as_one_file_and_the_one_without_a_member_id_stays_a_draft(signed_in, app_env):
    ready, broken, broken_id = drafts_with_one_broken(app_env)
    at = open_page(signed_in, "pages/claims.py", "billing")
    at.session_state["claims_tab"] = SEND_TAB
    at.run()
    assert not at.exception, at.exception

    listed = table(at, "ready").set_index("claim")
    assert sorted(listed.index) == sorted([*ready, broken])
    assert (listed.loc[ready, "ready"] == "Ready").all()
    assert listed.loc[broken, "ready"] == NO_MEMBER_ID
    assert any(m.value.startswith("**3 of 4 draft claims ready**") for m in at.markdown)
    assert any("No claim file has been sent yet." in c.value for c in at.caption)

    at = click(at, "Send the 3 ready claims")
    assert not errors(at)
    (file_name, count, total), = query(app_env, "SELECT file_name, claim_count, total_charge FROM claim_batches")
    assert count == 3
    assert query(app_env, "SELECT c.control_number FROM claim_batch_claims b JOIN claims c ON c.id = b.claim_id"
                          " ORDER BY c.control_number") == [(n,) for n in sorted(ready)]
    assert query(app_env, "SELECT control_number, status, submitted_at IS NOT NULL FROM claims"
                          " WHERE list_contains(?, control_number) ORDER BY control_number", [[*ready, broken]]) == sorted(
        [(n, "submitted", True) for n in ready] + [(broken, "draft", False)])
    assert query(app_env, "SELECT count(*) FROM claim_events WHERE to_status = 'submitted' AND claim_id = ?",
                 [broken_id]) == [(0,)]

    success = " ".join(s.value for s in at.success)
    assert f"Claim file {file_name} is ready: 3 claims, ${total:,}, now submitted." in success
    assert "1 draft claims were left out until they are fixed." in success
    assert list(table(at, "file")["file"]) == [file_name]
    # Only the broken draft is left to send.
    left = table(at, "ready")
    assert list(left["claim"]) == [broken] and list(left["ready"]) == [NO_MEMBER_ID]
    assert next(b for b in at.button if b.label.startswith("Send the 0")).disabled


def test_a_draft_opened_on_the_work_list_says_why_it_cannot_be_sent(signed_in, app_env):
    _ready, broken, broken_id = drafts_with_one_broken(app_env)
    at = open_page(signed_in, "pages/claims.py", "billing")
    at.text_input(key="claims_find").input(broken).run()
    at.selectbox(key="claims_pick").select(broken_id).run()
    assert not at.exception, at.exception
    assert any(s.value.startswith(f"Claim {broken} · ") for s in at.subheader)
    warning = next(w.value for w in at.warning if w.value.startswith("Not ready to send electronically"))
    assert f"- {NO_MEMBER_ID}" in warning.replace("\\", "")


# --- the practice's identity on claims (Admin › Providers and hours › Clinic details) -------------


def test_a_wrong_npi_and_a_five_digit_zip_are_shown_next_to_them_and_good_values_are_saved(signed_in, app_env):
    with database(app_env) as conn:
        before = settings.get_all(conn)
    at = open_page(signed_in, "pages/admin_schedule.py", "admin")
    npi, zip_, city = "claim_identity_billing_npi", "claim_identity_billing_zip", "claim_identity_billing_city"
    at.text_input(key=npi).input(BAD_NPI)
    at.text_input(key=zip_).input("10601")
    at.text_input(key=city).input("Scarsdale")
    at = click(at, "Save claim settings")
    assert message_next_to(at, npi) == CHECK_DIGIT
    assert message_next_to(at, zip_) == ZIP9
    assert message_next_to(at, city) is None
    assert (at.text_input(key=npi).value, at.text_input(key=zip_).value, at.text_input(key=city).value) == (
        BAD_NPI, "10601", "Scarsdale")
    with database(app_env) as conn:
        assert settings.get_all(conn) == before  # nothing saved, not even the good city

    at.text_input(key=npi).input(GOOD_NPI)
    at.text_input(key=zip_).input("105834411")
    at = click(at, "Save claim settings")
    assert not errors(at)
    assert "Claim settings saved. The next claim file uses them." in [s.value for s in at.success]
    with database(app_env) as conn:
        after = settings.get_all(conn)
    assert (after["billing_npi"], after["billing_zip"], after["billing_city"]) == (GOOD_NPI, "10583-4411", "Scarsdale")
    assert at.text_input(key=npi).value == GOOD_NPI


# --- a provider's own NPI (Admin › Providers and hours › Providers) ------------------------------


def test_a_provider_npi_with_a_wrong_check_digit_is_refused_and_a_good_one_is_saved(signed_in, app_env):
    with database(app_env) as conn:
        pid, old_npi = db.read_one(conn, "SELECT id, npi FROM providers WHERE name = 'Daniel Reyes, NP'")
    at = open_page(signed_in, "pages/admin_schedule.py", "admin")
    at.selectbox(key="provider_choice").select(pid).run()
    key = f"provider_npi_{pid}"
    at.text_input(key=key).input(BAD_NPI)
    at = click(at, "Save provider")
    assert message_next_to(at, key) == CHECK_DIGIT
    assert at.text_input(key=key).value == BAD_NPI
    assert query(app_env, "SELECT npi FROM providers WHERE id = ?", [pid]) == [(old_npi,)]

    at.text_input(key=key).input(GOOD_NPI)
    at = click(at, "Save provider")
    assert not errors(at)
    assert "Saved Daniel Reyes, NP." in [s.value for s in at.success]
    assert query(app_env, "SELECT npi FROM providers WHERE id = ?", [pid]) == [(GOOD_NPI,)]
    shown = table(at, "npi").set_index("name")
    assert shown.loc["Daniel Reyes, NP", "npi"] == GOOD_NPI
