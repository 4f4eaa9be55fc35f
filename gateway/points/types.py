import strawberry

from loyalty.points.v1 import points_service_pb2 as points_pb

from gateway.inputs import planned_input
from gateway.scalars import Long


@strawberry.type(description="A member's points, as the ledger has them now.")
class PointsSummary:
    available_points: Long
    lifetime_earned: Long
    pending_points: Long
    on_hold_points: Long
    used_points: Long
    expired_points: Long
    next_expiring_points: Long
    next_expiry_date: str | None
    first_activity_at: str | None
    last_activity_at: str | None
    first_purchase_at: str | None = strawberry.field(description="The first earn of an amount spent")
    last_purchase_at: str | None = strawberry.field(description="The last earn of an amount spent")

    @classmethod
    def from_proto(cls, s: points_pb.PointsSummary) -> "PointsSummary":
        return cls(
            available_points=s.available, lifetime_earned=s.lifetime_earned, pending_points=s.pending,
            on_hold_points=s.on_hold, used_points=s.used, expired_points=s.expired,
            next_expiring_points=s.next_expiring_points, next_expiry_date=s.next_expiry_date or None,
            first_activity_at=s.first_activity_at or None, last_activity_at=s.last_activity_at or None,
            first_purchase_at=s.first_purchase_at or None, last_purchase_at=s.last_purchase_at or None,
        )


@planned_input
@strawberry.input(description="A basket line, for item rules (sku or category).")
class BasketItemInput:
    sku: str
    category: str | None = None
    quantity: str | None = strawberry.field(default=None, description="Decimal string; empty: 1")
    price: str | None = strawberry.field(default=None, description="Unit price in the program's currency")


@planned_input
@strawberry.input
class EarnInput:
    program: str
    loyalty_number: str
    amount: str = strawberry.field(description="Purchase amount as a decimal string, e.g. \"12.50\"")
    currency: str
    reference: str = strawberry.field(description="The POS transaction id; replaying it posts nothing new")
    pending: bool = False
    partner_code: str | None = None
    location_code: str | None = None
    channel: str | None = None
    occurred_at: str | None = strawberry.field(default=None, description="RFC 3339; defaults to now")
    order_reference: str | None = strawberry.field(default=None, description="Groups an order for voids")
    items: list[BasketItemInput] | None = strawberry.field(default=None, description="The basket, for item rules")


@strawberry.type(description="Why the points were given: one line per rule and point type.")
class EarnLine:
    rule: str
    rule_version: str
    point_type: str
    points: Long
    description: str
    campaign_code: str | None

    @classmethod
    def from_proto(cls, line: points_pb.EarnLine) -> "EarnLine":
        return cls(rule=line.rule, rule_version=line.rule_version, point_type=line.point_type, points=line.points,
                   description=line.description, campaign_code=line.campaign_code or None)


@strawberry.type
class EarnPayload:
    transaction_id: str | None
    old_balance: Long
    points_earned: Long
    new_balance: Long
    pending: bool
    breakdown: list[EarnLine]

    @classmethod
    def from_proto(cls, r: points_pb.EarnResponse) -> "EarnPayload":
        return cls(transaction_id=r.transaction_id or None, old_balance=r.old_balance, points_earned=r.points_earned,
                   new_balance=r.new_balance, pending=r.pending,
                   breakdown=[EarnLine.from_proto(line) for line in r.breakdown])


@strawberry.type(description="A posting: `points` is the signed change to the member's available balance.")
class PostingPayload:
    transaction_id: str
    kind: str
    points: Long
    new_balance: Long
    transaction_ids: list[str]

    @classmethod
    def from_proto(cls, r: points_pb.PostingResponse) -> "PostingPayload":
        return cls(transaction_id=r.transaction_id, kind=r.kind, points=r.points, new_balance=r.new_balance,
                   transaction_ids=list(r.transaction_ids))


@planned_input
@strawberry.input
class RedeemInput:
    program: str
    loyalty_number: str
    reference: str = strawberry.field(description="The POS transaction id; replaying it answers the same")
    points: int | None = strawberry.field(
        default=None, description="Points to use; with transactionValue, absent or 0: as many as the burn rules allow")
    transaction_value: str | None = strawberry.field(
        default=None, description="The bill as a decimal string: the program's burn rules apply to it")
    currency: str | None = strawberry.field(default=None, description="The bill's currency (the program's)")
    channel: str | None = None
    otp: str | None = strawberry.field(
        default=None, description="The member's passcode; only staff with rewards.redeem_without_otp may omit it")
    reason: str | None = None
    partner_code: str | None = None
    location_code: str | None = None
    order_reference: str | None = None


@strawberry.type(description="A redemption: the balance before and after, and with the bill what the points paid.")
class RedeemPayload:
    transaction_id: str
    kind: str
    points: int = strawberry.field(description="The signed change to the available balance")
    old_balance: int
    points_used: int
    new_balance: int
    otp_bypassed: bool
    money_value: str | None = strawberry.field(description="What the points paid, with transactionValue")
    currency: str | None
    transaction_value: str | None
    new_transaction_value: str | None = strawberry.field(description="The bill after the points")
    breakdown: list["BurnLine"]

    @classmethod
    def from_proto(cls, r) -> "RedeemPayload":
        lines = [BurnLine(rule=r.rule, rule_version=r.rule_version, points=r.points_used, value=r.money_value,
                          min_points=r.min_points, max_points=r.max_points,
                          description=f"{r.points_used} points pay {r.money_value} {r.currency} of "
                                      f"{r.transaction_value}")] if r.rule else []
        return cls(transaction_id=r.transaction_id, kind="BURN", points=r.points, old_balance=r.old_balance,
                   points_used=r.points_used, new_balance=r.new_balance, otp_bypassed=r.otp_bypassed,
                   money_value=r.money_value or None, currency=r.currency or None,
                   transaction_value=r.transaction_value or None,
                   new_transaction_value=r.new_transaction_value or None, breakdown=lines)


@strawberry.type(description="The burn rule a redemption with the bill applied.")
class BurnLine:
    rule: str
    rule_version: str
    points: int
    value: str
    min_points: int
    max_points: int = strawberry.field(description="The most the bill allowed: rule, share of the bill, balance")
    description: str


@strawberry.input
class VoidInput:
    program: str
    reference: str
    target_reference: str = strawberry.field(description="A transaction's reference, or an order reference")
    points: int = strawberry.field(default=0, description="0: all that is left; otherwise a partial void")
    reason: str | None = None
    loyalty_number: str | None = strawberry.field(default=None, description="If given, the target must be theirs")


@strawberry.input
class AdjustInput:
    program: str
    loyalty_number: str
    points: int = strawberry.field(description="Credit > 0, debit < 0")
    reference: str
    reason: str


@strawberry.input
class TransferInput:
    program: str
    from_loyalty_number: str
    to_loyalty_number: str
    points: int
    reference: str
    reason: str | None = None


@strawberry.input
class HoldInput:
    program: str
    loyalty_number: str
    points: int
    reference: str
    timeout_seconds: int = strawberry.field(default=0, description="0: the program's default")
    reason: str | None = None
    order_reference: str | None = None


@strawberry.type
class HoldPayload:
    hold_id: str
    transaction_id: str
    points: Long
    expires_at: str
    available_after: Long


@strawberry.input
class CaptureHoldInput:
    program: str
    reference: str
    hold_reference: str
    points: int = strawberry.field(default=0, description="0: the whole hold")


@strawberry.input
class ReleaseHoldInput:
    program: str
    reference: str
    hold_reference: str


@strawberry.input
class GoodwillInput:
    program: str
    loyalty_number: str
    points: int
    reference: str
    reason: str = strawberry.field(description="birthday, referral, service_recovery, ...")


@strawberry.input
class RetroClaimInput:
    program: str
    loyalty_number: str
    receipt_reference: str
    amount: str
    currency: str
    purchased_at: str
    location_code: str | None = None
    partner_code: str | None = None


@strawberry.input
class ActivatePendingInput:
    program: str
    reference: str
    target_reference: str


@strawberry.input
class ExtendExpiryInput:
    program: str
    loyalty_number: str
    new_expires_at: str
    reason: str
    reference: str


@strawberry.type
class ExtendExpiryPayload:
    lots_extended: int
    points_extended: Long


@strawberry.type
class PointsTransaction:
    id: str
    kind: str
    reference: str
    points: Long
    occurred_at: str
    status: str
    reason: str | None
    amount: str | None
    currency: str | None
    voids_transaction_id: str | None
    imported: bool
    partner_code: str | None
    location_code: str | None
    order_reference: str | None
    counterparty_loyalty_number: str | None
    target_reference: str | None
    loyalty_number: str | None = strawberry.field(description="The member whose transaction it is")

    @classmethod
    def from_proto(cls, t: points_pb.Transaction) -> "PointsTransaction":
        return cls(id=t.id, kind=t.kind, reference=t.reference, points=t.points, occurred_at=t.occurred_at,
                   status=t.status, reason=t.reason or None, amount=t.amount or None, currency=t.currency or None,
                   voids_transaction_id=t.voids_transaction_id or None, imported=t.imported,
                   partner_code=t.partner_code or None, location_code=t.location_code or None,
                   order_reference=t.order_reference or None,
                   counterparty_loyalty_number=t.counterparty_loyalty_number or None,
                   target_reference=t.target_reference or None, loyalty_number=t.loyalty_number or None)


@strawberry.type
class PointsHistoryPage:
    items: list[PointsTransaction]
    next_cursor: str | None


@strawberry.type
class ExpiringPointsItem:
    loyalty_number: str
    points: Long
    expires_at: str


@strawberry.type(description="What one posting put in, what is left of it and when it expires")
class PointsLot:
    id: strawberry.ID
    transaction_id: str
    kind: str
    reference: str
    points: Long
    remaining: Long
    earned_at: str
    expires_at: str | None = strawberry.field(description="null: never")

    @classmethod
    def from_proto(cls, m) -> "PointsLot":
        return cls(id=strawberry.ID(str(m.id)), transaction_id=m.transaction_id, kind=m.kind, reference=m.reference,
                   points=m.points, remaining=m.remaining, earned_at=m.earned_at, expires_at=m.expires_at or None)


@strawberry.type
class ExpiringPointsPage:
    items: list[ExpiringPointsItem]
    next_cursor: str | None


@strawberry.type
class LiabilityRow:
    expiry_month: str
    points: Long


@strawberry.type
class PointsLiability:
    rows: list[LiabilityRow]
    total_points: Long


@strawberry.type
class BreakageRow:
    period: str
    points_expired: Long
    points_issued: Long


@strawberry.type
class PointsBreakage:
    rows: list[BreakageRow]


@strawberry.type(description="Points earned, used and expired in one period, counted as a member's summary counts them")
class ActivityRow:
    period: str
    points_earned: Long
    points_used: Long
    points_expired: Long
    transactions: int
    active_members: int = strawberry.field(description="Members with an earn in the period")


@strawberry.type(description="A program's points activity over time and what members hold now")
class PointsActivity:
    rows: list[ActivityRow]
    outstanding_points: Long
    members_with_points: int
    expiring_in_30_days: Long
    expiring_in_60_days: Long
    expiring_in_90_days: Long
