import strawberry

from loyalty.member.v1 import member_service_pb2 as member_pb
from loyalty.points.v1 import points_service_pb2 as points_pb

from gateway.context import Info
from gateway.permissions import Allow, Authenticated, P
from gateway.programs.types import Program, ProgramLimits
from gateway.services import rpc


@strawberry.type
class ProgramQueries:
    @strawberry.field(permission_classes=[Allow(P.PROGRAM_READ)])
    async def program(self, info: Info, program: str) -> Program:
        return Program.from_proto(await info.context.loaders.program_by_code.load(program))

    @strawberry.field(permission_classes=[Authenticated],
                      description="The programs you may read (platform users: every program)")
    async def programs(self, info: Info, include_archived: bool = False) -> list[Program]:
        principal = info.context.principal
        reply = await rpc(info.context.services.member.ListPrograms(
            member_pb.ListProgramsRequest(include_archived=include_archived), timeout=10))
        return [Program.from_proto(p) for p in reply.programs
                if principal.may_act_on(p.code) and principal.has(P.PROGRAM_READ.value, p.code)]

    @strawberry.field(permission_classes=[Allow(P.PROGRAM_READ)], description="Limits on staff postings by hand")
    async def program_limits(self, info: Info, program: str) -> ProgramLimits:
        md = await info.context.metadata(program)
        reply = await rpc(info.context.services.points.GetProgramLimits(points_pb.GetProgramLimitsRequest(),
                                                                        metadata=md, timeout=10))
        return ProgramLimits(goodwill_limit=reply.goodwill_limit or None)
