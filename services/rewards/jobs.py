"""Batch jobs: `python -m services.rewards.jobs expire-claims [--program UUID]`.

Claims still held after their hold's time (no pickup) are released in the ledger (idempotent by
reference) and their stock and per-member allowance given back. Each claim ends in its own
transaction, so the job is safe to rerun and to kill.
"""

import argparse
import asyncio
import logging
import sys
import uuid

from services.common.db import create_pool, global_tx
from services.common.logs import configure_logging
from services.common.settings import load_settings
from services.rewards import redemption, repository
from services.rewards.otp import Clock, utc_now
from services.rewards.peers import Peers
from services.rewards.redemption import Ledger
from services.rewards.settings import RewardsSettings

log = logging.getLogger(__name__)


class JobSettings(RewardsSettings):
    grpc_port: int = 0


async def _programs(pool, only: list[str]) -> list[uuid.UUID]:
    if only:
        return [uuid.UUID(p) for p in only]
    async with global_tx(pool) as conn:
        return await repository.program_ids(conn)


async def run_expire_claims(pool, *, ledger: Ledger, now: Clock = utc_now, programs: list[str] = ()) -> int:
    total = 0
    for program_id in await _programs(pool, list(programs)):
        while ended := await redemption.expire_overdue(pool, program_id=program_id, ledger=ledger, now=now):
            log.info("expired claims", extra={"program_id": str(program_id), "claims": ended})
            total += ended
    return total


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.rewards.jobs")
    sub = parser.add_subparsers(dest="job", required=True)
    exp = sub.add_parser("expire-claims", help="end claims whose hold lapsed without pickup")
    exp.add_argument("--program", action="append", default=[], help="only this program id (repeatable)")
    args = parser.parse_args(argv)
    settings = load_settings(JobSettings)
    configure_logging(service="rewards-jobs", level=settings.log_level)
    pool = await create_pool(settings.database_url, schema="rewards", application="rewards-jobs", min_size=1,
                             max_size=2)
    peers = Peers(member_addr=settings.member_addr, points_addr=settings.points_addr, tier_addr=settings.tier_addr)
    try:
        if args.job == "expire-claims":
            print(f"expired {await run_expire_claims(pool, ledger=peers, programs=args.program)} claims")
    finally:
        await peers.close()
        await pool.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
