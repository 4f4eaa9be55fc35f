"""Batch jobs: `python -m services.rewards.jobs expire-claims [--program UUID]`.

Claims still held after their hold's time (no pickup) are released in the ledger (idempotent by
reference) and their stock and per-member allowance given back; reservations whose claim attempt
died before the ledger answered (claiming.py) are given back and their hold, if any, released.
Each claim ends in its own transaction, so the job is safe to rerun and to kill.
"""

import logging
import sys

from services.common import outbox
from services.common.jobs import JobContext, Jobs, program_ids
from services.rewards import claiming, redemption, repository
from services.rewards.otp import Clock, utc_now
from services.rewards.peers import Peers
from services.rewards.redemption import Ledger
from services.rewards.settings import RewardsSettings

log = logging.getLogger(__name__)


class JobSettings(RewardsSettings):
    grpc_port: int = 0


jobs = Jobs("rewards", settings=JobSettings, schema="rewards", description=__doc__)


async def run_expire_claims(pool, *, ledger: Ledger, now: Clock = utc_now, programs: list[str] = ()) -> int:
    total = 0
    for program_id in await program_ids(pool, programs, repository.program_ids):
        while given_back := await claiming.give_back_stale_reservations(pool, program_id=program_id, ledger=ledger,
                                                                        now=now):
            log.info("gave back stale reservations", extra={"program_id": str(program_id), "claims": given_back})
            total += given_back
        while ended := await redemption.expire_overdue(pool, program_id=program_id, ledger=ledger, now=now):
            log.info("expired claims", extra={"program_id": str(program_id), "claims": ended})
            total += ended
    return total


@jobs.job("expire-claims", help="end claims whose hold lapsed without pickup", per_program=True)
async def expire_claims(ctx: JobContext) -> None:
    s = ctx.settings
    peers = Peers(member_addr=s.member_addr, points_addr=s.points_addr, tier_addr=s.tier_addr)
    try:
        print(f"expired {await run_expire_claims(ctx.pool, ledger=peers, programs=ctx.args.program)} claims")
    finally:
        await peers.close()


outbox.declare_prune(jobs)

if __name__ == "__main__":
    sys.exit(jobs.main())
