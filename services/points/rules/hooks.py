"""The rules engine's side of ledger.hooks.LedgerHooks: the welcome bonus and the cap give-back.

`on_member_registered` runs after the first RegisterMember of an active member commits: it grants
the welcome bonus of the program's published enroll rules. `applyEnrollRules` and the `enroll`
job (`python -m services.points.rules.jobs enroll`) grant it too; all three are idempotent per
member and rule, so calling more than one is harmless. A void gives back the caps and budgets
its earn used (rules/usage.py), locking the counters first.
"""

import uuid
from collections.abc import Sequence

import asyncpg

from services.common.errors import DomainError
from services.points.rules import bonuses, usage
from services.points.rules.evaluation import Facts
from services.points.rules.facts import StaticFacts


async def on_member_registered(pool: asyncpg.Pool, *, program_id: uuid.UUID, loyalty_number: str,
                               facts_source=None) -> list[bonuses.Grant]:
    try:
        return await bonuses.apply_enroll_rules(pool, program_id=program_id,
                                                facts_source=facts_source or StaticFacts(Facts()),
                                                loyalty_number=loyalty_number)
    except DomainError:  # a member who may not earn (blocked, merged) gets no welcome bonus
        return []


class RulesHooks:
    def __init__(self, facts_source=None):
        self._facts = facts_source

    async def on_member_registered(self, pool: asyncpg.Pool, *, program_id: uuid.UUID, loyalty_number: str) -> None:
        await on_member_registered(pool, program_id=program_id, loyalty_number=loyalty_number,
                                   facts_source=self._facts)

    async def lock_for_void(self, conn: asyncpg.Connection, targets: Sequence[asyncpg.Record]) -> None:
        await usage.lock_for_void(conn, targets)

    async def on_void(self, conn: asyncpg.Connection, target: asyncpg.Record, *, points: int) -> None:
        await usage.give_back(conn, target, points=points)
