"""Batch jobs: `python -m services.tier.jobs evaluate [--as-of YYYY-MM-DD] [--program ID] [--force]`.

evaluate: downgrades and anniversaries for every program (each on its own local date unless
--as-of is given), set-based per slab; a rerun skips finished slabs, --force redoes them (and
changes nothing).
"""

import json
import sys
import uuid

from services.common import outbox
from services.common.errors import DomainError
from services.common.jobs import JobContext, Jobs, arg
from services.common.settings import ServiceSettings
from services.tier import dates, evaluation


class JobSettings(ServiceSettings):
    grpc_port: int = 0  # jobs serve nothing


jobs = Jobs("tier", settings=JobSettings, schema="tier", description=__doc__)


@jobs.job("evaluate", help="downgrades and anniversaries for the day", args=[
    arg("--as-of", help="evaluation date YYYY-MM-DD (default: today in each program's zone)"),
    arg("--program", help="only this program id"),
    arg("--force", action="store_true", help="redo slabs already evaluated for the date")])
async def evaluate(ctx: JobContext) -> int:
    args, pool = ctx.args, ctx.pool
    try:
        as_of = dates.parse_date(args.as_of, "--as-of") if args.as_of else None
        if args.program:
            results = {uuid.UUID(args.program): await evaluation.evaluate_program(
                pool, uuid.UUID(args.program), as_of=as_of, force=args.force)}
        else:
            results = await evaluation.evaluate_all(pool, as_of=as_of, force=args.force)
    except DomainError as err:
        print(err.message, file=sys.stderr)
        return 2
    for program_id, slabs in results.items():
        for r in slabs:
            print(json.dumps({"program_id": str(program_id), "slab": r.slab_code, "upgrades": r.upgrades,
                              "downgrades": r.downgrades, "anniversaries": r.anniversaries,
                              "skipped": r.skipped}), flush=True)
    return 0


outbox.declare_prune(jobs)

if __name__ == "__main__":
    sys.exit(jobs.main())
