"""gRPC servicer: translates proto <-> domain, nothing else."""

import asyncpg
import grpc

from loyalty.billing.v1 import billing_service_pb2 as pb
from loyalty.billing.v1 import billing_service_pb2_grpc as pb_grpc
from loyalty.common.v1 import events_pb2, program_pb2
from services.billing import (documents, invoicing, ledger_events, partners, periods, programs, rate_cards, reports,
                              statements)
from services.common.ledger_event import LedgerEvent
from services.common.tenancy import call_context, require_program


def _s(value) -> str:
    return "" if value is None else str(value)


def partner_to_proto(row) -> pb.Partner:
    return pb.Partner(
        id=str(row["id"]), code=row["code"], name=row["name"], status=row["status"],
        segment_code=row["segment_code"] or "",
        contacts=[pb.Contact(**c) for c in row["contacts"]],
        locations=[pb.Location(**loc) for loc in row["locations"]],
    )


def card_to_proto(row) -> pb.RateCard:
    return pb.RateCard(
        id=str(row["id"]), partner_code=row["partner_code"] or "", segment_code=row["segment_code"] or "",
        campaign_code=row["campaign_code"], valid_from=row["valid_from"].isoformat(),
        valid_to=row["valid_to"].isoformat() if row["valid_to"] else "", issue_rate=str(row["issue_rate"]),
        redeem_rate=str(row["redeem_rate"]), currency=row["currency"],
    )


def totals_to_proto(row) -> pb.StatementTotals:
    if row is None:
        return pb.StatementTotals(issued_value="0", redeemed_value="0", correction_value="0", net_value="0",
                                  purchase_amount="0")
    return pb.StatementTotals(
        issued_points=row["issued_points"], issued_value=_s(row["issued_value"]),
        redeemed_points=row["redeemed_points"], redeemed_value=_s(row["redeemed_value"]),
        correction_points=row["correction_points"], correction_value=_s(row["correction_value"]),
        net_value=_s(row["net_value"]), line_count=row["line_count"], purchase_amount=_s(row["purchase_amount"]),
    )


def line_to_proto(row) -> pb.StatementLine:
    return pb.StatementLine(
        event_id=row["event_id"], transaction_id=row["transaction_id"], kind=row["kind"], points=row["points"],
        purchase_amount=str(row["purchase_amount"]), rate=str(row["rate"]), value=str(row["value"]),
        occurred_at=row["occurred_at"].isoformat(), location_code=row["location_code"],
        campaign_code=row["campaign_code"], correction=row["correction"],
        reference_period=periods.fmt(row["reference_period"]), voided_transaction_id=row["voided_transaction_id"],
    )


def statement_to_proto(s: statements.Statement) -> pb.Statement:
    return pb.Statement(
        partner_code=s.partner_code, partner_name=s.partner_name, period=periods.fmt(s.period),
        status="CLOSED" if s.closed else "OPEN", currency=s.currency, totals=totals_to_proto(s.totals),
        lines=[line_to_proto(line) for line in s.lines], invoice_number=s.invoice_number,
    )


def invoice_to_proto(row, names: dict[str, str]) -> pb.Invoice:
    return pb.Invoice(
        number=row["number"], sequence=row["sequence"], partner_code=row["partner_code"],
        partner_name=names.get(row["partner_code"], ""), period=periods.fmt(row["period"]),
        currency=row["currency"], totals=totals_to_proto(row), issued_at=row["issued_at"].isoformat(),
        amount_due=str(row["amount_due"]),
    )


def _contacts(request) -> list[partners.Contact]:
    return [partners.Contact(name=c.name, email=c.email, phone=c.phone, role=c.role) for c in request.contacts]


def _locations(request) -> list[partners.Location]:
    return [partners.Location(code=loc.code, name=loc.name, address=loc.address) for loc in request.locations]


def program_input(spec: program_pb2.ProgramSpec) -> programs.ProgramInput:
    return programs.ProgramInput(id=spec.id, code=spec.code, currency=spec.currency, timezone=spec.timezone,
                                 archived=spec.archived, expiry_days=spec.expiry.days,
                                 round_to_month_end=spec.expiry.round_to_month_end)


class BillingServicer(pb_grpc.BillingServiceServicer):
    def __init__(self, pool: asyncpg.Pool):
        self._pool = pool

    async def ProvisionProgram(self, request, context):
        created = await programs.provision(self._pool, program_input(request.spec))
        return program_pb2.ProvisionProgramResponse(spec=request.spec, created=created)

    async def ConsumeLedgerEvents(self, request, context):
        accepted = await ledger_events.consume(self._pool, metadata_program_id=call_context(context).program_id,
                                               events=[LedgerEvent.of(e) for e in request.events])
        return events_pb2.ConsumeAck(accepted=accepted)

    async def CreatePartner(self, request, context):
        ctx = require_program(context)
        row = await partners.create(self._pool, ctx.program_id, partner_code=request.code, name=request.name,
                                    segment_code=request.segment_code, contacts=_contacts(request),
                                    locations=_locations(request))
        return partner_to_proto(row)

    async def UpdatePartner(self, request, context):
        ctx = require_program(context)
        row = await partners.update(
            self._pool, ctx.program_id, partner_code=request.code, fields=list(request.fields), name=request.name,
            status=request.status, segment_code=request.segment_code, contacts=_contacts(request),
            locations=_locations(request),
        )
        return partner_to_proto(row)

    async def GetPartner(self, request, context):
        ctx = require_program(context)
        return partner_to_proto(await partners.get(self._pool, ctx.program_id, request.code))

    async def ListPartners(self, request, context):
        ctx = require_program(context)
        rows = await partners.list_partners(self._pool, ctx.program_id, status=request.status,
                                            segment_code=request.segment_code)
        return pb.ListPartnersResponse(partners=[partner_to_proto(r) for r in rows])

    async def CreatePartnerSegment(self, request, context):
        ctx = require_program(context)
        seg = await partners.create_segment(self._pool, ctx.program_id, segment_code=request.code, name=request.name)
        return pb.PartnerSegment(code=seg["code"], name=seg["name"])

    async def ListPartnerSegments(self, request, context):
        ctx = require_program(context)
        rows = await partners.list_segments(self._pool, ctx.program_id)
        return pb.ListPartnerSegmentsResponse(segments=[
            pb.PartnerSegment(code=r["code"], name=r["name"], partner_codes=list(r["partner_codes"])) for r in rows
        ])

    async def CreateRateCard(self, request, context):
        ctx = require_program(context)
        row = await rate_cards.create(
            self._pool, ctx.program_id, partner_code=request.partner_code, segment_code=request.segment_code,
            campaign_code=request.campaign_code, valid_from=request.valid_from, valid_to=request.valid_to,
            issue_rate=request.issue_rate, redeem_rate=request.redeem_rate, currency=request.currency,
        )
        return card_to_proto(row)

    async def ListRateCards(self, request, context):
        ctx = require_program(context)
        rows = await rate_cards.list_cards(self._pool, ctx.program_id, partner_code=request.partner_code)
        return pb.ListRateCardsResponse(rate_cards=[card_to_proto(r) for r in rows])

    async def SetPointValue(self, request, context):
        ctx = require_program(context)
        value, currency = await programs.set_point_value(self._pool, ctx.program_id, point_value=request.point_value,
                                                         currency=request.currency)
        return pb.SetPointValueResponse(point_value=str(value), currency=currency)

    async def GetStatement(self, request, context):
        ctx = require_program(context)
        statement = await statements.get(self._pool, ctx.program_id, partner_code=request.partner_code,
                                         period=request.period, include_lines=request.include_lines)
        return statement_to_proto(statement)

    async def ListStatements(self, request, context):
        ctx = require_program(context)
        closed, found = await statements.list_for_period(self._pool, ctx.program_id, period=request.period)
        return pb.ListStatementsResponse(period=request.period, status="CLOSED" if closed else "OPEN",
                                         statements=[statement_to_proto(s) for s in found])

    async def ClosePeriod(self, request, context):
        ctx = require_program(context)
        month, closed_now, issued = await invoicing.close_period(self._pool, ctx.program_id, period=request.period)
        return pb.ClosePeriodResponse(period=periods.fmt(month), closed_now=closed_now,
                                      invoices=[invoice_to_proto(i, {}) for i in issued])

    async def ListInvoices(self, request, context):
        ctx = require_program(context)
        rows = await invoicing.list_invoices(self._pool, ctx.program_id, period=request.period,
                                             partner_code=request.partner_code)
        return pb.ListInvoicesResponse(invoices=[invoice_to_proto(r, {}) for r in rows])

    async def GetInvoice(self, request, context):
        ctx = require_program(context)
        invoice, names, _, _ = await invoicing.get_invoice(self._pool, ctx.program_id, request.number)
        return invoice_to_proto(invoice, names)

    async def DownloadInvoice(self, request, context):
        ctx = require_program(context)
        invoice, names, lines, program_code = await invoicing.get_invoice(self._pool, ctx.program_id,
                                                                          request.number, with_lines=True)
        content = documents.render(request.format,invoice, partner_name=names.get(invoice["partner_code"], ""), program_code=program_code,
                         lines=lines)
        return pb.InvoiceDocument(filename=f"{invoice['number']}.{request.format}",
                                  content_type="application/pdf" if request.format == "pdf" else "text/csv",
                                  content=content)

    async def BreakageReport(self, request, context):
        ctx = require_program(context)
        rows = await reports.breakage(self._pool, ctx.program_id, from_period=request.from_period,
                                      to_period=request.to_period, partner_code=request.partner_code)
        return pb.BreakageReportResponse(
            rows=[pb.BreakageRow(period=periods.fmt(r["period"]), partner_code=r["partner_code"], points=r["points"],
                                 value=str(r["value"]), currency=r["currency"]) for r in rows],
            total_points=sum(r["points"] for r in rows),
        )

    async def LiabilityReport(self, request, context):
        ctx = require_program(context)
        rows, point_value, currency = await reports.liability(
            self._pool, ctx.program_id, from_period=request.from_period, to_period=request.to_period,
            partner_code=request.partner_code,
        )
        out = [pb.LiabilityRow(expiry_period=periods.fmt(r["expiry_period"]), partner_code=r["partner_code"],
                               points=r["points"], value=str(r["points"] * point_value), currency=currency)
               for r in rows]
        total = sum(r["points"] for r in rows)
        return pb.LiabilityReportResponse(rows=out, total_points=total, total_value=str(total * point_value),
                                          point_value=str(point_value), currency=currency)


def register(server: grpc.aio.Server, pool: asyncpg.Pool, settings) -> None:
    pb_grpc.add_BillingServiceServicer_to_server(BillingServicer(pool), server)
