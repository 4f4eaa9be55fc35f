"""Billing batch jobs: `python -m services.billing.jobs close-period --period YYYY-MM [--program CODE]`.

close-period closes the period for every program (or one), freezing its statements and issuing
numbered invoices. Idempotent: a rerun finds the period closed and issues nothing; each program is
one transaction, so a killed run resumes where it stopped when started again.
"""

import argparse
import asyncio
import datetime as dt
import json
import logging
import sys

import asyncpg

from services.billing import invoicing, periods, repository
from services.common.db import create_pool, global_tx
from services.common.errors import DomainError
from services.common.logs import configure_logging
from services.common.settings import ServiceSettings, load_settings

log = logging.getLogger(__name__)


class JobSettings(ServiceSettings):
    grpc_port: int = 0


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


async def _main(args) -> int:
    settings = load_settings(JobSettings)
    configure_logging(service="billing-jobs", level=settings.log_level)
    pool = await create_pool(settings.database_url, schema="billing", application="billing-jobs", min_size=1,
                             max_size=2)
    try:
        results = await close_period(pool, period=args.period or previous_month(), program_code=args.program)
    finally:
        await pool.close()
    for result in results:
        print(json.dumps(result))
    return 1 if any("error" in r for r in results) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.billing.jobs")
    sub = parser.add_subparsers(dest="job", required=True)
    close = sub.add_parser("close-period", help="close a month and issue its invoices")
    close.add_argument("--period", help="YYYY-MM (default: last month)")
    close.add_argument("--program", help="one program's code (default: every program)")
    args = parser.parse_args(argv)
    return asyncio.run(_main(args))


if __name__ == "__main__":
    sys.exit(main())
