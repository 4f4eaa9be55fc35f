"""gRPC servicer for legacy imports: translates proto <-> domain, nothing else."""

import asyncio
import uuid

import asyncpg
import grpc

from loyalty.points.v1 import points_import_service_pb2 as pb
from loyalty.points.v1 import points_import_service_pb2_grpc as pb_grpc
from services.common import validation
from services.points import api as points_api
from services.points.ledger.cards import MemberCards
from services.points.ledger.hooks import LedgerHooks
from services.points.importing import report as import_report
from services.points.importing import history as importing


def _import_id(raw: str) -> uuid.UUID:
    return validation.uuid_value(raw, "importId")


class PointsImportServicer(pb_grpc.PointsImportServiceServicer):
    def __init__(self, pool: asyncpg.Pool, *, hooks: LedgerHooks, cards: MemberCards | None = None):
        self._pool = pool
        self._hooks = hooks
        self._cards = cards

    async def ImportHistory(self, request, context):
        progress: asyncio.Queue = asyncio.Queue()
        cleared = False
        work = asyncio.create_task(importing.import_history(
            self._pool, import_id=_import_id(request.import_id),
            void_before=validation.timestamp(request.void_before, "voidBefore") if request.void_before else None,
            batch_members=request.batch_members or importing.BATCH_MEMBERS, progress=progress.put_nowait,
            hooks=self._hooks, replay_of=points_api.void_replay,
        ))
        try:
            while not work.done() or not progress.empty():
                waiting = asyncio.ensure_future(progress.get())
                await asyncio.wait({work, waiting}, return_when=asyncio.FIRST_COMPLETED)
                if waiting.done():
                    yield pb.ImportHistoryResponse(**waiting.result())
                else:
                    waiting.cancel()
            finished = work.result()
            if self._cards is not None:  # imported postings write no card: none read before them may stay
                await self._cards.after_import()
                cleared = True
            yield pb.ImportHistoryResponse(**finished, finished=True)
        finally:
            work.cancel()  # the caller went away: the open batch rolls back, finished ones stay
            if self._cards is not None and not cleared:
                self._cards.after_import_soon()

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


def register(server: grpc.aio.Server, servicer: PointsImportServicer) -> None:
    pb_grpc.add_PointsImportServiceServicer_to_server(servicer, server)
