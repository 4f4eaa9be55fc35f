"""Documents cached by text: bad documents are refused every time, good ones run with their own variables."""

import pytest
import strawberry
from strawberry.schema.exceptions import CannotGetOperationTypeError

from gateway.document_cache import DocumentCache


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, name: str = "you") -> str:
        return f"hello {name}"


SCHEMA = strawberry.Schema(Query, extensions=[DocumentCache])


async def test_a_bad_document_is_refused_each_time():
    for _ in range(2):
        result = await SCHEMA.execute("{ goodbye }")
        assert result.data is None
        assert [e.message for e in result.errors] == ["Cannot query field 'goodbye' on type 'Query'."]


async def test_a_good_document_runs_each_time_with_its_own_variables():
    query = "query($n: String!) { hello(name: $n) }"
    assert (await SCHEMA.execute(query, variable_values={"n": "Ana"})).data == {"hello": "hello Ana"}
    assert (await SCHEMA.execute(query, variable_values={"n": "Luis"})).data == {"hello": "hello Luis"}
    missing = await SCHEMA.execute(query, variable_values={})
    assert missing.errors  # variables are checked per request, not cached with the document


async def test_a_syntax_error_is_reported_each_time():
    for _ in range(2):
        result = await SCHEMA.execute("{ hello(")
        assert result.data is None and "Syntax Error" in result.errors[0].message


async def test_an_unknown_operation_name_is_refused_with_a_cached_document():
    query = "query A { hello } query B { hello }"
    assert (await SCHEMA.execute(query, operation_name="A")).data == {"hello": "hello you"}
    assert (await SCHEMA.execute(query, operation_name="B")).data == {"hello": "hello you"}
    with pytest.raises(CannotGetOperationTypeError):  # as without the cache (the HTTP view answers 400)
        await SCHEMA.execute(query, operation_name="C")
