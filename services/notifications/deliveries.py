"""A subscription's delivery log, and deliveries made by hand: one event again (redeliver), or every
event of a time range that the subscription's filter names (replay)."""

import dataclasses
import datetime as dt
import uuid

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import invalid, not_found
from services.notifications import webhook_repository as repo

STATUSES = ("pending", "delivered", "dead")
MAX_LIST = 200
MAX_REPLAY = 10_000


@dataclasses.dataclass(frozen=True)
class Attempt:
    attempted_at: dt.datetime
    status_code: int | None
    latency_ms: int
    error: str | None


@dataclasses.dataclass(frozen=True)
class Delivery:
    id: int
    subscription_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    kind: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None
    last_attempt_at: dt.datetime | None
    last_status_code: int | None
    last_latency_ms: int | None
    last_error: str | None
    delivered_at: dt.datetime | None
    created_at: dt.datetime
    attempt_log: tuple[Attempt, ...] = ()

    @classmethod
    def from_row(cls, row: asyncpg.Record, attempts=()) -> "Delivery":
        values = {f.name: row[f.name] for f in dataclasses.fields(cls) if f.name != "attempt_log"}
        if values["status"] != "pending":
            values["next_attempt_at"] = None
        return cls(**values, attempt_log=tuple(attempts))


async def _with_attempts(conn: asyncpg.Connection, rows: list[asyncpg.Record]) -> list[Delivery]:
    by_delivery: dict[int, list[Attempt]] = {}
    for a in await repo.attempts_of(conn, [r["id"] for r in rows]):
        by_delivery.setdefault(a["delivery_id"], []).append(
            Attempt(a["attempted_at"], a["status_code"], a["latency_ms"], a["error"]))
    return [Delivery.from_row(r, by_delivery.get(r["id"], ())) for r in rows]


async def list_log(pool: asyncpg.Pool, *, program_id: uuid.UUID, subscription_id: uuid.UUID, status: str = "",
                   before_id: int = 0, limit: int = 50) -> list[Delivery]:
    """Newest first; `before_id` pages on."""
    if status and status not in STATUSES:
        raise invalid("status", f"{status!r} is not one of {list(STATUSES)}")
    if not 0 < limit <= MAX_LIST:
        raise invalid("first", f"must be between 1 and {MAX_LIST}")
    async with tenant_tx(pool, program_id) as conn:
        if await repo.subscription(conn, subscription_id) is None:
            raise not_found("webhook subscription", str(subscription_id))
        rows = await repo.list_deliveries(conn, subscription_id=subscription_id, status=status,
                                          before_id=before_id, limit=limit)
        return await _with_attempts(conn, rows)


async def redeliver(pool: asyncpg.Pool, *, program_id: uuid.UUID, delivery_id: int) -> Delivery:
    """A new delivery of the same event (same event id) to the same subscription, due now."""
    async with tenant_tx(pool, program_id) as conn:
        original = await repo.delivery(conn, delivery_id)
        if original is None:
            raise not_found("webhook delivery", str(delivery_id))
        (made,) = await repo.copy_deliveries(conn, program_id=program_id, subscription_id=original["subscription_id"],
                                             kind="redelivery", event_ids=[original["event_id"]])
        return Delivery.from_row(await repo.delivery(conn, made))


async def replay(pool: asyncpg.Pool, *, program_id: uuid.UUID, subscription_id: uuid.UUID, since: dt.datetime,
                 until: dt.datetime) -> int:
    """Delivers again every event that occurred in [since, until) of a type the subscription's filter
    names; returns how many."""
    if since.tzinfo is None or until.tzinfo is None:
        raise invalid("from", "give times with their offset (RFC 3339)")
    if until <= since:
        raise invalid("to", "must be after from")
    async with tenant_tx(pool, program_id) as conn:
        sub = await repo.subscription(conn, subscription_id)
        if sub is None:
            raise not_found("webhook subscription", str(subscription_id))
        ids = await repo.events_in_range(conn, event_types=list(sub["event_types"]), since=since, until=until,
                                         limit=MAX_REPLAY + 1)
        if len(ids) > MAX_REPLAY:
            raise invalid("to", f"the range holds more than {MAX_REPLAY} events: replay it in parts")
        made = await repo.copy_deliveries(conn, program_id=program_id, subscription_id=subscription_id,
                                          kind="replay", event_ids=ids)
    return len(made)
