"""Settings in the browser: the program's and the member service's settings saved through the API,
the programs list a platform admin sees, and tier freeze windows on the Tiers screen."""

import re

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import FRONT_LINE, new_program, screenshot, sign_in, staff_token

pytestmark = pytest.mark.ui

PROGRAM = "query($p: String!) { program(program: $p) { name expiryDays } programLimits(program: $p) { goodwillLimit } }"
MEMBER_SETTINGS = "query($p: String!) { memberSettings(program: $p) { welcomeEnabled welcomeSubject } }"
FREEZES = "query($p: String!) { tierFreezeWindows(program: $p) { startsOn endsOn reason } }"


def test_program_and_member_settings_and_the_programs_list(page, app_url, api):
    program = new_program(api)
    sign_in(page, app_url, program=program, next_path="/admin/settings")
    card = page.get_by_test_id("program-settings")
    expect(card.get_by_label("Program name")).to_have_value("Tapas UI")
    card.get_by_label("Program name").fill("Tapas Club")
    card.get_by_label(re.compile(r"^Points expire after")).fill("365")
    card.get_by_label(re.compile(r"^Goodwill limit")).fill("500")
    card.get_by_role("button", name="Save program").click()
    expect(page.get_by_test_id("program-saved")).to_be_visible()
    saved = api(PROGRAM, p=program)
    assert saved["program"] == {"name": "Tapas Club", "expiryDays": 365}
    assert saved["programLimits"]["goodwillLimit"] == 500

    members = page.get_by_test_id("member-settings")
    members.get_by_label("Welcome subject").fill("Bienvenida al club")
    members.get_by_role("button", name="Save member settings").click()
    expect(page.get_by_test_id("member-settings-saved")).to_be_visible()
    assert api(MEMBER_SETTINGS, p=program)["memberSettings"]["welcomeSubject"] == "Bienvenida al club"

    # the dev admin is a platform admin: every program is listed
    expect(page.get_by_test_id("programs-list").locator(f"tr[data-code='{program}']")).to_contain_text("Tapas Club")
    screenshot(page, "settings")


def test_a_front_line_manager_has_no_settings(page, app_url, api):
    program = new_program(api)
    token = staff_token(programs=[program], permissions=FRONT_LINE, subject="cashier-settings")
    sign_in(page, app_url, program=program, token=token, next_path="/till")
    expect(page.get_by_label("Find member")).to_be_visible()
    expect(page.get_by_role("navigation").get_by_role("link", name="Settings")).to_have_count(0)


def test_freeze_windows_on_the_tiers_screen(page, app_url, api):
    program = new_program(api)
    sign_in(page, app_url, program=program, next_path="/admin/tiers")
    windows = page.get_by_test_id("freeze-windows")
    expect(windows.get_by_test_id("no-freeze-windows")).to_be_visible()
    windows.get_by_label("Starts on").fill("2027-03-01")
    windows.get_by_label("Ends on").fill("2027-04-30")
    windows.get_by_label("Freeze reason").fill("refurbishment")
    windows.get_by_role("button", name="Add window").click()
    expect(windows).to_contain_text("2027-03-01 → 2027-04-30")
    assert api(FREEZES, p=program)["tierFreezeWindows"] == [
        {"startsOn": "2027-03-01", "endsOn": "2027-04-30", "reason": "refurbishment"}]
    windows.get_by_role("button", name="Remove").click()
    expect(windows.get_by_test_id("no-freeze-windows")).to_be_visible()
    assert api(FREEZES, p=program)["tierFreezeWindows"] == []
