"""Sends what People is owed (cdp.py): one worker per program with an active connector, each with
its own HTTP connections, so one program's slow or failing People account never holds up another
program's. A worker holds its program's lease (cdp_programs: one worker across all processes), and
goes round: a batch of due tasks (at most one per member in order, plus debounced attribute pushes),
then a chunk of the oldest running job (backfill or bulk tag), then waits to be woken.

The account's rate limits are kept by people.Limiter, shared by every worker of this process;
429/Retry-After and 5xx are handled in people.People. Work that fails with a retryable error is
kept and tried again after a backoff; a refusal (4xx) marks the task failed with the error.
"""

import asyncio
import dataclasses
import datetime as dt
import json
import logging
import socket
import uuid

import aiohttp
import asyncpg

from services.common.db import global_tx, tenant_tx
from services.common.outbox import RelayLoop
from services.notifications import cdp, people, profile, targets

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Options:
    sweep_seconds: float = 1.0
    lease_seconds: float = 30.0
    claim_seconds: float = 120.0  # a claimed task not finished by then is tried again
    batch: int = 50  # tasks claimed at once (at most one per member, plus attribute pushes)
    # A member's next task is the one whose event happened first (a task in flight stays the head); a
    # new task waits this long for events that happened before it but come through another service
    settle_seconds: float = 1.0
    concurrency: int = 8  # tasks of one program in flight at once
    backfill_page: int = 25
    timeout_seconds: float = 15.0
    backoff_seconds: float = 0.2  # people.People's retry of a 5xx, doubled each time
    max_task_backoff_seconds: float = 300.0
    # WEBHOOK_ALLOW_PRIVATE_TARGETS: a saved base URL's host is checked again on every new connection
    allow_private_targets: bool = False


def _backoff(attempts: int, options: Options) -> float:
    return min(options.max_task_backoff_seconds, 2.0 ** min(attempts, 12))


class Gone(Exception):
    """The member is no longer there (merged away): nothing to send."""


class ProgramWorker:
    def __init__(self, pool: asyncpg.Pool, *, program_id: uuid.UUID, profiles, limiter: people.Limiter,
                 holder: str, options: Options):
        self._pool = pool
        self.program_id = program_id
        self._profiles = profiles
        self._limiter = limiter
        self._holder = holder
        self._options = options
        self.wake = asyncio.Event()

    async def run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self._options.timeout_seconds)
        connector = targets.connector(allow_private=self._options.allow_private_targets)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            async with tenant_tx(self._pool, self.program_id) as conn:
                # a killed worker's claims: let go now instead of waiting out the claim
                await conn.execute("UPDATE cdp_tasks SET claimed = false, due_at = now() WHERE claimed")
            renewed = 0.0
            loop = asyncio.get_running_loop()
            while True:
                async with tenant_tx(self._pool, self.program_id) as conn:
                    connector = await cdp.connector_of(conn)
                if connector is None or not connector.active:
                    return
                if loop.time() - renewed > self._options.lease_seconds / 3:
                    if not await self._renew():
                        return  # another process has the program now
                    renewed = loop.time()
                client = people.People(session, base_url=connector.base_url, api_key=connector.api_key,
                                       limiter=self._limiter, rates=connector.rates,
                                       backoff_seconds=self._options.backoff_seconds)
                worked = await self._tasks(client, connector)
                worked += await self._job(client, connector)
                if not worked:
                    self.wake.clear()
                    idle = await self._idle_wait()
                    try:
                        await asyncio.wait_for(self.wake.wait(), idle)
                    except asyncio.TimeoutError:
                        pass

    async def _idle_wait(self) -> float:
        async with tenant_tx(self._pool, self.program_id) as conn:
            due = await conn.fetchval("SELECT extract(epoch FROM min(due_at) - now()) FROM cdp_tasks"
                                      " WHERE status = 'pending' AND NOT claimed")
        return min(self._options.sweep_seconds, max(float(due), 0.01)) if due is not None else self._options.sweep_seconds

    async def _renew(self) -> bool:
        async with global_tx(self._pool) as conn:
            return await conn.fetchval(
                "UPDATE cdp_programs SET leased_by = $2, leased_until = now() + make_interval(secs => $3)"
                " WHERE program_id = $1 AND (leased_by = $2 OR leased_until IS NULL OR leased_until < now())"
                " RETURNING true", self.program_id, self._holder, self._options.lease_seconds) or False

    # ---- tasks ----------------------------------------------------------------------------------

    async def _tasks(self, client: people.People, connector: cdp.Connector) -> int:
        async with tenant_tx(self._pool, self.program_id) as conn:
            claimed = await conn.fetch(
                "WITH heads AS (SELECT DISTINCT ON (loyalty_number) id, due_at, claimed, created_at FROM cdp_tasks"
                "   WHERE status = 'pending' AND kind <> 'attributes'"
                "   ORDER BY loyalty_number, claimed DESC, coalesce(occurred_at, created_at), id),"
                " ready AS ((SELECT id FROM heads WHERE due_at <= now() AND NOT claimed"
                "   AND created_at <= now() - make_interval(secs => $3) ORDER BY id LIMIT $1)"
                "   UNION (SELECT t.id FROM cdp_tasks t WHERE t.status = 'pending' AND t.kind = 'attributes'"
                "     AND NOT t.claimed AND t.due_at <= now() AND NOT EXISTS (SELECT 1 FROM cdp_tasks c"
                "       WHERE c.loyalty_number = t.loyalty_number AND c.status = 'pending' AND c.kind = 'create')"
                "     ORDER BY t.id LIMIT $1))"
                " UPDATE cdp_tasks SET attempts = attempts + 1, claimed = true,"
                "   due_at = now() + make_interval(secs => $2)"
                " WHERE id IN (SELECT id FROM ready) RETURNING *", self._options.batch, self._options.claim_seconds,
                self._options.settle_seconds)
        if not claimed:
            return 0
        gate = asyncio.Semaphore(self._options.concurrency)

        async def one(row) -> None:
            async with gate:
                await self._task(client, connector, row)

        await asyncio.gather(*(one(row) for row in sorted(claimed, key=lambda r: r["id"])))
        return len(claimed)

    async def _task(self, client: people.People, connector: cdp.Connector, row: asyncpg.Record) -> None:
        number, kind = row["loyalty_number"], row["kind"]
        try:
            if kind == "create":
                await self.upsert(client, connector, number, tagged=True)
            elif kind == "attributes":
                await self.upsert(client, connector, number, tagged=None)
            elif kind == "event":
                properties = row["properties"] if isinstance(row["properties"], dict) else json.loads(row["properties"])
                try:
                    await client.event(number, row["event_type"], properties)
                except people.NotFound:  # no person yet (enrolled before the connector): make it, then send
                    await self.upsert(client, connector, number, tagged=True)
                    await client.event(number, row["event_type"], properties)
            elif kind in ("tag", "untag"):
                if connector.tag:
                    await client.tag(connector.tag, [number], remove=kind == "untag")
        except Gone:
            await self._finish(row, status="done", error="the member is no longer in the program")
        except people.Refused as err:
            log.warning("People refused %s of %s: %s", kind, number, err)
            await self._finish(row, status="failed", error=str(err)[:500])
        except Exception as err:  # noqa: BLE001 - People or a service away: kept, tried again later
            log.info("CDP %s of %s to retry: %s", kind, number, err)
            await self._retry(row, error=f"{type(err).__name__}: {err}"[:500])
        else:
            await self._finish(row, status="done", error="")

    async def _finish(self, row: asyncpg.Record, *, status: str, error: str) -> None:
        async with tenant_tx(self._pool, self.program_id) as conn:
            if row["kind"] == "attributes" and status == "done":
                # A change that came while this push was in flight: pushed again after the debounce. The
                # row is locked first: a change counted between a check and the update would be lost (the
                # change waits on the lock, then finds no pending row and queues a new one).
                changes = await conn.fetchval("SELECT changes FROM cdp_tasks WHERE id = $1 FOR UPDATE", row["id"])
                if changes != row["changes"]:
                    await conn.execute(
                        "UPDATE cdp_tasks SET claimed = false, due_at = now() + make_interval(secs => debounce)"
                        " FROM (SELECT debounce_seconds AS debounce FROM cdp_connectors) c WHERE id = $1", row["id"])
                    return
            await conn.execute("UPDATE cdp_tasks SET status = $2, claimed = false, done_at = now(), last_error = $3"
                               " WHERE id = $1", row["id"], status, error)

    async def _retry(self, row: asyncpg.Record, *, error: str) -> None:
        async with tenant_tx(self._pool, self.program_id) as conn:
            await conn.execute("UPDATE cdp_tasks SET claimed = false, last_error = $2,"
                               " due_at = now() + make_interval(secs => $3) WHERE id = $1",
                               row["id"], error, _backoff(row["attempts"], self._options))

    async def upsert(self, client: people.People, connector: cdp.Connector, number: str, *,
                     tagged: bool | None) -> None:
        """The member's person as its profile is now: created, or (it exists) overwritten with the
        person People has merged under ours. `tagged`: True sets the loyalty tag while the member is
        opted in (and takes it off when not), None leaves the tags as they are."""
        found = await self._profiles.profile(self.program_id, number, active_within_days=connector.active_within_days)
        if found is None:
            raise Gone(number)
        wants_tag = bool(connector.tag) and found["opt_in_status"]
        ours = profile.person(found, attributes=connector.attributes, tags=[connector.tag] if wants_tag else [])
        managed = {name for name in connector.attributes.values() if name}
        existing = await client.get(number) if tagged is None else None
        if existing is None:
            try:
                await client.create(ours)
                return
            except people.Conflict:
                existing = await client.get(number)
        await client.replace(number, profile.merged(existing, ours, managed=managed,
                                                    tag=connector.tag if tagged else "", tagged=wants_tag))

    # ---- jobs -----------------------------------------------------------------------------------

    async def _job(self, client: people.People, connector: cdp.Connector) -> int:
        async with tenant_tx(self._pool, self.program_id) as conn:
            job = await conn.fetchrow("SELECT * FROM cdp_jobs WHERE status = 'running' AND due_at <= now()"
                                      " ORDER BY created_at, id LIMIT 1")
        if job is None:
            return 0
        cursor = job["cursor"] if isinstance(job["cursor"], dict) else json.loads(job["cursor"])
        try:
            if job["kind"] == "backfill":
                await self._backfill_chunk(client, connector, job, cursor)
            else:
                await self._tag_chunk(client, connector, job, cursor)
        except Exception as err:  # noqa: BLE001 - People or the member service away: resumes later
            log.info("CDP job %s to retry: %s", job["id"], err)
            async with tenant_tx(self._pool, self.program_id) as conn:
                await conn.execute(
                    "UPDATE cdp_jobs SET attempts = attempts + 1, last_error = $2, updated_at = now(),"
                    " due_at = now() + make_interval(secs => least(300, power(2, least(attempts + 1, 12))))"
                    " WHERE id = $1", job["id"], f"{type(err).__name__}: {err}"[:500])
        return 1

    async def _save(self, job_id: uuid.UUID, *, cursor: dict, done: int = 0, failed: int = 0,
                    finished: bool = False, error: str | None = None) -> None:
        async with tenant_tx(self._pool, self.program_id) as conn:
            await conn.execute(
                "UPDATE cdp_jobs SET cursor = $2::jsonb, done = done + $3, failed = failed + $4, attempts = 0,"
                " status = CASE WHEN $5 THEN 'done' ELSE status END,"
                " total = CASE WHEN $5 AND total IS NULL THEN done + $3 + failed + $4 ELSE total END,"
                " finished_at = CASE WHEN $5 THEN now() END, last_error = coalesce($6, last_error),"
                " updated_at = now() WHERE id = $1",
                job_id, json.dumps(cursor), done, failed, finished, error)

    async def _tag_chunk(self, client: people.People, connector: cdp.Connector, job: asyncpg.Record,
                         cursor: dict) -> None:
        size = connector.tag_batch_size
        if job["loyalty_numbers"] is not None:
            start = int(cursor.get("index", 0))
            chunk = job["loyalty_numbers"][start:start + size]
            following = {"index": start + len(chunk)}
            last = start + len(chunk) >= len(job["loyalty_numbers"])
        else:
            chunk, token = await self._profiles.members_page(self.program_id, page_token=cursor.get("token", ""),
                                                             page_size=min(size, 100))
            following, last = {"token": token}, not token
        error, failed = None, 0
        if chunk:
            try:
                await client.tag(connector.tag, chunk, remove=job["kind"] == "untag")
            except people.Refused as err:  # this batch is refused as it is: counted, the job goes on
                error, failed = str(err)[:500], len(chunk)
        await self._save(job["id"], cursor=following, done=len(chunk) - failed, failed=failed, finished=last,
                         error=error)

    async def _backfill_chunk(self, client: people.People, connector: cdp.Connector, job: asyncpg.Record,
                              cursor: dict) -> None:
        token, skip = cursor.get("token", ""), int(cursor.get("skip", 0))
        page, following = await self._profiles.members_page(self.program_id, page_token=token,
                                                            page_size=self._options.backfill_page)
        for i in range(skip, len(page)):
            failed, error = 0, None
            try:
                await self.upsert(client, connector, page[i], tagged=True)
            except Gone:
                pass
            except people.Refused as err:
                failed, error = 1, f"{page[i]}: {err}"[:500]
            await self._save(job["id"], cursor={"token": token, "skip": i + 1}, done=1 - failed, failed=failed,
                             error=error)
        await self._save(job["id"], cursor={"token": following, "skip": 0}, finished=not following)


class CdpSync(RelayLoop):
    """Starts a worker for each program with an active connector whose lease it gets."""

    name = "cdp-sync"

    def __init__(self, pool: asyncpg.Pool, *, profiles, limiter: people.Limiter | None = None,
                 options: Options | None = None, holder: str | None = None):
        self._options = options or Options()
        super().__init__(sweep_seconds=self._options.sweep_seconds)
        self._pool = pool
        self._profiles = profiles
        self.limiter = limiter or people.Limiter()
        # give the same name to the same process restarted (host and port): it takes its programs back at once
        self._holder = holder or f"{socket.gethostname()}:{uuid.uuid4()}"
        self._workers: dict[uuid.UUID, tuple[ProgramWorker, asyncio.Task]] = {}

    def notify(self, program_id: uuid.UUID | None = None) -> None:
        for worker, _ in self._workers.values():
            if program_id is None or worker.program_id == program_id:
                worker.wake.set()
        if program_id is None or program_id not in self._workers:
            self.kick()

    async def step(self) -> int:
        async with global_tx(self._pool) as conn:
            rows = await conn.fetch(
                "UPDATE cdp_programs SET leased_by = $1, leased_until = now() + make_interval(secs => $2)"
                " WHERE active AND NOT (program_id = ANY($3::uuid[]))"
                " AND (leased_by = $1 OR leased_until IS NULL OR leased_until < now()) RETURNING program_id",
                self._holder, self._options.lease_seconds, list(self._workers))
        for row in rows:
            program_id = row["program_id"]
            worker = ProgramWorker(self._pool, program_id=program_id, profiles=self._profiles, limiter=self.limiter,
                                   holder=self._holder, options=self._options)
            task = asyncio.get_running_loop().create_task(worker.run(), name=f"cdp:{program_id}")
            self._workers[program_id] = (worker, task)
            task.add_done_callback(lambda t, p=program_id: self._done(p, t))
        return 0

    def _done(self, program_id: uuid.UUID, task: asyncio.Task) -> None:
        self._workers.pop(program_id, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("CDP worker of %s failed", program_id, exc_info=task.exception())

    async def stop(self, timeout: float = 10.0) -> None:
        tasks = [task for _, task in self._workers.values()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
        async with global_tx(self._pool) as conn:  # the next process need not wait out the lease
            await conn.execute("UPDATE cdp_programs SET leased_until = NULL WHERE leased_by = $1", self._holder)
        await super().stop()
