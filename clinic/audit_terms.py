"""The words of the audit trail: data categories and outcomes, and which category an action is in.

Actions are "entity.verb" (``patient.view``, ``invoice.finalize``); the category follows from the
entity unless the caller names one (a document's category depends on what was filed).
"""

from __future__ import annotations

from typing import Final

CATEGORIES: Final = ("demographics", "scheduling", "billing", "clinical", "inventory", "security")
OUTCOMES: Final = ("success", "failure", "refused")

_BY_PREFIX: Final[dict[str, str]] = {
    **dict.fromkeys(("patient", "message", "data"), "demographics"),
    **dict.fromkeys(("appointment", "waitlist", "closure", "provider", "visit_type"), "scheduling"),
    **dict.fromkeys(("invoice", "payment", "claim", "credit", "plan", "fee", "payer", "remittance"), "billing"),
    **dict.fromkeys(("note", "document", "intake"), "clinical"),
    **dict.fromkeys(("stock", "stock_item", "stock_location", "stock_par", "purchase_order", "vendor",
                     "contractor"), "inventory"),
    # The permission keys of clinic.access.ACTIONS: a refused attempt is recorded under the key it
    # was refused ("billing.invoice", outcome "refused"). Keys not listed (users, settings,
    # explorer, audit) are security.
    **dict.fromkeys(("patients", "messages"), "demographics"),
    **dict.fromkeys(("appointments", "reminders", "schedule"), "scheduling"),
    **dict.fromkeys(("billing", "payers"), "billing"),
    **dict.fromkeys(("notes", "documents", "records"), "clinical"),
    "inventory": "inventory",
}


def category_for(action: str) -> str:
    """The data category of ``action``: sign-ins, accounts, settings, exports of the database and
    anything not listed are "security" (migration 013 sets earlier rows the same way)."""
    return _BY_PREFIX.get((action or "").split(".", 1)[0], "security")
