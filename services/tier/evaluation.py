"""The daily evaluation: downgrades, anniversaries (and any upgrade an event did not make).

One set-based statement per slab, each in its own transaction, recorded in evaluation_runs:
a rerun for the same date skips finished slabs (after a kill it resumes with the first
unfinished one), and a forced rerun changes nothing, because a member whose lapse date was
handled has a lapse date after the evaluation date.
"""

import dataclasses
import datetime as dt
import uuid

import asyncpg

from services.common.db import global_tx, tenant_tx
from services.common.errors import not_found
from services.tier import dates, definitions, repository


@dataclasses.dataclass(frozen=True)
class SlabResult:
    slab_code: str
    upgrades: int = 0
    downgrades: int = 0
    anniversaries: int = 0
    skipped: bool = False


async def evaluate_program(
    pool: asyncpg.Pool, program_id: uuid.UUID, *, as_of: dt.date | None = None, force: bool = False
) -> list[SlabResult]:
    async with tenant_tx(pool, program_id) as conn:
        program = await repository.program(conn, program_id)
        if program is None:
            raise not_found("program", str(program_id))
        slabs = await definitions.load_all(conn)
    day = as_of or dates.today(program["timezone"])
    results = []
    for slab in slabs:
        async with tenant_tx(pool, program_id) as conn:
            if not force and await repository.evaluated(conn, slab_code=slab.code, as_of=day):
                results.append(SlabResult(slab.code, skipped=True))
                continue
            frozen = await repository.frozen_on(conn, day)
            row = await repository.evaluate_slab(conn, program_id=program_id, slab=slab, as_of=day, frozen=frozen)
        results.append(SlabResult(slab.code, upgrades=row["upgrades"], downgrades=row["downgrades"],
                                  anniversaries=row["anniversaries"]))
    return results


async def evaluate_all(
    pool: asyncpg.Pool, *, as_of: dt.date | None = None, force: bool = False
) -> dict[uuid.UUID, list[SlabResult]]:
    """Every program, each on its own local date unless one is given."""
    async with global_tx(pool) as conn:
        program_ids = await repository.directory(conn)
    return {pid: await evaluate_program(pool, pid, as_of=as_of, force=force) for pid in program_ids}
