"""Store agent benchmark (by hand, not in CI): python bench/store.py [--receipts N] [--earns N]

RATIO receipt_passthrough_vs_direct: receipts per second a POS gets printed through the interceptor
(no loyalty activity on them) over straight to the printer, alternating rounds in one run.
RATIO queued_earn_vs_online_earn: the till's earn latency (median) with the platform answering over
the same with the platform unreachable (queued, "accepted, will post"): the queue must make the
till faster, never slower.

Real parts: PostgreSQL, the platform's processes, the agent as a process, the printer as a process
(a TCP listener that reads each job to its end), the POS here sending python-escpos bytes.
"""

import argparse
import asyncio
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

from _common import local_postgres, platform  # noqa: I001 - sets sys.path first

import httpx

from tests.fixtures.graphql import GraphQLClient
from tests.fixtures.platform import ADMIN_TOKEN
from tests.fixtures.postgres import free_port
from tests.store.conftest import STORE_SCOPES, AgentProcess, Store, agent_env, receipt

PRINTER = """
import asyncio, sys
async def job(r, w):
    while await r.read(65536):
        pass
    w.close()
async def main():
    s = await asyncio.start_server(job, "127.0.0.1", int(sys.argv[1]))
    print("ready", flush=True)
    await s.serve_forever()
asyncio.run(main())
"""

# The floor of any proxy process: bytes piped both ways, nothing parsed (printed for context).
BARE_PROXY = """
import asyncio, sys
async def pipe(r, w):
    while d := await r.read(65536):
        w.write(d)
    if w.can_write_eof():
        w.write_eof()
async def job(r, w):
    pr, pw = await asyncio.open_connection("127.0.0.1", int(sys.argv[2]))
    await asyncio.gather(pipe(r, pw), pipe(pr, w))
    w.close()
    pw.close()
async def main():
    s = await asyncio.start_server(job, "127.0.0.1", int(sys.argv[1]))
    print("ready", flush=True)
    await s.serve_forever()
try:
    import uvloop
    uvloop.run(main())
except ImportError:
    asyncio.run(main())
"""


async def print_rate(port: int, job: bytes, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(job)
        writer.write_eof()
        await reader.read()
        writer.close()
    return n / (time.perf_counter() - start)


async def earn_latencies(url: str, number: str, n: int, prefix: str) -> list[float]:
    out = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as till:
        for i in range(n):
            start = time.perf_counter()
            r = await till.post("/v1/earn", json={"loyalty_number": number, "amount": "3.10",
                                                  "reference": f"{prefix}-{i}"})
            out.append(time.perf_counter() - start)
            assert r.status_code in (200, 202), r.text
    return out


async def run(args, url: str) -> None:
    admin = GraphQLClient(url, token=ADMIN_TOKEN)
    program = f"bench-store-{free_port()}"
    await admin('mutation($c: String!) { createProgram(input: {code: $c, name: "Bench", currency: "EUR", '
                'timezone: "Europe/Madrid"}) { program { code } } }', c=program)
    key = (await admin('mutation($p: String!, $s: [String!]) { createApiKey(input: {program: $p, name: "b", '
                       'scopes: $s}) { apiKey } }', p=program, s=STORE_SCOPES)).ok()["createApiKey"]["apiKey"]
    number = (await admin('mutation($p: String!) { enroll(input: {program: $p, email: "b@example.com", '
                          'firstName: "B", lastName: "B"}) { member { loyaltyNumber } } }',
                          p=program)).ok()["enroll"]["member"]["loyaltyNumber"]
    store = Store(program, key, admin)
    work = pathlib.Path(tempfile.mkdtemp(prefix="bench-store-"))
    printer_port = free_port()
    printer = subprocess.Popen([sys.executable, "-c", PRINTER, str(printer_port)], stdout=subprocess.PIPE)
    printer.stdout.readline()
    bare_port = free_port()
    bare = subprocess.Popen([sys.executable, "-c", BARE_PROXY, str(bare_port), str(printer_port)],
                            stdout=subprocess.PIPE)
    bare.stdout.readline()
    online = AgentProcess(agent_env(platform_url=url, store=store, data_dir=work / "online",
                                    printer_port=printer_port), work / "online")
    offline = AgentProcess(agent_env(platform_url=f"http://127.0.0.1:{free_port()}", store=store,
                                     data_dir=work / "offline"), work / "offline")
    for a in (online, offline):
        a.data_dir.mkdir(parents=True)
        a.start()
    try:
        job = receipt("NOBODY-1", "12.50", lines=[(f"Item {i}", "1.00") for i in range(20)], logo=True)
        proxy_port = int(online.env["STORE_AGENT_PROXY_PORT"])
        direct, proxied, piped = [], [], []
        await print_rate(proxy_port, job, 20)  # warm up both paths
        await print_rate(printer_port, job, 20)
        for _ in range(args.rounds):
            direct.append(await print_rate(printer_port, job, args.receipts))
            proxied.append(await print_rate(proxy_port, job, args.receipts))
            piped.append(await print_rate(bare_port, job, args.receipts))
        d, p, b = statistics.median(direct), statistics.median(proxied), statistics.median(piped)
        print(f"receipts/s direct {d:.0f}, through the interceptor {p:.0f}, through a bare pipe proxy {b:.0f} "
              f"(its ratio {b / d:.2f}: the floor of any proxy process); {len(job)} bytes a receipt")
        print(f"RATIO receipt_passthrough_vs_direct {p / d:.2f} target >= 0.8")

        await earn_latencies(offline.url, number, 3, "warm-off")  # the first attempt finds the platform away
        await earn_latencies(online.url, number, 5, "warm-on")
        on = await earn_latencies(online.url, number, args.earns, "on")
        off = await earn_latencies(offline.url, number, args.earns, "off")
        mo, mf = statistics.median(on), statistics.median(off)
        print(f"till earn latency: online {mo * 1000:.1f} ms (posted), offline {mf * 1000:.1f} ms (queued)")
        print(f"RATIO queued_earn_vs_online_earn {mo / mf:.2f} target >= 2.0")
    finally:
        online.stop()
        offline.stop()
        for proc in (printer, bare):
            proc.terminate()
            proc.wait()
        await admin.aclose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--receipts", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--earns", type=int, default=200)
    args = parser.parse_args()
    with local_postgres() as database, platform(database) as (url, _ports, _procs):
        asyncio.run(run(args, url))


if __name__ == "__main__":
    main()
