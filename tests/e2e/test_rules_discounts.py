"""Discount rules through the real platform: a quote over GraphQL (posts nothing), the earn of the
same basket granting the same discounts and earning on the amount paid, the recorded breakdown,
a campaign's discount budget, skip reasons as enums, and the permission a POS key needs."""

import datetime as dt

import pytest

from tests.e2e.test_contract import new_member, new_program
from tests.e2e.test_rules_graphql import ENQUIRE, publish
from tests.fixtures.graphql import GraphQLClient

pytestmark = pytest.mark.e2e

QUOTE = """
query($program: String!, $number: String, $amount: String!, $items: [BasketItemInput!]) {
  quoteDiscounts(input: {program: $program, loyaltyNumber: $number, amount: $amount, items: $items}) {
    currency grossAmount discountTotal netAmount
    lines { rule ruleVersion campaignCode appliesTo skus percentOff amountOff amount description }
    skipped { rule reason }
  }
}"""
EARN = """
mutation($program: String!, $number: String!, $amount: String!, $reference: String!, $items: [BasketItemInput!]) {
  earn(input: {program: $program, loyaltyNumber: $number, amount: $amount, currency: "EUR", reference: $reference,
               items: $items}) { pointsEarned breakdown { rule points } }
}"""
EXPLAIN = """
query($program: String!, $reference: String!) {
  earnBreakdown(program: $program, reference: $reference) {
    points netAmount discounts { rule ruleVersion appliesTo skus amount } breakdown { rule points }
  }
}"""
SAVE_CAMPAIGN = """
mutation($program: String!, $code: String!, $starts: String!, $ends: String!) {
  saveCampaign(input: {program: $program, code: $code, name: "Half", startsAt: $starts, endsAt: $ends,
                       discountBudgetTotal: "6.00"}) { code discountBudgetTotal discountBudgetPerMember }
}"""
CREATE_KEY = """
mutation($program: String!, $name: String!) { createApiKey(input: {program: $program, name: $name}) { apiKey } }
"""

RULES = [{"code": "ten-per-euro", "action": {"points_per_unit": "10"}},
         {"code": "coffee-off", "type": "discount", "priority": 1,
          "action": {"amount_off": "0.50", "per_unit": True, "items": {"skus": ["COFFEE"]}}},
         {"code": "ten-off", "type": "discount", "action": {"percent_off": 10, "min_amount": 5}},
         {"code": "tea-off", "type": "discount", "action": {"percent_off": 50, "items": {"skus": ["TEA"]}}}]
BASKET = [{"sku": "COFFEE", "category": "drinks", "quantity": "2", "price": "2.50"},
          {"sku": "BAGEL", "category": "food", "quantity": "1", "price": "5.00"}]


async def test_a_quoted_basket_is_discounted_the_same_on_earn_and_earns_on_what_was_paid(admin):
    # given 10 points per euro, 0.50 off each coffee, then 10% off baskets of 5 or more
    program = await new_program(admin)
    number = await new_member(admin, program)
    await publish(admin, program, "base", RULES)

    # when the POS asks for the basket's discounts
    quote = (await admin(QUOTE, program=program, number=number, amount="10.00", items=BASKET)).ok()["quoteDiscounts"]

    # then 1.00 off the coffees, 10% of the 9.00 left; the tea discount says why it gave nothing
    assert (quote["currency"], quote["grossAmount"], quote["discountTotal"], quote["netAmount"]) == (
        "EUR", "10.00", "1.90", "8.10")
    assert [(x["rule"], x["ruleVersion"], x["appliesTo"], x["skus"], x["amount"]) for x in quote["lines"]] == [
        ("coffee-off", "base@v1", "ITEMS", ["COFFEE"], "1.00"), ("ten-off", "base@v1", "BASKET", [], "0.90")]
    assert quote["skipped"] == [{"rule": "tea-off", "reason": "NO_MATCHING_ITEMS"}]
    # and nothing was posted
    assert (await admin(ENQUIRE, program=program, number=number)).ok()["enquire"]["availablePoints"] == 0

    # when the same basket is earned on, then the same discounts apply and points are on the 8.10 paid
    earned = (await admin(EARN, program=program, number=number, amount="10.00", reference="e1",
                          items=BASKET)).ok()["earn"]
    assert earned == {"pointsEarned": 81, "breakdown": [{"rule": "ten-per-euro", "points": 81}]}
    explained = (await admin(EXPLAIN, program=program, reference="e1")).ok()["earnBreakdown"]
    assert (explained["points"], explained["netAmount"]) == (81, "8.10")
    assert [(d["rule"], d["appliesTo"], d["amount"]) for d in explained["discounts"]] == [
        ("coffee-off", "ITEMS", "1.00"), ("ten-off", "BASKET", "0.90")]


async def test_a_campaigns_discount_budget_over_graphql(admin):
    program = await new_program(admin)
    number = await new_member(admin, program)
    now = dt.datetime.now(dt.timezone.utc)
    saved = await admin(SAVE_CAMPAIGN, program=program, code="half", starts=(now - dt.timedelta(days=1)).isoformat(),
                        ends=(now + dt.timedelta(days=1)).isoformat())
    assert saved.ok()["saveCampaign"] == {"code": "half", "discountBudgetTotal": "6.00",
                                          "discountBudgetPerMember": None}
    await publish(admin, program, "half-rules", [{"code": "half-off", "type": "discount",
                                                  "action": {"percent_off": 50}}], scope="campaign", ref="half")
    first = (await admin(EARN, program=program, number=number, amount="10", reference="h1")).ok()["earn"]
    second = (await admin(EARN, program=program, number=number, amount="10", reference="h2")).ok()["earn"]
    # flat rate (1 per euro) on what was paid: 5.00, then 9.00 (1.00 of the budget was left)
    assert (first["pointsEarned"], second["pointsEarned"]) == (5, 9)
    quote = (await admin(QUOTE, program=program, number=number, amount="10")).ok()["quoteDiscounts"]
    assert (quote["lines"], quote["skipped"]) == ([], [{"rule": "half-off", "reason": "BUDGET_EXHAUSTED"}])


async def test_a_pos_key_may_quote_discounts_and_bad_input_names_the_field(admin, platform, anonymous):
    program = await new_program(admin)
    await publish(admin, program, "base", RULES)
    key = (await admin(CREATE_KEY, program=program, name="till")).ok()["createApiKey"]["apiKey"]
    pos = GraphQLClient(platform.url, api_key=key)
    try:
        quote = (await pos(QUOTE, program=program, amount="20.00")).ok()["quoteDiscounts"]
        assert quote["netAmount"] == "18.00"
        refused = await pos(QUOTE, program=program, amount="-3")
        assert refused.codes == ["INVALID_INPUT"] and refused.errors[0]["extensions"]["field"] == "amount"
    finally:
        await pos.aclose()
    assert (await anonymous(QUOTE, program=program, amount="20.00")).codes == ["UNAUTHENTICATED"]
