"""Webhook deliveries: one worker per subscription, so a slow, hung or failing receiver holds up
only its own subscription, never another's or another program's.

The dispatcher (kicked when events fan out, and on a sweep) leases each subscription that has
deliveries due (due_subscriptions: one lease across all processes) and starts its worker. A worker
takes a batch of due deliveries, at most one per member (a member's events go in order), posts
them a few at a time with its own HTTP connections and a bounded timeout, records the attempts in
one statement, and goes on until nothing is due soon and no new event came for a moment; then it
writes when its next retry is due and lets the lease go. No
database connection is held while a request is in flight. A failed attempt is retried with
exponential backoff and jitter until the retry window (24 hours) is over, then dead-lettered.
"""

import asyncio
import dataclasses
import datetime as dt
import json
import logging
import random
import time
import uuid

import aiohttp
import asyncpg

from services.common.db import global_tx, tenant_tx
from services.common.outbox import RelayLoop
from services.notifications import events, signing, targets
from services.notifications import webhook_repository as repo

log = logging.getLogger(__name__)

USER_AGENT = "loyalty-webhooks/1"


@dataclasses.dataclass(frozen=True)
class Options:
    timeout_seconds: float = 10.0
    backoff_base_seconds: float = 5.0
    backoff_max_seconds: float = 3600.0
    retry_window_seconds: float = 24 * 3600.0
    concurrency_per_subscription: int = 4
    allow_private_targets: bool = False
    sweep_seconds: float = 1.0
    max_workers: int = 1000  # subscriptions sending at once in this process (each bounded by the timeout)

    @property
    def lease_seconds(self) -> float:
        return self.timeout_seconds * 2 + 10

    def retry_in(self, *, attempts: int, created_at: dt.datetime) -> dt.timedelta | None:
        """After the `attempts`-th failure: when to try again (None: the window is over, dead-letter)."""
        now = dt.datetime.now(dt.timezone.utc)
        if (now - created_at).total_seconds() >= self.retry_window_seconds:
            return None
        delay = min(self.backoff_max_seconds, self.backoff_base_seconds * 2 ** max(attempts - 1, 0))
        return dt.timedelta(seconds=delay * random.uniform(0.5, 1.0))  # jitter: retries of many spread out


@dataclasses.dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None
    latency_ms: int
    error: str | None


def body_of(row: asyncpg.Record) -> bytes:
    event = events.Event(sequence=row["sequence"], id=row["event_id"], type=row["type"], version=row["version"],
                         occurred_at=row["occurred_at"], member_id=row["member_id"],
                         loyalty_number=row["loyalty_number"], data=row["data"], program_id=row["program_id"])
    return json.dumps(events.envelope(event), separators=(",", ":"), sort_keys=True).encode()


async def post(session: aiohttp.ClientSession, *, url: str, secrets: list[str], row: asyncpg.Record,
               options: Options) -> Outcome:
    body = body_of(row)
    headers = {
        "content-type": "application/json", "user-agent": USER_AGENT,
        "loyalty-event-id": str(row["event_id"]), "loyalty-event-type": row["type"],
        "loyalty-delivery-id": str(row["id"]), "loyalty-delivery-attempt": str(row["attempts"] + 1),
        signing.HEADER.lower(): signing.header(secrets, int(time.time()), body),
    }
    started = time.monotonic()
    try:
        # a host name is checked by the session's connector on the addresses it connects to
        targets.check_literal(url, allow_private=options.allow_private_targets)
        async with session.post(url, data=body, headers=headers, allow_redirects=False) as response:
            status = response.status
            await response.read()  # drained so the connection is reused; bounded by the session's timeout
    except asyncio.TimeoutError:
        return Outcome(False, None, _ms(started), f"timed out after {options.timeout_seconds:g}s")
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        refused = targets.refusal_of(exc)
        if refused is not None:
            return Outcome(False, None, _ms(started), f"refused: {refused}")
        return Outcome(False, None, _ms(started), f"{type(exc).__name__}: {exc}"[:500])
    ok = 200 <= status < 300
    return Outcome(ok, status, _ms(started), None if ok else f"HTTP {status}")


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


class SubscriptionWorker:
    """Sends one subscription's due deliveries until none is due soon and no new event came for a
    while (`LINGER`: a steady stream keeps one worker and its connections instead of one per event)."""

    SOON = dt.timedelta(seconds=2)  # a retry due sooner than this is waited for, not handed back
    LINGER = 2.0
    BATCH = 100  # deliveries claimed at once (one per member), sent `concurrency_per_subscription` at a time

    def __init__(self, pool: asyncpg.Pool, *, program_id: uuid.UUID, subscription_id: uuid.UUID, holder: str,
                 options: Options):
        self._pool = pool
        self.program_id = program_id
        self._subscription_id = subscription_id
        self._holder = holder
        self._options = options
        self._paused = False
        self.wake = asyncio.Event()  # set when new deliveries of this program may have been queued

    async def run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self._options.timeout_seconds)
        connector = targets.connector(allow_private=self._options.allow_private_targets,
                                      limit=self._options.concurrency_per_subscription)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            try:
                while await self._one_batch(session) or await self._woken():
                    pass
            finally:
                async with tenant_tx(self._pool, self.program_id) as conn:
                    await repo.settle_due(conn, subscription_id=self._subscription_id, holder=self._holder,
                                          park=self._paused)

    async def _woken(self) -> bool:
        if self._paused:
            return False
        self.wake.clear()
        try:
            await asyncio.wait_for(self.wake.wait(), self.LINGER)
        except asyncio.TimeoutError:
            return False
        return True

    async def _one_batch(self, session: aiohttp.ClientSession) -> bool:
        """False when there is nothing to send now or soon."""
        async with tenant_tx(self._pool, self.program_id) as conn:
            target = await repo.sending_details(conn, self._subscription_id)
            if target is None or not target["active"]:
                self._paused = True  # its deliveries wait until it is active again (subscriptions.update)
                return False
            batch = await repo.due_batch(conn, subscription_id=self._subscription_id, limit=self.BATCH)
            if not batch:
                upcoming = await repo.next_due(conn, self._subscription_id)
            await repo.lease(conn, subscription_id=self._subscription_id, holder=self._holder,
                             seconds=self._options.lease_seconds)
        if not batch:
            wait = (upcoming - dt.datetime.now(dt.timezone.utc)) if upcoming else None
            if wait is None or wait > self.SOON:
                return False
            await asyncio.sleep(max(wait.total_seconds(), 0.0))
            return True
        secrets = [s for s in (target["secret"], target["previous_secret"]) if s]
        gate = asyncio.Semaphore(self._options.concurrency_per_subscription)

        async def send(row) -> Outcome:
            async with gate:
                return await post(session, url=target["url"], secrets=secrets, row=row, options=self._options)

        outcomes = await asyncio.gather(*(send(row) for row in batch))
        results = [repo.AttemptResult(
            delivery_id=row["id"], ok=o.ok, status_code=o.status_code, latency_ms=o.latency_ms, error=o.error,
            retry_in=None if o.ok else self._options.retry_in(attempts=row["attempts"] + 1,
                                                              created_at=row["created_at"]))
            for row, o in zip(batch, outcomes)]
        async with tenant_tx(self._pool, self.program_id) as conn:
            await repo.record_attempts(conn, program_id=self.program_id, results=results)
        return True


class Dispatcher(RelayLoop):
    name = "webhook-dispatcher"

    def __init__(self, pool: asyncpg.Pool, options: Options):
        super().__init__(sweep_seconds=options.sweep_seconds)
        self._pool = pool
        self._options = options
        self._holder = f"{uuid.uuid4()}"
        self._workers: dict[uuid.UUID, tuple[SubscriptionWorker, asyncio.Task]] = {}

    def notify(self, program_id: uuid.UUID | None = None) -> None:
        """New deliveries may be due (of `program_id`, or of any program): wake its lingering workers
        and look for subscriptions without one."""
        for worker, _ in self._workers.values():
            if program_id is None or worker.program_id == program_id:
                worker.wake.set()
        self.kick()

    @property
    def working(self) -> int:
        return len(self._workers)

    async def step(self) -> int:
        room = self._options.max_workers - len(self._workers)
        if room <= 0:
            return 0
        async with global_tx(self._pool) as conn:
            due = await repo.due_subscriptions(conn, limit=room + len(self._workers))
            started = 0
            for row in due:
                sid = row["subscription_id"]
                if sid in self._workers or started >= room:
                    continue
                if await repo.lease(conn, subscription_id=sid, holder=self._holder,
                                    seconds=self._options.lease_seconds) is None:
                    continue  # another process has it
                worker = SubscriptionWorker(self._pool, program_id=row["program_id"], subscription_id=sid,
                                            holder=self._holder, options=self._options)
                task = asyncio.get_running_loop().create_task(worker.run(), name=f"webhooks:{sid}")
                self._workers[sid] = (worker, task)
                task.add_done_callback(lambda t, sid=sid: self._done(sid, t))
                started += 1
        return 0  # the next step comes with the next kick or sweep

    def _done(self, subscription_id: uuid.UUID, task: asyncio.Task) -> None:
        self._workers.pop(subscription_id, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("webhook worker of %s failed", subscription_id, exc_info=task.exception())
        self.kick()  # something may have come due while it ran

    async def stop(self, timeout: float = 10.0) -> None:
        """Cancels the workers (each gives its lease back) and the loop; waits at most `timeout`."""
        tasks = [task for _, task in self._workers.values()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
        await super().stop()
