"""The till's member card, written through to the shared cache (services/common/cache/member_cards.py).

After a posting commits, `after_posting` reads the cards of every member it touched (those named in
the request and those on either side of its transactions) in one statement and stores them,
versioned, before the answer leaves: an enquire on any gateway replica that follows the posting sees
it. A read that found no card (`fill`) stores the one it read, unless a newer one is there already.

While the cache cannot be written, the members whose cards could not be replaced are remembered and
their cards dropped when it comes back (until then the gateways read PostgreSQL: the breaker is open
for them too, or the card's TTL bounds what they see). With NoCache nothing here runs.
"""

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import Iterable

import asyncpg

from services.common.cache import member_cards
from services.common.cache.store import SharedCache
from services.common.db import tenant_tx
from services.points.ledger import posting, repository
from services.points.ledger.summary import summary_from_row

log = logging.getLogger(__name__)
MAX_PENDING = 10_000  # past this, the whole card cache is dropped on recovery instead


class MemberCards:
    def __init__(self, pool: asyncpg.Pool, cache: SharedCache):
        self._pool = pool
        self._cache = cache
        self._pending: set[tuple[uuid.UUID, str]] = set()
        self._overflow = False
        self._tasks: set[asyncio.Task] = set()
        cache.on_recovered(self._recovered)

    @property
    def enabled(self) -> bool:
        return self._cache.backend != "none"

    async def after_posting(self, *, program_id: uuid.UUID, loyalty_numbers: Iterable[str] = (),
                            transaction_ids: Iterable[str] = ()) -> None:
        if not self.enabled:
            return
        numbers = [n for n in loyalty_numbers if n]
        ids = [uuid.UUID(t) for t in transaction_ids if t]
        if not numbers and not ids:
            return
        try:
            async with tenant_tx(self._pool, program_id) as conn:
                rows = [(r["loyalty_number"], r) for r in
                        await repository.cards(conn, loyalty_numbers=numbers, transaction_ids=ids)]
        except Exception:  # the posting has committed: its answer must not fail for the cache's sake
            log.exception("member cards of a posting could not be read; dropping them")
            for number in numbers:
                await self._forget(program_id, number)
            return
        for number, row in rows:
            await self._store(program_id, number, row, summary=summary_from_row(row))

    def fill(self, *, program_id: uuid.UUID, loyalty_number: str, row: asyncpg.Record, summary) -> None:
        """A read's card, stored in the background (the read's answer does not wait for the cache)."""
        if not self.enabled:
            return  # (an open breaker answers at once; its probe after the pause is what brings the cache back)
        task = asyncio.get_running_loop().create_task(self._store(program_id, loyalty_number, row, summary=summary,
                                                                  remember=False))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _store(self, program_id: uuid.UUID, number: str, row: asyncpg.Record, *, summary,
                     remember: bool = True) -> None:
        if row["stale_points"]:  # lots past their date, not yet expired by the job: not a card to keep
            await self._forget(program_id, number)
            return
        stored = await member_cards.store(
            self._cache, program_id=program_id, loyalty_number=number, version=row["version"],
            summary=dataclasses.asdict(summary), valid_until=posting.rfc3339(row["next_expiry_date"]) or None)
        if stored is None and remember:
            self._remember(program_id, number)

    async def _forget(self, program_id: uuid.UUID, number: str) -> None:
        if not await member_cards.forget(self._cache, program_id=program_id, loyalty_number=number):
            self._remember(program_id, number)

    def _remember(self, program_id: uuid.UUID, number: str) -> None:
        if len(self._pending) >= MAX_PENDING:
            self._overflow = True
        else:
            self._pending.add((program_id, number))

    def _recovered(self) -> None:
        """The cache is back: drop the cards that postings made meanwhile could not replace."""
        pending, overflow = self._pending, self._overflow
        self._pending, self._overflow = set(), False
        if not pending and not overflow:
            return

        async def drop():
            if overflow:
                await self._cache.clear(member_cards.CACHE)
            for program_id, number in pending:
                await self._forget(program_id, number)

        task = asyncio.get_running_loop().create_task(drop())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
