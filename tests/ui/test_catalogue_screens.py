"""The rewards catalogue, tiers, segments and campaigns screens in the browser: what the UI creates is
read back through the API, and what the API holds is what the screens show."""

import re

from playwright.sync_api import expect

from tests.ui.conftest import enroll, new_program, sign_in

REWARDS = """query($p: String!) { rewards(program: $p, includeInactive: true) {
  code name kind pointsCost value stock type active } }"""


def test_create_edit_and_deactivate_a_reward(page, app_url, api):
    program = new_program(api)
    sign_in(page, app_url, program=program, next_path="/admin/rewards")
    page.get_by_test_id("empty").wait_for()
    page.get_by_role("button", name="New reward").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label(re.compile(r"^Code")).fill("coffee")
    dialog.get_by_label(re.compile(r"^Name")).fill("Free coffee")
    dialog.get_by_label(re.compile(r"^Points cost")).fill("150")
    dialog.get_by_label(re.compile(r"^Amount off")).fill("2.50")
    dialog.get_by_label(re.compile(r"^Stock")).fill("40")
    dialog.get_by_role("button", name="Create reward").click()
    expect(dialog).to_have_count(0)
    row = page.get_by_test_id("rewards-table").locator("tr[data-code='coffee']")
    expect(row).to_contain_text("Free coffee")
    [made] = api(REWARDS, p=program)["rewards"]
    assert made == {"code": "coffee", "name": "Free coffee", "kind": "amount_off", "pointsCost": 150, "value": "2.5",
                    "stock": 40, "type": "reward", "active": True}

    # a bad value is refused by the API and named, nothing changes
    row.get_by_role("button", name="Edit").click()
    dialog.get_by_label(re.compile(r"^Kind")).click()
    page.get_by_role("option", name="Percent off").click()
    dialog.get_by_label(re.compile(r"^Percent off")).fill("150")
    dialog.get_by_role("button", name="Save reward").click()
    error = dialog.get_by_test_id("error")
    expect(error).to_have_attribute("data-code", "INVALID_INPUT")
    expect(error).to_contain_text("value")
    dialog.get_by_label(re.compile(r"^Percent off")).fill("10")
    dialog.get_by_label(re.compile(r"^Points cost")).fill("120")
    dialog.get_by_role("button", name="Save reward").click()
    expect(dialog).to_have_count(0)
    expect(row).to_contain_text("percent_off 10")
    [edited] = api(REWARDS, p=program)["rewards"]
    assert (edited["kind"], edited["value"], edited["pointsCost"], edited["stock"]) == ("percent_off", "10", 120, 40)

    page.on("dialog", lambda d: d.accept())
    row.get_by_role("button", name="Deactivate").click()
    expect(row).to_have_count(0)  # inactive rewards are listed only on request
    assert api(REWARDS, p=program)["rewards"][0]["active"] is False
    page.get_by_label("Show inactive").check()
    page.wait_for_url(re.compile(r"inactive=true"))
    expect(row.get_by_text("inactive")).to_be_visible()
