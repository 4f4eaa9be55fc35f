"""Member search on generated members: through the gateway versus the same SQL straight on the index.

    .venv/bin/python bench/members.py            # 1,000,000 members
    .venv/bin/python bench/members.py --quick    # 20,000 members, short runs

Starts its own PostgreSQL and the real platform (five services and the gateway as processes),
generates members with one set-based INSERT ... SELECT per batch (not one RPC each), then runs the
same searches both ways, side by side, with the same concurrency, and prints

    RATIO search_vs_index_scan <gateway searches per second / raw SQL searches per second> target >= 0.5
"""

import argparse
import asyncio
import os
import pathlib
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "gen")]

import asyncpg  # noqa: E402
import httpx  # noqa: E402

from services.common.dev import localpg  # noqa: E402
from services.common.dev.dbsetup import SERVICES, setup_database  # noqa: E402
from services.member import search  # noqa: E402
from tests.fixtures import platform as platform_fixture  # noqa: E402
from tests.fixtures.postgres import TestDatabase, free_port  # noqa: E402
from tests.fixtures.smtp import Mailbox  # noqa: E402
from _common import NO_RATE_LIMITS, LeanHttpClient, cpu_seconds  # noqa: E402

FIRST = ("Ana Luis Marta Jorge Lucia Pablo Elena Hugo Sara Diego Laura Mario Paula Carlos Irene Adrian Julia Alvaro "
         "Carmen Sergio Noa Daniel Alba Javier Nerea Raul Claudia Ivan Sofia Marcos Emma Oscar Vera Ruben Lola "
         "Gonzalo Olivia Bruno Alma Victor Aitana Hector Candela Manuel Abril Samuel Martina Pedro Valeria Teo").split()
LAST = ("Garcia Rodriguez Gonzalez Fernandez Lopez Martinez Sanchez Perez Gomez Martin Jimenez Ruiz Hernandez Diaz "
        "Moreno Munoz Alvarez Romero Alonso Gutierrez Navarro Torres Dominguez Vazquez Ramos Gil Ramirez Serrano "
        "Blanco Molina Morales Suarez Ortega Delgado Castro Ortiz Rubio Marin Sanz Nunez Iglesias Medina Garrido "
        "Cortes Castillo Santos Lozano Guerrero Cano Prieto Mendez Cruz Calvo Gallego Vidal Leon Marquez Herrera "
        "Pena Flores Cabrera Campos Vega Fuentes Carrasco Diez Caballero Reyes Nieto Aguilar Pascual Santana "
        "Herrero Lorenzo Montero Hidalgo Gimenez Ibanez Ferrer Duran Santiago Benitez Mora Vicente Vargas Arias "
        "Carmona Crespo Roman Pastor Soto Saez Velasco Moya Soler Parra Esteban Bravo Gallardo Rojas").split()
SEARCH_QUERY = """
query($program: String!, $q: String!, $field: String!) {
  searchMembers(program: $program, query: $q, field: $field, first: 20) {
    members { loyaltyNumber firstName lastName email phone status }
    nextPageToken
  }
}"""


def generate_sql(first: int, count: int) -> str:
    """One statement: `count` members from sequence `first` on, spread over names, emails and phones."""
    firsts = "ARRAY[" + ",".join(f"'{n}'" for n in FIRST) + "]"
    lasts = "ARRAY[" + ",".join(f"'{n}'" for n in LAST) + "]"
    return f"""
    INSERT INTO member.members(program_id, id, loyalty_number, email, email_normalized, first_name, last_name,
                               phone, birth_date, channel, zip, enrolled_at)
    SELECT $1, gen_random_uuid(), '9' || lpad(i::text, 10, '0'),
           lower(f) || '.' || lower(l) || '.' || i || '@example.com',
           lower(f) || '.' || lower(l) || '.' || i || '@example.com',
           f, l || CASE WHEN i % 3 = 0 THEN '' ELSE ' ' || substr(md5(i::text), 1, 4) END,
           '+346' || lpad(i::text, 8, '0'), date '1930-01-01' + (i::bigint * 7919 % 29989)::int, 'import',
           lpad((i % 52000)::text, 5, '0'), now() - (i % 2000) * interval '1 day'
    FROM generate_series({first}, {first + count - 1}) AS i,
         LATERAL (SELECT ({firsts})[1 + i % {len(FIRST)}] AS f,
                         ({lasts})[1 + (i / 7) % {len(LAST)}] AS l) n
    ON CONFLICT DO NOTHING
    """


def lookups(count: int, members: int, rng: random.Random) -> list[tuple[str, str]]:
    """A staff member's searches: name prefixes, email prefixes, phone prefixes, loyalty numbers."""
    out = []
    for _ in range(count):
        i = rng.randrange(1, members + 1)
        kind = rng.randrange(4)
        if kind == 0:
            out.append(("name", rng.choice(LAST)[: rng.randrange(3, 7)].lower()))
        elif kind == 1:
            f, l = FIRST[i % len(FIRST)], LAST[(i // 7) % len(LAST)]
            out.append(("email", f"{f.lower()}.{l.lower()}.{str(i)[:3]}"))
        elif kind == 2:
            out.append(("phone", f"+346{i:08d}"[:9]))
        else:
            out.append(("loyalty_number", f"9{i:010d}"[:9]))
    return out


def spawn(name: str, env: dict, ports: dict, logs: pathlib.Path) -> subprocess.Popen:
    """As the test platform starts a process, without its span file (a test aid, not production)."""
    proc_env = {k: v for k, v in env.items() if k != "OTEL_SPANS_FILE"}
    module = "gateway" if name == "gateway" else f"services.{name}"
    if name != "gateway":
        proc_env["GRPC_PORT"] = str(ports[name])
        proc_env["DATABASE_URL"] = env[f"TEST_DSN_{name.upper()}"]
    log = open(logs / f"{name}.log", "ab")  # noqa: SIM115 - handed to the child
    return subprocess.Popen([sys.executable, "-m", module], cwd=ROOT, env=proc_env, stdout=log,
                            stderr=subprocess.STDOUT)


async def run_for(seconds: float, workers: int, one) -> float:
    """Searches per second with `workers` concurrent callers for about `seconds`."""
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker(n: int):
        nonlocal done
        k = n
        while time.perf_counter() < deadline:
            await one(k)
            k += workers
            done += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(workers)))
    return done / (time.perf_counter() - start)


async def bench(args, *, data: pathlib.Path, port: int, pg) -> None:
    processes = {}
    try:
        await setup_database(localpg.admin_dsn(port), database=localpg.DB_NAME)
        database = TestDatabase(port=port, data=data, process=pg)
        logs = data / "logs"
        logs.mkdir()
        ports = {name: free_port() for name in (*SERVICES, "gateway")}
        env = platform_fixture.platform_env(database, ports, Mailbox(host="127.0.0.1", port=free_port()))
        env["LOG_LEVEL"] = "WARNING"
        env.update(NO_RATE_LIMITS)
        processes = {name: spawn(name, env, ports, logs) for name in (*SERVICES, "gateway")}
        url = f"http://127.0.0.1:{ports['gateway']}"
        platform_fixture.wait_healthy(url, processes, logs, timeout=120)

        headers = {"authorization": f"Bearer {platform_fixture.ADMIN_TOKEN}"}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
            code = f"bench-{uuid.uuid4().hex[:8]}"
            made = (await client.post("/graphql", json={"query": """
                mutation($code: String!) { createProgram(input: {code: $code, name: "Bench", currency: "EUR",
                                                                   timezone: "Europe/Madrid"}) { program { id } } }""",
                                                         "variables": {"code": code}})).json()
            program_id = uuid.UUID(made["data"]["createProgram"]["program"]["id"])

            admin = await asyncpg.connect(database.admin_dsn)
            started = time.perf_counter()
            batch = 100_000
            for first in range(1, args.members + 1, batch):
                await admin.execute(generate_sql(first, min(batch, args.members - first + 1)), program_id)
                print(f"  generated {min(first + batch - 1, args.members):,} members", flush=True)
            await admin.execute("ANALYZE member.members")
            total = await admin.fetchval("SELECT count(*) FROM member.members WHERE program_id = $1", program_id)
            print(f"{total:,} members in {time.perf_counter() - started:.0f} s", flush=True)
            await admin.close()

            rng = random.Random(7)
            queries = lookups(500, args.members, rng)
            pool = await asyncpg.create_pool(database.service_dsn("member"), min_size=args.workers,
                                             max_size=args.workers, server_settings={"search_path": "member"})
            async with pool.acquire() as conn:  # the plan of each kind of search: an index range scan
                for field in ("name", "email", "phone", "loyalty_number"):
                    q = next(q for f, q in queries if f == field)
                    sql, params, _ = search.plan(search.SearchQuery(query=q, field=field))
                    async with conn.transaction():
                        await conn.execute("SELECT set_config('app.program_id', $1, true)", str(program_id))
                        plan = await conn.fetch("EXPLAIN " + sql, program_id, *params)
                    cond = next((r[0].strip() for r in plan if "Index Cond" in r[0]), "")
                    print(f"plan for {field} search {q!r}: {plan[1][0].strip()[:70]} | {cond[:160]}", flush=True)

            async def by_sql(k: int) -> None:
                field, q = queries[k % len(queries)]
                sql, params, _ = search.plan(search.SearchQuery(query=q, field=field))
                async with pool.acquire() as conn, conn.transaction():
                    await conn.execute("SELECT set_config('app.program_id', $1, true)", str(program_id))
                    await conn.fetch(sql, program_id, *params)

            lean = LeanHttpClient(url, headers)

            async def by_gateway(k: int) -> None:
                field, q = queries[k % len(queries)]
                body = await lean.post_json("/graphql", {"query": SEARCH_QUERY, "variables": {
                    "program": code, "q": q, "field": field}})
                if body.get("errors"):
                    raise RuntimeError(body["errors"])

            for warm in (by_sql, by_gateway):  # warm caches and connections
                await run_for(1.0, args.workers, warm)
            sql_rates, gateway_rates = [], []
            watched = {"bench": os.getpid(), "gateway": processes["gateway"].pid, "member": processes["member"].pid}
            for _ in range(args.rounds):  # interleaved, so both sides see the same machine
                sql_rates.append(await run_for(args.seconds, args.workers, by_sql))
                before = {k: cpu_seconds(pid) for k, pid in watched.items()}
                rate = await run_for(args.seconds, args.workers, by_gateway)
                gateway_rates.append(rate)
                used = {k: cpu_seconds(pid) - before[k] for k, pid in watched.items()}
                print("  CPU ms per search through the gateway: " + ", ".join(
                    f"{k} {1000 * v / (rate * args.seconds):.1f}" for k, v in used.items()), flush=True)
            await pool.close()
        sql_rate, gateway_rate = max(sql_rates), max(gateway_rates)
        print(f"raw SQL over the index: {sql_rate:,.0f} searches/s; through the gateway: {gateway_rate:,.0f}"
              f" searches/s ({args.workers} concurrent callers, {args.members:,} members)")
        print(f"RATIO search_vs_index_scan {gateway_rate / sql_rate:.3f} target >= 0.5")
    finally:
        for proc in processes.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in processes.values():
            try:
                proc.wait(timeout=15)
            except Exception:  # noqa: BLE001
                proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="20,000 members and short runs")
    parser.add_argument("--members", type=int, default=None)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--rounds", type=int, default=None)
    args = parser.parse_args()
    args.members = args.members or (20_000 if args.quick else 1_000_000)
    args.seconds = args.seconds or (2.0 if args.quick else 5.0)
    args.rounds = args.rounds or (1 if args.quick else 3)
    os.environ.setdefault("LOYALTY_PG_FAST", "1")
    data = pathlib.Path(tempfile.mkdtemp(prefix="loyalty-bench-pg-"))
    data.chmod(0o755)
    port = free_port()
    localpg.init_cluster(data / "pg")
    pg = localpg.start_server(data / "pg", port)
    try:
        localpg.wait_ready(port, pg)
        asyncio.run(bench(args, data=data, port=port, pg=pg))
    finally:
        localpg.stop_server(pg)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
