"""What one client may ask of the gateway: body size, tokens, aliases, cost, mutations, rate.

Two layers (docs/gateway-limits.md):
- `GraphQLEdge`, in front of the GraphQL view, before any parsing: identifies the caller once, applies
  the rate limits (per signed-in key, per client IP, and for anonymous callers per IP and in total),
  caps the body (smaller for anonymous callers) and lets only a few anonymous requests in at once.
  A refusal is a GraphQL error body with a code: RATE_LIMITED (HTTP 429, Retry-After) or
  REQUEST_TOO_LARGE (HTTP 413).
- `DocumentLimits`, a schema extension: the token limit for the caller's kind is set before parsing
  (graphql-core stops parsing past it), introspection is refused unless enabled, and a valid document
  is measured once (aliases, cost, mutations) before it runs; string literals and variables holding NUL
  are refused with INVALID_INPUT naming the field (PostgreSQL text cannot hold NUL).

Anonymous parsing cannot starve signed-in clients: an anonymous body is at most 16 KiB and 1,000
tokens (under a millisecond to parse), at most `anonymous_concurrency` anonymous requests run at once,
and all anonymous callers together get `anonymous_rate_total` requests a second.
"""

import asyncio
import dataclasses
import math
import time
import weakref
from collections.abc import Iterator
from typing import Any, Protocol

from graphql import (
    DocumentNode, FieldNode, FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode, IntValueNode,
    ListValueNode, NoSchemaIntrospectionCustomRule, ObjectValueNode, OperationDefinitionNode, OperationType,
    SelectionSetNode, StringValueNode, ValueNode,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from starlette.requests import Request
from starlette.responses import JSONResponse
from strawberry.extensions import SchemaExtension

from services.common.cache import counters
from services.common.errors import ErrorCode

from gateway import deadlines
from gateway.errors import GatewayErrorCode, error_body, graphql_error
from gateway.settings import GatewaySettings

ANONYMOUS = "anonymous"
PAGE_ARGUMENTS = frozenset({"first", "last", "limit", "pageSize", "size"})
VARIABLE_PAGE_SIZE = 100  # a page size given by a variable counts as this many (documents are measured once)
MAX_PAGE_SIZE = 1_000


# --- rate limits ---------------------------------------------------------------------------------

class RateLimiter(Protocol):
    """Token buckets by key. `take` answers 0 when the request may go on, else the seconds to wait.

    The in-process one below suits one gateway replica; several replicas share counters through
    another implementation of the same method (e.g. backed by Ignite)."""

    async def take(self, key: str, *, rate: float, burst: int) -> float: ...


class LocalRateLimiter:
    """Token buckets in this process's memory."""

    MAX_KEYS = 100_000

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when)

    async def take(self, key: str, *, rate: float, burst: int) -> float:
        now = self._clock()
        tokens, when = self._buckets.get(key, (float(burst), now))
        tokens = min(float(burst), tokens + (now - when) * rate)
        if tokens >= 1.0:
            if len(self._buckets) >= self.MAX_KEYS and key not in self._buckets:
                self._buckets.clear()  # bounded: a flood of new IPs resets (and so refills) every bucket
            self._buckets[key] = (tokens - 1.0, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / rate if rate > 0 else 60.0


class SharedRateLimiter:
    """Per-key buckets every gateway replica shares (services/common/cache/counters.py, a compare-and-set in
    the shared cache), so N replicas do not give a key N times its rate. A replica takes its tokens from the
    shared bucket in leases of `lease_fraction` of the burst (at least 1) and spends them locally, so a busy
    key costs one cache round trip per lease, not per request; what a replica leased and did not spend is at
    most one lease per replica. Per-IP and anonymous buckets stay in each process (they bound what one
    replica parses). When the cache cannot answer, the process's own bucket decides: a limit is never a
    reason to fail a request."""

    SHARED_PREFIXES = ("key:",)
    MAX_KEYS = 100_000

    def __init__(self, cache, *, local: RateLimiter | None = None, lease_fraction: float = 0.05,
                 lease_seconds: float = 1.0, clock=time.monotonic):
        self._cache = cache
        self._local = local or LocalRateLimiter()
        self._fraction = lease_fraction
        self._lease_seconds = lease_seconds  # unspent tokens of a lease are not kept longer than this
        self._clock = clock
        self._leases: dict[str, tuple[int, float]] = {}  # key -> (tokens left, leased at)
        self._locks: dict[str, asyncio.Lock] = {}

    async def take(self, key: str, *, rate: float, burst: int) -> float:
        if not key.startswith(self.SHARED_PREFIXES):
            return await self._local.take(key, rate=rate, burst=burst)
        if self._spend(key):
            return 0.0
        lock = self._locks.get(key)
        if lock is None:
            if len(self._locks) >= self.MAX_KEYS:
                self._locks.clear()
            lock = self._locks[key] = asyncio.Lock()
        async with lock:  # one lease at a time per key: concurrent requests wait for it, then spend from it
            if self._spend(key):
                return 0.0
            return await self._lease(key, rate=rate, burst=burst)

    def _spend(self, key: str) -> bool:
        left, when = self._leases.get(key, (0, 0.0))
        if left > 0 and self._clock() - when < self._lease_seconds:
            self._leases[key] = (left - 1, when)
            return True
        return False

    async def _lease(self, key: str, *, rate: float, burst: int) -> float:
        now = self._clock()
        size = max(1, int(burst * self._fraction))
        wait = await counters.take(self._cache, key, rate=rate, burst=burst, cost=size)
        if wait is not None and wait > 0 and size > 1:  # not a whole lease left: try for this one request
            size = 1
            wait = await counters.take(self._cache, key, rate=rate, burst=burst, cost=1)
        if wait is None:
            return await self._local.take(key, rate=rate, burst=burst)
        if wait == 0:
            if len(self._leases) >= self.MAX_KEYS:
                self._leases.clear()
            self._leases[key] = (size - 1, now)
        return wait


def shared_limiter(cache, settings: GatewaySettings) -> RateLimiter:
    """The shared limiter when the cache is Ignite and SHARED_RATE_LIMITS is on; else the local one."""
    if cache.backend == "none" or not settings.shared_rate_limits:
        return LocalRateLimiter()
    return SharedRateLimiter(cache)


# --- the edge ------------------------------------------------------------------------------------

def _client_ip(scope, *, trust_forwarded_for: bool) -> str:
    if trust_forwarded_for:
        for name, value in scope.get("headers", ()):
            if name == b"x-forwarded-for":
                return value.decode("latin-1").split(",")[0].strip()
    client = scope.get("client")
    return client[0] if client else "unknown"


def refusal(status: int, code: GatewayErrorCode, message: str, *, retry_after: float | None = None) -> JSONResponse:
    if retry_after is None:
        return JSONResponse(error_body(code, message), status_code=status)
    seconds = max(1, math.ceil(retry_after))
    return JSONResponse(error_body(code, message, retryAfter=seconds), status_code=status,
                        headers={"retry-after": str(seconds)})


class GraphQLEdge:
    """ASGI wrapper of the GraphQL view: identity, rate limits, body size, anonymous admission."""

    def __init__(self, app, *, settings: GatewaySettings, limiter: RateLimiter | None = None):
        self.app = app  # LoyaltyGraphQL: `identify(request)` gives (principal, auth error)
        self.settings = settings
        self.limiter = limiter or LocalRateLimiter()
        self._anonymous_slots = asyncio.Semaphore(settings.anonymous_concurrency)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        s = self.settings
        request = Request(scope, receive)
        principal, _ = await self.app.identify(request)
        kind = principal.kind if principal is not None else ANONYMOUS
        ip = _client_ip(scope, trust_forwarded_for=s.trust_forwarded_for)
        wait = await self._rate(kind, principal, ip)
        if wait:
            return await refusal(429, GatewayErrorCode.RATE_LIMITED, "too many requests: retry later",
                                 retry_after=wait)(scope, receive, send)
        limit = s.anonymous_max_body_bytes if kind == ANONYMOUS else s.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await self._too_large(limit)(scope, receive, send)
        body = await self._read_body(receive, limit=limit)
        if body is None:
            return await self._too_large(limit)(scope, receive, send)
        replay = _replay(body)
        if kind != ANONYMOUS:
            return await self.app(scope, replay, send)
        try:
            await asyncio.wait_for(self._anonymous_slots.acquire(), timeout=1.0)
        except TimeoutError:
            return await refusal(429, GatewayErrorCode.RATE_LIMITED, "too many anonymous requests: retry later",
                                 retry_after=1)(scope, receive, send)
        try:
            return await self.app(scope, replay, send)
        finally:
            self._anonymous_slots.release()

    async def _rate(self, kind: str, principal, ip: str) -> float:
        s, take = self.settings, self.limiter.take
        if kind == ANONYMOUS:
            return (await take(f"anon-ip:{ip}", rate=s.anonymous_rate_per_ip, burst=s.anonymous_burst_per_ip)
                    or await take("anon", rate=s.anonymous_rate_total, burst=s.anonymous_burst_total))
        return (await take(f"key:{principal.subject}", rate=s.rate_per_key, burst=s.burst_per_key)
                or await take(f"ip:{ip}", rate=s.rate_per_ip, burst=s.burst_per_ip))

    @staticmethod
    def _too_large(limit: int) -> JSONResponse:
        return refusal(413, GatewayErrorCode.REQUEST_TOO_LARGE, f"request body over {limit} bytes")

    @staticmethod
    async def _read_body(receive, *, limit: int) -> bytes | None:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _replay(body: bytes):
    sent = False

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # as a client that stays connected; the view never asks again
        return {"type": "http.disconnect"}

    return receive


# --- the document ----------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True, slots=True)
class DocumentStats:
    aliases: int
    cost: int  # the costliest operation: 1 per field, times the page size of the list it sits in
    mutations: int  # root fields of the largest mutation
    root_fields: frozenset[str]
    nul_field: str | None  # the argument or input field of a string literal holding NUL


_STATS: "weakref.WeakKeyDictionary[DocumentNode, DocumentStats]" = weakref.WeakKeyDictionary()


def document_stats(document: DocumentNode) -> DocumentStats:
    """Measured once per document object (DocumentCache hands out the same object for the same text)."""
    try:
        known = _STATS.get(document)
    except TypeError:  # not weak-referenceable: measure each time
        known = None
    if known is not None:
        return known
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    memo: dict[str, tuple[int, frozenset[str]]] = {}
    aliases, cost, mutations, roots = 0, 0, 0, set()
    nul_field = None

    def walk(selection_set: SelectionSetNode | None, stack: frozenset[str]) -> tuple[int, frozenset[str]]:
        """(cost, field names at this level) of a selection set, fragments expanded."""
        if selection_set is None:
            return 0, frozenset()
        total, names = 0, set()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
                child, _ = walk(selection.selection_set, stack)
                total += 1 + _page_size(selection) * child
            elif isinstance(selection, InlineFragmentNode):
                child, child_names = walk(selection.selection_set, stack)
                total += child
                names |= child_names
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in stack or name not in fragments:
                    continue  # a cycle or an unknown fragment: validation has refused the document
                if name not in memo:
                    memo[name] = walk(fragments[name].selection_set, stack | {name})
                total += memo[name][0]
                names |= memo[name][1]
        return total, frozenset(names)

    for definition in document.definitions:
        for node in _nodes(definition):
            if isinstance(node, FieldNode):
                if node.alias is not None:
                    aliases += 1
                for argument in node.arguments or ():
                    nul_field = nul_field or _nul_in(argument.value, argument.name.value)
        if isinstance(definition, OperationDefinitionNode):
            op_cost, names = walk(definition.selection_set, frozenset())
            cost = max(cost, op_cost)
            roots |= names
            if definition.operation == OperationType.MUTATION:
                mutations = max(mutations, _count_root_fields(definition.selection_set, fragments))
    stats = DocumentStats(aliases=aliases, cost=cost, mutations=mutations, root_fields=frozenset(roots),
                          nul_field=nul_field)
    try:
        _STATS[document] = stats
    except TypeError:
        pass
    return stats


def _nodes(node) -> Iterator[Any]:
    """Every field node under a definition (iteratively: a deep document must not exhaust the stack)."""
    pending = [node]
    while pending:
        current = pending.pop()
        yield current
        selection_set = getattr(current, "selection_set", None)
        if selection_set is not None:
            pending.extend(selection_set.selections)


def _count_root_fields(selection_set: SelectionSetNode, fragments, seen: frozenset[str] = frozenset()) -> int:
    count = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            count += 1
        elif isinstance(selection, InlineFragmentNode):
            count += _count_root_fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in seen:
                count += _count_root_fields(fragments[name].selection_set, fragments, seen | {name})
    return count


def _page_size(field: FieldNode) -> int:
    for argument in field.arguments or ():
        if argument.name.value in PAGE_ARGUMENTS:
            value = argument.value
            if isinstance(value, IntValueNode):
                return max(1, min(int(value.value), MAX_PAGE_SIZE))
            return VARIABLE_PAGE_SIZE
    return 1


def _nul_in(value: ValueNode, field: str) -> str | None:
    pending = [(value, field)]
    while pending:
        node, name = pending.pop()
        if isinstance(node, StringValueNode):
            if "\x00" in node.value:
                return name
        elif isinstance(node, ListValueNode):
            pending.extend((item, name) for item in node.values)
        elif isinstance(node, ObjectValueNode):
            pending.extend((f.value, f.name.value) for f in node.fields)
    return None


def nul_in_variables(variables: dict | None) -> str | None:
    """The path of the first variable value (or key) holding NUL, e.g. 'input.program'."""
    pending: list[tuple[Any, str]] = [(value, name) for name, value in (variables or {}).items()]
    while pending:
        value, path = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return path
        elif isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in str(key):
                    return path
                pending.append((item, f"{path}.{key}"))
        elif isinstance(value, list):
            pending.extend((item, path) for item in value)
    return None


def per_kind(limits: dict[str, int], kind: str) -> int:
    """The limit for a principal kind; a kind not configured gets the API key's (signed in, not staff)."""
    return limits.get(kind, limits.get("api_key", 0))


class DocumentLimits(SchemaExtension):
    """Per-kind token limit and introspection switch before parsing; the document's measures before it runs."""

    def _kind(self) -> str:
        context = self.execution_context.context
        principal = getattr(context, "principal", None)
        return principal.kind if principal is not None else ANONYMOUS

    def _settings(self) -> GatewaySettings | None:
        return getattr(self.execution_context.context, "settings", None)

    def on_parse(self) -> Iterator[None]:
        settings = self._settings()
        if settings is not None:
            ctx = self.execution_context
            ctx.parse_options["max_tokens"] = per_kind(settings.max_tokens, self._kind())
            if not settings.graphql_introspection:
                ctx.validation_rules = (*ctx.validation_rules, NoSchemaIntrospectionCustomRule)
        yield

    def on_execute(self) -> Iterator[None]:
        settings = self._settings()
        ctx = self.execution_context
        if settings is None or ctx.graphql_document is None:
            yield
            return
        stats = document_stats(ctx.graphql_document)
        error = document_refusal(settings, stats, kind=self._kind(), variables=ctx.variables)
        if error is not None:
            ctx.result = GraphQLExecutionResult(data=None, errors=[error])
            yield
            return
        with deadlines.budget(deadlines.for_fields(settings, stats.root_fields)):
            yield


def document_refusal(settings: GatewaySettings, stats: DocumentStats, *, kind: str, variables: dict | None):
    """The error refusing a valid document before it runs (over a limit of the caller's kind, NUL), or None.
    The same check for a document sent as text and for a persisted one (gateway/persisted.py)."""
    too_complex = GatewayErrorCode.QUERY_TOO_COMPLEX
    if stats.aliases > (limit := per_kind(settings.max_aliases, kind)):
        return graphql_error(too_complex, f"document has {stats.aliases} aliases; the limit is {limit}")
    if stats.cost > (limit := per_kind(settings.max_cost, kind)):
        return graphql_error(too_complex, f"document costs {stats.cost}; the limit is {limit} "
                                          "(1 per field, times the page size of the list it is in)")
    if stats.mutations > (limit := settings.max_mutations_per_document):
        return graphql_error(too_complex, f"document has {stats.mutations} mutations; the limit is {limit}")
    if kind == ANONYMOUS and "_service" in stats.root_fields:
        return graphql_error(ErrorCode.UNAUTHENTICATED, "authentication required: send a bearer token or an API key")
    for field in (stats.nul_field, nul_in_variables(variables)):
        if field is not None:
            return graphql_error(ErrorCode.INVALID_INPUT, f"{field}: must not contain the NUL character",
                                 field=field)
    return None
