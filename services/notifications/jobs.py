"""Batch jobs: `python -m services.notifications.jobs prune [--keep-days N] [--program ID]`.

prune: deletes events (and what hangs off them) older than the retention, per program; a rerun
deletes nothing more, and a killed run resumes where the next one starts.

campaign-events (every few minutes): CAMPAIGN_STARTED / CAMPAIGN_ENDED once for each campaign window
that opened or closed (campaigns.py), from the points service's campaigns; reruns add nothing.

expiry-warnings (daily): queues each program's expiry warnings at its offsets (expiry_warnings.py);
the notifications service sends them. A rerun or a run after a killed one queues no warning twice.
"""

import datetime as dt
import sys

from services.common.jobs import JobContext, Jobs, arg
from services.common.settings import ServiceSettings
from services.notifications import campaigns, events, expiry_warnings, peers, repository


class JobSettings(ServiceSettings):
    grpc_port: int = 0  # jobs serve nothing
    points_addr: str | None = None  # expiry-warnings asks the points service what expires
    member_addr: str | None = None  # and the member service each program's time zone


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
    zones = {}
    if ctx.settings.member_addr:
        members = peers.Members(ctx.settings.member_addr)
        try:
            zones = {p: found["timezone"] for p, found in (await members.programs()).items()}
        finally:
            await members.close()
    try:
        for program_id in await ctx.programs(repository.known_programs):
            queued = await expiry_warnings.queue_program(ctx.pool, points=points, program_id=program_id,
                                                         program_zone=zones.get(program_id, ""))
            print(f"program {program_id}: {queued} warnings queued")
    finally:
        await points.close()
    return 0


@jobs.job("campaign-events", help="emit CAMPAIGN_STARTED/ENDED once for windows that opened or closed",
          per_program=True, args=[arg("--lookback-hours", type=int, default=48,
                                      help="edges older than this are history, not news (default 48)")])
async def campaign_events_job(ctx: JobContext) -> int:
    if not ctx.settings.points_addr:
        print("POINTS_ADDR is not set", file=sys.stderr)
        return 2
    source = peers.Campaigns(ctx.settings.points_addr)
    now = dt.datetime.now(dt.timezone.utc)
    try:
        for program_id in await ctx.programs(repository.known_programs):
            found = await source.of(program_id, principal="job:notifications.campaign-events")
            made = await campaigns.emit(ctx.pool, program_id=program_id, campaigns=found, now=now,
                                        lookback=dt.timedelta(hours=ctx.args.lookback_hours))
            print(f"program {program_id}: {made} campaign events")
    finally:
        await source.close()
    return 0


if __name__ == "__main__":
    sys.exit(jobs.main())
