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
