"""Legacy import throughput against plain COPY of the same files, and reconcile against import.

    .venv/bin/python bench/migration.py            # 1,000,000 members, 10,000,000 transactions
    .venv/bin/python bench/migration.py --quick    # 5,000 members, under a minute

Prints:
    RATIO import_vs_ledger_ceiling <v> target >= 0.6   seconds to write only the ledger rows the import
                                                   made (transactions, entries, lots, lot movements)
                                                   into copies of the ledger tables with their indexes,
                                                   divided by seconds of `loyalty-import run`
    RATIO import_vs_copy <v> target >= 0.2        rows/s of `loyalty-import run` (parse, validate,
                                                   members, ledger, lots, balances, indexes) divided
                                                   by rows/s of plain COPY into unindexed tables
    RATIO reconcile_vs_import <v> target <= 0.2   time of `reconcile` divided by time of `run`
All sides run in the same process tree on the same PostgreSQL, one after the other.
`--profile-ms N` logs every statement slower than N ms during the import and prints the slowest
kinds of statement by total time (to find where the import's time goes); `--explain-ms N` writes the
plans (EXPLAIN ANALYZE, BUFFERS, through auto_explain) of the import's statements slower than N ms to
`--plans FILE`. The load average is printed beside each measured side: on a shared machine it moves
the seconds more than most changes do.
"""

import argparse
import asyncio
import collections
import datetime as dt
import json
import os
import re
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

import _common  # noqa: F401 - puts the checkout on the path
import asyncpg
import httpx

from loyalty.tier.v1 import tier_service_pb2 as tier_pb
from loyalty.tier.v1 import tier_service_pb2_grpc as tier_grpc
from services.common import clients
from services.importer.tests.legacy_dump import write_dump
from tests.fixtures.platform import ADMIN_TOKEN

ROOT = pathlib.Path(__file__).resolve().parents[1]


def gql(url: str, query: str, **variables) -> dict:
    reply = httpx.post(f"{url}/graphql", json={"query": query, "variables": variables},
                       headers={"authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=60).json()
    assert not reply.get("errors"), reply
    return reply["data"]


async def plain_copy(dsn: str, dump: pathlib.Path) -> tuple[float, int]:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DROP SCHEMA IF EXISTS bench_copy CASCADE; CREATE SCHEMA bench_copy")
        await conn.execute(
            "CREATE TABLE bench_copy.members (legacy_id text, email text, first_name text, last_name text, phone text,"
            " birth_date text, enrolled_at text, status text);"
            "CREATE TABLE bench_copy.balances (legacy_id text, points_balance text, tier_code text, tier_achieved_at text);"
            "CREATE TABLE bench_copy.transactions (legacy_txn_id text, legacy_id text, occurred_at text, kind text,"
            " points text, channel text, reference text)")
        rows = 0
        start = time.perf_counter()
        for table in ("members", "balances", "transactions"):
            status = await conn.copy_to_table(table, schema_name="bench_copy", source=dump / f"{table}.csv",
                                              format="csv", header=True)
            rows += int(status.split()[-1])
        elapsed = time.perf_counter() - start
        await conn.execute("DROP SCHEMA bench_copy CASCADE")
        return elapsed, rows
    finally:
        await conn.close()


async def ledger_write_floor(dsn: str, program_id: str) -> tuple[float, int]:
    """Seconds to write just the ledger rows the import made into copies of the ledger tables with
    the same indexes (no foreign keys, triggers, row security or computing): no import that has to
    write those rows can be faster, so copy_seconds / this bounds import_vs_copy from above."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DROP SCHEMA IF EXISTS bench_floor CASCADE; CREATE SCHEMA bench_floor")
        tables = ("transactions", "entries", "lots", "lot_movements")
        for table in tables:
            await conn.execute(f"CREATE TABLE bench_floor.{table} (LIKE points.{table} INCLUDING ALL)")
            await conn.execute(f"CREATE TEMP TABLE src_{table} AS SELECT * FROM points.{table} WHERE program_id = $1",
                               uuid.UUID(program_id))
        rows, start = 0, time.perf_counter()
        for table in tables:
            status = await conn.execute(f"INSERT INTO bench_floor.{table} SELECT * FROM src_{table}")
            rows += int(status.split()[-1])
        elapsed = time.perf_counter() - start
        await conn.execute("DROP SCHEMA bench_floor CASCADE")
        return elapsed, rows
    finally:
        await conn.close()


async def configure(dsn: str, settings: list[str]) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for setting in settings:
            name, _, value = setting.partition("=")
            if not re.fullmatch(r"[a-z_]+", name) or not value:
                raise SystemExit(f"--pg-setting {setting!r}: expected name=value")
            await conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
        await conn.execute("SELECT pg_reload_conf()")
        await asyncio.sleep(0.5)
        for setting in settings:
            name, _, value = setting.partition("=")
            print(f"{name} = {await conn.fetchval(f'SHOW {name}')}", file=sys.stderr)
    finally:
        await conn.close()


async def define_tiers(tier_port: int, program_id: str) -> None:
    channel = clients.channel(f"127.0.0.1:{tier_port}")
    try:
        await clients.call(tier_grpc.TierServiceStub(channel).DefineSlab(tier_pb.DefineSlabRequest(slab=tier_pb.Slab(
            code="status", name="Status", metric="points", window_length=6, window_unit="month",
            downgrade="one_level", close_to_upgrade_percent=90,
            tiers=[tier_pb.Tier(code="KING", name="King"),
                   tier_pb.Tier(code="SUPERKING", name="Superking", threshold="15000", validity_months=6)])),
            metadata=clients.metadata(program_id=program_id, principal="bench"), timeout=30))
    finally:
        await channel.close()


def timed(cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[2:4])} failed:\n{result.stdout}\n{result.stderr}")
    print(result.stderr.strip(), file=sys.stderr)
    print(result.stdout.strip(), file=sys.stderr)  # reconcile's summary: members imported, balances matching
    return elapsed


async def explain_slow_statements(dsn: str, ms: int | None) -> None:
    """auto_explain in every new session (set before the platform starts, so the services' pools load it),
    logging plans with their actual rows, times and buffers for statements slower than `ms` (None: off)."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("LOAD 'auto_explain'")  # its settings are known to ALTER SYSTEM once loaded
        if ms is not None:
            await conn.execute("ALTER SYSTEM SET session_preload_libraries = 'auto_explain'")
            await conn.execute("ALTER SYSTEM SET log_autovacuum_min_duration = 0")  # when statistics change
            for name, value in (("log_analyze", "on"), ("log_buffers", "on"), ("log_timing", "on"),
                                ("log_nested_statements", "off")):
                await conn.execute(f"ALTER SYSTEM SET auto_explain.{name} = {value}")
        await conn.execute(f"ALTER SYSTEM SET auto_explain.log_min_duration = {-1 if ms is None else int(ms)}")
        await conn.execute("SELECT pg_reload_conf()")
    finally:
        await conn.close()


def load_average() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


async def log_slow_statements(dsn: str, ms: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"ALTER SYSTEM SET log_min_duration_statement = {int(ms)}")
        await conn.execute("SELECT pg_reload_conf()")
    finally:
        await conn.close()


def slowest_statements(log: pathlib.Path, top: int = 15) -> list[str]:
    """Total milliseconds per kind of statement (its first 90 characters, whitespace folded)."""
    totals: collections.Counter = collections.Counter()
    counts: collections.Counter = collections.Counter()
    text = log.read_text(errors="replace")
    for m in re.finditer(r"duration: ([0-9.]+) ms\s+(?:statement|execute [^:]*): (.*?)(?=\n\S*\d{4}-\d\d-\d\d |\Z)",
                         text, re.S):
        key = " ".join(m.group(2).split())[:90]
        totals[key] += float(m.group(1))
        counts[key] += 1
    return [f"{ms / 1000:9.1f}s {counts[k]:6d}x  {k}" for k, ms in totals.most_common(top)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--members", type=int)
    parser.add_argument("--transactions-per-member", type=int, default=10)
    parser.add_argument("--profile-ms", type=int, help="log statements slower than this during the import")
    parser.add_argument("--explain-ms", type=int, help="write plans of the import's statements slower than this")
    parser.add_argument("--dump", type=pathlib.Path,
                        help="a folder to keep the generated dump in and reuse when it is there (same size)")
    parser.add_argument("--plans", type=pathlib.Path, default=pathlib.Path("migration-plans.log"),
                        help="where --explain-ms writes the plans")
    parser.add_argument("--pg-setting", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting of the cluster that can change without a restart (ALTER SYSTEM), for"
                             " every side of the run; repeatable")
    args = parser.parse_args()
    members = args.members or (5_000 if args.quick else 1_000_000)
    with tempfile.TemporaryDirectory(prefix="loyalty-bench-dump-") as tmp, _common.local_postgres() as database:
        dump = pathlib.Path(tmp) / "dump"
        start = time.perf_counter()
        kept = args.dump and (args.dump / "transactions.csv").is_file()
        if not kept:
            write_dump(args.dump or dump, members=members, transactions_per_member=args.transactions_per_member,
                       now=dt.datetime.now(dt.timezone.utc), plant_errors=False)
            print(f"generated {members:,} members in {time.perf_counter() - start:.1f}s", file=sys.stderr)
        if args.dump:  # a copy: the run writes its reports into the dump's folder
            shutil.copytree(args.dump, dump)
        asyncio.run(configure(database.admin_dsn, args.pg_setting))
        copy_seconds, rows = asyncio.run(plain_copy(database.admin_dsn, dump))
        print(f"plain COPY: {rows:,} rows in {copy_seconds:.2f}s ({load_average()})", file=sys.stderr)
        if args.explain_ms is not None:
            asyncio.run(explain_slow_statements(database.admin_dsn, args.explain_ms))
        with _common.platform(database) as (url, ports, _):
            program = gql(url, 'mutation { createProgram(input: {code: "bench", name: "Bench", currency: "EUR",'
                               ' timezone: "Europe/Madrid", expiryDays: 180, expiryRoundToMonthEnd: true})'
                               ' { program { id } } }')["createProgram"]["program"]["id"]
            asyncio.run(define_tiers(ports["tier"], program))
            env = dict(os.environ, IMPORT_DATABASE_URL=database.tool_dsn("staging"),
                       MEMBER_ADDR=f"127.0.0.1:{ports['member']}", POINTS_ADDR=f"127.0.0.1:{ports['points']}",
                       TIER_ADDR=f"127.0.0.1:{ports['tier']}")
            cli = [sys.executable, "-m", "services.importer.cli"]
            if args.profile_ms is not None:
                asyncio.run(log_slow_statements(database.admin_dsn, args.profile_ms))
            print(f"import starts ({load_average()})", file=sys.stderr)
            import_seconds = timed([*cli, "run", str(dump), "--program", "bench"], env)
            import_load = load_average()
            if args.explain_ms is not None:
                asyncio.run(explain_slow_statements(database.admin_dsn, None))
                log = (database.data / "pg" / "server.log").read_text(errors="replace")
                args.plans.write_text("".join(m.group(0) for m in re.finditer(
                    r"^[^\n]*(?:duration: [0-9.]+ ms\s+plan:|automatic (?:vacuum|analyze) of table).*?"
                    r"(?=^\S*\d{4}-\d\d-\d\d |\Z)", log, re.S | re.M)))
                print(f"plans of the statements over {args.explain_ms} ms: {args.plans}", file=sys.stderr)
            if args.profile_ms is not None:
                asyncio.run(log_slow_statements(database.admin_dsn, -1))
                print("slowest statements during the import (total, count, statement):", file=sys.stderr)
                for line in slowest_statements(database.data / "pg" / "server.log"):
                    print(f"  {line}", file=sys.stderr)
            status = subprocess.run([*cli, "status", "--program", "bench"], cwd=ROOT, env=env, capture_output=True,
                                    text=True).stdout.strip().splitlines()
            counters = json.loads(status[-1])["counters"] if status else {}
            steps = ", ".join(f"{k.removesuffix('_seconds')} {v:.1f}s" for k, v in counters.items()
                              if k.endswith("_seconds"))
            print(f"import: {rows:,} rows in {import_seconds:.1f}s ({steps}; at its end {import_load})",
                  file=sys.stderr)
            reconcile_seconds = timed([*cli, "reconcile", "--program", "bench", str(dump)], env)
            print(f"reconcile: {reconcile_seconds:.1f}s ({load_average()})", file=sys.stderr)
            floor_seconds, ledger_rows = asyncio.run(ledger_write_floor(database.admin_dsn, program))
            print(f"ledger rows the import wrote: {ledger_rows:,}; writing only them into tables with the ledger's"
                  f" indexes takes {floor_seconds:.1f}s, so import_vs_copy cannot exceed"
                  f" {copy_seconds / floor_seconds:.3f} for this ledger model ({load_average()})", file=sys.stderr)
    print(f"RATIO import_vs_ledger_ceiling {floor_seconds / import_seconds:.3f} target >= 0.6")
    print(f"RATIO import_vs_copy {copy_seconds / import_seconds:.3f} target >= 0.2")
    print(f"RATIO reconcile_vs_import {reconcile_seconds / import_seconds:.3f} target <= 0.2")


if __name__ == "__main__":
    main()
