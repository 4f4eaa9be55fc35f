import strawberry

from loyalty.member.v1 import member_service_pb2 as member_pb


@strawberry.federation.type(keys=["id"])
class Member:
    id: strawberry.ID
    loyalty_number: str
    email: str
    first_name: str
    last_name: str
    phone: str
    birth_date: str | None
    status: str
    enrolled_at: str
    channel: str

    @classmethod
    def from_proto(cls, m: member_pb.Member) -> "Member":
        return cls(
            id=strawberry.ID(m.id), loyalty_number=m.loyalty_number, email=m.email, first_name=m.first_name,
            last_name=m.last_name, phone=m.phone, birth_date=m.birth_date or None, status=m.status,
            enrolled_at=m.enrolled_at, channel=m.channel,
        )


@strawberry.input
class EnrollInput:
    program: str
    email: str
    first_name: str
    last_name: str
    phone: str | None = None
    birth_date: str | None = strawberry.field(default=None, description="ISO 8601 date")
    channel: str | None = None


@strawberry.type
class EnrollPayload:
    member: Member
