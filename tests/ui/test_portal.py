"""The member portal in the browser: passcode sign-in through the real SMTP path, the member's own
balance, activity, tier progress and rewards, and nothing of another member."""

import re

from tests.ui.conftest import earn, enroll, mailed_code, new_program


def member_sign_in(page, app_url: str, smtp_server, *, program: str, email: str) -> None:
    before = len(smtp_server.to(email))
    page.goto(f"{app_url}/me/sign-in?program={program}")
    page.get_by_role("textbox", name="Email").fill(email)
    page.get_by_role("button", name="Send me a passcode").click()
    page.get_by_test_id("passcode-sent").wait_for()
    page.get_by_label("Passcode").fill(mailed_code(smtp_server, email, after=before))
    page.get_by_role("button", name="Sign in").click()


def test_a_member_signs_in_with_a_passcode_and_sees_their_own_points(page, app_url, api, smtp_server):
    program = new_program(api)
    ana, ana_email = enroll(api, program, first="Ana")
    bob, _ = enroll(api, program, first="Bob")
    earn(api, program, ana, "30")
    earn(api, program, bob, "70")

    member_sign_in(page, app_url, smtp_server, program=program, email=ana_email)
    page.wait_for_url(re.compile(r"/me$"))
    assert page.get_by_test_id("my-balance").inner_text() == "30"
    assert page.get_by_text(f"Member {ana}").is_visible()
    activity = page.get_by_test_id("my-activity")
    assert activity.locator("tbody tr").count() == 1 and activity.locator("tbody tr td").last.inner_text() == "30"
    assert bob not in page.content()

    # the staff screens are not for members
    page.goto(f"{app_url}/admin/members")
    page.wait_for_url(re.compile(r"/me$"))

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/me/sign-in"))


def test_a_wrong_passcode_is_refused_and_an_unknown_address_gets_the_same_answer(page, app_url, api, smtp_server):
    program = new_program(api)
    _, email = enroll(api, program)
    page.goto(f"{app_url}/me/sign-in?program={program}")
    page.get_by_role("textbox", name="Email").fill("nobody-at-all@example.com")
    page.get_by_role("button", name="Send me a passcode").click()
    unknown_answer = page.get_by_test_id("passcode-sent").inner_text()
    assert unknown_answer.startswith("If nobody-at-all@example.com belongs to a member")

    page.goto(f"{app_url}/me/sign-in?program={program}")
    page.get_by_role("textbox", name="Email").fill(email)
    page.get_by_role("button", name="Send me a passcode").click()
    code = mailed_code(smtp_server, email)
    page.get_by_label("Passcode").fill(f"{(int(code) + 1) % 1_000_000:06d}")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_test_id("error").first.get_attribute("data-code") == "UNAUTHENTICATED"
    assert page.evaluate("localStorage.getItem('loyalty.session')") is None
