"""Admin › Providers and hours: who can be booked, when, and by which rules.

Seven tabs, each drawn by its module in ``components/schedule_admin``. Every change is checked by
db/ (nothing is written when it refuses) and audited there.
"""

from __future__ import annotations

import streamlit as st

from clinic.access import can_do
from components import forms
from components.db_session import get_conn
from components.frame import require
from components.schedule_admin import booking_rules, clinic_details, closures, providers, shared, time_off, visit_types, weekly_hours

TABS = ("Providers", "Weekly hours", "Time off", "Closures and holidays", "Visit types", "Booking rules",
        "Clinic details")

user = require("admin_schedule")
conn = get_conn()

st.title("Providers and hours")
if not can_do(user.role, "schedule.manage"):
    st.error("Your role cannot change providers, hours or closures.", icon=":material/block:")
    st.stop()
forms.show_flashes()
screen = shared.open_screen(conn, user)

providers_tab, hours_tab, time_off_tab, closures_tab, types_tab, rules_tab, clinic_tab = st.tabs(
    TABS, key="schedule_tab", on_change="rerun"
)
with providers_tab:
    providers.draw(screen)
with hours_tab:
    weekly_hours.draw(screen)
with time_off_tab:
    time_off.draw(screen)
with closures_tab:
    closures.draw(screen)
with types_tab:
    visit_types.draw(screen)
with rules_tab:
    booking_rules.draw(screen)
with clinic_tab:
    clinic_details.draw(screen)
