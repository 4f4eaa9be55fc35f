"""gRPC servicer for legacy imports: translates proto <-> domain, nothing else."""


import asyncpg
import grpc

from loyalty.member.v1 import member_import_service_pb2 as pb
from loyalty.member.v1 import member_import_service_pb2_grpc as pb_grpc
from services.common import validation
from services.member import importing


class MemberImportServicer(pb_grpc.MemberImportServiceServicer):
    def __init__(self, pool: asyncpg.Pool):
        self._pool = pool

    async def ImportMembers(self, request, context):
        import_id = validation.uuid_value(request.import_id, "importId")
        return pb.ImportMembersResponse(**await importing.import_members(self._pool, import_id=import_id))


def register(server: grpc.aio.Server, pool: asyncpg.Pool) -> None:
    pb_grpc.add_MemberImportServiceServicer_to_server(MemberImportServicer(pool), server)
