"""Infobip People, the customer-data platform (seed 004): the HTTP calls the connector makes, and the
account's rate limits.

The documented subset used: create a person (POST /people/2/persons, 10 requests/s per account),
get one by external id (GET /people/2/persons?type=EXTERNAL_ID&identifier=..), update (PUT, which
overwrites the whole person: 5/s), add or remove a tag on up to 1,000 people
(PATCH / DELETE /people/2/tags/{name}/persons: 5/s, counted with the updates) and send an event
(POST /peopleevents/2/persons/{id}/definitions/{event}/events?identifierType=EXTERNAL_ID: 250/s).
Errors come as {"requestError": {"serviceException": {"messageId", "text"}}}.

Every call takes a token from its account's bucket first (`Limiter`, shared by every program that
uses the same account in this process). A 429 pauses that bucket for its Retry-After and the call
is made again; a 5xx or a connection error is retried with backoff a few times, then raised as
`Retryable` (the caller keeps the work and tries later). Any other error is `Refused`.
"""

import asyncio
import dataclasses
import hashlib
import logging
import random
import time
import urllib.parse
from collections.abc import Callable

import aiohttp

log = logging.getLogger(__name__)

# What a call is counted as (the documented limits per account, requests per second).
CREATE, UPDATE, READ, EVENT = "create", "update", "read", "event"
DOCUMENTED = {CREATE: 10.0, UPDATE: 5.0, READ: 10.0, EVENT: 250.0}
MAX_TAG_BATCH = 1000  # people per tag request (documented)


def account_of(base_url: str, api_key: str) -> str:
    """The People account a connector writes to: the limits are per account, not per program."""
    return hashlib.sha256(f"{base_url.rstrip('/')}\n{api_key}".encode()).hexdigest()[:32]


class TokenBucket:
    """`rate` tokens a second, at most `capacity` saved up. `take` waits for a token; `pause` (a 429's
    Retry-After) gives none out until then. The clock and the sleep are injectable for the tests."""

    def __init__(self, rate: float, *, capacity: float = 1.0, clock: Callable[[], float] = time.monotonic,
                 sleep=asyncio.sleep):
        self.rate = rate
        self.capacity = capacity
        self._clock, self._sleep = clock, sleep
        self._tokens = capacity
        self._at = clock()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()  # one waiter at a time: tokens go out in arrival order
        self.taken = 0

    def _refill(self, now: float) -> None:
        self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
        self._at = now

    def wait_time(self) -> float:
        """How long a take now would wait (0: at once)."""
        now = self._clock()
        self._refill(now)
        paused = max(0.0, self._paused_until - now)
        short = 1.0 - self._tokens
        # (a shortfall below a nanotoken is float rounding: waiting for it could never end)
        return max(paused, short / self.rate if short > 1e-9 else 0.0)

    async def take(self) -> None:
        async with self._lock:
            while (wait := self.wait_time()) > 0:
                await self._sleep(wait)
            self._tokens = max(self._tokens, 1.0) - 1.0
            self.taken += 1

    def pause(self, seconds: float) -> None:
        now = self._clock()
        self._paused_until = max(self._paused_until, now + seconds)
        self._refill(now)
        self._tokens = min(self._tokens, 0.0)  # after the pause the calls start again one at a time


class Limiter:
    """The buckets of every account this process writes to. Each bucket runs a little under the
    documented rate (`margin`) and saves up no burst, so no second-long window at the server ever
    sees more than the limit, whatever the network's jitter."""

    def __init__(self, *, margin: float = 0.9, clock: Callable[[], float] = time.monotonic, sleep=asyncio.sleep):
        self._margin = margin
        self._clock, self._sleep = clock, sleep
        self._buckets: dict[tuple[str, str], TokenBucket] = {}

    def bucket(self, account: str, kind: str, *, rate: float | None = None) -> TokenBucket:
        effective = (rate or DOCUMENTED[kind]) * self._margin
        found = self._buckets.get((account, kind))
        if found is None or found.rate != effective:
            found = self._buckets[(account, kind)] = TokenBucket(effective, clock=self._clock, sleep=self._sleep)
        return found


class PeopleError(Exception):
    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


class Retryable(PeopleError):
    """The server is away or failing (5xx, timeouts): the work is kept and tried again later."""


class Refused(PeopleError):
    """The request itself was refused (4xx other than 429): retrying it unchanged will not help."""


class NotFound(Refused):
    pass


class Conflict(Refused):
    pass


def _error_text(status: int, body) -> str:
    if isinstance(body, dict):
        exc = (body.get("requestError") or {}).get("serviceException") or {}
        if exc:
            return f"HTTP {status} {exc.get('messageId', '')}: {exc.get('text', '')}".strip()
    return f"HTTP {status}"


@dataclasses.dataclass
class Rates:
    creates_per_second: float = DOCUMENTED[CREATE]
    updates_per_second: float = DOCUMENTED[UPDATE]

    def of(self, kind: str) -> float | None:
        return {CREATE: self.creates_per_second, UPDATE: self.updates_per_second}.get(kind)


class People:
    """One account's People API. The session is the caller's (one per program worker)."""

    RETRIES = 5  # 5xx / connection errors per call before the work is handed back
    MAX_429 = 20  # rate-limited answers per call before it is handed back

    def __init__(self, session: aiohttp.ClientSession, *, base_url: str, api_key: str, limiter: Limiter,
                 rates: Rates | None = None, backoff_seconds: float = 0.2):
        self._session = session
        self._base = base_url.rstrip("/")
        self._headers = {"Authorization": f"App {api_key}", "Accept": "application/json"}
        self._account = account_of(base_url, api_key)
        self._limiter = limiter
        self._rates = rates or Rates()
        self._backoff = backoff_seconds

    async def _call(self, kind: str, method: str, path: str, *, params: dict | None = None, body=None):
        bucket = self._limiter.bucket(self._account, kind, rate=self._rates.of(kind))
        failures = limited = 0
        while True:
            await bucket.take()
            try:
                async with self._session.request(method, f"{self._base}{path}", params=params, json=body,
                                                 headers=self._headers) as response:
                    status = response.status
                    retry_after = response.headers.get("Retry-After")
                    try:
                        answer = await response.json(content_type=None)
                    except ValueError:
                        answer = None
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                status, answer, retry_after = None, f"{type(exc).__name__}: {exc}", None
            if status is not None and status < 300:
                return answer
            if status == 429:
                limited += 1
                pause = _seconds(retry_after, default=1.0)
                bucket.pause(pause)  # every caller of this account waits, not only this one
                log.info("People rate-limited %s %s: paused %.1fs", method, path, pause)
                if limited >= self.MAX_429:
                    raise Retryable(f"HTTP 429 {limited} times", status=429)
                continue
            if status is None or status >= 500:
                failures += 1
                if failures >= self.RETRIES:
                    raise Retryable(answer if status is None else _error_text(status, answer), status=status)
                await asyncio.sleep(self._backoff * 2 ** (failures - 1) * random.uniform(0.5, 1.0))
                continue
            error = {404: NotFound, 409: Conflict}.get(status, Refused)
            raise error(_error_text(status, answer), status=status)

    async def create(self, person: dict) -> dict:
        return await self._call(CREATE, "POST", "/people/2/persons", body=person)

    async def get(self, external_id: str) -> dict | None:
        try:
            return await self._call(READ, "GET", "/people/2/persons",
                                    params={"type": "EXTERNAL_ID", "identifier": external_id})
        except NotFound:
            return None

    async def replace(self, external_id: str, person: dict) -> dict:
        """PUT: the person becomes `person` (attributes, contacts and tags not in it are cleared)."""
        return await self._call(UPDATE, "PUT", "/people/2/persons",
                                params={"type": "EXTERNAL_ID", "identifier": external_id}, body=person)

    async def tag(self, tag: str, external_ids: list[str], *, remove: bool = False) -> None:
        body = {"people": [{"query": {"type": "EXTERNAL_ID", "identifier": n}} for n in external_ids]}
        await self._call(UPDATE, "DELETE" if remove else "PATCH",
                         f"/people/2/tags/{urllib.parse.quote(tag, safe='')}/persons", body=body)

    async def event(self, external_id: str, definition: str, properties: dict) -> None:
        await self._call(EVENT, "POST", f"/peopleevents/2/persons/{urllib.parse.quote(external_id, safe='')}"
                         f"/definitions/{urllib.parse.quote(definition, safe='')}/events",
                         params={"identifierType": "EXTERNAL_ID"}, body={"properties": properties})


def _seconds(value: str | None, *, default: float) -> float:
    try:
        return max(0.0, float(value)) if value is not None else default
    except ValueError:
        return default
