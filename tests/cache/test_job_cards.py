"""The points service's batch jobs write the member cards of what they post, as the API's postings do:
after the job, the till's cached card is the database's summary, not the card read before the job.
On a real PostgreSQL (the points schema) and a real Ignite node."""

import dataclasses

import pytest

from services.common.cache import member_cards
from services.common.db import tenant_tx
from services.points import jobs
from services.points.ledger import cards, repository
from services.points.ledger.summary import summary_from_row
from services.points.tests.helpers import Ledger

pytestmark = pytest.mark.e2e


async def _fill(member: cards.MemberCards, ledger: Ledger, number: str) -> None:
    """The card as an enquire before the job stores it."""
    async with tenant_tx(ledger.pool, ledger.program_id) as conn:
        found = await repository.member_by_loyalty_number(conn, number)
        row = await repository.summary(conn, found["id"])
    await member._store(ledger.program_id, number, row, summary=summary_from_row(row), remember=False)


async def _truth(ledger: Ledger, number: str) -> dict:
    async with tenant_tx(ledger.pool, ledger.program_id) as conn:
        found = await repository.member_by_loyalty_number(conn, number)
        return dataclasses.asdict(summary_from_row(await repository.summary(conn, found["id"])))


async def test_the_release_holds_job_writes_the_released_members_cards(pools, admin_conn, ignite):
    ledger = await Ledger.new(pools["points"])
    held, untouched = await ledger.member(), await ledger.member()
    for number in (held, untouched):
        await ledger.earn(number, "50", f"e-{number}")
    await ledger.hold(held, 20, "h1")
    async with cards.opened(addresses=ignite.address, deadline_seconds=2.0) as member:
        for number in (held, untouched):
            await _fill(member, ledger, number)
        before = await member_cards.load(member._cache, program_id=ledger.program_id, loyalty_number=held)
        assert (before["available"], before["on_hold"]) == (30, 20)
        await admin_conn.execute("UPDATE points.holds SET expires_at = now() - interval '1 second'"
                                 " WHERE program_id = $1", ledger.program_id)

        assert await jobs.run_release_holds(pools["points"], programs=[str(ledger.program_id)],
                                            member_cards=member) == 1

        after = await member_cards.load(member._cache, program_id=ledger.program_id, loyalty_number=held)
        assert after == await _truth(ledger, held) and (after["available"], after["on_hold"]) == (50, 0)
        # a member the job did not change keeps the card it had
        assert await member_cards.load(member._cache, program_id=ledger.program_id,
                                       loyalty_number=untouched) == await _truth(ledger, untouched)


async def test_without_ignite_the_jobs_run_on_postgresql_alone(pools, admin_conn):
    ledger = await Ledger.new(pools["points"])
    number = await ledger.member()
    await ledger.earn(number, "50", "e1")
    await ledger.hold(number, 20, "h1")
    await admin_conn.execute("UPDATE points.holds SET expires_at = now() - interval '1 second'"
                             " WHERE program_id = $1", ledger.program_id)
    async with cards.opened(addresses=None, deadline_seconds=0.5) as member:
        assert not member.enabled
        assert await jobs.run_release_holds(pools["points"], programs=[str(ledger.program_id)],
                                            member_cards=member) == 1
    assert (await _truth(ledger, number))["on_hold"] == 0
