"""Staff screens in a real browser: sign in, find a member, member 360, deep links, role gating."""

import re

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import FRONT_LINE, earn, enroll, new_program, screenshot, sign_in, staff_token

pytestmark = pytest.mark.ui


def test_sign_in_find_a_member_and_open_member_360(page, app_url, api):
    program = new_program(api)
    number, email = enroll(api, program, first="Lucia", last="Fernández")
    enroll(api, program, first="Lucas", last="Moreno")
    earn(api, program, number, "42.00")

    sign_in(page, app_url, program=program)
    page.get_by_role("link", name="Members").click()
    page.get_by_label("Search members").fill("Fernández")
    page.get_by_role("button", name="Search").click()
    table = page.get_by_test_id("members-table")
    expect(table.get_by_role("row")).to_have_count(2)  # header + the one match
    expect(page).to_have_url(re.compile(r"q=Fern"))  # the search lives in the URL
    screenshot(page, "members")

    table.get_by_role("link", name=number).click()
    expect(page.get_by_test_id("available-points")).to_have_text("42")
    expect(page.get_by_test_id("member-360")).to_contain_text(email)
    expect(page.get_by_test_id("ledger")).to_contain_text("EARN")


def test_a_deep_link_loads_after_sign_in(page, app_url, api):
    program = new_program(api)
    number, _ = enroll(api, program)
    sign_in(page, app_url, program=program, next_path=f"/admin/members/{number}")
    expect(page.get_by_test_id("member-360")).to_contain_text(number)
    page.reload()  # the served index.html and the kept session bring the same screen back
    expect(page.get_by_test_id("member-360")).to_contain_text(number)


def test_signed_out_deep_link_goes_to_sign_in_and_back(page, app_url, api):
    program = new_program(api)
    number, _ = enroll(api, program)
    page.goto(f"{app_url}/admin/members/{number}")
    expect(page).to_have_url(re.compile(r"/sign-in"))
    page.get_by_label("Program").fill(program)
    page.get_by_label("Token").fill("test-admin-token")
    page.get_by_role("button", name="Sign in with token").click()
    expect(page.get_by_test_id("member-360")).to_contain_text(number)


def test_a_front_line_manager_cannot_open_rules_and_the_api_refuses(page, app_url, api):
    program = new_program(api)
    token = staff_token(programs=[program], permissions=FRONT_LINE, subject="cashier-1")
    sign_in(page, app_url, program=program, token=token, next_path="/till")
    expect(page.get_by_label("Find member")).to_be_visible()
    nav = page.get_by_role("navigation")
    expect(nav.get_by_role("link", name="Till")).to_be_visible()
    expect(nav.get_by_role("link", name="Rules")).to_have_count(0)
    # Typing the address is not a way round: the API itself refuses, and the screen says so.
    page.goto(f"{app_url}/admin/rules")
    expect(page.get_by_test_id("error")).to_have_attribute("data-code", "FORBIDDEN")


def test_an_unknown_app_route_shows_not_found(page, app_url):
    page.goto(f"{app_url}/no/such/screen")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
