"""What the rewards service asks other services: the member, their tiers and segments, the ledger.

The service's one client module: the only one besides api.py that reads or writes protos (of
the services it calls); it answers with the frozen dataclasses below.

A read of tiers or segments that the other service cannot answer (not implemented yet, or down)
comes back as `None`, which eligibility treats as "no tiers / no segments": a restricted reward
is never granted on missing data.
"""

import asyncio
import dataclasses
import logging
import uuid

from loyalty.member.v1 import member_service_pb2 as member_pb
from loyalty.member.v1 import member_service_pb2_grpc as member_grpc
from loyalty.notifications.v1 import notifications_service_pb2 as notifications_pb
from loyalty.notifications.v1 import notifications_service_pb2_grpc as notifications_grpc
from loyalty.points.v1 import points_service_pb2 as points_pb
from loyalty.points.v1 import points_service_pb2_grpc as points_grpc
from loyalty.points.v1 import rules_service_pb2 as rules_pb
from loyalty.points.v1 import rules_service_pb2_grpc as rules_grpc
from loyalty.tier.v1 import tier_service_pb2 as tier_pb
from loyalty.tier.v1 import tier_service_pb2_grpc as tier_grpc
from services.common import clients
from services.common.clients import call, metadata
from services.common.errors import DomainError, ErrorCode

log = logging.getLogger(__name__)

PRINCIPAL = "service:rewards"
TIMEOUT = 5.0


@dataclasses.dataclass(frozen=True)
class MemberRef:
    member_id: str
    loyalty_number: str
    email: str
    status: str


@dataclasses.dataclass(frozen=True)
class Profile:
    """Tier and segment codes; None where the owning service could not say."""

    tier_codes: frozenset[str] | None
    segment_codes: frozenset[str] | None


@dataclasses.dataclass(frozen=True)
class Hold:
    points: int
    expires_at: str
    available_after: int


@dataclasses.dataclass(frozen=True)
class BurnQuote:
    """What the program's burn rules allow on a bill."""

    allowed: bool
    reason: str  # why not, when not allowed
    points: int
    value: str  # what the points pay, in `currency`
    currency: str
    min_points: int
    max_points: int
    rule: str
    rule_version: str


@dataclasses.dataclass(frozen=True)
class Burned:
    transaction_id: str
    points: int  # the signed change to the available balance
    new_balance: int


class Passcodes:
    """A passcode to the member through the notifications service (its passcode template; email,
    else SMS)."""

    def __init__(self, notifications_addr: str):
        self._channel = clients.channel(notifications_addr)
        self._stub = notifications_grpc.NotificationsServiceStub(self._channel)

    async def send(self, program_id: uuid.UUID, *, loyalty_number: str, code: str, minutes: int) -> tuple[str, str]:
        """(channel, recipient)."""
        sent = await call(self._stub.SendPasscode(
            notifications_pb.SendPasscodeRequest(loyalty_number=loyalty_number, code=code, valid_minutes=minutes),
            metadata=metadata(program_id=program_id, principal=PRINCIPAL), timeout=TIMEOUT))
        return sent.channel, sent.recipient

    async def close(self) -> None:
        await self._channel.close()


class Peers:
    def __init__(self, *, member_addr: str, points_addr: str, tier_addr: str):
        self._channels = [clients.channel(a) for a in (member_addr, points_addr, tier_addr)]
        self.member = member_grpc.MemberServiceStub(self._channels[0])
        self.points = points_grpc.PointsServiceStub(self._channels[1])
        self.rules = rules_grpc.RulesServiceStub(self._channels[1])
        self.tier = tier_grpc.TierServiceStub(self._channels[2])

    async def close(self) -> None:
        for ch in self._channels:
            await ch.close()

    # --- reads -------------------------------------------------------------------------------

    async def get_member(self, program_id: uuid.UUID, loyalty_number: str) -> MemberRef:
        m = await call(self.member.GetMember(
            member_pb.GetMemberRequest(loyalty_number=loyalty_number),
            metadata=metadata(program_id=program_id, principal=PRINCIPAL), timeout=TIMEOUT))
        return MemberRef(member_id=m.id, loyalty_number=m.loyalty_number, email=m.email, status=m.status)

    async def available_points(self, program_id: uuid.UUID, loyalty_number: str) -> int:
        s = await call(self.points.GetSummary(
            points_pb.GetSummaryRequest(loyalty_number=loyalty_number),
            metadata=metadata(program_id=program_id, principal=PRINCIPAL), timeout=TIMEOUT))
        return s.available

    async def profile(self, program_id: uuid.UUID, loyalty_number: str) -> Profile:
        md = metadata(program_id=program_id, principal=PRINCIPAL)
        tiers, segments = await asyncio.gather(
            _optional(self.tier.GetMemberTiers(tier_pb.GetMemberTiersRequest(loyalty_number=loyalty_number),
                                               metadata=md, timeout=TIMEOUT)),
            _optional(self.member.GetMemberSegments(member_pb.GetMemberSegmentsRequest(loyalty_number=loyalty_number),
                                                    metadata=md, timeout=TIMEOUT)),
        )
        return Profile(
            tier_codes=None if tiers is None else frozenset(t.tier_code for t in tiers.tiers),
            segment_codes=None if segments is None else frozenset(segments.segment_codes),
        )

    # --- the ledger (every call idempotent by its reference) ------------------------------------

    async def hold(self, program_id: uuid.UUID, *, loyalty_number: str, points: int, reference: str,
                   order_reference: str, timeout_seconds: int, reason: str) -> Hold:
        r = await call(self.points.Hold(
            points_pb.HoldRequest(loyalty_number=loyalty_number, points=points, reference=reference,
                                  timeout_seconds=timeout_seconds, reason=reason, order_reference=order_reference),
            metadata=metadata(program_id=program_id, principal=PRINCIPAL, idempotency_key=reference),
            timeout=TIMEOUT))
        return Hold(points=r.points, expires_at=r.expires_at, available_after=r.available_after)

    async def capture(self, program_id: uuid.UUID, *, reference: str, hold_reference: str) -> int:
        r = await call(self.points.CaptureHold(
            points_pb.CaptureHoldRequest(reference=reference, hold_reference=hold_reference, points=0),
            metadata=metadata(program_id=program_id, principal=PRINCIPAL, idempotency_key=reference),
            timeout=TIMEOUT))
        return r.new_balance

    async def release(self, program_id: uuid.UUID, *, reference: str, hold_reference: str) -> int:
        r = await call(self.points.ReleaseHold(
            points_pb.ReleaseHoldRequest(reference=reference, hold_reference=hold_reference),
            metadata=metadata(program_id=program_id, principal=PRINCIPAL, idempotency_key=reference),
            timeout=TIMEOUT))
        return r.new_balance

    async def burn_with_bill(self, program_id: uuid.UUID, *, loyalty_number: str, amount: str, points: int,
                             reference: str, reason: str, currency: str, channel: str, location_code: str,
                             partner_code: str, order_reference: str) -> tuple[Burned, BurnQuote]:
        """The program's burn rules on a bill and the burn they allow, in one transaction of the points
        service (no rule or balance change between them); idempotent by the reference, as `burn`."""
        r = await call(self.rules.BurnWithBill(
            rules_pb.BurnWithBillRequest(
                quote=rules_pb.QuoteBurnRequest(loyalty_number=loyalty_number, amount=amount, points=points,
                                                channel=channel, location_code=location_code,
                                                partner_code=partner_code),
                reference=reference, reason=reason, order_reference=order_reference, currency=currency),
            metadata=metadata(program_id=program_id, principal=PRINCIPAL, idempotency_key=reference),
            timeout=TIMEOUT))
        p, q = r.posting, r.quote
        return (Burned(transaction_id=p.transaction_id, points=p.points, new_balance=p.new_balance),
                BurnQuote(allowed=q.allowed, reason=q.reason, points=q.points, value=q.value, currency=q.currency,
                          min_points=q.min_points, max_points=q.max_points, rule=q.rule, rule_version=q.rule_version))

    async def burn(self, program_id: uuid.UUID, *, loyalty_number: str, points: int, reference: str, reason: str,
                   partner_code: str, location_code: str, order_reference: str) -> Burned:
        r = await call(self.points.Burn(
            points_pb.BurnRequest(loyalty_number=loyalty_number, points=points, reference=reference, reason=reason,
                                  partner_code=partner_code, location_code=location_code,
                                  order_reference=order_reference),
            metadata=metadata(program_id=program_id, principal=PRINCIPAL, idempotency_key=reference),
            timeout=TIMEOUT))
        return Burned(transaction_id=r.transaction_id, points=r.points, new_balance=r.new_balance)

    async def void(self, program_id: uuid.UUID, *, reference: str, target_reference: str, reason: str,
                   stores: tuple[str, ...] = ()) -> int:
        r = await call(self.points.Void(
            points_pb.VoidRequest(reference=reference, target_reference=target_reference, reason=reason,
                                  stores=list(stores)),
            metadata=metadata(program_id=program_id, principal=PRINCIPAL, idempotency_key=reference),
            timeout=TIMEOUT))
        return r.new_balance


async def _optional(pending):
    """The answer, or None when the other service cannot say (unimplemented or unavailable)."""
    try:
        return await call(pending)
    except DomainError as err:
        if err.code in (ErrorCode.INTERNAL, ErrorCode.UNAVAILABLE):
            log.warning("treating missing profile data as none: %s", err.message)
            return None
        if err.code == ErrorCode.NOT_FOUND:
            return None
        raise
