"""What the rewards service answers: frozen dataclasses whose fields mirror the gRPC responses
(api.py copies them field by field). A claim's and a points redemption's answer is also what
their idempotency key keeps for a replay."""

import dataclasses


@dataclasses.dataclass(frozen=True)
class RewardSpec:
    code: str = ""
    name: str = ""
    description: str = ""
    image_url: str = ""
    type: str = ""  # reward (default) or offer
    kind: str = ""
    points_cost: int = 0
    value: str = ""
    plu: str = ""
    partner_code: str = ""
    valid_from: str = ""
    valid_until: str = ""
    has_stock: bool = False
    stock: int = 0
    per_member_limit: int = 0
    tier_codes: tuple[str, ...] = ()
    segment_codes: tuple[str, ...] = ()
    club_codes: tuple[str, ...] = ()
    location_codes: tuple[str, ...] = ()
    issues_voucher: bool = False
    active: bool = False


@dataclasses.dataclass(frozen=True)
class Reward:
    id: str
    spec: RewardSpec
    claimed: int
    created_at: str
    updated_at: str


@dataclasses.dataclass(frozen=True)
class EligibleReward:
    reward: Reward
    points_needed: int
    claims_left: int  # -1: unlimited


@dataclasses.dataclass(frozen=True)
class Eligibility:
    loyalty_number: str
    available_points: int
    available: tuple[EligibleReward, ...]
    next: EligibleReward | None  # the cheapest still out of reach
    highest: EligibleReward | None  # the most expensive available now
    tier_codes: tuple[str, ...]
    segment_codes: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class OtpSent:
    expires_at: str
    channel: str
    destination: str


@dataclasses.dataclass(frozen=True)
class Identified:
    loyalty_number: str
    member_id: str
    otp_expires_at: str


@dataclasses.dataclass(frozen=True)
class Claim:
    id: str = ""
    reference: str = ""
    order_reference: str = ""
    reward_code: str = ""
    loyalty_number: str = ""
    points: int = 0
    status: str = ""  # held, settled, voided, expired
    voucher_code: str = ""
    hold_expires_at: str = ""
    claimed_at: str = ""
    settled_at: str = ""
    voided_at: str = ""
    otp_bypassed: bool = False
    claimed_by: str = ""
    available_after: int = 0


@dataclasses.dataclass(frozen=True)
class ClaimList:
    claims: tuple[Claim, ...]


@dataclasses.dataclass(frozen=True)
class VoidedOrder:
    claims: tuple[Claim, ...]
    new_balance: int


@dataclasses.dataclass(frozen=True)
class PointsRedeemed:
    transaction_id: str = ""
    points: int = 0  # the signed change to the available balance
    new_balance: int = 0
    otp_bypassed: bool = False
    old_balance: int = 0
    points_used: int = 0
    money_value: str = ""  # with a bill: what the points paid, and the bill before and after
    currency: str = ""
    transaction_value: str = ""
    new_transaction_value: str = ""
    rule: str = ""
    rule_version: str = ""
    min_points: int = 0
    max_points: int = 0


@dataclasses.dataclass(frozen=True)
class Voucher:
    code: str
    status: str
    reward_code: str
    reward_name: str
    kind: str
    value: str
    plu: str
    partner_code: str
    loyalty_number: str
    claim_reference: str
    consumed_at: str
    consumed_reference: str


@dataclasses.dataclass(frozen=True)
class ReportRow:
    period: str
    reward_code: str
    redemptions: int
    settled: int
    points_burned: int


@dataclasses.dataclass(frozen=True)
class Report:
    rows: tuple[ReportRow, ...]
    total_redemptions: int
    total_points_burned: int
    open_holds: int
    open_hold_points: int
