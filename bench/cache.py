"""The shared cache on and off: two gateway replicas, a till-like mix, PostgreSQL statements per request.

    .venv/bin/python bench/cache.py                      # 100,000 members, 2 rounds of 10 s a side
    .venv/bin/python bench/cache.py --members 5000 --seconds 5 --rounds 1

One PostgreSQL (pg_stat_statements loaded), one Apache Ignite node (scripts/ignite/start.sh), and the
platform started twice over the same data: once on PostgreSQL alone, once with IGNITE_ADDRESSES set
(member cards, API keys, shared per-key rate limits). Each time: the services and TWO gateway replicas;
the till's requests alternate between the replicas. The mix, per 10 requests: 4 enquire (the member
card), 4 identify (identifyMember with the member's passcode: the rewards service checks the code in
PostgreSQL, the card comes with it), 2 earn. Every member is enquired once first on both sides (a warm
cache, as after the first day; the same reads warm PostgreSQL's buffers on the other side).

Per side: a closed loop (throughput; pg_stat_statements' calls over the window, all statements of the
database, background relays included, per till request), then an open loop at half of the
PostgreSQL side's maximum (requests due on schedule; latency from when due) for the enquires' p99.

    RATIO till_mix_db_statements_ignite_vs_postgres <v> target <= 0.3
    RATIO till_mix_ignite_vs_postgres <v> target >= 1.0
    RATIO enquire_p99_ignite_vs_postgres <v> target <= 1.0
"""

import argparse
import asyncio
import contextlib
import os
import pathlib
import shutil
import tempfile
import time
import uuid

from _common import LeanHttpClient, _spawn, median, run_for  # noqa: I001 - sets sys.path first

import asyncpg  # noqa: E402

from ledger import SEED_BALANCES  # noqa: E402
from members import generate_sql  # noqa: E402
from services.common.dev import localpg  # noqa: E402
from services.common.dev.dbsetup import SERVICES, setup_database  # noqa: E402
from services.points.ledger import posting  # noqa: E402
from services.rewards.otp import code_hash  # noqa: E402
from tests.fixtures import platform as platform_fixture  # noqa: E402
from tests.fixtures.ignite import IgniteNode  # noqa: E402
from tests.fixtures.postgres import TestDatabase, free_port  # noqa: E402
from tests.fixtures.smtp import Mailbox  # noqa: E402

CREATE_PROGRAM = """
mutation($code: String!) { createProgram(input: {code: $code, name: "Bench", currency: "EUR",
                                                  timezone: "Europe/Madrid"}) { program { id } } }"""
CREATE_KEY = """
mutation($p: String!) { createApiKey(input: {program: $p, name: "till", scopes: ["member.read", "points.read",
  "points.earn", "rewards.redeem"]}) { apiKey } }"""
ENQUIRE = """query($p: String!, $n: String!) {
  enquire(program: $p, loyaltyNumber: $n) { availablePoints pendingPoints onHoldPoints nextExpiringPoints nextExpiryDate }
}"""
IDENTIFY = """mutation($p: String!, $o: String!) {
  identifyMember(input: {program: $p, otp: $o}) { loyaltyNumber points { availablePoints nextExpiryDate } }
}"""
EARN = """mutation($p: String!, $n: String!, $r: String!) {
  earn(input: {program: $p, loyaltyNumber: $n, amount: "12.50", currency: "EUR", reference: $r}) { newBalance }
}"""
KINDS = ["enquire", "identify"] * 4 + ["earn"] * 2  # k % 10
PASSCODES = 20_000  # members with a live passcode (identify picks among them)


@contextlib.contextmanager
def postgres_with_statements():
    """A throwaway cluster (fsync off, as the other throughput benches) with pg_stat_statements loaded."""
    os.environ.setdefault("LOYALTY_PG_FAST", "1")
    data = pathlib.Path(tempfile.mkdtemp(prefix="loyalty-bench-cache-pg-"))
    data.chmod(0o755)
    port = free_port()
    localpg.init_cluster(data / "pg")
    with open(data / "pg" / "postgresql.auto.conf", "a") as conf:
        conf.write("shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track = all\n")
    pg = localpg.start_server(data / "pg", port)
    try:
        localpg.wait_ready(port, pg)
        asyncio.run(setup_database(localpg.admin_dsn(port), database=localpg.DB_NAME))
        yield TestDatabase(port=port, data=data, process=pg)
    finally:
        localpg.stop_server(pg)
        shutil.rmtree(data, ignore_errors=True)


@contextlib.contextmanager
def two_replicas(database: TestDatabase, *, extra_env: dict):
    """The services and two gateways; yields the two gateway URLs."""
    logs = database.data / "logs"
    logs.mkdir(exist_ok=True)
    ports = {name: free_port() for name in (*SERVICES, "gateway", "gateway2")}
    env = platform_fixture.platform_env(database, ports, Mailbox(host="127.0.0.1", port=free_port()))
    env.update({"LOG_LEVEL": "WARNING", "RATE_PER_KEY": "1000000", "BURST_PER_KEY": "1000000",
                "RATE_PER_IP": "1000000", "BURST_PER_IP": "1000000", **extra_env})
    processes = {name: _spawn(name, env, ports, logs) for name in SERVICES}
    processes["gateway"] = _spawn("gateway", env, ports, logs)
    processes["gateway2"] = _spawn("gateway", {**env, "GATEWAY_PORT": str(ports["gateway2"])}, ports, logs)
    urls = [f"http://127.0.0.1:{ports['gateway']}", f"http://127.0.0.1:{ports['gateway2']}"]
    try:
        for url in urls:
            platform_fixture.wait_healthy(url, processes, logs, timeout=180)
        yield urls
    finally:
        platform_fixture.stop_processes(processes.values())


async def seed(args, database: TestDatabase, url: str) -> tuple[str, str, list[str], list[str]]:
    admin_http = LeanHttpClient(url, {"authorization": f"Bearer {platform_fixture.ADMIN_TOKEN}"})
    code = f"cache-{uuid.uuid4().hex[:8]}"
    body = await admin_http.post_json("/graphql", {"query": CREATE_PROGRAM, "variables": {"code": code}})
    program_id = uuid.UUID(body["data"]["createProgram"]["program"]["id"])
    key = (await admin_http.post_json("/graphql", {"query": CREATE_KEY, "variables": {"p": code}}))[
        "data"]["createApiKey"]["apiKey"]
    await admin_http.aclose()
    admin = await asyncpg.connect(database.admin_dsn, server_settings={"enable_nestloop": "off"})
    await admin.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    started = time.perf_counter()
    for first in range(1, args.members + 1, 100_000):
        await admin.execute(generate_sql(first, min(100_000, args.members - first + 1)), program_id)
    await admin.execute("INSERT INTO points.members(program_id, id, loyalty_number, status) "
                        "SELECT program_id, id, loyalty_number, 'active' FROM member.members WHERE program_id = $1",
                        program_id)
    earned = posting.now().replace(year=posting.now().year - 1)
    await admin.execute("SET search_path = points")
    await admin.execute(SEED_BALANCES, program_id, "9", 10**6, 1, earned, None)
    # live passcodes (as requestOtp leaves them), hashed the way the rewards service checks them
    secret = bytes(await admin.fetchval("SELECT otp_secret FROM rewards.programs WHERE id = $1", program_id))
    count = min(PASSCODES, args.members)
    rows = await admin.fetch("SELECT id, loyalty_number FROM member.members WHERE program_id = $1"
                             " ORDER BY loyalty_number LIMIT $2", program_id, count)
    now = posting.now()
    passcodes = [f"{i + 1:06d}" for i in range(count)]
    await admin.copy_records_to_table(
        "otps", schema_name="rewards",
        columns=["program_id", "id", "member_id", "loyalty_number", "code_hash", "issued_at", "expires_at"],
        records=[(program_id, uuid.uuid4(), r["id"], r["loyalty_number"],
                  code_hash(pepper="", program_secret=secret, code=passcodes[i]), now,
                  now.replace(year=now.year + 1)) for i, r in enumerate(rows)])
    await admin.execute("ANALYZE member.members; ANALYZE points.members; ANALYZE points.accounts; "
                        "ANALYZE points.lots; ANALYZE rewards.otps")
    await admin.close()
    print(f"seeded {args.members:,} members with balances, {count:,} with a passcode, in "
          f"{time.perf_counter() - started:.1f}s", flush=True)
    return code, key, [f"9{i:010d}" for i in range(1, args.members + 1)], passcodes


async def statements(admin) -> int:
    return await admin.fetchval(
        "SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
        " WHERE d.datname = $1 AND s.query NOT ILIKE '%pg_stat_statements%'", localpg.DB_NAME)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def one_side(args, database, urls, code, key, numbers, passcodes, *, name: str, rate: float | None):
    """(closed-loop requests/s, statements per request, open-loop enquire latencies) for one side."""
    clients = [LeanHttpClient(url, {"x-api-key": key}) for url in urls]
    tag = uuid.uuid4().hex[:6]
    failures: list = []

    def number(k: int) -> str:
        return numbers[(k * 7919) % len(numbers)]

    async def one(k: int, enquire_latencies: list | None = None, due: float | None = None) -> None:
        kind, client = KINDS[k % 10], clients[k % 2]
        if kind == "enquire":
            request = {"query": ENQUIRE, "variables": {"p": code, "n": number(k)}}
        elif kind == "identify":
            request = {"query": IDENTIFY, "variables": {"p": code, "o": passcodes[(k * 104729) % len(passcodes)]}}
        else:
            request = {"query": EARN, "variables": {"p": code, "n": number(k), "r": f"{name}-{tag}-{k}"}}
        body = await client.post_json("/graphql", request)
        if body.get("errors"):
            failures.append(body["errors"])
        if enquire_latencies is not None and kind == "enquire":
            enquire_latencies.append(time.perf_counter() - due)

    # warm: every member's card once (alternating replicas), as after a day of tills
    warm = iter(range(len(numbers)))

    async def warmer():
        for i in warm:
            await clients[i % 2].post_json("/graphql", {"query": ENQUIRE, "variables": {"p": code, "n": numbers[i]}})

    started = time.perf_counter()
    await asyncio.gather(*(warmer() for _ in range(args.workers)))
    await run_for(2.0, args.workers, one)
    print(f"  {name}: warmed {len(numbers):,} cards in {time.perf_counter() - started:.1f}s", flush=True)
    admin = await asyncpg.connect(database.admin_dsn)
    throughputs, per_request = [], []
    for _ in range(args.rounds):
        await admin.execute("SELECT pg_stat_statements_reset()")
        before = await statements(admin)
        counted = 0

        async def counted_one(k: int) -> None:
            nonlocal counted
            await one(k)
            counted += 1

        throughputs.append(await run_for(args.seconds, args.workers, counted_one))
        per_request.append((await statements(admin) - before) / max(counted, 1))
    await admin.close()
    top = median(throughputs)
    latencies: list[float] = []
    rate = rate or top / 2
    n, start, running = int(rate * args.seconds), time.perf_counter(), set()
    for k in range(n):
        due = start + k / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(k + 10**7, latencies, due))
        running.add(task)
        task.add_done_callback(running.discard)
    await asyncio.gather(*running)
    for client in clients:
        await client.aclose()
    stmts = median(per_request)
    p99 = percentile(latencies, 0.99)
    print(f"  {name}: {top:,.0f} till requests/s (closed loop, {args.workers} callers), {stmts:.2f} statements "
          f"per request; open loop at {rate:,.0f}/s: enquire p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
          f"p99 {p99 * 1000:.1f} ms; {len(failures)} failed", flush=True)
    if failures:
        print(f"  first failure: {failures[0]}", flush=True)
    return top, stmts, p99, rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="loyalty-bench-ignite-"))
    node = IgniteNode(thin_port=free_port(), discovery_port=free_port(), communication_port=free_port(), work=work)
    with postgres_with_statements() as database:
        node.start()
        try:
            results = {}
            with two_replicas(database, extra_env={}) as urls:
                code, key, numbers, passcodes = asyncio.run(seed(args, database, urls[0]))
                results["postgres"] = asyncio.run(one_side(args, database, urls, code, key, numbers, passcodes,
                                                           name="postgres", rate=None))
            rate = results["postgres"][3]
            with two_replicas(database, extra_env={"IGNITE_ADDRESSES": node.address}) as urls:
                results["ignite"] = asyncio.run(one_side(args, database, urls, code, key, numbers, passcodes,
                                                         name="ignite", rate=rate))
        finally:
            node.stop()
            shutil.rmtree(work, ignore_errors=True)
    (pg_top, pg_stmts, pg_p99, _), (ig_top, ig_stmts, ig_p99, _) = results["postgres"], results["ignite"]
    print(f"members {args.members:,}, {args.workers} callers, {args.seconds:.0f} s x {args.rounds} rounds a side")
    print(f"RATIO till_mix_db_statements_ignite_vs_postgres {ig_stmts / pg_stmts:.2f} target <= 0.3")
    print(f"RATIO till_mix_ignite_vs_postgres {ig_top / pg_top:.2f} target >= 1.0")
    print(f"RATIO enquire_p99_ignite_vs_postgres {ig_p99 / pg_p99:.2f} target <= 1.0")


if __name__ == "__main__":
    main()
