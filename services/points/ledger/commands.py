"""What the ledger is asked to do: one frozen dataclass per operation, validated once, when it is made.

The fields mirror the gRPC requests (api.py builds them field by field; the importer and the rules
engine build them directly). Construction checks what needs no database, in the order the
operations always checked it, and keeps the parsed value (an amount becomes a Decimal, a
timestamp a datetime): bad input is refused naming the field before any transaction opens.
What needs the database (a member who must exist, the program's currency) is checked by the
operation itself.
"""

import base64
import dataclasses
import datetime as dt
import uuid
from decimal import Decimal

from services.common import validation
from services.common.errors import DomainError, ErrorCode, invalid

STATUSES = frozenset({"active", "suspended", "blacklisted", "opted_out", "merged", "erased"})
KINDS = frozenset({"EARN", "BURN", "VOID", "ADJUST", "TRANSFER", "GOODWILL", "RETRO_CLAIM", "ACTIVATE", "HOLD",
                   "CAPTURE", "RELEASE", "EXPIRE", "MERGE", "EXTEND"})
MAX_PAGE = 200
MAX_HOLD_SECONDS = 30 * 86400


def _set(command, **values) -> None:
    for name, value in values.items():
        object.__setattr__(command, name, value)


def points(value: int, field: str = "points") -> int:
    return validation.positive_points(value, field)


def reason(value: str, field: str = "reason", *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(ErrorCode.INVALID_INPUT, f"{field}: is required", field=field)
    if len(value) > 500:
        raise DomainError(ErrorCode.INVALID_INPUT, f"{field}: must be at most 500 characters", field=field)
    return value


def optional_reference(value: str | None, field: str) -> str | None:
    return validation.reference(value, field) if value else None


def _amount(value: Decimal | str, field: str = "amount") -> Decimal:
    return validation.amount(value if isinstance(value, str) else f"{value:f}", field)


def _instant(value: dt.datetime | str, field: str) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else validation.timestamp(value, field)


def _not_negative(value: int, field: str, message: str) -> None:
    if value < 0:
        raise DomainError(ErrorCode.INVALID_INPUT, f"{field}: {message}", field=field)


# --- program and members ---------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class ProvisionProgram:
    id: uuid.UUID | str
    code: str
    currency: str
    timezone: str
    expiry_days: int = 0
    expiry_round_to_month_end: bool = False
    archived: bool = False
    retro_claim_days: int = 0  # 0: 30
    hold_timeout_seconds: int = 0  # 0: 900

    def __post_init__(self):
        _set(self, id=self.id if isinstance(self.id, uuid.UUID) else validation.uuid_value(self.id, "spec.id"))
        validation.program_code(self.code, "spec.code")
        validation.currency(self.currency, "spec.currency")
        validation.timezone(self.timezone, "spec.timezone")
        if self.expiry_days < 0:
            raise invalid("spec.expiry.days", "must not be negative")
        if self.retro_claim_days < 0 or self.hold_timeout_seconds < 0:
            raise invalid("spec", "retro_claim_days and hold_timeout_seconds must not be negative")
        _set(self, retro_claim_days=self.retro_claim_days or 30, hold_timeout_seconds=self.hold_timeout_seconds or 900)


@dataclasses.dataclass(frozen=True)
class RegisterMember:
    member_id: uuid.UUID | str
    loyalty_number: str
    status: str

    def __post_init__(self):
        if not isinstance(self.member_id, uuid.UUID):
            _set(self, member_id=validation.uuid_value(self.member_id, "memberId"))
        if self.status not in STATUSES:
            raise invalid("status", f"{self.status!r} is not one of {sorted(STATUSES)}")


# --- earning ---------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Item:
    """A basket line as the till sent it; the rules engine reads (and checks) it when a rule looks."""

    sku: str = ""
    category: str = ""
    quantity: str = ""
    price: str = ""


@dataclasses.dataclass(frozen=True)
class Earn:
    loyalty_number: str
    amount: Decimal | str
    currency: str
    reference: str
    pending: bool = False
    occurred_at: dt.datetime | str | None = None  # None: now
    partner_code: str = ""
    location_code: str = ""
    channel: str = ""
    order_reference: str | None = None
    items: tuple[Item, ...] = ()

    def __post_init__(self):
        _set(self, amount=_amount(self.amount), reference=validation.reference(self.reference),
             order_reference=optional_reference(self.order_reference, "orderReference"),
             occurred_at=_instant(self.occurred_at, "occurredAt") if self.occurred_at else None,
             items=tuple(self.items))


@dataclasses.dataclass(frozen=True)
class RetroClaim:
    loyalty_number: str
    receipt_reference: str
    amount: Decimal | str
    currency: str
    purchased_at: dt.datetime | str
    location_code: str = ""
    partner_code: str = ""

    def __post_init__(self):
        _set(self, receipt_reference=validation.reference(self.receipt_reference, "receiptReference"),
             amount=_amount(self.amount), purchased_at=_instant(self.purchased_at, "purchasedAt"))


@dataclasses.dataclass(frozen=True)
class ActivatePending:
    reference: str
    target_reference: str

    def __post_init__(self):
        validation.reference(self.reference)
        validation.reference(self.target_reference, "targetReference")


# --- spending --------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Burn:
    loyalty_number: str
    points: int
    reference: str
    reason: str = ""
    partner_code: str = ""
    location_code: str = ""
    order_reference: str | None = None

    def __post_init__(self):
        points(self.points)
        validation.reference(self.reference)
        _set(self, order_reference=optional_reference(self.order_reference, "orderReference"),
             reason=reason(self.reason))


@dataclasses.dataclass(frozen=True)
class Hold:
    loyalty_number: str
    points: int
    reference: str
    timeout_seconds: int = 0  # 0: the program's default
    reason: str = ""
    order_reference: str | None = None

    def __post_init__(self):
        points(self.points)
        validation.reference(self.reference)
        _set(self, order_reference=optional_reference(self.order_reference, "orderReference"))
        if self.timeout_seconds < 0 or self.timeout_seconds > MAX_HOLD_SECONDS:
            raise DomainError(ErrorCode.INVALID_INPUT, "timeoutSeconds: must be between 0 and 30 days",
                              field="timeoutSeconds")
        _set(self, reason=reason(self.reason))


@dataclasses.dataclass(frozen=True)
class CaptureHold:
    reference: str
    hold_reference: str
    points: int = 0  # 0: the whole hold

    def __post_init__(self):
        validation.reference(self.reference)
        validation.reference(self.hold_reference, "holdReference")
        _not_negative(self.points, "points", "must not be negative")


@dataclasses.dataclass(frozen=True)
class ReleaseHold:
    reference: str
    hold_reference: str

    def __post_init__(self):
        validation.reference(self.reference)
        validation.reference(self.hold_reference, "holdReference")


# --- voids and staff operations --------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Void:
    reference: str
    target_reference: str
    points: int = 0  # 0: the whole remainder
    reason: str = ""
    loyalty_number: str = ""  # the target must belong to this member (else NOT_FOUND)

    def __post_init__(self):
        validation.reference(self.reference)
        validation.reference(self.target_reference, "targetReference")
        _not_negative(self.points, "points", "must not be negative (0 voids the whole remainder)")
        _set(self, reason=reason(self.reason))


@dataclasses.dataclass(frozen=True)
class Adjust:
    loyalty_number: str
    points: int  # signed: credit > 0, debit < 0
    reference: str
    reason: str

    def __post_init__(self):
        if self.points == 0:
            raise invalid("points", "must not be zero (credit > 0, debit < 0)")
        points(abs(self.points))
        validation.reference(self.reference)
        _set(self, reason=reason(self.reason, required=True))


@dataclasses.dataclass(frozen=True)
class Goodwill:
    loyalty_number: str
    points: int
    reference: str
    reason: str

    def __post_init__(self):
        points(self.points)
        validation.reference(self.reference)
        _set(self, reason=reason(self.reason, required=True))


@dataclasses.dataclass(frozen=True)
class Transfer:
    from_loyalty_number: str
    to_loyalty_number: str
    points: int
    reference: str
    reason: str = ""

    def __post_init__(self):
        points(self.points)
        validation.reference(self.reference)
        _set(self, reason=reason(self.reason))


@dataclasses.dataclass(frozen=True)
class MergeMembers:
    from_loyalty_number: str
    to_loyalty_number: str
    reference: str

    def __post_init__(self):
        validation.reference(self.reference)


@dataclasses.dataclass(frozen=True)
class ExtendExpiry:
    loyalty_number: str
    new_expires_at: dt.datetime | str
    reason: str
    reference: str

    def __post_init__(self):
        new_expires_at = _instant(self.new_expires_at, "newExpiresAt")
        if new_expires_at <= dt.datetime.now(dt.timezone.utc):
            raise invalid("newExpiresAt", "must be in the future")
        _set(self, new_expires_at=new_expires_at, reason=reason(self.reason, required=True))
        validation.reference(self.reference)


# --- reads -----------------------------------------------------------------------------------------

def _page_size(value: int) -> int:
    if value < 0:
        raise invalid("pageSize", "must not be negative")
    return min(value or 50, MAX_PAGE)


def page_token(*parts) -> str:
    return base64.urlsafe_b64encode("|".join(str(p) for p in parts).encode()).decode()


def _after(token: str, field: str = "pageToken") -> tuple[dt.datetime, uuid.UUID] | None:
    if not token:
        return None
    try:
        when, key = base64.urlsafe_b64decode(token.encode()).decode().split("|")
        return dt.datetime.fromisoformat(when), uuid.UUID(key)
    except (ValueError, UnicodeDecodeError):
        raise invalid(field, "is not a token this service issued") from None


def _day_or_instant(value: str, field: str) -> dt.datetime | None:
    """An RFC 3339 timestamp, or a plain date (its UTC midnight); empty: no bound."""
    if not value:
        return None
    if len(value) == 10:
        try:
            return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), tzinfo=dt.timezone.utc)
        except ValueError:
            raise invalid(field, f"{value!r} is not a date (YYYY-MM-DD)") from None
    return validation.timestamp(value, field)


def _month(value: str, field: str) -> str | None:
    if not value:
        return None
    try:
        dt.datetime.strptime(value, "%Y-%m")
    except ValueError:
        raise invalid(field, f"{value!r} is not a month (YYYY-MM)") from None
    return value


_PARSED = dict(init=False, default=None, repr=False, compare=False)


@dataclasses.dataclass(frozen=True)
class ListProgramTransactions:
    kinds: tuple[str, ...] = ()
    since: str = ""  # the request's `from`
    to: str = ""
    page_size: int = 0
    page_token: str = ""
    start: dt.datetime | None = dataclasses.field(**_PARSED)
    end: dt.datetime | None = dataclasses.field(**_PARSED)
    size: int = dataclasses.field(**_PARSED)
    after: tuple[dt.datetime, uuid.UUID] | None = dataclasses.field(**_PARSED)

    def __post_init__(self):
        kinds = tuple(k.upper() for k in self.kinds)
        unknown = sorted(set(kinds) - KINDS)
        if unknown:
            raise invalid("kinds", f"unknown kinds {unknown}; known: {sorted(KINDS)}")
        _set(self, kinds=kinds, start=_day_or_instant(self.since, "from"), end=_day_or_instant(self.to, "to"),
             size=_page_size(self.page_size), after=_after(self.page_token))


@dataclasses.dataclass(frozen=True)
class ListTransactions(ListProgramTransactions):
    """One member's transactions (as its own side of transfers and merges): the same filters and pages."""

    loyalty_number: str = dataclasses.field(kw_only=True)


@dataclasses.dataclass(frozen=True)
class ListExpiring:
    within_days: int
    loyalty_number: str = ""  # empty: every member
    page_size: int = 0
    page_token: str = ""
    size: int = dataclasses.field(**_PARSED)
    after: tuple[dt.datetime, uuid.UUID] | None = dataclasses.field(**_PARSED)

    def __post_init__(self):
        if self.within_days <= 0 or self.within_days > 3660:
            raise invalid("withinDays", "must be between 1 and 3660")
        _set(self, size=_page_size(self.page_size), after=_after(self.page_token))


@dataclasses.dataclass(frozen=True)
class ListLots:
    loyalty_number: str
    include_closed: bool = False
    page_size: int = 0
    size: int = dataclasses.field(**_PARSED)

    def __post_init__(self):
        _set(self, size=_page_size(self.page_size))


@dataclasses.dataclass(frozen=True)
class GetLiability:
    since: str = ""  # YYYY-MM, the request's `from`
    to: str = ""

    def __post_init__(self):
        _set(self, since=_month(self.since, "from") or "", to=_month(self.to, "to") or "")


@dataclasses.dataclass(frozen=True)
class GetActivity:
    since: str = ""  # the request's `from`
    to: str = ""
    period: str = ""  # day, week or month (default)
    start: dt.datetime | None = dataclasses.field(**_PARSED)
    end: dt.datetime | None = dataclasses.field(**_PARSED)

    def __post_init__(self):
        unit = self.period or "month"
        if unit not in ("month", "week", "day"):
            raise invalid("period", "must be day, week or month")
        start, end = _day_or_instant(self.since, "from"), _day_or_instant(self.to, "to")
        if start and end and end <= start:
            raise invalid("to", "must be after from")
        _set(self, period=unit, start=start, end=end)


@dataclasses.dataclass(frozen=True)
class GetBreakage:
    since: str = ""  # the request's `from`
    to: str = ""
    period: str = ""  # month (default) or day
    start: dt.datetime | None = dataclasses.field(**_PARSED)
    end: dt.datetime | None = dataclasses.field(**_PARSED)

    def __post_init__(self):
        unit = self.period or "month"
        if unit not in ("month", "day"):
            raise invalid("period", "must be month or day")
        _set(self, period=unit, start=_day_or_instant(self.since, "from"), end=_day_or_instant(self.to, "to"))
