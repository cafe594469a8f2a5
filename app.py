"""ClinicDesk entry point: sign-in gate, role-filtered navigation, shared frame. Nothing else."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from clinic.access import can_open
from components import auth, daily_backup, frame
from components.db_session import get_conn

# A local icon: a Material icon here would make every browser fetch it from a font CDN.
st.set_page_config(page_title="ClinicDesk", page_icon=str(Path(__file__).parent / "assets" / "favicon.png"), layout="wide")

# (page key, file, title, icon) per section. The key is the file stem and the key in
# clinic.access.PAGES; a page appears only for roles allowed to open it.
SECTIONS: dict[str, list[tuple[str, str, str, str]]] = {
    "": [("home", "pages/home.py", "Home", ":material/home:")],
    "Front desk": [
        ("today", "pages/today.py", "Today", ":material/today:"),
        ("calendar", "pages/calendar.py", "Calendar", ":material/calendar_month:"),
        ("patients", "pages/patients.py", "Patients", ":material/folder_shared:"),
        ("intake", "pages/intake.py", "New patient", ":material/person_add:"),
        ("inbox", "pages/inbox.py", "Inbox", ":material/inbox:"),
        ("reminders", "pages/reminders.py", "Reminder calls", ":material/phone_in_talk:"),
        ("waitlist", "pages/waitlist.py", "Waitlist", ":material/hourglass_top:"),
        ("day_sheet", "pages/day_sheet.py", "Day sheet", ":material/assignment:"),
    ],
    "Billing": [
        ("invoices", "pages/invoices.py", "Invoices", ":material/receipt_long:"),
        ("claims", "pages/claims.py", "Claims", ":material/fact_check:"),
        ("ar_aging", "pages/ar_aging.py", "A/R aging", ":material/hourglass_bottom:"),
        ("fee_schedule", "pages/fee_schedule.py", "Fee schedule", ":material/price_change:"),
        ("admin_payers", "pages/admin_payers.py", "Payers", ":material/account_balance:"),
    ],
    "Inventory": [
        ("inventory", "pages/inventory.py", "Stock", ":material/inventory_2:"),
        ("purchase_orders", "pages/purchase_orders.py", "Purchase orders", ":material/local_shipping:"),
        ("vendors", "pages/vendors.py", "Vendors and contractors", ":material/storefront:"),
        ("stock_items", "pages/stock_items.py", "Items and rooms", ":material/category:"),
        ("stock_reports", "pages/stock_reports.py", "Stock charts", ":material/monitoring:"),
    ],
    "Manager": [
        ("analytics", "pages/analytics.py", "Analytics", ":material/insights:"),
        ("explorer", "pages/explorer.py", "Data explorer", ":material/table_view:"),
    ],
    "Admin": [
        ("admin_users", "pages/admin_users.py", "Users", ":material/manage_accounts:"),
        ("admin_schedule", "pages/admin_schedule.py", "Providers and hours", ":material/schedule:"),
        ("audit", "pages/audit.py", "Audit trail", ":material/policy:"),
        ("backups", "pages/backups.py", "Backups", ":material/backup:"),
    ],
}

user = auth.current_user()
auth.sync_cookie()
daily_backup.maybe_start(get_conn())
if user is None:
    # Every page's address leads to the sign-in form, so a bookmark or a refresh while signed out
    # asks to sign in (instead of "Page not found") and then opens the page it named.
    sign_in = [st.Page(auth.login_page, title="Sign in", icon=":material/login:", default=True)]
    sign_in += [st.Page(auth.login_page, title="Sign in", url_path=key)
                for pages in SECTIONS.values() for key, _, _, _ in pages if key != "home"]
    page = st.navigation(sign_in, position="hidden")
else:
    allowed = {
        section: [
            st.Page(path, title=title, icon=icon, url_path=key, default=(key == "home"))
            for key, path, title, icon in pages
            if can_open(user.role, key)
        ]
        for section, pages in SECTIONS.items()
    }
    # expanded=True: past twelve pages Streamlit folds the menu behind "View more", and a manager
    # would lose the admin and billing pages below the fold.
    page = st.navigation({section: pages for section, pages in allowed.items() if pages}, expanded=True)
    frame.sidebar(user)
page.run()
