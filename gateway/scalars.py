"""Long: points and other counts that may pass 2^31 (GraphQL's Int is 32-bit).

Sent as a JSON number, so clients read it as they read an Int; it holds any signed 64-bit integer,
which JavaScript reads exactly up to 2^53 - 1 (the ledger's per-posting maximum keeps balances far
below that). Inputs accept a number or a string of digits.
"""

import re
from typing import NewType

import strawberry
from graphql import GraphQLError

MIN, MAX = -(2**63), 2**63 - 1
_DIGITS = re.compile(r"-?[0-9]{1,19}")


def parse_long(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise GraphQLError("Long must be a whole number")
    if isinstance(value, str):
        if not _DIGITS.fullmatch(value):
            raise GraphQLError("Long must be a whole number")
        value = int(value)
    if not MIN <= value <= MAX:
        raise GraphQLError("Long must be between -2^63 and 2^63-1")
    return value


def serialize_long(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not MIN <= value <= MAX:
        raise TypeError(f"not a 64-bit integer: {type(value).__name__}")  # a fault of ours: answered INTERNAL
    return value


Long = NewType("Long", int)

SCALAR_MAP = {
    Long: strawberry.scalar(name="Long", serialize=serialize_long, parse_value=parse_long,
                            description="A signed 64-bit whole number (points, counts), sent as a JSON number."),
}
