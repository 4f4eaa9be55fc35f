"""Domain events written in the business transaction, relayed after commit (at least once).

A change writes its event with `add_event` in the same transaction. After commit the caller
kicks the relay, which delivers at once; a failed delivery is retried with backoff, and a
periodic sweep picks up anything a crash left behind.
"""

import asyncio
import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence

import asyncpg
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.db import global_tx
from services.common.jobs import JobContext, Jobs, arg

log = logging.getLogger(__name__)

Handler = Callable[[dict], Awaitable[None]]


async def add_event(conn: asyncpg.Connection, *, program_id: uuid.UUID, event_type: str, payload: dict) -> int:
    return await conn.fetchval(
        "INSERT INTO outbox(program_id, event_type, payload) VALUES ($1, $2, $3) RETURNING id",
        program_id, event_type, payload,
    )


class RelayLoop:
    """Runs `step()` right after each `kick()` and every `sweep_seconds`, until a step finds nothing
    to do. A failing step is logged and retried at the next kick or sweep; nothing is lost."""

    name = "relay"

    def __init__(self, *, sweep_seconds: float, linger_seconds: float = 0.0):
        self._sweep_seconds = sweep_seconds
        self.linger_seconds = linger_seconds
        self._backlog = False  # the last pass read a full batch: the next one goes at once
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._followers: list[RelayLoop] = []

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def kick(self) -> None:
        self._wake.set()
        for follower in self._followers:
            follower.kick()

    def follow(self, other: "RelayLoop") -> None:
        """`other` is kicked whenever this loop is (the outbox export follows the service's relay)."""
        self._followers.append(other)

    async def step(self) -> int:
        raise NotImplementedError

    async def paced_step(self) -> int:
        """`step()`, after letting events gather for `linger_seconds` unless the last pass left a backlog.
        A pass costs about the same whatever its batch holds (a transaction here, a call and a transaction
        at the receiver): under load, passes right after every commit carried one or two events each."""
        if self.linger_seconds and not self._backlog:
            await self._gather()
        self._backlog = False
        return await self.step()

    async def _gather(self) -> None:
        await asyncio.sleep(self.linger_seconds)

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._sweep_seconds)
            self._wake.clear()
            try:
                while await self.paced_step():
                    pass
            except Exception:
                log.exception("%s failed; will retry", self.name)


class OutboxRelay(RelayLoop):
    name = "outbox-relay"

    def __init__(self, pool: asyncpg.Pool, handlers: dict[str, Handler], *, sweep_seconds: float = 5.0):
        super().__init__(sweep_seconds=sweep_seconds)
        self._pool = pool
        self._handlers = handlers

    async def step(self) -> int:
        return await self.deliver_batch()

    async def deliver_batch(self, limit: int = 100) -> int:
        """Deliver due events in id order; returns how many were attempted."""
        async with global_tx(self._pool) as conn:
            rows = await conn.fetch(
                "SELECT id, program_id, event_type, payload FROM outbox"
                " WHERE delivered_at IS NULL AND next_attempt_at <= now()"
                " ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
                limit,
            )
            for row in rows:
                handler = self._handlers.get(row["event_type"])
                try:
                    if handler is not None:
                        await handler({**row["payload"], "program_id": str(row["program_id"]), "event_id": row["id"]})
                except Exception as exc:  # delivery is retried; the event is never lost
                    log.warning("delivery of outbox event %s failed: %s", row["id"], exc)
                    await conn.execute(
                        "UPDATE outbox SET attempts = attempts + 1, last_error = $2,"
                        " next_attempt_at = now() + least(interval '1 second' * power(2, attempts), interval '5 minutes')"
                        " WHERE id = $1",
                        row["id"], str(exc)[:500],
                    )
                else:
                    await conn.execute("UPDATE outbox SET delivered_at = now() WHERE id = $1", row["id"])
        if rows:  # called directly after a commit (member enrolment): the followers' turn too
            for follower in self._followers:
                follower.kick()
        return len(rows)


# An outbox row is done once its service's consumers have it (delivered_at) and it has left the
# platform (exported_at: '-infinity' for rows written before the export existed). Nothing reads a done
# row again, so past the retention it is deleted, oldest first, a batch per transaction.
_DONE = ("SELECT id FROM outbox WHERE delivered_at < $1 AND (exported_at < $1 OR ($2 AND exported_at IS NULL))"
         " ORDER BY id LIMIT $3")


async def prune_done(pool: asyncpg.Pool, *, before: dt.datetime, unexported: bool = False, batch: int = 5000,
                     dependents: Sequence[str] = ()) -> int:
    """Deletes done rows older than `before`; returns how many. `unexported` also takes rows never
    exported (a platform running without the notifications service). `dependents` are statements that
    delete what refers to the batch's ids ($1) first, in the same transaction."""
    pruned = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            ids = [r["id"] for r in await conn.fetch(_DONE, before, unexported, batch)]
            if ids:
                for statement in dependents:
                    await conn.execute(statement, ids)
                await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", ids)
        pruned += len(ids)
        if len(ids) < batch:
            return pruned


class PruneSettings(BaseSettings):
    """The prune needs the database alone, not the service's peers."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str
    log_level: str = "INFO"


def declare_prune(jobs: Jobs, *, dependents: Sequence[str] = ()) -> None:
    """The service's `prune-outbox` job (one per service that writes an outbox)."""
    @jobs.job("prune-outbox", help="delete outbox events delivered and exported before the retention", args=[
        arg("--keep-days", type=int, default=7, help="keep done events this many days (default 7, at least 1)"),
        arg("--unexported", action="store_true",
            help="also delete delivered events never exported (a platform without the notifications service)"),
        arg("--batch", type=int, default=5000, help="events deleted per transaction")], settings=PruneSettings)
    async def prune_outbox(ctx: JobContext) -> int:
        if ctx.args.keep_days < 1:
            raise SystemExit(f"--keep-days: {ctx.args.keep_days} is under 1 day")
        if ctx.args.batch < 1:
            raise SystemExit(f"--batch: {ctx.args.batch} is under 1")
        before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=ctx.args.keep_days)
        pruned = await prune_done(ctx.pool, before=before, unexported=ctx.args.unexported, batch=ctx.args.batch,
                                  dependents=dependents)
        log.info("pruned %d outbox events done before %s", pruned, before.isoformat())
        print(f"pruned {pruned} outbox events", flush=True)
        return 0
