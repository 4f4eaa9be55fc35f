"""Property: after any interleaving of postings, write-throughs and late cache fills (a read whose card
reaches the cache after later postings, however late), every member's cached card equals the database's
summary.

Hypothesis draws the steps; they run on a real PostgreSQL (the points schema) and a real Ignite node,
through the same write-through the points service makes for each posting: the cards read by the posting's
own transaction under the card locks (ledger/changes.py), stored after its commit (ledger/cards.py), with
the writer's memory of what it stored (one round trip a card)."""

import asyncio
import dataclasses
import os
import uuid
from collections.abc import Awaitable

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.common.cache import member_cards, open_cache
from services.common.db import create_pool, tenant_tx
from services.common.errors import DomainError
from services.points.ledger import repository
from services.points.ledger.cards import MemberCards
from services.points.ledger.summary import summary_from_row
from services.points.tests.helpers import Ledger

MEMBERS = 3
member = st.integers(0, MEMBERS - 1)
step = st.one_of(
    st.tuples(st.just("earn"), member, st.integers(1, 50)),
    st.tuples(st.just("burn"), member, st.integers(1, 40)),
    st.tuples(st.just("transfer"), member, member, st.integers(1, 30)),
    st.tuples(st.just("hold"), member, st.integers(1, 30)),
    st.tuples(st.just("release"), member),
    st.tuples(st.just("void"), member),
    st.tuples(st.just("concurrent_earns"), member, st.integers(1, 20), st.integers(1, 20)),
    st.tuples(st.just("read"), member),          # a read's card, stored later
    st.tuples(st.just("earn_and_read"), member, st.integers(1, 20)),  # a read racing a posting's card read
    st.tuples(st.just("late_fill"), st.integers(0, 5)),
)


@pytest.fixture(scope="module")
def env(pools, database, ignite):
    loop = asyncio.new_event_loop()
    pool = loop.run_until_complete(create_pool(database.service_dsn("points"), schema="points",
                                               application="test-cards", min_size=1, max_size=6))
    yield loop, pool, ignite
    loop.run_until_complete(pool.close())
    loop.close()


@dataclasses.dataclass
class Run:
    ledger: Ledger
    cards: MemberCards
    cache: object
    numbers: list[str]
    reads: list = dataclasses.field(default_factory=list)  # (number, row) read earlier, not yet stored
    earns: dict = dataclasses.field(default_factory=dict)  # member -> references of its earns
    holds: dict = dataclasses.field(default_factory=dict)

    @classmethod
    async def new(cls, pool, cache, *, members: int = 1) -> "Run":
        ledger = await Ledger.new(pool)
        numbers = [await ledger.member() for _ in range(members)]
        return cls(ledger=ledger, cards=MemberCards(cache), cache=cache, numbers=numbers)

    async def fill(self, number: str, row=None) -> None:
        """A read's card stored (by default the member's card now), not remembered as this writer's own."""
        row = row if row is not None else await self.row(number)
        await self.cards._store(self.ledger.program_id, number, row, summary=summary_from_row(row), remember=False)

    async def posted(self, answer: Awaitable):
        """A posting as the servicer runs it: its transaction reads the cards of the members it changed."""
        with self.cards.posting() as changed:
            await answer
        return changed

    async def write_through(self, changed) -> None:
        await self.cards.after_posting(program_id=self.ledger.program_id, changed=changed)

    async def row(self, number: str, *, as_a_fill: bool = False):
        async with tenant_tx(self.ledger.pool, self.ledger.program_id) as conn:
            found = await repository.member_by_loyalty_number(conn, number)
            if as_a_fill:  # as summary.member_summary reads a card it will store
                await repository.lock_card_shared(conn, found["id"])
            return await repository.summary(conn, found["id"])

    async def apply(self, op) -> None:
        kind, l = op[0], self.ledger
        ref = uuid.uuid4().hex[:12]
        try:
            if kind == "earn":
                number = self.numbers[op[1]]
                await self.write_through(await self.posted(l.earn(number, str(op[2]), ref)))
                self.earns.setdefault(op[1], []).append(ref)
            elif kind == "burn":
                number = self.numbers[op[1]]
                await self.write_through(await self.posted(l.burn(number, op[2], ref)))
            elif kind == "transfer" and op[1] != op[2]:
                a, b = self.numbers[op[1]], self.numbers[op[2]]
                await self.write_through(await self.posted(l.transfer(a, b, op[3], ref)))
            elif kind == "hold":
                number = self.numbers[op[1]]
                await self.write_through(await self.posted(l.hold(number, op[2], ref)))
                self.holds.setdefault(op[1], []).append(ref)
            elif kind == "release" and self.holds.get(op[1]):
                await self.write_through(await self.posted(l.release(self.holds[op[1]].pop(), ref)))  # by reference
            elif kind == "void" and self.earns.get(op[1]):
                await self.write_through(await self.posted(l.void(self.earns[op[1]].pop(), ref)))  # by reference
            elif kind == "concurrent_earns":
                number = self.numbers[op[1]]
                first, second = await asyncio.gather(self.posted(l.earn(number, str(op[2]), ref + "a")),
                                                     self.posted(l.earn(number, str(op[3]), ref + "b")))
                # their write-throughs race too, in either order
                await asyncio.gather(self.write_through(second), self.write_through(first))
            elif kind == "read":
                number = self.numbers[op[1]]
                self.reads.append((number, await self.row(number, as_a_fill=True)))
            elif kind == "earn_and_read":
                number = self.numbers[op[1]]
                changed, row = await asyncio.gather(self.posted(l.earn(number, str(op[2]), ref)),
                                                    self.row(number, as_a_fill=True))
                self.reads.append((number, row))  # lands later, after or before the posting's own card
                await self.write_through(changed)
            elif kind == "late_fill" and self.reads:
                await self.fill(*self.reads.pop(min(op[1], len(self.reads) - 1)))
        except DomainError:
            pass  # refused (not enough points, ...): nothing posted, nothing to write

    async def check(self) -> None:
        for number in self.numbers:
            cached = await member_cards.load_versioned(self.cache, program_id=self.ledger.program_id,
                                                       loyalty_number=number)
            if cached is None:
                continue
            truth = summary_from_row(await self.row(number))
            assert cached[1] == dataclasses.asdict(truth), (number, cached, truth)


def with_cache(env, scenario, *, counting: bool = False) -> None:
    """scenario(pool, cache) on the module's loop, with a cache of its own (closed after)."""
    loop, pool, ignite = env

    async def run():
        cache = open_cache(ignite.address, deadline_seconds=2.0)
        cache = Counting(cache) if counting else cache
        try:
            await scenario(pool, cache)
        finally:
            await cache.close()

    loop.run_until_complete(run())


@settings(max_examples=int(os.environ.get("CARD_PROPERTY_EXAMPLES", "15")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=25))
def test_the_cached_card_always_equals_the_database_summary(env, steps):
    async def scenario(pool, cache):
        run = await Run.new(pool, cache, members=MEMBERS)
        for n in run.numbers:  # every member starts with a card (as after a first enquire)
            await run.fill(n)
        for op in steps:
            await run.apply(op)
            await run.check()
        for number, row in run.reads:  # reads still in flight land after everything
            await run.fill(number, row)
        await run.check()

    with_cache(env, scenario)


def test_cards_are_not_written_without_a_cache(env):
    loop, pool, _ = env
    from services.common.cache import NoCache
    assert not MemberCards(NoCache()).enabled


class Counting:
    """The cache, counting the round trips made through it."""

    def __init__(self, cache):
        self._cache = cache
        self.calls: list[str] = []

    def __getattr__(self, name):
        found = getattr(self._cache, name)
        if name in ("get", "put", "remove", "compare_and_set", "clear"):
            async def counted(*args, **kwargs):
                self.calls.append(name)
                return await found(*args, **kwargs)
            return counted
        return found


def test_a_posting_replaces_its_card_in_one_round_trip(env):
    async def scenario(pool, cache):
        run = await Run.new(pool, cache)
        ledger, [number] = run.ledger, run.numbers
        await run.fill(number)  # the card as the first enquire filled it, by this process
        cache.calls.clear()
        await run.write_through(await run.posted(ledger.earn(number, "12", "e1")))
        assert cache.calls == ["compare_and_set"]  # before: a get, then the compare-and-set
        # another replica of the points service (it did not write the card): a get, then the compare-and-set
        other = MemberCards(cache)
        cache.calls.clear()
        await other.after_posting(program_id=ledger.program_id,
                                  changed=await run.posted(ledger.earn(number, "7", "e2")))
        assert cache.calls == ["get", "compare_and_set"]
        # and the first one's memory is now wrong: its compare-and-set fails, it reads, and it still lands
        cache.calls.clear()
        await run.write_through(await run.posted(ledger.earn(number, "3", "e3")))
        assert cache.calls == ["compare_and_set", "get", "compare_and_set"]
        assert await member_cards.load_versioned(cache, program_id=ledger.program_id, loyalty_number=number)
        await run.check()  # and it is the database's summary

    with_cache(env, scenario, counting=True)


def test_a_card_that_would_land_late_is_removed_instead(env):
    async def scenario(pool, cache):
        run = await Run.new(pool, cache)
        ledger, [number] = run.ledger, run.numbers
        await run.fill(number)
        changed = await run.posted(ledger.earn(number, "10", "late"))
        changed.cards = {m: (row, read_at - 60) for m, (row, read_at) in changed.cards.items()}  # written late
        await run.write_through(changed)
        assert await member_cards.load_versioned(cache, program_id=ledger.program_id, loyalty_number=number) is None

    with_cache(env, scenario)


def test_an_import_run_leaves_no_card_behind(env):
    async def scenario(pool, cache):
        run = await Run.new(pool, cache)
        ledger, [number] = run.ledger, run.numbers
        await run.write_through(await run.posted(ledger.earn(number, "10", "before-import")))
        assert await member_cards.load(cache, program_id=ledger.program_id, loyalty_number=number) is not None
        await run.cards.after_import(settle_seconds=0.2)
        assert await member_cards.load(cache, program_id=ledger.program_id, loyalty_number=number) is None
        await asyncio.sleep(0.5)  # the second clear ran
        assert not run.cards._tasks

    with_cache(env, scenario)
