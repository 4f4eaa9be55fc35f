import asyncio
from typing import Annotated

import strawberry

from loyalty.tier.v1 import tier_service_pb2 as tier_pb

from gateway.context import Info
from gateway.permissions import Allow, P
from gateway.services import rpc
from gateway.tiers.types import (
    MemberTierStatus, TierChange, TierFreezeWindow, TierProgress, TierReport, TierSlab,
)


async def _member(info: Info, program: str, loyalty_number: str):
    """NOT_FOUND for a loyalty number that is not a member of the program, as every member query answers
    (the tier service alone would answer an empty history for any number)."""
    return await info.context.loaders.member_by_loyalty_number.load((program, loyalty_number))


@strawberry.type
class TierQueries:
    @strawberry.field(permission_classes=[Allow("tier.read")])
    async def tier_slabs(self, info: Info, program: str) -> list[TierSlab]:
        slabs = await info.context.loaders.tier_slabs_by_program.load(program)
        return [TierSlab.from_proto(s) for s in slabs.slabs]

    @strawberry.field(permission_classes=[Allow(P.TIER_READ)], description="The member's tier in every slab")
    async def tier_status(self, info: Info, program: str, loyalty_number: str) -> list[MemberTierStatus]:
        md = await info.context.metadata(program)
        _, reply = await asyncio.gather(_member(info, program, loyalty_number), rpc(info.context.services.tier.GetMemberTiers(
            tier_pb.GetMemberTiersRequest(loyalty_number=loyalty_number), metadata=md, timeout=5)))
        return [MemberTierStatus.from_proto(t) for t in reply.tiers]

    @strawberry.field(permission_classes=[Allow(P.TIER_READ)])
    async def tier_progress(self, info: Info, program: str, loyalty_number: str,
                            as_of: str | None = None) -> list[TierProgress]:
        _, progress = await asyncio.gather(
            _member(info, program, loyalty_number),
            info.context.loaders.tier_progress_by_loyalty_number.load((program, loyalty_number, as_of or "")))
        return [TierProgress.from_proto(p) for p in progress.slabs]

    @strawberry.field(permission_classes=[Allow(P.TIER_READ)])
    async def tier_history(self, info: Info, program: str, loyalty_number: str,
                           slab_code: str | None = None) -> list[TierChange]:
        md = await info.context.metadata(program)
        _, reply = await asyncio.gather(_member(info, program, loyalty_number), rpc(info.context.services.tier.ListHistory(
            tier_pb.ListHistoryRequest(loyalty_number=loyalty_number, slab_code=slab_code or ""), metadata=md,
            timeout=5)))
        return [TierChange.from_proto(c) for c in reply.changes]

    @strawberry.field(permission_classes=[Allow("tier.read")],
                      description="Members and spend per tier, upgrades and downgrades per period, in [from, to]")
    async def tier_report(self, info: Info, program: str, slab_code: str,
                          from_: Annotated[str, strawberry.argument(name="from")], to: str,
                          period: str = "month") -> TierReport:
        md = await info.context.metadata(program)
        request = tier_pb.GetReportRequest(slab_code=slab_code, to=to, period=period)
        setattr(request, "from", from_)
        return TierReport.from_proto(await rpc(info.context.services.tier.GetReport(request, metadata=md, timeout=30)))

    @strawberry.field(permission_classes=[Allow("tier.read")])
    async def tier_freeze_windows(self, info: Info, program: str) -> list[TierFreezeWindow]:
        md = await info.context.metadata(program)
        reply = await rpc(info.context.services.tier.ListFreezeWindows(tier_pb.ListFreezeWindowsRequest(), metadata=md,
                                                                       timeout=5))
        return [TierFreezeWindow.from_proto(w) for w in reply.windows]
