"""The redemption report: claims and points burned per reward and period, and what is on hold now."""

import uuid

import asyncpg

from loyalty.rewards.v1 import rewards_service_pb2 as pb
from services.common import validation
from services.common.db import tenant_tx
from services.common.errors import invalid, not_found
from services.rewards import repository

PERIODS = ("day", "week", "month")


async def build(pool: asyncpg.Pool, *, program_id: uuid.UUID, request: pb.GetReportRequest) -> pb.RewardsReport:
    start = validation.timestamp(getattr(request, "from"), "from")  # `from` is a Python keyword
    end = validation.timestamp(request.to, "to")
    if end <= start:
        raise invalid("to", "must be after from")
    period = request.period or "day"
    if period not in PERIODS:
        raise invalid("period", f"must be one of {', '.join(PERIODS)}")
    async with tenant_tx(pool, program_id) as conn:
        program = await repository.program(conn, program_id)
        if program is None:
            raise not_found("program", str(program_id))
        rows = await repository.report_rows(conn, start=start, end=end, period=period, timezone=program["timezone"])
        holds = await repository.open_holds(conn)
    return pb.RewardsReport(
        rows=[pb.ReportRow(period=r["period"], reward_code=r["reward_code"], redemptions=r["redemptions"],
                           settled=r["settled"], points_burned=r["points_burned"]) for r in rows],
        total_redemptions=sum(r["redemptions"] for r in rows),
        total_points_burned=sum(r["points_burned"] for r in rows),
        open_holds=holds["claims"], open_hold_points=holds["points"],
    )
