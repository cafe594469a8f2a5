"""Billing's one door: the named functions other code and checks call (issue 9), gathered from
the modules that do each job. Import this module; the work is done in

* ``db.invoices``      drafts from completed visits, line edits, finalising, voiding, reads;
* ``db.payments``      patient and insurer payments, adjustments, credit applied or refunded, reversals;
* ``db.ledger``        the locks, totals, credit and A/R aging;
* ``db.payment_plans`` instalment plans;
* ``db.fees``          the fee schedule and visit types' default lines.

Money is Decimal all the way (DECIMAL(12,2) in SQL); every write is one transaction through
``db.atomic`` whose first statement bumps the invoice's (or the patient account's) version.
"""

from __future__ import annotations

from db.fees import list_fees, price_on, save_fee, set_visit_type_lines, visit_type_lines  # noqa: F401
from db.invoices import (  # noqa: F401
    Invoice,
    InvoiceLine,
    add_line,
    create_draft_invoice_in,
    create_invoice,
    finalize_invoice,
    get,
    has_live_invoice_in,
    invoice_completed_visit,
    invoice_for_appointment,
    lines,
    list_for_patient,
    remove_line,
    unbilled_visits,
    update_line,
    void_invoice,
)
from db.ledger import ar_aging, invoice_totals, patient_balance, patient_credit  # noqa: F401
from db.payment_plans import (  # noqa: F401
    Plan,
    active_plans_for,
    cancel_plan,
    create_plan,
    get_plan,
    overdue_instalments,
    plan_of_invoice,
)
from db.payments import (  # noqa: F401
    Payment,
    adjust_invoice,
    apply_credit,
    get_payment,
    post_insurer_payment,
    post_patient_payment,
    post_payment_on_account,
    refund_credit,
    reverse_payment,
)
from db.claim_answers import Adjustment, Answer, LineAnswer, claim_answers, post_answer  # noqa: F401
from db.claim_work import WorkList, claim_work_list, claims_awaiting_count, claims_awaiting_total  # noqa: F401
from db.claims import (  # noqa: F401
    Claim,
    change_claim_status,
    claims_for_invoice,
    create_claim,
    get_claim,
    submit_claim,
)
