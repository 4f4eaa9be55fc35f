"""gRPC servicer for legacy imports: translates proto <-> domain, nothing else."""

import uuid

import asyncpg
import grpc

from loyalty.tier.v1 import tier_import_service_pb2 as pb
from loyalty.tier.v1 import tier_import_service_pb2_grpc as pb_grpc
from services.common.errors import invalid
from services.tier import importing


class TierImportServicer(pb_grpc.TierImportServiceServicer):
    def __init__(self, pool: asyncpg.Pool):
        self._pool = pool

    async def ImportTiers(self, request, context):
        try:
            import_id = uuid.UUID(request.import_id)
        except ValueError:
            raise invalid("importId", "is not a UUID") from None
        return pb.ImportTiersResponse(**await importing.import_tiers(self._pool, import_id=import_id))


def register(server: grpc.aio.Server, pool: asyncpg.Pool) -> None:
    pb_grpc.add_TierImportServiceServicer_to_server(TierImportServicer(pool), server)
