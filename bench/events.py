"""Events out: earn throughput with three active webhook subscriptions against none, and how long an
accrual takes from its earn's commit to a local receiver, against the earn call itself.

    .venv/bin/python bench/events.py            # longer runs
    .venv/bin/python bench/events.py --quick    # a smoke run

    RATIO earn_with_webhooks_vs_without <v> target >= 0.9  earns per second with 3 active subscriptions to
                                                           LOY_POINT_ACCRUAL / with the same 3 paused
    RATIO event_lag_p99_vs_earn_p99 <v> target <= 20       p99 of (receiver got the accrual - the earn call
                                                           returned, an upper bound of its commit), over the
                                                           p99 of the earn call, in the same rounds

Starts its own PostgreSQL and the platform (the notifications service included); the receiver is a
bare HTTP server in a process of its own. Rounds alternate paused, active; after an active round the bench
waits until every accrual reached all three endpoints, so no delivery work spills into the next
round. Ratios are the median of per-round ratios (throughput) and over all active rounds (lag).
"""

import argparse
import asyncio
import json
import multiprocessing
import time

from _common import LeanHttpClient, local_postgres, median, platform, run_for  # noqa: I001 - sets sys.path first

from tests.fixtures.platform import ADMIN_TOKEN  # noqa: E402
from tests.fixtures.postgres import free_port  # noqa: E402

CREATE_PROGRAM = """mutation($code: String!) { createProgram(input: {code: $code, name: "Bench", currency: "EUR",
  timezone: "Europe/Madrid"}) { program { id } } }"""
ENROLL = """mutation($program: String!, $email: String!) { enroll(input: {program: $program, email: $email,
  firstName: "B", lastName: "Ench"}) { member { loyaltyNumber } } }"""
EARN = """mutation($program: String!, $number: String!, $reference: String!) { earn(input: {program: $program,
  loyaltyNumber: $number, amount: "12.50", currency: "EUR", reference: $reference}) { newBalance } }"""
SUBSCRIBE = """mutation($program: String!, $url: String!) { createWebhookSubscription(input: {program: $program,
  url: $url, eventTypes: ["LOY_POINT_ACCRUAL"]}) { subscription { id } } }"""
TOGGLE = """mutation($program: String!, $id: ID!, $active: Boolean!) { updateWebhookSubscription(input: {
  program: $program, id: $id, active: $active}) { active } }"""
ENDPOINTS = 3


async def gql(client: LeanHttpClient, query: str, **variables) -> dict:
    body = await client.post_json("/graphql", {"query": query, "variables": variables})
    if body.get("errors"):
        raise RuntimeError(body["errors"])
    return body["data"]


class Receiver:
    """The subscribers' endpoints, in a process of their own (they stand for the customers' servers, not
    for the platform: they must not take the load generator's turns). A bare HTTP/1.1 keep-alive server
    that answers 204 and notes when each endpoint got each accrual (by the earn's reference, on the
    system-wide monotonic clock the bench also reads)."""

    def __init__(self):
        self.port = free_port()
        self.arrived: dict[tuple[str, str], float] = {}
        self._process: multiprocessing.Process | None = None
        self._records, self._sink = multiprocessing.Pipe(duplex=False)

    def start(self) -> "Receiver":
        """Before the bench's event loop runs (a fork inherits none of it)."""
        self._process = multiprocessing.get_context("fork").Process(target=_serve_endpoints,
                                                                    args=(self.port, self._sink), daemon=True)
        self._process.start()
        return self

    async def ready(self) -> None:
        for _ in range(200):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            except OSError:
                await asyncio.sleep(0.05)
        raise RuntimeError("the receiver did not start")

    def collect(self) -> None:
        while self._records.poll():
            for name, reference, at in self._records.recv():
                self.arrived.setdefault((name, reference), at)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.join(5)


def _serve_endpoints(port: int, sink) -> None:
    arrivals: list[tuple[str, str, float]] = []

    class Endpoint(asyncio.Protocol):
        def connection_made(self, transport):
            self.transport, self.buffer = transport, b""

        def data_received(self, data: bytes) -> None:
            self.buffer += data
            while True:
                head_end = self.buffer.find(b"\r\n\r\n")
                if head_end < 0:
                    return
                head = self.buffer[:head_end].decode("latin-1")
                length = 0
                for line in head.split("\r\n")[1:]:
                    key, _, value = line.partition(":")
                    if key.strip().lower() == "content-length":
                        length = int(value)
                if len(self.buffer) < head_end + 4 + length:
                    return
                body = self.buffer[head_end + 4:head_end + 4 + length]
                self.buffer = self.buffer[head_end + 4 + length:]
                name = head.split(" ", 2)[1].lstrip("/")
                arrivals.append((name, json.loads(body)["data"]["reference"], time.monotonic()))
                self.transport.write(b"HTTP/1.1 204 No Content\r\n\r\n")

    async def serve() -> None:
        server = await asyncio.get_running_loop().create_server(Endpoint, "127.0.0.1", port)
        async with server:
            while True:
                await asyncio.sleep(0.05)
                if arrivals:
                    sink.send(arrivals[:])
                    arrivals.clear()

    asyncio.run(serve())


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def measure(url: str, receiver: Receiver, *, rounds: int, seconds: float, workers: int) -> None:
    admin = LeanHttpClient(url, {"authorization": f"Bearer {ADMIN_TOKEN}"})
    await receiver.ready()
    program = f"bench-events-{int(time.time())}"
    await gql(admin, CREATE_PROGRAM, code=program)
    numbers = [(await gql(admin, ENROLL, program=program, email=f"m{i}@example.com"))["enroll"]["member"][
        "loyaltyNumber"] for i in range(workers * 4)]
    subscriptions = [(await gql(admin, SUBSCRIBE, program=program, url=f"http://127.0.0.1:{receiver.port}/e{i}"))[
        "createWebhookSubscription"]["subscription"]["id"] for i in range(ENDPOINTS)]
    clients = [LeanHttpClient(url, {"authorization": f"Bearer {ADMIN_TOKEN}"}) for _ in range(workers)]
    throughput: dict[bool, list[float]] = {False: [], True: []}
    earn_latencies: list[float] = []
    lags: list[float] = []

    for round_no in range(rounds * 2):
        active = round_no % 2 == 1
        for sid in subscriptions:
            await gql(admin, TOGGLE, program=program, id=sid, active=active)
        returned: dict[str, float] = {}
        latencies: list[float] = []

        async def one(k: int, round_no=round_no, returned=returned, latencies=latencies) -> None:
            reference = f"r{round_no}-{k}"
            started = time.monotonic()
            await gql(clients[k % workers], EARN, program=program, number=numbers[k % len(numbers)],
                      reference=reference)
            returned[reference] = time.monotonic()
            latencies.append(returned[reference] - started)

        throughput[active].append(await run_for(seconds, workers, one))
        if active:
            earn_latencies += latencies
            wanted = {(f"e{i}", ref) for i in range(ENDPOINTS) for ref in returned}
            for _ in range(6000):  # until every accrual reached every endpoint (bounded)
                receiver.collect()
                if wanted <= receiver.arrived.keys():
                    break
                await asyncio.sleep(0.05)
            lags += [max(0.0, receiver.arrived[key] - returned[key[1]]) for key in wanted if key in receiver.arrived]
            missing = len(wanted - receiver.arrived.keys())
            if missing:
                print(f"round {round_no}: {missing} deliveries did not arrive", flush=True)
        print(f"round {round_no} ({'active' if active else 'paused'}): {throughput[active][-1]:.1f} earns/s",
              flush=True)

    ratios = [w / wo for wo, w in zip(throughput[False], throughput[True])]
    print(f"earn p99 {p99(earn_latencies) * 1000:.1f} ms, event lag p99 {p99(lags) * 1000:.1f} ms "
          f"({len(lags)} deliveries)")
    print(f"RATIO earn_with_webhooks_vs_without {median(ratios):.3f} target >= 0.9")
    print(f"RATIO event_lag_p99_vs_earn_p99 {p99(lags) / p99(earn_latencies):.3f} target <= 20")
    for client in (admin, *clients):
        await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: short rounds")
    args = parser.parse_args()
    rounds, seconds, workers = (1, 3.0, 4) if args.quick else (3, 15.0, 8)
    receiver = Receiver().start()
    try:
        with local_postgres() as database, platform(database) as (url, _ports, _processes):
            asyncio.run(measure(url, receiver, rounds=rounds, seconds=seconds, workers=workers))
    finally:
        receiver.stop()


if __name__ == "__main__":
    main()
