"""gRPC servicer of RewardsService: translates proto <-> domain, nothing else.

With peers.py (its client of other services), the only module of the service that reads or writes
protos: each request becomes a command (commands.py validates it), each answer (results.py) a
response, field by field. Claims and points redemptions get a Replay made from the wire request:
the fingerprint and the stored answer are the protos' bytes, as they always were, so a key stored
by an earlier version replays the same answer.
"""

import asyncio
import dataclasses
import functools

import asyncpg
import grpc
from google.protobuf.message import Message

from loyalty.common.v1 import program_pb2
from loyalty.rewards.v1 import rewards_service_pb2 as pb
from loyalty.rewards.v1 import rewards_service_pb2_grpc as pb_grpc
from services.common import program_copy
from services.common.idempotency import Replay, request_fingerprint
from services.common.mail import Sender
from services.common.tenancy import require_program
from services.rewards import catalogue, claiming, commands, eligibility, otp, redemption, report, results, vouchers
from services.rewards import points_redemption
from services.rewards.otp import Clock, OtpPolicy
from services.rewards.peers import Peers


@functools.cache
def _plan(message_type) -> tuple[tuple[str, type | None, bool], ...]:
    """(field, sub-message class or None, repeated) of each field of a message (sub-messages are in pb)."""
    return tuple((f.name, getattr(pb, f.message_type.name) if f.message_type is not None else None,
                  f.is_repeated) for f in message_type.DESCRIPTOR.fields)


def response(message_type: type[Message], answer) -> Message:
    """The message with the answer's fields of the same names (dataclasses as sub-messages; None: unset)."""
    values = {}
    for name, sub, repeated in _plan(message_type):
        value = getattr(answer, name)
        if sub is not None and repeated:
            value = [response(sub, v) for v in value]
        elif sub is not None:
            if value is None:
                continue
            value = response(sub, value)
        elif repeated:
            value = list(value)
        values[name] = value
    return message_type(**values)


def _flat_answer(cls, message: Message):
    return cls(**{f.name: getattr(message, f.name) for f in dataclasses.fields(cls)})


def replay(request: Message, message_type: type[Message], answer_type) -> Replay:
    return Replay(fingerprint=request_fingerprint(request),
                  encode=lambda a: response(message_type, a).SerializeToString(deterministic=True),
                  decode=lambda raw: _flat_answer(answer_type, message_type.FromString(raw)))


def reward_input(spec: pb.RewardInput) -> commands.RewardInput:
    values = {}
    for f in dataclasses.fields(results.RewardSpec):
        value = getattr(spec, f.name)
        values[f.name] = tuple(value) if isinstance(f.default, tuple) else value
    return commands.RewardInput(**values)


def claim_command(request: pb.ClaimRequest) -> commands.Claim:
    return commands.Claim(
        loyalty_number=request.loyalty_number, reward_code=request.reward_code, reference=request.reference,
        order_reference=request.order_reference, otp=request.otp, otp_bypass=request.otp_bypass,
        location_code=request.location_code, club_code=request.club_code,
        hold_timeout_seconds=request.hold_timeout_seconds)


def redeem_points_command(request: pb.RedeemPointsRequest) -> commands.RedeemPoints:
    return commands.RedeemPoints(
        loyalty_number=request.loyalty_number, points=request.points, reference=request.reference, otp=request.otp,
        otp_bypass=request.otp_bypass, reason=request.reason, partner_code=request.partner_code,
        location_code=request.location_code, order_reference=request.order_reference,
        transaction_value=request.transaction_value, currency=request.currency, channel=request.channel)


def program_copy_of(spec: program_pb2.ProgramSpec) -> program_copy.ProgramCopy:
    return program_copy.ProgramCopy(id=spec.id, code=spec.code, currency=spec.currency, timezone=spec.timezone,
                                    archived=spec.archived)


class RewardsServicer(pb_grpc.RewardsServiceServicer):
    def __init__(self, pool: asyncpg.Pool, *, peers: Peers, sender: Sender, otp_policy: OtpPolicy,
                 now: Clock = otp.utc_now, passcodes=None):
        self._pool = pool
        self._peers = peers
        self._sender = sender
        self._passcodes = passcodes  # peers.Passcodes: the notifications service's passcode template
        self._otp = otp_policy
        self._now = now

    async def ProvisionProgram(self, request, context):
        created = await program_copy.provision(self._pool, program_copy_of(request.spec))
        return program_pb2.ProvisionProgramResponse(spec=request.spec, created=created)

    async def CreateReward(self, request, context):
        ctx = require_program(context)
        made = await catalogue.create(self._pool, program_id=ctx.program_id, spec=reward_input(request.reward))
        return response(pb.Reward, made)

    async def UpdateReward(self, request, context):
        ctx = require_program(context)
        changed = await catalogue.update(self._pool, program_id=ctx.program_id, spec=reward_input(request.reward))
        return response(pb.Reward, changed)

    async def GetReward(self, request, context):
        ctx = require_program(context)
        return response(pb.Reward, await catalogue.get(self._pool, program_id=ctx.program_id, code=request.code))

    async def ListRewards(self, request, context):
        ctx = require_program(context)
        command = commands.ListRewards(type=request.type, include_inactive=request.include_inactive)
        rewards = await catalogue.list_all(self._pool, program_id=ctx.program_id, command=command)
        return pb.ListRewardsResponse(rewards=[response(pb.Reward, r) for r in rewards])

    async def GetEligibility(self, request, context):
        ctx = require_program(context)
        member = await self._peers.get_member(ctx.program_id, request.loyalty_number)
        balance, profile = await asyncio.gather(
            self._peers.available_points(ctx.program_id, member.loyalty_number),
            self._peers.profile(ctx.program_id, member.loyalty_number),
        )
        return response(pb.Eligibility, await eligibility.for_member(
            self._pool, program_id=ctx.program_id, loyalty_number=member.loyalty_number, balance=balance,
            profile=profile, where=eligibility.Where(location_code=request.location_code, club_code=request.club_code),
            reward_type=request.type, now=self._now(),
        ))

    async def RequestOtp(self, request, context):
        ctx = require_program(context)
        member = await self._peers.get_member(ctx.program_id, request.loyalty_number)
        return response(pb.RequestOtpResponse, await otp.issue(
            self._pool, program_id=ctx.program_id, member=member, sender=self._sender, policy=self._otp,
            now=self._now, passcodes=self._passcodes))

    async def Identify(self, request, context):
        ctx = require_program(context)
        return response(pb.IdentifyResponse, await otp.identify(
            self._pool, program_id=ctx.program_id, code=request.otp, principal=ctx.principal, policy=self._otp,
            now=self._now))

    async def Claim(self, request, context):
        ctx = require_program(context)
        command = claim_command(request)
        member = await self._peers.get_member(ctx.program_id, request.loyalty_number)
        return response(pb.RewardClaim, await claiming.claim(
            self._pool, program_id=ctx.program_id, command=command, principal=ctx.principal, member=member,
            ledger=self._peers, profile_of=lambda: self._peers.profile(ctx.program_id, member.loyalty_number),
            policy=self._otp, now=self._now, replay=replay(request, pb.RewardClaim, results.Claim),
        ))

    async def RedeemPoints(self, request, context):
        ctx = require_program(context)
        return response(pb.RedeemPointsResponse, await points_redemption.redeem_points(
            self._pool, program_id=ctx.program_id, command=redeem_points_command(request), ledger=self._peers,
            policy=self._otp, now=self._now,
            replay=replay(request, pb.RedeemPointsResponse, results.PointsRedeemed)))

    async def SettleClaim(self, request, context):
        ctx = require_program(context)
        return response(pb.RewardClaim, await redemption.settle(
            self._pool, program_id=ctx.program_id, reference=request.reference, ledger=self._peers, now=self._now))

    async def VoidClaim(self, request, context):
        ctx = require_program(context)
        return response(pb.RewardClaim, await redemption.void(
            self._pool, program_id=ctx.program_id, reference=request.reference, reason=request.reason,
            ledger=self._peers, now=self._now))

    async def VoidOrder(self, request, context):
        ctx = require_program(context)
        return response(pb.VoidOrderResponse, await redemption.void_order(
            self._pool, program_id=ctx.program_id, order_reference=request.order_reference, reason=request.reason,
            ledger=self._peers, now=self._now, stores=tuple(request.stores)))

    async def GetClaim(self, request, context):
        ctx = require_program(context)
        return response(pb.RewardClaim, await redemption.get(
            self._pool, program_id=ctx.program_id, reference=request.reference))

    async def ListClaims(self, request, context):
        ctx = require_program(context)
        return response(pb.ListClaimsResponse, await redemption.member_claims(
            self._pool, program_id=ctx.program_id, loyalty_number=request.loyalty_number, page_size=request.page_size))

    async def ValidateVoucher(self, request, context):
        ctx = require_program(context)
        return response(pb.Voucher, await vouchers.validate(self._pool, program_id=ctx.program_id, code=request.code))

    async def ConsumeVoucher(self, request, context):
        ctx = require_program(context)
        command = commands.ConsumeVoucher(code=request.code, reference=request.reference,
                                          location_code=request.location_code)
        return response(pb.Voucher, await vouchers.consume(
            self._pool, program_id=ctx.program_id, command=command, ledger=self._peers, now=self._now))

    async def GetReport(self, request, context):
        ctx = require_program(context)
        command = commands.GetReport(since=getattr(request, "from"), to=request.to, period=request.period)
        return response(pb.RewardsReport, await report.build(self._pool, program_id=ctx.program_id, command=command))


def register(server: grpc.aio.Server, servicer: RewardsServicer) -> None:
    pb_grpc.add_RewardsServiceServicer_to_server(servicer, server)
