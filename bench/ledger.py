"""The points ledger, measured side by side against raw SQL doing the same work.

    .venv/bin/python bench/ledger.py            # 1,000,000 lots for expiry, longer runs
    .venv/bin/python bench/ledger.py --quick    # small data, under a minute

The earn pairs also print the absolute rates, and the rows and WAL bytes one posting writes on each
side. Starts its own PostgreSQL and the real platform (five services and the gateway as processes),
seeds members and balances with set-based INSERT ... SELECT (marked as imported postings), then
runs each pair alternately (A, B, A, B, ...) and prints the median of the per-round ratios:

    RATIO earn_grpc_vs_sql <v> target >= 0.9       Earn over gRPC / the same SQL transaction on raw asyncpg
    RATIO earn_graphql_vs_sql <v> target >= 0.7    the earn mutation through the gateway / the same SQL (sent
                                                   as the till sends it: a persisted operation's hash; the
                                                   same document sent as text is printed beside it)
    RATIO earn_graphql_vs_sql_durable <v> target >= 0.6   the same pair with fsync on (as make run and
                                                   production run): every row and WAL byte a posting
                                                   writes is paid for on both sides
    RATIO redeem_hot_vs_spread <v> target >= 0.35  Burn on one member / Burn spread over many (both gRPC)
    RATIO expire_vs_sql <v> target <= 1.5          the expiry job / one hand-written set-based statement
"""

import argparse
import asyncio
import datetime as dt
import functools
import hashlib
import json
import os
import time
import uuid
from collections.abc import Callable

from _common import (  # noqa: I001 - sets sys.path first
    LeanHttpClient, cluster_cpu_seconds, cpu_seconds, local_postgres, median, platform, run_for, run_n, set_fsync,
    wal_lsn,
)

import asyncpg  # noqa: E402
import httpx  # noqa: E402

from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: E402

from loyalty.common.v1 import program_pb2  # noqa: E402
from loyalty.points.v1 import points_service_pb2 as pb  # noqa: E402
from loyalty.points.v1 import points_service_pb2_grpc as pb_grpc  # noqa: E402
from services.common import clients, validation  # noqa: E402
from services.common.db import create_pool, tenant_tx  # noqa: E402
from services.common.idempotency import request_fingerprint  # noqa: E402
from services.points import api as points_api  # noqa: E402
from services.points import jobs  # noqa: E402
from services.points.ledger import posting, programs, repository  # noqa: E402
from services.points.rules import repository as rules_repository  # noqa: E402
from tests.fixtures import platform as platform_fixture  # noqa: E402

CREATE_PROGRAM = """
mutation($code: String!) { createProgram(input: {code: $code, name: "Bench", currency: "EUR",
                                                  timezone: "Europe/Madrid"}) { program { id } } }"""
EARN = """
mutation($program: String!, $number: String!, $reference: String!) {
  earn(input: {program: $program, loyaltyNumber: $number, amount: "12.50", currency: "EUR",
               reference: $reference}) { newBalance }
}"""

SEED_MEMBERS = """
INSERT INTO points.members(program_id, id, loyalty_number, status)
SELECT $1, gen_random_uuid(), $2::text || lpad(i::text, 9, '0'), 'active' FROM generate_series(1, $3) AS i
"""

# Imported postings, as the migration tooling writes them: a balanced EARN per member (details
# imported), its member account, its entries and its lots (`$4` lots of `$3` points each).
SEED_BALANCES = """
WITH m AS (
    SELECT id FROM points.members WHERE program_id = $1 AND loyalty_number LIKE $2::text || '%'
), t AS (
    INSERT INTO points.transactions(program_id, id, kind, reference, member_id, points, occurred_at, details)
    SELECT $1, gen_random_uuid(), 'EARN', 'import-' || m.id::text, m.id, $3::bigint * $4::int, $5, '{"imported": true}' FROM m
    RETURNING id, member_id
), acc AS (
    INSERT INTO points.accounts(program_id, kind, member_id, balance)
    SELECT $1, 'member_available', member_id, $3::bigint * $4::int FROM t RETURNING id, member_id
), e AS (
    INSERT INTO points.entries(program_id, transaction_id, account_id, amount)
    SELECT $1, t.id, acc.id, $3::bigint * $4::int FROM t JOIN acc USING (member_id)
    UNION ALL
    SELECT $1, t.id, (SELECT id FROM points.accounts WHERE program_id = $1 AND kind = 'issuance'), -($3::bigint * $4::int) FROM t
)
INSERT INTO points.lots(program_id, member_id, transaction_id, points, remaining, earned_at, expires_at)
SELECT $1, t.member_id, t.id, $3, $3, $5, $6::timestamptz + (k * interval '1 hour')
FROM t, generate_series(0, $4::int - 1) AS k
"""

# The floor for the expiry job: the same writes (EXPIRE transaction per member, two entries,
# balances, lot movements, lots zeroed, one event per member) in one hand-written statement.
EXPIRE_SQL = """
WITH expiring AS (
    SELECT id AS lot_id, member_id, remaining AS points FROM lots WHERE remaining > 0 AND expires_at <= $1
), per_member AS (
    SELECT e.member_id, gen_random_uuid() AS txn, sum(e.points)::bigint AS total, min(m.loyalty_number) AS number
    FROM expiring e JOIN members m ON m.id = e.member_id GROUP BY e.member_id
), txns AS (
    INSERT INTO transactions(program_id, id, kind, reference, member_id, points, occurred_at, details)
    SELECT $2, txn, 'EXPIRE', 'expire:' || txn, member_id, -total, $1, '{}'::jsonb FROM per_member
), debited AS (
    UPDATE accounts a SET balance = a.balance - pm.total FROM per_member pm
    WHERE a.kind = 'member_available' AND a.member_id = pm.member_id RETURNING a.id, pm.txn, pm.total
), posted AS (
    INSERT INTO entries(program_id, transaction_id, account_id, amount)
    SELECT $2, txn, id, -total FROM debited
    UNION ALL SELECT $2, txn, (SELECT id FROM accounts WHERE kind = 'breakage' AND member_id IS NULL), total
    FROM per_member
), moved AS (
    INSERT INTO lot_movements(program_id, lot_id, transaction_id, source_transaction_id, delta)
    SELECT $2, e.lot_id, pm.txn, pm.txn, -e.points FROM expiring e JOIN per_member pm USING (member_id)
), zeroed AS (
    UPDATE lots SET remaining = 0 FROM expiring e WHERE lots.id = e.lot_id
), events AS (
    INSERT INTO outbox(program_id, event_type, payload)
    SELECT $2, 'LOY_POINT_EXPIRY', jsonb_build_object(
        'event_type', 'LOY_POINT_EXPIRY', 'transaction_id', txn, 'transaction_kind', 'EXPIRE',
        'member_id', member_id, 'loyalty_number', number, 'points', -total,
        'occurred_at', to_char($1 AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 'reference', 'expire:' || txn)
    FROM per_member
)
SELECT count(*) FROM expiring
"""


async def new_program(pool: asyncpg.Pool) -> uuid.UUID:
    spec = program_pb2.ProgramSpec(id=str(uuid.uuid4()), code=f"b-{uuid.uuid4().hex[:10]}", name="Bench",
                                   currency="EUR", timezone="Europe/Madrid", expiry=program_pb2.ExpiryPolicy(days=365))
    await programs.provision(pool, points_api.provision_command(spec))
    return uuid.UUID(spec.id)


async def seed(admin, program_id: uuid.UUID, *, prefix: str, members: int, points: int, lots: int,
               expires_at: dt.datetime | None) -> None:
    await admin.execute(SEED_MEMBERS, program_id, prefix, members)
    earned = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=400)
    await admin.execute(SEED_BALANCES, program_id, prefix, points, lots, earned, expires_at)


async def sql_earn(pool, program_id: uuid.UUID, number: str, reference: str) -> None:
    """What the Earn RPC does, statement for statement, on raw asyncpg."""
    request = pb.EarnRequest(loyalty_number=number, amount="12.50", currency="EUR", reference=reference)
    async with tenant_tx(pool, program_id) as conn:
        row = await repository.program_member_and_claim(conn, program_id, number, operation="earn", key=reference,
                                                        fingerprint=request_fingerprint(request))
        await rules_repository.revision(conn)  # the rules engine's one query when the program has no rules
        transaction_id = uuid.uuid4()
        now = posting.now()
        # the answer without its balances: the posting's statement keeps it with them (as the earn does)
        answer = pb.EarnResponse(transaction_id=str(transaction_id), points_earned=12)
        await repository.post_earn(
            conn, program_id=program_id, transaction_id=transaction_id, member_id=row["m_id"], reference=reference,
            points=12, amount=validation.amount("12.50"), currency="EUR", occurred_at=now,
            expires_at=now + dt.timedelta(days=365),
            details={"breakdown": [{"rule": "base-rate", "points": 12}], "channel": "", "partner_code": "",
                     "location_code": ""},
            event={"event_type": "LOY_POINT_ACCRUAL", "transaction_id": str(transaction_id), "points": 12},
            answer=answer.SerializeToString())


LEDGER_TABLES = ("transactions", "entries", "lots", "lot_movements", "outbox", "idempotency_keys")


async def writes_per_posting(admin, program_id: uuid.UUID, n: int, workers: int, one) -> str:
    """Rows inserted per ledger table and WAL bytes, per posting (n postings, everything the
    cluster wrote meanwhile counts, background relays included)."""
    count = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM points.{t} WHERE program_id = $1" for t in LEDGER_TABLES)
    before, lsn = dict(await admin.fetch(count, program_id)), await wal_lsn(admin)
    await run_n(n, workers, one)
    wal = (await wal_lsn(admin) - lsn) / n
    after = dict(await admin.fetch(count, program_id))
    rows = {t: (after[t] - before[t]) / n for t in LEDGER_TABLES}
    return (f"{sum(rows.values()):.1f} rows (" + ", ".join(f"{t} {v:g}" for t, v in rows.items() if v)
            + f"), {wal:,.0f} WAL bytes")


@functools.cache
def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def post_persisted(lean, query: str, variables: dict) -> dict:
    """Apollo's persisted query: the hash; the text too only when the gateway answers it does not know it."""
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha256(query)}}
    body = await lean.post_json("/graphql", {"variables": variables, "extensions": extensions})
    if (body.get("errors") or [{}])[0].get("extensions", {}).get("code") == "PERSISTED_QUERY_NOT_FOUND":
        body = await lean.post_json("/graphql", {"query": query, "variables": variables, "extensions": extensions})
    return body


async def cpu_per_op(watched: dict[str, Callable[[], float]], seconds: float, workers: int,
                     one) -> tuple[str, dict[str, float]]:
    """Where the CPU goes, per operation, over every process on the machine's two sides (the bench's own
    client, each service, the PostgreSQL cluster): a diagnostic line next to the ratios, and the figures."""
    before = {k: seconds_of() for k, seconds_of in watched.items()}
    rate = await run_for(seconds, workers, one)
    used = {k: 1000 * (seconds_of() - before[k]) / (rate * seconds) for k, seconds_of in watched.items()}
    used["total"] = sum(used.values())
    return (", ".join(f"{k} {v:.2f}" for k, v in used.items() if v >= 0.005 and k != "total")
            + f"; total {used['total']:.2f} ({rate:,.0f}/s)"), used


async def alternate(rounds: int, seconds: float, workers: int, a, b) -> tuple[float, list[float], list[float]]:
    """Median of the per-round ratios rate(a) / rate(b), runs interleaved so both see the same machine."""
    rates_a, rates_b, ratios = [], [], []
    for r in range(rounds):
        first, second = (a, b) if r % 2 == 0 else (b, a)
        x = await run_for(seconds, workers, first)
        y = await run_for(seconds, workers, second)
        ra, rb = (x, y) if r % 2 == 0 else (y, x)
        rates_a.append(ra)
        rates_b.append(rb)
        ratios.append(ra / rb)
    return median(ratios), rates_a, rates_b


async def bench(args, database, url: str, ports: dict, processes: dict) -> None:
    # seeding only: CTE results have no statistics, so a nested loop over them would be quadratic
    admin = await asyncpg.connect(database.admin_dsn,
                                  server_settings={"search_path": "points", "enable_nestloop": "off"})
    await set_fsync(admin, False)  # as the ratios have always been measured; the durable pair turns it on
    pool = await create_pool(database.service_dsn("points"), schema="points", application="bench-ledger",
                             min_size=args.workers, max_size=args.workers + 2)
    # as the gateway calls: messages on long-lived streams (services/common/multiplex.py); a call of
    # its own each, the way before it, measured beside
    channel = clients.channel(f"127.0.0.1:{ports['points']}", multiplexed=True)
    stub = pb_grpc.PointsServiceStub(channel)
    unary_channel = clients.channel(f"127.0.0.1:{ports['points']}")
    unary_stub = pb_grpc.PointsServiceStub(unary_channel)
    headers = {"authorization": f"Bearer {platform_fixture.ADMIN_TOKEN}"}
    limits = httpx.Limits(max_connections=args.workers, max_keepalive_connections=args.workers)
    results = {}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60, limits=limits) as client:
        # --- earn: gRPC and GraphQL versus the same SQL transaction ------------------------------
        code = f"bench-{uuid.uuid4().hex[:8]}"
        made = (await client.post("/graphql", json={"query": CREATE_PROGRAM, "variables": {"code": code}})).json()
        program_id = uuid.UUID(made["data"]["createProgram"]["program"]["id"])
        started = time.perf_counter()
        await seed(admin, program_id, prefix="E", members=args.members, points=1000, lots=1, expires_at=None)
        await admin.execute("ANALYZE points.members; ANALYZE points.accounts; ANALYZE points.lots")
        print(f"seeded {args.members:,} members with history in {time.perf_counter() - started:.1f}s", flush=True)
        numbers = [f"E{i:09d}" for i in range(1, args.members + 1)]
        md = clients.metadata(program_id=program_id, principal="bench")
        run = iter(range(10**9))

        def earn_sql():
            tag = next(run)
            return lambda k: sql_earn(pool, program_id, numbers[k % len(numbers)], f"s{tag}-{k}")

        def earn_grpc(via=None):
            tag = next(run)
            via = via or stub

            async def one(k):
                await via.Earn(pb.EarnRequest(loyalty_number=numbers[k % len(numbers)], amount="12.50",
                                               currency="EUR", reference=f"g{tag}-{k}"), metadata=md, timeout=30)
            return one

        lean = LeanHttpClient(url, headers)

        def earn_graphql(persisted: bool = True):
            """As the till sends it: the document's hash (its text once, when the gateway asks for it)."""
            tag = next(run)

            async def one(k):
                variables = {"program": code, "number": numbers[k % len(numbers)], "reference": f"q{tag}-{k}"}
                body = await (post_persisted(lean, EARN, variables) if persisted
                              else lean.post_json("/graphql", {"query": EARN, "variables": variables}))
                if body.get("errors"):
                    raise RuntimeError(body["errors"])
            return one

        class Fresh:  # a new reference space on every run
            def __init__(self, make):
                self.make = make
                self.current = None

            async def __call__(self, k):
                if k == 0 or self.current is None:
                    self.current = self.make()
                await self.current(k)

        for warm in (earn_sql(), earn_grpc(), earn_graphql()):
            await run_for(1.0, args.workers, warm)
        sql_side, grpc_side, gql_side = Fresh(earn_sql), Fresh(earn_grpc), Fresh(earn_graphql)
        ratio, g, s = await alternate(args.rounds, args.seconds, args.workers, grpc_side, sql_side)
        print(f"earn: gRPC {median(g):,.0f}/s, raw SQL {median(s):,.0f}/s", flush=True)
        results["earn_grpc_vs_sql"] = ratio
        own_side = Fresh(lambda: earn_grpc(unary_stub))
        ratio, u, s = await alternate(args.rounds, args.seconds, args.workers, own_side, sql_side)
        print(f"earn: gRPC, a call of its own each {median(u):,.0f}/s, raw SQL {median(s):,.0f}/s"
              f" (earn_grpc_vs_sql {ratio:.3f} so)", flush=True)
        ratio, c, u = await alternate(args.rounds, args.seconds, args.workers, grpc_side, own_side)
        print(f"earn: gRPC carried {median(c):,.0f}/s, a call of its own {median(u):,.0f}/s, rounds taking turns"
              f" (carried / its own {ratio:.3f})", flush=True)
        ratio, q, s = await alternate(args.rounds, args.seconds, args.workers, gql_side, sql_side)
        print(f"earn: GraphQL {median(q):,.0f}/s, raw SQL {median(s):,.0f}/s", flush=True)
        results["earn_graphql_vs_sql"] = ratio
        text_side = Fresh(lambda: earn_graphql(persisted=False))
        ratio, p, t = await alternate(args.rounds, args.seconds, args.workers, gql_side, text_side)
        print(f"earn: GraphQL persisted {median(p):,.0f}/s, sent as text {median(t):,.0f}/s"
              f" (persisted / text {ratio:.3f})", flush=True)
        for name, side in (("raw SQL", sql_side), ("gRPC", grpc_side), ("GraphQL", gql_side)):
            print(f"  written per earn, {name}: "
                  + await writes_per_posting(admin, program_id, args.writes, args.workers, side), flush=True)

        # --- the same pair with fsync on: what production pays per commit ------------------------
        await set_fsync(admin, True)
        ratio, q, s = await alternate(args.rounds, args.seconds, args.workers, gql_side, sql_side)
        print(f"earn, fsync on: GraphQL {median(q):,.0f}/s, raw SQL {median(s):,.0f}/s", flush=True)
        results["earn_graphql_vs_sql_durable"] = ratio
        await set_fsync(admin, False)
        watched = {"bench": functools.partial(cpu_seconds, os.getpid()),
                   **{k: functools.partial(cpu_seconds, p.pid) for k, p in processes.items()},
                   "postgres": functools.partial(cluster_cpu_seconds, database.process.pid)}
        if not args.quick:
            cpu = {}
            for name, make in (("through the gateway", earn_graphql), ("over gRPC", earn_grpc),
                               ("over gRPC, a call of its own", lambda: earn_grpc(unary_stub)), ("raw SQL", earn_sql)):
                line, cpu[name] = await cpu_per_op(watched, args.seconds, args.workers, Fresh(make))
                print(f"  CPU ms per earn, {name}: {line}", flush=True)
            # What a call costs before any work, in the processes it passes through (the others' CPU
            # meanwhile is the earns' aftermath: relays and consumers catching up). On a machine the
            # load saturates, rate follows CPU per operation, so these bound the ratios.
            health = health_pb2_grpc.HealthStub(channel)
            unary_health = health_pb2_grpc.HealthStub(unary_channel)

            async def empty_grpc(k, via=health):
                await via.Check(health_pb2.HealthCheckRequest(), timeout=30)

            async def empty_graphql(k):
                body = await post_persisted(lean, "query Ping { __typename }", {})
                if body.get("errors"):
                    raise RuntimeError(body["errors"])
            line, used = await cpu_per_op(watched, args.seconds, args.workers, empty_grpc)
            grpc_floor = used["bench"] + used["points"]
            print(f"  CPU ms per empty call, gRPC health check of the points service: {line}", flush=True)
            line, _ = await cpu_per_op(watched, args.seconds, args.workers,
                                       functools.partial(empty_grpc, via=unary_health))
            print(f"  CPU ms per empty call, the same as a call of its own: {line}", flush=True)
            line, used = await cpu_per_op(watched, args.seconds, args.workers, empty_graphql)
            graphql_floor = used["bench"] + used["gateway"]
            print(f"  CPU ms per empty call, GraphQL {{ __typename }}: {line}", flush=True)
            sql = cpu["raw SQL"]["total"]
            print(f"  ceilings on this machine: raw SQL's {sql:.2f} ms per earn over it plus an empty call's"
                  f" {grpc_floor:.2f} ms (gRPC: client and server) and {graphql_floor:.2f} ms (HTTP: client and"
                  f" gateway): earn_grpc_vs_sql {sql / (sql + grpc_floor):.3f},"
                  f" earn_graphql_vs_sql {sql / (sql + grpc_floor + graphql_floor):.3f}", flush=True)

        # --- redeem: one hot member versus many ------------------------------------------------
        hot_program = await new_program(pool)
        await seed(admin, hot_program, prefix="H", members=1, points=10**9, lots=1, expires_at=None)
        await seed(admin, hot_program, prefix="S", members=args.members, points=10**6, lots=1, expires_at=None)
        await admin.execute("ANALYZE points.members; ANALYZE points.accounts; ANALYZE points.lots")
        hot_md = clients.metadata(program_id=hot_program, principal="bench")
        spread_numbers = [f"S{i:09d}" for i in range(1, args.members + 1)]

        def burner(pick):
            tag = next(run)

            async def one(k):
                await stub.Burn(pb.BurnRequest(loyalty_number=pick(k), points=1, reference=f"r{tag}-{k}"),
                                metadata=hot_md, timeout=30)
            return one

        hot = Fresh(lambda: burner(lambda k: "H000000001"))
        spread = Fresh(lambda: burner(lambda k: spread_numbers[(k * 7919) % len(spread_numbers)]))
        await run_for(1.0, args.workers, hot)
        ratio, h, s = await alternate(args.rounds, args.seconds, args.workers, hot, spread)
        print(f"redeem: one member {median(h):,.0f}/s, spread {median(s):,.0f}/s", flush=True)
        results["redeem_hot_vs_spread"] = ratio

    # --- expiry: the job versus one hand-written statement, on identical data --------------------
    members = args.expire_lots // 10
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30)
    ratios = []
    for r in range(args.expire_rounds):
        job_program, sql_program = await new_program(pool), await new_program(pool)
        for pid in (job_program, sql_program):
            await seed(admin, pid, prefix=f"X{r}", members=members, points=10, lots=10, expires_at=past)
        await admin.execute("ANALYZE points.members; ANALYZE points.accounts; ANALYZE points.lots")
        now = dt.datetime.now(dt.timezone.utc)

        async def by_job():
            return await jobs.run_expire(pool, now=now, programs=[str(job_program)])

        async def by_sql():
            async with tenant_tx(pool, sql_program) as conn:
                return await conn.fetchval(EXPIRE_SQL, now, sql_program)

        timings = {}
        for name, fn in ((("job", by_job), ("sql", by_sql)) if r % 2 == 0 else (("sql", by_sql), ("job", by_job))):
            start = time.perf_counter()
            expired = await fn()
            timings[name] = time.perf_counter() - start
            assert expired == members * 10, (name, expired)
        print(f"expire {members * 10:,} lots: job {timings['job']:.2f}s, one statement {timings['sql']:.2f}s",
              flush=True)
        ratios.append(timings["job"] / timings["sql"])
    results["expire_vs_sql"] = median(ratios)

    await channel.close()
    await pool.close()
    await admin.close()
    print(json.dumps({k: round(v, 3) for k, v in results.items()}), flush=True)
    print(f"RATIO earn_grpc_vs_sql {results['earn_grpc_vs_sql']:.3f} target >= 0.9")
    print(f"RATIO earn_graphql_vs_sql {results['earn_graphql_vs_sql']:.3f} target >= 0.7")
    print(f"RATIO earn_graphql_vs_sql_durable {results['earn_graphql_vs_sql_durable']:.3f} target >= 0.6")
    print(f"RATIO redeem_hot_vs_spread {results['redeem_hot_vs_spread']:.3f} target >= 0.35")
    print(f"RATIO expire_vs_sql {results['expire_vs_sql']:.3f} target <= 1.5")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small data and short runs: under a minute")
    parser.add_argument("--members", type=int, default=None)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--expire-lots", type=int, default=None)
    parser.add_argument("--expire-rounds", type=int, default=None)
    parser.add_argument("--writes", type=int, default=None, help="earns counted for rows and WAL per posting")
    args = parser.parse_args()
    args.members = args.members or (1_000 if args.quick else 100_000)
    args.seconds = args.seconds or (1.0 if args.quick else 5.0)
    args.rounds = args.rounds or (3 if args.quick else 5)
    args.expire_lots = args.expire_lots or (10_000 if args.quick else 1_000_000)
    args.expire_rounds = args.expire_rounds or 3
    args.writes = args.writes or (200 if args.quick else 2000)
    with local_postgres(switchable_fsync=True) as database, platform(database) as (url, ports, _processes):
        asyncio.run(bench(args, database, url, ports, _processes))


if __name__ == "__main__":
    main()
