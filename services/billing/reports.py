"""Breakage (points expired unredeemed, by month and funding partner) and liability (points
outstanding x the program's point value, by expiry month), from the lots rebuilt out of events."""

import uuid
from decimal import Decimal

import asyncpg

from services.billing import periods, repository
from services.billing.programs import load as load_program
from services.common.db import tenant_tx
from services.common.errors import invalid


def _range(from_period: str, to_period: str):
    start = periods.parse_optional(from_period, "fromPeriod")
    end = periods.parse_optional(to_period, "toPeriod")
    if start and end and end < start:
        raise invalid("toPeriod", f"{to_period} is before fromPeriod {from_period}")
    return start, end


async def breakage(pool: asyncpg.Pool, program_id: uuid.UUID, *, from_period: str = "", to_period: str = "",
                   partner_code: str = "") -> list[asyncpg.Record]:
    start, end = _range(from_period, to_period)
    async with tenant_tx(pool, program_id) as conn:
        await load_program(conn, program_id)
        return await repository.breakage_report(conn, from_period=start, to_period=end,
                                                partner_code=partner_code or None)


async def liability(pool: asyncpg.Pool, program_id: uuid.UUID, *, from_period: str = "", to_period: str = "",
                    partner_code: str = "") -> tuple[list[asyncpg.Record], Decimal, str]:
    """(rows, the point value, its currency); a program with no point value set values points at 0."""
    start, end = _range(from_period, to_period)
    async with tenant_tx(pool, program_id) as conn:
        program = await load_program(conn, program_id)
        rows = await repository.liability_report(conn, timezone=program["timezone"], from_period=start,
                                                 to_period=end, partner_code=partner_code or None)
    return rows, program["point_value"] or Decimal(0), program["point_value_currency"] or program["currency"]
