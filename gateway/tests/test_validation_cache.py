"""Validation cached by document text: a bad document is refused every time, a good one runs."""

import strawberry

from gateway.validation_cache import ValidationCacheByText


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, name: str = "you") -> str:
        return f"hello {name}"


SCHEMA = strawberry.Schema(Query, extensions=[ValidationCacheByText])


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
