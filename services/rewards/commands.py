"""What the rewards service is asked to do: frozen dataclasses, validated once, when they are made.

api.py builds them from the requests field by field; what needs no database is checked here (bad
input names its field before any transaction opens), what needs it (the reward exists, the member
may take it) is checked by the operation.
"""

import dataclasses
import datetime as dt
import re
from decimal import Decimal

from services.common import validation
from services.common.errors import DomainError, ErrorCode, invalid
from services.rewards.results import RewardSpec

TYPES = ("reward", "offer")
KINDS = ("amount_off", "percent_off", "free_item", "partner_voucher")
PERIODS = ("day", "week", "month")
MAX_HOLD_SECONDS = 7 * 24 * 3600
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_RESTRICTION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
_PARSED = dict(init=False, default=None, repr=False, compare=False)


def _set(command, **values) -> None:
    for name, value in values.items():
        object.__setattr__(command, name, value)


def pos_reference(value: str, field: str = "reference") -> str:
    validation.reference(value, field)
    if len(value) > 96:
        raise invalid(field, "must be at most 96 characters")
    return value


def voucher_code(code: str) -> str:
    """A voucher code as the POS may type it (any case, with spaces or dashes) in its stored form."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def _codes(values, field: str) -> list[str]:
    out = []
    for v in values:
        v = v.strip()
        if not _RESTRICTION.match(v):
            raise invalid(field, f"{v!r} is not a code (letters, digits, '_', '-', '.', ':')")
        if v not in out:
            out.append(v)
    return out


def _value(spec: RewardSpec) -> Decimal | None:
    if spec.kind == "amount_off":
        return validation.amount(spec.value, "value")
    if spec.kind == "percent_off":
        value = validation.amount(spec.value, "value")
        if value > 100:
            raise invalid("value", "a percentage is at most 100")
        return value
    if spec.value:
        raise invalid("value", f"is only for amount_off and percent_off, not {spec.kind}")
    return None


def _window(spec: RewardSpec) -> tuple[dt.datetime | None, dt.datetime | None]:
    valid_from = validation.timestamp(spec.valid_from, "validFrom") if spec.valid_from else None
    valid_until = validation.timestamp(spec.valid_until, "validUntil") if spec.valid_until else None
    if valid_from and valid_until and valid_until <= valid_from:
        raise invalid("validUntil", "must be after validFrom")
    return valid_from, valid_until


def _reward_row(spec: RewardSpec) -> dict:
    """The catalogue row of `spec`, or INVALID_INPUT naming the first bad field."""
    if not _CODE.match(spec.code or ""):
        raise invalid("code", "must be 1-64 lower-case letters, digits, '_' or '-'")
    reward_type = spec.type or "reward"
    if reward_type not in TYPES:
        raise invalid("type", f"must be one of {', '.join(TYPES)}")
    if spec.kind not in KINDS:
        raise invalid("kind", f"must be one of {', '.join(KINDS)}")
    if spec.points_cost < 0 or spec.points_cost > 10**12:
        raise invalid("pointsCost", "must be between 0 and 10^12")
    if reward_type == "reward" and spec.points_cost == 0:
        raise invalid("pointsCost", "a catalogue reward costs at least one point (a free one is an offer)")
    value = _value(spec)
    if spec.kind == "free_item" and not spec.plu.strip():
        raise invalid("plu", "is required for a free_item reward")
    if spec.kind == "partner_voucher" and not spec.partner_code.strip():
        raise invalid("partnerCode", "is required for a partner_voucher reward")
    valid_from, valid_until = _window(spec)
    if spec.has_stock and spec.stock < 0:
        raise invalid("stock", "must be zero or more")
    if spec.per_member_limit < 0:
        raise invalid("perMemberLimit", "must be zero (unlimited) or more")
    if spec.image_url and (not re.match(r"^https?://\S+$", spec.image_url) or len(spec.image_url) > 2048):
        raise invalid("imageUrl", "must be an http(s) URL")
    if len(spec.description) > 4000:
        raise invalid("description", "must be at most 4000 characters")
    return {
        "code": spec.code, "name": validation.name(spec.name, "name"), "description": spec.description.strip(),
        "image_url": spec.image_url, "type": reward_type, "kind": spec.kind, "points_cost": spec.points_cost,
        "value": value, "plu": spec.plu.strip(), "partner_code": spec.partner_code.strip(),
        "valid_from": valid_from, "valid_until": valid_until,
        "stock": spec.stock if spec.has_stock else None, "per_member_limit": spec.per_member_limit,
        "tier_codes": _codes(spec.tier_codes, "tierCodes"), "segment_codes": _codes(spec.segment_codes, "segmentCodes"),
        "club_codes": _codes(spec.club_codes, "clubCodes"), "location_codes": _codes(spec.location_codes, "locationCodes"),
        "issues_voucher": spec.issues_voucher or spec.kind == "partner_voucher", "active": spec.active,
    }


@dataclasses.dataclass(frozen=True)
class RewardInput(RewardSpec):
    """A reward as staff describe it (create: `active` is ignored, a new reward is active)."""

    row: dict = dataclasses.field(**_PARSED)

    def __post_init__(self):
        _set(self, row=_reward_row(self))


@dataclasses.dataclass(frozen=True)
class ListRewards:
    type: str = ""
    include_inactive: bool = False

    def __post_init__(self):
        if self.type and self.type not in TYPES:
            raise invalid("type", f"must be one of {', '.join(TYPES)}")


@dataclasses.dataclass(frozen=True)
class Claim:
    loyalty_number: str
    reward_code: str
    reference: str  # the POS transaction id: the idempotency key
    order_reference: str = ""
    otp: str = ""
    otp_bypass: bool = False
    location_code: str = ""
    club_code: str = ""
    hold_timeout_seconds: int = 0  # 0: the ledger's default

    def __post_init__(self):
        pos_reference(self.reference, "reference")
        if self.order_reference:
            pos_reference(self.order_reference, "orderReference")
        if not self.reward_code:
            raise invalid("rewardCode", "is required")
        if not 0 <= self.hold_timeout_seconds <= MAX_HOLD_SECONDS:
            raise invalid("holdTimeoutSeconds", f"must be between 0 (the ledger's default) and {MAX_HOLD_SECONDS}")


@dataclasses.dataclass(frozen=True)
class RedeemPoints:
    loyalty_number: str
    reference: str  # the POS transaction id: the idempotency key, also the ledger's
    points: int = 0  # 0 with a bill: as many as the burn rules allow
    otp: str = ""
    otp_bypass: bool = False
    reason: str = ""
    partner_code: str = ""
    location_code: str = ""
    order_reference: str = ""
    transaction_value: str = ""  # the bill, a decimal string
    currency: str = ""
    channel: str = ""
    bill: Decimal | None = dataclasses.field(**_PARSED)

    def __post_init__(self):
        validation.reference(self.reference)
        bill = validation.amount(self.transaction_value, "transactionValue") if self.transaction_value else None
        if bill is None or self.points:
            validation.positive_points(self.points)
        if bill is None and self.currency:
            raise invalid("currency", "only with transactionValue")
        if not self.otp and not self.otp_bypass:
            raise DomainError(ErrorCode.OTP_REQUIRED, "the member's one-time passcode is required", field="otp")
        _set(self, bill=bill)


@dataclasses.dataclass(frozen=True)
class ConsumeVoucher:
    code: str
    reference: str  # the POS transaction consuming it
    location_code: str = ""

    def __post_init__(self):
        validation.reference(self.reference)
        _set(self, code=voucher_code(self.code))


@dataclasses.dataclass(frozen=True)
class GetReport:
    since: str  # the request's `from` (RFC 3339, inclusive)
    to: str  # exclusive
    period: str = ""  # day (default), week or month
    start: dt.datetime = dataclasses.field(**_PARSED)
    end: dt.datetime = dataclasses.field(**_PARSED)

    def __post_init__(self):
        start = validation.timestamp(self.since, "from")
        end = validation.timestamp(self.to, "to")
        if end <= start:
            raise invalid("to", "must be after from")
        period = self.period or "day"
        if period not in PERIODS:
            raise invalid("period", f"must be one of {', '.join(PERIODS)}")
        _set(self, start=start, end=end, period=period)
