"""The booking dialog's patient part: find a registered patient, or quick-add a caller. A
quick-add that looks like someone already registered (``db.patients.quick_add`` raises
``PossibleDuplicates``) lists the look-alikes, each with "Use this patient", and "Add as a new
patient anyway"; what was typed stays in the fields throughout.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from clinic.errors import ClinicError, PossibleDuplicates, ValidationError
from clinic.intake import display_phone
from components import forms
from components.calendar_state import BookingContext
from components.text import md
from db import patients

BOOK_FORM, QUICK_FORM = "cal_book", "cal_quick_add"
LOOK_ALIKES = "_bk_look_alikes"  # {"typed": (first, last, dob, phone), "candidates": [...]} while the user decides

ss = st.session_state


def reset() -> None:
    """Empty the patient part for a new booking."""
    ss.update({"bk_mode": "find", "bk_query": "", "bk_first": "", "bk_last": "", "bk_phone": "", "_bk_added": None,
               LOOK_ALIKES: None})
    ss.pop("bk_dob", None)
    forms.clear_errors(QUICK_FORM)


def pick(patient_id: int | None) -> None:
    """Choose the patient to book (None: choose again)."""
    ss["bk_patient"] = patient_id
    ss["bk_plan"] = None
    ss[LOOK_ALIKES] = None
    ss["_bk_added"] = None
    forms.clear_errors(BOOK_FORM)


def _typed() -> tuple:
    return (ss.get("bk_first", ""), ss.get("bk_last", ""), ss.get("bk_dob"), ss.get("bk_phone", ""))


def _quick_add(ctx: BookingContext, confirm_new: bool = False) -> None:
    forms.clear_errors(QUICK_FORM)
    first, last, dob, phone = _typed()
    try:
        patient_id = patients.quick_add(ctx.conn, first_name=first, last_name=last, date_of_birth=dob, phone=phone,
                                        by=ctx.user, confirm_new=confirm_new)
    except PossibleDuplicates as exc:
        ss[LOOK_ALIKES] = {"typed": _typed(), "candidates": exc.candidates}
        return
    except ValidationError as exc:
        ss[LOOK_ALIKES] = None
        forms.set_errors(QUICK_FORM, exc.errors)
        return
    except ClinicError as exc:
        ss[LOOK_ALIKES] = None
        forms.set_errors(QUICK_FORM, {exc.field or "": str(exc)})
        return
    added = patients.get(ctx.conn, patient_id)
    pick(patient_id)
    ss["bk_mode"] = "find"
    ss["_bk_added"] = f"Added {md(added.display_name)} (MRN {md(added.mrn)})."


def _use_existing(patient_id: int) -> None:
    pick(patient_id)
    ss["bk_mode"] = "find"


def _patient_line(patient, country: str) -> str:
    return (f"{patient.display_name} · DOB {patient.date_of_birth:%m/%d/%Y} · MRN {patient.mrn}"
            f" · {display_phone(patient.phone_mobile, country) or 'no phone'}")


def section(ctx: BookingContext) -> None:
    """The chosen patient with "Change", or the find / new patient choice."""
    chosen = patients.get(ctx.conn, ss["bk_patient"]) if ss.get("bk_patient") else None
    if ss.get("_bk_added"):
        st.success(ss["_bk_added"], icon=":material/person_add:")
    if chosen is not None:
        with st.container(border=True, horizontal=True, vertical_alignment="center"):
            st.markdown(f"**{md(chosen.display_name)}**  \nDOB {chosen.date_of_birth:%m/%d/%Y} · MRN {md(chosen.mrn)}"
                        f" · {md(display_phone(chosen.phone_mobile, ctx.country) or 'no phone')}")
            st.button("Change", key="bk_change_patient", on_click=pick, args=(None,), type="tertiary",
                      icon=":material/swap_horiz:")
        forms.field_error(BOOK_FORM, "patient")
        return
    mode = st.segmented_control("Patient", ["find", "new"], key="bk_mode", required=True,
                                format_func={"find": "Find a patient", "new": "New patient"}.get)
    if mode == "new":
        _quick_add_fields(ctx)
    else:
        query = st.text_input("Search", key="bk_query", placeholder="Name, date of birth (MM/DD/YYYY), phone or MRN")
        if query.strip():
            found = patients.search(ctx.conn, query, limit=8)
            if not found:
                st.caption("No active patient matches. Check the spelling, or add them as a new patient.")
            for p in found:
                st.button(_patient_line(p, ctx.country), key=f"bk_pick_{p.id}", on_click=pick, args=(p.id,),
                          type="tertiary", icon=":material/person:")
    forms.field_error(BOOK_FORM, "patient")


def _quick_add_fields(ctx: BookingContext) -> None:
    left, right = st.columns(2)
    with left:
        st.text_input("First name", key="bk_first", max_chars=100)
        forms.field_error(QUICK_FORM, "first_name")
        st.date_input("Date of birth", value=None, key="bk_dob", format="MM/DD/YYYY",
                      min_value=date(1900, 1, 1), max_value=ctx.today)
        forms.field_error(QUICK_FORM, "date_of_birth")
    with right:
        st.text_input("Last name", key="bk_last", max_chars=100)
        forms.field_error(QUICK_FORM, "last_name")
        st.text_input("Mobile phone", key="bk_phone", max_chars=40, placeholder="(212) 555-0142")
        forms.field_error(QUICK_FORM, "phone")
    pending = ss.get(LOOK_ALIKES)
    if pending and pending["typed"] == _typed():
        _look_alikes(ctx, pending["candidates"])
    else:  # nothing checked yet, or the details were changed since: check again
        st.button("Add patient", key="bk_quick_add", icon=":material/person_add:", on_click=_quick_add, args=(ctx,))
    forms.form_error(QUICK_FORM)


def _look_alikes(ctx: BookingContext, candidates: list) -> None:
    """The registered patients who look like the one typed: use one, or add the new one anyway."""
    with st.container(border=True):
        count = len(candidates)
        st.warning(f"{count} registered patient{'s look' if count != 1 else ' looks'} like this one. Use the "
                   "existing record, or add a new patient if this is a different person.", icon=":material/group:")
        for c in candidates:
            who, use = st.columns([5, 1.6], vertical_alignment="center")
            phone = display_phone(c.phone, ctx.country) or "no phone"
            who.markdown(f"**{md(c.name)}** · DOB {c.date_of_birth:%m/%d/%Y} · {md(phone)} · MRN {md(c.mrn)}"
                         f"  \n:gray[{md(c.why.capitalize())}]")
            use.button("Use this patient", key=f"bk_dup_use_{c.id}", on_click=_use_existing, args=(c.id,),
                       icon=":material/person_check:", width="stretch")
        st.button("Add as a new patient anyway", key="bk_quick_add_anyway", on_click=_quick_add, args=(ctx, True),
                  icon=":material/person_add:",
                  help="This is a different person: register them. The decision is recorded in the audit log.")
