"""The rule builder end to end: a rule built in the visual builder (no JSON typed), validated live,
dry-run on a sample basket, published with confirmation, and the next real earn uses it."""

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import enroll, new_program, screenshot, sign_in, unique

pytestmark = pytest.mark.ui

EARN = """mutation($p: String!, $n: String!, $a: String!, $r: String!) {
  earn(input: {program: $p, loyaltyNumber: $n, amount: $a, currency: "EUR", reference: $r}) { pointsEarned } }"""
EXPLAIN = """query($p: String!, $r: String!) { earnBreakdown(program: $p, reference: $r) { breakdown { rule points } } }"""
RULE_SET = "query($p: String!) { ruleSet(program: $p, code: \"big-baskets\") { publishedVersion publishedRules } }"


def test_build_dry_run_publish_and_the_next_earn_uses_the_rule(page, app_url, api):
    program = new_program(api)
    number, _ = enroll(api, program)
    before = api(EARN, p=program, n=number, a="60.00", r=unique("before"))["earn"]["pointsEarned"]

    sign_in(page, app_url, program=program, next_path="/admin/rules")
    page.get_by_label("New rule set code").fill("big-baskets")
    page.get_by_role("button", name="New rule set").click()
    page.get_by_test_id("add-rule-card").click()
    rule = page.get_by_test_id("rule-0")
    rule.get_by_test_id("rule-0-code").fill("bonus-50")
    # when: amount at least 50, built with the visual builder's own controls
    rule.get_by_role("button", name="+ Condition").click()
    rule.locator(".rule-operators input").click()
    page.get_by_role("option", name="at least", exact=True).click()
    rule.locator(".rule-value input").fill("50")
    # then: a fixed bonus of 100 points
    rule.get_by_test_id("rule-0-action-fixed_bonus").fill("100")
    expect(page.get_by_test_id("validity")).to_have_text("valid")
    page.get_by_test_id("save-draft").click()
    expect(page.get_by_test_id("draft-version")).to_have_text("draft v1")

    page.get_by_role("tab", name="Dry run").click()
    page.get_by_test_id("dry-amount").fill("60")
    page.get_by_test_id("run-dry-run").click()
    result = page.get_by_test_id("dry-run-result")
    expect(result).to_contain_text("bonus-50")
    draft_points = int(page.get_by_test_id("dry-run-points").inner_text())
    # the set's rules replace the program's default rate: the draft gives the bonus alone, where the
    # published rules (none yet: the default rate) gave `before`
    assert draft_points == 100 != before
    expect(result).to_contain_text(f"published: {before}")
    screenshot(page, "rule-builder")

    page.get_by_test_id("publish").click()
    page.get_by_test_id("confirm-publish").click()
    expect(page.get_by_text("published v1")).to_be_visible()
    assert api(RULE_SET, p=program)["ruleSet"]["publishedVersion"] == 1

    reference = unique("after")
    assert api(EARN, p=program, n=number, a="60.00", r=reference)["earn"]["pointsEarned"] == draft_points
    lines = api(EXPLAIN, p=program, r=reference)["earnBreakdown"]["breakdown"]
    assert {"rule": "bonus-50", "points": 100} in [{"rule": x["rule"], "points": x["points"]} for x in lines]
    # below the threshold the rule does not apply
    assert api(EARN, p=program, n=number, a="20.00", r=unique("small"))["earn"]["pointsEarned"] == 0
