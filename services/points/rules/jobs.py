"""The rules' batch jobs: `python -m services.points.rules.jobs birthday [--date YYYY-MM-DD]` and
`... enroll` (also offered by `python -m services.points.jobs`, the module the chart's CronJobs run).

birthday: birthday points for today's birthdays, once a year per member (idempotent).
enroll: the welcome bonus for members who lack it (idempotent per member and rule).
"""

import datetime as dt
import logging
import sys

from services.common.db import tenant_tx
from services.common.jobs import JobContext, Jobs, arg, program_ids
from services.common.settings import ServiceSettings
from services.points.ledger import posting
from services.points.ledger import repository as ledger_repository
from services.points.rules import bonuses, repository
from services.points.rules.facts import RemoteFacts

log = logging.getLogger(__name__)


class RulesJobSettings(ServiceSettings):
    grpc_port: int = 0
    member_addr: str | None = None
    tier_addr: str | None = None


jobs = Jobs("points", settings=RulesJobSettings, schema="points", module="services.points.rules.jobs",
            description=__doc__)


async def run_birthdays(pool, facts: RemoteFacts, *, programs: list[str] = (), date: dt.date | None = None) -> int:
    granted = 0
    for program_id in await program_ids(pool, programs, ledger_repository.program_ids):
        grants = await bonuses.run_birthdays(pool, program_id=program_id, facts_source=facts, date=date)
        new = sum(1 for g in grants if not g.already_granted)
        if new:
            log.info("birthday points granted", extra={"program_id": str(program_id), "members": new})
        granted += new
    return granted


async def run_enroll(pool, facts: RemoteFacts, *, programs: list[str] = ()) -> int:
    granted = 0
    for program_id in await program_ids(pool, programs, ledger_repository.program_ids):
        async with tenant_tx(pool, program_id) as conn:
            numbers = await repository.member_numbers(conn, posting.SPENDING_STATUSES)
        for number in numbers:
            grants = await bonuses.apply_enroll_rules(pool, program_id=program_id, facts_source=facts,
                                                      loyalty_number=number)
            granted += sum(1 for g in grants if not g.already_granted)
    return granted


def _facts(settings: RulesJobSettings) -> RemoteFacts:
    return RemoteFacts(member_addr=settings.member_addr, tier_addr=settings.tier_addr, timeout=10)


@jobs.job("birthday", help="birthday points for today's birthdays, once a year per member", per_program=True,
          args=[arg("--date", help="YYYY-MM-DD (default: today in each program's zone)")])
async def birthday(ctx: JobContext) -> None:
    date = dt.date.fromisoformat(ctx.args.date) if ctx.args.date else None
    count = await run_birthdays(ctx.pool, _facts(ctx.settings), programs=ctx.args.program, date=date)
    print(f"granted birthday points to {count} members", flush=True)


@jobs.job("enroll", help="the welcome bonus for members who lack it", per_program=True)
async def enroll(ctx: JobContext) -> None:
    count = await run_enroll(ctx.pool, _facts(ctx.settings), programs=ctx.args.program)
    print(f"granted {count} welcome bonuses", flush=True)


if __name__ == "__main__":
    sys.exit(jobs.main())
