"""Store agent benchmark (by hand, not in CI): python bench/store.py [--receipts N] [--earns N]

RATIO receipt_passthrough_vs_direct: receipts per second a POS gets printed through the interceptor
(no loyalty activity on them) over straight to the printer, in one run: the same client, the same
receipt, one job at a time (as a till prints), the paths taking turns every 10 receipts; the agent as it ships (the printer's
connection kept between receipts; the POS connects anew for each, on every path).
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

from _common import cpu_seconds, local_postgres, platform  # noqa: I001 - sets sys.path first

import httpx

from store_agent.settings import AgentSettings
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


async def print_jobs(port: int, job: bytes, n: int) -> float:
    """Seconds for n jobs, one after the other, as a till prints: connect, send, wait for the end."""
    start = time.perf_counter()
    for _ in range(n):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(job)
        writer.write_eof()
        await reader.read()
        writer.close()
    return time.perf_counter() - start


async def print_rates(ports: dict[str, int], job: bytes, n: int, *, batch: int = 10) -> dict[str, float]:
    """Receipts per second on each port, the ports taking turns every `batch` receipts: the same
    client, receipts and concurrency, and a load that changes during the round hits every path alike."""
    spent = dict.fromkeys(ports, 0.0)
    for _ in range(n // batch):
        for name, port in ports.items():
            spent[name] += await print_jobs(port, job, batch)
    return {name: (n // batch) * batch / seconds for name, seconds in spent.items()}


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
    # the product's default: the printer's connection kept between receipts (the tests' env sets 0)
    keepalive = str(AgentSettings.model_fields["printer_keepalive_seconds"].default)
    online = AgentProcess(agent_env(platform_url=url, store=store, data_dir=work / "online",
                                    printer_port=printer_port, printer_keepalive_seconds=keepalive),
                          work / "online")
    offline = AgentProcess(agent_env(platform_url=f"http://127.0.0.1:{free_port()}", store=store,
                                     data_dir=work / "offline"), work / "offline")
    for a in (online, offline):
        a.data_dir.mkdir(parents=True)
        a.start()
    try:
        job = receipt("NOBODY-1", "12.50", lines=[(f"Item {i}", "1.00") for i in range(20)], logo=True)
        proxy_port = int(online.env["STORE_AGENT_PROXY_PORT"])
        ports = {"direct": printer_port, "interceptor": proxy_port, "bare": bare_port}
        await print_rates(ports, job, 20)  # warm up every path
        pids = {"printer": printer.pid, "interceptor": online.proc.pid, "bare": bare.pid}
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        rounds = [await print_rates(ports, job, args.receipts) for _ in range(args.rounds)]
        jobs = args.rounds * (args.receipts // 10) * 10
        cpu = {name: (cpu_seconds(pid) - cpu_before[name]) / jobs * 1e6 for name, pid in pids.items()}
        d, p, b = (statistics.median(r[name] for r in rounds) for name in ports)
        # each round's paths ran side by side: the ratio is taken per round, then the median
        ratio, bare_ratio = (statistics.median(r[name] / r["direct"] for r in rounds) for name in ("interceptor", "bare"))
        print(f"receipts/s direct {d:.0f}, through the interceptor {p:.0f}, through a bare pipe proxy {b:.0f} "
              f"(its ratio {bare_ratio:.2f}: a proxy process that parses nothing); {len(job)} bytes a receipt; "
              "rounds " + " ".join(f"{r['interceptor'] / r['direct']:.2f}" for r in rounds))
        # CPU a receipt in each process: what the load average does not change (the printer serves all 3 paths)
        print(f"CPU per receipt: interceptor (agent process) {cpu['interceptor']:.0f} us, bare pipe proxy "
              f"{cpu['bare']:.0f} us, printer {cpu['printer'] / 3:.0f} us")
        print(f"RATIO receipt_passthrough_vs_direct {ratio:.2f} target >= 0.8")

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
