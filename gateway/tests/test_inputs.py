"""Planned inputs (gateway/inputs.py) build the same values as Strawberry's generic conversion."""

import dataclasses

import pytest
from strawberry.types.arguments import InputContext, convert_argument

from gateway.points.types import BasketItemInput, EarnInput, RedeemInput
from gateway.schema import schema

EARN_VALUES = [
    {"program": "p", "loyaltyNumber": "n", "amount": "12.50", "currency": "EUR", "reference": "r"},
    {"program": "p", "loyaltyNumber": "n", "amount": "1", "currency": "EUR", "reference": "r", "pending": True,
     "partnerCode": None, "locationCode": "s1", "channel": "pos", "occurredAt": "2026-01-01T00:00:00Z",
     "orderReference": "o", "items": [{"sku": "a", "quantity": "2", "price": "3.5"}, {"category": "c"}]},
    {"program": "p", "loyaltyNumber": "n", "amount": "1", "currency": "EUR", "reference": "r", "items": None},
    {"program": "p", "loyaltyNumber": "n", "amount": "1", "currency": "EUR", "reference": "r", "items": []},
]
REDEEM_VALUES = [
    {"program": "p", "loyaltyNumber": "n", "reference": "r", "points": 1},
    {"program": "p", "loyaltyNumber": "n", "reference": "r", "points": None, "transactionValue": "9.99",
     "currency": "EUR", "otp": "123456", "reason": "x", "partnerCode": "pc", "locationCode": "l",
     "orderReference": "o", "channel": "app"},
]


def generic(cls, value):
    """Strawberry's own conversion: the same definitions without the planned hooks."""
    definitions = [c.__strawberry_definition__ for c in (cls, BasketItemInput)]
    hooks = [d.from_input for d in definitions]
    try:
        for definition in definitions:
            definition.from_input = None
        return planned(cls, value)
    finally:
        for definition, hook in zip(definitions, hooks, strict=True):
            definition.from_input = hook


def planned(cls, value):
    return convert_argument(value, cls, schema.schema_converter.scalar_registry, schema.config)


@pytest.mark.parametrize(("cls", "value"),
                         [(EarnInput, v) for v in EARN_VALUES] + [(RedeemInput, v) for v in REDEEM_VALUES])
def test_a_planned_input_is_the_same_value_as_strawberrys(cls, value):
    assert cls.__strawberry_definition__.from_input is not None
    mine, theirs = planned(cls, value), generic(cls, value)
    assert mine == theirs
    assert dataclasses.asdict(mine) == dataclasses.asdict(theirs)
    for item in getattr(mine, "items", None) or ():
        assert type(item) is BasketItemInput


def test_nested_inputs_get_their_path():
    seen = []
    original = BasketItemInput.__strawberry_definition__.from_input

    def spy(type_, value, context: InputContext):
        seen.append(context.path)
        return original(type_, value, context)

    BasketItemInput.__strawberry_definition__.from_input = spy
    try:
        planned(EarnInput, EARN_VALUES[1])
    finally:
        BasketItemInput.__strawberry_definition__.from_input = original
    assert seen == [("items", 0), ("items", 1)]
