"""loyaltyProfile: the seed-004 attribute set of one member in one round trip (the member, points,
tier and rewards services asked at once)."""

import asyncio

import strawberry

from loyalty.rewards.v1 import rewards_service_pb2 as rewards_pb

from gateway.context import Info
from gateway.errors import graphql_error, invalid_input
from gateway.permissions import Allow, P, require_principal
from gateway.profiles.types import LoyaltyProfile
from gateway.services import rpc
from services.common.errors import ErrorCode
from services.notifications import profile

# What the profile shows beyond the member: each needs its domain's read permission too.
ALSO_NEEDED = (P.POINTS_READ, P.TIER_READ, P.REWARDS_READ)


def build(member, summary, progress, eligibility, *, active_within_days: int) -> LoyaltyProfile:
    """The profile from the four answers (services/notifications/profile.py, which the CDP connector
    sends to People too; the property test checks it against the separate queries)."""
    return LoyaltyProfile(**profile.build(member, summary, progress, eligibility,
                                          active_within_days=active_within_days))


@strawberry.type
class ProfileQueries:
    @strawberry.field(permission_classes=[Allow(P.MEMBER_READ)],
                      description="A member's loyalty profile (the customer-data platform's attribute set) in one "
                                  "round trip; needs points.read, tier.read and rewards.read as well")
    async def loyalty_profile(self, info: Info, program: str, loyalty_number: str,
                              active_within_days: int = 365) -> LoyaltyProfile:
        if not 1 <= active_within_days <= 3660:
            raise invalid_input("activeWithinDays", "must be between 1 and 3660")
        principal = require_principal(info)
        for permission in ALSO_NEEDED:
            if principal.kind == "member" or not principal.has(permission.value, program):
                raise graphql_error(ErrorCode.FORBIDDEN, f"{principal.subject} lacks permission {permission.value}")
        loaders = info.context.loaders
        md = await info.context.metadata(program)
        member, summary, progress, eligibility = await asyncio.gather(
            loaders.member_by_loyalty_number.load((program, loyalty_number)),
            loaders.points_summary_by_loyalty_number.load((program, loyalty_number)),
            loaders.tier_progress_by_loyalty_number.load((program, loyalty_number, "")),
            rpc(info.context.services.rewards.GetEligibility(
                rewards_pb.GetEligibilityRequest(loyalty_number=loyalty_number), metadata=md, timeout=5)))
        return build(member, summary, progress, eligibility, active_within_days=active_within_days)
