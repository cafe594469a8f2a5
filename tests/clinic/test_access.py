from clinic.access import ACTIONS, PAGES, ROLES, can_do, can_open, pages_for


def test_every_role_has_a_home_page():
    for role in ROLES:
        assert can_open(role, "home")


def test_only_admins_manage_users():
    assert [r for r in ROLES if can_open(r, "admin_users")] == ["admin"]
    assert [r for r in ROLES if can_do(r, "users.manage")] == ["admin"]


def test_unknown_pages_actions_and_roles_are_refused():
    assert not can_open("admin", "no_such_page")
    assert not can_do("admin", "no_such_action")
    assert not can_open("intruder", "home")
    assert pages_for("intruder") == []


def test_the_access_table_names_only_known_roles():
    for roles in list(PAGES.values()) + list(ACTIONS.values()):
        assert set(roles) <= set(ROLES)


def test_clinicians_change_only_their_own_patients_appointments_and_the_front_office_everyones():
    from clinic.access import may_change_appointment

    assert may_change_appointment("clinician", True)
    assert not may_change_appointment("clinician", False)
    for role in ("front_desk", "manager", "admin"):
        assert may_change_appointment(role, False)
    assert not may_change_appointment("billing", True)
    assert not may_change_appointment(None, True)
