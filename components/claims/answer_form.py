"""Posting an insurer's answer (an EOB typed in) line by line: for each claim line the allowed and
paid amounts and up to three adjustments (CARC group-reason from the pick list, amount, note);
then the date received, how the money came (method, check or EFT number), and who is billed for
what is left. One call to ``db.claims.post_answer``; a refusal shows next to its field and
everything typed stays."""

from __future__ import annotations

from datetime import date

import streamlit as st

from clinic import carc
from clinic.billing import CLAIM_STATUS_LABELS, PAYMENT_METHOD_LABELS, PAYMENT_METHODS
from clinic.claims import REMAINDER_CHOICES, REMAINDER_LABELS, Adjustment, LineAnswer, line_field
from clinic.errors import ClinicError, NotAllowed, ValidationError
from clinic.money import money_text
from components import forms
from components.text import md
from db import Connection, claim_answers, claims
from db.claims import Claim, ClaimLine

SLOTS = 3  # adjustments per line on the form (an EOB line rarely has more)
REASONS = ["", *(key for key, _label in carc.choices())]
_LABELS = dict(carc.choices())


def form_name(claim_id: int) -> str:
    return f"claim_answer_{claim_id}"


def key(claim_id: int, part: str) -> str:
    """Widget keys: ``ans_<claim>_<line>_paid``, ``ans_<claim>_<line>_r0`` (reason of slot 0), ..."""
    return f"ans_{claim_id}_{part}"


def _typed(name: str) -> str:
    return str(st.session_state.get(name) or "").strip()


def _gather(claim_id: int, lines: list[ClaimLine]) -> tuple[list[LineAnswer], dict[str, str]]:
    """The answer as typed, and how to rename an error of the n-th adjustment given to the slot it came from."""
    answers, renames = [], {}
    for line in lines:
        adjustments = []
        for slot in range(SLOTS):
            reason = _typed(key(claim_id, f"{line.id}_r{slot}"))
            amount = _typed(key(claim_id, f"{line.id}_a{slot}"))
            if reason or amount:
                renames[line_field(line.id, f"adj{len(adjustments)}")] = line_field(line.id, f"adj{slot}")
                adjustments.append(Adjustment(reason, amount, _typed(key(claim_id, f"{line.id}_n{slot}"))))
        # An empty amount is zero: a denied line is typed with its adjustment only.
        answers.append(LineAnswer(line.id, _typed(key(claim_id, f"{line.id}_allowed")) or "0",
                                  _typed(key(claim_id, f"{line.id}_paid")) or "0", tuple(adjustments)))
    return answers, renames


def _known_fields(lines: list[ClaimLine]) -> set[str]:
    shown = {"received_on", "remainder_to", "method", "note"}
    for line in lines:
        shown |= {line_field(line.id), line_field(line.id, "allowed"), line_field(line.id, "paid")}
        shown |= {line_field(line.id, f"adj{slot}") for slot in range(SLOTS)}
    return shown


def _post(conn: Connection, user, claim: Claim, lines: list[ClaimLine]) -> None:
    form = form_name(claim.id)
    answers, renames = _gather(claim.id, lines)
    state = st.session_state
    try:
        claim_answers.post_answer(conn, claim.id, lines=answers, received_on=state.get(key(claim.id, "received")),
                           remainder_to=state.get(key(claim.id, "remainder")), user=user,
                           note=_typed(key(claim.id, "note")), method=state.get(key(claim.id, "method")) or "eft",
                           reference=_typed(key(claim.id, "reference")))
    except ValidationError as exc:
        known = _known_fields(lines)
        errors: dict[str, str] = {}
        for field, message in exc.errors.items():
            field = renames.get(field, field)
            errors[field if field in known else ""] = message
        forms.set_errors(form, errors)
        return
    except ClinicError as exc:
        field = renames.get(exc.field or "", exc.field or "")
        forms.set_errors(form, {field if field in _known_fields(lines) else "": str(exc)})
        if isinstance(exc, NotAllowed):
            st.toast(str(exc), icon=":material/block:")
        return
    forms.clear_errors(form)
    after = claims.get_claim(conn, claim.id)
    paid = claim_answers.claim_answers(conn, claim.id)[-1].paid
    forms.flash(f"Answer posted to claim {claim.control_number}: paid {money_text(paid)}. "
                f"The claim is now {CLAIM_STATUS_LABELS[after.status].lower()}; the invoice still owes "
                f"{money_text(after.invoice_balance)}.")
    for line in lines:
        state[key(claim.id, f"{line.id}_allowed")] = ""
        state[key(claim.id, f"{line.id}_paid")] = ""
        for slot in range(SLOTS):
            state[key(claim.id, f"{line.id}_r{slot}")] = ""
            state[key(claim.id, f"{line.id}_a{slot}")] = ""
            state[key(claim.id, f"{line.id}_n{slot}")] = ""
    state[key(claim.id, "note")] = ""
    state[key(claim.id, "reference")] = ""


def answer_form(conn: Connection, user, claim: Claim, *, today: date) -> None:
    form = form_name(claim.id)
    lines = claims.claim_lines(conn, claim.id)
    has_secondary = claim.rank == 1 and claims.has_secondary_coverage(conn, claim.patient_id)
    st.markdown("**Post the insurer's answer**")
    st.caption("For each line: what the insurer allowed and paid, and why the rest was not paid (e.g. CO-45 over the "
               "fee schedule, PR-1 deductible, PR-2 coinsurance, PR-3 copay). Paid plus the adjustments must equal "
               "the line's charge.")
    with st.form(form):
        for line in lines:
            st.markdown(f"**Line {line.position}** · {md(line.code)} · {md(line.description)} · "
                        f"charge {md(money_text(line.charge))}")
            allowed_col, paid_col = st.columns(2)
            with allowed_col:
                st.text_input("Allowed", key=key(claim.id, f"{line.id}_allowed"), placeholder=str(line.charge))
                forms.field_error(form, line_field(line.id, "allowed"))
            with paid_col:
                st.text_input("Paid", key=key(claim.id, f"{line.id}_paid"), placeholder="0.00")
                forms.field_error(form, line_field(line.id, "paid"))
            for slot in range(SLOTS):
                reason_col, amount_col, note_col = st.columns([3, 2, 3])
                with reason_col:
                    st.selectbox("Adjustment reason", REASONS, key=key(claim.id, f"{line.id}_r{slot}"),
                                 format_func=lambda k: _LABELS.get(k, "—"), label_visibility="collapsed"
                                 if slot else "visible")
                with amount_col:
                    st.text_input("Amount", key=key(claim.id, f"{line.id}_a{slot}"), placeholder="0.00",
                                  label_visibility="collapsed" if slot else "visible")
                with note_col:
                    st.text_input("Note", key=key(claim.id, f"{line.id}_n{slot}"), max_chars=200,
                                  label_visibility="collapsed" if slot else "visible")
                forms.field_error(form, line_field(line.id, f"adj{slot}"))
            forms.field_error(form, line_field(line.id))
        received_col, method_col, reference_col = st.columns(3)
        with received_col:
            st.date_input("Received on", value=today, max_value=today, key=key(claim.id, "received"),
                          format="MM/DD/YYYY")
            forms.field_error(form, "received_on")
        with method_col:
            st.selectbox("Paid by", PAYMENT_METHODS, index=PAYMENT_METHODS.index("eft"), key=key(claim.id, "method"),
                         format_func=PAYMENT_METHOD_LABELS.get)
            forms.field_error(form, "method")
        with reference_col:
            st.text_input("Check or EFT number", key=key(claim.id, "reference"), max_chars=100)
        choices = [c for c in REMAINDER_CHOICES if c != "none" and (c != "secondary" or has_secondary)]
        st.radio("What is left goes to", choices, key=key(claim.id, "remainder"), format_func=REMAINDER_LABELS.get,
                 horizontal=True, help="Ignored when nothing is left to bill.")
        forms.field_error(form, "remainder_to")
        st.text_input("Note", key=key(claim.id, "note"), max_chars=300)
        st.form_submit_button("Post answer", type="primary", icon=":material/price_check:", on_click=_post,
                              args=(conn, user, claim, lines))
    forms.form_error(form)
