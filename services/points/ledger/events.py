"""Ledger events to the services that react to postings, at least once, per subscriber.

Every posting writes a loyalty.common.v1.LedgerEvent to the outbox in its own transaction. This
relay delivers them in batches, ordered by id, to each subscriber's ConsumeLedgerEvents. Delivery
is tracked per subscriber (outbox_deliveries), so a consumer that is down or not yet implemented
(UNAVAILABLE, UNIMPLEMENTED) is retried with backoff while the others carry on, and nobody gets
a batch twice unless a crash interrupts between send and record (consumers dedupe by event_id).
Subscribers register themselves in outbox_subscribers; an event is marked delivered (and leaves
the relay's working set) once every registered subscriber has it. A subscriber that is retired for
good is deregistered by deleting its row.
"""

import hashlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor

from loyalty.billing.v1 import billing_service_pb2_grpc
from loyalty.common.v1 import events_pb2
from loyalty.member.v1 import member_service_pb2_grpc
from loyalty.tier.v1 import tier_service_pb2_grpc
from services.common import clients
from services.common.db import global_tx
from services.common.outbox import RelayLoop

log = logging.getLogger(__name__)

Send = Callable[[uuid.UUID, events_pb2.LedgerEventBatch], Awaitable[None]]


_PY_TYPES = {FieldDescriptor.TYPE_STRING: str, FieldDescriptor.TYPE_INT64: int, FieldDescriptor.TYPE_BOOL: bool}
_EVENT_FIELDS = {f.name: _PY_TYPES[f.type] for f in events_pb2.LedgerEvent.DESCRIPTOR.fields}
_JSON_NAMES = frozenset(f.json_name for f in events_pb2.LedgerEvent.DESCRIPTOR.fields) - set(_EVENT_FIELDS)


def to_event(row: asyncpg.Record) -> events_pb2.LedgerEvent:
    """The outbox row as the proto. The constructor takes what postings write (field names, JSON
    types that are already the fields' types) at a tenth of json_format's cost, which was 4% of the
    points service's CPU per earn; anything else goes through json_format as before."""
    payload = {**row["payload"], "event_id": str(row["id"]), "program_id": str(row["program_id"])}
    if _JSON_NAMES.isdisjoint(payload):
        fields = {k: v for k, v in payload.items() if k in _EVENT_FIELDS and v is not None}
        if all(type(v) is _EVENT_FIELDS[k] for k, v in fields.items()):
            try:
                return events_pb2.LedgerEvent(**fields)
            except ValueError:  # out of range
                pass
    return json_format.ParseDict(payload, events_pb2.LedgerEvent(), ignore_unknown_fields=True)


def grpc_sender(stub) -> Send:
    async def send(program_id: uuid.UUID, batch: events_pb2.LedgerEventBatch) -> None:
        await clients.call(stub.ConsumeLedgerEvents(
            batch, metadata=clients.metadata(program_id=program_id, principal="service:points"), timeout=10))

    return send


def subscribers_from_settings(settings) -> tuple[dict[str, Send], list]:
    """MEMBER_ADDR, TIER_ADDR, BILLING_ADDR: each optional; returns senders and channels to close."""
    made, channels = {}, []
    for name, address, stub_type in (
        ("member", getattr(settings, "member_addr", None), member_service_pb2_grpc.MemberServiceStub),
        ("tier", getattr(settings, "tier_addr", None), tier_service_pb2_grpc.TierServiceStub),
        ("billing", getattr(settings, "billing_addr", None), billing_service_pb2_grpc.BillingServiceStub),
    ):
        if address:
            channel = clients.channel(address)
            channels.append(channel)
            made[name] = grpc_sender(stub_type(channel))
    return made, channels


class LedgerEventRelay(RelayLoop):
    name = "ledger-event-relay"
    MAX_REFUSED_PROGRAMS_PER_PASS = 20  # bounds the calls a pass makes to a subscriber that is down

    def __init__(self, pool: asyncpg.Pool, subscribers: dict[str, Send], *, sweep_seconds: float = 1.0,
                 batch_size: int = 100, max_backoff: float = 60.0, linger_seconds: float = 0.0):
        super().__init__(sweep_seconds=sweep_seconds, linger_seconds=linger_seconds)
        self._pool = pool
        self._subscribers = subscribers
        self._batch = batch_size
        self._max_backoff = max_backoff
        self._backoff: dict[tuple[str, uuid.UUID], tuple[int, float]] = {}
        self._registered = False

    async def step(self) -> int:
        return await self.deliver_once()

    async def deliver_once(self) -> int:
        """One batch to each subscriber that is due; returns how many events were delivered."""
        if not self._registered and self._subscribers:
            async with self._pool.acquire() as conn:
                await conn.execute("INSERT INTO outbox_subscribers(subscriber) SELECT unnest($1::text[])"
                                   " ON CONFLICT DO NOTHING", list(self._subscribers))
            self._registered = True
        if not self._subscribers:  # nobody to deliver to: clear the working set unless others subscribe
            async with self._pool.acquire() as conn:
                done = await conn.execute(
                    "UPDATE outbox SET delivered_at = now() WHERE id IN (SELECT id FROM outbox"
                    " WHERE delivered_at IS NULL ORDER BY id LIMIT $1)"
                    " AND NOT EXISTS (SELECT 1 FROM outbox_subscribers)", self._batch * 10)
            return 0 if done.endswith(" 0") else 1
        delivered = 0
        for name, send in self._subscribers.items():
            delivered += await self._deliver(name, send)
        return delivered

    def _waiting(self, name: str) -> list[uuid.UUID]:
        """Programs whose events this subscriber refused lately: their turn comes after a backoff,
        and meanwhile other programs' events go on (order is kept within a program)."""
        now = time.monotonic()
        return [program for (subscriber, program), (_, due) in self._backoff.items()
                if subscriber == name and due > now]

    def _failed(self, name: str, program_id: uuid.UUID, exc: Exception) -> None:
        attempts, _ = self._backoff.get((name, program_id), (0, 0.0))
        delay = min(self._max_backoff, 0.5 * 2 ** attempts)
        self._backoff[(name, program_id)] = (attempts + 1, time.monotonic() + delay)
        log.warning("ledger events of program %s to %s failed (retry in %.1fs): %s", program_id, name, delay, exc)

    async def _deliver(self, name: str, send: Send) -> int:
        lock = int.from_bytes(hashlib.sha256(f"ledger-events:{name}".encode()).digest()[:8], "big", signed=True)
        async with global_tx(self._pool) as conn:
            if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", lock):
                return 0  # another process of this service is delivering to this subscriber
            for _ in range(self.MAX_REFUSED_PROGRAMS_PER_PASS + 1):
                rows = await conn.fetch(DUE, name, self._batch, self._waiting(name))
                if not rows:
                    return 0
                self._backlog = self._backlog or len(rows) == self._batch
                # one send per transaction: the first run of consecutive events of one program
                end = 0
                while end < len(rows) and rows[end]["program_id"] == rows[0]["program_id"]:
                    end += 1
                chunk = rows[:end]
                try:
                    await send(chunk[0]["program_id"],
                               events_pb2.LedgerEventBatch(events=[to_event(r) for r in chunk]))
                    break
                except Exception as exc:  # that program waits; the next one's events go on
                    self._failed(name, chunk[0]["program_id"], exc)
            else:
                return 0
            self._backoff.pop((name, chunk[0]["program_id"]), None)
            ids = [r["id"] for r in chunk]
            await conn.execute(
                "INSERT INTO outbox_deliveries(subscriber, event_id) SELECT $1, unnest($2::bigint[])"
                " ON CONFLICT DO NOTHING", name, ids)
            await conn.execute(DELIVERED, ids)
            return len(chunk)


# What a subscriber lacks, oldest first, but the programs it waits on. Each event's delivery is probed by
# its key (OFFSET 0 keeps the NOT EXISTS a probe per event): as an anti-join, the planner read every
# delivery of the subscriber per event whenever the table's statistics lagged behind its growth, which
# they always do on a busy relay (15-48 ms a batch: the costliest statement per earn). The order is
# served by outbox_undelivered_id (kernel migration 0000_kernel_undelivered).
DUE = ("SELECT o.id, o.program_id, o.payload FROM outbox o WHERE o.delivered_at IS NULL"
       " AND NOT EXISTS (SELECT 1 FROM outbox_deliveries d WHERE d.event_id = o.id AND d.subscriber = $1"
       " OFFSET 0) AND o.program_id <> ALL($3::uuid[])"
       " ORDER BY o.id LIMIT $2")


# Events every registered subscriber has now leave the working set. Each subscriber's delivery is looked
# up by the whole primary key: a count of the event's deliveries joined to the
# subscribers was planned as a scan of every delivery ever recorded per event (the table only grows)
# whenever its statistics lagged, which made the relay the largest part of PostgreSQL's CPU per earn.
DELIVERED = ("UPDATE outbox SET delivered_at = now() WHERE id = ANY($1::bigint[]) AND (SELECT coalesce(bool_and("
             "EXISTS (SELECT FROM outbox_deliveries d WHERE d.subscriber = s.subscriber AND d.event_id = outbox.id)),"
             " true) FROM outbox_subscribers s)")


# The deliveries of events being pruned (outbox.prune_done), by the leading column of their key: one
# probe per event whatever the statistics say (OFFSET 0 keeps it a probe rather than a join).
PRUNED_DELIVERIES = (
    "DELETE FROM outbox_deliveries WHERE ctid = ANY(ARRAY(SELECT found.ctid FROM unnest($1::bigint[]) AS e(id)"
    " CROSS JOIN LATERAL (SELECT d.ctid FROM outbox_deliveries d WHERE d.event_id = e.id OFFSET 0) found))")
