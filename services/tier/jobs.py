"""Batch jobs: `python -m services.tier.jobs evaluate [--as-of YYYY-MM-DD] [--program ID] [--force]`.

evaluate: downgrades and anniversaries for every program (each on its own local date unless
--as-of is given), set-based per slab; a rerun skips finished slabs, --force redoes them (and
changes nothing).
"""

import argparse
import asyncio
import json
import sys
import uuid

from services.common.db import create_pool
from services.common.errors import DomainError
from services.common.logs import configure_logging
from services.common.settings import ServiceSettings, load_settings
from services.tier import dates, evaluation


class JobSettings(ServiceSettings):
    grpc_port: int = 0  # jobs serve nothing


async def evaluate(args: argparse.Namespace) -> int:
    settings = load_settings(JobSettings)
    configure_logging(service="tier-jobs", level=settings.log_level)
    as_of = dates.parse_date(args.as_of, "--as-of") if args.as_of else None
    pool = await create_pool(settings.database_url, schema="tier", application="tier-jobs", min_size=1, max_size=2)
    try:
        if args.program:
            results = {uuid.UUID(args.program): await evaluation.evaluate_program(
                pool, uuid.UUID(args.program), as_of=as_of, force=args.force)}
        else:
            results = await evaluation.evaluate_all(pool, as_of=as_of, force=args.force)
    finally:
        await pool.close()
    for program_id, slabs in results.items():
        for r in slabs:
            print(json.dumps({"program_id": str(program_id), "slab": r.slab_code, "upgrades": r.upgrades,
                              "downgrades": r.downgrades, "anniversaries": r.anniversaries,
                              "skipped": r.skipped}), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.tier.jobs")
    sub = parser.add_subparsers(dest="job", required=True)
    ev = sub.add_parser("evaluate", help="downgrades and anniversaries for the day")
    ev.add_argument("--as-of", help="evaluation date YYYY-MM-DD (default: today in each program's zone)")
    ev.add_argument("--program", help="only this program id")
    ev.add_argument("--force", action="store_true", help="redo slabs already evaluated for the date")
    args = parser.parse_args(argv)
    try:
        return asyncio.run(evaluate(args))
    except DomainError as err:
        print(err.message, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
