"""Batch jobs: `python -m services.points.jobs expire [--now RFC3339] [--program UUID]`,
`python -m services.points.jobs release-holds`, and the rules' jobs (birthday, enroll; also
`python -m services.points.rules.jobs`).

Each loops over programs, setting app.program_id for each (row-level security stays on), and
works in set-based batches that each commit: idempotent (a rerun changes nothing) and resumable.
"""

import datetime as dt
import logging
import sys

from services.common import outbox
from services.common.jobs import JobContext, Jobs, arg, program_ids
from services.common.settings import ServiceSettings
from services.points.ledger import cards, events, expiry, repository
from services.points.rules import jobs as rules_jobs

log = logging.getLogger(__name__)


class JobSettings(ServiceSettings):
    grpc_port: int = 0


jobs = Jobs("points", settings=JobSettings, schema="points", description=__doc__)


async def run_expire(pool, *, now: dt.datetime, programs: list[str] = (), batch_members: int = 20000) -> int:
    total = 0
    for program_id in await program_ids(pool, programs, repository.program_ids):
        lots = await expiry.expire_program(pool, program_id, now=now, batch_members=batch_members)
        if lots:
            log.info("expired lots", extra={"program_id": str(program_id), "lots": lots})
        total += lots
    return total


async def run_release_holds(pool, *, programs: list[str] = (), member_cards: cards.MemberCards | None = None) -> int:
    total = 0
    for program_id in await program_ids(pool, programs, repository.program_ids):
        total += await expiry.release_expired_holds(pool, program_id, cards=member_cards)
    return total


@jobs.job("expire", help="expire the unspent remainder of lots past their date", per_program=True, args=[
    arg("--now", help="RFC 3339 instant to expire as of (default: now)"),
    arg("--batch-members", type=int, default=20000)])
async def expire(ctx: JobContext) -> None:
    now = dt.datetime.fromisoformat(ctx.args.now) if ctx.args.now else dt.datetime.now(dt.timezone.utc)
    count = await run_expire(ctx.pool, now=now, programs=ctx.args.program, batch_members=ctx.args.batch_members)
    print(f"expired {count} lots", flush=True)


@jobs.job("release-holds", help="release holds past their timeout", per_program=True)
async def release_holds(ctx: JobContext) -> None:
    async with cards.opened(addresses=ctx.settings.ignite_addresses,
                            deadline_seconds=ctx.settings.cache_deadline_seconds) as member_cards:
        count = await run_release_holds(ctx.pool, programs=ctx.args.program, member_cards=member_cards)
    print(f"released holds of {count} members", flush=True)


jobs.include(rules_jobs.jobs)
outbox.declare_prune(jobs, dependents=[events.PRUNED_DELIVERIES])

if __name__ == "__main__":
    sys.exit(jobs.main())
