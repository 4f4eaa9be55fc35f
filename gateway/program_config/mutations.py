import strawberry

from loyalty.member.v1 import program_config_service_pb2 as config_pb

from gateway.context import Info
from gateway.permissions import Allow
from gateway.program_config.types import Club, Location, MemberClubs, SaveClubInput, SaveLocationInput
from gateway.services import rpc

TIMEOUT = 10


@strawberry.type
class ProgramConfigMutations:
    @strawberry.mutation(permission_classes=[Allow("program.manage")], description="Create or edit a club.")
    async def save_club(self, info: Info, input: SaveClubInput) -> Club:
        md = await info.context.metadata(input.program)
        return Club.from_proto(await rpc(info.context.services.program_config.SaveClub(
            config_pb.SaveClubRequest(code=input.code, name=input.name, description=input.description or "",
                                      make_default=input.make_default), metadata=md, timeout=TIMEOUT)))

    @strawberry.mutation(permission_classes=[Allow("program.manage")])
    async def archive_club(self, info: Info, program: str, code: str) -> Club:
        md = await info.context.metadata(program)
        return Club.from_proto(await rpc(info.context.services.program_config.ArchiveClub(
            config_pb.ArchiveRequest(code=code), metadata=md, timeout=TIMEOUT)))

    @strawberry.mutation(permission_classes=[Allow("member.update")])
    async def join_club(self, info: Info, program: str, loyalty_number: str, club_code: str) -> MemberClubs:
        md = await info.context.metadata(program)
        r = await rpc(info.context.services.program_config.JoinClub(
            config_pb.ClubMembershipRequest(loyalty_number=loyalty_number, club_code=club_code), metadata=md,
            timeout=TIMEOUT))
        return MemberClubs(loyalty_number=loyalty_number, club_codes=list(r.club_codes))

    @strawberry.mutation(permission_classes=[Allow("member.update")])
    async def leave_club(self, info: Info, program: str, loyalty_number: str, club_code: str) -> MemberClubs:
        md = await info.context.metadata(program)
        r = await rpc(info.context.services.program_config.LeaveClub(
            config_pb.ClubMembershipRequest(loyalty_number=loyalty_number, club_code=club_code), metadata=md,
            timeout=TIMEOUT))
        return MemberClubs(loyalty_number=loyalty_number, club_codes=list(r.club_codes))

    @strawberry.mutation(permission_classes=[Allow("program.manage")], description="Create or edit a location.")
    async def save_location(self, info: Info, input: SaveLocationInput) -> Location:
        md = await info.context.metadata(input.program)
        return Location.from_proto(await rpc(info.context.services.program_config.SaveLocation(
            config_pb.SaveLocationRequest(code=input.code, name=input.name, kind=input.kind,
                                          address=input.address or "", timezone=input.timezone or ""),
            metadata=md, timeout=TIMEOUT)))

    @strawberry.mutation(permission_classes=[Allow("program.manage")])
    async def archive_location(self, info: Info, program: str, code: str) -> Location:
        md = await info.context.metadata(program)
        return Location.from_proto(await rpc(info.context.services.program_config.ArchiveLocation(
            config_pb.ArchiveRequest(code=code), metadata=md, timeout=TIMEOUT)))
