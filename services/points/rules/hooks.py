"""Hooks the ledger may call so rules react to its events without the ledger knowing rules.

`on_member_registered` is meant for the first RegisterMember of a member (the ledger's
`members.register`, after its upsert commits): it grants the welcome bonus of the program's
published enroll rules. Until the ledger calls it, `applyEnrollRules` and the `enroll` job
(`python -m services.points.rules.jobs enroll`) grant it; all three are idempotent per member
and rule, so calling more than one is harmless.
"""

import uuid

import asyncpg

from services.common.errors import DomainError
from services.points.rules import bonuses
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
