"""Each distinct document text parsed and validated once, in one extension hook.

Strawberry's ParserCache and ValidationCache are two extensions, so two hooks wrapped into context
managers on every request, and ValidationCache keys its cache on the parsed document, whose hash
walks the whole syntax tree each time: together a good part of the gateway's own CPU per search. A
document's text (with the parse options) determines the document, and validation depends only on
the document, the schema and the rules, so those are the key here. On a miss Strawberry parses as
usual (and reports a syntax error as usual); the document is then validated and kept. The
operation-type check still runs between parsing and the validation result being reported.

A long document (a hostile one, within the limits) is parsed, validated and measured in a worker
thread, one at a time: the event loop keeps its share of the interpreter meanwhile, so the earns
queued behind it wait a few milliseconds, not the whole parse (bench/faults.py, p99 with a bomb).
"""

import asyncio

from collections.abc import AsyncIterator

from graphql import parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

MAX_ENTRIES = 512
LONG_DOCUMENT = 8_192  # characters: parsed off the event loop
_documents: dict[tuple, tuple] = {}  # key -> (document, validation errors)
_long_parses: asyncio.Semaphore | None = None


def _parse_and_validate(schema, query: str, rules: tuple, parse_options: dict) -> tuple:
    from gateway.limits import document_stats

    document = parse(query, **parse_options)
    errors = validate_document(schema, document, rules)
    if not errors:
        document_stats(document)  # measured here too, off the loop (kept by document)
    return document, errors


class DocumentCache(SchemaExtension):
    async def on_parse(self) -> AsyncIterator[None]:
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
        if len(ctx.query) >= LONG_DOCUMENT:
            global _long_parses
            if _long_parses is None:
                _long_parses = asyncio.Semaphore(1)
            async with _long_parses:  # a syntax error is raised here and reported as Strawberry's own
                ctx.graphql_document, errors = await asyncio.to_thread(
                    _parse_and_validate, ctx.schema._schema, ctx.query, tuple(ctx.validation_rules),
                    dict(ctx.parse_options))
            ctx.pre_execution_errors = errors  # not kept: long documents are not the repeating POS ones
            yield
            return
        yield  # Strawberry parses
        if ctx.graphql_document is None:  # a syntax error, already reported
            return
        errors = validate_document(ctx.schema._schema, ctx.graphql_document, ctx.validation_rules)
        self._keep(key, ctx.graphql_document, errors)

    def _keep(self, key: tuple, document, errors) -> None:
        if len(_documents) >= MAX_ENTRIES:  # bounded: clients may send any text
            _documents.clear()
        _documents[key] = (document, errors)
        self.execution_context.pre_execution_errors = errors
