"""Member 360 in the browser: every tab reads its own query (lots and expiry schedule, profile and
consents, tiers with an override, rewards and vouchers, earn breakdowns, clubs and segments), every
action carries a reason and is checked against the API, and an action the role lacks is neither
offered nor accepted by the API."""

import json
import re

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import FRONT_LINE, Api, balance, earn, enroll, new_program, screenshot, sign_in, staff_token

pytestmark = pytest.mark.ui

SLAB = """mutation($p: String!) { defineTierSlab(input: {program: $p, code: "status", name: "Status", metric: "points",
  windowLength: 12, windowUnit: "month", downgrade: "one_level", tiers: [
    {code: "base", name: "Green", threshold: "0", earnMultiplier: "1"},
    {code: "gold", name: "Gold", threshold: "1000", earnMultiplier: "1.5", validityMonths: 12}]}) { code } }"""
REWARD = """mutation($p: String!) { createReward(input: {program: $p, code: "cinema", name: "Cinema ticket",
  kind: "free_item", plu: "CINE", pointsCost: 10, issuesVoucher: true}) { code } }"""
CLAIM = """mutation($p: String!, $n: String!) { claimReward(input: {program: $p, loyaltyNumber: $n, rewardCode: "cinema",
  reference: "claim-1"}) { voucherCode } }"""
STATUS = "query($p: String!, $n: String!) { member(program: $p, loyaltyNumber: $n) { status statusHistory { reason } } }"
TIERS = "query($p: String!, $n: String!) { tierStatus(program: $p, loyaltyNumber: $n) { tierCode overrideTierCode } }"
MERGE = """mutation($p: String!, $a: String!, $b: String!) { mergeMembers(input: {program: $p, fromLoyaltyNumber: $a,
  toLoyaltyNumber: $b, reason: "dup"}) { state } }"""


def act(page, action: str, **fields) -> None:
    """Open an action from the Actions menu, fill its fields (by label) and its reason, confirm."""
    page.get_by_test_id("member-actions").click()
    page.get_by_role("menuitem", name=action).click()
    dialog = page.get_by_role("dialog")
    for label, value in fields.items():
        box = dialog.get_by_label(re.compile("^" + re.escape(label))).first  # a select also labels its listbox
        if box.get_attribute("aria-haspopup") == "listbox":  # a select
            box.click()
            dialog.get_by_role("option", name=value, exact=True).click()
        else:
            box.fill(value)
    dialog.get_by_role("button", name=re.compile("^(Confirm|Erase for good)$")).click()
    expect(dialog).to_have_count(0)


def test_member_360_tabs_and_actions_with_reasons(page, app_url, api):
    program = new_program(api)
    api('mutation($p: String!) { updateProgram(input: {program: $p, expiryDays: 365}) { code } }', p=program)
    api(SLAB, p=program)
    api(REWARD, p=program)
    number, email = enroll(api, program, first="Lucia", last="Fernández")
    other, _ = enroll(api, program, first="Lucas", last="Moreno")
    earn(api, program, number, "100.00", reference="shop-1")
    voucher = api(CLAIM, p=program, n=number)["claimReward"]["voucherCode"]

    sign_in(page, app_url, program=program, next_path=f"/admin/members/{number}")
    expect(page.get_by_test_id("available-points")).to_have_text("90")
    expect(page.get_by_test_id("held-points")).to_have_text("10")
    expect(page.get_by_test_id("progress-status")).to_contain_text("to gold")
    lots = page.get_by_test_id("lots")
    expect(lots).to_contain_text("shop-1")
    expect(lots.locator("tbody tr")).to_have_count(1)
    screenshot(page, "member-360")

    act(page, "Adjust points", **{"Points": "-5", "Reason": "till typo"})
    expect(page.get_by_test_id("available-points")).to_have_text("85")
    act(page, "Transfer points", **{"To loyalty number": other, "Points": "20", "Reason": "family"})
    expect(page.get_by_test_id("available-points")).to_have_text("65")
    assert balance(api, program, other) == 20
    act(page, "Extend expiry", **{"New expiry date": "2031-01-31", "Reason": "apology"})
    expect(lots).to_contain_text("2031-01-31")
    expect(page.get_by_test_id("ledger")).to_contain_text("till typo")

    # the tab is in the URL: a reload or a shared link opens the same tab
    page.get_by_role("tab", name="Profile and consents").click()
    expect(page).to_have_url(re.compile(r"tab=profile"))
    expect(page.get_by_test_id("consents")).to_contain_text("email")
    act(page, "Change status", **{"New status": "suspended", "Reason": "chargeback review"})
    expect(page.get_by_test_id("member-status")).to_have_text("suspended")
    expect(page.get_by_test_id("status-history")).to_contain_text("chargeback review")
    member = api(STATUS, p=program, n=number)["member"]
    assert member["status"] == "suspended" and member["statusHistory"][-1]["reason"] == "chargeback review"

    page.goto(f"{app_url}/admin/members/{number}?tab=tiers")
    expect(page.get_by_test_id("tier-status")).to_contain_text("Green")
    act(page, "Tier override", **{"Slab": "status", "Tier code": "gold", "Reason": "VIP guest"})
    expect(page.get_by_test_id("tier-status")).to_contain_text("Gold")
    assert api(TIERS, p=program, n=number)["tierStatus"][0]["overrideTierCode"] == "gold"
    page.get_by_role("button", name="Clear override").click()
    expect(page.get_by_role("button", name="Clear override")).to_have_count(0)
    assert api(TIERS, p=program, n=number)["tierStatus"][0]["overrideTierCode"] is None

    page.get_by_role("tab", name="Rewards and vouchers").click()
    expect(page.get_by_test_id("claims")).to_contain_text(voucher)
    page.get_by_role("tab", name="Earn breakdowns").click()
    page.get_by_test_id("earns").get_by_text("shop-1").click()
    expect(page.get_by_test_id("breakdown")).to_contain_text("100 points")
    page.get_by_role("tab", name="Clubs and segments").click()
    expect(page.get_by_test_id("member-segments")).to_be_visible()

    with page.expect_download() as download:
        page.get_by_test_id("export-member").click()
    exported = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert email in json.dumps(exported)

    # merge into the other member: the screen follows the survivor, who now holds both balances
    act(page, "Merge into…", **{"Surviving loyalty number": other, "Reason": "same person"})
    expect(page).to_have_url(re.compile(rf"/admin/members/{other}"))
    expect(page.get_by_test_id("available-points")).to_have_text("85")


def test_erase_asks_for_the_number_and_removes_the_personal_data(page, app_url, api):
    program = new_program(api)
    number, email = enroll(api, program, first="Borrar")
    sign_in(page, app_url, program=program, next_path=f"/admin/members/{number}")
    expect(page.get_by_test_id("member-360")).to_contain_text(email)
    act(page, "Erase personal data", **{f"Type {number} to confirm": number})
    expect(page.get_by_test_id("member-status")).to_have_text("erased")
    expect(page.get_by_test_id("member-360")).not_to_contain_text(email)


def test_a_front_line_manager_is_offered_only_its_actions_and_the_api_refuses_the_rest(page, app_url, api):
    program = new_program(api)
    number, _ = enroll(api, program)
    other, _ = enroll(api, program)
    token = staff_token(programs=[program], permissions=FRONT_LINE, subject="cashier-360")
    sign_in(page, app_url, program=program, token=token, next_path=f"/admin/members/{number}")
    expect(page.get_by_test_id("member-360")).to_contain_text(number)
    page.get_by_test_id("member-actions").click()
    menu = page.get_by_role("menu")
    expect(menu.get_by_role("menuitem", name="Goodwill")).to_be_visible()
    for hidden in ("Merge into…", "Erase personal data", "Adjust points", "Tier override"):
        expect(menu.get_by_role("menuitem", name=hidden)).to_have_count(0)
    refused = Api(app_url, token).raw(MERGE, p=program, a=number, b=other)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
