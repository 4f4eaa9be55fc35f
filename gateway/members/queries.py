import strawberry

from gateway.context import Info
from gateway.members.types import Member
from gateway.permissions import Allow


@strawberry.type
class MemberQueries:
    @strawberry.field(permission_classes=[Allow("member.read")])
    async def member(self, info: Info, program: str, loyalty_number: str) -> Member:
        return Member.from_proto(await info.context.loaders.member_by_loyalty_number.load((program, loyalty_number)))
