"""The gateway's limits, error hygiene and Long scalar, without servers (the e2e tests cover them live)."""

import pytest
from graphql import GraphQLError, parse

from gateway.errors import public_error
from gateway.limits import LocalRateLimiter, document_stats, nul_in_variables
from gateway.scalars import parse_long, serialize_long


async def test_a_bucket_allows_its_burst_then_says_how_long_to_wait():
    now = [0.0]
    limiter = LocalRateLimiter(clock=lambda: now[0])
    assert [await limiter.take("k", rate=2, burst=3) for _ in range(3)] == [0, 0, 0]
    assert await limiter.take("k", rate=2, burst=3) == pytest.approx(0.5)
    assert await limiter.take("other", rate=2, burst=3) == 0  # buckets are per key
    now[0] += 0.5
    assert await limiter.take("k", rate=2, burst=3) == 0


def test_cost_counts_page_sizes_and_expands_fragments():
    stats = document_stats(parse("""
        query { a: searchMembers(first: 50) { ...M } b: searchMembers(first: $n) { ...M } }
        fragment M on R { members { id email } }"""))
    # each search: 1 + page * (1 + 2); a variable page counts 100
    assert stats.cost == (1 + 50 * 3) + (1 + 100 * 3)
    assert stats.aliases == 2
    assert stats.root_fields == {"searchMembers"}


def test_mutations_are_counted_through_fragments_and_nul_is_found_by_field():
    stats = document_stats(parse("""
        mutation { earn(input: {program: "a\\u0000"}) { x } ...F }
        fragment F on Mutation { redeem(input: {}) { x } void(input: {}) { x } }"""))
    assert stats.mutations == 3
    assert stats.nul_field == "program"
    assert nul_in_variables({"input": {"items": [{"sku": "ok"}, {"sku": "b\x00"}]}}) == "input.items.sku"
    assert nul_in_variables({"input": {"sku": "fine"}}) is None


def test_a_fragment_cycle_does_not_loop():
    stats = document_stats(parse("query { ...A } fragment A on Query { x ...B } fragment B on Query { y ...A }"))
    assert stats.cost == 2


def test_errors_without_a_code_get_one_and_python_text_never_shows():
    syntax = public_error(GraphQLError("Syntax Error: Unexpected <EOF>."))
    assert syntax["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert public_error(GraphQLError("Syntax Error: Document contains more than 10 tokens. Parsing aborted."))[
        "extensions"]["code"] == "QUERY_TOO_COMPLEX"
    variable = public_error(GraphQLError("Variable '$n' got invalid value 'x'; bad", original_error=ValueError("int()")))
    assert variable["extensions"] == {"code": "INVALID_INPUT", "field": "n"}
    assert "int()" not in variable["message"]
    literal = public_error(GraphQLError("Expected value of type 'Long!', found \"x\"; invalid literal for int()",
                                       original_error=ValueError("invalid literal for int()")))
    assert literal["message"] == "Expected value of type 'Long!', found \"x\"."
    fault = public_error(GraphQLError("'str' object has no attribute 'pop'", path=["_entities", 0],
                                      original_error=AttributeError("'str' object has no attribute 'pop'")))
    assert fault == {"message": "internal error", "extensions": {"code": "INTERNAL"}, "path": ["_entities", 0]}
    coded = GraphQLError("nope", extensions={"code": "FORBIDDEN"})
    assert public_error(coded)["extensions"]["code"] == "FORBIDDEN"


def test_long_holds_64_bit_numbers_and_refuses_anything_else():
    assert parse_long(3_000_000_000) == 3_000_000_000
    assert parse_long("-9223372036854775808") == -(2**63)
    for bad in (2**63, "1.5", "x", True, 1.0, None):
        with pytest.raises(GraphQLError):
            parse_long(bad)
    assert serialize_long(2**40) == 2**40
    with pytest.raises(TypeError):
        serialize_long(2**63)
