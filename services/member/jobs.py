"""Batch jobs: `python -m services.member.jobs <job>`.

refresh-segments  re-evaluate every rule segment of every program (idempotent: a rerun changes nothing)
resume-merges     finish merges a failure left pending (safe to run any time)
send-mail         send queued mail now (the service does this itself; for operators)
"""

import logging
import sys

from services.common import clients, outbox
from services.common.db import global_tx
from services.common.jobs import JobContext, Jobs
from services.common.mail import smtp_sender
from services.member import merge, merge_repository, segments, welcome
from services.member.peers import PointsLedger
from services.member.settings import MemberSettings

log = logging.getLogger("services.member.jobs")
jobs = Jobs("member", settings=MemberSettings, schema="member", pool_size=4, description=__doc__)


async def refresh_all_segments(pool) -> int:
    async with global_tx(pool) as conn:
        program_ids = await merge_repository.program_ids(conn)
    refreshed = 0
    for program_id in program_ids:
        rows = await segments.refresh_segments(pool, program_id=program_id)
        refreshed += sum(1 for r in rows if r["kind"] == "rule")
    return refreshed


@jobs.job("refresh-segments", help="re-evaluate every rule segment of every program")
async def refresh_segments(ctx: JobContext) -> None:
    log.info("refreshed %d rule segments", await refresh_all_segments(ctx.pool))


@jobs.job("resume-merges", help="finish merges a failure left pending")
async def resume_merges(ctx: JobContext) -> int:
    channel = clients.channel(ctx.settings.points_addr)
    try:
        done, failed = await merge.resume_all(ctx.pool, PointsLedger(channel))
    finally:
        await channel.close()
    log.info("merges completed: %d, still failing: %d", done, failed)
    return 1 if failed else 0


@jobs.job("send-mail", help="send queued mail now")
async def send_mail(ctx: JobContext) -> None:
    relay = welcome.MailRelay(ctx.pool, smtp_sender(ctx.settings))
    sent = 0
    while batch := await relay.send_batch():
        sent += batch
    log.info("mail attempted: %d", sent)


outbox.declare_prune(jobs)

if __name__ == "__main__":
    sys.exit(jobs.main())
