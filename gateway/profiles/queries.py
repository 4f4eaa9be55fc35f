"""loyaltyProfile: the seed-004 attribute set of one member in one round trip (the member, points,
tier and rewards services asked at once)."""

import asyncio
import datetime as dt

import strawberry

from loyalty.rewards.v1 import rewards_service_pb2 as rewards_pb

from gateway.context import Info
from gateway.errors import graphql_error, invalid_input
from gateway.permissions import Allow, P, require_principal
from gateway.profiles.types import LoyaltyProfile
from gateway.services import rpc
from services.common.errors import ErrorCode

# What the profile shows beyond the member: each needs its domain's read permission too.
ALSO_NEEDED = (P.POINTS_READ, P.TIER_READ, P.REWARDS_READ)


def _date(value: str) -> str | None:
    return value[:10] if value else None


def _active(last_activity: str, within_days: int) -> bool:
    if not last_activity:
        return False
    at = dt.datetime.fromisoformat(last_activity.replace("Z", "+00:00"))
    return dt.datetime.now(dt.timezone.utc) - at <= dt.timedelta(days=within_days)


def build(member, summary, progress, eligibility, *, active_within_days: int) -> LoyaltyProfile:
    """The profile from the four answers (a pure function: the property test checks it against the
    separate queries through the gateway)."""
    tier = min(progress.slabs, key=lambda s: s.slab_code) if progress.slabs else None
    return LoyaltyProfile(
        loyalty_id=member.loyalty_number, first_name=member.first_name, last_name=member.last_name,
        email=member.email, status=member.status,
        active_status=_active(summary.last_activity_at, active_within_days),
        birthday=member.birth_date or None, loyalty_anniversary=member.enrolled_at[:10], phone=member.phone,
        zip=member.zip, opt_in_status=member.status not in ("opted_out", "erased", "merged"),
        opt_in_date=_date(member.opted_in_at or member.enrolled_at),
        available_points=summary.available, earned_points=summary.lifetime_earned, used_points=summary.used,
        held_points=summary.on_hold, expired_points=summary.expired,
        next_expiring_points=summary.next_expiring_points,
        points_expiration_date=_date(summary.next_expiry_date),
        current_tier=tier.tier_code if tier else None, next_tier=(tier.next_tier_code or None) if tier else None,
        points_required_for_next_tier=(tier.needed or None) if tier and tier.next_tier_code else None,
        tier_achieved_date=_date(tier.achieved_on) if tier else None,
        available_rewards=[e.reward.spec.name for e in eligibility.available],
        points_required_for_next_reward=eligibility.next.points_needed if eligibility.HasField("next") else None,
        highest_available_reward=eligibility.highest.reward.spec.name if eligibility.HasField("highest") else None,
        first_loyalty_activity_date=_date(summary.first_activity_at),
        last_loyalty_activity_date=_date(summary.last_activity_at),
        first_purchase_date=_date(summary.first_purchase_at), last_purchase_date=_date(summary.last_purchase_at),
    )


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
