"""Two checkouts side by side: the earn through GraphQL (or, `--op search`, bench/members.py's member
searches) on platform A and on platform B, rounds taking turns, each platform on its own PostgreSQL. On a machine whose load changes from
minute to minute, this is how one change is measured: both sides see the same minutes.

    .venv/bin/python bench/ab.py --a /path/to/before --b .    # each checkout with its own .venv

Prints, per side, the median rate and the CPU milliseconds per earn of every process of the platform
(the gateway, each service, and the PostgreSQL cluster: the postmaster and its backends; /proc) and
their total (on a saturated machine the rate follows the total), and the median of the per-round
rate ratios:

    AB earn_b_vs_a <rate of B / rate of A>
"""

import argparse
import asyncio
import contextlib
import pathlib
import random
import uuid

from _common import (LeanHttpClient, cluster_cpu_seconds, cpu_seconds, local_postgres, median,  # noqa: I001 - sets sys.path first
                     platform, run_for)

import asyncpg  # noqa: E402

from ledger import CREATE_PROGRAM, EARN, seed  # noqa: E402
import members as member_bench  # noqa: E402
from tests.fixtures import platform as platform_fixture  # noqa: E402



class Side:
    def __init__(self, name: str, database, url: str, processes: dict, op: str = "earn"):
        self.name, self.database, self.url, self.processes, self.op = name, database, url, processes, op
        self.rates: list[float] = []
        self.watched = (*processes, "postgres")
        self.cpu = {p: [] for p in (*self.watched, "total")}

    async def prepare(self, members: int) -> None:
        self.lean = LeanHttpClient(self.url, {"authorization": f"Bearer {platform_fixture.ADMIN_TOKEN}"})
        self.code = f"ab-{uuid.uuid4().hex[:8]}"
        made = await self.lean.post_json("/graphql", {"query": CREATE_PROGRAM, "variables": {"code": self.code}})
        program_id = uuid.UUID(made["data"]["createProgram"]["program"]["id"])
        if self.op == "search":
            admin = await asyncpg.connect(self.database.admin_dsn)
            for first in range(1, members + 1, 100_000):
                await admin.execute(member_bench.generate_sql(first, min(100_000, members - first + 1)), program_id)
            await admin.execute("ANALYZE member.members")
            await admin.close()
            self.queries = member_bench.lookups(500, members, random.Random(7))
            return
        admin = await asyncpg.connect(self.database.admin_dsn,
                                      server_settings={"search_path": "points", "enable_nestloop": "off"})
        await seed(admin, program_id, prefix="E", members=members, points=1000, lots=1, expires_at=None)
        await admin.execute("ANALYZE points.members; ANALYZE points.accounts; ANALYZE points.lots")
        await admin.close()
        self.numbers = [f"E{i:09d}" for i in range(1, members + 1)]
        self.round = 0

    def work(self):
        return self.search() if self.op == "search" else self.earn()

    def search(self):
        async def one(k: int) -> None:
            field, q = self.queries[k % len(self.queries)]
            body = await self.lean.post_json("/graphql", {"query": member_bench.SEARCH_QUERY, "variables": {
                "program": self.code, "q": q, "field": field}})
            if body.get("errors"):
                raise RuntimeError(body["errors"])
        return one

    def earn(self):
        self.round += 1
        tag = f"{self.name}{self.round}"

        async def one(k: int) -> None:
            body = await self.lean.post_json("/graphql", {"query": EARN, "variables": {
                "program": self.code, "number": self.numbers[k % len(self.numbers)], "reference": f"{tag}-{k}"}})
            if body.get("errors"):
                raise RuntimeError(body["errors"])
        return one

    def cpu_seconds(self, process: str) -> float:
        if process == "postgres":
            return cluster_cpu_seconds(self.database.process.pid)
        return cpu_seconds(self.processes[process].pid)

    async def measure(self, seconds: float, workers: int) -> float:
        before = {p: self.cpu_seconds(p) for p in self.watched}
        rate = await run_for(seconds, workers, self.work())
        spent = {p: (self.cpu_seconds(p) - before[p]) / (rate * seconds) * 1000 for p in self.watched}
        for p, ms in (*spent.items(), ("total", sum(spent.values()))):
            self.cpu[p].append(ms)
        self.rates.append(rate)
        return rate


async def compare(args, a: Side, b: Side) -> None:
    for side in (a, b):
        await side.prepare(args.members)
        await run_for(2.0, args.workers, side.work())
    ratios = []
    for r in range(args.rounds):
        first, second = (a, b) if r % 2 == 0 else (b, a)
        x = await first.measure(args.seconds, args.workers)
        y = await second.measure(args.seconds, args.workers)
        ratios.append((x / y) if first is b else (y / x))
        print(f"round {r + 1}: B/A {ratios[-1]:.3f}", flush=True)
    for side in (a, b):
        cpu = ", ".join(f"{p} {median(v):.2f}" for p, v in side.cpu.items())
        print(f"{side.name}: {median(side.rates):,.0f} {args.op}es/s; CPU ms per {args.op} (median): {cpu}"
              .replace("earnes", "earns"), flush=True)
        await side.lean.aclose()
    print(f"AB {args.op}_b_vs_a {median(ratios):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", type=pathlib.Path, required=True)
    parser.add_argument("--b", type=pathlib.Path, required=True)
    parser.add_argument("--op", choices=("earn", "search"), default="earn")
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--b-env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable for B's processes only (the same code, another setting)")
    args = parser.parse_args()
    b_env = dict(item.split("=", 1) for item in args.b_env)
    with contextlib.ExitStack() as stack:
        sides = []
        for name, root in (("A", args.a), ("B", args.b)):
            database = stack.enter_context(local_postgres())
            url, _ports, processes = stack.enter_context(platform(database, root=root.resolve(),
                                                                  extra_env=b_env if name == "B" else None))
            sides.append(Side(name, database, url, processes, args.op))
        asyncio.run(compare(args, *sides))


if __name__ == "__main__":
    main()
