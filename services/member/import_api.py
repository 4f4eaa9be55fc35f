"""gRPC servicer for legacy imports: translates proto <-> domain, nothing else."""


import asyncpg
import grpc

from loyalty.member.v1 import member_import_service_pb2 as pb
from loyalty.member.v1 import member_import_service_pb2_grpc as pb_grpc
from services.common import validation
from services.common.tenancy import require_program
from services.member import import_records, importing


def _when(value) -> str:
    return value.isoformat() if value is not None else ""


def _counts(pairs) -> list[pb.FileCount]:
    return [pb.FileCount(file=f, count=n) for f, n in pairs]


def reconciliation_to_proto(r: import_records.Reconciliation) -> pb.Reconciliation:
    return pb.Reconciliation(
        checked_at=r.checked_at, members_imported=r.members_imported, balances_matching=r.balances_matching,
        legacy_members=r.legacy_members, legacy_balances=r.legacy_balances, platform_balances=r.platform_balances,
        rows_quarantined=r.rows_quarantined, transactions_imported=r.transactions_imported,
        points_by_kind=[pb.KindTotals(kind=k, legacy_points=a, platform_points=b) for k, a, b in r.points_by_kind],
        mismatches=[pb.BalanceMismatch(legacy_id=m.legacy_id, loyalty_number=m.loyalty_number,
                                       legacy_balance=m.legacy_balance, platform_balance=m.platform_balance)
                    for m in r.mismatches],
    )


def run_to_proto(run: import_records.ImportRun) -> pb.ImportRecord:
    c = run.count
    return pb.ImportRecord(
        id=str(run.id), source=run.source, state=run.state, error=run.error, started_at=_when(run.started_at),
        updated_at=_when(run.updated_at), finished_at=_when(run.finished_at), void_before=_when(run.void_before),
        rows_read=_counts(run.per_file("rows")), rows_loaded=_counts(run.per_file("loaded")),
        rejected_by_file=_counts(run.rejected_by_file), rejected_rows=run.rejected_rows,
        members_created=c("members_created"), members_matched=c("members_matched"),
        members_quarantined=c("members_quarantined"), history_members_done=c("history_members_done"),
        history_members_total=c("history_members_total"), transactions_imported=c("transactions_imported"),
        transactions_voided=c("voided"), lots_created=c("lots_created"), lots_expired_by_policy=c("lots_expired_by_policy"),
        members_remediated=c("members_remediated"), remediation_credited=c("remediation_credited"),
        remediation_debited=c("remediation_debited"), members_tiered=c("members_tiered"),
        unknown_tier_codes=[str(t) for t in run.counters.get("unknown_tier_codes") or []],
        control_batches=c("control_batches"), control_batches_ok=c("control_batches_ok"),
        control_break=str(run.counters.get("control_break") or ""),
        step_seconds=[pb.StepTime(step=s, seconds=v) for s, v in run.step_seconds()],
        reconciliation=reconciliation_to_proto(run.reconciliation) if run.reconciliation else None,
    )


class MemberImportServicer(pb_grpc.MemberImportServiceServicer):
    def __init__(self, pool: asyncpg.Pool):
        self._pool = pool

    async def ImportMembers(self, request, context):
        import_id = validation.uuid_value(request.import_id, "importId")
        return pb.ImportMembersResponse(**await importing.import_members(self._pool, import_id=import_id))

    async def ListImports(self, request, context):
        ctx = require_program(context)
        runs = await import_records.list_runs(self._pool, program_id=ctx.program_id, limit=request.limit)
        return pb.ImportRecords(imports=[run_to_proto(r) for r in runs])

    async def GetImport(self, request, context):
        ctx = require_program(context)
        import_id = validation.uuid_value(request.import_id, "id")
        run, page = await import_records.get_run(
            self._pool, program_id=ctx.program_id, import_id=import_id, rejections_limit=request.rejections_limit,
            rejections_after=request.rejections_after)
        return pb.ImportDetail(
            run=run_to_proto(run), next_rejections_after=page.next_after,
            rejections=[pb.RejectedRow(file=x.file, line=x.line, key=x.key, reason=x.reason) for x in page.rows])


def register(server: grpc.aio.Server, pool: asyncpg.Pool) -> None:
    pb_grpc.add_MemberImportServiceServicer_to_server(MemberImportServicer(pool), server)
