"""GraphQL types for partners, rate cards, statements, invoices and the partner reports."""

import strawberry

from loyalty.billing.v1 import billing_service_pb2 as pb

from gateway.scalars import Long


@strawberry.type
class PartnerContact:
    name: str
    email: str
    phone: str
    role: str


@strawberry.type
class PartnerLocation:
    code: str
    name: str
    address: str


@strawberry.type(description="A partner assigned to a program: it funds points issued at its locations.")
class Partner:
    code: str
    name: str
    status: str
    segment_code: str | None
    contacts: list[PartnerContact]
    locations: list[PartnerLocation]

    @classmethod
    def from_proto(cls, p: pb.Partner) -> "Partner":
        return cls(
            code=p.code, name=p.name, status=p.status, segment_code=p.segment_code or None,
            contacts=[PartnerContact(name=c.name, email=c.email, phone=c.phone, role=c.role) for c in p.contacts],
            locations=[PartnerLocation(code=loc.code, name=loc.name, address=loc.address) for loc in p.locations],
        )


@strawberry.type(description="Partners that share one rate card (and one rule set in the rules engine).")
class PartnerSegment:
    code: str
    name: str
    partner_codes: list[str]


@strawberry.type(description="Effective-dated prices per point; validTo inclusive, null when open-ended.")
class RateCard:
    id: str
    partner_code: str | None
    segment_code: str | None
    campaign_code: str | None
    valid_from: str
    valid_to: str | None
    issue_rate: str
    redeem_rate: str
    currency: str

    @classmethod
    def from_proto(cls, r: pb.RateCard) -> "RateCard":
        return cls(id=r.id, partner_code=r.partner_code or None, segment_code=r.segment_code or None,
                   campaign_code=r.campaign_code or None, valid_from=r.valid_from, valid_to=r.valid_to or None,
                   issue_rate=r.issue_rate, redeem_rate=r.redeem_rate, currency=r.currency)


@strawberry.type
class StatementTotals:
    issued_points: Long
    issued_value: str
    redeemed_points: Long
    redeemed_value: str
    correction_points: Long
    correction_value: str
    net_value: str
    purchase_amount: str
    line_count: int

    @classmethod
    def from_proto(cls, t: pb.StatementTotals) -> "StatementTotals":
        return cls(issued_points=t.issued_points, issued_value=t.issued_value, redeemed_points=t.redeemed_points,
                   redeemed_value=t.redeemed_value, correction_points=t.correction_points,
                   correction_value=t.correction_value, net_value=t.net_value, purchase_amount=t.purchase_amount,
                   line_count=t.line_count)


@strawberry.type
class StatementLine:
    transaction_id: str
    kind: str
    points: Long
    purchase_amount: str
    rate: str
    value: str
    occurred_at: str
    location_code: str | None
    campaign_code: str | None
    correction: bool
    reference_period: str | None
    voided_transaction_id: str | None

    @classmethod
    def from_proto(cls, line: pb.StatementLine) -> "StatementLine":
        return cls(transaction_id=line.transaction_id, kind=line.kind, points=line.points,
                   purchase_amount=line.purchase_amount, rate=line.rate, value=line.value,
                   occurred_at=line.occurred_at, location_code=line.location_code or None,
                   campaign_code=line.campaign_code or None, correction=line.correction,
                   reference_period=line.reference_period or None,
                   voided_transaction_id=line.voided_transaction_id or None)


@strawberry.type(description="A partner's statement for a month: OPEN (a draft) or CLOSED (frozen).")
class PartnerStatement:
    partner_code: str
    partner_name: str
    period: str
    status: str
    currency: str
    totals: StatementTotals
    lines: list[StatementLine]
    invoice_number: str | None

    @classmethod
    def from_proto(cls, s: pb.Statement) -> "PartnerStatement":
        return cls(partner_code=s.partner_code, partner_name=s.partner_name, period=s.period, status=s.status,
                   currency=s.currency, totals=StatementTotals.from_proto(s.totals),
                   lines=[StatementLine.from_proto(line) for line in s.lines],
                   invoice_number=s.invoice_number or None)


@strawberry.type
class PartnerStatementList:
    period: str
    status: str
    statements: list[PartnerStatement]


@strawberry.type
class PartnerInvoice:
    number: str
    sequence: int
    partner_code: str
    period: str
    currency: str
    amount_due: str
    issued_at: str
    totals: StatementTotals
    csv_url: str
    pdf_url: str

    @classmethod
    def from_proto(cls, i: pb.Invoice, *, program: str) -> "PartnerInvoice":
        base = f"/billing/{program}/invoices/{i.number}"
        return cls(number=i.number, sequence=i.sequence, partner_code=i.partner_code, period=i.period,
                   currency=i.currency, amount_due=i.amount_due, issued_at=i.issued_at,
                   totals=StatementTotals.from_proto(i.totals), csv_url=f"{base}.csv", pdf_url=f"{base}.pdf")


@strawberry.type
class ClosePeriodPayload:
    period: str
    closed_now: bool
    invoices: list[PartnerInvoice]


@strawberry.type
class PartnerBreakageRow:
    period: str
    partner_code: str | None
    points: Long
    value: str
    currency: str


@strawberry.type(description="Points expired unredeemed, by month and by the partner that funded them.")
class PartnerBreakageReport:
    rows: list[PartnerBreakageRow]
    total_points: Long


@strawberry.type
class PartnerLiabilityRow:
    expiry_period: str | None
    partner_code: str | None
    points: Long
    value: str
    currency: str


@strawberry.type(description="Points outstanding times the program's point value, by expiry month.")
class PartnerLiabilityReport:
    rows: list[PartnerLiabilityRow]
    total_points: Long
    total_value: str
    point_value: str
    currency: str


@strawberry.input
class PartnerContactInput:
    name: str
    email: str | None = None
    phone: str | None = None
    role: str | None = None


@strawberry.input
class PartnerLocationInput:
    code: str
    name: str
    address: str | None = None


@strawberry.input
class CreatePartnerInput:
    program: str
    code: str
    name: str
    segment_code: str | None = None
    contacts: list[PartnerContactInput] = strawberry.field(default_factory=list)
    locations: list[PartnerLocationInput] = strawberry.field(default_factory=list)


@strawberry.input(description="Only the fields given change; locations and contacts are replaced as a whole.")
class UpdatePartnerInput:
    program: str
    code: str
    name: str | None = None
    status: str | None = None
    segment_code: str | None = None
    contacts: list[PartnerContactInput] | None = None
    locations: list[PartnerLocationInput] | None = None


@strawberry.input
class CreatePartnerSegmentInput:
    program: str
    code: str
    name: str


@strawberry.input
class CreateRateCardInput:
    program: str
    partner_code: str | None = None
    segment_code: str | None = None
    campaign_code: str | None = None
    valid_from: str
    valid_to: str | None = None
    issue_rate: str = strawberry.field(description="Paid by the partner per point issued at its locations")
    redeem_rate: str = strawberry.field(description="Paid to the partner per point redeemed with it")
    currency: str


@strawberry.input
class SetPointValueInput:
    program: str
    point_value: str
    currency: str


@strawberry.input
class ClosePeriodInput:
    program: str
    period: str = strawberry.field(description="YYYY-MM")


def contacts_to_proto(contacts) -> list[pb.Contact]:
    return [pb.Contact(name=c.name, email=c.email or "", phone=c.phone or "", role=c.role or "") for c in contacts or []]


def locations_to_proto(locations) -> list[pb.Location]:
    return [pb.Location(code=loc.code, name=loc.name, address=loc.address or "") for loc in locations or []]
