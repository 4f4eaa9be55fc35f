"""Real parts for the store: the agent as its own process, a TCP printer that records what it gets,
a fake POS that sends ESC/POS bytes (python-escpos's Dummy printer renders them), and a TCP proxy
that can hold the platform's answers back."""

import asyncio
import dataclasses
import os
import pathlib
import signal
import socket
import struct
import subprocess
import sys
import time

import httpx
import pytest

from tests.fixtures.graphql import GraphQLClient, unique
from tests.fixtures.platform import ADMIN_TOKEN
from tests.fixtures.postgres import ROOT, free_port

STORE_SCOPES = ["member.enroll", "member.read", "points.earn", "points.read", "points.void", "points.redeem",
                "rewards.read", "rewards.redeem", "rules.read", "program.read"]
CREATE_PROGRAM = """
mutation($code: String!) {
  createProgram(input: {code: $code, name: "Store test", currency: "EUR", timezone: "Europe/Madrid"}) {
    program { code }
  }
}"""
CREATE_API_KEY = """
mutation($program: String!, $scopes: [String!]) {
  createApiKey(input: {program: $program, name: "till", scopes: $scopes}) { apiKey }
}"""
ENROLL = """
mutation($program: String!, $email: String!) {
  enroll(input: {program: $program, email: $email, firstName: "Ana", lastName: "Pérez"}) { member { loyaltyNumber } }
}"""
ENQUIRE = """
query($program: String!, $number: String!) { enquire(program: $program, loyaltyNumber: $number) { availablePoints } }"""
HISTORY = """
query($program: String!, $number: String!, $after: String) {
  pointsHistory(program: $program, loyaltyNumber: $number, kinds: ["EARN"], first: 100, after: $after) {
    items { reference points } nextCursor
  }
}"""


@dataclasses.dataclass
class Store:
    program: str
    api_key: str
    admin: GraphQLClient

    async def member(self) -> str:
        r = await self.admin(ENROLL, program=self.program, email=f"{unique('m')}@example.com")
        return r.ok()["enroll"]["member"]["loyaltyNumber"]

    async def balance(self, number: str) -> int:
        return int((await self.admin(ENQUIRE, program=self.program, number=number)).ok()["enquire"]["availablePoints"])

    async def earn_postings(self, number: str) -> list[dict]:
        items, after = [], None
        while True:
            page = (await self.admin(HISTORY, program=self.program, number=number, after=after)).ok()["pointsHistory"]
            items += page["items"]
            after = page["nextCursor"]
            if not after:
                return items


@pytest.fixture
async def store(platform):
    admin = GraphQLClient(platform.url, token=ADMIN_TOKEN)
    code = unique("store")
    (await admin(CREATE_PROGRAM, code=code)).ok()
    key = (await admin(CREATE_API_KEY, program=code, scopes=STORE_SCOPES)).ok()["createApiKey"]["apiKey"]
    yield Store(program=code, api_key=key, admin=admin)
    await admin.aclose()


class Printer:
    """A receipt printer on a TCP port: records each connection's bytes (one job per connection)."""

    def __init__(self):
        self.jobs: list[bytes] = []
        self.connections = 0
        self.open: set[asyncio.StreamWriter] = set()
        self._server = None
        self.port = 0
        self.job_done = asyncio.Condition()
        self.received = 0  # bytes read so far, over all connections
        # Set: the connection closes as soon as more bytes come after this many, and those bytes are
        # not printed (a printer that closed its side just before them, as its own idle timeout would).
        self.close_after: int | None = None

    async def start(self) -> "Printer":
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _serve(self, reader, writer):
        self.connections += 1
        self.open.add(writer)
        data = bytearray()
        try:
            while chunk := await reader.read(65536):
                if self.close_after is not None and len(data) >= self.close_after:
                    self.close_after = None
                    # unread bytes on close: the printer's side answers with a reset, as a real one does
                    writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                                               struct.pack("ii", 1, 0))
                    break
                data += chunk
                self.received += len(chunk)
                if b"\x10\x04\x01" in chunk:  # DLE EOT 1: answer the status like a printer
                    writer.write(b"\x16")
                    await writer.drain()
        except ConnectionError:
            pass
        self.open.discard(writer)
        writer.close()
        async with self.job_done:
            self.jobs.append(bytes(data))
            self.job_done.notify_all()

    async def wait_received(self, n: int, timeout: float = 30) -> None:
        async with asyncio.timeout(timeout):
            while self.received < n:
                await asyncio.sleep(0.01)

    async def wait_jobs(self, n: int, timeout: float = 30) -> list[bytes]:
        async with self.job_done:
            await asyncio.wait_for(self.job_done.wait_for(lambda: len(self.jobs) >= n), timeout)
        return self.jobs

    async def stop(self):
        self._server.close()
        await self._server.wait_closed()


@pytest.fixture
async def printer():
    p = await Printer().start()
    yield p
    await p.stop()


async def print_job(port: int, data: bytes, *, chunk: int = 0) -> bytes:
    """The fake POS: one job on one connection; returns what the printer answered."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    if chunk:
        for i in range(0, len(data), chunk):
            writer.write(data[i:i + chunk])
            await writer.drain()
    else:
        writer.write(data)
    await writer.drain()
    writer.write_eof()
    answer = await reader.read()
    writer.close()
    return answer


def receipt(reference: str, total: str, *, lines=(("Coffee", "2.50"),), member: str | None = None,
            logo: bool = False) -> bytes:
    """A receipt as a POS renders it, through python-escpos (the bytes a real printer gets)."""
    from escpos.printer import Dummy
    from PIL import Image

    p = Dummy()
    if logo:  # a shop logo as a raster image, as most receipts start
        p.image(Image.frombytes("1", (512, 96), bytes(range(256)) * 24))
    p.set(align="center", bold=True)
    p.text("TAPAS BAR\n")
    p.set(align="left", bold=False)
    p.text(f"Ref: {reference}\n")
    for name, price in lines:
        p.text(f"{name:<30}{price:>10}\n")
    p.text(f"{'TOTAL EUR':<30}{total:>10}\n")
    if member:
        p.text(f"Member {member}\n")
    p.barcode("4006381333931", "EAN13")
    p.qr(f"https://example.com/r/{reference}", native=True)
    p.text("Thank you\n")
    p.cut()
    return p.output


class AgentProcess:
    def __init__(self, env: dict[str, str], data_dir: pathlib.Path):
        self.env, self.data_dir = env, data_dir
        self.proc: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{env['STORE_AGENT_HTTP_PORT']}"
        self.log = data_dir / "agent.log"

    def start(self, timeout: float = 30) -> "AgentProcess":
        log = open(self.log, "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen([sys.executable, "-m", "store_agent", "run"], cwd=ROOT, env=self.env,
                                     stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"agent exited {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("agent did not start")

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "store_agent", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=30)


def agent_env(*, platform_url: str, store: Store, data_dir: pathlib.Path, printer_port: int | None = None,
              **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORE_AGENT_")}
    env.update({
        "PYTHONUNBUFFERED": "1",
        "STORE_AGENT_PLATFORM_URL": platform_url,
        "STORE_AGENT_API_KEY": store.api_key,
        "STORE_AGENT_PROGRAM": store.program,
        "STORE_AGENT_STORE_CODE": "madrid-01",
        "STORE_AGENT_TERMINAL_ID": "till-1",
        "STORE_AGENT_DATA_DIR": str(data_dir),
        "STORE_AGENT_HTTP_PORT": str(free_port()),
        "STORE_AGENT_BACKOFF_INITIAL_SECONDS": "0.2",
        "STORE_AGENT_BACKOFF_MAX_SECONDS": "1",
    })
    if printer_port:
        # One connection per job, so a test reads each job as the printer got it (the default keeps
        # the connection between jobs: test_receipt_keepalive.py)
        env.update({"STORE_AGENT_PRINTER_HOST": "127.0.0.1", "STORE_AGENT_PRINTER_PORT": str(printer_port),
                    "STORE_AGENT_PRINTER_KEEPALIVE_SECONDS": "0",
                    "STORE_AGENT_PROXY_PORT": str(free_port())})
    env.update({f"STORE_AGENT_{k.upper()}": v for k, v in extra.items()})
    return env


@pytest.fixture
def agents(tmp_path):
    started: list[AgentProcess] = []

    def make(**kwargs) -> AgentProcess:
        a = AgentProcess(agent_env(data_dir=tmp_path / f"agent{len(started)}", **kwargs),
                         tmp_path / f"agent{len(started)}")
        a.data_dir.mkdir(parents=True, exist_ok=True)
        started.append(a)
        return a

    yield make
    for a in started:
        a.stop()


class HoldingProxy:
    """A TCP proxy in front of the gateway that can hold the gateway's answers until released."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.release = asyncio.Event()
        self.release.set()
        self.held = 0
        self._server = None
        self.port = 0

    async def start(self) -> "HoldingProxy":
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _serve(self, reader, writer):
        try:
            ur, uw = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return

        async def up():
            while data := await reader.read(65536):
                uw.write(data)
                await uw.drain()

        async def down():
            while data := await ur.read(65536):
                if not self.release.is_set():
                    self.held += 1
                    await self.release.wait()
                writer.write(data)
                await writer.drain()

        try:
            await asyncio.gather(up(), down())
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
            uw.close()

    async def stop(self):
        self.release.set()
        self._server.close()
        await self._server.wait_closed()
