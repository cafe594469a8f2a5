"""ClinicDesk entry point: sign-in gate, role-filtered navigation, shared frame. Nothing else."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from clinic.access import can_open
from components import auth, frame

# A local icon: a Material icon here would make every browser fetch it from a font CDN.
st.set_page_config(page_title="ClinicDesk", page_icon=str(Path(__file__).parent / "assets" / "favicon.png"), layout="wide")

# (page key, file, title, icon) per section. The key is the file stem and the key in
# clinic.access.PAGES; a page appears only for roles allowed to open it.
SECTIONS: dict[str, list[tuple[str, str, str, str]]] = {
    "": [("home", "pages/home.py", "Home", ":material/home:")],
    "Front desk": [],
    "Billing": [],
    "Inventory": [],
    "Manager": [],
    "Admin": [("admin_users", "pages/admin_users.py", "Users", ":material/manage_accounts:")],
}

user = auth.current_user()
if user is None:
    page = st.navigation([st.Page(auth.login_page, title="Sign in", icon=":material/login:")], position="hidden")
else:
    allowed = {
        section: [
            st.Page(path, title=title, icon=icon, url_path=key, default=(key == "home"))
            for key, path, title, icon in pages
            if can_open(user.role, key)
        ]
        for section, pages in SECTIONS.items()
    }
    page = st.navigation({section: pages for section, pages in allowed.items() if pages})
    frame.sidebar(user)
page.run()
