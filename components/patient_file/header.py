"""The patient file's header: who this is (name, age, MRN, phones, language), the allergy alert,
and tiles: next appointment, last visit, no-shows, insurance and, for the roles that handle money,
the balance due (with any credit). Offers "Edit intake" and "Close file"."""

from __future__ import annotations

import streamlit as st

from clinic import intake
from clinic.money import money_text
from components.patient_file.context import FileContext, lines, local
from components.text import md
from db import billing, patients
from db.patients import InsurancePlan
from db.payers import KIND_LABELS


def plan_text(plan: InsurancePlan) -> str:
    """One insurance plan in a line of Markdown (payer and IDs escaped)."""
    kind = KIND_LABELS.get(plan.payer_kind, "")
    parts = [f"**{md(plan.payer)}**" + (f" ({kind})" if kind and kind != plan.payer else "")]
    if plan.member_id and plan.payer_kind != "self_pay":
        parts.append(f"member {md(plan.member_id)}")
    if plan.group_number:
        parts.append(f"group {md(plan.group_number)}")
    return " · ".join(parts)


def _tile(label: str, value: str, detail: str = "") -> None:
    with st.container(border=True, height="stretch"):
        st.caption(label)
        st.markdown(value)
        if detail:
            st.caption(detail)


def header(ctx: FileContext, *, may_edit: bool, may_see_money: bool = False) -> str | None:
    """Who this is, what to watch out for, and where they stand (with ``may_see_money``, what
    they owe). Returns the action clicked: ``"edit"``, ``"close"`` or None."""
    p = ctx.patient
    summary = patients.summary(ctx.conn, ctx.id)
    clicked = None

    name_col, action_col = st.columns([5, 1.4], vertical_alignment="center")
    with name_col:
        preferred = f" :gray[“{md(p.preferred_name)}”]" if p.preferred_name else ""
        st.header(f"{md(p.display_name)}{preferred}", anchor=False)
        facts = [
            f"**{intake.age_on(p.date_of_birth, ctx.today)} years**",
            md(str(p.sex).capitalize()),
            f"DOB {p.date_of_birth:%m/%d/%Y}",
            f"MRN **{md(p.mrn)}**",
        ]
        mobile = intake.display_phone(p.phone_mobile, ctx.region)
        home = intake.display_phone(p.phone_home, ctx.region)
        if mobile:
            facts.append(f":material/smartphone: {md(mobile)}")
        if home:
            facts.append(f":material/call: {md(home)}")
        if not mobile and not home:
            facts.append(":gray[no phone on file]")
        if p.preferred_language and p.preferred_language != "English":
            facts.append(f"speaks **{md(p.preferred_language)}**")
        st.markdown(" · ".join(facts))
    with action_col:
        if may_edit and st.button("Edit intake", key="pf_edit_intake", icon=":material/edit:", width="stretch"):
            clicked = "edit"
        if st.button("Close file", key="pf_close", icon=":material/close:", width="stretch"):
            clicked = "close"

    if p.allergies:
        st.error(f"**Allergies:** {lines(p.allergies)}", icon=":material/warning:")
    else:
        st.caption(":material/info: No allergies recorded at intake.")

    widths = [1.2, 1, 0.8, 1.6] + ([1] if may_see_money else [])
    next_col, last_col, noshow_col, insurance_col, *money_col = st.columns(widths)
    with next_col:
        if summary.next_appointment is None:
            _tile("Next appointment", ":gray[None booked]")
        else:
            _tile("Next appointment", f"**{local(summary.next_appointment, ctx.tz)}**",
                  md(summary.next_provider or ""))
    with last_col:
        if summary.last_visit is None:
            _tile("Last visit", ":gray[No completed visit]")
        else:
            _tile("Last visit", f"**{local(summary.last_visit, ctx.tz, '%a %d %b %Y')}**",
                  f"{summary.completed} completed visit{'s' if summary.completed != 1 else ''}")
    with noshow_col:
        value = f":orange[**{summary.no_shows}**]" if summary.no_shows else "**0**"
        _tile("No-shows", value, "missed without cancelling")
    with insurance_col:
        if not p.insurance:
            _tile("Insurance", ":gray[None on file]")
        else:
            primary, *others = p.insurance
            _tile("Insurance", plan_text(primary), "  \n".join(f"Secondary: {plan_text(plan)}" for plan in others))
    if money_col:
        with money_col[0]:
            due = billing.patient_balance(ctx.conn, ctx.id)
            credit = billing.patient_credit(ctx.conn, ctx.id)
            value = f":red[**{md(money_text(due))}**]" if due > 0 else f"**{md(money_text(due))}**"
            _tile("Balance due", value, f"credit {md(money_text(credit))}" if credit > 0 else "")
    return clicked
