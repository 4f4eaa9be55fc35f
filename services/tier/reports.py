"""Reports per slab: members and spend per tier, upgrades and downgrades per period."""

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import invalid
from services.tier import dates, definitions, repository

PERIODS = ("month", "day")


@dataclasses.dataclass(frozen=True)
class TierLine:
    tier_code: str
    members: int
    spend: Decimal


@dataclasses.dataclass(frozen=True)
class PeriodLine:
    period: str
    upgrades: int
    downgrades: int


@dataclasses.dataclass(frozen=True)
class Report:
    slab_code: str
    tiers: list[TierLine]
    periods: list[PeriodLine]


async def report(pool: asyncpg.Pool, *, program_id: uuid.UUID, slab_code: str, start: str, end: str,
                 period: str = "") -> Report:
    period = period or "month"
    if period not in PERIODS:
        raise invalid("period", f"{period!r} is not one of {list(PERIODS)}")
    first = dates.parse_date(start, "from")
    last = dates.parse_date(end, "to")
    if last < first:
        raise invalid("to", "must be on or after from")
    async with tenant_tx(pool, program_id) as conn:
        slab = await definitions.load(conn, slab_code)
        counts = await repository.members_per_tier(conn, slab.code)
        spend = await repository.spend_per_tier(conn, slab_code=slab.code, start=first, end=last)
        changes = await repository.changes_per_period(conn, slab_code=slab.code, start=first, end=last, period=period)
    return Report(
        slab_code=slab.code,
        tiers=[TierLine(t.code, counts.get(t.level, 0), spend.get(t.level) or Decimal(0)) for t in slab.tiers],
        periods=[PeriodLine(_label(r["period"], period), r["upgrades"], r["downgrades"]) for r in changes],
    )


def _label(day: dt.date, period: str) -> str:
    return day.strftime("%Y-%m") if period == "month" else day.isoformat()
