import strawberry

from loyalty.rewards.v1 import rewards_service_pb2 as rewards_pb

from gateway.context import Info
from gateway.permissions import Allow
from gateway.rewards.types import (
    ClaimRewardInput, ConsumeVoucherInput, IdentifyMemberInput, IdentifyMemberPayload, RequestOtpInput,
    RequestOtpPayload, Reward, RewardClaim, RewardClaimInput, RewardInput, VoidOrderInput, VoidOrderPayload,
    VoidRewardClaimInput, Voucher,
)
from gateway.services import rpc

TIMEOUT = 15
REDEEM_WITHOUT_OTP = "rewards.redeem_without_otp"


@strawberry.type
class RewardsMutations:
    @strawberry.mutation(permission_classes=[Allow("rewards.manage")])
    async def create_reward(self, info: Info, input: RewardInput) -> Reward:
        md = await info.context.metadata(input.program)
        return Reward.from_proto(await rpc(info.context.services.rewards.CreateReward(
            rewards_pb.CreateRewardRequest(reward=input.to_proto()), metadata=md, timeout=TIMEOUT)))

    @strawberry.mutation(permission_classes=[Allow("rewards.manage")], description="Replaces the reward's definition")
    async def update_reward(self, info: Info, input: RewardInput) -> Reward:
        md = await info.context.metadata(input.program)
        return Reward.from_proto(await rpc(info.context.services.rewards.UpdateReward(
            rewards_pb.UpdateRewardRequest(reward=input.to_proto()), metadata=md, timeout=TIMEOUT)))

    @strawberry.mutation(permission_classes=[Allow("rewards.redeem")],
                         description="Mails the member a 6-digit passcode, valid 15 minutes, single use")
    async def request_otp(self, info: Info, input: RequestOtpInput) -> RequestOtpPayload:
        md = await info.context.metadata(input.program)
        sent = await rpc(info.context.services.rewards.RequestOtp(
            rewards_pb.RequestOtpRequest(loyalty_number=input.loyalty_number), metadata=md, timeout=TIMEOUT))
        return RequestOtpPayload(expires_at=sent.expires_at, channel=sent.channel, destination=sent.destination)

    @strawberry.mutation(permission_classes=[Allow("rewards.redeem")],
                         description="Finds the member by their passcode (does not spend it); wrong codes are counted")
    async def identify_member(self, info: Info, input: IdentifyMemberInput) -> IdentifyMemberPayload:
        md = await info.context.metadata(input.program)
        found = await rpc(info.context.services.rewards.Identify(
            rewards_pb.IdentifyRequest(otp=input.otp), metadata=md, timeout=TIMEOUT))
        return IdentifyMemberPayload(loyalty_number=found.loyalty_number, member_id=strawberry.ID(found.member_id),
                                     otp_expires_at=found.otp_expires_at, program=input.program)

    @strawberry.mutation(permission_classes=[Allow("rewards.redeem")],
                         description="Claims a reward at payment: holds its points until settled at pickup")
    async def claim_reward(self, info: Info, input: ClaimRewardInput) -> RewardClaim:
        md = await info.context.metadata(input.program, idempotency_key=input.reference)
        # Without a passcode the service refuses (OTP_REQUIRED) unless the caller holds the staff
        # permission; the service records that the passcode was bypassed and by whom.
        bypass = not input.otp and info.context.principal.has(REDEEM_WITHOUT_OTP)
        return RewardClaim.from_proto(await rpc(info.context.services.rewards.Claim(
            rewards_pb.ClaimRequest(
                loyalty_number=input.loyalty_number, reward_code=input.reward_code, reference=input.reference,
                order_reference=input.order_reference or "", otp=input.otp or "", otp_bypass=bypass,
                location_code=input.location_code or "", club_code=input.club_code or "",
                hold_timeout_seconds=input.hold_timeout_seconds or 0,
            ),
            metadata=md, timeout=TIMEOUT)))

    @strawberry.mutation(permission_classes=[Allow("rewards.redeem")], description="At pickup: the points are spent")
    async def settle_reward_claim(self, info: Info, input: RewardClaimInput) -> RewardClaim:
        md = await info.context.metadata(input.program)
        return RewardClaim.from_proto(await rpc(info.context.services.rewards.SettleClaim(
            rewards_pb.SettleClaimRequest(reference=input.reference), metadata=md, timeout=TIMEOUT)))

    @strawberry.mutation(permission_classes=[Allow("rewards.redeem")],
                         description="Releases a held claim or reverses a settled one; stock is given back")
    async def void_reward_claim(self, info: Info, input: VoidRewardClaimInput) -> RewardClaim:
        md = await info.context.metadata(input.program)
        return RewardClaim.from_proto(await rpc(info.context.services.rewards.VoidClaim(
            rewards_pb.VoidClaimRequest(reference=input.reference, reason=input.reason or ""), metadata=md,
            timeout=TIMEOUT)))

    @strawberry.mutation(permission_classes=[Allow("rewards.redeem")],
                         description="Voids a whole order: its reward claims and the earn at pickup")
    async def void_order(self, info: Info, input: VoidOrderInput) -> VoidOrderPayload:
        md = await info.context.metadata(input.program)
        result = await rpc(info.context.services.rewards.VoidOrder(
            rewards_pb.VoidOrderRequest(order_reference=input.order_reference, reason=input.reason or "",
                                        stores=info.context.principal.stores_in(input.program)),
            metadata=md, timeout=TIMEOUT))
        return VoidOrderPayload(claims=[RewardClaim.from_proto(c) for c in result.claims],
                                new_balance=result.new_balance)

    @strawberry.mutation(permission_classes=[Allow("rewards.redeem")],
                         description="Uses a voucher once (settling its claim); the same reference again answers the same")
    async def consume_voucher(self, info: Info, input: ConsumeVoucherInput) -> Voucher:
        md = await info.context.metadata(input.program, idempotency_key=input.reference)
        return Voucher.from_proto(await rpc(info.context.services.rewards.ConsumeVoucher(
            rewards_pb.ConsumeVoucherRequest(code=input.code, reference=input.reference,
                                             location_code=input.location_code or ""),
            metadata=md, timeout=TIMEOUT)))
