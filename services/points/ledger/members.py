"""This service's copy of members: who exists and whether they may earn and burn."""

import uuid

import asyncpg

from services.common import validation
from services.common.db import tenant_tx
from services.common.errors import invalid
from services.points.ledger import repository
from services.points.ledger.hooks import LedgerHooks

STATUSES = frozenset({"active", "suspended", "blacklisted", "opted_out", "merged", "erased"})


async def register(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, member_id: str, loyalty_number: str, status: str,
    hooks: LedgerHooks,
) -> None:
    parsed = validation.uuid_value(member_id, "memberId")
    if status not in STATUSES:
        raise invalid("status", f"{status!r} is not one of {sorted(STATUSES)}")
    async with tenant_tx(pool, program_id) as conn:
        new = await repository.upsert_member(
            conn, program_id=program_id, member_id=parsed, loyalty_number=loyalty_number, status=status
        )
    if new and status == "active":
        # the program's enroll rules (welcome bonus), once: idempotent by the member, so a lost
        # answer and a redelivered registration grant nothing twice
        await hooks.on_member_registered(pool, program_id=program_id, loyalty_number=loyalty_number)
