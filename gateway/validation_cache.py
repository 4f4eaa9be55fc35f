"""Validation results per document text, so a repeated document is validated once.

Strawberry's ValidationCache keys its LRU cache on the parsed document, and hashing a document
walks its whole syntax tree on every request: a few per cent of a search's CPU in the gateway. A
document's text determines the document (ParserCache parses each text once), and validation
depends only on the document, the schema and the rules, so those are the key here.
"""

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

MAX_ENTRIES = 512
_results: dict[tuple, list] = {}


class ValidationCacheByText(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.query is None or not ctx.validation_rules:  # nothing to key on, or to check: Strawberry's way
            yield
            return
        graphql_schema = ctx.schema._schema
        key = (graphql_schema, ctx.query, tuple(ctx.validation_rules))
        errors = _results.get(key)
        if errors is None:
            errors = validate_document(graphql_schema, ctx.graphql_document, ctx.validation_rules)
            if len(_results) >= MAX_ENTRIES:  # bounded: clients may send any text
                _results.clear()
            _results[key] = errors
        ctx.pre_execution_errors = errors
        yield
