"""The legacy import records (services/member/import_records.py) as the admin console reads them."""

import strawberry

from loyalty.member.v1 import member_import_service_pb2 as pb

from gateway.scalars import Long


@strawberry.type
class FileRowCount:
    file: str
    count: Long


@strawberry.type
class ImportStepTime:
    step: str = strawberry.field(description="load, members, history or tiers")
    seconds: float


@strawberry.type
class ReconciledKind:
    kind: str
    legacy_points: Long
    platform_points: Long


@strawberry.type
class BalanceMismatch:
    legacy_id: str
    loyalty_number: str
    legacy_balance: Long
    platform_balance: Long


@strawberry.type(description="The last `loyalty-import reconcile` of a run: both sides' control totals")
class ImportReconciliation:
    checked_at: str
    members_imported: Long
    balances_matching: Long
    legacy_members: Long
    legacy_balances: Long
    platform_balances: Long
    rows_quarantined: Long
    transactions_imported: Long
    points_by_kind: list[ReconciledKind]
    matching_share: float = strawberry.field(description="Balances matching over members imported (1.0: all)")
    mismatches: list[BalanceMismatch] = strawberry.field(description="The first ones (the report keeps 100)")

    @classmethod
    def from_proto(cls, r: pb.Reconciliation) -> "ImportReconciliation":
        return cls(
            checked_at=r.checked_at, members_imported=r.members_imported, balances_matching=r.balances_matching,
            legacy_members=r.legacy_members, legacy_balances=r.legacy_balances,
            platform_balances=r.platform_balances, rows_quarantined=r.rows_quarantined,
            transactions_imported=r.transactions_imported,
            matching_share=r.balances_matching / r.members_imported if r.members_imported else 1.0,
            points_by_kind=[ReconciledKind(kind=k.kind, legacy_points=k.legacy_points,
                                           platform_points=k.platform_points) for k in r.points_by_kind],
            mismatches=[BalanceMismatch(legacy_id=m.legacy_id, loyalty_number=m.loyalty_number,
                                        legacy_balance=m.legacy_balance, platform_balance=m.platform_balance)
                        for m in r.mismatches])


@strawberry.type(description="One run of the legacy importer (loyalty-import run) into the program")
class LegacyImport:
    id: strawberry.ID
    source: str = strawberry.field(description="The dump's folder or remote address")
    state: str = strawberry.field(description="loading, loaded, members, history, tiers, done, held or failed")
    error: str
    started_at: str
    updated_at: str
    finished_at: str | None
    void_before: str | None
    rows_read: list[FileRowCount]
    rows_loaded: list[FileRowCount]
    rejected_rows: Long
    rejected_by_file: list[FileRowCount]
    members_created: Long
    members_matched: Long
    members_quarantined: Long
    history_members_done: Long
    history_members_total: Long
    transactions_imported: Long
    transactions_voided: Long
    lots_created: Long
    lots_expired_by_policy: Long
    members_remediated: Long
    remediation_credited: Long
    remediation_debited: Long
    members_tiered: Long
    unknown_tier_codes: list[str]
    control_batches: Long
    control_batches_ok: Long
    control_break: str
    step_seconds: list[ImportStepTime]
    reconciliation: ImportReconciliation | None

    @classmethod
    def from_proto(cls, r: pb.ImportRecord) -> "LegacyImport":
        counts = lambda items: [FileRowCount(file=c.file, count=c.count) for c in items]  # noqa: E731
        return cls(
            id=strawberry.ID(r.id), source=r.source, state=r.state, error=r.error, started_at=r.started_at,
            updated_at=r.updated_at, finished_at=r.finished_at or None, void_before=r.void_before or None,
            rows_read=counts(r.rows_read), rows_loaded=counts(r.rows_loaded), rejected_rows=r.rejected_rows,
            rejected_by_file=counts(r.rejected_by_file), members_created=r.members_created,
            members_matched=r.members_matched, members_quarantined=r.members_quarantined,
            history_members_done=r.history_members_done, history_members_total=r.history_members_total,
            transactions_imported=r.transactions_imported, transactions_voided=r.transactions_voided,
            lots_created=r.lots_created, lots_expired_by_policy=r.lots_expired_by_policy,
            members_remediated=r.members_remediated, remediation_credited=r.remediation_credited,
            remediation_debited=r.remediation_debited, members_tiered=r.members_tiered,
            unknown_tier_codes=list(r.unknown_tier_codes), control_batches=r.control_batches,
            control_batches_ok=r.control_batches_ok, control_break=r.control_break,
            step_seconds=[ImportStepTime(step=s.step, seconds=s.seconds) for s in r.step_seconds],
            reconciliation=ImportReconciliation.from_proto(r.reconciliation) if r.HasField("reconciliation") else None)


@strawberry.type
class ImportRejection:
    file: str
    line: int = strawberry.field(description="0: refused after the load (the member step), named by key")
    key: str = strawberry.field(description="The row's legacy id or transaction id")
    problem: str


@strawberry.type(description="One import run with a page of its rejected rows, in file and line order")
class LegacyImportDetail:
    run: LegacyImport
    rejections: list[ImportRejection]
    next_cursor: str | None = strawberry.field(description="Pass as `after` for the next page; null on the last")
