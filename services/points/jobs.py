"""Batch jobs: `python -m services.points.jobs expire [--now RFC3339] [--program UUID]`
and `python -m services.points.jobs release-holds`.

Each loops over programs, setting app.program_id for each (row-level security stays on), and
works in set-based batches that each commit: idempotent (a rerun changes nothing) and resumable.
"""

import argparse
import asyncio
import datetime as dt
import logging
import sys
import uuid

from services.common.db import create_pool, global_tx
from services.common.logs import configure_logging
from services.common.settings import ServiceSettings, load_settings
from services.points import expiry, repository

log = logging.getLogger(__name__)


class JobSettings(ServiceSettings):
    grpc_port: int = 0


async def _programs(pool, only: list[str]) -> list[uuid.UUID]:
    if only:
        return [uuid.UUID(p) for p in only]
    async with global_tx(pool) as conn:
        return await repository.program_ids(conn)


async def run_expire(pool, *, now: dt.datetime, programs: list[str] = (), batch_members: int = 20000) -> int:
    total = 0
    for program_id in await _programs(pool, list(programs)):
        lots = await expiry.expire_program(pool, program_id, now=now, batch_members=batch_members)
        if lots:
            log.info("expired lots", extra={"program_id": str(program_id), "lots": lots})
        total += lots
    return total


async def run_release_holds(pool, *, programs: list[str] = ()) -> int:
    total = 0
    for program_id in await _programs(pool, list(programs)):
        total += await expiry.release_expired_holds(pool, program_id)
    return total


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.points.jobs")
    sub = parser.add_subparsers(dest="job", required=True)
    exp = sub.add_parser("expire", help="expire the unspent remainder of lots past their date")
    exp.add_argument("--now", help="RFC 3339 instant to expire as of (default: now)")
    exp.add_argument("--program", action="append", default=[], help="only this program id (repeatable)")
    exp.add_argument("--batch-members", type=int, default=20000)
    rel = sub.add_parser("release-holds", help="release holds past their timeout")
    rel.add_argument("--program", action="append", default=[])
    args = parser.parse_args(argv)
    settings = load_settings(JobSettings)
    configure_logging(service="points-jobs", level=settings.log_level)
    pool = await create_pool(settings.database_url, schema="points", application=f"points-{args.job}",
                             min_size=1, max_size=2)
    try:
        if args.job == "expire":
            now = dt.datetime.fromisoformat(args.now) if args.now else dt.datetime.now(dt.timezone.utc)
            count = await run_expire(pool, now=now, programs=args.program, batch_members=args.batch_members)
            print(f"expired {count} lots", flush=True)
        else:
            count = await run_release_holds(pool, programs=args.program)
            print(f"released holds of {count} members", flush=True)
    finally:
        await pool.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
