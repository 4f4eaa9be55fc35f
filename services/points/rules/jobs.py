"""Rules batch jobs: `python -m services.points.rules.jobs birthday [--date YYYY-MM-DD] [--program UUID]`
and `python -m services.points.rules.jobs enroll [--program UUID]`.

birthday: birthday points (enroll rules with event "birthday") for members born on the program's
local date, asked of the member service (ProgramConfigService.ListBirthdays, needs MEMBER_ADDR).
enroll: the welcome bonus (enroll rules with event "enrolment") for active members who lack it.
Both are idempotent (each grant's reference is taken once: once a year for birthdays, once ever
for the welcome bonus) and resumable (one member per transaction).
"""

import argparse
import asyncio
import datetime as dt
import logging
import sys
import uuid

from services.common.db import create_pool, global_tx, tenant_tx
from services.common.logs import configure_logging
from services.common.settings import ServiceSettings, load_settings
from services.points import ledger
from services.points import repository as ledger_repository
from services.points.rules import bonuses, repository
from services.points.rules.facts import RemoteFacts

log = logging.getLogger(__name__)


class RulesJobSettings(ServiceSettings):
    grpc_port: int = 0
    member_addr: str | None = None
    tier_addr: str | None = None


async def _programs(pool, only: list[str]) -> list[uuid.UUID]:
    if only:
        return [uuid.UUID(p) for p in only]
    async with global_tx(pool) as conn:
        return await ledger_repository.program_ids(conn)


async def run_birthdays(pool, facts: RemoteFacts, *, programs: list[str] = (), date: dt.date | None = None) -> int:
    granted = 0
    for program_id in await _programs(pool, list(programs)):
        grants = await bonuses.run_birthdays(pool, program_id=program_id, config_stub=facts.config, date=date)
        new = sum(1 for g in grants if not g.already_granted)
        if new:
            log.info("birthday points granted", extra={"program_id": str(program_id), "members": new})
        granted += new
    return granted


async def run_enroll(pool, facts: RemoteFacts, *, programs: list[str] = ()) -> int:
    granted = 0
    for program_id in await _programs(pool, list(programs)):
        async with tenant_tx(pool, program_id) as conn:
            numbers = await repository.member_numbers(conn, ledger.SPENDING_STATUSES)
        for number in numbers:
            grants = await bonuses.apply_enroll_rules(pool, program_id=program_id, facts_source=facts,
                                                      loyalty_number=number)
            granted += sum(1 for g in grants if not g.already_granted)
    return granted


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.points.rules.jobs")
    sub = parser.add_subparsers(dest="job", required=True)
    birthday = sub.add_parser("birthday", help="birthday points for today's birthdays, once a year per member")
    birthday.add_argument("--date", help="YYYY-MM-DD (default: today in each program's zone)")
    birthday.add_argument("--program", action="append", default=[])
    enroll = sub.add_parser("enroll", help="the welcome bonus for members who lack it")
    enroll.add_argument("--program", action="append", default=[])
    args = parser.parse_args(argv)
    settings = load_settings(RulesJobSettings)
    configure_logging(service="points-rules-jobs", level=settings.log_level)
    pool = await create_pool(settings.database_url, schema="points", application=f"points-rules-{args.job}",
                             min_size=1, max_size=2)
    facts = RemoteFacts(member_addr=settings.member_addr, tier_addr=settings.tier_addr, timeout=10)
    try:
        if args.job == "birthday":
            date = dt.date.fromisoformat(args.date) if args.date else None
            count = await run_birthdays(pool, facts, programs=args.program, date=date)
            print(f"granted birthday points to {count} members", flush=True)
        else:
            count = await run_enroll(pool, facts, programs=args.program)
            print(f"granted {count} welcome bonuses", flush=True)
    finally:
        await pool.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
