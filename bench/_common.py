"""What the ledger benchmark shares: its own PostgreSQL, the real platform as processes, timed loops."""

import asyncio
import contextlib
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "gen")]

from services.common.dev import localpg  # noqa: E402
from services.common.dev.dbsetup import SERVICES, setup_database  # noqa: E402
from tests.fixtures import platform as platform_fixture  # noqa: E402
from tests.fixtures.postgres import TestDatabase, free_port  # noqa: E402
from tests.fixtures.smtp import Mailbox  # noqa: E402


@contextlib.contextmanager
def local_postgres(*, switchable_fsync: bool = False):
    """A throwaway PostgreSQL cluster (fsync off) with the database, roles and schemas.
    switchable_fsync: fsync is not fixed on the command line, so `set_fsync` can turn it on and off."""
    os.environ.setdefault("LOYALTY_PG_FAST", "1")
    data = pathlib.Path(tempfile.mkdtemp(prefix="loyalty-bench-pg-"))
    data.chmod(0o755)
    port = free_port()
    localpg.init_cluster(data / "pg")
    pg = localpg.start_server(data / "pg", port, fsync=True if switchable_fsync else None)
    try:
        localpg.wait_ready(port, pg)
        asyncio.run(setup_database(localpg.admin_dsn(port), database=localpg.DB_NAME))
        yield TestDatabase(port=port, data=data, process=pg)
    finally:
        localpg.stop_server(pg)
        shutil.rmtree(data, ignore_errors=True)


async def set_fsync(admin, on: bool) -> None:
    """fsync for the whole cluster (a superuser connection); synchronous_commit stays on throughout."""
    await admin.execute(f"ALTER SYSTEM SET fsync = {'on' if on else 'off'}")
    await admin.execute("SELECT pg_reload_conf()")
    await asyncio.sleep(0.5)  # every backend reads the file at its next command after the signal
    assert await admin.fetchval("SHOW fsync") == ("on" if on else "off")


async def wal_lsn(admin) -> int:
    return await admin.fetchval("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint")


async def run_n(n: int, workers: int, one) -> None:
    """Exactly n operations with `workers` concurrent callers; one(k) does one."""
    counter = iter(range(n))

    async def worker():
        for k in counter:
            await one(k)

    await asyncio.gather(*(worker() for _ in range(workers)))


def _spawn(name: str, env: dict, ports: dict, logs: pathlib.Path, root: pathlib.Path = ROOT) -> subprocess.Popen:
    proc_env = dict(env)
    module = "gateway" if name == "gateway" else f"services.{name}"
    if name != "gateway":
        proc_env["GRPC_PORT"] = str(ports[name])
        proc_env["DATABASE_URL"] = env[f"TEST_DSN_{name.upper()}"]
    log = open(logs / f"{name}.log", "ab")  # noqa: SIM115 - handed to the child
    python = sys.executable if root == ROOT else str(root / ".venv" / "bin" / "python")
    return subprocess.Popen([python, "-m", module], cwd=root, env=proc_env, stdout=log, stderr=subprocess.STDOUT)


# A benchmark measures what a request costs: the signed-in caller's token buckets (200/s per key, 500/s
# per IP by default) would refuse its load as soon as the platform is faster than them.
NO_RATE_LIMITS = {"RATE_PER_KEY": "1000000", "BURST_PER_KEY": "1000000", "RATE_PER_IP": "1000000",
                  "BURST_PER_IP": "1000000"}


@contextlib.contextmanager
def platform(database: TestDatabase, *, extra_env: dict | None = None, root: pathlib.Path = ROOT):
    """The five services and the gateway as real processes; yields (url, ports, processes).
    root: another checkout's code (with its own .venv), for bench/ab.py's before and after."""
    logs = database.data / "logs"
    logs.mkdir(exist_ok=True)
    ports = {name: free_port() for name in (*SERVICES, "gateway")}
    env = platform_fixture.platform_env(database, ports, Mailbox(host="127.0.0.1", port=free_port()))
    env["LOG_LEVEL"] = "WARNING"
    env.update(NO_RATE_LIMITS)
    env.update(extra_env or {})
    processes = {name: _spawn(name, env, ports, logs, root) for name in (*SERVICES, "gateway")}
    url = f"http://127.0.0.1:{ports['gateway']}"
    try:
        platform_fixture.wait_healthy(url, processes, logs, timeout=120)
        yield url, ports, processes
    finally:
        platform_fixture.stop_processes(processes.values())


def _stat(path: pathlib.Path) -> list[str]:
    """/proc/<pid>/stat's fields after the command name (field 3 on, so index 11 is utime)."""
    return path.read_text().rsplit(")", 1)[1].split()


def _seconds(ticks) -> float:
    return sum(int(t) for t in ticks) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    return _seconds(_stat(pathlib.Path(f"/proc/{pid}/stat"))[11:13])


def cluster_cpu_seconds(postmaster: int) -> float:
    """The cluster's CPU: the postmaster, its live children, and the children it has reaped (cutime and
    cstime: a backend that exits within a round keeps its share counted)."""
    total = _seconds(_stat(pathlib.Path(f"/proc/{postmaster}/stat"))[11:15])
    for path in pathlib.Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = _stat(path)
            if int(fields[1]) == postmaster:
                total += _seconds(fields[11:13])
    return total


async def run_for(seconds: float, workers: int, one) -> float:
    """Operations per second with `workers` concurrent callers for about `seconds`; one(k) does one."""
    done = 0
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**12))

    async def worker():
        nonlocal done
        while time.perf_counter() < deadline:
            await one(next(counter))
            done += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return done / (time.perf_counter() - start)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


class LeanHttpClient:
    """A minimal HTTP/1.1 keep-alive JSON client for load generation (the role wrk plays): the
    load generator shares this machine's 2 cores with the servers it measures, and a full client
    library spent more CPU per request than the gateway itself."""

    def __init__(self, url: str, headers: dict[str, str]):
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        self._host, self._port = parts.hostname, parts.port
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self._head = f"Host: {self._host}\r\nContent-Type: application/json\r\n{extra}"
        self._idle: list = []

    async def post_json(self, path: str, payload: dict) -> dict:
        import json

        body = json.dumps(payload).encode()
        request = f"POST {path} HTTP/1.1\r\n{self._head}Content-Length: {len(body)}\r\n\r\n".encode() + body
        while self._idle:  # a kept-alive connection the server may have closed while idle
            reader, writer = self._idle.pop()
            writer.write(request)
            try:
                head = await reader.readuntil(b"\r\n\r\n")
                break
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()
        else:
            reader, writer = await asyncio.open_connection(self._host, self._port)
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        data = await reader.readexactly(length)
        self._idle.append((reader, writer))
        return json.loads(data)

    async def aclose(self) -> None:
        for _, writer in self._idle:
            writer.close()
        self._idle.clear()
