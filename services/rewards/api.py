"""gRPC servicer: translates proto <-> domain, nothing else."""

import asyncio

import asyncpg
import grpc

from loyalty.rewards.v1 import rewards_service_pb2 as pb
from loyalty.rewards.v1 import rewards_service_pb2_grpc as pb_grpc
from services.common import program_copy
from services.common.mail import Sender
from services.common.tenancy import require_program
from services.rewards import catalogue, eligibility, otp, redemption, report, vouchers
from services.rewards import points_redemption
from services.rewards.otp import Clock, OtpPolicy
from services.rewards.peers import Peers


class RewardsServicer(pb_grpc.RewardsServiceServicer):
    def __init__(self, pool: asyncpg.Pool, *, peers: Peers, sender: Sender, otp_policy: OtpPolicy,
                 now: Clock = otp.utc_now):
        self._pool = pool
        self._peers = peers
        self._sender = sender
        self._otp = otp_policy
        self._now = now

    async def ProvisionProgram(self, request, context):
        return await program_copy.provision(self._pool, request.spec)

    async def CreateReward(self, request, context):
        ctx = require_program(context)
        return await catalogue.create(self._pool, program_id=ctx.program_id, spec=request.reward)

    async def UpdateReward(self, request, context):
        ctx = require_program(context)
        return await catalogue.update(self._pool, program_id=ctx.program_id, spec=request.reward)

    async def GetReward(self, request, context):
        ctx = require_program(context)
        return await catalogue.get(self._pool, program_id=ctx.program_id, code=request.code)

    async def ListRewards(self, request, context):
        ctx = require_program(context)
        rewards = await catalogue.list_all(self._pool, program_id=ctx.program_id, reward_type=request.type,
                                           include_inactive=request.include_inactive)
        return pb.ListRewardsResponse(rewards=rewards)

    async def GetEligibility(self, request, context):
        ctx = require_program(context)
        member = await self._peers.get_member(ctx.program_id, request.loyalty_number)
        balance, profile = await asyncio.gather(
            self._peers.available_points(ctx.program_id, member.loyalty_number),
            self._peers.profile(ctx.program_id, member.loyalty_number),
        )
        return await eligibility.for_member(
            self._pool, program_id=ctx.program_id, loyalty_number=member.loyalty_number, balance=balance,
            profile=profile, where=eligibility.Where(location_code=request.location_code, club_code=request.club_code),
            reward_type=request.type, now=self._now(),
        )

    async def RequestOtp(self, request, context):
        ctx = require_program(context)
        member = await self._peers.get_member(ctx.program_id, request.loyalty_number)
        return await otp.issue(self._pool, program_id=ctx.program_id, member=member, sender=self._sender,
                               policy=self._otp, now=self._now)

    async def Identify(self, request, context):
        ctx = require_program(context)
        return await otp.identify(self._pool, program_id=ctx.program_id, code=request.otp, principal=ctx.principal,
                                  policy=self._otp, now=self._now)

    async def Claim(self, request, context):
        ctx = require_program(context)
        member = await self._peers.get_member(ctx.program_id, request.loyalty_number)
        return await redemption.claim(
            self._pool, program_id=ctx.program_id, request=request, principal=ctx.principal, member=member,
            ledger=self._peers, profile_of=lambda: self._peers.profile(ctx.program_id, member.loyalty_number),
            policy=self._otp, now=self._now,
        )

    async def RedeemPoints(self, request, context):
        ctx = require_program(context)
        return await points_redemption.redeem_points(self._pool, program_id=ctx.program_id, request=request,
                                                     ledger=self._peers, policy=self._otp, now=self._now)

    async def SettleClaim(self, request, context):
        ctx = require_program(context)
        return await redemption.settle(self._pool, program_id=ctx.program_id, reference=request.reference,
                                       ledger=self._peers, now=self._now)

    async def VoidClaim(self, request, context):
        ctx = require_program(context)
        return await redemption.void(self._pool, program_id=ctx.program_id, reference=request.reference,
                                     reason=request.reason, ledger=self._peers, now=self._now)

    async def VoidOrder(self, request, context):
        ctx = require_program(context)
        return await redemption.void_order(self._pool, program_id=ctx.program_id,
                                           order_reference=request.order_reference, reason=request.reason,
                                           ledger=self._peers, now=self._now)

    async def GetClaim(self, request, context):
        ctx = require_program(context)
        return await redemption.get(self._pool, program_id=ctx.program_id, reference=request.reference)

    async def ValidateVoucher(self, request, context):
        ctx = require_program(context)
        return await vouchers.validate(self._pool, program_id=ctx.program_id, code=request.code)

    async def ConsumeVoucher(self, request, context):
        ctx = require_program(context)
        return await vouchers.consume(self._pool, program_id=ctx.program_id, code=request.code,
                                      reference=request.reference, location_code=request.location_code,
                                      ledger=self._peers, now=self._now)

    async def GetReport(self, request, context):
        ctx = require_program(context)
        return await report.build(self._pool, program_id=ctx.program_id, request=request)


def register(server: grpc.aio.Server, servicer: RewardsServicer) -> None:
    pb_grpc.add_RewardsServiceServicer_to_server(servicer, server)
