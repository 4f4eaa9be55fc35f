"""This service's copy of a program's settings, provisioned idempotently."""

import asyncpg

from services.common.db import tenant_tx
from services.points.ledger import commands, repository


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
