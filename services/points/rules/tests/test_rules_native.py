"""Conditions compiled to Python predicates (native.py) agree with datalogic-py on every context."""

import datetime as dt
import random
from decimal import Decimal

import pytest

from services.points.rules import evaluation, model, native
from services.points.rules.evaluation import Facts, Item, Transaction

COMPILED = [
    {"==": [{"var": "weekday"}, "tuesday"]},
    {"!=": [{"var": "channel"}, "web"]},
    {"in": [{"var": "weekday"}, ["saturday", "sunday"]]},
    {"<=": [15, {"var": "hour"}, 17]},
    {"<": [9, {"var": "hour"}, 12]},
    {">=": [{"var": "amount"}, 100]},
    {">": [{"var": "item_count"}, 5]},
    {"==": [{"var": "month"}, 12]},
    {"and": [{"<": [{"var": "hour"}, 11]}, {"in": ["bakery", {"var": "categories"}]}]},
    {"or": [{"==": [{"var": "channel"}, "app"]}, {"in": ["SKU-3", {"var": "skus"}]}]},
    {"!": [{"==": [{"var": "partner"}, ""]}]},
    {"!": {"==": [{"var": "partner"}, "partner-1"]}},
    {"startsWith": [{"var": "location"}, "store-1"]},
    {"endsWith": [{"var": "location"}, "-3"]},
    {"in": ["ore", {"var": "location"}]},
    {"some": [{"var": "items"}, {"==": [{"var": "category"}, "food"]}]},
    {"some": [{"var": "items"}, {"and": [{"==": [{"var": "sku"}, "SKU-1"]}, {">=": [{"var": "quantity"}, 2]}]}]},
    {"none": [{"var": "items"}, {">": [{"var": "price"}, 15]}]},
    {"===": [{"var": "currency"}, "EUR"]},
    {"!==": [{"var": "day_of_week"}, 7]},
]
LEFT_TO_DATALOGIC = [
    {"all": [{"var": "items"}, {"==": [{"var": "category"}, "food"]}]},  # empty list: false in JsonLogic
    {"==": [{"var": "hour"}, "12"]},  # coercion
    {"<": [{"var": "birth_month"}, 5]},  # may be null
    {"==": [{"var": "partner"}, None]},
    {"<": [{"var": "date"}, "2026-12-01"]},
    {"in": [{"var": "tier"}, {"var": "tiers"}]},
    {"var": "is_birthday_month"},
]


def _transactions(count: int) -> list[Transaction]:
    rng = random.Random(11)
    start = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    out = []
    for _ in range(count):
        items = tuple(Item(sku=f"SKU-{rng.randint(0, 5)}", category=rng.choice(["food", "bakery", "drinks", ""]),
                           quantity=Decimal(rng.randint(1, 3)), price=Decimal(rng.randint(0, 2000)) / 100)
                      for _ in range(rng.randint(0, 4)))
        out.append(Transaction(amount=Decimal(rng.randint(0, 20000)) / 100, currency=rng.choice(["EUR", "USD"]),
                               occurred_at=start + dt.timedelta(minutes=rng.randint(0, 60 * 24 * 45)),
                               timezone="Europe/Madrid", channel=rng.choice(["web", "app", "pos", ""]),
                               location=rng.choice(["", "store-1", "store-13", "web-3"]),
                               partner=rng.choice(["", "partner-1", "partner-2"]), items=items))
    return out


@pytest.mark.parametrize("condition", COMPILED, ids=[str(c)[:60] for c in COMPILED])
def test_a_compiled_condition_agrees_with_datalogic(condition):
    rule = model.compile_rules([{"code": "r", "condition": condition, "action": {"fixed_bonus": 1}}])[0]
    assert rule.native is not None
    slow = model.Rule(**{**rule.__dict__, "native": None})
    for txn in _transactions(400):
        values = evaluation.context(txn, Facts())
        assert rule.matches(model.Context(values)) == slow.matches(model.Context(values)), (condition, values)


@pytest.mark.parametrize("condition", LEFT_TO_DATALOGIC, ids=[str(c)[:60] for c in LEFT_TO_DATALOGIC])
def test_conditions_with_coercion_or_nulls_are_left_to_datalogic(condition):
    assert native.compile_predicate(condition) is None
