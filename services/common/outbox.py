"""Domain events written in the business transaction, relayed after commit (at least once).

A change writes its event with `add_event` in the same transaction. After commit the caller
kicks the relay, which delivers at once; a failed delivery is retried with backoff, and a
periodic sweep picks up anything a crash left behind.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable

import asyncpg

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

    def __init__(self, *, sweep_seconds: float):
        self._sweep_seconds = sweep_seconds
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

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._sweep_seconds)
            self._wake.clear()
            try:
                while await self.step():
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
        async with self._pool.acquire() as conn, conn.transaction():
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
