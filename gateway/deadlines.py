"""Deadlines per call path, carried to every gRPC call made for a request.

A request gets one budget when it starts executing (`budget`): the till's fields (earn, redeem,
enquire, ...) `till_deadline_seconds`, anything else `request_deadline_seconds`. Every call on the
gateway's channels is given at most what is left of it (`DeadlineInterceptor`), and gRPC sends that
deadline on (grpc-timeout), so each service knows how long its caller will wait and gives its own
calls no more (services/common). A call past the budget answers UNAVAILABLE: the till replays with
the same reference. docs/gateway-limits.md lists the paths.
"""

from collections.abc import Iterable

from services.common import deadlines

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


budget = deadlines.budget  # the budget and the interceptor are the services' own (services/common/deadlines.py)
DeadlineInterceptor = deadlines.DeadlineInterceptor
