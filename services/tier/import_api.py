"""gRPC servicer for legacy imports: translates proto <-> domain, nothing else."""


import asyncpg
import grpc

from loyalty.tier.v1 import tier_import_service_pb2 as pb
from loyalty.tier.v1 import tier_import_service_pb2_grpc as pb_grpc
from services.common import validation
from services.tier import importing


class TierImportServicer(pb_grpc.TierImportServiceServicer):
    def __init__(self, pool: asyncpg.Pool):
        self._pool = pool

    async def ImportTiers(self, request, context):
        import_id = validation.uuid_value(request.import_id, "importId")
        return pb.ImportTiersResponse(**await importing.import_tiers(self._pool, import_id=import_id))


def register(server: grpc.aio.Server, pool: asyncpg.Pool) -> None:
    pb_grpc.add_TierImportServiceServicer_to_server(TierImportServicer(pool), server)
