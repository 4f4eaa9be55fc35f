"""Discount scenarios, table-driven: rule sets + one basket -> the money each discount takes off.

Pure evaluation (discounts.py); budgets, quotes and the earn path on PostgreSQL are in
test_rules_discounts_ledger.py.
"""

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from services.points.rules import discounts, evaluation
from services.points.rules.evaluation import Counter, Facts, Item
from services.points.rules.tests.test_rules_scenarios import CAMPAIGN, INSIDE_CAMPAIGN, MONDAY_NOON, rule_set, txn

COFFEE = Item("COFFEE", "drinks", Decimal(2), Decimal("2.50"))   # 5.00
BAGEL = Item("BAGEL", "food", Decimal(1), Decimal("4.00"))       # 4.00
JUICE = Item("JUICE", "drinks", Decimal(1), Decimal("3.00"))     # 3.00
BASKET = [COFFEE, BAGEL, JUICE]                                   # 12.00


def discount(code: str, mode: str = "stack", condition=None, priority: int = 0, **action) -> dict:
    rule = {"code": code, "type": "discount", "mode": mode, "priority": priority, "action": action}
    if condition is not None:
        rule["condition"] = condition
    return rule


@dataclasses.dataclass
class Scenario:
    name: str
    sets: list
    transaction: evaluation.Transaction
    expected: dict  # rule -> money off, as a string
    net: str
    item_off: tuple = ()  # per basket line, when it matters
    used: dict | None = None


SCENARIOS = [
    Scenario("10% off the basket", [rule_set("base", [discount("ten", percent_off=10)])],
             txn("12.00", items=BASKET), {"ten": "1.20"}, "10.80"),
    Scenario("percent rounded half up to the cent", [rule_set("base", [discount("third", percent_off="33.333")])],
             txn("10.01"), {"third": "3.34"}, "6.67"),
    Scenario("percent rounded down when the rule says floor",
             [rule_set("base", [discount("third", percent_off="33.333", rounding="floor")])],
             txn("10.01"), {"third": "3.33"}, "6.68"),
    Scenario("a fixed amount off one sku", [rule_set("base", [discount("coffee", amount_off="1.50",
                                                                        items={"skus": ["COFFEE"]})])],
             txn("12.00", items=BASKET), {"coffee": "1.50"}, "10.50", item_off=("1.50", "0", "0")),
    Scenario("a fixed amount off each unit of a sku", [rule_set("base", [discount(
        "coffee", amount_off="0.50", per_unit=True, items={"skus": ["COFFEE"]})])],
             txn("12.00", items=BASKET), {"coffee": "1.00"}, "11.00"),
    Scenario("a category discount spreads over its lines in proportion",
             [rule_set("base", [discount("drinks", percent_off=20, items={"categories": ["drinks"]})])],
             txn("12.00", items=BASKET), {"drinks": "1.60"}, "10.40", item_off=("1.00", "0", "0.60")),
    Scenario("a minimum basket not reached gives nothing",
             [rule_set("base", [discount("big", amount_off=5, min_amount=50)])], txn("49.99"), {}, "49.99"),
    Scenario("a minimum basket reached", [rule_set("base", [discount("big", amount_off=5, min_amount=50)])],
             txn("50.00"), {"big": "5.00"}, "45.00"),
    Scenario("a minimum on the items named: the drinks come to 8.00",
             [rule_set("base", [discount("drinks", amount_off=2, min_amount=10, items={"categories": ["drinks"]})])],
             txn("12.00", items=BASKET), {}, "12.00"),
    Scenario("never beyond the price of the item", [rule_set("base", [discount("bagel", amount_off=10,
                                                                               items={"skus": ["BAGEL"]})])],
             txn("12.00", items=BASKET), {"bagel": "4.00"}, "8.00"),
    Scenario("never beyond the basket", [rule_set("base", [discount("ten", amount_off=10)])], txn("6.00"),
             {"ten": "6.00"}, "0.00"),
    Scenario("max_amount caps a percent", [rule_set("base", [discount("half", percent_off=50, max_amount=20)])],
             txn("100"), {"half": "20.00"}, "80.00"),
    Scenario("no matching item, no discount", [rule_set("base", [discount("tea", percent_off=50,
                                                                          items={"skus": ["TEA"]})])],
             txn("12.00", items=BASKET), {}, "12.00"),
    Scenario("outside the campaign's window nothing applies",
             [rule_set("bf", [discount("bf", percent_off=30)], scope="campaign", ref="black-friday",
                       campaign=CAMPAIGN)], txn("10", MONDAY_NOON), {}, "10"),
    Scenario("inside the campaign's window", [rule_set("bf", [discount("bf", percent_off=30)], scope="campaign",
                                                       ref="black-friday", campaign=CAMPAIGN)],
             txn("10", INSIDE_CAMPAIGN), {"bf": "3.00"}, "7.00"),
    Scenario("a condition: web orders only", [rule_set("base", [discount(
        "web", percent_off=5, condition={"==": [{"var": "channel"}, "web"]})])], txn("10", channel="pos"), {}, "10"),
    Scenario("stacking: each on what the one before left (campaign first)",
             [rule_set("base", [discount("ten", percent_off=10)]),
              rule_set("bf", [discount("bf", percent_off=50)], scope="campaign", ref="black-friday",
                       campaign=CAMPAIGN)],
             txn("100", INSIDE_CAMPAIGN), {"bf": "50.00", "ten": "5.00"}, "45.00"),
    Scenario("overriding: the campaign's discount drops the base one",
             [rule_set("base", [discount("ten", percent_off=10)]),
              rule_set("bf", [discount("bf", mode="override", percent_off=20)], scope="campaign", ref="black-friday",
                       campaign=CAMPAIGN)],
             txn("100", INSIDE_CAMPAIGN), {"bf": "20.00"}, "80.00"),
    Scenario("an override of lower precedence does not drop a higher stacking one",
             [rule_set("base", [discount("ten", mode="override", percent_off=10)]),
              rule_set("bf", [discount("bf", percent_off=20)], scope="campaign", ref="black-friday",
                       campaign=CAMPAIGN)],
             txn("100", INSIDE_CAMPAIGN), {"bf": "20.00", "ten": "8.00"}, "72.00"),
    Scenario("stacked item and basket discounts never take more than the price",
             [rule_set("base", [discount("bagel", priority=2, amount_off=3, items={"skus": ["BAGEL"]}),
                                discount("all-bagels", priority=1, percent_off=100, items={"skus": ["BAGEL"]}),
                                discount("basket", amount_off=20)])],
             txn("12.00", items=BASKET), {"bagel": "3.00", "all-bagels": "1.00", "basket": "8.00"}, "0.00"),
    Scenario("a campaign's discount budget left: 2.50 of 10",
             [rule_set("bf", [discount("bf", percent_off=50)], scope="campaign", ref="black-friday",
                       campaign=dataclasses.replace(CAMPAIGN, discount_budget_total=Decimal(10)))],
             txn("20", INSIDE_CAMPAIGN), {"bf": "2.50"}, "17.50",
             used={Counter("discount_total", "black-friday", member=False): 750}),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_discount_scenario(scenario: Scenario):
    # given the rule sets and a basket; when its discounts are evaluated
    result = discounts.evaluate(scenario.sets, scenario.transaction, Facts(), budget_used=scenario.used or {})
    # then each discount takes the expected amount, and the net is what is left to pay
    assert {line.rule: str(line.amount) for line in result.lines} == scenario.expected
    assert result.net == Decimal(scenario.net)
    assert result.total == sum((Decimal(v) for v in scenario.expected.values()), Decimal(0))
    if scenario.item_off:
        assert tuple(result.item_off) == tuple(Decimal(v) for v in scenario.item_off)


def test_points_are_earned_on_the_amount_after_discount():
    sets = [rule_set("base", [{"code": "ten-per-euro", "action": {"points_per_unit": "10"}},
                              {"code": "coffee", "action": {"points_per_unit": "1", "items": {"skus": ["COFFEE"]}}},
                              discount("coffee-off", amount_off=1, items={"skus": ["COFFEE"]}),
                              discount("ten", percent_off=10)])]
    basket = txn("12.00", items=BASKET)
    off = discounts.evaluate(sets, basket, Facts())
    assert (off.total, off.net) == (Decimal("2.10"), Decimal("9.90"))  # 1.00, then 10% of 11.00
    paid = off.net_transaction(basket)
    result = evaluation.evaluate(sets, paid, Facts())
    # 10 per euro on 9.90; 1 per euro on the coffee's 4.00 left (its price after its own discount)
    assert {line.rule: line.points for line in result.lines} == {"ten-per-euro": 99, "coffee": 4}


def test_each_discount_line_names_its_version_what_it_applies_to_and_why_others_gave_nothing():
    sets = [rule_set("base", [discount("drinks", percent_off=10, items={"categories": ["drinks"]}),
                              discount("tea", percent_off=10, items={"skus": ["TEA"]}),
                              discount("big", amount_off=5, min_amount=100)], version=4)]
    result = discounts.evaluate(sets, txn("12.00", at=dt.datetime(2026, 11, 23, 12, tzinfo=dt.timezone.utc),
                                          items=BASKET), Facts())
    (line,) = result.lines
    assert (line.rule_version, line.applies_to, line.skus, str(line.amount)) == (
        "base@v4", "items", ("COFFEE", "JUICE"), "0.80")
    assert {(s.rule, s.reason) for s in result.skipped} == {("tea", discounts.NO_MATCHING_ITEMS),
                                                           ("big", discounts.MIN_AMOUNT_NOT_REACHED)}


BAD_DISCOUNTS = [
    ({"code": "d", "type": "discount", "action": {}}, "exactly one of percent_off or amount_off"),
    ({"code": "d", "type": "discount", "action": {"percent_off": 5, "amount_off": 1}}, "exactly one of"),
    ({"code": "d", "type": "discount", "action": {"percent_off": 150}}, "cannot be more than 100"),
    ({"code": "d", "type": "discount", "action": {"amount_off": 2, "per_unit": True}}, "needs amount_off and action.items"),
    ({"code": "d", "type": "discount", "action": {"amount_off": 5, "max_amount": 2}}, "below amount_off"),
    ({"code": "d", "type": "discount", "action": {"percent_off": 5, "rounding": "up"}}, "'up' is not one of"),
]


@pytest.mark.parametrize(("rule", "message"), BAD_DISCOUNTS, ids=[m for _, m in BAD_DISCOUNTS])
def test_invalid_discount_rules_are_refused(rule, message):
    from services.points.rules import model

    _, problems = model.check_rules([rule])
    assert any(message in str(p) for p in problems), problems
