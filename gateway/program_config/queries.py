import strawberry

from loyalty.member.v1 import program_config_service_pb2 as config_pb

from gateway.context import Info
from gateway.permissions import Allow
from gateway.program_config.types import Club, Location, MemberClubs
from gateway.services import rpc

TIMEOUT = 10


@strawberry.type
class ProgramConfigQueries:
    @strawberry.field(permission_classes=[Allow("program.read")], description="The default club first.")
    async def clubs(self, info: Info, program: str, include_archived: bool = False) -> list[Club]:
        md = await info.context.metadata(program)
        r = await rpc(info.context.services.program_config.ListClubs(
            config_pb.ListClubsRequest(include_archived=include_archived), metadata=md, timeout=TIMEOUT))
        return [Club.from_proto(c) for c in r.clubs]

    @strawberry.field(permission_classes=[Allow("program.read")])
    async def locations(self, info: Info, program: str, include_archived: bool = False,
                        kind: str | None = None) -> list[Location]:
        md = await info.context.metadata(program)
        r = await rpc(info.context.services.program_config.ListLocations(
            config_pb.ListLocationsRequest(include_archived=include_archived, kind=kind or ""), metadata=md,
            timeout=TIMEOUT))
        return [Location.from_proto(loc) for loc in r.locations]

    @strawberry.field(permission_classes=[Allow("member.read")])
    async def member_clubs(self, info: Info, program: str, loyalty_number: str) -> MemberClubs:
        r = await info.context.loaders.clubs_by_loyalty_number.load((program, loyalty_number))
        return MemberClubs(loyalty_number=loyalty_number, club_codes=list(r.club_codes))
