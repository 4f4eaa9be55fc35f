"""Rule scenarios, table-driven: rule sets + one transaction + the member's facts -> points per rule.

The evaluation is a pure function; what the ledger records is tested in test_rules_ledger.py.
"""

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from services.points.rules import evaluation, model
from services.points.rules.evaluation import Campaign, Counter, Facts, Item, RuleSet, Transaction

TZ = "Europe/Madrid"
# Tuesday 24 November 2026 in Madrid (UTC+1) runs from Monday 23:00 UTC to Tuesday 23:00 UTC.
MONDAY_NOON = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.timezone.utc)
TUESDAY_0030_MADRID = dt.datetime(2026, 11, 23, 23, 30, tzinfo=dt.timezone.utc)  # still Monday in UTC
TUESDAY_2330_MADRID = dt.datetime(2026, 11, 24, 22, 30, tzinfo=dt.timezone.utc)
WEDNESDAY_0030_MADRID = dt.datetime(2026, 11, 24, 23, 30, tzinfo=dt.timezone.utc)  # still Tuesday in UTC

BASE = [{"code": "ten-per-euro", "action": {"points_per_unit": "10"}}]
TUESDAY_DOUBLE = [{"code": "double-tuesday", "condition": {"==": [{"var": "weekday"}, "tuesday"]},
                   "action": {"multiplier": 2}}]
CAMPAIGN = Campaign(code="black-friday", starts_at=dt.datetime(2026, 11, 27, tzinfo=dt.timezone.utc),
                    ends_at=dt.datetime(2026, 11, 30, tzinfo=dt.timezone.utc), targets={})
INSIDE_CAMPAIGN = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.timezone.utc)


def rule_set(code, rules, scope="program", ref="", campaign=None, version=1) -> RuleSet:
    return RuleSet(code=code, version=version, scope=scope, scope_ref=ref, rules=tuple(model.compile_rules(rules)),
                   campaign=campaign)


def txn(amount="10", at=MONDAY_NOON, partner="", items=(), location="", channel="pos") -> Transaction:
    return Transaction(amount=Decimal(amount), currency="EUR", occurred_at=at, timezone=TZ, partner=partner,
                       items=tuple(items), location=location, channel=channel)


@dataclasses.dataclass
class Scenario:
    name: str
    sets: list
    transaction: Transaction
    expected: dict  # rule code -> points
    facts: Facts = Facts()
    used: dict = dataclasses.field(default_factory=dict)


SCENARIOS = [
    Scenario("10 points per euro", [rule_set("base", BASE)], txn("12.50"), {"ten-per-euro": 125}),
    Scenario("rounding half up", [rule_set("base", [{"code": "r", "action": {"points_per_unit": "1.5",
                                                                               "rounding": "half_up"}}])],
             txn("3"), {"r": 5}),
    Scenario("double on Tuesday in Madrid, though Monday in UTC",
             [rule_set("base", BASE + TUESDAY_DOUBLE)], txn("10", TUESDAY_0030_MADRID),
             {"ten-per-euro": 100, "double-tuesday": 100}),
    Scenario("late Tuesday in Madrid is still Tuesday", [rule_set("base", BASE + TUESDAY_DOUBLE)],
             txn("10", TUESDAY_2330_MADRID), {"ten-per-euro": 100, "double-tuesday": 100}),
    Scenario("no double on Wednesday in Madrid, though Tuesday in UTC", [rule_set("base", BASE + TUESDAY_DOUBLE)],
             txn("10", WEDNESDAY_0030_MADRID), {"ten-per-euro": 100}),
    Scenario("a partner-specific rate overrides the base rate at that partner",
             [rule_set("base", BASE),
              rule_set("acme", [{"code": "acme-rate", "mode": "override", "action": {"points_per_unit": "3"}}],
                       scope="partner", ref="acme")],
             txn("10", partner="acme"), {"acme-rate": 30}),
    Scenario("the partner rate does not apply elsewhere",
             [rule_set("base", BASE),
              rule_set("acme", [{"code": "acme-rate", "mode": "override", "action": {"points_per_unit": "3"}}],
                       scope="partner", ref="acme")],
             txn("10", partner="other"), {"ten-per-euro": 100}),
    Scenario("a tier's rule set: 1.5x for gold members",
             [rule_set("base", BASE), rule_set("gold", [{"code": "gold-x1.5", "action": {"multiplier": "1.5"}}],
                                               scope="tier", ref="gold")],
             txn("10"), {"ten-per-euro": 100, "gold-x1.5": 50}, facts=Facts(tiers=("gold",))),
    Scenario("the tier service's own earn multiplier",
             [rule_set("base", BASE + [{"code": "tier-multiplier", "action": {"multiplier": "tier"}}])],
             txn("10"), {"ten-per-euro": 100, "tier-multiplier": 100},
             facts=Facts(tiers=("superking",), tier_multiplier=Decimal("2"))),
    Scenario("a tier condition does not match another tier",
             [rule_set("base", BASE + [{"code": "gold-bonus", "condition": {"==": [{"var": "tier"}, "gold"]},
                                        "action": {"fixed_bonus": 25}}])],
             txn("10"), {"ten-per-euro": 100}, facts=Facts(tiers=("silver",))),
    Scenario("a campaign overrides the base rate inside its window",
             [rule_set("base", BASE),
              rule_set("bf", [{"code": "bf-rate", "mode": "override", "action": {"points_per_unit": "20"}}],
                       scope="campaign", ref="black-friday", campaign=CAMPAIGN)],
             txn("10", INSIDE_CAMPAIGN), {"bf-rate": 200}),
    Scenario("the campaign does nothing outside its window",
             [rule_set("base", BASE),
              rule_set("bf", [{"code": "bf-rate", "mode": "override", "action": {"points_per_unit": "20"}}],
                       scope="campaign", ref="black-friday", campaign=CAMPAIGN)],
             txn("10", MONDAY_NOON), {"ten-per-euro": 100}),
    Scenario("a campaign targeted at a segment skips other members",
             [rule_set("base", BASE),
              rule_set("bf", [{"code": "bf-bonus", "action": {"fixed_bonus": 50}}], scope="campaign",
                       ref="black-friday", campaign=dataclasses.replace(CAMPAIGN, targets={"segments": ["vip"]}))],
             txn("10", INSIDE_CAMPAIGN), {"ten-per-euro": 100}, facts=Facts(segments=("students",))),
    Scenario("stacking: a campaign bonus adds to the base",
             [rule_set("base", BASE),
              rule_set("bf", [{"code": "bf-bonus", "mode": "stack", "action": {"points_per_unit": "5"}}],
                       scope="campaign", ref="black-friday", campaign=CAMPAIGN)],
             txn("10", INSIDE_CAMPAIGN), {"ten-per-euro": 100, "bf-bonus": 50}),
    Scenario("overriding: the same campaign rule replaces the base",
             [rule_set("base", BASE),
              rule_set("bf", [{"code": "bf-bonus", "mode": "override", "action": {"points_per_unit": "5"}}],
                       scope="campaign", ref="black-friday", campaign=CAMPAIGN)],
             txn("10", INSIDE_CAMPAIGN), {"bf-bonus": 50}),
    Scenario("an override keeps rules of other kinds: the tier multiplier applies to the campaign rate",
             [rule_set("base", BASE),
              rule_set("gold", [{"code": "gold-x2", "action": {"multiplier": "2"}}], scope="tier", ref="gold"),
              rule_set("bf", [{"code": "bf-rate", "mode": "override", "action": {"points_per_unit": "20"}}],
                       scope="campaign", ref="black-friday", campaign=CAMPAIGN)],
             txn("10", INSIDE_CAMPAIGN), {"bf-rate": 200, "gold-x2": 200}, facts=Facts(tiers=("gold",))),
    Scenario("a sku bonus: 100 points per coffee bought",
             [rule_set("base", BASE + [{"code": "coffee", "action": {"points_per_item": 100,
                                                                     "items": {"skus": ["COFFEE"]}}}])],
             txn("10", items=[Item("COFFEE", "drinks", Decimal(2), Decimal("2.5")),
                              Item("BAGEL", "food", Decimal(1), Decimal("5"))]),
             {"ten-per-euro": 100, "coffee": 200}),
    Scenario("a category bonus read from the basket with JsonLogic 'some'",
             [rule_set("base", BASE + [{"code": "food-bonus",
                                        "condition": {"some": [{"var": "items"},
                                                               {"==": [{"var": "category"}, "food"]}]},
                                        "action": {"fixed_bonus": 30}}])],
             txn("10", items=[Item("BAGEL", "food", Decimal(1), Decimal("5"))]), {"ten-per-euro": 100, "food-bonus": 30}),
    Scenario("cap per transaction", [rule_set("base", [{"code": "r", "action": {"points_per_unit": "10",
                                                                                "cap_per_transaction": 300}}])],
             txn("50"), {"r": 300}),
    Scenario("cap per day with 150 of 200 already earned today",
             [rule_set("base", [{"code": "r", "action": {"points_per_unit": "10", "cap_per_day": 200}}])],
             txn("10"), {"r": 50},
             used={Counter("rule_day", "base:r", day=dt.date(2026, 11, 23)): 150}),
    Scenario("campaign budget per member", [rule_set("base", BASE),
                                            rule_set("bf", [{"code": "bf-bonus", "action": {"fixed_bonus": 500}}],
                                                     scope="campaign", ref="black-friday",
                                                     campaign=dataclasses.replace(CAMPAIGN, budget_per_member=800))],
             txn("10", INSIDE_CAMPAIGN), {"ten-per-euro": 100, "bf-bonus": 300},
             used={Counter("campaign_member", "black-friday"): 500}),
    Scenario("a react-querybuilder export: and/in/startsWith/between",
             [rule_set("base", BASE + [{"code": "web-promo", "condition": {"and": [
                 {"in": [{"var": "channel"}, ["web", "app"]]}, {"startsWith": [{"var": "location"}, "es-"]},
                 {"<=": [5, {"var": "amount"}, 50]}]}, "action": {"fixed_bonus": 40, "point_type": "promotional"}}])],
             txn("10", channel="web", location="es-mad-1"), {"ten-per-euro": 100, "web-promo": 40}),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_rule_scenario(scenario: Scenario):
    # given the rule sets, the member's facts and what they used already; when a transaction is evaluated
    result = evaluation.evaluate(scenario.sets, scenario.transaction, scenario.facts, used=scenario.used)
    # then each rule gives the expected points, and the total is their sum
    got = {line.rule: line.points for line in result.lines if line.points}
    assert got == scenario.expected
    assert result.points == sum(scenario.expected.values())


def test_each_line_names_its_rule_set_version_point_type_and_campaign():
    sets = [rule_set("base", BASE, version=3),
            rule_set("bf", [{"code": "bf-bonus", "action": {"fixed_bonus": 50, "point_type": "promotional"}}],
                     scope="campaign", ref="black-friday", campaign=CAMPAIGN, version=2)]
    result = evaluation.evaluate(sets, txn("10", INSIDE_CAMPAIGN), Facts())
    lines = {line.rule: line for line in result.lines}
    assert (lines["ten-per-euro"].rule_version, lines["ten-per-euro"].point_type) == ("base@v3", "base")
    assert (lines["bf-bonus"].rule_version, lines["bf-bonus"].point_type, lines["bf-bonus"].campaign_code) == (
        "bf@v2", "promotional", "black-friday")
    assert "10 per EUR" in lines["ten-per-euro"].description


def test_a_rule_needing_an_unavailable_fact_does_not_match_and_says_why():
    sets = [rule_set("base", BASE + [{"code": "tier-multiplier", "action": {"multiplier": "tier"}}])]
    result = evaluation.evaluate(sets, txn("10"), Facts(unavailable=frozenset({"tier"})))
    lines = {line.rule: line for line in result.lines}
    assert result.points == 100
    assert lines["tier-multiplier"].points == 0
    assert "tier service unavailable" in lines["tier-multiplier"].description


def test_only_the_facts_the_rules_read_are_needed():
    plain = [rule_set("base", BASE + TUESDAY_DOUBLE)]
    assert evaluation.needs(plain, txn()) == frozenset()
    with_tier = [*plain, rule_set("gold", [{"code": "g", "action": {"multiplier": 2}}], scope="tier", ref="gold")]
    assert evaluation.needs(with_tier, txn()) == {"tier"}
    birthday = [rule_set("base", [{"code": "b", "condition": {"var": "is_birthday_month"},
                                   "action": {"fixed_bonus": 1}}])]
    assert evaluation.needs(birthday, txn()) == {"member"}
    # a campaign outside its window costs nothing
    segmented = [rule_set("bf", [{"code": "x", "action": {"fixed_bonus": 1}}], scope="campaign", ref="bf",
                          campaign=dataclasses.replace(CAMPAIGN, targets={"segments": ["vip"]}))]
    assert evaluation.needs(segmented, txn(at=MONDAY_NOON)) == frozenset()
    assert evaluation.needs(segmented, txn(at=INSIDE_CAMPAIGN)) == {"segments"}
