"""Points computed at the till from synced rules: exact where the rules allow it, flagged otherwise."""

import datetime as dt
from decimal import Decimal

from store_agent.offline_rules import estimate

TUESDAY_NOON = dt.datetime(2026, 12, 1, 11, 0, tzinfo=dt.timezone.utc)  # 12:00 in Madrid


def synced(*rule_sets, campaigns=()):
    return {"program": {"currency": "EUR", "timezone": "Europe/Madrid"},
            "ruleSets": [{"code": f"s{i}", "scope": scope, "scopeRef": ref, "publishedVersion": 1,
                          "publishedRules": rules, "archived": False} for i, (scope, ref, rules) in enumerate(rule_sets)],
            "campaigns": list(campaigns)}


def run(rules, amount="23.40", items=(), location="madrid-01"):
    return estimate(rules, amount=Decimal(amount), currency="EUR", channel="pos", location=location,
                    items=list(items), at=TUESDAY_NOON, base_rate=Decimal(1))


def test_without_published_rules_the_base_rate_applies_exactly():
    e = run(synced())
    assert (e.points, e.exact) == (23, True)


def test_never_synced_is_an_estimate_that_says_so():
    e = run(None)
    assert (e.points, e.exact) == (23, False) and "never synced" in e.reasons[0]


def test_rates_multipliers_bonuses_conditions_and_overrides():
    rules = synced(
        ("program", None, [{"code": "base", "action": {"points_per_unit": 2}},
                           {"code": "tuesday", "condition": {"==": [{"var": "weekday"}, "tuesday"]},
                            "action": {"multiplier": 2}},
                           {"code": "coffee", "action": {"points_per_item": 5, "items": {"skus": ["COFFEE"]}}}]),
        ("location", "madrid-01", [{"code": "store-bonus", "condition": {">=": [{"var": "amount"}, 20]},
                                    "action": {"fixed_bonus": 10}}]),
        ("location", "other", [{"code": "elsewhere", "action": {"fixed_bonus": 99}}]),
        ("campaign", "xmas", [{"code": "xmas-rate", "mode": "override", "action": {"points_per_unit": 3}}]),
        campaigns=[{"code": "xmas", "startsAt": "2026-11-30T00:00:00Z", "endsAt": "2026-12-31T00:00:00Z",
                    "segments": [], "tiers": [], "clubs": [], "partners": [], "locations": []}])
    e = run(rules, items=[{"sku": "COFFEE", "quantity": "2", "price": "2.50"}])
    # the campaign's rate overrides the base rates (both rate kind, lower level): 3 x 23.40 = 70;
    # the program's multiplier 2 adds 70; the store's bonus adds 10
    assert e.exact, e.reasons
    assert [(x["rule"], x["points"]) for x in e.lines] == [("xmas-rate", 70), ("tuesday", 70), ("store-bonus", 10)]
    assert e.points == 150


def test_what_needs_the_member_or_the_database_makes_an_estimate():
    rules = synced(
        ("program", None, [{"code": "base", "action": {"points_per_unit": 1, "cap_per_day": 500}},
                           {"code": "gold", "condition": {"in": ["gold", {"var": "tiers"}]},
                            "action": {"fixed_bonus": 50}},
                           {"code": "tiered", "action": {"multiplier": "tier"}}]),
        ("tier", "gold", [{"code": "gold-rate", "action": {"points_per_unit": 1}}]))
    e = run(rules)
    assert e.points == 23 and not e.exact
    text = " ".join(e.reasons)
    for expected in ("capped per day", "reads the member's tiers", "multiplied by the member's tier",
                     "applies by the member's tier"):
        assert expected in text


def test_an_unknown_operator_is_never_guessed():
    rules = synced(("program", None, [{"code": "base", "action": {"points_per_unit": 1}},
                                      {"code": "odd", "condition": {"reduce": [[1], {"+": [1, 1]}, 0]},
                                       "action": {"fixed_bonus": 5}}]))
    e = run(rules)
    assert (e.points, e.exact) == (23, False) and "operator 'reduce'" in e.reasons[0]
