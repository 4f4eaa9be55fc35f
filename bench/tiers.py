"""Benchmark: the daily tier evaluation against one hand-written GROUP BY over the same window.

    .venv/bin/python bench/tiers.py [--quick] [--members N]

Starts its own PostgreSQL (Debian's server, a temporary cluster), migrates the tier schema, and
generates with set-based SQL a realistic history: 1,000,000 members (20,000 with --quick), each
with a heavy-tailed number of visits over the last year (most guests come a few times, a few
come weekly), points per visit from 100 to 3,000, and each member's tier as the job left it the
day before (tiers achieved over the last six months, so about 1/180 of them lapse each day;
some Superkings have since earned less, so a lapse is a downgrade for them).

Then, in one run, it times the floor (a single GROUP BY of the points earned per member over
the 6-month window, aggregated on the server) and the daily job for the next day (upgrades,
retention checks, downgrades and anniversaries with their history and outbox rows), and prints

    RATIO evaluate_vs_group_by <job seconds / GROUP BY seconds> target <= 2.0
"""

import argparse
import asyncio
import datetime as dt
import pathlib
import shutil
import sys
import tempfile
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "gen")]

from loyalty.tier.v1 import tier_service_pb2 as pb  # noqa: E402
from services.common.dev import localpg  # noqa: E402
from services.common.db import create_pool, tenant_tx  # noqa: E402
from services.common.dev.dbsetup import role_name, setup_database  # noqa: E402
from services.common.migrations import migrate  # noqa: E402
from services.tier import definitions, evaluation  # noqa: E402
from tests.fixtures.postgres import free_port  # noqa: E402

AS_OF = dt.date(2026, 6, 30)

SLAB = pb.Slab(
    code="status", name="Guest status", metric="points", window_length=6, window_unit="month",
    downgrade="one_level", tiers=[
        pb.Tier(code="KING", name="King"),
        pb.Tier(code="SUPERKING", name="Superking", threshold="15000", retention_threshold="12000", validity_months=6),
    ],
)


async def generate(pool, program_id: uuid.UUID, members: int) -> None:
    yesterday = AS_OF - dt.timedelta(days=1)
    async with tenant_tx(pool, program_id) as conn:
        await conn.execute(
            "INSERT INTO programs(id, code, currency, timezone) VALUES ($1, 'bench', 'EUR', 'Europe/Madrid')",
            program_id)
    await definitions.define(pool, program_id=program_id, slab=definitions.validate(SLAB))
    async with tenant_tx(pool, program_id) as conn:
        await conn.execute("SET LOCAL synchronous_commit = off")
        await conn.execute(
            "INSERT INTO members(program_id, member_id, loyalty_number, first_seen_at)"
            " SELECT $1, md5('m' || i)::uuid, (1000000000 + i)::text, $2::date - 400"
            " FROM generate_series(1, $3) i",
            program_id, AS_OF, members)
        # visits: heavy-tailed per member (exponential, mean ~8 a year, capped at 150)
        await conn.execute(
            """
            INSERT INTO activity(program_id, member_id, day, points, spend, transactions)
            SELECT $1, member_id, day, points, points / 10.0, 1 FROM (
                SELECT md5('m' || m)::uuid AS member_id, $2::date - (random() * 365)::int AS day,
                       100 + (random() * 2900)::int AS points
                FROM generate_series(1, $3) m,
                     LATERAL generate_series(1, least(150, (-ln(1 - random()) * 8)::int + (m % 1))) v
            ) visits
            ON CONFLICT DO NOTHING
            """,
            program_id, AS_OF, members)
        # each member's tier as yesterday's job left it; tiers achieved over the last 6 months, and
        # some Superkings (30% of those now between 8,000 and 15,000) have been earning less since
        await conn.execute(
            """
            INSERT INTO member_tiers(program_id, slab_code, member_id, level, achieved_on, lapse_on)
            SELECT $1, 'status', m.member_id, t.level, t.achieved, CASE WHEN t.level > 0 THEN (t.achieved + interval '6 months')::date END
            FROM members m
            LEFT JOIN (SELECT member_id, sum(points) AS v FROM activity
                       WHERE day > ($2::date - interval '6 months')::date AND day <= $2 GROUP BY member_id) w USING (member_id)
            CROSS JOIN LATERAL (SELECT CASE WHEN coalesce(w.v, 0) >= 15000 OR (w.v >= 8000 AND random() < 0.3)
                                            THEN 1 ELSE 0 END AS level,
                                       $2::date - (random() * 183)::int AS achieved) t
            ON CONFLICT (program_id, slab_code, member_id) DO UPDATE
                SET level = EXCLUDED.level, achieved_on = EXCLUDED.achieved_on, lapse_on = EXCLUDED.lapse_on
            """,
            program_id, yesterday)
    async with pool.acquire() as conn:
        for table in ("members", "activity", "member_tiers"):
            await conn.execute(f"VACUUM ANALYZE {table}")


GROUP_BY = """
SELECT count(*), sum(v) FROM (
    SELECT member_id, sum(points) AS v FROM activity
    WHERE program_id = $1 AND day > ($2::date - interval '6 months')::date AND day <= $2
    GROUP BY member_id
) per_member
"""


async def measure(pool, program_id: uuid.UUID) -> tuple[float, float, list]:
    async with tenant_tx(pool, program_id) as conn:
        await conn.fetchrow(GROUP_BY, program_id, AS_OF)  # warm the cache for both
        started = time.perf_counter()
        await conn.fetchrow(GROUP_BY, program_id, AS_OF)
        floor = time.perf_counter() - started
    started = time.perf_counter()
    results = await evaluation.evaluate_program(pool, program_id, as_of=AS_OF)
    job = time.perf_counter() - started
    return floor, job, results


async def run(port: int, members: int) -> None:
    await setup_database(localpg.admin_dsn(port), database=localpg.DB_NAME)
    dsn = f"postgresql://{role_name('tier')}@127.0.0.1:{port}/{localpg.DB_NAME}"
    pool = await create_pool(dsn, schema="tier", application="bench-tiers", min_size=1, max_size=4)
    try:
        await migrate(pool, schema="tier", directory=ROOT / "services" / "tier" / "migrations")
        program_id = uuid.uuid4()
        started = time.perf_counter()
        await generate(pool, program_id, members)
        async with tenant_tx(pool, program_id) as conn:
            rows = await conn.fetchval("SELECT count(*) FROM activity")
            tiers = await conn.fetch("SELECT level, count(*) FROM member_tiers GROUP BY level ORDER BY level")
            lapsing = await conn.fetchval("SELECT count(*) FROM member_tiers WHERE lapse_on <= $1", AS_OF)
        print(f"generated {members:,} members, {rows:,} activity rows in {time.perf_counter() - started:.1f}s;"
              f" tiers {[tuple(t) for t in tiers]}, {lapsing:,} lapsing on {AS_OF}", flush=True)
        floor, job, results = await measure(pool, program_id)
        r = results[0]
        print(f"group_by {floor:.3f}s  evaluate {job:.3f}s  (upgrades {r.upgrades}, downgrades {r.downgrades},"
              f" anniversaries {r.anniversaries})", flush=True)
        print(f"RATIO evaluate_vs_group_by {job / floor:.2f} target <= 2.0", flush=True)
    finally:
        await pool.close()


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench/tiers.py")
    parser.add_argument("--quick", action="store_true", help="20,000 members instead of 1,000,000")
    parser.add_argument("--members", type=int)
    args = parser.parse_args()
    members = args.members or (20_000 if args.quick else 1_000_000)
    data = pathlib.Path(tempfile.mkdtemp(prefix="loyalty-bench-tiers-"))
    data.chmod(0o755)
    port = free_port()
    localpg.init_cluster(data / "pg")
    proc = localpg.start_server(data / "pg", port)
    try:
        localpg.wait_ready(port, proc)
        asyncio.run(run(port, members))
    finally:
        localpg.stop_server(proc)
        shutil.rmtree(data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
