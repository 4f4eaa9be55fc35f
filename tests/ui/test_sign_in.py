"""Staff sign-in in the browser against the real identity service: an invitation mailed through the
real SMTP path, the password chosen on the link's page, sign-in and sign-out, token refresh before
expiry, and a password reset without account enumeration."""

import json
import re

from tests.ui.conftest import Api, mailed, new_program, unique

INVITE = """mutation($program: String!, $email: String!, $role: String!) {
  inviteUser(input: {program: $program, email: $email, role: $role}) { userId } }"""
REFRESH = "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }"
PASSWORD = "correct horse battery staple 7"
NEW_PASSWORD = re.compile(r"^New password(?! again)")


def invite(api: Api, smtp_server, *, role: str) -> tuple[str, str, str]:
    program = new_program(api)
    email = f"{unique('staff')}@example.com"
    api(INVITE, program=program, email=email, role=role)
    token = mailed(smtp_server, email, r"token=(inv_[A-Za-z0-9_\-]+)")
    return program, email, token


def accept(page, app_url: str, token: str, *, name: str, password: str = PASSWORD) -> None:
    page.goto(f"{app_url}/accept-invitation?token={token}")
    page.get_by_label("Your name").fill(name)
    page.get_by_label(NEW_PASSWORD).fill(password)
    page.get_by_label("New password again").fill(password)
    page.get_by_role("button", name="Set password and sign in").click()


def stored_session(page) -> dict:
    return json.loads(page.evaluate("localStorage.getItem('loyalty.session')") or "null")


def password_sign_in(page, app_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{app_url}/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label(re.compile(r"^Password")).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_an_invited_admin_sets_a_password_signs_out_and_back_in(page, app_url, api, smtp_server):
    program, email, token = invite(api, smtp_server, role="admin")

    accept(page, app_url, token, name="Marta Admin")
    page.wait_for_url(re.compile(r"/admin$"))
    assert page.get_by_test_id("viewer").inner_text() == "Marta Admin"
    page.get_by_role("link", name="Rules").wait_for()
    session = stored_session(page)
    assert session["program"] == program and session["refreshToken"]

    # signing out ends the session on the server: its refresh token no longer works
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/sign-in"))
    assert stored_session(page) is None
    refused = api.raw(REFRESH, t=session["refreshToken"])
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    # the invitation link works once
    accept(page, app_url, token, name="Someone Else")
    assert page.get_by_test_id("error").first.get_attribute("data-code") in ("INVALID_INPUT", "UNAUTHENTICATED")

    # a signed-out deep link goes through sign-in and back to where it pointed
    page.goto(f"{app_url}/admin/members")
    page.wait_for_url(re.compile(r"/sign-in\?next="))
    page.get_by_label("Email").fill(email)
    page.get_by_label(re.compile(r"^Password")).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(r"/admin/members(\?|$)"))


def test_a_wrong_password_is_refused_and_names_no_account(page, app_url, api, smtp_server):
    _, email, token = invite(api, smtp_server, role="admin")
    accept(page, app_url, token, name="Luis")
    page.wait_for_url(re.compile(r"/admin$"))
    page.get_by_role("button", name="Sign out").click()

    password_sign_in(page, app_url, email, "not the password at all")
    wrong = page.get_by_test_id("error").first
    assert wrong.get_attribute("data-code") == "UNAUTHENTICATED"
    wrong_text = wrong.inner_text()
    password_sign_in(page, app_url, f"{unique('nobody')}@example.com", "not the password at all")
    assert page.get_by_test_id("error").first.inner_text() == wrong_text  # names no account
    assert stored_session(page) is None


def test_a_front_line_manager_lands_on_the_till_without_admin_screens(page, app_url, api, smtp_server):
    _, _, token = invite(api, smtp_server, role="front_line_manager")
    accept(page, app_url, token, name="Carla Till")
    page.wait_for_url(re.compile(r"/till$"))
    page.get_by_role("link", name="Till").wait_for()
    assert page.get_by_role("link", name="Rules").count() == 0


def test_the_app_refreshes_an_expiring_access_token_and_keeps_working(page, app_url, api, smtp_server):
    program, _, token = invite(api, smtp_server, role="admin")
    accept(page, app_url, token, name="Ines")
    page.wait_for_url(re.compile(r"/admin$"))
    before = stored_session(page)

    # the access token is about to expire: the next request refreshes it first
    page.evaluate("""() => { const s = JSON.parse(localStorage.getItem('loyalty.session'));
        s.expiresAt = new Date(Date.now() + 5000).toISOString();
        localStorage.setItem('loyalty.session', JSON.stringify(s)); }""")
    page.goto(f"{app_url}/admin/members")
    page.wait_for_function("""old => { const s = JSON.parse(localStorage.getItem('loyalty.session') || 'null');
        return s && s.refreshToken !== old; }""", arg=before["refreshToken"])
    after = stored_session(page)
    assert after["program"] == program and after["accessToken"]  # may equal the old one within the same second
    assert page.get_by_test_id("error").count() == 0

    # the spent refresh token is refused (and, used again, ends the whole session: the server's rule)
    assert api.raw(REFRESH, t=before["refreshToken"])["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_password_reset_by_mail_without_enumeration(page, app_url, api, smtp_server):
    _, email, token = invite(api, smtp_server, role="management")
    accept(page, app_url, token, name="Paz")
    page.wait_for_url(re.compile(r"/admin$"))
    page.get_by_role("button", name="Sign out").click()

    # an unknown address gets the same answer, and no mail
    ghost = f"{unique('ghost')}@example.com"
    for address in (ghost, email):
        page.goto(f"{app_url}/reset-password")
        page.get_by_label("Email").fill(address)
        page.get_by_role("button", name="Send the link").click()
        assert page.get_by_test_id("reset-sent").inner_text() == \
            f"If {address} has an account, a link is on its way. It works once."
    reset = mailed(smtp_server, email, r"token=(rst_[A-Za-z0-9_\-]+)", after=1)
    assert smtp_server.to(ghost) == []

    new_password = "a brand new long passphrase 9"
    page.goto(f"{app_url}/reset-password?token={reset}")
    page.get_by_label(NEW_PASSWORD).fill(new_password)
    page.get_by_label("New password again").fill(new_password)
    page.get_by_role("button", name="Change password").click()
    page.get_by_test_id("reset-done").wait_for()

    password_sign_in(page, app_url, email)  # the old password
    assert page.get_by_test_id("error").first.get_attribute("data-code") == "UNAUTHENTICATED"
    password_sign_in(page, app_url, email, new_password)
    page.wait_for_url(re.compile(r"/admin$"))
