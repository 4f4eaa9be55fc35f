"""Outgoing gRPC: channels with tracing, and calls that raise the callee's DomainError."""

import uuid
from collections.abc import Awaitable
from typing import TypeVar

import grpc

from services.common.deadlines import DeadlineInterceptor
from services.common.errors import from_rpc_error
from services.common.tenancy import outgoing_metadata
from services.common.trace_context import client_interceptors

T = TypeVar("T")

SERVICE_CONFIG = """{"methodConfig": [{"name": [{}], "retryPolicy": {"maxAttempts": 4,
 "initialBackoff": "0.1s", "maxBackoff": "1s", "backoffMultiplier": 2,
 "retryableStatusCodes": ["UNAVAILABLE"]}}]}"""


def channel(address: str) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(
        address,
        # A nested call gets no more than its caller has left (deadlines.py); spans only when this
        # process traces (trace_context.py).
        interceptors=[DeadlineInterceptor(), *client_interceptors()],
        options=[("grpc.service_config", SERVICE_CONFIG), ("grpc.enable_retries", 1)],
    )


async def call(pending: Awaitable[T]) -> T:
    try:
        return await pending
    except grpc.aio.AioRpcError as err:
        raise from_rpc_error(err) from None


def metadata(*, program_id: uuid.UUID | str | None, principal: str, idempotency_key: str | None = None):
    return outgoing_metadata(program_id=program_id, principal=principal, idempotency_key=idempotency_key)
