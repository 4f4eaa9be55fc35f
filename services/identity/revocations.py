"""The revocation feed: PostgreSQL NOTIFY on `loyalty_revocations` (sessions revoked here, API keys
revoked or deleted in the member service's table) fanned out to every watching gateway.

A watcher first gets the sessions revoked recently (what it may have missed while disconnected),
then every revocation as it commits."""

import asyncio
import contextlib
import logging

import asyncpg

log = logging.getLogger(__name__)

CHANNEL = "loyalty_revocations"


class RevocationHub:
    def __init__(self, dsn: str):
        self._dsn = dsn
        self._watchers: set[asyncio.Queue] = set()
        self._task: asyncio.Task | None = None
        self._listening = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._listen(), name="revocation-listener")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def wait_listening(self, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self._listening.wait(), timeout)

    def _on_notify(self, conn, pid, channel, payload: str) -> None:
        kind, _, ident = payload.partition(":")
        for queue in list(self._watchers):
            queue.put_nowait((kind, ident))

    def _drop_all(self) -> None:
        # A watcher that may have missed events must start again (its gateway then forgets what it cached).
        for queue in list(self._watchers):
            queue.put_nowait(None)

    async def _listen(self) -> None:
        while True:
            conn = None
            try:
                conn = await asyncpg.connect(self._dsn)
                await conn.add_listener(CHANNEL, self._on_notify)
                self._listening.set()
                while not conn.is_closed():
                    await asyncio.sleep(1)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("revocation listener lost its connection: %s; reconnecting", exc)
            finally:
                self._listening.clear()
                self._drop_all()
                if conn is not None and not conn.is_closed():
                    with contextlib.suppress(Exception):
                        await conn.close()
            await asyncio.sleep(0.5)

    @contextlib.contextmanager
    def watch(self):
        queue: asyncio.Queue = asyncio.Queue()
        self._watchers.add(queue)
        try:
            yield queue
        finally:
            self._watchers.discard(queue)

    @property
    def listening(self) -> bool:
        return self._listening.is_set()


async def recently_revoked_sessions(pool: asyncpg.Pool, seconds: int) -> list[str]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT id FROM sessions WHERE revoked_at > now() - make_interval(secs => $1)",
                                float(seconds))
    return [str(r["id"]) for r in rows]
