"""The patient file's Billing tab (front desk, billing, manager, admin): balance due and credit,
the invoices that owe (and whether an insurer still has to answer), taking a payment, applying
credit, the active payment plan with what is left and the next instalment, setting one up, the
account's ledger with its running balance, and the statement to print.

All money comes from db.ar_reports / db.billing as Decimal and is shown as text (money_text):
never through a DataFrame's float. Writes run in button callbacks, before the tab is drawn
again, so the balance shown after a payment is the new one.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pandas as pd
import streamlit as st

from clinic import payment_plans, timeutil
from clinic.access import can_do
from clinic.errors import ClinicError
from clinic.money import money_text
from components import forms
from components.billing.payment_form import payment_form
from components.billing_downloads import statement_pdf_button
from components.patient_file.context import local, local_date, notice, report, show_notice
from components.text import md
from db import Connection, ar_reports, billing, settings
from db.users import User


WHERE = "billing"  # notices shown in this tab
# The payment form's key: components.billing.payment_form's widgets are pf_pay_amount, _method,
# _reference, _post; it posts on account too (invoice None: one form, two targets).
PAY_FORM, CREDIT_FORM, PLAN_FORM = "pf_pay", "pf_billing_credit", "pf_billing_plan"
ON_ACCOUNT = 0  # the "pay toward" choice for a payment not tied to an invoice


def _md_money(amount: Decimal) -> str:
    """Money inside Markdown: "$" would otherwise start a formula."""
    return md(money_text(amount))


def _invoice_label(o: ar_reports.OwedInvoice) -> str:
    """A choice's label: fixed for the invoice (Streamlit maps a choice back by its label, so a
    label showing the balance would go stale after a payment)."""
    return f"Invoice {o.invoice_id} · visit {local_date(o.service_date)}"


def _owes_caption(o: ar_reports.OwedInvoice) -> None:
    who = f"waiting on {md(o.payer or 'the insurer')}'s answer" if o.responsibility == "insurance" else "the patient's"
    st.caption(f"Owes {_md_money(o.balance)} of {_md_money(o.charges)} · {who}")


# --- actions (button callbacks) ------------------------------------------------------------------


def _apply_credit(conn: Connection, user: User) -> None:
    forms.clear_errors(CREDIT_FORM)
    invoice_id = st.session_state.get("pf_credit_invoice")
    try:
        applied = billing.apply_credit(conn, invoice_id=invoice_id, user=user)
    except ClinicError as exc:
        report(CREDIT_FORM, exc, "invoice")
        return
    notice(WHERE, f"{money_text(applied)} of credit applied to invoice {invoice_id}.")


def _create_plan(conn: Connection, user: User, patient_id: int) -> None:
    ss = st.session_state
    forms.clear_errors(PLAN_FORM)
    try:
        plan_id = billing.create_plan(conn, patient_id=patient_id, instalments=ss.get("pf_plan_count"),
                                      frequency=ss.get("pf_plan_frequency"), first_due=ss.get("pf_plan_first_due"),
                                      user=user)
    except ClinicError as exc:
        report(PLAN_FORM, exc, "invoices")
        return
    plan = billing.get_plan(conn, plan_id)
    notice(WHERE, f"Payment plan set up: {len(plan.instalments)} instalments, {money_text(plan.total)} in all.")


# --- sections ------------------------------------------------------------------------------------


def _summary(ledger: ar_reports.PatientLedger) -> None:
    plan_left = sum((p.left for p in ledger.plans), Decimal("0.00"))
    cols = st.columns(4)
    insurance = ledger.balance - ledger.patient_owes
    with cols[0]:
        st.metric("Balance due", money_text(ledger.balance), border=True,
                  help="What the patient's finalised invoices still owe, insurance pending included.")
    with cols[1]:
        st.metric("Patient owes now", money_text(ledger.patient_owes), border=True,
                  help=f"Insurance still to answer: {money_text(insurance)}.")
    with cols[2]:
        st.metric("Credit", money_text(ledger.credit), border=True,
                  help="Money received and not yet applied to an invoice.")
    with cols[3]:
        st.metric("Plan left", money_text(plan_left) if ledger.plans else "No plan", border=True)


def _payment(conn: Connection, user: User, patient_id: int, ledger: ar_reports.PatientLedger) -> None:
    st.markdown("**Take a payment**")
    owed = {o.invoice_id: o for o in ledger.owed}
    choices = [*owed, ON_ACCOUNT]
    if st.session_state.get("pf_pay_invoice") not in choices:
        # The oldest invoice the patient owes themselves, else the oldest, else on account.
        own = [i for i, o in owed.items() if o.responsibility == "patient"]
        st.session_state["pf_pay_invoice"] = (own or list(owed) or [ON_ACCOUNT])[0]
    invoice_id = st.selectbox(
        "Pay toward", choices, key="pf_pay_invoice",
        format_func=lambda i: "On account (kept as credit, e.g. a copay before the invoice is ready)"
        if i == ON_ACCOUNT else _invoice_label(owed[i]))
    if invoice_id != ON_ACCOUNT:
        _owes_caption(owed[invoice_id])
    payment_form(conn, user, invoice_id=None if invoice_id == ON_ACCOUNT else invoice_id, patient_id=patient_id,
                 key=PAY_FORM)


def _credit(conn: Connection, user: User, ledger: ar_reports.PatientLedger) -> None:
    if ledger.credit <= 0 or not ledger.owed:
        return
    st.markdown(f"**Apply credit** · {_md_money(ledger.credit)} available")
    owed = {o.invoice_id: o for o in ledger.owed}
    if st.session_state.get("pf_credit_invoice") not in owed:
        st.session_state["pf_credit_invoice"] = next(iter(owed))
    col, button_col = st.columns([3, 1], vertical_alignment="bottom")
    with col:
        chosen = st.selectbox("Apply to", list(owed), key="pf_credit_invoice",
                              format_func=lambda i: _invoice_label(owed[i]))
    with button_col:
        st.button("Apply credit", key="pf_credit_apply", icon=":material/redeem:", width="stretch",
                  on_click=_apply_credit, args=(conn, user))
    _owes_caption(owed[chosen])
    forms.field_error(CREDIT_FORM, "invoice")
    forms.form_error(CREDIT_FORM)


def _plans(conn: Connection, user: User, patient_id: int, ledger: ar_reports.PatientLedger, today, *,
           may_plan: bool) -> None:
    for plan in ledger.plans:
        nxt = ar_reports.next_instalment(plan)
        overdue = payment_plans.overdue(plan.instalments, today)
        with st.container(border=True, key=f"pf_plan_{plan.id}"):
            st.markdown(f"**Payment plan** · {payment_plans.FREQUENCY_LABELS[plan.frequency].lower()} · "
                        f"{_md_money(plan.total)} in {len(plan.instalments)} instalments · "
                        f"paid {_md_money(plan.paid)} · **{_md_money(plan.left)} left**")
            if nxt is not None:
                late = f" :red-badge[{len(overdue)} overdue]" if overdue else ""
                st.markdown(f"Next instalment: **{_md_money(nxt.left)}** due {local_date(nxt.due)}{late}")
            st.dataframe(pd.DataFrame([
                {"No.": s.number, "Due": local_date(s.due), "Amount": money_text(s.amount), "Paid": money_text(s.paid),
                 "Left": money_text(s.left), "": "overdue" if s.is_overdue(today) else ("paid" if s.left <= 0 else "")}
                for s in plan.instalments]), hide_index=True)
    on_plan = {i for p in ledger.plans for i in p.invoice_ids}
    free = [o for o in ledger.owed if o.invoice_id not in on_plan]
    if not may_plan or not free:
        return
    with st.expander(f"Set up a payment plan for {money_text(sum((o.balance for o in free), Decimal('0.00')))}",
                     icon=":material/calendar_month:"):
        count_col, freq_col, due_col = st.columns(3)
        with count_col:
            st.number_input("Instalments", min_value=payment_plans.MIN_INSTALMENTS,
                            max_value=payment_plans.MAX_INSTALMENTS, value=3, step=1, key="pf_plan_count")
            forms.field_error(PLAN_FORM, "instalments")
        with freq_col:
            st.selectbox("How often", list(payment_plans.FREQUENCIES), index=2, key="pf_plan_frequency",
                         format_func=payment_plans.FREQUENCY_LABELS.get)
            forms.field_error(PLAN_FORM, "frequency")
        with due_col:
            st.date_input("First due", value=today + timedelta(days=30), min_value=today, key="pf_plan_first_due",
                          format="MM/DD/YYYY")
            forms.field_error(PLAN_FORM, "first_due")
        st.caption("Every invoice the patient owes that is not on a plan goes on it; payments go to the oldest "
                   "instalment first.")
        st.button("Set up plan", key="pf_plan_create", icon=":material/event_repeat:",
                  on_click=_create_plan, args=(conn, user, patient_id))
        forms.field_error(PLAN_FORM, "invoices")
        forms.form_error(PLAN_FORM)


def _ledger_table(ledger: ar_reports.PatientLedger, tz: str) -> None:
    st.markdown("**Account history**")
    if not ledger.lines:
        st.caption("No charges or payments yet.")
        return
    st.dataframe(
        pd.DataFrame([
            {"Date": local(line.at, tz, "%m/%d/%Y"), "What": line.label,
             "Invoice": "" if line.invoice_id is None else str(line.invoice_id), "Details": line.detail,
             "Amount": "" if line.amount == 0 else money_text(line.amount),
             "Balance due": money_text(line.balance),
             "Credit": money_text(line.credit) if line.credit or line.credit_change else ""}
            for line in reversed(ledger.lines)  # newest first
        ]),
        hide_index=True,
        column_config={"Details": st.column_config.TextColumn(width="large")},
    )
    st.caption("Newest first. Amount: what the line did to the balance due (payments and adjustments lower it).")


def billing_tab(conn: Connection, user: User, patient_id: int) -> None:
    """The Billing tab of ``patient_id``'s file, as ``user`` may use it."""
    tz = settings.timezone(conn)
    today = timeutil.today(tz)
    show_notice(WHERE)
    ledger = ar_reports.patient_ledger(conn, patient_id)
    _summary(ledger)
    if can_do(user.role, "billing.payment"):
        with st.container(border=True, key="pf_billing_payment"):
            _payment(conn, user, patient_id, ledger)
            if can_do(user.role, "billing.adjust"):
                _credit(conn, user, ledger)
    _plans(conn, user, patient_id, ledger, today, may_plan=can_do(user.role, "billing.adjust"))
    _ledger_table(ledger, tz)
    statement_pdf_button(conn, patient_id, key=f"pf_statement_{patient_id}")
