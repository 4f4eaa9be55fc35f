"""Outgoing gRPC: channels with tracing, and calls that raise the callee's DomainError."""

import json
import uuid
from collections.abc import Awaitable
from typing import TypeVar

import grpc
from opentelemetry import trace

from services.common.deadlines import DeadlineInterceptor, within_budget
from services.common.errors import from_rpc_error
from services.common import multiplex
from services.common.multiplex import Multiplexer, end_span, rpc_attributes
from services.common.telemetry import tracing_enabled
from services.common.tenancy import outgoing_metadata
from services.common.trace_context import client_interceptors, with_trace_context

T = TypeVar("T")

# UNAVAILABLE retried by grpc core; multiplex.Multiplexer retries a carried call by the same policy
SERVICE_CONFIG = json.dumps({"methodConfig": [{"name": [{}], "retryPolicy": {
    "maxAttempts": multiplex.MAX_ATTEMPTS, "initialBackoff": f"{multiplex.INITIAL_BACKOFF}s",
    "maxBackoff": f"{multiplex.MAX_BACKOFF}s", "backoffMultiplier": multiplex.BACKOFF_MULTIPLIER,
    "retryableStatusCodes": ["UNAVAILABLE"]}}]})


OPTIONS = [("grpc.service_config", SERVICE_CONFIG), ("grpc.enable_retries", 1)]


def channel(address: str, *, multiplexed: bool = False) -> grpc.aio.Channel:
    """A nested call gets no more than its caller has left (deadlines.py) and carries the caller's
    trace context. `multiplexed`: unary calls go as messages on a few long-lived streams
    (multiplex.py), a span each when the process traces. Otherwise a process that traces uses
    OpenTelemetry's interceptors for its spans; one that does not adds budget and trace context in
    the call itself: grpc.aio runs every intercepted call through a task of its own and a chain of
    call objects (docs/performance.md: a fifth of the gateway's CPU per earn went to gRPC's call
    machinery)."""
    if tracing_enabled() and not multiplexed:
        return grpc.aio.insecure_channel(address, interceptors=[DeadlineInterceptor(), *client_interceptors()],
                                         options=OPTIONS)
    return _BudgetedChannel(grpc.aio.insecure_channel(address, options=OPTIONS), multiplexed=multiplexed,
                            traced=tracing_enabled())


class _BudgetedUnary:
    __slots__ = ("call",)

    def __init__(self, call):
        self.call = call

    def __call__(self, request, *, timeout=None, metadata=None, **kwargs):
        return self.call(request, timeout=within_budget(timeout), metadata=with_trace_context(metadata), **kwargs)


class _MultiplexedUnary:
    __slots__ = ("_method", "_serialize", "_deserialize", "_multiplexer", "_unary", "_traced")

    def __init__(self, method: str, serialize, deserialize, multiplexer: Multiplexer, unary: _BudgetedUnary, *,
                 traced: bool):
        self._method, self._serialize, self._deserialize = method, serialize, deserialize
        self._multiplexer, self._unary, self._traced = multiplexer, unary, traced

    def __call__(self, request, *, timeout=None, metadata=None, **kwargs):
        if kwargs or not self._multiplexer.supported:
            return self._unary(request, timeout=timeout, metadata=metadata, **kwargs)
        timeout = within_budget(timeout)
        if self._traced:
            return self._traced_call(request, timeout, metadata)
        return self._carried(request, timeout, with_trace_context(metadata))

    async def _traced_call(self, request, timeout, metadata):
        with trace.get_tracer(__name__).start_as_current_span(
                self._method, kind=trace.SpanKind.CLIENT, attributes=rpc_attributes(self._method),
                record_exception=False) as span:
            try:
                answer = await self._carried(request, timeout, with_trace_context(metadata))
            except grpc.aio.AioRpcError as err:
                end_span(span, err.code(), err.details())
                raise
            end_span(span, grpc.StatusCode.OK, "")
            return answer

    async def _carried(self, request, timeout, metadata):
        try:
            response = await self._multiplexer.call(self._method, self._serialize(request), timeout=timeout,
                                                    metadata=metadata)
        except grpc.aio.AioRpcError:
            if self._multiplexer.supported:
                raise
            return await self._unary.call(request, timeout=timeout, metadata=metadata)  # a peer of an older release
        return self._deserialize(response)


class _BudgetedChannel:
    """grpc.aio.Channel with its unary calls budgeted (the stubs only ask it for multicallables)."""

    def __init__(self, inner: grpc.aio.Channel, *, multiplexed: bool = False, traced: bool = False):
        self._inner = inner
        self._multiplexer = Multiplexer(inner) if multiplexed else None
        self._traced = traced

    def unary_unary(self, method, request_serializer=None, response_deserializer=None, **kwargs):
        unary = _BudgetedUnary(self._inner.unary_unary(method, request_serializer=request_serializer,
                                                       response_deserializer=response_deserializer, **kwargs))
        if self._multiplexer is None:
            return unary
        return _MultiplexedUnary(method, request_serializer or _same, response_deserializer or _same,
                                 self._multiplexer, unary, traced=self._traced)

    def __getattr__(self, name):
        return getattr(self._inner, name)

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self._inner.close()


def _same(value):
    return value


async def call(pending: Awaitable[T]) -> T:
    try:
        return await pending
    except grpc.aio.AioRpcError as err:
        raise from_rpc_error(err) from None


def metadata(*, program_id: uuid.UUID | str | None, principal: str, idempotency_key: str | None = None):
    return outgoing_metadata(program_id=program_id, principal=principal, idempotency_key=idempotency_key)
