"""The notifications service's client of the member, points, tier and rewards services: besides api.py and the assembly
(__main__.py, jobs.py), the one module that reads or writes their protos; it answers with dataclasses."""

import asyncio
import dataclasses
import uuid

from loyalty.member.v1 import member_service_pb2 as member_pb
from loyalty.member.v1 import member_service_pb2_grpc as member_grpc
from loyalty.points.v1 import points_service_pb2 as points_pb
from loyalty.points.v1 import points_service_pb2_grpc as points_grpc
from loyalty.points.v1 import rules_service_pb2 as rules_pb
from loyalty.points.v1 import rules_service_pb2_grpc as rules_grpc
from loyalty.rewards.v1 import rewards_service_pb2 as rewards_pb
from loyalty.rewards.v1 import rewards_service_pb2_grpc as rewards_grpc
from loyalty.tier.v1 import tier_service_pb2 as tier_pb
from loyalty.tier.v1 import tier_service_pb2_grpc as tier_grpc
from services.common import clients
from services.common.errors import DomainError, ErrorCode
from services.notifications import profile

PRINCIPAL = "notifications"


@dataclasses.dataclass(frozen=True)
class Contact:
    """What a message needs of a member: who, where, and what they agreed to."""

    loyalty_number: str
    first_name: str
    last_name: str
    email: str
    phone: str
    status: str
    email_consent: bool
    sms_consent: bool
    custom_attributes_json: str


@dataclasses.dataclass(frozen=True)
class ExpiringPoints:
    loyalty_number: str
    points: int
    expires_at: str


class Members:
    def __init__(self, member_addr: str):
        self._channel = clients.channel(member_addr)
        self._stub = member_grpc.MemberServiceStub(self._channel)

    async def contact(self, program_id: uuid.UUID, loyalty_number: str) -> Contact:
        m = await clients.call(self._stub.GetMember(
            member_pb.GetMemberRequest(loyalty_number=loyalty_number),
            metadata=clients.metadata(program_id=program_id, principal=PRINCIPAL), timeout=10))
        return Contact(loyalty_number=m.loyalty_number, first_name=m.first_name, last_name=m.last_name,
                       email=m.email, phone=m.phone, status=m.status, email_consent=m.consents.email,
                       sms_consent=m.consents.sms, custom_attributes_json=m.custom_attributes_json)

    async def programs(self) -> dict[uuid.UUID, dict]:
        """Every program's name, code and time zone, archived ones too."""
        reply = await clients.call(self._stub.ListPrograms(
            member_pb.ListProgramsRequest(include_archived=True),
            metadata=clients.metadata(program_id=None, principal=PRINCIPAL), timeout=10))
        return {uuid.UUID(p.id): {"name": p.name, "code": p.code, "timezone": p.timezone} for p in reply.programs}

    async def sends_own_welcome(self, program_id: uuid.UUID) -> bool:
        settings = await clients.call(self._stub.GetMemberSettings(
            member_pb.GetMemberSettingsRequest(),
            metadata=clients.metadata(program_id=program_id, principal=PRINCIPAL), timeout=10))
        return settings.welcome_enabled

    async def close(self) -> None:
        await self._channel.close()


class Points:
    def __init__(self, points_addr: str):
        self._channel = clients.channel(points_addr)
        self._stub = points_grpc.PointsServiceStub(self._channel)

    async def expiring_page(self, program_id: uuid.UUID, *, within_days: int, page_size: int, page_token: str,
                            principal: str) -> tuple[tuple[ExpiringPoints, ...], str]:
        """One page of the program's points expiring within the days, and the next page's token ('' at the end)."""
        page = await clients.call(self._stub.ListExpiring(
            points_pb.ListExpiringRequest(within_days=within_days, page_size=page_size, page_token=page_token),
            metadata=clients.metadata(program_id=program_id, principal=principal), timeout=60))
        return (tuple(ExpiringPoints(loyalty_number=i.loyalty_number, points=i.points, expires_at=i.expires_at)
                      for i in page.items), page.next_page_token)

    async def close(self) -> None:
        await self._channel.close()


class Profiles:
    """A member's loyalty profile (profile.py) from the member, points, tier and rewards services at
    once, and the program's members page by page: what the CDP connector sends to People."""

    def __init__(self, *, member_addr: str, points_addr: str, tier_addr: str, rewards_addr: str):
        self._channels = [clients.channel(a) for a in (member_addr, points_addr, tier_addr, rewards_addr)]
        self._member = member_grpc.MemberServiceStub(self._channels[0])
        self._points = points_grpc.PointsServiceStub(self._channels[1])
        self._tier = tier_grpc.TierServiceStub(self._channels[2])
        self._rewards = rewards_grpc.RewardsServiceStub(self._channels[3])

    async def profile(self, program_id: uuid.UUID, loyalty_number: str, *, active_within_days: int) -> dict | None:
        """None: no such member (merged away, or never in this program)."""
        md = clients.metadata(program_id=program_id, principal=PRINCIPAL)
        try:
            member, summary, progress, eligibility = await asyncio.gather(
                clients.call(self._member.GetMember(member_pb.GetMemberRequest(loyalty_number=loyalty_number),
                                                    metadata=md, timeout=10)),
                clients.call(self._points.GetSummary(points_pb.GetSummaryRequest(loyalty_number=loyalty_number),
                                                     metadata=md, timeout=10)),
                clients.call(self._tier.GetProgress(tier_pb.GetProgressRequest(loyalty_number=loyalty_number),
                                                    metadata=md, timeout=10)),
                clients.call(self._rewards.GetEligibility(
                    rewards_pb.GetEligibilityRequest(loyalty_number=loyalty_number), metadata=md, timeout=10)))
        except DomainError as err:
            if err.code == ErrorCode.NOT_FOUND:
                return None
            raise
        return profile.build(member, summary, progress, eligibility, active_within_days=active_within_days)

    async def members_page(self, program_id: uuid.UUID, *, page_token: str, page_size: int) -> tuple[list[str], str]:
        """One page of the program's loyalty numbers in order, and the next page's token ('' at the end)."""
        page = await clients.call(self._member.SearchMembers(
            member_pb.SearchMembersRequest(query="", field="loyalty_number", sort="loyalty_number",
                                           page_size=page_size, page_token=page_token),
            metadata=clients.metadata(program_id=program_id, principal=PRINCIPAL), timeout=30))
        return [m.loyalty_number for m in page.members], page.next_page_token

    async def close(self) -> None:
        for channel in self._channels:
            await channel.close()


@dataclasses.dataclass(frozen=True)
class Campaign:
    code: str
    name: str
    starts_at: str
    ends_at: str  # '' : open-ended
    archived: bool


class Campaigns:
    """The points service's campaigns (its RulesService), for the campaign-events job."""

    def __init__(self, points_addr: str):
        self._channel = clients.channel(points_addr)
        self._stub = rules_grpc.RulesServiceStub(self._channel)

    async def of(self, program_id: uuid.UUID, *, principal: str) -> list[Campaign]:
        reply = await clients.call(self._stub.ListCampaigns(
            rules_pb.ListCampaignsRequest(), metadata=clients.metadata(program_id=program_id, principal=principal),
            timeout=30))
        return [Campaign(code=c.code, name=c.name, starts_at=c.starts_at, ends_at=c.ends_at, archived=c.archived)
                for c in reply.campaigns]

    async def close(self) -> None:
        await self._channel.close()
