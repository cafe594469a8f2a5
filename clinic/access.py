"""Who may open which page and do which action: one table, read by navigation and by every page.

Navigation hides what a role may not open; each page checks again, so a URL typed by hand is
refused too. Actions are added here as the screens that perform them arrive.
"""

from __future__ import annotations

from typing import Final

ROLES: Final = ("front_desk", "billing", "clinician", "manager", "admin")

ROLE_LABELS: Final = {
    "front_desk": "Front desk",
    "billing": "Billing",
    "clinician": "Clinician",
    "manager": "Office manager",
    "admin": "Administrator",
}

ALL = frozenset(ROLES)

# page key -> roles allowed. Page keys are the file stems in pages/.
PAGES: Final[dict[str, frozenset[str]]] = {
    "home": ALL,
    "admin_users": frozenset({"admin"}),
}

# action key -> roles allowed.
ACTIONS: Final[dict[str, frozenset[str]]] = {
    "users.manage": frozenset({"admin"}),
}


def can_open(role: str, page: str) -> bool:
    """True when ``role`` may open ``page``. Unknown pages are refused (fail closed)."""
    return role in PAGES.get(page, frozenset())


def can_do(role: str, action: str) -> bool:
    """True when ``role`` may perform ``action``. Unknown actions are refused (fail closed)."""
    return role in ACTIONS.get(action, frozenset())


def pages_for(role: str) -> list[str]:
    return [page for page, roles in PAGES.items() if role in roles]
