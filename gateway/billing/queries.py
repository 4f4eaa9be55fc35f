import strawberry

from loyalty.billing.v1 import billing_service_pb2 as pb

from gateway.billing.types import (
    Partner, PartnerBreakageReport, PartnerBreakageRow, PartnerInvoice, PartnerLiabilityReport, PartnerLiabilityRow,
    PartnerSegment, PartnerStatement, PartnerStatementList, RateCard,
)
from gateway.context import Info
from gateway.permissions import Allow
from gateway.services import rpc

TIMEOUT = 30
READ = [Allow("billing.read")]


@strawberry.type
class BillingQueries:
    @strawberry.field(permission_classes=READ)
    async def partners(self, info: Info, program: str, status: str | None = None,
                       segment_code: str | None = None) -> list[Partner]:
        md = await info.context.metadata(program)
        r = await rpc(info.context.services.billing.ListPartners(
            pb.ListPartnersRequest(status=status or "", segment_code=segment_code or ""), metadata=md, timeout=TIMEOUT))
        return [Partner.from_proto(p) for p in r.partners]

    @strawberry.field(permission_classes=READ)
    async def partner(self, info: Info, program: str, code: str) -> Partner:
        return Partner.from_proto(await info.context.loaders.partner_by_code.load((program, code)))

    @strawberry.field(permission_classes=READ)
    async def partner_segments(self, info: Info, program: str) -> list[PartnerSegment]:
        md = await info.context.metadata(program)
        r = await rpc(info.context.services.billing.ListPartnerSegments(
            pb.ListPartnerSegmentsRequest(), metadata=md, timeout=TIMEOUT))
        return [PartnerSegment(code=s.code, name=s.name, partner_codes=list(s.partner_codes)) for s in r.segments]

    @strawberry.field(permission_classes=READ, description="A partner's cards and its segment's.")
    async def rate_cards(self, info: Info, program: str, partner_code: str | None = None) -> list[RateCard]:
        md = await info.context.metadata(program)
        r = await rpc(info.context.services.billing.ListRateCards(
            pb.ListRateCardsRequest(partner_code=partner_code or ""), metadata=md, timeout=TIMEOUT))
        return [RateCard.from_proto(c) for c in r.rate_cards]

    @strawberry.field(permission_classes=READ)
    async def partner_statement(self, info: Info, program: str, partner_code: str, period: str,
                                with_lines: bool = True) -> PartnerStatement:
        md = await info.context.metadata(program)
        s = await rpc(info.context.services.billing.GetStatement(pb.GetStatementRequest(
            partner_code=partner_code, period=period, include_lines=with_lines), metadata=md, timeout=TIMEOUT))
        return PartnerStatement.from_proto(s)

    @strawberry.field(permission_classes=READ, description="Every partner's statement totals for a month.")
    async def partner_statements(self, info: Info, program: str, period: str) -> PartnerStatementList:
        md = await info.context.metadata(program)
        r = await rpc(info.context.services.billing.ListStatements(
            pb.ListStatementsRequest(period=period), metadata=md, timeout=TIMEOUT))
        return PartnerStatementList(period=r.period, status=r.status,
                                    statements=[PartnerStatement.from_proto(s) for s in r.statements])

    @strawberry.field(permission_classes=READ)
    async def partner_invoices(self, info: Info, program: str, period: str | None = None,
                               partner_code: str | None = None) -> list[PartnerInvoice]:
        md = await info.context.metadata(program)
        r = await rpc(info.context.services.billing.ListInvoices(
            pb.ListInvoicesRequest(period=period or "", partner_code=partner_code or ""), metadata=md,
            timeout=TIMEOUT))
        return [PartnerInvoice.from_proto(i, program=program) for i in r.invoices]

    @strawberry.field(permission_classes=READ)
    async def partner_invoice(self, info: Info, program: str, number: str) -> PartnerInvoice:
        md = await info.context.metadata(program)
        i = await rpc(info.context.services.billing.GetInvoice(pb.GetInvoiceRequest(number=number), metadata=md,
                                                               timeout=TIMEOUT))
        return PartnerInvoice.from_proto(i, program=program)

    @strawberry.field(permission_classes=READ)
    async def partner_breakage(self, info: Info, program: str, from_period: str | None = None,
                               to_period: str | None = None, partner_code: str | None = None) -> PartnerBreakageReport:
        md = await info.context.metadata(program)
        r = await rpc(info.context.services.billing.BreakageReport(pb.ReportRequest(
            from_period=from_period or "", to_period=to_period or "", partner_code=partner_code or ""),
            metadata=md, timeout=TIMEOUT))
        return PartnerBreakageReport(
            rows=[PartnerBreakageRow(period=x.period, partner_code=x.partner_code or None, points=x.points,
                                     value=x.value, currency=x.currency) for x in r.rows],
            total_points=r.total_points)

    @strawberry.field(permission_classes=READ)
    async def partner_liability(self, info: Info, program: str, from_period: str | None = None,
                                to_period: str | None = None,
                                partner_code: str | None = None) -> PartnerLiabilityReport:
        md = await info.context.metadata(program)
        r = await rpc(info.context.services.billing.LiabilityReport(pb.ReportRequest(
            from_period=from_period or "", to_period=to_period or "", partner_code=partner_code or ""),
            metadata=md, timeout=TIMEOUT))
        return PartnerLiabilityReport(
            rows=[PartnerLiabilityRow(expiry_period=x.expiry_period or None, partner_code=x.partner_code or None,
                                      points=x.points, value=x.value, currency=x.currency) for x in r.rows],
            total_points=r.total_points, total_value=r.total_value, point_value=r.point_value, currency=r.currency)
