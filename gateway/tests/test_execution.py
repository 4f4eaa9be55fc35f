"""Plain scalar fields read directly give what graphql-core gives: values, nulls, errors and paths."""

import enum

import pytest
import strawberry
from strawberry.permission import BasePermission

from gateway.execution import PlainFieldExecutionContext, _plan_for
from gateway.schema import schema as gateway_schema


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Never(BasePermission):
    message = "no"

    def has_permission(self, source, info, **kwargs) -> bool:
        return False


@strawberry.type
class Item:
    name: str
    note: str | None
    colour: Colour
    count: int
    secret: str = strawberry.field(default="s", permission_classes=[Never])

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()


class Row:  # a source that is not an Item, as a MemberRecord is not a Member
    def __init__(self, name, note=None, colour=Colour.RED, count=1):
        self.name, self.note, self.colour, self.count, self.secret = name, note, colour, count, "s"


ROWS = {"good": [Row("a", "n"), Row("b", None, Colour.BLUE, 2)],
        "null_name": [Row("a"), Row(None), Row("c")],
        "bad_count": [Row("a", count="many")]}


@strawberry.type
class Query:
    @strawberry.field
    def items(self, kind: str) -> list[Item]:
        return ROWS[kind]

    @strawberry.field
    async def first(self, kind: str) -> Item | None:
        return ROWS[kind][-1]


PLAIN = strawberry.Schema(Query, execution_context_class=PlainFieldExecutionContext)
STANDARD = strawberry.Schema(Query)


QUERIES = [
    '{ items(kind: "good") { name note colour count shout } }',
    '{ items(kind: "good") { name n2: name count } first(kind: "good") { note colour } }',
    '{ items(kind: "null_name") { name count } }',
    '{ items(kind: "null_name") { count note } first(kind: "null_name") { name } }',
    '{ items(kind: "bad_count") { count } }',
    '{ items(kind: "good") { name secret } }',
    '{ items(kind: "good") { name ... on Item { colour } } }',
]


@pytest.mark.parametrize("query", QUERIES)
async def test_same_answer_as_graphql_core(query):
    fast, slow = await PLAIN.execute(query), await STANDARD.execute(query)
    assert fast.data == slow.data
    assert [(e.message, e.path) for e in fast.errors or []] == [(e.message, e.path) for e in slow.errors or []]


async def test_a_null_in_a_non_null_field_is_located():
    result = await PLAIN.execute('{ items(kind: "null_name") { name } }')
    assert result.data is None
    assert [e.path for e in result.errors] == [["items", 1, "name"]]


def test_the_member_fields_a_search_asks_for_are_plain():
    """If Strawberry changes how it marks a basic field, this fails instead of the gateway slowing down."""
    plan = _plan_for(gateway_schema._schema.get_type("Member"))
    assert all(plan[name] is not None for name in ("loyaltyNumber", "firstName", "lastName", "email", "phone",
                                                    "status", "birthDate", "mergedInto"))
    assert plan["points"] is None and plan["consents"] is None  # resolvers and objects go the usual way
