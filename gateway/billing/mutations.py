import strawberry

from loyalty.billing.v1 import billing_service_pb2 as pb

from gateway.billing.types import (
    ClosePeriodInput, ClosePeriodPayload, CreatePartnerInput, CreatePartnerSegmentInput, CreateRateCardInput, Partner,
    PartnerInvoice, PartnerSegment, RateCard, SetPointValueInput, UpdatePartnerInput, contacts_to_proto,
    locations_to_proto,
)
from gateway.context import Info
from gateway.permissions import Allow
from gateway.services import rpc

TIMEOUT = 30
MANAGE = [Allow("billing.manage")]


@strawberry.type
class BillingMutations:
    @strawberry.mutation(permission_classes=MANAGE)
    async def create_partner(self, info: Info, input: CreatePartnerInput) -> Partner:
        md = await info.context.metadata(input.program)
        p = await rpc(info.context.services.billing.CreatePartner(pb.CreatePartnerRequest(
            code=input.code, name=input.name, segment_code=input.segment_code or "",
            contacts=contacts_to_proto(input.contacts), locations=locations_to_proto(input.locations),
        ), metadata=md, timeout=TIMEOUT))
        return Partner.from_proto(p)

    @strawberry.mutation(permission_classes=MANAGE)
    async def update_partner(self, info: Info, input: UpdatePartnerInput) -> Partner:
        md = await info.context.metadata(input.program)
        given = {"name": input.name, "status": input.status, "segment_code": input.segment_code,
                 "contacts": input.contacts, "locations": input.locations}
        p = await rpc(info.context.services.billing.UpdatePartner(pb.UpdatePartnerRequest(
            code=input.code, fields=[k for k, v in given.items() if v is not None], name=input.name or "",
            status=input.status or "", segment_code=input.segment_code or "",
            contacts=contacts_to_proto(input.contacts), locations=locations_to_proto(input.locations),
        ), metadata=md, timeout=TIMEOUT))
        return Partner.from_proto(p)

    @strawberry.mutation(permission_classes=MANAGE)
    async def create_partner_segment(self, info: Info, input: CreatePartnerSegmentInput) -> PartnerSegment:
        md = await info.context.metadata(input.program)
        s = await rpc(info.context.services.billing.CreatePartnerSegment(
            pb.CreatePartnerSegmentRequest(code=input.code, name=input.name), metadata=md, timeout=TIMEOUT))
        return PartnerSegment(code=s.code, name=s.name, partner_codes=list(s.partner_codes))

    @strawberry.mutation(permission_classes=MANAGE)
    async def create_rate_card(self, info: Info, input: CreateRateCardInput) -> RateCard:
        md = await info.context.metadata(input.program)
        r = await rpc(info.context.services.billing.CreateRateCard(pb.CreateRateCardRequest(
            partner_code=input.partner_code or "", segment_code=input.segment_code or "",
            campaign_code=input.campaign_code or "", valid_from=input.valid_from, valid_to=input.valid_to or "",
            issue_rate=input.issue_rate, redeem_rate=input.redeem_rate, currency=input.currency,
        ), metadata=md, timeout=TIMEOUT))
        return RateCard.from_proto(r)

    @strawberry.mutation(permission_classes=MANAGE, description="The money value of one point, for the liability report.")
    async def set_point_value(self, info: Info, input: SetPointValueInput) -> str:
        md = await info.context.metadata(input.program)
        r = await rpc(info.context.services.billing.SetPointValue(
            pb.SetPointValueRequest(point_value=input.point_value, currency=input.currency), metadata=md,
            timeout=TIMEOUT))
        return r.point_value

    @strawberry.mutation(permission_classes=[Allow("billing.close")],
                         description="Close a month: freeze its statements and issue invoices (rerun: nothing new).")
    async def close_billing_period(self, info: Info, input: ClosePeriodInput) -> ClosePeriodPayload:
        md = await info.context.metadata(input.program)
        r = await rpc(info.context.services.billing.ClosePeriod(
            pb.ClosePeriodRequest(period=input.period), metadata=md, timeout=120))
        return ClosePeriodPayload(period=r.period, closed_now=r.closed_now,
                                  invoices=[PartnerInvoice.from_proto(i, program=input.program) for i in r.invoices])
