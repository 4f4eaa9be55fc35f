"""Deadlines per call path, carried to every gRPC call made for a request.

A request gets one budget when it starts executing (`budget`): the till's fields (earn, redeem,
enquire, ...) `till_deadline_seconds`, anything else `request_deadline_seconds`. Every call on the
gateway's channels is given at most what is left of it (`DeadlineInterceptor`), and gRPC sends that
deadline on (grpc-timeout), so each service knows how long its caller will wait and gives its own
calls no more (services/common). A call past the budget answers UNAVAILABLE: the till replays with
the same reference. docs/gateway-limits.md lists the paths.
"""

import contextlib
import contextvars
import time
from collections.abc import Iterable, Iterator

import grpc

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("request_deadline", default=None)

TILL_FIELDS = frozenset({
    "earn", "redeem", "void", "hold", "captureHold", "releaseHold", "enquire", "member", "enroll",
    "requestOtp", "identifyMember", "claimReward", "settleRewardClaim", "voidRewardClaim", "voidOrder",
    "consumeVoucher", "rewardEligibility", "rewards", "reward",
})


def for_fields(settings, root_fields: Iterable[str]) -> float:
    """Seconds for a document: the shortest of its root fields' paths."""
    fields = set(root_fields)
    if fields and fields <= TILL_FIELDS:
        return settings.till_deadline_seconds
    return settings.request_deadline_seconds


@contextlib.contextmanager
def budget(seconds: float) -> Iterator[None]:
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining() -> float | None:
    deadline = _deadline.get()
    return None if deadline is None else max(deadline - time.monotonic(), 0.001)


class DeadlineInterceptor(grpc.aio.UnaryUnaryClientInterceptor):
    """Gives each call at most what is left of the request's budget."""

    async def intercept_unary_unary(self, continuation, client_call_details, request):
        left = remaining()
        if left is not None and (client_call_details.timeout is None or client_call_details.timeout > left):
            client_call_details = client_call_details._replace(timeout=left)
        return await continuation(client_call_details, request)
