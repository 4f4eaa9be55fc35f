"""Partners and rate cards in the browser: created through the screen and read back through the API,
a partner suspended, the status filter kept in the URL."""

import re

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import new_program, screenshot, sign_in

pytestmark = pytest.mark.ui

PARTNERS = """query($p: String!) { partners(program: $p) { code name status locations { code } }
  rateCards(program: $p) { partnerCode issueRate redeemRate currency } }"""


def test_create_a_partner_and_its_rate_card_then_suspend_it(page, app_url, api):
    program = new_program(api)
    sign_in(page, app_url, program=program, next_path="/admin/partners")
    page.get_by_label("Partner code").fill("CINE")
    page.get_by_label("Partner name").fill("Cine Sol")
    page.get_by_label("First location code").fill("CINE-1")
    page.get_by_role("button", name="Create partner").click()
    row = page.get_by_test_id("partners-table").locator("tr[data-code='CINE']")
    expect(row).to_contain_text("Cine Sol")

    page.get_by_role("combobox", name="Card partner").click()
    page.get_by_role("option", name="CINE", exact=True).click()
    page.get_by_label("Issue rate (per point)").fill("0.01")
    page.get_by_label("Redeem rate (per point)").fill("0.005")
    page.get_by_role("button", name="Create rate card").click()
    expect(page.get_by_test_id("rate-cards")).to_contain_text("partner CINE")
    found = api(PARTNERS, p=program)
    assert found["partners"] == [{"code": "CINE", "name": "Cine Sol", "status": "ACTIVE", "locations": [{"code": "CINE-1"}]}]
    assert found["rateCards"] == [{"partnerCode": "CINE", "issueRate": "0.010000", "redeemRate": "0.005000", "currency": "EUR"}]
    screenshot(page, "partners")

    row.get_by_role("button", name="Suspend").click()
    expect(row).to_contain_text("SUSPENDED")
    page.get_by_role("combobox", name="Partner status").click()
    page.get_by_role("option", name="ACTIVE", exact=True).click()
    expect(page).to_have_url(re.compile(r"status=ACTIVE"))
    expect(page.get_by_test_id("empty").first).to_contain_text("No partners yet.")
