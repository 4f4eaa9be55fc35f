"""gRPC servicer of PointsService: translates proto <-> domain, nothing else."""

import asyncpg
import grpc

from loyalty.common.v1 import program_pb2
from loyalty.points.v1 import points_service_pb2 as pb
from loyalty.points.v1 import points_service_pb2_grpc as pb_grpc
from services.common.tenancy import require_program
from services.points.ledger import adjusting, earning, members, programs, spending, summary, voiding
from services.points.ledger.earn_policy import EarnPolicy
from services.points.ledger.events import LedgerEventRelay
from services.points.ledger.hooks import LedgerHooks


class PointsServicer(pb_grpc.PointsServiceServicer):
    def __init__(self, pool: asyncpg.Pool, *, earn_policy: EarnPolicy, hooks: LedgerHooks,
                 relay: LedgerEventRelay | None = None):
        self._pool = pool
        self._earn_policy = earn_policy
        self._hooks = hooks
        self._relay = relay

    def _posted(self, response):
        if self._relay is not None:
            self._relay.kick()
        return response

    async def ProvisionProgram(self, request, context):
        created = await programs.provision(self._pool, request.spec)
        return program_pb2.ProvisionProgramResponse(spec=request.spec, created=created)

    async def RegisterMember(self, request, context):
        ctx = require_program(context)
        await members.register(
            self._pool, program_id=ctx.program_id, member_id=request.member_id,
            loyalty_number=request.loyalty_number, status=request.status, hooks=self._hooks,
        )
        return pb.RegisterMemberResponse()

    async def Earn(self, request, context):
        ctx = require_program(context)
        return self._posted(await earning.earn(self._pool, program_id=ctx.program_id, request=request,
                                               policy=self._earn_policy))

    async def RetroClaim(self, request, context):
        ctx = require_program(context)
        return self._posted(await earning.retro_claim(self._pool, program_id=ctx.program_id, request=request,
                                                      policy=self._earn_policy))

    async def ActivatePending(self, request, context):
        ctx = require_program(context)
        return self._posted(await earning.activate_pending(self._pool, program_id=ctx.program_id, request=request))

    async def Burn(self, request, context):
        ctx = require_program(context)
        return self._posted(await spending.burn(self._pool, program_id=ctx.program_id, request=request))

    async def Hold(self, request, context):
        ctx = require_program(context)
        return await spending.hold(self._pool, program_id=ctx.program_id, request=request)

    async def CaptureHold(self, request, context):
        ctx = require_program(context)
        return self._posted(await spending.capture(self._pool, program_id=ctx.program_id, request=request))

    async def ReleaseHold(self, request, context):
        ctx = require_program(context)
        return await spending.release(self._pool, program_id=ctx.program_id, request=request)

    async def Void(self, request, context):
        ctx = require_program(context)
        return self._posted(await voiding.void(self._pool, program_id=ctx.program_id, request=request,
                                               hooks=self._hooks, actor=ctx.principal))

    async def Adjust(self, request, context):
        ctx = require_program(context)
        return self._posted(await adjusting.adjust(self._pool, program_id=ctx.program_id, request=request,
                                                            actor=ctx.principal))

    async def Goodwill(self, request, context):
        ctx = require_program(context)
        return self._posted(await adjusting.goodwill(self._pool, program_id=ctx.program_id, request=request,
                                                            actor=ctx.principal))

    async def Transfer(self, request, context):
        ctx = require_program(context)
        return self._posted(await adjusting.transfer(self._pool, program_id=ctx.program_id, request=request,
                                                            actor=ctx.principal))

    async def MergeMembers(self, request, context):
        ctx = require_program(context)
        return self._posted(await adjusting.merge(self._pool, program_id=ctx.program_id, request=request))

    async def ExtendExpiry(self, request, context):
        ctx = require_program(context)
        return await adjusting.extend_expiry(self._pool, program_id=ctx.program_id, request=request)

    async def GetSummary(self, request, context):
        ctx = require_program(context)
        return await summary.member_summary(self._pool, program_id=ctx.program_id, loyalty_number=request.loyalty_number)

    async def ListTransactions(self, request, context):
        ctx = require_program(context)
        return await summary.history(self._pool, program_id=ctx.program_id, request=request)

    async def ListExpiring(self, request, context):
        ctx = require_program(context)
        return await summary.expiring(self._pool, program_id=ctx.program_id, request=request)

    async def GetLiability(self, request, context):
        ctx = require_program(context)
        return await summary.liability(self._pool, program_id=ctx.program_id, request=request)

    async def GetBreakage(self, request, context):
        ctx = require_program(context)
        return await summary.breakage(self._pool, program_id=ctx.program_id, request=request)



def register(server: grpc.aio.Server, servicer: PointsServicer) -> None:
    pb_grpc.add_PointsServiceServicer_to_server(servicer, server)
