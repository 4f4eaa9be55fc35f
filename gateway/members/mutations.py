import strawberry

from loyalty.member.v1 import member_service_pb2 as member_pb

from gateway.context import Info
from gateway.members.types import EnrollInput, EnrollPayload, Member
from gateway.permissions import Allow
from gateway.services import rpc


@strawberry.type
class MemberMutations:
    @strawberry.mutation(permission_classes=[Allow("member.enroll")])
    async def enroll(self, info: Info, input: EnrollInput) -> EnrollPayload:
        md = await info.context.metadata(input.program)
        member = await rpc(info.context.services.member.Enroll(
            member_pb.EnrollRequest(
                email=input.email, first_name=input.first_name, last_name=input.last_name, phone=input.phone or "",
                birth_date=input.birth_date or "", channel=input.channel or "",
            ),
            metadata=md, timeout=10,
        ))
        return EnrollPayload(member=Member.from_proto(member))
