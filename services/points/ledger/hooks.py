"""What the ledger tells the layers above it, without knowing them: a Protocol they implement.

The rules engine implements it (rules/hooks.py) and `__main__.py` hands it in; tests and tools that
run the ledger alone use NO_HOOKS. A void calls `lock_for_void` before it locks the members'
accounts (counters first, as an earn takes them) and `on_void` after each posting, in the
void's own transaction.
"""

import uuid
from collections.abc import Sequence
from typing import Protocol

import asyncpg


class LedgerHooks(Protocol):
    async def on_member_registered(self, pool: asyncpg.Pool, *, program_id: uuid.UUID, loyalty_number: str) -> None:
        """After the first registration of an active member has committed."""

    async def lock_for_void(self, conn: asyncpg.Connection, targets: Sequence[asyncpg.Record]) -> None:
        """Before a void locks the members of `targets`."""

    async def on_void(self, conn: asyncpg.Connection, target: asyncpg.Record, *, points: int) -> None:
        """After `points` of `target` were voided."""


class NoHooks:
    async def on_member_registered(self, pool, *, program_id, loyalty_number) -> None:
        return None

    async def lock_for_void(self, conn, targets) -> None:
        return None

    async def on_void(self, conn, target, *, points) -> None:
        return None


NO_HOOKS: LedgerHooks = NoHooks()
