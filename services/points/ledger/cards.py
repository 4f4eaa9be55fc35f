"""The till's member card, written through to the shared cache (services/common/cache/member_cards.py).

A posting's transaction reads, as its last statements, the cards of every member it changed
(ledger/changes.py: under each member's card lock, so what it reads is what it commits); after the commit
`after_posting` stores them, versioned, before the answer leaves: an enquire on any gateway replica that
follows the posting sees it. A read that found no card (`fill`) stores the one it read, unless a newer
one is there already. This process remembers the cards it stored (versioned.Known), so a card it
replaces is one compare-and-set, one round trip to the cache, when nobody else wrote it meanwhile.

A card lands at most FRESH_SECONDS after its read: a write that would land later removes the card
instead (a miss, never old data), which is what lets `after_import` make sure no card read before an
import's last batch survives it.

While the cache cannot be written, the members whose cards could not be replaced are remembered and
their cards dropped when it comes back (until then the gateways read PostgreSQL: the breaker is open
for them too, or the card's TTL bounds what they see). With NoCache nothing here runs.
"""

import asyncio
import contextlib
import dataclasses
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Iterator
from typing import TypeVar

import asyncpg

from services.common.cache import member_cards, open_cache
from services.common.cache.store import SharedCache
from services.common.cache.versioned import Known
from services.points.ledger import changes, posting
from services.points.ledger.summary import summary_from_row

T = TypeVar("T")
MAX_PENDING = 10_000  # past this, the whole card cache is dropped on recovery instead
FRESH_SECONDS = 5.0  # how long after its read a card may still land in the cache


class MemberCards:
    def __init__(self, cache: SharedCache):
        self._cache = cache
        self._known = Known()
        self._pending: set[tuple[uuid.UUID, str]] = set()
        self._overflow = False
        self._tasks: set[asyncio.Task] = set()
        cache.on_recovered(self._recovered)

    @property
    def enabled(self) -> bool:
        return self._cache.backend != "none"

    @contextlib.contextmanager
    def posting(self) -> Iterator[changes.Changes | None]:
        """Around a posting: its transaction reads the cards of the members it changes (None: no cache)."""
        if not self.enabled:
            yield None
            return
        with changes.collecting() as changed:
            yield changed

    async def after_posting(self, *, program_id: uuid.UUID, changed: changes.Changes | None) -> None:
        """The cards committed postings read, stored before their answer leaves."""
        if changed is None:
            return
        for row, read_at in changed.cards.values():
            await self._store(program_id, row["loyalty_number"], row, summary=summary_from_row(row),
                              write_by=read_at + FRESH_SECONDS)

    async def posted(self, *, program_id: uuid.UUID, operation: Awaitable[T]) -> T:
        """Run `operation` (its postings in posting.transaction), then store the cards they read."""
        with self.posting() as changed:
            result = await operation
        await self.after_posting(program_id=program_id, changed=changed)
        return result

    def fill(self, *, program_id: uuid.UUID, loyalty_number: str, row: asyncpg.Record, summary) -> None:
        """A read's card, stored in the background (the read's answer does not wait for the cache)."""
        if not self.enabled:
            return  # (an open breaker answers at once; its probe after the pause is what brings the cache back)
        self._background(self._store(program_id, loyalty_number, row, summary=summary, remember=False,
                                     write_by=time.monotonic() + FRESH_SECONDS))

    async def after_import(self, *, settle_seconds: float = FRESH_SECONDS + 3.0) -> None:
        """After a legacy import's run (its postings write no card): every card is dropped now, and again in
        the background once any card read before the run's last batch committed can no longer land
        (FRESH_SECONDS, plus the cache's deadline for a write already sent). Only misses follow: the cards
        are read again on demand."""
        if not self.enabled:
            return
        await self._clear()

        async def again():
            await asyncio.sleep(settle_seconds)
            await self._clear()

        self._background(again())

    def after_import_soon(self) -> None:
        """after_import from a place that cannot wait (a run that failed or whose caller went away)."""
        if self.enabled:
            self._background(self.after_import())

    def _background(self, work) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _clear(self) -> None:
        self._known = Known()
        if not await self._cache.clear(member_cards.CACHE):
            self._overflow = True  # the cache is down: cleared when it returns

    async def _store(self, program_id: uuid.UUID, number: str, row: asyncpg.Record, *, summary,
                     remember: bool = True, write_by: float | None = None) -> None:
        if row["stale_points"]:  # lots past their date, not yet expired by the job: not a card to keep
            await self._forget(program_id, number)
            return
        stored = await member_cards.store(
            self._cache, program_id=program_id, loyalty_number=number, version=row["version"],
            summary=dataclasses.asdict(summary), valid_until=posting.rfc3339(row["next_expiry_date"]) or None,
            known=self._known, write_by=write_by)
        if stored is None and remember:
            self._remember(program_id, number)

    async def _forget(self, program_id: uuid.UUID, number: str) -> None:
        if not await member_cards.forget(self._cache, program_id=program_id, loyalty_number=number,
                                         known=self._known):
            self._remember(program_id, number)

    def _remember(self, program_id: uuid.UUID, number: str) -> None:
        if len(self._pending) >= MAX_PENDING:
            self._overflow = True
        else:
            self._pending.add((program_id, number))

    def _recovered(self) -> None:
        """The cache is back: drop the cards that postings made meanwhile could not replace (and forget what
        this process knew of its entries: a restarted cache holds none of them)."""
        self._known = Known()
        pending, overflow = self._pending, self._overflow
        self._pending, self._overflow = set(), False
        if not pending and not overflow:
            return

        async def drop():
            if overflow:
                await self._clear()
            for program_id, number in pending:
                await self._forget(program_id, number)

        self._background(drop())


@contextlib.asynccontextmanager
async def opened(*, addresses: str | None, deadline_seconds: float) -> AsyncIterator[MemberCards]:
    """The cards of a batch job's process (its postings write them through as the API's do: otherwise a card
    read before the job shows the old balance until the member's next posting or the card's TTL)."""
    cache = open_cache(addresses, deadline_seconds=deadline_seconds)
    try:
        yield MemberCards(cache)
    finally:
        await cache.close()
