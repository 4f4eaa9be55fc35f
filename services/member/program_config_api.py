"""gRPC servicer of ProgramConfigService: translates proto <-> domain, nothing else."""

import uuid

import asyncpg
import grpc

from loyalty.member.v1 import program_config_service_pb2 as pb
from loyalty.member.v1 import program_config_service_pb2_grpc as pb_grpc
from services.common.errors import invalid
from services.common.tenancy import require_program
from services.member import program_config


def club_to_proto(row) -> pb.Club:
    return pb.Club(code=row["code"], name=row["name"], description=row["description"], is_default=row["is_default"],
                   archived=row["archived_at"] is not None, member_count=row["member_count"])


def location_to_proto(row) -> pb.Location:
    return pb.Location(code=row["code"], name=row["name"], kind=row["kind"], address=row["address"],
                       timezone=row["timezone"], archived=row["archived_at"] is not None)


def member_clubs_to_proto(member_id, codes) -> pb.MemberClubs:
    return pb.MemberClubs(member_id=str(member_id), club_codes=codes)


class ProgramConfigServicer(pb_grpc.ProgramConfigServiceServicer):
    def __init__(self, pool: asyncpg.Pool):
        self._pool = pool

    async def SaveClub(self, request, context):
        ctx = require_program(context)
        return club_to_proto(await program_config.save_club(self._pool, program_id=ctx.program_id,
                                                            data=program_config.ClubInput(
                                                                code=request.code, name=request.name,
                                                                description=request.description,
                                                                make_default=request.make_default)))

    async def ListClubs(self, request, context):
        ctx = require_program(context)
        rows = await program_config.list_clubs(self._pool, program_id=ctx.program_id,
                                               include_archived=request.include_archived)
        return pb.ListClubsResponse(clubs=[club_to_proto(r) for r in rows])

    async def ArchiveClub(self, request, context):
        ctx = require_program(context)
        return club_to_proto(await program_config.archive_club(self._pool, program_id=ctx.program_id,
                                                               code=request.code))

    async def JoinClub(self, request, context):
        ctx = require_program(context)
        return member_clubs_to_proto(*await program_config.join_club(
            self._pool, program_id=ctx.program_id, loyalty_number=request.loyalty_number,
            club_code=request.club_code))

    async def LeaveClub(self, request, context):
        ctx = require_program(context)
        return member_clubs_to_proto(*await program_config.leave_club(
            self._pool, program_id=ctx.program_id, loyalty_number=request.loyalty_number,
            club_code=request.club_code))

    async def GetMemberClubs(self, request, context):
        ctx = require_program(context)
        member_id = None
        if request.WhichOneof("by") == "member_id":
            try:
                member_id = uuid.UUID(request.member_id)
            except ValueError:
                raise invalid("memberId", "is not a UUID") from None
        return member_clubs_to_proto(*await program_config.member_clubs(
            self._pool, program_id=ctx.program_id, loyalty_number=request.loyalty_number, member_id=member_id))

    async def SaveLocation(self, request, context):
        ctx = require_program(context)
        return location_to_proto(await program_config.save_location(
            self._pool, program_id=ctx.program_id,
            data=program_config.LocationInput(code=request.code, name=request.name, kind=request.kind,
                                              address=request.address, timezone=request.timezone)))

    async def ListLocations(self, request, context):
        ctx = require_program(context)
        rows = await program_config.list_locations(self._pool, program_id=ctx.program_id,
                                                   include_archived=request.include_archived, kind=request.kind)
        return pb.ListLocationsResponse(locations=[location_to_proto(r) for r in rows])

    async def ArchiveLocation(self, request, context):
        ctx = require_program(context)
        return location_to_proto(await program_config.archive_location(self._pool, program_id=ctx.program_id,
                                                                       code=request.code))

    async def ListBirthdays(self, request, context):
        ctx = require_program(context)
        rows = await program_config.birthdays(self._pool, program_id=ctx.program_id, date=request.date)
        return pb.ListBirthdaysResponse(members=[pb.Birthday(member_id=str(r["id"]), loyalty_number=r["loyalty_number"])
                                                 for r in rows])


def register(server: grpc.aio.Server, pool: asyncpg.Pool) -> None:
    pb_grpc.add_ProgramConfigServiceServicer_to_server(ProgramConfigServicer(pool), server)
