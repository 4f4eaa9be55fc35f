"""Outbox rows out to the notifications service, after commit, at least once, in order per program.

Each service that writes business events runs one `OutboxExport` beside its own relay: it reads
the rows not yet exported (`exported_at IS NULL`, migrations/0000_kernel_export.sql) in id order
and sends each program's run of rows as one batch. A program whose batch is refused waits out a
backoff while the other programs' rows go on; its own rows keep their order (none of them is sent
until the first is). One process of a service exports at a time (an advisory lock). Nothing here
waits on the business path: the service's relay kick also kicks the export (`follow`).
"""

import datetime as dt
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable

import asyncpg

from services.common import clients
from services.common.db import global_tx
from services.common.outbox import RelayLoop

log = logging.getLogger(__name__)

# (program_id, source, rows) -> None; raises when the receiver refused the batch
Send = Callable[[uuid.UUID, str, list[asyncpg.Record]], Awaitable[None]]


class OutboxExport(RelayLoop):
    name = "outbox-export"
    MAX_REFUSED_PROGRAMS_PER_PASS = 20  # bounds the calls a pass makes to a receiver that is down

    def __init__(self, pool: asyncpg.Pool, *, source: str, send: Send, sweep_seconds: float = 1.0,
                 batch_size: int = 200, max_backoff: float = 30.0, linger_seconds: float = 0.0):
        super().__init__(sweep_seconds=sweep_seconds, linger_seconds=linger_seconds)
        self._pool = pool
        self._source = source
        self._send = send
        self._batch = batch_size
        self._max_backoff = max_backoff
        self._backoff: dict[uuid.UUID, tuple[int, float]] = {}
        self._lock = int.from_bytes(hashlib.sha256(f"outbox-export:{source}".encode()).digest()[:8], "big",
                                    signed=True)

    async def step(self) -> int:
        return await self.export_once()

    def _waiting(self) -> list[uuid.UUID]:
        now = time.monotonic()
        return [program for program, (_, due) in self._backoff.items() if due > now]

    def _failed(self, program_id: uuid.UUID, exc: Exception) -> None:
        attempts, _ = self._backoff.get(program_id, (0, 0.0))
        delay = min(self._max_backoff, 0.5 * 2 ** attempts)
        self._backoff[program_id] = (attempts + 1, time.monotonic() + delay)
        log.warning("export of program %s events failed (retry in %.1fs): %s", program_id, delay, exc)

    async def export_once(self) -> int:
        """One batch of one program's consecutive rows; returns how many rows it exported."""
        async with global_tx(self._pool) as conn:
            if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", self._lock):
                return 0  # another process of this service is exporting
            for _ in range(self.MAX_REFUSED_PROGRAMS_PER_PASS + 1):
                rows = await conn.fetch(
                    "SELECT id, program_id, event_type, payload, created_at FROM outbox WHERE exported_at IS NULL"
                    " AND program_id <> ALL($2::uuid[]) ORDER BY id LIMIT $1", self._batch, self._waiting())
                if not rows:
                    return 0
                self._backlog = self._backlog or len(rows) == self._batch
                end = 0
                while end < len(rows) and rows[end]["program_id"] == rows[0]["program_id"]:
                    end += 1
                chunk = rows[:end]
                # migrated history is not news: marked exported without sending
                live = [r for r in chunk if not (isinstance(r["payload"], dict) and r["payload"].get("imported"))]
                try:
                    if live:
                        await self._send(chunk[0]["program_id"], self._source, live)
                    break
                except Exception as exc:  # that program waits; the next one's rows go on
                    self._failed(chunk[0]["program_id"], exc)
            else:
                return 0
            self._backoff.pop(chunk[0]["program_id"], None)
            await conn.execute("UPDATE outbox SET exported_at = now() WHERE id = ANY($1::bigint[])",
                               [r["id"] for r in chunk])
            return len(chunk)


def _rfc3339(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


# (stub, batch, metadata=, timeout=) -> awaitable: the call itself is written in each service's own code,
# so the mesh's map of who calls what (scripts/grpc_calls.py) sees it under that service
Consume = Callable[..., Awaitable]


def grpc_sender(channel, consume: Consume) -> Send:
    # imported here so that a process which exports nothing needs no notifications protos
    from loyalty.notifications.v1 import notifications_service_pb2 as pb
    from loyalty.notifications.v1 import notifications_service_pb2_grpc as pb_grpc

    stub = pb_grpc.NotificationsServiceStub(channel)

    async def send(program_id: uuid.UUID, source: str, rows: list[asyncpg.Record]) -> None:
        batch = pb.SourceEventBatch(source=source, events=[
            pb.SourceEvent(outbox_id=r["id"], event_type=r["event_type"], recorded_at=_rfc3339(r["created_at"]),
                           payload_json=json.dumps(r["payload"], default=str)) for r in rows])
        await clients.call(consume(stub, batch, timeout=10,
                                   metadata=clients.metadata(program_id=program_id, principal=f"service:{source}")))

    return send


def start_export(pool: asyncpg.Pool, settings, *, source: str, consume: Consume,
                 relay: RelayLoop | None = None) -> OutboxExport | None:
    """The export of this service's outbox when NOTIFICATIONS_ADDR is set (else nothing leaves);
    `relay`'s kicks (after each business commit) kick it too, and it lets events gather as long as it."""
    address = getattr(settings, "notifications_addr", None)
    if not address:
        return None
    export = OutboxExport(pool, source=source, send=grpc_sender(clients.channel(address), consume),
                          linger_seconds=relay.linger_seconds if relay is not None else 0.0)
    export.start()
    if relay is not None:
        relay.follow(export)
    return export
