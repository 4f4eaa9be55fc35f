"""What the import tool asks the services: the program, the three import steps, the ledger's view
of a member, and the partner files' postings.

The importer's one client module: besides its command lines (cli.py, jobs.py), the only one that
reads or writes protos; it answers with the frozen dataclasses below.
"""

import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator

import grpc

from loyalty.identity.v1 import identity_service_pb2 as identity_pb
from loyalty.identity.v1 import identity_service_pb2_grpc as identity_grpc
from loyalty.member.v1 import member_import_service_pb2 as member_import_pb
from loyalty.member.v1 import member_import_service_pb2_grpc as member_import_grpc
from loyalty.member.v1 import member_service_pb2 as member_pb
from loyalty.member.v1 import member_service_pb2_grpc as member_grpc
from loyalty.points.v1 import points_import_service_pb2 as points_import_pb
from loyalty.points.v1 import points_import_service_pb2_grpc as points_import_grpc
from loyalty.points.v1 import points_service_pb2 as points_pb
from loyalty.points.v1 import points_service_pb2_grpc as points_grpc
from loyalty.tier.v1 import tier_import_service_pb2 as tier_import_pb
from loyalty.tier.v1 import tier_import_service_pb2_grpc as tier_import_grpc
from services.common import clients
from services.common.errors import from_rpc_error

LONG = 3600.0  # a step over millions of rows may take minutes


@dataclasses.dataclass(frozen=True)
class MembersImported:
    created: int
    matched_existing: int
    quarantined: int


@dataclasses.dataclass(frozen=True)
class HistoryProgress:
    """One batch's totals from the points service; the last one has `finished`."""

    finished: bool
    members_done: int
    members_total: int
    transactions_imported: int
    transactions_voided: int
    lots_created: int
    lots_expired: int
    members_remediated: int
    points_credited: int
    points_debited: int


@dataclasses.dataclass(frozen=True)
class TiersImported:
    members_tiered: int
    unknown_tier_codes: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Mismatch:
    legacy_id: str
    loyalty_number: str
    legacy_balance: int
    platform_balance: int


@dataclasses.dataclass(frozen=True)
class RemediationBand:
    range: str
    members: int
    points: int


@dataclasses.dataclass(frozen=True)
class BalanceComparison:
    members: int
    matching: int
    mismatches: tuple[Mismatch, ...]
    remediation: tuple[RemediationBand, ...]
    platform_balance_total: int
    imported_points_by_kind: dict[str, int]
    transactions_imported: int


@dataclasses.dataclass(frozen=True)
class MemberFound:
    loyalty_number: str
    email: str
    phone: str
    merged_into: str


@dataclasses.dataclass(frozen=True)
class Posting:
    kind: str
    reference: str
    points: int  # signed, as the history shows it
    occurred_at: dt.datetime
    status: str


@dataclasses.dataclass(frozen=True)
class Posted:
    points: int  # what the posting moved (earned, or the void's signed change)
    new_balance: int


def _fields(cls, message):
    return cls(**{f.name: getattr(message, f.name) for f in dataclasses.fields(cls)})


@dataclasses.dataclass(frozen=True)
class JobAudit:
    """One audit entry of a job's work in a program: who is the job, what it did, with what outcome."""

    job: str
    program_code: str
    operation: str
    target_ids: tuple[str, ...]
    summary: dict
    outcome: str


class Peers:
    def __init__(self, *, member_addr: str, points_addr: str, tier_addr: str | None = None,
                 identity_addr: str | None = None):
        member, points = clients.channel(member_addr), clients.channel(points_addr)
        self._channels = [member, points]
        self._member = member_grpc.MemberServiceStub(member)
        self._points = points_grpc.PointsServiceStub(points)
        self._member_import = member_import_grpc.MemberImportServiceStub(member)
        self._points_import = points_import_grpc.PointsImportServiceStub(points)
        self._tier_import = None  # the partner-files job needs no tier service
        if tier_addr:
            tier = clients.channel(tier_addr)
            self._channels.append(tier)
            self._tier_import = tier_import_grpc.TierImportServiceStub(tier)
        self._identity = None  # the audit log, for the jobs that write through the services
        if identity_addr:
            identity = clients.channel(identity_addr)
            self._channels.append(identity)
            self._identity = identity_grpc.IdentityServiceStub(identity)

    @classmethod
    def connect(cls, settings) -> "Peers":
        return cls(member_addr=settings.member_addr, points_addr=settings.points_addr,
                   tier_addr=getattr(settings, "tier_addr", None))

    async def close(self) -> None:
        for ch in self._channels:
            await ch.close()

    async def append_audit(self, entries: list[JobAudit]) -> int:
        """Appends the entries to the program's append-only audit log; each is stored once even if sent again."""
        if self._identity is None or not entries:
            return 0
        request = identity_pb.AppendAuditRequest(entries=[identity_pb.AuditEntry(
            subject=f"job:{e.job}", subject_kind="job", program_code=e.program_code, operation=e.operation,
            target_ids=json.dumps(list(e.target_ids)), summary_json=json.dumps(e.summary), outcome=e.outcome,
            entry_key=uuid.uuid4().hex) for e in entries])
        return (await clients.call(self._identity.AppendAudit(request, timeout=10))).appended

    # --- the program and the import steps ------------------------------------------------------

    async def program_id(self, code: str) -> uuid.UUID:
        found = await clients.call(self._member.GetProgram(member_pb.GetProgramRequest(code=code), timeout=10))
        return uuid.UUID(found.id)

    async def import_members(self, import_id: uuid.UUID) -> MembersImported:
        reply = await clients.call(self._member_import.ImportMembers(
            member_import_pb.ImportMembersRequest(import_id=str(import_id)), timeout=LONG))
        return _fields(MembersImported, reply)

    async def import_history(self, import_id: uuid.UUID, *, void_before: dt.datetime | None,
                             batch_members: int) -> AsyncIterator[HistoryProgress]:
        """The points service's totals after each batch, the last one `finished`."""
        stream = self._points_import.ImportHistory(points_import_pb.ImportHistoryRequest(
            import_id=str(import_id), void_before=void_before.isoformat() if void_before else "",
            batch_members=batch_members), timeout=None)  # progress comes per batch; 10M rows take over an hour
        try:
            async for reply in stream:
                yield _fields(HistoryProgress, reply)
        except grpc.aio.AioRpcError as err:
            raise from_rpc_error(err) from None

    async def import_tiers(self, import_id: uuid.UUID) -> TiersImported:
        reply = await clients.call(self._tier_import.ImportTiers(
            tier_import_pb.ImportTiersRequest(import_id=str(import_id)), timeout=LONG))
        return TiersImported(members_tiered=reply.members_tiered, unknown_tier_codes=tuple(reply.unknown_tier_codes))

    async def compare_balances(self, import_id: uuid.UUID, *, max_mismatches: int) -> BalanceComparison:
        r = await clients.call(self._points_import.CompareBalances(
            points_import_pb.CompareBalancesRequest(import_id=str(import_id), max_mismatches=max_mismatches),
            timeout=LONG))
        return BalanceComparison(
            members=r.members, matching=r.matching, mismatches=tuple(_fields(Mismatch, m) for m in r.mismatches),
            remediation=tuple(_fields(RemediationBand, b) for b in r.remediation),
            platform_balance_total=r.platform_balance_total,
            imported_points_by_kind=dict(r.imported_points_by_kind), transactions_imported=r.transactions_imported)

    # --- the ledger's view of a member (dual running) ----------------------------------------------

    async def search_members(self, program_id: uuid.UUID, *, principal: str, query: str,
                             field: str) -> list[MemberFound]:
        reply = await clients.call(self._member.SearchMembers(
            member_pb.SearchMembersRequest(query=query, field=field, page_size=5),
            metadata=clients.metadata(program_id=program_id, principal=principal), timeout=30))
        return [_fields(MemberFound, m) for m in reply.members]

    async def available_points(self, program_id: uuid.UUID, *, principal: str, loyalty_number: str) -> int:
        summary = await clients.call(self._points.GetSummary(
            points_pb.GetSummaryRequest(loyalty_number=loyalty_number),
            metadata=clients.metadata(program_id=program_id, principal=principal), timeout=30))
        return summary.available

    async def postings(self, program_id: uuid.UUID, *, principal: str, loyalty_number: str) -> list[Posting]:
        """Every posting of the member, all pages."""
        md = clients.metadata(program_id=program_id, principal=principal)
        out, token = [], ""
        while True:
            reply = await clients.call(self._points.ListTransactions(points_pb.ListTransactionsRequest(
                loyalty_number=loyalty_number, page_size=200, page_token=token), metadata=md, timeout=30))
            out += [Posting(kind=t.kind, reference=t.reference, points=t.points,
                            occurred_at=dt.datetime.fromisoformat(t.occurred_at.replace("Z", "+00:00")),
                            status=t.status) for t in reply.transactions]
            token = reply.next_page_token
            if not token:
                return out

    # --- partner files: postings idempotent by reference -------------------------------------------

    async def earn(self, program_id: uuid.UUID | str, *, principal: str, loyalty_number: str, amount: str,
                   currency: str, reference: str, occurred_at: str, partner_code: str, location_code: str,
                   channel: str) -> Posted:
        result = await clients.call(self._points.Earn(points_pb.EarnRequest(
            loyalty_number=loyalty_number, amount=amount, currency=currency, reference=reference,
            occurred_at=occurred_at, partner_code=partner_code, location_code=location_code, channel=channel,
        ), metadata=clients.metadata(program_id=program_id, principal=principal), timeout=10))
        return Posted(points=result.points_earned, new_balance=result.new_balance)

    async def void(self, program_id: uuid.UUID | str, *, principal: str, reference: str, target_reference: str,
                   reason: str) -> Posted:
        result = await clients.call(self._points.Void(points_pb.VoidRequest(
            reference=reference, target_reference=target_reference, reason=reason,
        ), metadata=clients.metadata(program_id=program_id, principal=principal), timeout=10))
        return Posted(points=result.points, new_balance=result.new_balance)
