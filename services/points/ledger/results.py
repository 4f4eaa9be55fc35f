"""What the ledger answers: frozen dataclasses whose fields mirror the gRPC responses (api.py copies
them field by field). A posting's answer is also what its idempotency key keeps for a replay."""

import dataclasses

from services.points.ledger.earn_policy import EarnLine


@dataclasses.dataclass(frozen=True)
class Earned:
    transaction_id: str = ""  # empty when nothing was posted (a quote of 0 points)
    old_balance: int = 0
    points_earned: int = 0
    new_balance: int = 0
    pending: bool = False
    breakdown: tuple[EarnLine, ...] = ()


@dataclasses.dataclass(frozen=True)
class Posted:
    transaction_id: str
    kind: str
    points: int  # the signed change to the member's available balance
    new_balance: int
    transaction_ids: tuple[str, ...] = ()  # every posting made (a void of an order posts several)


@dataclasses.dataclass(frozen=True)
class Held:
    hold_id: str
    transaction_id: str
    points: int
    expires_at: str
    available_after: int


@dataclasses.dataclass(frozen=True)
class Extended:
    lots_extended: int
    points_extended: int


@dataclasses.dataclass(frozen=True)
class Summary:
    available: int
    pending: int
    on_hold: int
    lifetime_earned: int
    used: int
    expired: int
    next_expiring_points: int
    next_expiry_date: str
    first_activity_at: str
    last_activity_at: str
    first_purchase_at: str = ""
    last_purchase_at: str = ""


@dataclasses.dataclass(frozen=True)
class Transaction:
    id: str
    kind: str
    reference: str
    points: int
    occurred_at: str
    status: str
    reason: str
    amount: str
    currency: str
    voids_transaction_id: str
    imported: bool
    partner_code: str
    location_code: str
    order_reference: str
    counterparty_loyalty_number: str
    target_reference: str
    loyalty_number: str


@dataclasses.dataclass(frozen=True)
class TransactionPage:
    transactions: tuple[Transaction, ...]
    next_page_token: str


@dataclasses.dataclass(frozen=True)
class ExpiringPoints:
    loyalty_number: str
    points: int
    expires_at: str


@dataclasses.dataclass(frozen=True)
class ExpiringPage:
    items: tuple[ExpiringPoints, ...]
    next_page_token: str


@dataclasses.dataclass(frozen=True)
class Lot:
    id: int
    transaction_id: str
    kind: str
    reference: str
    points: int
    remaining: int
    earned_at: str
    expires_at: str


@dataclasses.dataclass(frozen=True)
class LotList:
    lots: tuple[Lot, ...]


@dataclasses.dataclass(frozen=True)
class LiabilityRow:
    expiry_month: str
    points: int


@dataclasses.dataclass(frozen=True)
class LiabilityReport:
    rows: tuple[LiabilityRow, ...]
    total_points: int


@dataclasses.dataclass(frozen=True)
class BreakageRow:
    period: str
    points_expired: int
    points_issued: int


@dataclasses.dataclass(frozen=True)
class BreakageReport:
    rows: tuple[BreakageRow, ...]


@dataclasses.dataclass(frozen=True)
class ActivityRow:
    period: str
    points_earned: int
    points_used: int
    points_expired: int
    transactions: int
    active_members: int


@dataclasses.dataclass(frozen=True)
class ActivityReport:
    rows: tuple[ActivityRow, ...]
    outstanding_points: int
    members_with_points: int
    expiring_in_30_days: int
    expiring_in_60_days: int
    expiring_in_90_days: int
