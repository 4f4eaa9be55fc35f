import strawberry

from loyalty.notifications.v1 import notifications_service_pb2 as pb

from gateway.cdp.types import CdpConnector, CdpJob
from gateway.context import Info
from gateway.permissions import Allow, P
from gateway.services import rpc


@strawberry.type
class CdpQueries:
    @strawberry.field(permission_classes=[Allow(P.PROGRAM_READ)],
                      description="The program's CDP connector (Infobip People) and its backlog; NOT_FOUND if none")
    async def cdp_connector(self, info: Info, program: str) -> CdpConnector:
        md = await info.context.metadata(program)
        return CdpConnector.from_proto(await rpc(info.context.services.notifications.GetCdpConnector(
            pb.GetCdpConnectorRequest(), metadata=md, timeout=5)))

    @strawberry.field(permission_classes=[Allow(P.PROGRAM_READ)], description="Backfills and bulk tags, newest first")
    async def cdp_jobs(self, info: Info, program: str, first: int = 20) -> list[CdpJob]:
        md = await info.context.metadata(program)
        reply = await rpc(info.context.services.notifications.ListCdpJobs(pb.ListCdpJobsRequest(limit=first),
                                                                         metadata=md, timeout=5))
        return [CdpJob.from_proto(j) for j in reply.jobs]
