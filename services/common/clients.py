"""Outgoing gRPC: channels with tracing, and calls that raise the callee's DomainError."""

import uuid
from collections.abc import Awaitable
from typing import TypeVar

import grpc

from services.common.deadlines import DeadlineInterceptor, remaining
from services.common.errors import from_rpc_error
from services.common.telemetry import tracing_enabled
from services.common.tenancy import outgoing_metadata
from services.common.trace_context import client_interceptors, with_trace_context

T = TypeVar("T")

SERVICE_CONFIG = """{"methodConfig": [{"name": [{}], "retryPolicy": {"maxAttempts": 4,
 "initialBackoff": "0.1s", "maxBackoff": "1s", "backoffMultiplier": 2,
 "retryableStatusCodes": ["UNAVAILABLE"]}}]}"""


OPTIONS = [("grpc.service_config", SERVICE_CONFIG), ("grpc.enable_retries", 1)]


def channel(address: str) -> grpc.aio.Channel:
    """A nested call gets no more than its caller has left (deadlines.py) and carries the caller's
    trace context. A process that traces uses OpenTelemetry's interceptors for its spans; one that
    does not adds both in the call itself: grpc.aio runs every intercepted call through a task of
    its own and a chain of call objects (docs/performance.md: a fifth of the gateway's CPU per
    earn went to gRPC's call machinery)."""
    if tracing_enabled():
        return grpc.aio.insecure_channel(address, interceptors=[DeadlineInterceptor(), *client_interceptors()],
                                         options=OPTIONS)
    return _BudgetedChannel(grpc.aio.insecure_channel(address, options=OPTIONS))


class _BudgetedUnary:
    __slots__ = ("_call",)

    def __init__(self, call):
        self._call = call

    def __call__(self, request, *, timeout=None, metadata=None, **kwargs):
        left = remaining()
        if left is not None and (timeout is None or timeout > left):
            timeout = left
        return self._call(request, timeout=timeout, metadata=with_trace_context(metadata), **kwargs)


class _BudgetedChannel:
    """grpc.aio.Channel with its unary calls budgeted (the stubs only ask it for multicallables)."""

    def __init__(self, inner: grpc.aio.Channel):
        self._inner = inner

    def unary_unary(self, *args, **kwargs):
        return _BudgetedUnary(self._inner.unary_unary(*args, **kwargs))

    def __getattr__(self, name):
        return getattr(self._inner, name)

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self._inner.close()


async def call(pending: Awaitable[T]) -> T:
    try:
        return await pending
    except grpc.aio.AioRpcError as err:
        raise from_rpc_error(err) from None


def metadata(*, program_id: uuid.UUID | str | None, principal: str, idempotency_key: str | None = None):
    return outgoing_metadata(program_id=program_id, principal=principal, idempotency_key=idempotency_key)
