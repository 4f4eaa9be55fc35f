"""The redemption report: claims and points burned per reward and period, and what is on hold now."""

import uuid

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import not_found
from services.rewards import commands, repository
from services.rewards.results import Report, ReportRow


async def build(pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.GetReport) -> Report:
    async with tenant_tx(pool, program_id) as conn:
        program = await repository.program(conn, program_id)
        if program is None:
            raise not_found("program", str(program_id))
        rows = await repository.report_rows(conn, start=command.start, end=command.end, period=command.period,
                                           timezone=program["timezone"])
        holds = await repository.open_holds(conn)
    return Report(
        rows=tuple(ReportRow(period=r["period"], reward_code=r["reward_code"], redemptions=r["redemptions"],
                             settled=r["settled"], points_burned=r["points_burned"]) for r in rows),
        total_redemptions=sum(r["redemptions"] for r in rows),
        total_points_burned=sum(r["points_burned"] for r in rows),
        open_holds=holds["claims"], open_hold_points=holds["points"],
    )
