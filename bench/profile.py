"""Where an earn's (or a member search's) CPU goes: py-spy samples the real gateway, points and member
processes while the bench's load runs, and the hottest functions are printed per process (by hand;
needs py-spy).

    .venv/bin/pip install py-spy            # a profiling tool, not a dependency of the product
    .venv/bin/python bench/profile.py [--path graphql|persisted|grpc|search|search-persisted] [--seconds 20] [--out DIR]

`search` runs bench/members.py's searches (20 members a page, as text; `search-persisted` by hash)
over --members generated members instead of earns.

Writes each process's collapsed stacks (DIR/<process>.txt: flamegraph.pl or speedscope read them)
and prints, per process (samples taken while it holds the GIL: running Python, not waiting), the share of samples in the top functions: self (the function's own code)
and inclusive (with what it calls), so a layer's whole cost shows.
"""

import argparse
import asyncio
import collections
import pathlib
import shutil
import subprocess
import sys
import tempfile
import uuid

from _common import LeanHttpClient, cpu_seconds, local_postgres, platform, run_for  # noqa: I001 - sets sys.path first

import asyncpg  # noqa: E402

from ledger import CREATE_PROGRAM, EARN, post_persisted, seed  # noqa: E402
import members as member_bench  # noqa: E402
from loyalty.points.v1 import points_service_pb2 as pb  # noqa: E402
from loyalty.points.v1 import points_service_pb2_grpc as pb_grpc  # noqa: E402
from services.common import clients  # noqa: E402
from tests.fixtures import platform as platform_fixture  # noqa: E402


def top(stacks: pathlib.Path, n: int) -> list[str]:
    own, within, total = collections.Counter(), collections.Counter(), 0
    for line in stacks.read_text().splitlines():
        frames, _, count = line.rpartition(" ")
        if not frames:
            continue
        count = int(count)
        total += count
        names = [f.split(" (")[0] + " " + f.split("(")[-1].rstrip(")").split(":")[0].rsplit("/", 1)[-1]
                 for f in frames.split(";")]
        own[names[-1]] += count
        for name in set(names):
            within[name] += count
    if not total:
        return ["  no samples"]
    out = [f"  {total} samples; self:"]
    out += [f"    {100 * c / total:5.1f}%  {name}" for name, c in own.most_common(n)]
    out.append("  inclusive:")
    out += [f"    {100 * c / total:5.1f}%  {name}" for name, c in within.most_common(n)]
    return out


async def load(args, database, url: str, ports: dict, processes: dict, out: pathlib.Path) -> None:
    headers = {"authorization": f"Bearer {platform_fixture.ADMIN_TOKEN}"}
    lean = LeanHttpClient(url, headers)
    code = f"prof-{uuid.uuid4().hex[:8]}"
    program_id = uuid.UUID((await lean.post_json("/graphql", {"query": CREATE_PROGRAM, "variables": {"code": code}}))
                           ["data"]["createProgram"]["program"]["id"])
    if not args.path.startswith("search"):
        admin = await asyncpg.connect(database.admin_dsn,
                                      server_settings={"search_path": "points", "enable_nestloop": "off"})
        await seed(admin, program_id, prefix="E", members=args.members, points=1000, lots=1, expires_at=None)
        await admin.execute("ANALYZE points.members; ANALYZE points.accounts; ANALYZE points.lots")
        await admin.close()
    else:
        admin = await asyncpg.connect(database.admin_dsn)
        for first in range(1, args.members + 1, 100_000):
            await admin.execute(member_bench.generate_sql(first, min(100_000, args.members - first + 1)), program_id)
        await admin.execute("ANALYZE member.members")
        await admin.close()
    queries = member_bench.lookups(500, args.members, __import__("random").Random(7))
    numbers = [f"E{i:09d}" for i in range(1, args.members + 1)]
    channel = clients.channel(f"127.0.0.1:{ports['points']}", multiplexed=True)  # as the gateway calls
    stub = pb_grpc.PointsServiceStub(channel)
    md = clients.metadata(program_id=program_id, principal="bench")
    tag = uuid.uuid4().hex[:6]

    async def graphql(k: int) -> None:
        body = await lean.post_json("/graphql", {"query": EARN, "variables": {
            "program": code, "number": numbers[k % len(numbers)], "reference": f"p{tag}-{k}"}})
        if body.get("errors"):
            raise RuntimeError(body["errors"])

    async def persisted(k: int) -> None:
        body = await post_persisted(lean, EARN, {"program": code, "number": numbers[k % len(numbers)],
                                                 "reference": f"p{tag}-{k}"})
        if body.get("errors"):
            raise RuntimeError(body["errors"])

    async def grpc(k: int) -> None:
        await stub.Earn(pb.EarnRequest(loyalty_number=numbers[k % len(numbers)], amount="12.50", currency="EUR",
                                       reference=f"g{tag}-{k}"), metadata=md, timeout=30)

    async def search(k: int) -> None:
        field, q = queries[k % len(queries)]
        variables = {"program": code, "q": q, "field": field}
        if args.path == "search-persisted":
            body = await post_persisted(lean, member_bench.SEARCH_QUERY, variables)
        else:
            body = await lean.post_json("/graphql", {"query": member_bench.SEARCH_QUERY, "variables": variables})
        if body.get("errors"):
            raise RuntimeError(body["errors"])

    one = {"graphql": graphql, "persisted": persisted, "grpc": grpc, "search": search,
           "search-persisted": search}[args.path]
    await run_for(2.0, args.workers, one)  # warm
    watched = ("gateway", "points", "member", "identity")
    cpu_before = {name: cpu_seconds(processes[name].pid) for name in watched}
    spies = {} if args.no_spy else {name: subprocess.Popen(
        [args.py_spy, "record", "--pid", str(processes[name].pid), "--duration", str(int(args.seconds)),
         "--rate", "200", "--format", "raw", "--nonblocking", "--gil", "-o", str(out / f"{name}.txt")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for name in watched}
    rate = await run_for(args.seconds, args.workers, one)
    cpu = {name: (cpu_seconds(processes[name].pid) - cpu_before[name]) / (rate * args.seconds) * 1000
           for name in watched}
    for spy in spies.values():
        spy.wait()
    print(f"{'search' if args.path.startswith('search') else 'earn'} over {args.path}: {rate:,.0f}/s with {args.workers} callers; CPU ms per operation: "
          + ", ".join(f"{name} {v:.2f}" for name, v in cpu.items()), flush=True)
    for name in spies:
        print(f"{name}:")
        print("\n".join(top(out / f"{name}.txt", args.top)))
    await channel.close()
    await lean.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--path", choices=("graphql", "persisted", "grpc", "search", "search-persisted"), default="graphql")
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--out", type=pathlib.Path)
    parser.add_argument("--no-spy", action="store_true", help="only the rate and the CPU per earn")
    args = parser.parse_args()
    args.py_spy = shutil.which("py-spy", path=str(pathlib.Path(sys.executable).parent)) or shutil.which("py-spy")
    if not args.py_spy and not args.no_spy:
        sys.exit("py-spy is not installed: .venv/bin/pip install py-spy")
    out = args.out or pathlib.Path(tempfile.mkdtemp(prefix="loyalty-profile-"))
    out.mkdir(parents=True, exist_ok=True)
    print(f"collapsed stacks in {out}", flush=True)
    with local_postgres() as database, platform(database) as (url, ports, processes):
        asyncio.run(load(args, database, url, ports, processes, out))


if __name__ == "__main__":
    main()
