"""This service's copy of a program's settings, provisioned idempotently; and its own limits on staff postings."""

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import invalid
from services.points.ledger import commands, posting, repository


async def provision(pool: asyncpg.Pool, command: commands.ProvisionProgram) -> bool:
    """True when the program was new here."""
    async with tenant_tx(pool, command.id) as conn:
        created = await repository.upsert_program(
            conn, program_id=command.id, code=command.code, currency=command.currency, timezone=command.timezone,
            expiry_days=command.expiry_days, expiry_round_to_month_end=command.expiry_round_to_month_end,
            archived=command.archived, retro_claim_days=command.retro_claim_days,
            hold_timeout_seconds=command.hold_timeout_seconds,
        )
        await repository.open_program_accounts(conn, command.id)
    return created


async def limits(pool: asyncpg.Pool, *, program_id) -> int:
    """The program's goodwill limit (0: none)."""
    async with tenant_tx(pool, program_id) as conn:
        program = await posting.load_program(conn, program_id)
    return program["goodwill_limit"] or 0


async def set_limits(pool: asyncpg.Pool, *, program_id, goodwill_limit: int) -> int:
    if goodwill_limit < 0:
        raise invalid("goodwillLimit", "must be 0 (no limit) or a positive number of points")
    async with tenant_tx(pool, program_id) as conn:
        program = await posting.load_program(conn, program_id)
        posting.within_cap(program, goodwill_limit, "goodwillLimit")
        await repository.set_goodwill_limit(conn, program_id, goodwill_limit or None)
    return goodwill_limit
