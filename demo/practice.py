"""The demo practice itself: its name and place, the demo accounts, and how big each scale is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

CLINIC_NAME: Final = "Riverside Family Practice"
# Made up, in the fictional 555-01xx range: printed on the demo's invoices and statements.
CLINIC_ADDRESS: Final = "40 Riverside Avenue, Suite 2\nWhite Plains, NY 10601"
CLINIC_PHONE: Final = "(914) 555-0100"
COUNTRY: Final = "US"
SUBDIVISION: Final = "NY"
DEMO_PASSWORD: Final = "demo"
# The practice on electronic claims: every number is synthetic (the NPI and the EIN pass their
# checks but belong to nobody); the clearinghouse is fictional; files are marked as test files.
CLAIM_IDENTITY: Final = {
    "billing_npi": "1881234565",
    "billing_tax_id": "137654321",
    "billing_taxonomy": "207Q00000X",
    "billing_street": "40 Riverside Avenue, Suite 2",
    "billing_city": "White Plains",
    "billing_state": "NY",
    "billing_zip": "10601-1234",
    "x12_submitter_id": "RFP0001",
    "x12_contact_name": "Leo Brennan",
    "x12_contact_phone": "(914) 555-0100",
    "x12_receiver_name": "ClearPath Exchange",
    "x12_receiver_id": "CLEARPATH",
    "x12_usage": "T",
    "place_of_service": "11",
}

# (username, full name, role). The clinician is linked to the first physician.
DEMO_USERS: Final = (
    ("frontdesk", "Maya Torres", "front_desk"),
    ("billing", "Leo Brennan", "billing"),
    ("doctor", "Dr. Amara Okafor", "clinician"),
    ("manager", "Priya Raman", "manager"),
    ("admin", "Sam Whitaker", "admin"),
)


@dataclass(frozen=True)
class Scale:
    providers: int
    patients: int
    history_days: int
    future_days: int
    #: Visits per nominal 8-hour day (each working block gets its share), before blocks that
    #: overflow drop their last visits.
    visits_per_day: tuple[float, float]
    nurse_visits_per_day: tuple[float, float]
    #: Share of patients who first come in (a "New patient" visit) inside the window; the rest
    #: are established patients registered before it.
    new_patient_share: float
    #: Documents filed (small generated PDFs, a few milliseconds each).
    documents: int
    #: When seeded for the clinic's real today, today's visits before the clinic clock's "now"
    #: have happened (checked in, completed or no-show), as a person opening the demo expects.
    #: Off for the test scale, whose data must not depend on the hour it was seeded at.
    live_today: bool


SCALES: Final[dict[str, Scale]] = {
    "test": Scale(3, 150, 60, 14, (15, 20), (13, 19), 0.3, documents=20, live_today=False),
    "demo": Scale(6, 2_000, 730, 42, (15, 20), (13, 19), 0.4, documents=120, live_today=True),
    # 40 providers over 5 years: the busier range lands near a million appointments.
    "large": Scale(40, 150_000, 1_826, 42, (20, 26), (16, 22), 0.5, documents=200, live_today=True),
}
