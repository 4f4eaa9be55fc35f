from typing import Annotated

import strawberry

from loyalty.points.v1 import points_service_pb2 as points_pb

from gateway.context import Info
from gateway.permissions import Allow
from gateway.points.types import (
    ActivityRow, BreakageRow, PointsActivity, ExpiringPointsItem, ExpiringPointsPage, LiabilityRow, PointsBreakage, PointsHistoryPage,
    PointsLiability, PointsLot, PointsSummary, PointsTransaction,
)
from gateway.services import rpc

TIMEOUT = 10


@strawberry.type
class PointsQueries:
    @strawberry.field(permission_classes=[Allow("points.read")])
    async def enquire(self, info: Info, program: str, loyalty_number: str) -> PointsSummary:
        summary = await info.context.loaders.points_summary_by_loyalty_number.load((program, loyalty_number))
        return PointsSummary.from_proto(summary)

    @strawberry.field(permission_classes=[Allow("points.read")], description="Newest first; pass nextCursor as after.")
    async def points_history(
        self, info: Info, program: str, loyalty_number: str, kinds: list[str] | None = None,
        from_: Annotated[str | None, strawberry.argument(name="from")] = None, to: str | None = None,
        first: int = 50, after: str | None = None,
    ) -> PointsHistoryPage:
        md = await info.context.metadata(program)
        request = points_pb.ListTransactionsRequest(loyalty_number=loyalty_number, kinds=kinds or [], to=to or "",
                                                    page_size=first, page_token=after or "")
        setattr(request, "from", from_ or "")
        r = await rpc(info.context.services.points.ListTransactions(request, metadata=md, timeout=TIMEOUT))
        return PointsHistoryPage(items=[PointsTransaction.from_proto(t) for t in r.transactions],
                                 next_cursor=r.next_page_token or None)

    @strawberry.field(permission_classes=[Allow("points.read")], description="Points expiring within N days.")
    async def expiring_points(
        self, info: Info, program: str, within_days: int, loyalty_number: str | None = None, first: int = 50,
        after: str | None = None,
    ) -> ExpiringPointsPage:
        md = await info.context.metadata(program)
        r = await rpc(info.context.services.points.ListExpiring(points_pb.ListExpiringRequest(
            within_days=within_days, loyalty_number=loyalty_number or "", page_size=first, page_token=after or "",
        ), metadata=md, timeout=TIMEOUT))
        return ExpiringPointsPage(
            items=[ExpiringPointsItem(loyalty_number=i.loyalty_number, points=i.points, expires_at=i.expires_at)
                   for i in r.items],
            next_cursor=r.next_page_token or None)

    @strawberry.field(permission_classes=[Allow("points.read")],
                      description="A member's lots, open ones first in the order they expire (the expiry schedule)")
    async def member_lots(self, info: Info, program: str, loyalty_number: str, include_closed: bool = False,
                          first: int = 50) -> list[PointsLot]:
        md = await info.context.metadata(program)
        r = await rpc(info.context.services.points.ListLots(points_pb.ListLotsRequest(
            loyalty_number=loyalty_number, include_closed=include_closed, page_size=first), metadata=md, timeout=TIMEOUT))
        return [PointsLot.from_proto(lot) for lot in r.lots]

    @strawberry.field(permission_classes=[Allow("points.report")], description="Outstanding points by expiry month.")
    async def points_liability(
        self, info: Info, program: str, from_month: str | None = None, to_month: str | None = None,
    ) -> PointsLiability:
        md = await info.context.metadata(program)
        request = points_pb.GetLiabilityRequest(to=to_month or "")
        setattr(request, "from", from_month or "")
        r = await rpc(info.context.services.points.GetLiability(request, metadata=md, timeout=TIMEOUT))
        return PointsLiability(rows=[LiabilityRow(expiry_month=x.expiry_month, points=x.points) for x in r.rows],
                               total_points=r.total_points)

    @strawberry.field(permission_classes=[Allow("points.report")], description="Points expired unredeemed, by period.")
    async def points_breakage(
        self, info: Info, program: str, from_: Annotated[str | None, strawberry.argument(name="from")] = None,
        to: str | None = None, period: str = "month",
    ) -> PointsBreakage:
        md = await info.context.metadata(program)
        request = points_pb.GetBreakageRequest(to=to or "", period=period)
        setattr(request, "from", from_ or "")
        r = await rpc(info.context.services.points.GetBreakage(request, metadata=md, timeout=TIMEOUT))
        return PointsBreakage(rows=[BreakageRow(period=x.period, points_expired=x.points_expired,
                                                points_issued=x.points_issued) for x in r.rows])

    @strawberry.field(permission_classes=[Allow("points.report")],
                      description="Every member's transactions of the program, newest first; pass nextCursor as after.")
    async def program_transactions(
        self, info: Info, program: str, kinds: list[str] | None = None,
        from_: Annotated[str | None, strawberry.argument(name="from")] = None, to: str | None = None,
        first: int = 50, after: str | None = None,
    ) -> PointsHistoryPage:
        md = await info.context.metadata(program)
        request = points_pb.ListProgramTransactionsRequest(kinds=kinds or [], to=to or "", page_size=first,
                                                           page_token=after or "")
        setattr(request, "from", from_ or "")
        r = await rpc(info.context.services.points.ListProgramTransactions(request, metadata=md, timeout=TIMEOUT))
        return PointsHistoryPage(items=[PointsTransaction.from_proto(t) for t in r.transactions],
                                 next_cursor=r.next_page_token or None)

    @strawberry.field(permission_classes=[Allow("points.report")],
                      description="Points earned, used and expired per day, week or month, and what members hold now.")
    async def points_activity(
        self, info: Info, program: str, from_: Annotated[str | None, strawberry.argument(name="from")] = None,
        to: str | None = None, period: str = "month",
    ) -> PointsActivity:
        md = await info.context.metadata(program)
        request = points_pb.GetActivityRequest(to=to or "", period=period)
        setattr(request, "from", from_ or "")
        r = await rpc(info.context.services.points.GetActivity(request, metadata=md, timeout=TIMEOUT))
        return PointsActivity(
            rows=[ActivityRow(period=x.period, points_earned=x.points_earned, points_used=x.points_used,
                              points_expired=x.points_expired, transactions=x.transactions,
                              active_members=x.active_members) for x in r.rows],
            outstanding_points=r.outstanding_points, members_with_points=r.members_with_points,
            expiring_in_30_days=r.expiring_in_30_days, expiring_in_60_days=r.expiring_in_60_days,
            expiring_in_90_days=r.expiring_in_90_days)
