"""A till's steady earn/redeem traffic, what it saw, its replays, and the ledger checks afterwards.

Every request carries a unique reference. An answer with data is *acknowledged*; a refusal with a
final code (INSUFFICIENT_POINTS, say) is *refused*; UNAVAILABLE, RATE_LIMITED or no answer at all
is *ambiguous*, and `settle` replays it with the same reference until it is acknowledged or refused,
as a till does. `check_ledger` then reads the points schema directly (as the superuser, past
row-level security): every acknowledged posting exists exactly once with the points it was answered
with, nothing refused or never acknowledged was posted, each transaction's entries sum to zero and
every member balance equals the sum of its entries and of the acknowledged postings.
"""

import asyncio
import collections
import dataclasses
import itertools
import json
import random
import time
import uuid

import asyncpg
import httpx

from gateway.errors import GatewayErrorCode
from services.common.errors import ErrorCode

DOCUMENTED_CODES = frozenset(c.value for c in ErrorCode) | frozenset(c.value for c in GatewayErrorCode)
RETRYABLE = frozenset({"UNAVAILABLE", "RATE_LIMITED"})
LEAKS = ("Traceback", "_cython", "grpc", "127.0.0.1", "ipv4:", "asyncpg", "Errno", "object has no attribute")

EARN = """mutation($program: String!, $number: String!, $amount: String!, $reference: String!) {
  earn(input: {program: $program, loyaltyNumber: $number, amount: $amount, currency: "EUR", reference: $reference}) {
    pointsEarned newBalance } }"""
REDEEM = """mutation($program: String!, $number: String!, $points: Int!, $reference: String!) {
  redeem(input: {program: $program, loyaltyNumber: $number, points: $points, reference: $reference}) {
    points newBalance } }"""
ENQUIRE = """query($program: String!, $number: String!) {
  enquire(program: $program, loyaltyNumber: $number) { availablePoints } }"""


@dataclasses.dataclass
class Attempt:
    kind: str  # earn | redeem
    number: str
    reference: str
    variables: dict
    state: str = "pending"  # acknowledged | refused | ambiguous
    points: int = 0  # as answered: earned > 0, redeemed < 0
    replays: int = 0


@dataclasses.dataclass
class TillStats:
    codes: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    undocumented: list = dataclasses.field(default_factory=list)  # errors without a documented code, or leaking
    no_answer: int = 0  # the gateway itself did not answer (connection refused, client timeout)
    latencies: list = dataclasses.field(default_factory=list)  # seconds, acknowledged earns and redeems


class Till:
    def __init__(self, url: str, *, token: str, program: str, numbers: list[str], timeout: float = 30.0,
                 enquiries: float = 0.0, redeems: float = 0.3):
        self.client = httpx.AsyncClient(base_url=url, headers={"authorization": f"Bearer {token}"}, timeout=timeout,
                                        limits=httpx.Limits(max_connections=64))
        self.program, self.numbers = program, numbers
        self.enquiries = enquiries  # the share of requests that are enquiries (the till mix has some)
        self.redeems = redeems  # the share of the rest that are redemptions
        self.attempts: list[Attempt] = []
        self.stats = TillStats()
        self._random = random.Random(21)
        self._ids = itertools.count()

    async def aclose(self) -> None:
        await self.client.aclose()

    def next_attempt(self) -> Attempt:
        number = self._random.choice(self.numbers)
        reference = f"t{next(self._ids)}-{uuid.uuid4().hex[:8]}"
        if self._random.random() < self.enquiries:
            attempt = Attempt("enquire", number, reference, {"program": self.program, "number": number})
        elif self._random.random() >= self.redeems:
            attempt = Attempt("earn", number, reference, {"program": self.program, "number": number,
                                                          "amount": str(self._random.randint(5, 50)),
                                                          "reference": reference})
        else:
            attempt = Attempt("redeem", number, reference, {"program": self.program, "number": number,
                                                            "points": self._random.randint(1, 20),
                                                            "reference": reference})
        self.attempts.append(attempt)
        return attempt

    async def send(self, attempt: Attempt) -> str:
        """One request; updates and returns the attempt's state."""
        document = {"earn": EARN, "redeem": REDEEM, "enquire": ENQUIRE}[attempt.kind]
        started = time.monotonic()
        try:
            response = await self.client.post("/graphql", json={"query": document, "variables": attempt.variables})
            body = response.json()
        except (httpx.HTTPError, ValueError):
            self.stats.no_answer += 1
            attempt.state = "ambiguous"
            return attempt.state
        errors = body.get("errors") or []
        for error in errors:
            code = (error.get("extensions") or {}).get("code")
            self.stats.codes[code] += 1
            if code not in DOCUMENTED_CODES or any(leak in json.dumps(error) for leak in LEAKS):
                self.stats.undocumented.append(error)
        data = (body.get("data") or {}).get(attempt.kind)
        if data is not None and not errors:
            attempt.state = "acknowledged"
            attempt.points = {"earn": data.get("pointsEarned"), "redeem": data.get("points")}.get(attempt.kind) or 0
            self.stats.latencies.append(time.monotonic() - started)
        elif errors and all((e.get("extensions") or {}).get("code") not in RETRYABLE | {"INTERNAL"} for e in errors):
            attempt.state = "refused"
        else:
            attempt.state = "ambiguous"
        return attempt.state

    async def run(self, *, workers: int, until: asyncio.Event) -> None:
        """Closed-loop load: `workers` tills, each sending its next request as the last is answered."""
        async def worker():
            while not until.is_set():
                await self.send(self.next_attempt())
        await asyncio.gather(*(worker() for _ in range(workers)))

    async def run_at_rate(self, *, rate: float, seconds: float) -> None:
        """Open-loop load: one request every 1/rate seconds, whatever the answers' pace."""
        tasks, start = [], time.monotonic()
        for i in range(int(rate * seconds)):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.send(self.next_attempt())))
        await asyncio.gather(*tasks)

    async def settle(self, *, max_replays: int = 60) -> None:
        """Replay every ambiguous attempt with its own reference until it is acknowledged or refused."""
        for attempt in self.attempts:
            while attempt.state == "ambiguous":
                assert attempt.replays < max_replays, f"{attempt.reference} never settled"
                attempt.replays += 1
                if await self.send(attempt) == "ambiguous":
                    await asyncio.sleep(0.5)

    def acknowledged(self) -> list[Attempt]:
        return [a for a in self.attempts if a.state == "acknowledged"]


async def check_ledger(admin_dsn: str, *, program: str, attempts: list[Attempt]) -> dict:
    """The ledger against what the till was told; returns counts for the report."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        program_id = await conn.fetchval("SELECT id FROM points.programs WHERE code = $1", program)
        posted = {r["reference"]: r for r in await conn.fetch(
            "SELECT reference, count(*) OVER (PARTITION BY reference) AS copies, points, kind "
            "FROM points.transactions WHERE program_id = $1", program_id)}
        unbalanced = await conn.fetchval(
            "SELECT count(*) FROM (SELECT transaction_id FROM points.entries WHERE program_id = $1 "
            "GROUP BY transaction_id HAVING sum(amount) <> 0) t", program_id)
        drifted = await conn.fetchval(
            "SELECT count(*) FROM points.accounts a WHERE a.program_id = $1 AND a.kind LIKE 'member_%' AND a.balance <> "
            "(SELECT coalesce(sum(e.amount), 0) FROM points.entries e WHERE e.account_id = a.id)", program_id)
        balances = dict(await conn.fetch(
            "SELECT m.loyalty_number, a.balance FROM points.accounts a JOIN points.members m "
            "ON m.program_id = a.program_id AND m.id = a.member_id "
            "WHERE a.program_id = $1 AND a.kind = 'member_available'", program_id))
    finally:
        await conn.close()
    attempts = [a for a in attempts if a.kind != "enquire"]
    ours = {a.reference: a for a in attempts}
    for attempt in attempts:
        assert attempt.state in ("acknowledged", "refused"), attempt
        if attempt.state == "acknowledged":
            row = posted.get(attempt.reference)
            assert row is not None, f"acknowledged {attempt.kind} {attempt.reference} is not in the ledger"
            assert row["copies"] == 1, f"{attempt.reference} posted {row['copies']} times"
            assert abs(row["points"]) == abs(attempt.points), (attempt, dict(row))
        else:
            assert attempt.reference not in posted, f"refused {attempt.kind} {attempt.reference} was posted"
    strays = [ref for ref, row in posted.items() if row["kind"] in ("EARN", "BURN") and ref not in ours]
    assert not strays, f"postings nobody was told about: {strays[:5]}"
    assert unbalanced == 0, f"{unbalanced} transactions whose entries do not sum to zero"
    assert drifted == 0, f"{drifted} member accounts whose balance is not the sum of their entries"
    expected = collections.Counter()
    for attempt in attempts:
        if attempt.state == "acknowledged":
            expected[attempt.number] += attempt.points if attempt.kind == "earn" else -abs(attempt.points)
    for number, points in expected.items():
        assert balances.get(number, 0) == points, (number, balances.get(number), points)
    return {"acknowledged": sum(a.state == "acknowledged" for a in attempts),
            "refused": sum(a.state == "refused" for a in attempts),
            "replayed": sum(a.replays > 0 for a in attempts)}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
