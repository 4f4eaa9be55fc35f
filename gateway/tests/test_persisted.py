"""Persisted operations' registry, without servers (tests/e2e/test_gateway_persisted.py runs them live)."""

import pytest
from graphql import GraphQLError, parse

from gateway.persisted import PersistedOperations, count_tokens, persisted_hash, sha256
from gateway.schema import schema
from gateway.settings import GatewaySettings

ENQUIRE = "query($p: String!, $n: String!) { enquire(program: $p, loyaltyNumber: $n) { availablePoints } }"


def registry(**settings) -> PersistedOperations:
    return PersistedOperations(schema, settings_with(**settings), max_entries=3)


def settings_with(**values) -> GatewaySettings:
    defaults = {name: field.default for name, field in GatewaySettings.model_fields.items()
                if field.default_factory is None}
    return GatewaySettings.model_construct(**{**defaults, **values})


def test_the_token_count_is_the_parsers():
    text = ENQUIRE + "  # a comment is not a token\n"
    tokens = count_tokens(text)
    parse(text, max_tokens=tokens)
    with pytest.raises(GraphQLError):
        parse(text, max_tokens=tokens - 1)


def test_a_valid_document_is_kept_with_its_measures_and_the_till_deadline():
    operations = registry()
    plan = operations.register(sha256(ENQUIRE), ENQUIRE, kind="api_key")
    assert operations.get(sha256(ENQUIRE)) is plan
    assert plan.stats.root_fields == {"enquire"} and plan.tokens == count_tokens(ENQUIRE)
    assert plan.deadline == settings_with().till_deadline_seconds
    assert set(plan.operations) == {None}


@pytest.mark.parametrize("text", [
    "{ enquire(",  # not a document
    "{ noSuchField }",  # not valid
    "{ __schema { types { name } } }",  # introspection, off
    "query { enquire(program: \"p\", loyaltyNumber: \"n\") { availablePoints } }" + " " * 9000,  # too long
    "{ " + "a { " * 500 + "}" * 500 + " }",  # nested deeper than the parser's recursion
])
def test_what_the_full_path_would_refuse_is_never_kept(text):
    operations = registry()
    assert operations.register(sha256(text), text, kind="staff") is None
    assert operations.get(sha256(text)) is None


def test_a_document_over_the_callers_token_limit_is_not_kept():
    operations = registry(max_tokens={"anonymous": 5, "api_key": 5_000})
    assert operations.register(sha256(ENQUIRE), ENQUIRE, kind="anonymous") is None
    assert operations.register(sha256(ENQUIRE), ENQUIRE, kind="api_key") is not None


def test_the_registry_is_bounded():
    operations = registry()
    texts = [ENQUIRE + f"# {i}" for i in range(4)]
    for text in texts:
        operations.register(sha256(text), text, kind="staff")
    assert operations.get(sha256(texts[-1])) is not None
    assert sum(operations.get(sha256(t)) is not None for t in texts) <= 3


def test_the_hash_is_read_from_apollos_extension_only():
    assert persisted_hash({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "AB"}}}) == "ab"
    for body in ({}, {"extensions": None}, {"extensions": {"persistedQuery": "x"}},
                 {"extensions": {"persistedQuery": {"sha256Hash": 3}}}):
        assert persisted_hash(body) is None


class FakeView:
    """What run_plan asks of LoyaltyGraphQL, with a caller of the given kind."""

    def __init__(self, *, kind: str | None, settings):
        from types import SimpleNamespace

        from gateway.app import LoyaltyGraphQL

        self.schema, self.settings = schema, settings
        self._principal = None if kind is None else SimpleNamespace(kind=kind, subject="s")
        self.process_result = LoyaltyGraphQL.process_result.__get__(self)
        self.create_response = LoyaltyGraphQL.create_response.__get__(self)
        self.get_sub_response = LoyaltyGraphQL.get_sub_response.__get__(self)
        self.encode_json = LoyaltyGraphQL.encode_json.__get__(self)

    async def identify(self, request):
        return self._principal, None

    async def get_context(self, request, response):
        from types import SimpleNamespace

        return SimpleNamespace(principal=self._principal, audit=None, settings=self.settings)


async def test_a_plan_runs_without_strawberrys_execute_and_takes_the_full_path_past_the_callers_limits():
    import json
    from types import SimpleNamespace

    from gateway.persisted import run_plan

    text = "query Q { __typename }"
    settings = settings_with(max_tokens={"anonymous": 3, "api_key": 5_000})
    operations = PersistedOperations(schema, settings)
    plan = operations.register(sha256(text), text, kind="api_key")
    request = SimpleNamespace(_body=b"{}")
    response = await run_plan(FakeView(kind="api_key", settings=settings), request, plan, {"variables": {}})
    assert json.loads(response.body) == {"data": {"__typename": "Query"}}
    assert request._body == b"{}"
    # over the anonymous token limit: None, and the body now holds the text for the full path to refuse
    assert await run_plan(FakeView(kind=None, settings=settings), request, plan, {"variables": {}}) is None
    assert json.loads(request._body)["query"] == text
    # an operation name the document lacks: the full path answers it
    assert await run_plan(FakeView(kind="api_key", settings=settings), request, plan,
                          {"operationName": "Other"}) is None
