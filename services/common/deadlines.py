"""How long the caller will wait, carried from call to call.

A server-side call runs with the deadline its caller sent (gRPC's `grpc-timeout`): `DomainErrorInterceptor`
sets it here for the handler, and `DeadlineInterceptor` on every outgoing channel gives a nested call
no more than what is left, so a hop never works on for a caller that has gone. The gateway starts
the budget (gateway/deadlines.py: per call path).
"""

import contextlib
import contextvars
import time
from collections.abc import Iterator

import grpc

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("call_deadline", default=None)


@contextlib.contextmanager
def budget(seconds: float | None) -> Iterator[None]:
    """Calls made inside get at most `seconds` (None: no deadline of our own)."""
    token = _deadline.set(None if seconds is None else time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining() -> float | None:
    deadline = _deadline.get()
    return None if deadline is None else max(deadline - time.monotonic(), 0.001)


def within_budget(timeout: float | None) -> float | None:
    """A call's timeout, no longer than what is left of the current budget."""
    left = remaining()
    return left if left is not None and (timeout is None or timeout > left) else timeout


class DeadlineInterceptor(grpc.aio.UnaryUnaryClientInterceptor):
    """Gives each call at most what is left of the current budget."""

    async def intercept_unary_unary(self, continuation, client_call_details, request):
        timeout = within_budget(client_call_details.timeout)
        if timeout != client_call_details.timeout:
            client_call_details = client_call_details._replace(timeout=timeout)
        return await continuation(client_call_details, request)
