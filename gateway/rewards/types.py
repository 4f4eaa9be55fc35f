import strawberry

from loyalty.rewards.v1 import rewards_service_pb2 as rewards_pb

from gateway.context import Info
from gateway.members.types import Member
from gateway.permissions import Allow
from gateway.points.types import PointsSummary
from gateway.scalars import Long


@strawberry.type(description="A reward of the catalogue (bought with points) or a targeted offer.")
class Reward:
    id: strawberry.ID
    code: str
    name: str
    description: str
    image_url: str | None
    type: str = strawberry.field(description="reward or offer")
    kind: str = strawberry.field(description="amount_off, percent_off, free_item or partner_voucher")
    points_cost: Long
    value: str | None = strawberry.field(description="Amount off (program currency) or percent off, as a decimal")
    plu: str | None
    partner_code: str | None
    valid_from: str | None
    valid_until: str | None
    stock: int | None = strawberry.field(description="Units left; null: unlimited")
    per_member_limit: int | None = strawberry.field(description="Claims per member; null: unlimited")
    tier_codes: list[str]
    segment_codes: list[str]
    club_codes: list[str]
    location_codes: list[str]
    issues_voucher: bool
    active: bool
    claimed: int = strawberry.field(description="Claims not voided")

    @classmethod
    def from_proto(cls, r: rewards_pb.Reward) -> "Reward":
        s = r.spec
        return cls(
            id=strawberry.ID(r.id), code=s.code, name=s.name, description=s.description, image_url=s.image_url or None,
            type=s.type, kind=s.kind, points_cost=s.points_cost, value=s.value or None, plu=s.plu or None,
            partner_code=s.partner_code or None, valid_from=s.valid_from or None, valid_until=s.valid_until or None,
            stock=s.stock if s.has_stock else None, per_member_limit=s.per_member_limit or None,
            tier_codes=list(s.tier_codes), segment_codes=list(s.segment_codes), club_codes=list(s.club_codes),
            location_codes=list(s.location_codes), issues_voucher=s.issues_voucher, active=s.active,
            claimed=r.claimed,
        )


@strawberry.input
class RewardInput:
    program: str
    code: str
    name: str
    kind: str = strawberry.field(description="amount_off, percent_off, free_item or partner_voucher")
    points_cost: int
    type: str = strawberry.field(default="reward", description="reward (catalogue) or offer (targeted)")
    description: str | None = None
    image_url: str | None = None
    value: str | None = strawberry.field(default=None, description="Decimal: amount off or percent off")
    plu: str | None = strawberry.field(default=None, description="The free item's POS product code")
    partner_code: str | None = None
    valid_from: str | None = strawberry.field(default=None, description="RFC 3339")
    valid_until: str | None = strawberry.field(default=None, description="RFC 3339, exclusive")
    stock: int | None = strawberry.field(default=None, description="Units available; null: unlimited")
    per_member_limit: int | None = strawberry.field(default=None, description="1: once per member; null: unlimited")
    tier_codes: list[str] | None = None
    segment_codes: list[str] | None = None
    club_codes: list[str] | None = None
    location_codes: list[str] | None = None
    issues_voucher: bool = False
    active: bool = True

    def to_proto(self) -> rewards_pb.RewardInput:
        return rewards_pb.RewardInput(
            code=self.code, name=self.name, description=self.description or "", image_url=self.image_url or "",
            type=self.type, kind=self.kind, points_cost=self.points_cost, value=self.value or "", plu=self.plu or "",
            partner_code=self.partner_code or "", valid_from=self.valid_from or "", valid_until=self.valid_until or "",
            has_stock=self.stock is not None, stock=self.stock or 0, per_member_limit=self.per_member_limit or 0,
            tier_codes=self.tier_codes or [], segment_codes=self.segment_codes or [], club_codes=self.club_codes or [],
            location_codes=self.location_codes or [], issues_voucher=self.issues_voucher, active=self.active,
        )


@strawberry.type
class EligibleReward:
    reward: Reward
    points_needed: Long = strawberry.field(description="0 when affordable now")
    claims_left: int | None = strawberry.field(description="null: unlimited")

    @classmethod
    def from_proto(cls, e: rewards_pb.EligibleReward) -> "EligibleReward":
        return cls(reward=Reward.from_proto(e.reward), points_needed=e.points_needed,
                   claims_left=None if e.claims_left < 0 else e.claims_left)


@strawberry.type(description="What a member can take now, the next reward in reach, and the best available.")
class RewardEligibility:
    loyalty_number: str
    available_points: Long
    available: list[EligibleReward]
    next: EligibleReward | None
    highest: EligibleReward | None
    tier_codes: list[str]
    segment_codes: list[str]

    @classmethod
    def from_proto(cls, e: rewards_pb.Eligibility) -> "RewardEligibility":
        return cls(
            loyalty_number=e.loyalty_number, available_points=e.available_points,
            available=[EligibleReward.from_proto(x) for x in e.available],
            next=EligibleReward.from_proto(e.next) if e.HasField("next") else None,
            highest=EligibleReward.from_proto(e.highest) if e.HasField("highest") else None,
            tier_codes=list(e.tier_codes), segment_codes=list(e.segment_codes),
        )


@strawberry.input
class RequestOtpInput:
    program: str
    loyalty_number: str


@strawberry.type
class RequestOtpPayload:
    expires_at: str
    channel: str
    destination: str = strawberry.field(description="Masked, e.g. a***@example.com")


@strawberry.input
class IdentifyMemberInput:
    program: str
    otp: str


@strawberry.type(description="The member a passcode belongs to, with their balance, for the POS.")
class IdentifyMemberPayload:
    loyalty_number: str
    member_id: strawberry.ID
    otp_expires_at: str
    program: strawberry.Private[str]

    @strawberry.field(permission_classes=[Allow("member.read", program_scoped=False)])
    async def member(self, info: Info) -> Member:
        found = await info.context.loaders.member_by_loyalty_number.load((self.program, self.loyalty_number))
        return Member.from_proto(found, self.program)

    @strawberry.field(permission_classes=[Allow("points.read", program_scoped=False)])
    async def points(self, info: Info) -> PointsSummary:
        return PointsSummary.from_proto(await info.context.loaders.points_summary_by_loyalty_number.load(
            (self.program, self.loyalty_number)))


@strawberry.input
class ClaimRewardInput:
    program: str
    loyalty_number: str
    reward_code: str
    reference: str = strawberry.field(description="The POS transaction id; replaying it claims nothing new")
    order_reference: str | None = strawberry.field(default=None, description="Groups the claim with the earn at pickup")
    otp: str | None = strawberry.field(
        default=None, description="The member's passcode; only staff with rewards.redeem_without_otp may omit it")
    location_code: str | None = None
    club_code: str | None = None
    hold_timeout_seconds: int | None = strawberry.field(default=None, description="Until pickup; null: the ledger's default")


@strawberry.type
class RewardClaim:
    id: strawberry.ID
    reference: str
    order_reference: str | None
    reward_code: str
    loyalty_number: str
    points: Long
    status: str = strawberry.field(description="held, settled, voided or expired")
    voucher_code: str | None
    hold_expires_at: str | None
    claimed_at: str
    settled_at: str | None
    voided_at: str | None
    otp_bypassed: bool
    claimed_by: str
    available_after: Long | None = strawberry.field(description="The member's available points after this step")

    @classmethod
    def from_proto(cls, c: rewards_pb.RewardClaim) -> "RewardClaim":
        return cls(
            id=strawberry.ID(c.id), reference=c.reference, order_reference=c.order_reference or None,
            reward_code=c.reward_code, loyalty_number=c.loyalty_number, points=c.points, status=c.status,
            voucher_code=c.voucher_code or None, hold_expires_at=c.hold_expires_at or None, claimed_at=c.claimed_at,
            settled_at=c.settled_at or None, voided_at=c.voided_at or None, otp_bypassed=c.otp_bypassed,
            claimed_by=c.claimed_by, available_after=c.available_after if c.points else None,
        )


@strawberry.input
class RewardClaimInput:
    program: str
    reference: str = strawberry.field(description="The claim's reference")


@strawberry.input
class VoidRewardClaimInput:
    program: str
    reference: str = strawberry.field(description="The claim's reference")
    reason: str | None = None


@strawberry.input
class VoidOrderInput:
    program: str
    order_reference: str
    reason: str | None = None


@strawberry.type
class VoidOrderPayload:
    claims: list[RewardClaim]
    new_balance: Long


@strawberry.type
class Voucher:
    code: str
    status: str = strawberry.field(description="issued, consumed or voided")
    reward_code: str
    reward_name: str
    kind: str
    value: str | None
    plu: str | None
    partner_code: str | None
    loyalty_number: str
    claim_reference: str
    consumed_at: str | None
    consumed_reference: str | None

    @classmethod
    def from_proto(cls, v: rewards_pb.Voucher) -> "Voucher":
        return cls(
            code=v.code, status=v.status, reward_code=v.reward_code, reward_name=v.reward_name, kind=v.kind,
            value=v.value or None, plu=v.plu or None, partner_code=v.partner_code or None,
            loyalty_number=v.loyalty_number, claim_reference=v.claim_reference, consumed_at=v.consumed_at or None,
            consumed_reference=v.consumed_reference or None,
        )


@strawberry.input
class ConsumeVoucherInput:
    program: str
    code: str
    reference: str = strawberry.field(description="The POS transaction using it")
    location_code: str | None = None


@strawberry.type
class RewardsReportRow:
    period: str
    reward_code: str
    redemptions: int
    settled: int
    points_burned: Long


@strawberry.type
class RewardsReport:
    rows: list[RewardsReportRow]
    total_redemptions: int
    total_points_burned: Long
    open_holds: int
    open_hold_points: Long

    @classmethod
    def from_proto(cls, r: rewards_pb.RewardsReport) -> "RewardsReport":
        return cls(
            rows=[RewardsReportRow(period=x.period, reward_code=x.reward_code, redemptions=x.redemptions,
                                   settled=x.settled, points_burned=x.points_burned) for x in r.rows],
            total_redemptions=r.total_redemptions, total_points_burned=r.total_points_burned,
            open_holds=r.open_holds, open_hold_points=r.open_hold_points,
        )
