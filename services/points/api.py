"""gRPC servicer: translates proto <-> domain, nothing else."""

import asyncpg
import grpc

from loyalty.common.v1 import program_pb2
from loyalty.points.v1 import points_service_pb2 as pb
from loyalty.points.v1 import points_service_pb2_grpc as pb_grpc
from services.common.tenancy import require_program
from services.points import earning, members, programs, summary
from services.points.earn_policy import EarnPolicy, FlatRatePolicy


class PointsServicer(pb_grpc.PointsServiceServicer):
    def __init__(self, pool: asyncpg.Pool, earn_policy: EarnPolicy):
        self._pool = pool
        self._earn_policy = earn_policy

    async def ProvisionProgram(self, request, context):
        created = await programs.provision(self._pool, request.spec)
        return program_pb2.ProvisionProgramResponse(spec=request.spec, created=created)

    async def RegisterMember(self, request, context):
        ctx = require_program(context)
        await members.register(
            self._pool, program_id=ctx.program_id, member_id=request.member_id,
            loyalty_number=request.loyalty_number, status=request.status,
        )
        return pb.RegisterMemberResponse()

    async def Earn(self, request, context):
        ctx = require_program(context)
        return await earning.earn(self._pool, program_id=ctx.program_id, request=request, policy=self._earn_policy)

    async def GetSummary(self, request, context):
        ctx = require_program(context)
        return await summary.member_summary(self._pool, program_id=ctx.program_id, loyalty_number=request.loyalty_number)


def register(server: grpc.aio.Server, pool: asyncpg.Pool, settings) -> None:
    pb_grpc.add_PointsServiceServicer_to_server(PointsServicer(pool, FlatRatePolicy()), server)
