"""Batch jobs: `python -m services.member.jobs <job>`.

refresh-segments  re-evaluate every rule segment of every program (idempotent: a rerun changes nothing)
resume-merges     finish merges a failure left pending (safe to run any time)
send-mail         send queued mail now (the service does this itself; for operators)
"""

import argparse
import asyncio
import logging
import sys

from loyalty.points.v1 import points_service_pb2_grpc
from services.common import clients
from services.common.db import create_pool, global_tx
from services.common.logs import configure_logging
from services.common.mail import smtp_sender
from services.common.settings import load_settings
from services.member import merge, merge_repository, segments, welcome
from services.member.settings import MemberSettings

log = logging.getLogger("services.member.jobs")
JOBS = ("refresh-segments", "resume-merges", "send-mail")


async def refresh_all_segments(pool) -> int:
    async with global_tx(pool) as conn:
        program_ids = await merge_repository.program_ids(conn)
    refreshed = 0
    for program_id in program_ids:
        rows = await segments.refresh_segments(pool, program_id=program_id)
        refreshed += sum(1 for r in rows if r["kind"] == "rule")
    return refreshed


async def run(job: str, settings: MemberSettings) -> int:
    pool = await create_pool(settings.database_url, schema="member", application=f"member-job-{job}",
                             min_size=1, max_size=4)
    try:
        if job == "refresh-segments":
            log.info("refreshed %d rule segments", await refresh_all_segments(pool))
        elif job == "resume-merges":
            channel = clients.channel(settings.points_addr)
            done, failed = await merge.resume_all(pool, points_service_pb2_grpc.PointsServiceStub(channel))
            await channel.close()
            log.info("merges completed: %d, still failing: %d", done, failed)
            return 1 if failed else 0
        elif job == "send-mail":
            relay = welcome.MailRelay(pool, smtp_sender(settings))
            sent = 0
            while batch := await relay.send_batch():
                sent += batch
            log.info("mail attempted: %d", sent)
    finally:
        await pool.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.member.jobs", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("job", choices=JOBS)
    args = parser.parse_args(argv)
    settings = load_settings(MemberSettings)
    configure_logging(service="member-jobs", level=settings.log_level)
    return asyncio.run(run(args.job, settings))


if __name__ == "__main__":
    sys.exit(main())
