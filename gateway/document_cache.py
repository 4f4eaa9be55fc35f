"""Each distinct document text parsed and validated once, in one extension hook.

Strawberry's ParserCache and ValidationCache are two extensions, so two hooks wrapped into context
managers on every request, and ValidationCache keys its cache on the parsed document, whose hash
walks the whole syntax tree each time: together a good part of the gateway's own CPU per search. A
document's text (with the parse options) determines the document, and validation depends only on
the document, the schema and the rules, so those are the key here. On a miss Strawberry parses as
usual (and reports a syntax error as usual); the document is then validated and kept. The
operation-type check still runs between parsing and the validation result being reported.
"""

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

MAX_ENTRIES = 512
_documents: dict[tuple, tuple] = {}  # key -> (document, validation errors)


class DocumentCache(SchemaExtension):
    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.query is None or ctx.graphql_document is not None or not ctx.validation_rules:
            yield  # nothing to key on, or nothing to check: Strawberry's way
            return
        key = (ctx.schema._schema, ctx.query, tuple(ctx.validation_rules), tuple(sorted(ctx.parse_options.items())))
        known = _documents.get(key)
        if known is not None:
            ctx.graphql_document, ctx.pre_execution_errors = known
            yield
            return
        yield  # Strawberry parses
        if ctx.graphql_document is None:  # a syntax error, already reported
            return
        errors = validate_document(ctx.schema._schema, ctx.graphql_document, ctx.validation_rules)
        if len(_documents) >= MAX_ENTRIES:  # bounded: clients may send any text
            _documents.clear()
        _documents[key] = (ctx.graphql_document, errors)
        ctx.pre_execution_errors = errors
