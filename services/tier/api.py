"""gRPC servicer: translates proto <-> domain, nothing else."""

import asyncpg
import grpc

from loyalty.tier.v1 import tier_service_pb2_grpc as pb_grpc
from services.common import program_copy


class TierServicer(pb_grpc.TierServiceServicer):
    def __init__(self, pool: asyncpg.Pool):
        self._pool = pool

    async def ProvisionProgram(self, request, context):
        return await program_copy.provision(self._pool, request.spec)


def register(server: grpc.aio.Server, pool: asyncpg.Pool, settings) -> None:
    pb_grpc.add_TierServiceServicer_to_server(TierServicer(pool), server)
