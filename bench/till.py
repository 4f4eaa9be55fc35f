"""The till's mix at a fixed rate: latency percentiles through GraphQL against the same SQL work.

    .venv/bin/python bench/till.py            # 100,000 members, 3 rounds of 10 s a side
    .venv/bin/python bench/till.py --quick    # 2,000 members, short rounds

The mix, as a till sends it: 35% enquire (balance), 35% identify (the find box: a member by loyalty
number), 25% earn, 5% redeem, each document by its persisted hash (gateway/persisted.py; `--text`
sends the text instead). First the GraphQL side's maximum rate (closed loop, 16 callers), then both
sides OPEN LOOP at half of it: request k is due at start + k / rate whatever happened to
the ones before, and its latency counts from when it was due, so queueing shows (no coordinated
omission). The SQL side runs the same statements on raw asyncpg: the summary query, the member
search's statement, the earn transaction of bench/ledger.py, and the ledger's burn (its domain
function, in process). PostgreSQL runs with fsync on, as production does.

Prints p50/p95/p99/max of each side and

    RATIO till_p99_vs_sql_p99 <v> target <= 3.0
"""

import argparse
import asyncio
import time
import uuid

from _common import LeanHttpClient, local_postgres, median, platform, run_for  # noqa: I001 - sets sys.path first

import asyncpg  # noqa: E402

from ledger import SEED_BALANCES, post_persisted, sql_earn  # noqa: E402
from members import generate_sql  # noqa: E402
from services.common.db import create_pool, tenant_tx  # noqa: E402
from services.member import search  # noqa: E402
from services.points.ledger import commands, posting, repository, spending  # noqa: E402
from tests.fixtures import platform as platform_fixture  # noqa: E402

CREATE_PROGRAM = """
mutation($code: String!) { createProgram(input: {code: $code, name: "Bench", currency: "EUR",
                                                  timezone: "Europe/Madrid"}) { program { id } } }"""
ENQUIRE = """query($p: String!, $n: String!) {
  enquire(program: $p, loyaltyNumber: $n) { availablePoints pendingPoints onHoldPoints nextExpiringPoints nextExpiryDate }
}"""
IDENTIFY = """query($p: String!, $n: String!) {
  searchMembers(program: $p, query: $n, field: "loyalty_number", first: 10) {
    members { loyaltyNumber firstName lastName status }
  }
}"""
EARN = """mutation($p: String!, $n: String!, $r: String!) {
  earn(input: {program: $p, loyaltyNumber: $n, amount: "12.50", currency: "EUR", reference: $r}) { newBalance }
}"""
REDEEM = """mutation($p: String!, $n: String!, $r: String!) {
  redeem(input: {program: $p, loyaltyNumber: $n, reference: $r, points: 1}) { newBalance }
}"""

# k % 20: 0-6 enquire, 7-13 identify, 14-18 earn, 19 redeem
KINDS = ["enquire"] * 7 + ["identify"] * 7 + ["earn"] * 5 + ["redeem"]


def percentiles(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": ordered[-1]}


def shown(p: dict[str, float]) -> str:
    return " ".join(f"{k} {v * 1000:.1f}" for k, v in p.items()) + " ms"


async def open_loop(rate: float, seconds: float, one) -> tuple[list[float], int]:
    """Latencies from each request's due time; requests are started on schedule, never waited for."""
    n, latencies, failures = int(rate * seconds), [], 0
    start, running = time.perf_counter(), set()

    async def timed(k: int, due: float) -> None:
        nonlocal failures
        try:
            await one(k)
        except Exception:  # noqa: BLE001 - counted and shown, the run goes on
            failures += 1
        latencies.append(time.perf_counter() - due)

    for k in range(n):
        due = start + k / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(timed(k, due))
        running.add(task)
        task.add_done_callback(running.discard)
    await asyncio.gather(*running)
    return latencies, failures


async def bench(args, database, url: str) -> None:
    headers = {"authorization": f"Bearer {platform_fixture.ADMIN_TOKEN}"}
    lean = LeanHttpClient(url, headers)
    code = f"till-{uuid.uuid4().hex[:8]}"
    program_id = uuid.UUID((await lean.post_json("/graphql", {"query": CREATE_PROGRAM, "variables": {"code": code}}))
                           ["data"]["createProgram"]["program"]["id"])
    admin = await asyncpg.connect(database.admin_dsn, server_settings={"enable_nestloop": "off"})
    started = time.perf_counter()
    for first in range(1, args.members + 1, 100_000):
        await admin.execute(generate_sql(first, min(100_000, args.members - first + 1)), program_id)
    await admin.execute("INSERT INTO points.members(program_id, id, loyalty_number, status) "
                        "SELECT program_id, id, loyalty_number, 'active' FROM member.members WHERE program_id = $1",
                        program_id)
    await admin.execute("SET search_path = points")
    earned = posting.now().replace(year=posting.now().year - 1)
    await admin.execute(SEED_BALANCES, program_id, "9", 10**6, 1, earned, None)
    await admin.execute("ANALYZE member.members; ANALYZE points.members; ANALYZE points.accounts; ANALYZE points.lots")
    print(f"seeded {args.members:,} members with balances in {time.perf_counter() - started:.1f}s", flush=True)
    numbers = [f"9{i:010d}" for i in range(1, args.members + 1)]

    points_pool = await create_pool(database.service_dsn("points"), schema="points", application="bench-till",
                                    min_size=args.workers, max_size=args.workers)
    member_pool = await asyncpg.create_pool(database.service_dsn("member"), min_size=args.workers,
                                            max_size=args.workers, server_settings={"search_path": "member"})
    run = iter(range(10**9))

    def number(k: int) -> str:
        return numbers[(k * 7919) % len(numbers)]

    def graphql_side():
        tag = next(run)

        async def one(k: int) -> None:
            kind, n = KINDS[k % 20], number(k)
            query = {"enquire": ENQUIRE, "identify": IDENTIFY, "earn": EARN, "redeem": REDEEM}[kind]
            variables = {"p": code, "n": n, **({"r": f"{kind}-{tag}-{k}"} if kind in ("earn", "redeem") else {})}
            body = await (lean.post_json("/graphql", {"query": query, "variables": variables}) if args.text
                          else post_persisted(lean, query, variables))
            if body.get("errors"):
                raise RuntimeError(body["errors"])
        return one

    def sql_side():
        tag = next(run)

        async def one(k: int) -> None:
            kind, n = KINDS[k % 20], number(k)
            if kind == "enquire":
                async with tenant_tx(points_pool, program_id) as conn:
                    member = await repository.member_by_loyalty_number(conn, n)
                    await repository.summary(conn, member["id"])
            elif kind == "identify":
                sql, params, _ = search.plan(search.SearchQuery(query=n, field="loyalty_number"))
                async with member_pool.acquire() as conn, conn.transaction():
                    await conn.execute("SELECT set_config('app.program_id', $1, true)", str(program_id))
                    await conn.fetch(sql, program_id, *params)
            elif kind == "earn":
                await sql_earn(points_pool, program_id, n, f"s-{tag}-{k}")
            else:
                await spending.burn(points_pool, program_id=program_id,
                                    command=commands.Burn(loyalty_number=n, points=1, reference=f"sr-{tag}-{k}"))
        return one

    for warm in (graphql_side(), sql_side()):
        await run_for(2.0, args.workers, warm)
    top = median([await run_for(args.seconds, args.workers, graphql_side()) for _ in range(args.rounds)])
    top_sql = median([await run_for(args.seconds, args.workers, sql_side()) for _ in range(args.rounds)])
    rate = top / 2
    print(f"till mix, closed loop ({args.workers} callers): GraphQL {top:,.0f}/s, raw SQL {top_sql:,.0f}/s; "
          f"open loop at {rate:,.0f}/s (half the GraphQL maximum)", flush=True)
    sides = {"GraphQL": ([], 0), "SQL": ([], 0)}
    for r in range(args.rounds):  # alternated, so both sides see the same machine
        order = (("GraphQL", graphql_side), ("SQL", sql_side)) if r % 2 == 0 else (("SQL", sql_side),
                                                                                     ("GraphQL", graphql_side))
        for name, make in order:
            latencies, failed = await open_loop(rate, args.seconds, make())
            sides[name] = (sides[name][0] + latencies, sides[name][1] + failed)
    stats = {name: percentiles(latencies) for name, (latencies, _) in sides.items()}
    for name, (latencies, failed) in sides.items():
        print(f"  {name}: {len(latencies):,} requests, {failed} failed, {shown(stats[name])}", flush=True)
    await lean.aclose()
    await points_pool.close()
    await member_pool.close()
    await admin.close()
    print(f"RATIO till_p99_vs_sql_p99 {stats['GraphQL']['p99'] / stats['SQL']['p99']:.2f} target <= 3.0")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--text", action="store_true",
                        help="send the documents' text; by default the till sends their persisted hashes")
    parser.add_argument("--members", type=int)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--rounds", type=int)
    args = parser.parse_args()
    args.members = args.members or (2_000 if args.quick else 100_000)
    args.seconds = args.seconds or (3.0 if args.quick else 10.0)
    args.rounds = args.rounds or (1 if args.quick else 3)
    # fsync on (not switched off on the command line): the latencies production would see
    with local_postgres(switchable_fsync=True) as database, platform(database) as (url, _ports, _processes):
        asyncio.run(bench(args, database, url))


if __name__ == "__main__":
    main()
