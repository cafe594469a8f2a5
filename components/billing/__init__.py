"""Billing widgets shared by the invoice ledger, check-out and the patient file's Billing tab:
the payment form (:mod:`components.billing.payment_form`) and the invoice editor
(:mod:`components.billing.invoice_editor`)."""

from __future__ import annotations

from decimal import Decimal

from clinic.money import money_text


def dollars(amount: Decimal | None) -> str:
    """An amount for Markdown text (messages, captions): "$" escaped, else two amounts in one text
    would be read as a formula."""
    return money_text(amount).replace("$", "\\$")
