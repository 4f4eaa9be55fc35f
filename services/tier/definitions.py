"""Tier slabs: ordered tiers and their qualification rules, validated as a whole."""

import dataclasses
import re
import uuid
from decimal import Decimal, InvalidOperation

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode, invalid, not_found
from services.tier import repository

METRICS = ("points", "spend", "transactions")
WINDOW_UNITS = ("month", "day")
DOWNGRADES = ("one_level", "to_base")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
MAX_WINDOW = {"month": 120, "day": 3660}


@dataclasses.dataclass(frozen=True)
class Tier:
    level: int
    code: str
    name: str
    benefits: str
    earn_multiplier: Decimal
    threshold: Decimal
    retention_threshold: Decimal
    validity_months: int | None  # None for the base tier


@dataclasses.dataclass(frozen=True)
class Slab:
    code: str
    name: str
    metric: str
    window_length: int
    window_unit: str
    downgrade: str
    grace_days: int
    close_to_upgrade_percent: int
    tiers: tuple[Tier, ...]

    @property
    def top_level(self) -> int:
        return len(self.tiers) - 1

    def tier(self, level: int) -> Tier:
        return self.tiers[level]

    def by_code(self, code: str, field: str = "tierCode") -> Tier:
        for tier in self.tiers:
            if tier.code == code:
                return tier
        raise invalid(field, f"unknown tier code {code!r} in slab {self.code!r}; known: {[t.code for t in self.tiers]}")

    def qualified_level(self, value: Decimal) -> int:
        """The highest tier whose threshold the value reaches (0: the base)."""
        level = 0
        for tier in self.tiers[1:]:
            if value >= tier.threshold:
                level = tier.level
        return level

    # Arrays the set-based SQL reads, indexed by level (1-based in SQL: element k is level k).
    @property
    def thresholds(self) -> list[Decimal]:
        return [t.threshold for t in self.tiers[1:]]

    @property
    def retention(self) -> list[Decimal]:
        return [t.retention_threshold for t in self.tiers[1:]]

    @property
    def validity(self) -> list[int | None]:
        return [t.validity_months for t in self.tiers[1:]]

    @property
    def codes(self) -> list[str]:
        return [t.code for t in self.tiers]


def _decimal(value: str, field: str, *, default: Decimal | None = None) -> Decimal:
    if not value:
        if default is not None:
            return default
        raise invalid(field, "is required")
    try:
        parsed = Decimal(value)
    except InvalidOperation:
        raise invalid(field, f"{value!r} is not a decimal number") from None
    if not parsed.is_finite() or parsed < 0:
        raise invalid(field, "must be a decimal number of zero or more")
    if parsed.as_tuple().exponent < -4 or parsed >= Decimal("1e12"):
        raise invalid(field, "has too many digits")
    return parsed


def _text(value: str, field: str, *, required: bool = True, limit: int = 100) -> str:
    value = (value or "").strip()
    if required and not value:
        raise invalid(field, "is required")
    if len(value) > limit:
        raise invalid(field, f"must be at most {limit} characters")
    return value


def validate(slab) -> Slab:
    """A slab from its proto; every refusal names the field."""
    code = (slab.code or "").strip()
    if not _CODE.match(code):
        raise invalid("slab.code", "must be 1-40 letters, digits, dashes or underscores")
    if slab.metric not in METRICS:
        raise invalid("slab.metric", f"{slab.metric!r} is not one of {list(METRICS)}")
    unit = slab.window_unit or "month"
    if unit not in WINDOW_UNITS:
        raise invalid("slab.windowUnit", f"{slab.window_unit!r} is not one of {list(WINDOW_UNITS)}")
    if slab.window_length <= 0:
        raise invalid("slab.windowLength", "must be at least 1: a window of zero counts nothing")
    if slab.window_length > MAX_WINDOW[unit]:
        raise invalid("slab.windowLength", f"must be at most {MAX_WINDOW[unit]} {unit}s")
    downgrade = slab.downgrade or "one_level"
    if downgrade not in DOWNGRADES:
        raise invalid("slab.downgrade", f"{slab.downgrade!r} is not one of {list(DOWNGRADES)}")
    if not 0 <= slab.grace_days <= 3660:
        raise invalid("slab.graceDays", "must be between 0 and 3660")
    close = slab.close_to_upgrade_percent or 90
    if not 1 <= close <= 100:
        raise invalid("slab.closeToUpgradePercent", "must be between 1 and 100")
    if len(slab.tiers) < 2:
        raise invalid("slab.tiers", "needs a base tier and at least one tier above it")
    if len(slab.tiers) > 20:
        raise invalid("slab.tiers", "at most 20 tiers")
    tiers: list[Tier] = []
    seen: set[str] = set()
    for level, raw in enumerate(slab.tiers):
        field = f"slab.tiers[{level}]"
        tier_code = (raw.code or "").strip()
        if not _CODE.match(tier_code):
            raise invalid(f"{field}.code", "must be 1-40 letters, digits, dashes or underscores")
        if tier_code in seen:
            raise invalid(f"{field}.code", f"tier code {tier_code!r} is used twice")
        seen.add(tier_code)
        threshold = _decimal(raw.threshold, f"{field}.threshold", default=Decimal(0) if level == 0 else None)
        multiplier = _decimal(raw.earn_multiplier, f"{field}.earnMultiplier", default=Decimal(1))
        if multiplier <= 0 or multiplier > 1000:
            raise invalid(f"{field}.earnMultiplier", "must be greater than 0 and at most 1000")
        if level == 0:
            if threshold != 0:
                raise invalid(f"{field}.threshold", "the base tier (the first) has threshold 0")
            retention, validity = Decimal(0), None
        else:
            previous = tiers[-1].threshold
            if threshold <= previous:
                raise invalid(
                    f"{field}.threshold",
                    f"thresholds overlap: {threshold} must be greater than {previous} of tier {tiers[-1].code!r}",
                )
            retention = _decimal(raw.retention_threshold, f"{field}.retentionThreshold", default=threshold)
            if retention > threshold:
                raise invalid(f"{field}.retentionThreshold", "must not exceed the tier's threshold")
            if not 1 <= raw.validity_months <= 120:
                raise invalid(f"{field}.validityMonths", "must be between 1 and 120 months")
            validity = raw.validity_months
        tiers.append(Tier(
            level=level, code=tier_code, name=_text(raw.name, f"{field}.name"),
            benefits=_text(raw.benefits, f"{field}.benefits", required=False, limit=2000),
            earn_multiplier=multiplier, threshold=threshold, retention_threshold=retention,
            validity_months=validity,
        ))
    return Slab(
        code=code, name=_text(slab.name, "slab.name"), metric=slab.metric, window_length=slab.window_length,
        window_unit=unit, downgrade=downgrade, grace_days=slab.grace_days, close_to_upgrade_percent=close,
        tiers=tuple(tiers),
    )


def from_rows(slab_row, tier_rows) -> Slab:
    return Slab(
        code=slab_row["code"], name=slab_row["name"], metric=slab_row["metric"],
        window_length=slab_row["window_length"], window_unit=slab_row["window_unit"],
        downgrade=slab_row["downgrade"], grace_days=slab_row["grace_days"],
        close_to_upgrade_percent=slab_row["close_to_upgrade_percent"],
        tiers=tuple(
            Tier(level=r["level"], code=r["code"], name=r["name"], benefits=r["benefits"],
                 earn_multiplier=r["earn_multiplier"], threshold=r["threshold"],
                 retention_threshold=r["retention_threshold"], validity_months=r["validity_months"])
            for r in sorted(tier_rows, key=lambda r: r["level"])
        ),
    )


async def load_all(conn: asyncpg.Connection) -> list[Slab]:
    slab_rows = await repository.slabs(conn)
    tier_rows = await repository.tiers(conn)
    return [from_rows(s, [t for t in tier_rows if t["slab_code"] == s["code"]]) for s in slab_rows]


async def list_slabs(pool: asyncpg.Pool, *, program_id: uuid.UUID) -> list[Slab]:
    async with tenant_tx(pool, program_id) as conn:
        return await load_all(conn)


async def load(conn: asyncpg.Connection, code: str) -> Slab:
    for slab in await load_all(conn):
        if slab.code == code:
            return slab
    raise not_found("slab", code)


async def define(pool: asyncpg.Pool, *, program_id: uuid.UUID, slab: Slab) -> Slab:
    """Create or replace a slab. Levels that members hold cannot be removed."""
    async with tenant_tx(pool, program_id) as conn:
        if not await repository.program_exists(conn, program_id):
            raise not_found("program", str(program_id))
        held = await repository.highest_held_level(conn, slab.code)
        if held is not None and held > slab.top_level:
            raise DomainError(
                ErrorCode.INVALID_INPUT,
                f"slab.tiers: members hold level {held} of slab {slab.code!r}; a new definition must keep it",
                field="slab.tiers",
            )
        await repository.upsert_slab(conn, program_id=program_id, slab=slab)
        await repository.replace_tiers(conn, program_id=program_id, slab=slab)
        await repository.add_base_rows_for_known_members(conn, program_id=program_id, slab_code=slab.code)
    return slab
