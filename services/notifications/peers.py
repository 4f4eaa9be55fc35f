"""The notifications service's client of the member and points services: besides api.py and the assembly
(__main__.py, jobs.py), the one module that reads or writes their protos; it answers with dataclasses."""

import dataclasses
import uuid

from loyalty.member.v1 import member_service_pb2 as member_pb
from loyalty.member.v1 import member_service_pb2_grpc as member_grpc
from loyalty.points.v1 import points_service_pb2 as points_pb
from loyalty.points.v1 import points_service_pb2_grpc as points_grpc
from services.common import clients

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
        """Every program's name and code, archived ones too."""
        reply = await clients.call(self._stub.ListPrograms(
            member_pb.ListProgramsRequest(include_archived=True),
            metadata=clients.metadata(program_id=None, principal=PRINCIPAL), timeout=10))
        return {uuid.UUID(p.id): {"name": p.name, "code": p.code} for p in reply.programs}

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
