"""The intake form's widgets: one ``st.form`` in the sections of the paper form, every field with
its error right under it.

Widget values live in ``st.session_state`` under ``intake_<field>`` keys (insurance fields as
``intake_insurance1_member_id``). :func:`load` puts a patient's values (or blank ones) there
before the widgets are drawn; :func:`collect` turns what was typed into the form dict that
``clinic.intake.validate_patient`` expects. Widgets are given no ``value=`` of their own, so what
the user typed stays across reruns until :func:`load` replaces it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import streamlit as st

from clinic import intake
from clinic.intake_pdf import CONTACT_LABELS, RELATIONSHIP_LABELS, SEX_LABELS
from components import forms
from db.patients import PatientRecord
from db.payers import KIND_LABELS, Payer

FORM = "intake"
STALE = "stale"  # the error key of a save refused because someone else saved first (shown above the form)
_VERSION = "_intake_version"
OLDEST_BIRTH_DATE = date(1900, 1, 1)
NO_PAYER = 0

_TEXT_FIELDS = ("first_name", "middle_name", "last_name", "preferred_name", "email", "address_line1",
                "address_line2", "city", "postal_code", "emergency_name", "emergency_relationship",
                "allergies", "medications", "conditions", "first_visit_reason")
_PHONE_FIELDS = ("phone_mobile", "phone_home", "emergency_phone")
_PLAN_TEXT = ("member_id", "group_number", "subscriber_name")
_CONSENTS = {"privacy_ack_on": "privacy_ack", "financial_policy_on": "financial_policy"}

PLAN_LABELS = {1: "Primary insurance", 2: "Secondary insurance"}
_PLAN_FIELD_LABELS = {"payer_id": "payer", "member_id": "member ID", "group_number": "group number",
                      "subscriber_name": "subscriber name", "subscriber_relationship": "relationship"}


def key(field: str) -> str:
    """The session-state key of a field's widget (``insurance1.member_id`` → ``intake_insurance1_member_id``)."""
    return "intake_" + field.replace(".", "_")


def field_label(field: str) -> str:
    """How a field (or an error key, or a changed-field name from db.patient_intake.update) is named on screen."""
    if field in ("insurance1", "insurance2"):
        return PLAN_LABELS[int(field[-1])]
    if field.startswith("insurance") and "." in field:
        plan, name = field.split(".", 1)
        return f"{PLAN_LABELS.get(int(plan[-1]), plan)}: {_PLAN_FIELD_LABELS.get(name, name)}"
    return intake.FIELD_LABELS.get(field, field)


def is_loaded() -> bool:
    """False on arriving at the page: Streamlit drops a page's widget values when another page runs."""
    return key("first_name") in st.session_state


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def widget_values(record: PatientRecord | None, region: str) -> dict[str, Any]:
    """Widget values showing ``record`` (as ``db.patients.get_full`` returns it), or a blank form."""
    if record is None:
        values: dict[str, Any] = {key(f): "" for f in _TEXT_FIELDS + _PHONE_FIELDS}
        values.update({key("date_of_birth"): None, key("sex"): None, key("preferred_language"): None,
                       key("state"): None, key("preferred_contact"): "phone", key("consent_sms"): False,
                       key("consent_email"): False})
        for field, box in _CONSENTS.items():
            values[key(field)] = None
            values[key(box)] = False
    else:
        values = {key(f): _text(getattr(record, f)) for f in _TEXT_FIELDS}
        values.update({key(f): intake.display_phone(getattr(record, f), region) for f in _PHONE_FIELDS})
        values[key("date_of_birth")] = record.date_of_birth
        values[key("sex")] = record.sex if record.sex in intake.SEXES else None
        values[key("preferred_language")] = record.preferred_language or None
        values[key("state")] = record.state or None
        contact = record.preferred_contact
        values[key("preferred_contact")] = contact if contact in intake.CONTACT_CHANNELS else "phone"
        values[key("consent_sms")] = bool(record.consent_sms)
        values[key("consent_email")] = bool(record.consent_email)
        for field, box in _CONSENTS.items():
            values[key(field)] = getattr(record, field)
            values[key(box)] = getattr(record, field) is not None
    for rank in (1, 2):
        plan = record.plan(rank) if record is not None else None
        values[key(f"insurance{rank}.payer_id")] = plan.payer_id if plan else NO_PAYER
        for name in _PLAN_TEXT:
            values[key(f"insurance{rank}.{name}")] = _text(getattr(plan, name)) if plan else ""
        relationship = plan.subscriber_relationship if plan else None
        values[key(f"insurance{rank}.subscriber_relationship")] = relationship or "self"
    return values


def load(record: PatientRecord | None, region: str) -> None:
    """Show ``record`` (or a blank form) in the widgets, and remember the version shown: a save
    carries it (:func:`seen_version`). Call before the widgets are drawn, or in a callback."""
    st.session_state.update(widget_values(record, region))
    st.session_state[_VERSION] = record.version if record is not None else None
    forms.clear_errors(FORM)


def seen_version() -> int | None:
    """The version of the record the form was loaded with (None for a new patient)."""
    return st.session_state.get(_VERSION)


def collect(today: date) -> dict[str, Any]:
    """What was typed, as the form dict ``clinic.intake.validate_patient`` checks."""
    s = st.session_state
    form: dict[str, Any] = {f: s.get(key(f), "") for f in _TEXT_FIELDS + _PHONE_FIELDS}
    form["date_of_birth"] = s.get(key("date_of_birth"))
    for name in ("sex", "preferred_language", "state", "preferred_contact"):
        form[name] = s.get(key(name))
    form["consent_sms"] = bool(s.get(key("consent_sms")))
    form["consent_email"] = bool(s.get(key("consent_email")))
    for field, box in _CONSENTS.items():
        # A date means it was done on that date; a tick without a date means today.
        on = s.get(key(field))
        form[field] = on if on is not None else (today if s.get(key(box)) else None)
    for rank in (1, 2):
        payer = s.get(key(f"insurance{rank}.payer_id")) or NO_PAYER
        plan = {name: s.get(key(f"insurance{rank}.{name}"), "") for name in _PLAN_TEXT}
        plan["payer_id"] = None if payer == NO_PAYER else int(payer)
        plan["subscriber_relationship"] = s.get(key(f"insurance{rank}.subscriber_relationship")) or "self"
        form[f"insurance{rank}"] = plan
    return form


# --- drawing -----------------------------------------------------------------------------------


def _error(field: str) -> None:
    forms.field_error(FORM, field)


def _text_input(label: str, field: str, **kwargs: Any) -> None:
    st.text_input(label, key=key(field), **kwargs)
    _error(field)


def _with_current(options: tuple[str, ...] | list[str], current: Any) -> list[str]:
    """The fixed options, plus a stored value that is not among them (so it is shown, not lost)."""
    return list(options) + ([current] if current and current not in options else [])


def _identity(today: date) -> None:
    st.subheader("Identity", divider="gray")
    first, middle, last, preferred = st.columns(4)
    with first:
        _text_input("Legal first name", "first_name", max_chars=100)
    with middle:
        _text_input("Middle name", "middle_name", max_chars=100)
    with last:
        _text_input("Legal last name", "last_name", max_chars=100)
    with preferred:
        _text_input("Preferred name", "preferred_name", max_chars=100, help="What the patient likes to be called.")
    dob, sex, language = st.columns([1, 2, 1])
    with dob:
        st.date_input("Date of birth", value=None, min_value=OLDEST_BIRTH_DATE, max_value=today, format="MM/DD/YYYY",
                      key=key("date_of_birth"))
        _error("date_of_birth")
    with sex:
        st.radio("Sex", intake.SEXES, index=None, format_func=SEX_LABELS.get, horizontal=True, key=key("sex"))
        _error("sex")
    with language:
        st.selectbox("Preferred language", _with_current(intake.LANGUAGES, st.session_state.get(key("preferred_language"))),
                     index=None, placeholder="Choose a language", key=key("preferred_language"))
        _error("preferred_language")


def _contact() -> None:
    st.subheader("Contact", divider="gray")
    mobile, home, email = st.columns([1, 1, 2])
    with mobile:
        _text_input("Mobile phone", "phone_mobile", placeholder="(212) 555-0142", max_chars=40)
    with home:
        _text_input("Home phone", "phone_home", placeholder="(212) 555-0142", max_chars=40)
    with email:
        _text_input("Email", "email", placeholder="name@example.com", max_chars=254)
    line1, line2 = st.columns(2)
    with line1:
        _text_input("Address line 1", "address_line1", max_chars=200)
    with line2:
        _text_input("Address line 2", "address_line2", max_chars=200, placeholder="Apartment, suite, floor")
    city, state, postal = st.columns([2, 1, 1])
    with city:
        _text_input("City", "city", max_chars=100)
    with state:
        st.selectbox("State", _with_current(intake.US_STATES, st.session_state.get(key("state"))), index=None,
                     placeholder="Choose", key=key("state"))
        _error("state")
    with postal:
        _text_input("ZIP code", "postal_code", max_chars=10, placeholder="10013")
    channel, sms, email_ok = st.columns([2, 1, 1])
    with channel:
        st.radio("Preferred contact", intake.CONTACT_CHANNELS, format_func=CONTACT_LABELS.get, horizontal=True,
                 key=key("preferred_contact"))
        _error("preferred_contact")
    with sms:
        st.checkbox("Consents to text reminders", key=key("consent_sms"))
        _error("consent_sms")
    with email_ok:
        st.checkbox("Consents to email reminders", key=key("consent_email"))
        _error("consent_email")


def _emergency() -> None:
    st.subheader("Emergency contact", divider="gray")
    name, relationship, phone = st.columns([2, 1, 1])
    with name:
        _text_input("Name", "emergency_name", max_chars=100)
    with relationship:
        _text_input("Relationship", "emergency_relationship", max_chars=60, placeholder="e.g. Spouse, Parent")
    with phone:
        _text_input("Phone", "emergency_phone", max_chars=40, placeholder="(212) 555-0142")


def _plan(rank: int, payers: Mapping[int, str]) -> None:
    prefix = f"insurance{rank}"
    st.markdown(f"**{PLAN_LABELS[rank]}**" + ("" if rank == 1 else " (optional)"))
    none_label = "No insurance on file" if rank == 1 else "No secondary insurance"
    st.selectbox("Payer", [NO_PAYER, *payers], format_func=lambda i: payers.get(i, none_label),
                 key=key(f"{prefix}.payer_id"))
    _error(f"{prefix}.payer_id")
    member, group = st.columns(2)
    with member:
        _text_input("Member ID", f"{prefix}.member_id", max_chars=30, placeholder="As on the card")
    with group:
        _text_input("Group number", f"{prefix}.group_number", max_chars=30)
    relationship, subscriber = st.columns([1, 2])
    with relationship:
        st.selectbox("Relationship", intake.RELATIONSHIPS, format_func=RELATIONSHIP_LABELS.get,
                     key=key(f"{prefix}.subscriber_relationship"),
                     help="The patient's relationship to the subscriber (policy holder): self when the plan is in "
                          "the patient's own name.")
        _error(f"{prefix}.subscriber_relationship")
    with subscriber:
        _text_input("Subscriber name", f"{prefix}.subscriber_name", max_chars=100,
                    help="The policy holder, when it is not the patient.")


def payer_labels(payers: list[Payer], current_ids: list[int]) -> dict[int, str]:
    """Choices for the payer boxes: active payers, plus a patient's current payer if it was deactivated."""
    labels = {p.id: p.name if p.name == KIND_LABELS[p.kind] else f"{p.name} ({KIND_LABELS[p.kind]})"
              for p in payers if p.active}
    for payer in payers:
        if payer.id in current_ids and payer.id not in labels:
            labels[payer.id] = f"{payer.name} (no longer accepted)"
    return labels


def _insurance(payers: Mapping[int, str]) -> None:
    st.subheader("Insurance", divider="gray")
    primary, secondary = st.columns(2, gap="large")
    with primary:
        _plan(1, payers)
    with secondary:
        _plan(2, payers)


def _clinical() -> None:
    st.subheader("Clinical intake", divider="gray")
    left, right = st.columns(2)
    with left:
        st.text_area("Allergies", key=key("allergies"), height=100, max_chars=2000,
                     placeholder="Medicines, food, latex, and the reaction. “None known” if none.")
        st.text_area("Conditions", key=key("conditions"), height=100, max_chars=2000)
    with right:
        st.text_area("Current medications", key=key("medications"), height=100, max_chars=2000,
                     placeholder="One per line, with dose and how often.")
        st.text_area("Reason for first visit", key=key("first_visit_reason"), height=100, max_chars=2000)


def _consents(today: date) -> None:
    st.subheader("Consents", divider="gray")
    privacy, financial = st.columns(2, gap="large")
    for column, field, box, label, date_label in (
        (privacy, "privacy_ack_on", "privacy_ack", "Privacy notice acknowledged", "Acknowledged on"),
        (financial, "financial_policy_on", "financial_policy", "Financial policy signed", "Signed on"),
    ):
        with column:
            st.checkbox(label, key=key(box))
            st.date_input(date_label, value=None, min_value=OLDEST_BIRTH_DATE, max_value=today, format="MM/DD/YYYY",
                          key=key(field), help="Leave empty for today when the box is ticked.")
            _error(field)


def draw(*, today: date, payers: Mapping[int, str], submit_label: str, on_submit: Callable[[], None],
         disabled: bool = False) -> None:
    """The whole form, with one save button at the bottom and a list of what needs fixing above it."""
    with st.form(FORM, enter_to_submit=False):
        _identity(today)
        _contact()
        _emergency()
        _insurance(payers)
        _clinical()
        _consents(today)
        st.divider()
        errors = forms.errors_for(FORM)
        fields = [field_label(f) for f in errors if f and f != STALE]
        if fields:
            st.error(f"Nothing was saved. Please correct: {', '.join(fields)}.", icon=":material/error:")
        forms.form_error(FORM)
        st.form_submit_button(submit_label, type="primary", icon=":material/save:", on_click=on_submit,
                              disabled=disabled)
