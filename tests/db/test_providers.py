"""Providers: the admin's add and edit, their checks and their audit rows."""

from __future__ import annotations

import json

import pytest

from clinic.errors import NotAllowed, NotFound, ValidationError
from db import providers, users
from tests.conftest import make_provider, make_user


def audit_rows(conn, action):
    return conn.execute(
        "SELECT username, entity, entity_id, detail FROM audit_log WHERE action = ? ORDER BY id", [action]
    ).fetchall()


def provider_count(conn) -> int:
    return conn.execute("SELECT count(*) FROM providers").fetchone()[0]


def new(conn, **overrides):
    values = {"name": "Dr. Ines Moreau", "kind": "physician", "colour": "#2563EB", "by": "admin"}
    values.update(overrides)
    return providers.create(conn, **values)


def test_a_new_provider_is_listed_with_clean_values_and_audited(conn):
    doctor = make_user(conn, username="ines", role="clinician")
    pid = new(conn, name="  Dr.  Ines   Moreau ", kind="nurse_practitioner", accepting_new=False, user_id=doctor)
    p = providers.get(conn, pid)
    assert (p.name, p.kind, p.colour, p.active, p.accepting_new, p.user_id) == (
        "Dr. Ines Moreau", "nurse_practitioner", "#2563eb", True, False, doctor)
    assert [x.id for x in providers.list_providers(conn)] == [pid]
    assert providers.for_user(conn, doctor) == p
    assert [(row.provider, row.login) for row in providers.list_all(conn)] == [(p, "ines")]
    (who, entity, entity_id, detail), = audit_rows(conn, "provider.create")
    assert (who, entity, entity_id) == ("admin", "provider", str(pid))
    assert json.loads(detail)["name"] == "Dr. Ines Moreau"


def test_every_bad_field_is_named_and_nothing_is_written(conn):
    with pytest.raises(ValidationError) as err:
        new(conn, name="  ", kind="surgeon", colour="blue", user_id="x")
    assert set(err.value.errors) == {"name", "kind", "colour", "user_id"}
    assert provider_count(conn) == 0
    assert audit_rows(conn, "provider.create") == []


def test_two_providers_cannot_share_a_name(conn):
    new(conn, name="Dr. Ines Moreau")
    with pytest.raises(ValidationError) as err:
        new(conn, name="dr. ines MOREAU", colour="#000000")
    assert err.value.errors == {"name": "Another provider already has that name."}
    assert provider_count(conn) == 1


@pytest.mark.parametrize(
    "role, message",
    [("front_desk", "Only a clinician's login can be linked to a provider."), (None, "That login does not exist.")],
)
def test_only_an_existing_clinician_login_can_be_linked(conn, role, message):
    user_id = make_user(conn, role=role) if role else 9999
    with pytest.raises(ValidationError) as err:
        new(conn, user_id=user_id)
    assert err.value.errors == {"user_id": message}
    assert provider_count(conn) == 0


def test_one_login_is_linked_to_one_provider_only(conn):
    doctor = make_user(conn, role="clinician")
    new(conn, name="Dr. One", user_id=doctor)
    with pytest.raises(ValidationError) as err:
        new(conn, name="Dr. Two", user_id=doctor)
    assert err.value.errors == {"user_id": "That login is already linked to another provider."}
    assert [u.id for u in providers.linkable_users(conn)] == []


def test_linkable_users_are_free_active_clinicians_and_the_current_link(conn):
    linked = make_user(conn, full_name="A Linked", role="clinician")
    free = make_user(conn, full_name="B Free", role="clinician")
    make_user(conn, full_name="C Desk", role="front_desk")
    pid = new(conn, user_id=linked)
    assert [u.id for u in providers.linkable_users(conn)] == [free]
    assert [u.id for u in providers.linkable_users(conn, pid)] == [linked, free]


def test_an_update_changes_the_row_and_audits_only_what_changed(conn):
    pid = make_provider(conn, name="Dr. Old", colour="#111111")
    doctor = make_user(conn, role="clinician")
    changed = providers.update(conn, pid, name="Dr. New", kind="physician", colour="#222222", active=False,
                               accepting_new=True, user_id=doctor, by="manager")
    assert changed == ["name", "colour", "active", "user_id"]
    p = providers.get(conn, pid)
    assert (p.name, p.colour, p.active, p.user_id) == ("Dr. New", "#222222", False, doctor)
    assert providers.list_providers(conn) == []
    assert providers.list_providers(conn, active_only=False) == [p]
    (who, _, entity_id, detail), = audit_rows(conn, "provider.update")
    assert (who, entity_id) == ("manager", str(pid))
    assert json.loads(detail)["name"] == ["Dr. Old", "Dr. New"]


def test_an_update_that_changes_nothing_writes_nothing(conn):
    pid = make_provider(conn, name="Dr. Same", colour="#111111")
    assert providers.update(conn, pid, name="Dr. Same", kind="physician", colour="#111111", active=True,
                            accepting_new=True, user_id=None, by="admin") == []
    assert audit_rows(conn, "provider.update") == []


def test_a_refused_update_leaves_the_provider_as_it_was(conn):
    make_provider(conn, name="Dr. Taken")
    pid = make_provider(conn, name="Dr. Mine", colour="#111111")
    with pytest.raises(ValidationError) as err:
        providers.update(conn, pid, name="Dr. Taken", kind="physician", colour="#333333", active=True,
                         accepting_new=True, user_id=None, by="admin")
    assert "name" in err.value.errors
    assert (providers.get(conn, pid).name, providers.get(conn, pid).colour) == ("Dr. Mine", "#111111")
    assert audit_rows(conn, "provider.update") == []


def test_updating_a_missing_provider_says_so(conn):
    with pytest.raises(NotFound):
        providers.update(conn, 4242, name="Dr. Ghost", kind="nurse", colour="#000000", active=True,
                         accepting_new=True, user_id=None, by="admin")


def test_a_provider_with_appointments_and_time_off_can_still_be_edited(conn):
    # DuckDB refuses some updates of rows other tables point at; plain columns must stay editable.
    from datetime import datetime, timezone

    from db import availability
    from tests.conftest import make_appointment

    pid = make_provider(conn, name="Dr. Busy")
    make_appointment(conn, provider_id=pid)
    availability.add_time_off(conn, pid, datetime(2026, 3, 3, 13, tzinfo=timezone.utc),
                              datetime(2026, 3, 3, 17, tzinfo=timezone.utc), "Meeting", by="admin",
                              now=datetime(2026, 3, 2, tzinfo=timezone.utc))
    providers.update(conn, pid, name="Dr. Busy Bee", kind="physician", colour="#123456", active=False,
                     accepting_new=False, user_id=None, by="admin")
    assert providers.get(conn, pid).name == "Dr. Busy Bee"


def test_a_missing_provider_is_not_found(conn):
    with pytest.raises(NotFound, match="That provider does not exist."):
        providers.get(conn, 4242)


def test_a_manager_demoted_after_the_page_was_drawn_cannot_add_or_change_a_provider(conn):
    manager = users.get(conn, make_user(conn, username="meg", role="manager"))  # as the page loaded her
    pid = make_provider(conn, name="Dr. Kept", colour="#111111")
    users.set_role(conn, manager.id, "billing", by="test")
    with pytest.raises(NotAllowed, match=r"Your role \(Billing\) does not allow this"):
        new(conn, name="Dr. Sneaky", by=manager)
    with pytest.raises(NotAllowed):
        providers.update(conn, pid, name="Dr. Renamed", kind="physician", colour="#111111", active=True,
                         accepting_new=True, user_id=None, by=manager)
    assert [p.name for p in providers.list_providers(conn)] == ["Dr. Kept"]
    assert audit_rows(conn, "provider.create") == audit_rows(conn, "provider.update") == []


def test_a_provider_change_is_audited_under_the_acting_account(conn):
    manager = users.get(conn, make_user(conn, username="max", role="manager"))
    pid = new(conn, by=manager)
    assert conn.execute("SELECT user_id, username FROM audit_log WHERE action = 'provider.create'").fetchall() == [
        (manager.id, "max")]
    assert providers.get(conn, pid).name == "Dr. Ines Moreau"
