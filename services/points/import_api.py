"""gRPC servicer for legacy imports: translates proto <-> domain, nothing else."""

import uuid

import asyncpg
import grpc

from loyalty.points.v1 import points_import_service_pb2 as pb
from loyalty.points.v1 import points_import_service_pb2_grpc as pb_grpc
from services.common import validation
from services.points import import_report, importing


def _import_id(raw: str) -> uuid.UUID:
    return validation.uuid_value(raw, "importId")


class PointsImportServicer(pb_grpc.PointsImportServiceServicer):
    def __init__(self, pool: asyncpg.Pool):
        self._pool = pool

    async def ImportHistory(self, request, context):
        totals = await importing.import_history(
            self._pool, import_id=_import_id(request.import_id),
            void_before=validation.timestamp(request.void_before, "voidBefore") if request.void_before else None,
            batch_members=request.batch_members or importing.BATCH_MEMBERS,
        )
        return pb.ImportHistoryResponse(**totals)

    async def CompareBalances(self, request, context):
        compared = await import_report.compare(self._pool, import_id=_import_id(request.import_id),
                                               max_mismatches=request.max_mismatches or 100)
        return pb.CompareBalancesResponse(
            members=compared["members"], matching=compared["matching"],
            legacy_balance_total=compared["legacy_total"], platform_balance_total=compared["platform_total"],
            transactions_imported=compared["transactions"],
            imported_points_by_kind=compared["by_kind"],
            mismatches=[pb.BalanceMismatch(**m) for m in compared["mismatches"]],
            remediation=[pb.RemediationBucket(**b) for b in compared["remediation"]],
        )


def register(server: grpc.aio.Server, pool: asyncpg.Pool) -> None:
    pb_grpc.add_PointsImportServiceServicer_to_server(PointsImportServicer(pool), server)
