"""ClinicDesk entry point: sign-in gate, role-filtered navigation, shared frame. Nothing else."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from clinic.access import can_open
from components import auth, daily_backup, frame
from components.db_session import get_conn
from components.nav import SECTIONS

# A local icon: a Material icon here would make every browser fetch it from a font CDN.
st.set_page_config(page_title="ClinicDesk", page_icon=str(Path(__file__).parent / "assets" / "favicon.png"), layout="wide")

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
