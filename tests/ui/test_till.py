"""The till: find by one box, earn, redeem with the mailed passcode, void an order; every action
posts once under its own reference and ends on a result screen."""

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import FRONT_LINE, balance, earn, enroll, mailed_code, new_program, screenshot, sign_in, staff_token

pytestmark = pytest.mark.ui


@pytest.fixture
def cashier(page, app_url, api):
    program = new_program(api)
    token = staff_token(programs=[program], permissions=FRONT_LINE, subject="cashier-till")
    sign_in(page, app_url, program=program, token=token, next_path="/till")
    return program


def find(page, text: str) -> None:
    box = page.get_by_label("Find member")
    expect(box).to_be_focused()  # keyboard first: the box has the focus, a scanner can type at once
    box.fill(text)
    box.press("Enter")
    expect(page.get_by_test_id("member-card")).to_be_visible()


def choose(page, action: str) -> None:
    page.get_by_test_id(f"action-{action.lower()}").click()


def test_earn_at_the_till_changes_the_balance_once(page, api, cashier):
    number, _ = enroll(api, cashier, first="Marta")
    earn(api, cashier, number, "10.00")
    find(page, number)
    expect(page.get_by_test_id("till-balance")).to_have_text("10")

    amount = page.get_by_test_id("earn-amount")
    expect(amount).to_be_focused()
    amount.fill("25.50")
    amount.press("Enter")
    result = page.get_by_test_id("till-result")
    expect(result).to_contain_text("Points earned")
    expect(page.get_by_test_id("result-new-balance")).to_have_text("35")
    expect(page.get_by_test_id("till-balance")).to_have_text("35")
    screenshot(page, "till-earn")
    assert balance(api, cashier, number) == 35


def test_a_double_submitted_earn_posts_once(page, api, cashier):
    number, _ = enroll(api, cashier)
    find(page, number)
    page.get_by_test_id("earn-amount").fill("20")
    # Two submits in the same tick: the form's reference makes the second a replay.
    page.evaluate("""() => { const f = document.querySelector('[data-testid=earn-submit]').form;
                             f.requestSubmit(); f.requestSubmit(); }""")
    expect(page.get_by_test_id("result-new-balance")).to_have_text("20")
    history = api("""query($p: String!, $n: String!) { pointsHistory(program: $p, loyaltyNumber: $n) { items { kind } } }""",
                  p=cashier, n=number)["pointsHistory"]["items"]
    assert [t["kind"] for t in history] == ["EARN"]
    assert balance(api, cashier, number) == 20


def test_find_by_phone_and_by_email(page, api, cashier):
    number, email = enroll(api, cashier, first="Pilar", phone="+34600111222")
    find(page, "34600111222")  # digits only: not a card number, so the phone
    expect(page.get_by_test_id("member-card")).to_contain_text(number)
    page.get_by_role("link", name="Next customer").click()
    find(page, email)
    expect(page.get_by_test_id("member-card")).to_contain_text(number)


def test_redeem_with_the_passcode_mailed_to_the_member(page, api, cashier, smtp_server):
    number, email = enroll(api, cashier, first="Rosa")
    earn(api, cashier, number, "100.00")
    find(page, number)
    choose(page, "Redeem")
    page.get_by_test_id("redeem-points").fill("30")
    before = len(smtp_server.to(email))
    page.get_by_role("button", name="Send passcode to member").click()
    expect(page.get_by_test_id("otp-sent")).to_be_visible()
    page.get_by_test_id("redeem-otp").fill(mailed_code(smtp_server, email, after=before))
    page.get_by_test_id("redeem-submit").click()
    expect(page.get_by_test_id("result-new-balance")).to_have_text("70")
    assert balance(api, cashier, number) == 70


def test_a_wrong_passcode_is_refused_and_nothing_is_spent(page, api, cashier):
    number, _ = enroll(api, cashier)
    earn(api, cashier, number, "50.00")
    find(page, number)
    choose(page, "Redeem")
    page.get_by_test_id("redeem-points").fill("10")
    page.get_by_role("button", name="Send passcode to member").click()
    expect(page.get_by_test_id("otp-sent")).to_be_visible()
    page.get_by_test_id("redeem-otp").fill("000000")
    page.get_by_test_id("redeem-submit").click()
    expect(page.get_by_test_id("error")).to_have_attribute("data-code", "OTP_INVALID")
    assert balance(api, cashier, number) == 50


def test_void_an_order_and_the_balance_is_restored(page, api, cashier):
    number, _ = enroll(api, cashier)
    earn(api, cashier, number, "5.00")
    find(page, number)
    page.get_by_test_id("earn-amount").fill("60")
    page.get_by_test_id("earn-submit").click()
    expect(page.get_by_test_id("result-new-balance")).to_have_text("65")
    order = page.get_by_test_id("result-order").inner_text()

    page.get_by_role("button", name="New action").click()
    choose(page, "Void")
    page.get_by_test_id("void-target").fill(order)
    page.get_by_test_id("void-submit").click()
    expect(page.get_by_test_id("till-result")).to_contain_text("Order voided")
    expect(page.get_by_test_id("result-new-balance")).to_have_text("5")
    assert balance(api, cashier, number) == 5


def test_bad_input_names_the_field(page, api, cashier):
    number, _ = enroll(api, cashier)
    find(page, number)
    page.get_by_test_id("earn-amount").fill("-3")
    page.get_by_test_id("earn-submit").click()
    error = page.get_by_test_id("error")
    expect(error).to_have_attribute("data-code", "INVALID_INPUT")
    expect(error).to_contain_text("amount")
    assert balance(api, cashier, number) == 0
