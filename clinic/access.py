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
FRONT_OFFICE = frozenset({"front_desk", "manager", "admin"})
SEES_SCHEDULE = frozenset({"front_desk", "clinician", "manager", "admin"})
BILLING_OFFICE = frozenset({"billing", "manager", "admin"})
# The roles that keep the rooms stocked and order supplies.
STOCK_OFFICE = frozenset({"front_desk", "manager", "admin"})

PAGES: Final[dict[str, frozenset[str]]] = {
    "home": ALL,
    "today": SEES_SCHEDULE,
    "calendar": SEES_SCHEDULE,
    "reminders": FRONT_OFFICE,
    "waitlist": FRONT_OFFICE,
    "day_sheet": SEES_SCHEDULE,
    "patients": ALL,
    "intake": FRONT_OFFICE,
    "inbox": ALL,
    "admin_payers": frozenset({"billing", "manager", "admin"}),
    # Billing: the invoice ledger, the claims work list, A/R aging and the fee schedule.
    "invoices": BILLING_OFFICE,
    "claims": BILLING_OFFICE,
    "ar_aging": BILLING_OFFICE,
    "fee_schedule": BILLING_OFFICE,
    # Inventory: stock on hand, receiving, using, counting, the morning restock list; purchase
    # orders; vendors and service contractors; the item catalogue; stock charts.
    "inventory": STOCK_OFFICE,
    "purchase_orders": STOCK_OFFICE,
    "vendors": STOCK_OFFICE,
    "stock_items": STOCK_OFFICE,
    "stock_reports": STOCK_OFFICE,
    # The manager's analytics (no-shows and their risk, billing, stock usage, utilization) and the
    # data explorer (tables, read-only SQL, imports).
    "analytics": frozenset({"manager", "admin"}),
    "explorer": frozenset({"manager", "admin"}),
    "admin_users": frozenset({"admin"}),
    "admin_schedule": frozenset({"admin", "manager"}),
    # The audit trail report (filter, sort, CSV, tamper check) and a file's "who looked".
    "audit": frozenset({"admin", "manager"}),
    # Backups: make one now, see their list and age (db/backups.py).
    "backups": frozenset({"admin"}),
}

# action key -> roles allowed.
ACTIONS: Final[dict[str, frozenset[str]]] = {
    "users.manage": frozenset({"admin"}),
    # Booking, moving and cancelling appointments, and quick-adding a caller as a patient.
    "appointments.book": FRONT_OFFICE,
    # Check-in, start, complete, no-show: the front desk, and clinicians for their own day.
    "appointments.status": SEES_SCHEDULE,
    "waitlist.manage": FRONT_OFFICE,
    "reminders.record": FRONT_OFFICE,
    "schedule.manage": frozenset({"admin", "manager"}),
    # Patients: registering and editing intake, filing documents, merging duplicate records.
    "patients.edit": FRONT_OFFICE,
    "patients.merge": frozenset({"admin", "manager"}),
    "documents.upload": FRONT_OFFICE | {"clinician"},
    # Downloading a filed document (every read is audited).
    "documents.read": ALL,
    # Logging a call or message, and closing or parking an inbox item.
    "messages.log": ALL,
    # Visit notes are clinical: clinicians write them; clinicians and the manager read them.
    "notes.read": frozenset({"clinician", "manager"}),
    "notes.write": frozenset({"clinician"}),
    # Emergency ("break-glass") access by a clinician to a record outside their own schedule, and
    # the office manager's review of each one (db.break_glass).
    "records.break_glass": frozenset({"clinician"}),
    "records.review_break_glass": frozenset({"manager", "admin"}),
    "payers.manage": frozenset({"billing", "manager", "admin"}),
    # Clinic-wide settings (name, time zone, holiday calendar); booking rules are schedule.manage.
    "settings.manage": frozenset({"admin"}),
    # Billing. Invoices: editing drafts, finalising, voiding, making one by hand.
    "billing.invoice": frozenset({"billing", "manager", "admin"}),
    # A patient's payment (and a payment on account): the front desk takes one at check-out too.
    "billing.payment": frozenset({"billing", "manager", "admin", "front_desk"}),
    # Insurance: claims, and posting what an insurer paid.
    "billing.claim": frozenset({"billing", "manager", "admin"}),
    # Adjustments, applying and refunding credit, reversing a payment, payment plans.
    "billing.adjust": frozenset({"billing", "manager", "admin"}),
    # The fee schedule and each visit type's default invoice lines.
    "billing.fees": frozenset({"billing", "manager", "admin"}),
    # Inventory. Receiving, using, transferring, counting, writing off expired lots, resolving a
    # visit's shortfall.
    "inventory.stock": STOCK_OFFICE,
    # The item catalogue: items, par levels, locations, visit supply kits.
    "inventory.items": frozenset({"manager", "admin"}),
    # Purchase orders: drafting, sending, receiving, cancelling.
    "inventory.order": STOCK_OFFICE,
    # Vendors and service contractors.
    "inventory.vendors": frozenset({"manager", "admin"}),
    # A read-only SQL question in the data explorer (every one audited).
    "explorer.query": frozenset({"manager", "admin"}),
    # Importing appointment history or a Synthea export.
    "data.import": frozenset({"manager", "admin"}),
    # Reading the audit trail (the report, a patient's "who looked") and exporting it as CSV.
    "audit.read": frozenset({"admin", "manager"}),
    "audit.export": frozenset({"admin", "manager"}),
    # Making a backup from the Backups page (the automatic daily one runs as the app itself).
    "backups.manage": frozenset({"admin"}),
}


# Minimum necessary: clinical documents and clinical requests are read only by these roles. The
# front desk and billing may still file such a document or log such a call (they take the fax and
# the phone call), and see that it exists (its date, type and state), but not what it says.
CLINICAL_READERS: Final = frozenset({"clinician", "manager"})
# document category (clinic.documents.CATEGORIES) -> roles that may open and download it.
DOCUMENT_READERS: Final[dict[str, frozenset[str]]] = {
    "lab_report": CLINICAL_READERS,
    "imaging_report": CLINICAL_READERS,
}
# message request type (clinic.followup.REQUEST_TYPES) -> roles that may read its subject and text.
MESSAGE_READERS: Final[dict[str, frozenset[str]]] = {
    "refill": CLINICAL_READERS,
    "results": CLINICAL_READERS,
}


def may_read_document(role: str | None, category: str) -> bool:
    """Whether ``role`` may see a filed document of ``category`` (its name and content). An
    operator (``role`` None: ``manage.py``, the seeder) holds the file itself."""
    return role is None or role in DOCUMENT_READERS.get(category, ALL)


def may_read_message(role: str | None, request_type: str | None) -> bool:
    """Whether ``role`` may read the subject and text of a logged request of ``request_type``."""
    return role is None or role in MESSAGE_READERS.get(request_type or "", ALL)


def can_open(role: str, page: str) -> bool:
    """True when ``role`` may open ``page``. Unknown pages are refused (fail closed)."""
    return role in PAGES.get(page, frozenset())


def can_do(role: str, action: str) -> bool:
    """True when ``role`` may perform ``action``. Unknown actions are refused (fail closed)."""
    return role in ACTIONS.get(action, frozenset())


def may_change_appointment(role: str | None, is_own: bool) -> bool:
    """Whether ``role`` may act on an appointment (check-in, start, complete, no-show, ...).

    Clinicians change only their own patients' appointments (``is_own``: the appointment's
    provider is linked to the user); the front office (front desk, manager, admin) everyone's;
    other roles nobody's. The screens use it to decide which buttons to show, and
    ``db.appointments`` enforces the same rule inside its transaction.
    """
    if role in FRONT_OFFICE:
        return True
    return role == "clinician" and is_own


def pages_for(role: str) -> list[str]:
    return [page for page, roles in PAGES.items() if role in roles]
