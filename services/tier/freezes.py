"""Freeze windows: between two dates (inclusive) the daily job downgrades no one."""

import uuid

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import invalid, not_found
from services.tier import dates, repository


async def add(pool: asyncpg.Pool, *, program_id: uuid.UUID, starts_on: str, ends_on: str, reason: str,
              created_by: str) -> asyncpg.Record:
    start = dates.parse_date(starts_on, "startsOn")
    end = dates.parse_date(ends_on, "endsOn")
    if end < start:
        raise invalid("endsOn", "must be on or after startsOn")
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reason", "is required")
    async with tenant_tx(pool, program_id) as conn:
        if not await repository.program_exists(conn, program_id):
            raise not_found("program", str(program_id))
        return await repository.add_freeze(conn, program_id=program_id, starts_on=start, ends_on=end,
                                           reason=reason[:500], created_by=created_by)


async def remove(pool: asyncpg.Pool, *, program_id: uuid.UUID, freeze_id: int) -> None:
    async with tenant_tx(pool, program_id) as conn:
        if not await repository.remove_freeze(conn, freeze_id):
            raise not_found("freeze window", str(freeze_id))


async def list_all(pool: asyncpg.Pool, *, program_id: uuid.UUID) -> list[asyncpg.Record]:
    async with tenant_tx(pool, program_id) as conn:
        return await repository.freezes(conn)
