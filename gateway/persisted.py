"""Persisted operations: the till sends a hash, the gateway runs the document it keeps for it.

The request carries Apollo's automatic persisted query extension,
`{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}}, "variables": ...}`:
- a known hash runs its plan: the parsed and validated document with its measures (limits, deadline
  path), executed by graphql-core directly, without Strawberry's HTTP view, its execution context and
  its three extension hooks per request (gateway/schema.py);
- an unknown hash answers PERSISTED_QUERY_NOT_FOUND (HTTP 200, as Apollo clients expect): the client
  sends the same request again with `query`, which registers it when the caller is signed in (an
  anonymous one is answered on the full path, so nobody anonymous can fill the bounded registry and
  push the tills' plans out);
- a hash with a `query` whose SHA-256 is another one is refused (PERSISTED_QUERY_MISMATCH, HTTP 400), so
  no caller can bind a hash to a text of its choosing; a text that does not parse or validate is never
  kept, and the request takes the full path, which reports its errors as usual.

A plan holds the document only, nothing of the caller who registered it: every request is checked as
its own. The caller's identity comes from the edge (gateway/limits.py GraphQLEdge: rate limits, body
size); the limits of the caller's kind are the full path's (`document_refusal`; a document over the
caller's token limit takes the full path, which refuses it); every field's permission classes run in
Strawberry's resolvers as always (program, scope, member's own); mutations are audited as
AuditExtension does; faults are logged by the schema's `process_errors`. Anything else (GET, a batch,
an upload, no persistedQuery) is Strawberry's full path, unchanged.
"""

import dataclasses
import hashlib
import json
import logging
import types

from graphql import (
    DocumentNode, GraphQLError, NoSchemaIntrospectionCustomRule, OperationDefinitionNode, execute, specified_rules,
)
from graphql.language.parser import Parser
from graphql import ExecutionResult as GraphQLExecutionResult
from starlette.responses import JSONResponse, Response
from strawberry.execution import optimized_is_awaitable
from strawberry.schema.schema import validate_document
from strawberry.types.graphql import OperationType

from gateway import deadlines
from gateway.errors import GatewayErrorCode, error_body
from gateway.limits import ANONYMOUS, document_refusal, document_stats, per_kind

log = logging.getLogger(__name__)

MAX_ENTRIES = 1_024  # distinct documents kept; a client may send any text, so bounded
MAX_TEXT = 8_192  # characters: longer documents are not the till's, and take the full path
NOT_FOUND = "PersistedQueryNotFound"  # Apollo clients look for this message to re-send with the text


@dataclasses.dataclass(frozen=True, slots=True)
class Plan:
    """What a persisted document needs per request, prepared once."""

    text: str
    document: DocumentNode
    operations: dict[str | None, OperationType]  # by name (None: the only one), to refuse GET-style misuse
    tokens: int  # as graphql-core's parser counts them against a caller's max_tokens
    stats: object  # gateway.limits.DocumentStats
    deadline: float | None  # seconds, from the root fields' path (set per settings)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted_hash(body: dict) -> str | None:
    """The body's `extensions.persistedQuery.sha256Hash`, or None when it names none."""
    extensions = body.get("extensions")
    if not isinstance(extensions, dict):
        return None
    persisted = extensions.get("persistedQuery")
    if not isinstance(persisted, dict):
        return None
    value = persisted.get("sha256Hash")
    return value.lower() if isinstance(value, str) else None


def parse_counting(text: str, *, max_tokens: int) -> tuple[DocumentNode, int]:
    """The document and its tokens as graphql-core's parser counts them against max_tokens (its own
    counter: a trailing comment counts, others do not)."""
    parser = Parser(text, max_tokens=max_tokens)
    document = parser.parse_document()
    return document, parser._token_counter  # noqa: SLF001 - the count the limit is checked against


def count_tokens(text: str) -> int:
    return parse_counting(text, max_tokens=10**9)[1]


class PersistedOperations:
    """Hash -> Plan for the documents clients registered (in this process: every replica learns each
    hash from the first client that sends its text there)."""

    def __init__(self, schema, settings, *, max_entries: int = MAX_ENTRIES):
        self._schema = schema  # the Strawberry schema
        self._settings = settings
        self._max = max_entries
        self._plans: dict[str, Plan] = {}
        rules = tuple(specified_rules)
        if not settings.graphql_introspection:
            rules = (*rules, NoSchemaIntrospectionCustomRule)
        self._rules = rules  # as DocumentLimits sets them on the full path

    def get(self, key: str) -> Plan | None:
        return self._plans.get(key)

    def register(self, key: str, text: str, *, kind: str) -> Plan | None:
        """The plan for a text whose hash the caller checked, when the text parses within the caller's
        token limit and validates; None otherwise (the full path answers)."""
        if len(text) > MAX_TEXT:
            return None
        limit = per_kind(self._settings.max_tokens, kind)
        try:
            document, tokens = parse_counting(text, max_tokens=limit)
            if validate_document(self._schema._schema, document, self._rules):
                return None
        except (GraphQLError, RecursionError):  # a document nested too deeply: the full path refuses it
            return None
        operations = {}
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                name = definition.name.value if definition.name else None
                operations[name] = OperationType(definition.operation.value)
        if len(operations) == 1:
            operations[None] = next(iter(operations.values()))
        stats = document_stats(document)
        plan = Plan(text=text, document=document, operations=operations, tokens=tokens, stats=stats,
                    deadline=deadlines.for_fields(self._settings, stats.root_fields))
        if len(self._plans) >= self._max:
            self._plans.clear()
        self._plans[key] = plan
        return plan


def not_found() -> JSONResponse:
    return JSONResponse(error_body(GatewayErrorCode.PERSISTED_QUERY_NOT_FOUND, NOT_FOUND), status_code=200)


def mismatch() -> JSONResponse:
    return JSONResponse(error_body(GatewayErrorCode.PERSISTED_QUERY_MISMATCH,
                                   "persistedQuery.sha256Hash is not the SHA-256 of query"), status_code=400)


async def run_plan(view, request, plan: Plan, body: dict) -> Response | None:
    """The answer of a persisted operation, or None when it must take the full path (the caller's token
    limit is below the document's, an operation name the document lacks, variables not an object): then
    the request's body is given the document's text, so the full path answers as if it had been sent."""
    response = await _run_plan(view, request, plan, body)
    if response is None and body.get("query") is None:
        request._body = json.dumps({**body, "query": plan.text}).encode()  # Starlette's kept body, read next
    return response


async def _run_plan(view, request, plan: Plan, body: dict) -> Response | None:
    variables = body.get("variables")
    operation_name = body.get("operationName")
    if variables is not None and not isinstance(variables, dict):
        return None
    if operation_name is not None and not isinstance(operation_name, str):
        return None
    operation_type = plan.operations.get(operation_name)
    if operation_type is None or operation_type is OperationType.SUBSCRIPTION:
        return None
    principal, _ = await view.identify(request)
    kind = principal.kind if principal is not None else ANONYMOUS
    settings = view.settings
    if plan.tokens > per_kind(settings.max_tokens, kind):
        return None
    sub_response = await view.get_sub_response(request)
    context = await view.get_context(request, sub_response)
    error = document_refusal(settings, plan.stats, kind=kind, variables=variables)
    schema = view.schema
    if error is not None:
        result = GraphQLExecutionResult(data=None, errors=[error])
    else:
        with deadlines.budget(plan.deadline):
            result = execute(schema._schema, plan.document, root_value=None, context_value=context,
                             variable_values=variables, operation_name=operation_name,
                             is_awaitable=optimized_is_awaitable, executor_class=schema.execution_context_class)
            if optimized_is_awaitable(result):
                result = await result
        if result.errors:
            schema._process_errors(result.errors)
    if operation_type is OperationType.MUTATION:
        audit(view, context, plan=plan, operation_name=operation_name, variables=variables, result=result)
    return view.create_response(response_data=await view.process_result(request, result), sub_response=sub_response)


def audit(view, context, *, plan: Plan, operation_name, variables, result) -> None:
    """The audit entries AuditExtension writes on the full path, from the same facts."""
    from gateway.identity.audit import AuditExtension

    writer = getattr(context, "audit", None)
    if writer is None:
        return
    facts = types.SimpleNamespace(graphql_document=plan.document, operation_name=operation_name,
                                  variables=variables, result=result)
    try:
        AuditExtension._record(facts, context, writer)
    except Exception:  # the audit never breaks an answer already given
        log.exception("could not record audit entries")


def parse_body(raw: bytes) -> dict | None:
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
