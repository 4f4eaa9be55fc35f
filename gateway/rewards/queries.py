from typing import Annotated

import strawberry

from loyalty.rewards.v1 import rewards_service_pb2 as rewards_pb

from gateway.context import Info
from gateway.permissions import Allow
from gateway.rewards.types import Reward, RewardClaim, RewardEligibility, RewardsReport, Voucher
from gateway.services import rpc

TIMEOUT = 10


@strawberry.type
class RewardsQueries:
    @strawberry.field(permission_classes=[Allow("rewards.read")], description="The catalogue and offers, cheapest first")
    async def rewards(self, info: Info, program: str, type: str | None = None,
                      include_inactive: bool = False) -> list[Reward]:
        md = await info.context.metadata(program)
        found = await rpc(info.context.services.rewards.ListRewards(
            rewards_pb.ListRewardsRequest(type=type or "", include_inactive=include_inactive), metadata=md,
            timeout=TIMEOUT))
        return [Reward.from_proto(r) for r in found.rewards]

    @strawberry.field(permission_classes=[Allow("rewards.read")])
    async def reward(self, info: Info, program: str, code: str) -> Reward:
        return Reward.from_proto(await info.context.loaders.reward_by_code.load((program, code)))

    @strawberry.field(permission_classes=[Allow("rewards.read")],
                      description="Rewards the member can take now, the next in reach, and the highest available")
    async def reward_eligibility(self, info: Info, program: str, loyalty_number: str, type: str | None = None,
                                 location_code: str | None = None, club_code: str | None = None) -> RewardEligibility:
        md = await info.context.metadata(program)
        found = await rpc(info.context.services.rewards.GetEligibility(
            rewards_pb.GetEligibilityRequest(loyalty_number=loyalty_number, type=type or "",
                                             location_code=location_code or "", club_code=club_code or ""),
            metadata=md, timeout=TIMEOUT))
        return RewardEligibility.from_proto(found)

    @strawberry.field(permission_classes=[Allow("rewards.read")])
    async def reward_claim(self, info: Info, program: str, reference: str) -> RewardClaim:
        return RewardClaim.from_proto(await info.context.loaders.reward_claim_by_reference.load((program, reference)))

    @strawberry.field(permission_classes=[Allow("rewards.read")],
                      description="A member's reward claims with their vouchers, newest first")
    async def member_reward_claims(self, info: Info, program: str, loyalty_number: str,
                                   first: int = 50) -> list[RewardClaim]:
        md = await info.context.metadata(program)
        found = await rpc(info.context.services.rewards.ListClaims(
            rewards_pb.ListClaimsRequest(loyalty_number=loyalty_number, page_size=first), metadata=md, timeout=TIMEOUT))
        return [RewardClaim.from_proto(c) for c in found.claims]

    @strawberry.field(permission_classes=[Allow("rewards.read")], description="Validates a voucher; changes nothing")
    async def voucher(self, info: Info, program: str, code: str) -> Voucher:
        md = await info.context.metadata(program)
        return Voucher.from_proto(await rpc(info.context.services.rewards.ValidateVoucher(
            rewards_pb.ValidateVoucherRequest(code=code), metadata=md, timeout=TIMEOUT)))

    @strawberry.field(permission_classes=[Allow("rewards.report")],
                      description="Redemptions per reward and period, points burned, open holds")
    async def rewards_report(
        self, info: Info, program: str, from_: Annotated[str, strawberry.argument(name="from")], to: str,
        period: str = "day",
    ) -> RewardsReport:
        md = await info.context.metadata(program)
        request = rewards_pb.GetReportRequest(to=to, period=period)
        setattr(request, "from", from_)  # `from` is a Python keyword
        return RewardsReport.from_proto(await rpc(info.context.services.rewards.GetReport(
            request, metadata=md, timeout=TIMEOUT)))
