"""The Booking rules tab: minimum notice, how far ahead, the late-cancellation window, reminder day,
and the grace period before a no-show."""

from __future__ import annotations

import streamlit as st

from clinic.errors import ClinicError
from components import forms
from components.schedule_admin.shared import Screen, fail, succeed
from db import availability

FORM = "rules"


def draw(screen: Screen) -> None:
    current = availability.rules(screen.conn)
    with st.form(FORM):
        min_notice = st.number_input("Minimum notice (minutes)", min_value=0, step=15,
                                     value=current.min_notice_min, key="rule_min_notice_min",
                                     help="How soon before a visit it can still be booked. 0 – 10080.")
        forms.field_error(FORM, "min_notice_min")
        max_days = st.number_input("Book at most this many days ahead", min_value=0, step=1,
                                   value=current.max_days_ahead, key="rule_max_days_ahead", help="1 – 730.")
        forms.field_error(FORM, "max_days_ahead")
        late_cancel = st.number_input("Late-cancellation window (hours)", min_value=0, step=1,
                                      value=current.late_cancel_hours, key="rule_late_cancel_hours",
                                      help="A cancellation this close to the visit is flagged as late. 0 – 168.")
        forms.field_error(FORM, "late_cancel_hours")
        reminder_days = st.number_input("Reminder calls this many days ahead", min_value=0, step=1,
                                        value=availability.reminder_days_ahead(screen.conn),
                                        key="rule_reminder_days_ahead",
                                        help="The reminder list shows the appointments of that day. 1 – 14.")
        forms.field_error(FORM, "reminder_days_ahead")
        grace = st.number_input("No-show possible this many minutes after the start", min_value=0, step=5,
                                value=current.no_show_grace_min, key="rule_no_show_grace_min",
                                help="Before then a patient cannot be marked as a no-show: they may still come. "
                                     "0 – 240.")
        forms.field_error(FORM, "no_show_grace_min")
        save = st.form_submit_button("Save booking rules", type="primary")
    forms.form_error(FORM)
    if not save:
        return
    try:
        availability.save_rules(screen.conn, {"min_notice_min": min_notice, "max_days_ahead": max_days,
                                              "late_cancel_hours": late_cancel, "reminder_days_ahead": reminder_days,
                                              "no_show_grace_min": grace},
                                by=screen.user)
    except ClinicError as exc:
        fail(FORM, exc)
    else:
        succeed(FORM, "Booking rules saved. They apply to the next booking or status change.")
