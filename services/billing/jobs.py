"""Billing batch jobs: `python -m services.billing.jobs close-period --period YYYY-MM [--program CODE]`.

close-period closes the period for every program (or one), freezing its statements and issuing
numbered invoices. Idempotent: a rerun finds the period closed and issues nothing; each program is
one transaction, so a killed run resumes where it stopped when started again.
"""

import datetime as dt
import json
import logging
import sys

import asyncpg

from services.billing import invoicing, periods, repository
from services.common.db import global_tx
from services.common.errors import DomainError
from services.common.jobs import JobContext, Jobs, arg
from services.common.settings import ServiceSettings

log = logging.getLogger(__name__)


class JobSettings(ServiceSettings):
    grpc_port: int = 0


jobs = Jobs("billing", settings=JobSettings, schema="billing", description=__doc__)


def previous_month(today: dt.date | None = None) -> str:
    first = (today or dt.date.today()).replace(day=1)
    return periods.fmt((first - dt.timedelta(days=1)).replace(day=1))


async def close_period(pool: asyncpg.Pool, *, period: str, program_code: str | None = None) -> list[dict]:
    periods.parse(period)
    async with global_tx(pool) as conn:
        targets = await repository.directory(conn, program_code)
    results = []
    for program in targets:
        try:
            _, closed_now, issued = await invoicing.close_period(pool, program["id"], period=period)
        except DomainError as err:
            results.append({"program": program["code"], "error": err.message})
            continue
        results.append({"program": program["code"], "closed_now": closed_now,
                        "invoices": [i["number"] for i in issued]})
    return results


@jobs.job("close-period", help="close a month and issue its invoices", args=[
    arg("--period", help="YYYY-MM (default: last month)"),
    arg("--program", help="one program's code (default: every program)")])
async def close(ctx: JobContext) -> int:
    results = await close_period(ctx.pool, period=ctx.args.period or previous_month(), program_code=ctx.args.program)
    for result in results:
        print(json.dumps(result))
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(jobs.main())
