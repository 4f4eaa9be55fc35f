"""Who may take which reward now: validity, restrictions, stock, per-member limits, points."""

import dataclasses
import datetime as dt
import uuid

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode
from services.rewards import catalogue, repository
from services.rewards.peers import Profile
from services.rewards.results import Eligibility, EligibleReward


@dataclasses.dataclass(frozen=True)
class Where:
    """The place of the claim, for club- and location-restricted rewards."""

    location_code: str = ""
    club_code: str = ""


def needs_profile(reward) -> bool:
    return bool(reward["tier_codes"] or reward["segment_codes"])


def refusal(reward, *, now: dt.datetime, profile: Profile | None, where: Where, used: int) -> DomainError | None:
    """Why this member may not take this reward now (points aside), or None when they may."""
    code = reward["code"]
    if not reward["active"]:
        return DomainError(ErrorCode.REWARD_INACTIVE, f"reward {code!r} is no longer offered", field="rewardCode")
    if reward["valid_from"] and now < reward["valid_from"]:
        return DomainError(ErrorCode.REWARD_NOT_YET_VALID,
                           f"reward {code!r} is valid from {reward['valid_from'].isoformat()}", field="rewardCode")
    if reward["valid_until"] and now >= reward["valid_until"]:
        return DomainError(ErrorCode.REWARD_EXPIRED,
                           f"reward {code!r} expired at {reward['valid_until'].isoformat()}", field="rewardCode")
    # Missing data (None) never satisfies a restriction.
    if reward["tier_codes"]:
        tiers = profile.tier_codes if profile else None
        if not tiers or not tiers.intersection(reward["tier_codes"]):
            return DomainError(ErrorCode.REWARD_NOT_ELIGIBLE,
                               f"reward {code!r} is for tiers {', '.join(reward['tier_codes'])} only",
                               field="rewardCode")
    if reward["segment_codes"]:
        segments = profile.segment_codes if profile else None
        if not segments or not segments.intersection(reward["segment_codes"]):
            return DomainError(ErrorCode.REWARD_NOT_ELIGIBLE,
                               f"reward {code!r} is for segments {', '.join(reward['segment_codes'])} only",
                               field="rewardCode")
    if reward["club_codes"] and where.club_code not in reward["club_codes"]:
        return DomainError(ErrorCode.REWARD_NOT_ELIGIBLE,
                           f"reward {code!r} is for clubs {', '.join(reward['club_codes'])} only", field="clubCode")
    if reward["location_codes"] and where.location_code not in reward["location_codes"]:
        return DomainError(ErrorCode.REWARD_NOT_ELIGIBLE,
                           f"reward {code!r} is for locations {', '.join(reward['location_codes'])} only",
                           field="locationCode")
    if reward["stock"] is not None and reward["stock"] <= 0:
        return DomainError(ErrorCode.OUT_OF_STOCK, f"reward {code!r} is out of stock", field="rewardCode")
    if reward["per_member_limit"] and used >= reward["per_member_limit"]:
        return DomainError(ErrorCode.REWARD_LIMIT_REACHED,
                           f"reward {code!r} may be claimed {reward['per_member_limit']} time(s) per member",
                           field="rewardCode")
    return None


def _entry(reward, *, balance: int, used: int) -> EligibleReward:
    limit = reward["per_member_limit"]
    return EligibleReward(reward=catalogue.to_result(reward), points_needed=max(0, reward["points_cost"] - balance),
                          claims_left=limit - used if limit else -1)


async def for_member(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, loyalty_number: str, balance: int, profile: Profile,
    where: Where, reward_type: str, now: dt.datetime,
) -> Eligibility:
    async with tenant_tx(pool, program_id) as conn:
        rewards = await repository.list_rewards(conn, type=reward_type, include_inactive=False)
        usage = await repository.usage_by_reward(conn, loyalty_number)
    open_to_member = [
        r for r in rewards
        if refusal(r, now=now, profile=profile, where=where, used=usage.get(r["id"], 0)) is None
    ]
    affordable = [r for r in open_to_member if r["points_cost"] <= balance]
    out_of_reach = [r for r in open_to_member if r["points_cost"] > balance]
    nxt = min(out_of_reach, key=lambda r: (r["points_cost"], r["code"])) if out_of_reach else None
    top = max(affordable, key=lambda r: (r["points_cost"], r["code"])) if affordable else None
    return Eligibility(
        loyalty_number=loyalty_number, available_points=balance,
        available=tuple(_entry(r, balance=balance, used=usage.get(r["id"], 0)) for r in affordable),
        next=_entry(nxt, balance=balance, used=usage.get(nxt["id"], 0)) if nxt else None,
        highest=_entry(top, balance=balance, used=usage.get(top["id"], 0)) if top else None,
        tier_codes=tuple(sorted(profile.tier_codes or ())), segment_codes=tuple(sorted(profile.segment_codes or ())),
    )
