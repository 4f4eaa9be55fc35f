"""This service's copy of members: who exists and whether they may earn and burn."""

import uuid

import asyncpg

from services.common.db import tenant_tx
from services.points.ledger import commands, repository
from services.points.ledger.hooks import LedgerHooks


async def register(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.RegisterMember, hooks: LedgerHooks
) -> None:
    loyalty_number = command.loyalty_number
    async with tenant_tx(pool, program_id) as conn:
        new = await repository.upsert_member(
            conn, program_id=program_id, member_id=command.member_id, loyalty_number=loyalty_number,
            status=command.status,
        )
    if new and command.status == "active":
        # the program's enroll rules (welcome bonus), once: idempotent by the member, so a lost
        # answer and a redelivered registration grant nothing twice
        await hooks.on_member_registered(pool, program_id=program_id, loyalty_number=loyalty_number)
