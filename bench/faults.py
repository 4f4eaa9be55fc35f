"""Faults benchmark (issue 21), run by hand: `.venv/bin/python -m bench.faults`.

Starts the proxied platform of tests/faults (a private PostgreSQL, the five services, the gateway) and prints:

    RATIO earn_during_db_failover_vs_steady <v> target >= 0.5
        acknowledged earns per second over a window in which PostgreSQL is stopped immediately and
        started again (the tills replay UNAVAILABLE with the same reference), over the steady rate
        measured just before, with the same tills
    RATIO p99_with_bomb_vs_without <v> target <= 2.0
        p99 of ordinary earns while another client keeps sending the largest document the limits
        allow (new text each time, so no cache helps), over the p99 of the same earns without it

Both are ratios of two measurements taken side by side in one run, so they hold on a busy machine.
"""

import asyncio
import pathlib
import random
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "gen")]

import httpx  # noqa: E402

from tests.e2e.test_contract import new_member, new_program  # noqa: E402
from tests.faults.platform import running_faulty_platform  # noqa: E402
from tests.faults.till import Till, percentile  # noqa: E402
from tests.fixtures.graphql import GraphQLClient  # noqa: E402
from tests.fixtures.platform import ADMIN_TOKEN  # noqa: E402
from tests.fixtures.postgres import free_port  # noqa: E402
from tests.fixtures.smtp import Mailbox  # noqa: E402

TILLS = 4
STEADY_SECONDS = 10.0
FAILOVER_SECONDS = 15.0  # PostgreSQL goes down 2 s in and is started again at once
P99_SECONDS = 12.0
MAX_TOKENS = 20_000  # the admin limit (gateway/settings.py); the bomb stays just under it


async def earns_only(till: Till, *, seconds: float, replay: bool) -> int:
    """Closed-loop earns; returns how many were acknowledged within `seconds` (replays included)."""
    end = time.monotonic() + seconds
    acknowledged = 0

    async def worker():
        nonlocal acknowledged
        while time.monotonic() < end:
            attempt = till.next_attempt()
            while time.monotonic() < end:
                state = await till.send(attempt)
                if state == "acknowledged" and time.monotonic() <= end:
                    acknowledged += 1
                if state != "ambiguous" or not replay:
                    break
                await asyncio.sleep(0.1)

    await asyncio.gather(*(worker() for _ in range(TILLS)))
    return acknowledged


def bomb_document(rng: random.Random) -> str:
    """Fresh text every time: aliases up to the alias limit, then plain fields up to the token limit."""
    salt = rng.randrange(10**9)
    aliases = " ".join(f"a{salt}x{i}: __typename" for i in range(200))  # 3 tokens each
    plain = " __typename" * (MAX_TOKENS - 600 - 10)
    return "{ " + aliases + plain + " }"


async def bomb(url: str, stop: asyncio.Event) -> int:
    rng, sent = random.Random(7), 0
    async with httpx.AsyncClient(base_url=url, headers={"authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=60) as c:
        while not stop.is_set():
            await c.post("/graphql", json={"query": bomb_document(rng)})
            sent += 1
    return sent


async def p99_of_earns(till: Till, seconds: float) -> float:
    till.stats.latencies.clear()
    await earns_only(till, seconds=seconds, replay=False)
    return percentile(till.stats.latencies, 0.99)


async def measure(platform) -> dict:
    admin = GraphQLClient(platform.url, token=ADMIN_TOKEN)
    program = await new_program(admin)
    numbers = [await new_member(admin, program) for _ in range(20)]
    await admin.aclose()
    till = Till(platform.url, token=ADMIN_TOKEN, program=program, numbers=numbers, redeems=0.0)
    await earns_only(till, seconds=2, replay=True)  # warm up
    steady = await earns_only(till, seconds=STEADY_SECONDS, replay=True) / STEADY_SECONDS

    def failover():
        time.sleep(2)
        platform.stop_postgres_immediately()
        platform.start_postgres()

    thread = threading.Thread(target=failover)
    thread.start()
    during = await earns_only(till, seconds=FAILOVER_SECONDS, replay=True) / FAILOVER_SECONDS
    thread.join()
    await till.settle()

    without = await p99_of_earns(till, P99_SECONDS)
    stop = asyncio.Event()
    bomber = asyncio.create_task(bomb(platform.url, stop))
    with_bomb = await p99_of_earns(till, P99_SECONDS)
    stop.set()
    bombs = await bomber
    await till.aclose()
    return {"steady": steady, "during": during, "p99_without": without, "p99_with": with_bomb, "bombs": bombs}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="loyalty-bench-faults-") as base:
        smtp = Mailbox(host="127.0.0.1", port=free_port())
        with running_faulty_platform(smtp, pathlib.Path(base), extra_env={"LOG_LEVEL": "WARNING"}) as platform:
            r = asyncio.run(measure(platform))
    print(f"# steady {r['steady']:.1f} earns/s; during the failover window {r['during']:.1f} earns/s")
    print(f"# earn p99 {r['p99_without'] * 1000:.1f} ms without, {r['p99_with'] * 1000:.1f} ms with "
          f"{r['bombs']} largest-allowed documents sent")
    print(f"RATIO earn_during_db_failover_vs_steady {r['during'] / r['steady']:.3f} target >= 0.5")
    print(f"RATIO p99_with_bomb_vs_without {r['p99_with'] / r['p99_without']:.3f} target <= 2.0")


if __name__ == "__main__":
    main()
