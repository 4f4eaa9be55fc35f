"""Batch jobs: `python -m services.notifications.jobs prune [--keep-days N] [--program ID]`.

prune: deletes events (and what hangs off them) older than the retention, per program; a rerun
deletes nothing more, and a killed run resumes where the next one starts.

expiry-warnings (daily): queues each program's expiry warnings at its offsets (expiry_warnings.py);
the notifications service sends them. A rerun or a run after a killed one queues no warning twice.
"""

import datetime as dt
import sys

from services.common.jobs import JobContext, Jobs, arg
from services.common.settings import ServiceSettings
from services.notifications import events, expiry_warnings, peers, repository


class JobSettings(ServiceSettings):
    grpc_port: int = 0  # jobs serve nothing
    points_addr: str | None = None  # expiry-warnings asks the points service what expires


jobs = Jobs("notifications", settings=JobSettings, schema="notifications", description=__doc__)


@jobs.job("prune", help="delete events older than the retention", per_program=True, args=[
    arg("--keep-days", type=int, default=90, help="days of events kept (default 90)")])
async def prune(ctx: JobContext) -> int:
    if ctx.args.keep_days < 1:
        print("--keep-days must be at least 1", file=sys.stderr)
        return 2
    before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=ctx.args.keep_days)
    for program_id in await ctx.programs(repository.known_programs):
        deleted = await events.prune(ctx.pool, program_id=program_id, before=before)
        print(f"program {program_id}: {deleted} events deleted")
    return 0


@jobs.job("expiry-warnings", help="queue the members' expiry warnings at each program's offsets", per_program=True)
async def expiry_warnings_job(ctx: JobContext) -> int:
    if not ctx.settings.points_addr:
        print("POINTS_ADDR is not set", file=sys.stderr)
        return 2
    points = peers.Points(ctx.settings.points_addr)
    try:
        for program_id in await ctx.programs(repository.known_programs):
            queued = await expiry_warnings.queue_program(ctx.pool, points=points, program_id=program_id)
            print(f"program {program_id}: {queued} warnings queued")
    finally:
        await points.close()
    return 0


if __name__ == "__main__":
    sys.exit(jobs.main())
