"""Benchmark: a month's partner statements vs one hand-written GROUP BY over the same lines.

    .venv/bin/python bench/billing.py [--quick] [--admin-dsn postgresql://...]

Starts its own PostgreSQL (or uses --admin-dsn), migrates the billing schema as the billing role,
generates 1,000 partners and 5,000,000 billing-ledger lines in one month with set-based SQL, then
times, in one run and on the same data:
  - statements: the real close of the month (services.billing.invoicing.close_period), which
    computes every partner's statement totals, freezes them and issues the numbered invoices;
  - group_by: one hand-written GROUP BY producing the same totals (the floor).
and prints `RATIO statement_vs_group_by <statements / group_by> target <= 2.0`.
"""

import argparse
import asyncio
import datetime as dt
import os
import pathlib
import shutil
import socket
import sys
import tempfile
import time
import urllib.parse
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "gen")]

from loyalty.common.v1 import program_pb2  # noqa: E402
from services.billing import invoicing, programs  # noqa: E402
from services.common.dev import localpg  # noqa: E402
from services.common.db import create_pool, tenant_tx  # noqa: E402
from services.common.dev.dbsetup import role_name, setup_database  # noqa: E402
from services.common.migrations import migrate  # noqa: E402

PERIOD = "2026-03"
MONTH = dt.date(2026, 3, 1)

# The floor: the same totals per partner, written by hand.
GROUP_BY = """
SELECT partner_code, currency,
       sum(points) FILTER (WHERE kind IN ('ISSUE', 'VOID_ISSUE')) AS issued_points,
       sum(value) FILTER (WHERE kind IN ('ISSUE', 'VOID_ISSUE')) AS issued_value,
       -sum(points) FILTER (WHERE kind IN ('REDEEM', 'VOID_REDEEM')) AS redeemed_points,
       -sum(value) FILTER (WHERE kind IN ('REDEEM', 'VOID_REDEEM')) AS redeemed_value,
       sum(points) FILTER (WHERE correction) AS correction_points,
       sum(value) FILTER (WHERE correction) AS correction_value,
       sum(value) AS net_value, sum(purchase_amount) AS purchase_amount, count(*) AS line_count
FROM billing_lines WHERE period = $1 GROUP BY partner_code, currency
"""

GENERATE_PARTNERS = """
INSERT INTO partners(program_id, id, code, name)
SELECT $1, gen_random_uuid(), 'P' || lpad(i::text, 4, '0'), 'Partner ' || i FROM generate_series(1, $2) i
"""

# Set-based: 5,000,000 lines of earns, burns and voids (some corrections of the month before).
GENERATE_LINES = """
INSERT INTO billing_lines(program_id, event_id, partner_code, period, reference_period, correction, kind,
                          transaction_id, member_id, points, purchase_amount, rate, value, currency, occurred_at)
SELECT $1, 'e' || i, 'P' || lpad((1 + (i / 10) % $2)::text, 4, '0'), $3::date,
       CASE WHEN i % 50 = 0 THEN ($3::date - interval '1 month')::date ELSE $3::date END,
       i % 50 = 0,
       k.kind, 't' || i, 'm' || (i % 100000), k.points, k.amount, k.rate, k.points * k.rate, 'EUR',
       $3::date + make_interval(secs => i % 2678400)
FROM generate_series($4::bigint, $5::bigint) i
CROSS JOIN LATERAL (SELECT CASE WHEN i % 10 < 6 THEN 'ISSUE' WHEN i % 10 < 9 THEN 'REDEEM'
                                WHEN i % 2 = 0 THEN 'VOID_ISSUE' ELSE 'VOID_REDEEM' END AS kind) kk
CROSS JOIN LATERAL (SELECT kk.kind,
       CASE kk.kind WHEN 'ISSUE' THEN 1 + i % 500 WHEN 'REDEEM' THEN -(1 + i % 300)
                    WHEN 'VOID_ISSUE' THEN -(1 + i % 200) ELSE 1 + i % 100 END::bigint AS points,
       CASE WHEN kk.kind = 'ISSUE' THEN (1 + i % 9999) / 100.0 ELSE 0 END::numeric(16, 4) AS amount,
       CASE WHEN kk.kind LIKE '%ISSUE' THEN 0.0100 + (i % 7) / 1000.0 ELSE 0.0080 END::numeric(18, 6) AS rate) k
"""


async def run(admin_dsn: str, *, partners: int, lines: int) -> None:
    await setup_database(admin_dsn, database="loyalty_bench")
    host = urllib.parse.urlsplit(admin_dsn).netloc.rpartition("@")[2]
    pool = await create_pool(f"postgresql://{role_name('billing')}@{host}/loyalty_bench", schema="billing",
                             application="bench-billing", min_size=1, max_size=2)
    try:
        await migrate(pool, schema="billing", directory=ROOT / "services" / "billing" / "migrations")
        program_id = uuid.uuid4()
        await programs.provision(pool, program_pb2.ProgramSpec(
            id=str(program_id), code=f"bench-{program_id.hex[:8]}", name="Bench", currency="EUR",
            timezone="Europe/Madrid"))
        started = time.perf_counter()
        async with tenant_tx(pool, program_id) as conn:
            await conn.execute(GENERATE_PARTNERS, program_id, partners)
        step = 500_000
        for start in range(0, lines, step):
            async with tenant_tx(pool, program_id) as conn:
                await conn.execute(GENERATE_LINES, program_id, partners, MONTH, start, min(start + step, lines) - 1)
        async with pool.acquire() as conn:
            await conn.execute("VACUUM ANALYZE billing_lines")
        print(f"generated {partners} partners, {lines:,} lines in {time.perf_counter() - started:.1f}s", flush=True)

        async def group_by() -> tuple[float, list]:
            async with tenant_tx(pool, program_id) as conn:
                t = time.perf_counter()
                rows = await conn.fetch(GROUP_BY, MONTH)
                return time.perf_counter() - t, rows

        await group_by()  # warm the cache for both contenders
        floor_before, expected = await group_by()
        t = time.perf_counter()
        _, closed_now, issued = await invoicing.close_period(pool, program_id, period=PERIOD)
        statements = time.perf_counter() - t
        floor_after, _ = await group_by()
        floor = (floor_before + floor_after) / 2

        assert closed_now and len(issued) == len(expected) == partners, (closed_now, len(issued), len(expected))
        by_partner = {r["partner_code"]: r for r in expected}
        for invoice in issued:  # the frozen statements equal the hand-written totals exactly
            want = by_partner[invoice["partner_code"]]
            for field in ("issued_points", "issued_value", "redeemed_points", "redeemed_value", "net_value",
                          "correction_points", "line_count"):
                assert invoice[field] == (want[field] or 0), (invoice["partner_code"], field, invoice[field], want[field])
        assert [i["sequence"] for i in issued] == list(range(1, partners + 1))
        print(f"statements (close: {partners} statements + invoices) {statements:.3f}s;"
              f" group_by {floor_before:.3f}s / {floor_after:.3f}s", flush=True)
        print(f"RATIO statement_vs_group_by {statements / floor:.2f} target <= 2.0", flush=True)
    finally:
        await pool.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 partners, 200,000 lines")
    parser.add_argument("--admin-dsn", help="an existing server's superuser DSN (default: start one)")
    args = parser.parse_args()
    partners, lines = (100, 200_000) if args.quick else (1_000, 5_000_000)
    if args.admin_dsn:
        asyncio.run(run(args.admin_dsn, partners=partners, lines=lines))
        return 0
    os.environ.setdefault("LOYALTY_PG_FAST", "1")
    data = pathlib.Path(tempfile.mkdtemp(prefix="loyalty-bench-pg-"))
    data.chmod(0o755)
    port = free_port()
    localpg.init_cluster(data / "pg")
    proc = localpg.start_server(data / "pg", port)
    try:
        localpg.wait_ready(port, proc)
        asyncio.run(run(localpg.admin_dsn(port), partners=partners, lines=lines))
    finally:
        localpg.stop_server(proc)
        shutil.rmtree(data, ignore_errors=True)
    return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())
