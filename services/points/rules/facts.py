"""Member facts for rules, fetched over gRPC only when the published rules need them.

Tier (TierService.GetMemberTiers), segments (MemberService.GetMemberSegments), clubs
(ProgramConfigService.GetMemberClubs) and the profile (MemberService.GetMember: birth date,
enrolment) are asked for concurrently with a short timeout. A service that is down, slow or does
not implement the call makes its fact `unavailable`: rules that need it do not match, and the
breakdown says so.
"""

import asyncio
import datetime as dt
import logging
import os
import uuid
from decimal import Decimal, InvalidOperation

import grpc

from loyalty.member.v1 import member_service_pb2 as member_pb
from loyalty.member.v1 import member_service_pb2_grpc as member_grpc
from loyalty.member.v1 import program_config_service_pb2 as config_pb
from loyalty.member.v1 import program_config_service_pb2_grpc as config_grpc
from loyalty.tier.v1 import tier_service_pb2 as tier_pb
from loyalty.tier.v1 import tier_service_pb2_grpc as tier_grpc
from services.common import clients
from services.common.errors import DomainError, ErrorCode
from services.points.rules.evaluation import Facts

log = logging.getLogger(__name__)
PRINCIPAL = "service:points-rules"


class _Missing(Exception):
    pass


class RemoteFacts:
    def __init__(self, *, member_addr: str | None, tier_addr: str | None, timeout: float = 1.0):
        self._timeout = timeout
        self._member = self._config = self._tier = None
        if member_addr:
            member_channel = clients.channel(member_addr)
            self._member = member_grpc.MemberServiceStub(member_channel)
            self._config = config_grpc.ProgramConfigServiceStub(member_channel)
        if tier_addr:
            self._tier = tier_grpc.TierServiceStub(clients.channel(tier_addr))

    @classmethod
    def from_settings(cls, settings) -> "RemoteFacts":
        # PointsSettings belongs to the ledger; the rules' own knob is read here, checked at start
        raw = os.environ.get("RULES_FACTS_TIMEOUT_SECONDS", "1")
        try:
            timeout = float(raw)
        except ValueError:
            raise SystemExit(f"RULES_FACTS_TIMEOUT_SECONDS: {raw!r} is not a number of seconds") from None
        return cls(member_addr=getattr(settings, "member_addr", None), tier_addr=getattr(settings, "tier_addr", None),
                   timeout=timeout)

    async def birthdays(self, *, program_id: uuid.UUID, day: dt.date) -> list[uuid.UUID]:
        """The members born on this day (the member service's answer), for the birthday job."""
        if self._config is None:
            raise DomainError(ErrorCode.UNAVAILABLE, "the member service address is not configured")
        found = await clients.call(self._config.ListBirthdays(
            config_pb.ListBirthdaysRequest(date=day.isoformat()),
            metadata=clients.metadata(program_id=program_id, principal="job:birthday"), timeout=30))
        return [uuid.UUID(m.member_id) for m in found.members]

    async def fetch(self, *, program_id: uuid.UUID, member_id: uuid.UUID | None, needs: frozenset[str]) -> Facts:
        if not needs or member_id is None:
            return Facts()
        md = clients.metadata(program_id=program_id, principal=PRINCIPAL)
        wanted = sorted(needs)
        results = await asyncio.gather(*(self._one(n, member_id, md) for n in wanted), return_exceptions=True)
        values: dict = {}
        unavailable: set[str] = set()
        for name, result in zip(wanted, results):
            if isinstance(result, _Missing):
                unavailable.add(name)
            elif isinstance(result, BaseException):
                log.warning("fetching %s for rules failed: %s", name, result)
                unavailable.add(name)
            else:
                values.update(result)
        return Facts(unavailable=frozenset(unavailable), **values)

    async def _one(self, name: str, member_id: uuid.UUID, md) -> dict:
        try:
            if name == "tier":
                if self._tier is None:
                    raise _Missing
                r = await clients.call(self._tier.GetMemberTiers(
                    tier_pb.GetMemberTiersRequest(member_id=str(member_id)), metadata=md, timeout=self._timeout))
                tiers = tuple(t.tier_code for t in r.tiers if t.tier_code)
                multiplier = None
                for t in r.tiers:
                    try:
                        m = Decimal(t.earn_multiplier or "1")
                    except InvalidOperation:
                        continue
                    multiplier = m if multiplier is None else max(multiplier, m)
                return {"tiers": tiers, "tier_multiplier": multiplier}
            if name == "segments":
                if self._member is None:
                    raise _Missing
                r = await clients.call(self._member.GetMemberSegments(
                    member_pb.GetMemberSegmentsRequest(member_id=str(member_id)), metadata=md, timeout=self._timeout))
                return {"segments": tuple(r.segment_codes)}
            if name == "clubs":
                if self._config is None:
                    raise _Missing
                r = await clients.call(self._config.GetMemberClubs(
                    config_pb.GetMemberClubsRequest(member_id=str(member_id)), metadata=md, timeout=self._timeout))
                return {"clubs": tuple(r.club_codes)}
            if name == "member":
                if self._member is None:
                    raise _Missing
                r = await clients.call(self._member.GetMember(
                    member_pb.GetMemberRequest(member_id=str(member_id)), metadata=md, timeout=self._timeout))
                return {"birth_date": dt.date.fromisoformat(r.birth_date) if r.birth_date else None,
                        "enrolled_at": dt.datetime.fromisoformat(r.enrolled_at) if r.enrolled_at else None}
        except DomainError as err:
            if err.code == ErrorCode.NOT_FOUND:
                return {}  # the service does not know the member (yet): no tier, no segments
            raise _Missing from None
        except grpc.aio.AioRpcError:
            raise _Missing from None
        raise _Missing


class StaticFacts:
    """Facts given up front (dry runs of a hypothetical member, tests of the evaluation)."""

    def __init__(self, facts: Facts):
        self._facts = facts

    async def fetch(self, *, program_id, member_id, needs) -> Facts:
        return self._facts
