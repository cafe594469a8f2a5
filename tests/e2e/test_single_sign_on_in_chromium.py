"""Single sign-on in chromium, against a small OpenID Connect provider started by the test
(tests/oidc_provider.py): the app runs with an ``[auth]`` section in its secrets.toml, the sign-in
screen offers "Sign in with Test Identity", and the e-mail the provider vouches for picks the
ClinicDesk account, whose role decides what is shown. A refresh keeps the person signed in;
signing out ends ClinicDesk's session, Streamlit's identity and the provider's session; an e-mail
that is no account's is refused with a message and nothing else."""

from __future__ import annotations

import secrets
import shutil
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

import db
from db import users
from tests.e2e.conftest import AppPage, seed_for_e2e, serve
from tests.oidc_provider import OidcProvider

pytestmark = pytest.mark.e2e

DESK_EMAIL = "front.desk@clinic.test"
SSO_BUTTON = "Sign in with Test Identity"


@pytest.fixture(scope="module")
def idp():
    with OidcProvider() as provider:
        yield provider


@pytest.fixture(scope="module")
def sso_server(tmp_path_factory, idp):
    """The app on a database of its own where the front desk account has an e-mail, started with
    a secrets.toml that configures single sign-on (Streamlit reads it through --secrets.files;
    the app's own audit key stays in $CLINICDESK_SECRETS)."""
    seeded = seed_for_e2e(tmp_path_factory.mktemp("e2e-sso") / "clinic.duckdb")
    conn = db.connect(seeded.path)
    try:
        users.set_email(conn, users.find_by_username(conn, "frontdesk").id, DESK_EMAIL, by="test")
        conn.execute("CHECKPOINT")
    finally:
        conn.close()
    secrets_file = seeded.path.with_name("secrets.toml")
    secrets_file.write_text(
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'  # Streamlit fills in its port
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        f'client_id = "{idp.client_id}"\n'
        f'client_secret = "{idp.client_secret}"\n'
        f'server_metadata_url = "{idp.metadata_url}"\n'
        'display_name = "Test Identity"\n',
        encoding="utf-8",
    )
    streamlit = shutil.which("streamlit", path=str(Path(sys.executable).parent)) or "streamlit"
    yield from serve(seeded.path, launcher=[streamlit, "run", "--secrets.files", str(secrets_file)])


@pytest.fixture
def app(tab, sso_server):
    return tab(sso_server)


def back_at_the_app(app: AppPage):
    return lambda url: url.startswith(app.base_url) and "/oauth2callback" not in url and "/auth/" not in url


def sign_on(app: AppPage, idp: OidcProvider) -> None:
    """Open the sign-in screen and sign on with the provider (which approves ``idp.email`` at once):
    the browser goes to the provider and comes back to the app's home address."""
    app.open()
    with app.page.expect_navigation(url=back_at_the_app(app), timeout=30_000):
        with app.page.expect_response(lambda response: response.url.startswith(idp.issuer + "/authorize"),
                                      timeout=30_000):
            app.page.get_by_role("button", name=SSO_BUTTON).click()


def expect_front_desk(app: AppPage) -> None:
    page = app.page
    expect(page.get_by_role("button", name="Sign out")).to_be_visible(timeout=30_000)
    app.wait_idle()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("Front desk")
    expect(sidebar).to_contain_text("frontdesk")
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_text("Today", exact=True)).to_be_visible()
    expect(nav.get_by_text("Users", exact=True)).to_have_count(0)  # an admin page: not this role's
    expect(page.get_by_role("heading", name="Hello", exact=False)).to_be_visible()
    expect(page.get_by_label("Username")).to_have_count(0)
    assert not app.exceptions()


def test_a_mapped_email_signs_in_as_its_account_survives_a_refresh_and_signs_out(app, idp):
    idp.email = "Front.Desk@Clinic.TEST"  # letter case as the provider happens to send it
    sign_on(app, idp)
    expect_front_desk(app)
    assert {c["name"] for c in app.page.context.cookies()} >= {"clinicdesk_session", "_streamlit_user"}
    app.screenshot("sso-signed-in-front-desk")

    app.page.reload()
    expect_front_desk(app)

    # ClinicDesk's session ends, then st.logout sends the browser through the provider's sign-out
    # and back to the app.
    with app.page.expect_navigation(url=back_at_the_app(app), timeout=30_000):
        with app.page.expect_response(lambda response: response.url.startswith(idp.issuer + "/logout"),
                                      timeout=30_000):
            app.page.get_by_role("button", name="Sign out").click()
    expect(app.page.get_by_role("button", name=SSO_BUTTON)).to_be_visible(timeout=30_000)
    expect(app.page.get_by_label("Username")).to_be_visible()
    assert idp.sign_outs == 1
    assert "_streamlit_user" not in {c["name"] for c in app.page.context.cookies()}
    app.page.reload()
    expect(app.page.get_by_label("Username")).to_be_visible(timeout=30_000)
    app.wait_idle()
    expect(app.page.get_by_role("button", name="Sign out")).to_have_count(0)
    app.screenshot("sso-signed-out")


def test_an_unknown_email_is_refused_with_the_message_and_nothing_is_shown(app, idp):
    idp.email = "stranger@elsewhere.test"
    sign_on(app, idp)
    # (the escaping helper puts an invisible word joiner after the @, so that no mail link is made)
    message = app.page.get_by_role("alert").filter(has_text="No active ClinicDesk account has the e-mail stranger@")
    expect(message).to_be_visible(timeout=30_000)
    expect(message).to_contain_text("elsewhere.test. Ask an administrator to add it to your account")
    app.wait_idle()
    expect(app.page.get_by_role("button", name="Sign out")).to_have_count(0)
    expect(app.page.get_by_test_id("stSidebarNav")).to_have_count(0)
    expect(app.page.get_by_label("Username")).to_be_visible()
    assert not app.exceptions()
    app.screenshot("sso-unknown-email-refused")

    # Streamlit still holds the provider's identity in its cookie: a refresh does not sign anyone
    # in with it (an identity is handed in once), it just shows the sign-in screen again.
    app.page.reload()
    expect(app.page.get_by_label("Username")).to_be_visible(timeout=30_000)
    app.wait_idle()
    expect(app.page.get_by_role("button", name="Sign out")).to_have_count(0)
    expect(app.page.get_by_test_id("stSidebarNav")).to_have_count(0)
