"""The rules' batch jobs: `python -m services.points.rules.jobs birthday [--date YYYY-MM-DD]` and
`... enroll` (also offered by `python -m services.points.jobs`, the module the chart's CronJobs run).

birthday: birthday points for today's birthdays, once a year per member (idempotent).
enroll: the welcome bonus for members who lack it (idempotent per member and rule).
"""

import datetime as dt
import logging
import sys
from collections.abc import Awaitable
from typing import TypeVar

from services.common.db import tenant_tx
from services.common.jobs import JobContext, Jobs, arg, program_ids
from services.common.settings import ServiceSettings
from services.points.ledger import cards, posting
from services.points.ledger import repository as ledger_repository
from services.points.rules import bonuses, repository
from services.points.rules.facts import RemoteFacts

log = logging.getLogger(__name__)
T = TypeVar("T")


class RulesJobSettings(ServiceSettings):
    grpc_port: int = 0
    member_addr: str | None = None
    tier_addr: str | None = None


jobs = Jobs("points", settings=RulesJobSettings, schema="points", module="services.points.rules.jobs",
            description=__doc__)


async def run_birthdays(pool, facts: RemoteFacts, *, programs: list[str] = (), date: dt.date | None = None,
                        member_cards: cards.MemberCards | None = None) -> int:
    granted = 0
    for program_id in await program_ids(pool, programs, ledger_repository.program_ids):
        grants = await _posted(member_cards, program_id, bonuses.run_birthdays(
            pool, program_id=program_id, facts_source=facts, date=date))
        new = sum(1 for g in grants if not g.already_granted)
        if new:
            log.info("birthday points granted", extra={"program_id": str(program_id), "members": new})
        granted += new
    return granted


async def run_enroll(pool, facts: RemoteFacts, *, programs: list[str] = (),
                     member_cards: cards.MemberCards | None = None) -> int:
    granted = 0
    for program_id in await program_ids(pool, programs, ledger_repository.program_ids):
        async with tenant_tx(pool, program_id) as conn:
            numbers = await repository.member_numbers(conn, posting.SPENDING_STATUSES)
        for number in numbers:
            grants = await _posted(member_cards, program_id, bonuses.apply_enroll_rules(
                pool, program_id=program_id, facts_source=facts, loyalty_number=number))
            granted += sum(1 for g in grants if not g.already_granted)
    return granted


async def _posted(member_cards: cards.MemberCards | None, program_id, operation: Awaitable[T]) -> T:
    """The job's postings, their members' cards written through after they commit (as the API's)."""
    if member_cards is None:
        return await operation
    return await member_cards.posted(program_id=program_id, operation=operation)


def _cards(settings: RulesJobSettings):
    return cards.opened(addresses=settings.ignite_addresses, deadline_seconds=settings.cache_deadline_seconds)


def _facts(settings: RulesJobSettings) -> RemoteFacts:
    return RemoteFacts(member_addr=settings.member_addr, tier_addr=settings.tier_addr, timeout=10)


@jobs.job("birthday", help="birthday points for today's birthdays, once a year per member", per_program=True,
          args=[arg("--date", help="YYYY-MM-DD (default: today in each program's zone)")])
async def birthday(ctx: JobContext) -> None:
    date = dt.date.fromisoformat(ctx.args.date) if ctx.args.date else None
    async with _cards(ctx.settings) as member_cards:
        count = await run_birthdays(ctx.pool, _facts(ctx.settings), programs=ctx.args.program, date=date,
                                    member_cards=member_cards)
    print(f"granted birthday points to {count} members", flush=True)


@jobs.job("enroll", help="the welcome bonus for members who lack it", per_program=True)
async def enroll(ctx: JobContext) -> None:
    async with _cards(ctx.settings) as member_cards:
        count = await run_enroll(ctx.pool, _facts(ctx.settings), programs=ctx.args.program,
                                 member_cards=member_cards)
    print(f"granted {count} welcome bonuses", flush=True)


if __name__ == "__main__":
    sys.exit(jobs.main())
