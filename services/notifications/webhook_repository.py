"""SQL of webhooks: subscriptions, deliveries and their attempts, the due-subscriptions directory."""

import dataclasses
import datetime as dt
import uuid

import asyncpg

SUBSCRIPTION_COLUMNS = ("id, url, event_types, active, description, created_at, updated_at, secret_rotated_at,"
                        " previous_secret_expires_at")


# ---- subscriptions ---------------------------------------------------------------------------

async def count_subscriptions(conn: asyncpg.Connection) -> int:
    return await conn.fetchval("SELECT count(*) FROM subscriptions")


async def insert_subscription(conn: asyncpg.Connection, *, program_id: uuid.UUID, subscription_id: uuid.UUID,
                              url: str, event_types: list[str], active: bool, description: str, secret: str,
                              created_by: str) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO subscriptions(id, program_id, url, event_types, active, description, secret, created_by)"
        f" VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {SUBSCRIPTION_COLUMNS}",
        subscription_id, program_id, url, event_types, active, description, secret, created_by)


async def update_subscription(conn: asyncpg.Connection, *, subscription_id: uuid.UUID, url: str | None,
                              event_types: list[str] | None, active: bool | None,
                              description: str | None) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "UPDATE subscriptions SET url = coalesce($2, url), event_types = coalesce($3, event_types),"
        " active = coalesce($4, active), description = coalesce($5, description), updated_at = now()"
        f" WHERE id = $1 RETURNING {SUBSCRIPTION_COLUMNS}",
        subscription_id, url, event_types, active, description)


async def rotate_secret(conn: asyncpg.Connection, *, subscription_id: uuid.UUID, secret: str,
                        grace: dt.timedelta) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "UPDATE subscriptions SET previous_secret = CASE WHEN $3 > interval '0' THEN secret END,"
        " previous_secret_expires_at = CASE WHEN $3 > interval '0' THEN now() + $3 END,"
        " secret = $2, secret_rotated_at = now(), updated_at = now()"
        f" WHERE id = $1 RETURNING {SUBSCRIPTION_COLUMNS}",
        subscription_id, secret, grace)


async def delete_subscription(conn: asyncpg.Connection, *, subscription_id: uuid.UUID) -> bool:
    await conn.execute("DELETE FROM due_subscriptions WHERE subscription_id = $1", subscription_id)
    return (await conn.execute("DELETE FROM subscriptions WHERE id = $1", subscription_id)) != "DELETE 0"


async def list_subscriptions(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions ORDER BY created_at, id")


async def subscription(conn: asyncpg.Connection, subscription_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = $1", subscription_id)


async def sending_details(conn: asyncpg.Connection, subscription_id: uuid.UUID) -> asyncpg.Record | None:
    """URL, whether active, and the secrets that sign now."""
    return await conn.fetchrow(
        "SELECT url, active, secret, CASE WHEN previous_secret_expires_at > now() THEN previous_secret END"
        " AS previous_secret FROM subscriptions WHERE id = $1", subscription_id)


# ---- deliveries ------------------------------------------------------------------------------

async def fan_out(conn: asyncpg.Connection, *, program_id: uuid.UUID, sequences: list[int]) -> int:
    """A live delivery of each new event to each active subscription whose filter names its type."""
    rows = await conn.fetch(
        "INSERT INTO deliveries(program_id, subscription_id, event_id, event_sequence, member_key)"
        " SELECT e.program_id, s.id, e.id, e.sequence, coalesce(e.member_id::text, '')"
        " FROM events e JOIN subscriptions s ON s.active AND e.type = ANY(s.event_types)"
        " WHERE e.sequence = ANY($1::bigint[]) ORDER BY e.sequence"
        " ON CONFLICT DO NOTHING RETURNING subscription_id", sequences)
    await mark_due(conn, program_id=program_id, subscription_ids=list({r["subscription_id"] for r in rows}))
    return len(rows)


async def mark_due(conn: asyncpg.Connection, *, program_id: uuid.UUID, subscription_ids: list[uuid.UUID]) -> None:
    if subscription_ids:
        await conn.execute(
            "INSERT INTO due_subscriptions(subscription_id, program_id, due_at)"
            " SELECT unnest($2::uuid[]), $1, now()"
            " ON CONFLICT (subscription_id) DO UPDATE SET due_at = least(due_subscriptions.due_at, excluded.due_at)",
            program_id, sorted(subscription_ids))


async def copy_deliveries(conn: asyncpg.Connection, *, program_id: uuid.UUID, subscription_id: uuid.UUID,
                          kind: str, event_ids: list[uuid.UUID]) -> list[int]:
    """New pending deliveries of these events to the subscription (redelivery, replay)."""
    rows = await conn.fetch(
        "INSERT INTO deliveries(program_id, subscription_id, event_id, event_sequence, member_key, kind)"
        " SELECT program_id, $1, id, sequence, coalesce(member_id::text, ''), $2 FROM events"
        " WHERE id = ANY($3::uuid[]) ORDER BY sequence RETURNING id", subscription_id, kind, event_ids)
    await mark_due(conn, program_id=program_id, subscription_ids=[subscription_id])
    return [r["id"] for r in rows]


async def events_in_range(conn: asyncpg.Connection, *, event_types: list[str], since: dt.datetime,
                          until: dt.datetime, limit: int) -> list[uuid.UUID]:
    rows = await conn.fetch(
        "SELECT id FROM events WHERE occurred_at >= $1 AND occurred_at < $2 AND type = ANY($3::text[])"
        " ORDER BY sequence LIMIT $4", since, until, event_types, limit)
    return [r["id"] for r in rows]


DELIVERY_COLUMNS = ("d.id, d.subscription_id, d.event_id, e.type AS event_type, d.kind, d.status, d.attempts,"
                    " d.next_attempt_at, d.last_attempt_at, d.last_status_code, d.last_latency_ms, d.last_error,"
                    " d.delivered_at, d.created_at")


async def delivery(conn: asyncpg.Connection, delivery_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {DELIVERY_COLUMNS} FROM deliveries d JOIN events e ON e.id = d.event_id"
                               " WHERE d.id = $1", delivery_id)


async def list_deliveries(conn: asyncpg.Connection, *, subscription_id: uuid.UUID, status: str, before_id: int,
                          limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {DELIVERY_COLUMNS} FROM deliveries d JOIN events e ON e.id = d.event_id"
        " WHERE d.subscription_id = $1 AND ($2 = '' OR d.status = $2) AND ($3 = 0 OR d.id < $3)"
        " ORDER BY d.id DESC LIMIT $4", subscription_id, status, before_id, limit)


async def attempts_of(conn: asyncpg.Connection, delivery_ids: list[int]) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT delivery_id, attempted_at, status_code, latency_ms, error FROM delivery_attempts"
        " WHERE delivery_id = ANY($1::bigint[]) ORDER BY delivery_id, id", delivery_ids)


# ---- sending ---------------------------------------------------------------------------------

async def due_batch(conn: asyncpg.Connection, *, subscription_id: uuid.UUID, limit: int) -> list[asyncpg.Record]:
    """Due deliveries, at most one per member: a member's later delivery waits while an earlier one
    of the same subscription is still pending (retrying), so each member's events arrive in order."""
    return await conn.fetch(
        "SELECT d.id, d.attempts, d.created_at, e.id AS event_id, e.type, e.version, e.program_id, e.occurred_at,"
        " e.member_id, e.loyalty_number, e.data, e.sequence FROM deliveries d JOIN events e ON e.id = d.event_id"
        " WHERE d.subscription_id = $1 AND d.status = 'pending' AND d.next_attempt_at <= now()"
        " AND NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.subscription_id = d.subscription_id"
        "   AND p.status = 'pending' AND p.member_key = d.member_key"
        "   AND (p.event_sequence, p.id) < (d.event_sequence, d.id))"
        " ORDER BY d.event_sequence, d.id LIMIT $2", subscription_id, limit)


@dataclasses.dataclass(frozen=True)
class AttemptResult:
    delivery_id: int
    ok: bool
    status_code: int | None
    latency_ms: int
    error: str | None
    retry_in: dt.timedelta | None  # on a failure, None: retries are over, the delivery is dead-lettered


async def record_attempts(conn: asyncpg.Connection, *, program_id: uuid.UUID, results: list[AttemptResult]) -> None:
    """Each attempt into the log and its delivery's state, in one statement."""
    await conn.execute(
        """
        WITH r AS (
            SELECT * FROM unnest($2::bigint[], $3::bool[], $4::int[], $5::int[], $6::text[], $7::float8[])
                AS r(id, ok, status_code, latency_ms, error, retry_seconds)
        ), logged AS (
            INSERT INTO delivery_attempts(program_id, delivery_id, status_code, latency_ms, error)
            SELECT $1, id, status_code, latency_ms, error FROM r
        )
        UPDATE deliveries d SET attempts = d.attempts + 1, last_attempt_at = now(), last_status_code = r.status_code,
            last_latency_ms = r.latency_ms, last_error = r.error,
            status = CASE WHEN r.ok THEN 'delivered' WHEN r.retry_seconds IS NULL THEN 'dead' ELSE 'pending' END,
            delivered_at = CASE WHEN r.ok THEN now() END,
            next_attempt_at = CASE WHEN NOT r.ok AND r.retry_seconds IS NOT NULL
                                   THEN now() + make_interval(secs => r.retry_seconds) ELSE d.next_attempt_at END
        FROM r WHERE d.id = r.id
        """,
        program_id, [r.delivery_id for r in results], [r.ok for r in results], [r.status_code for r in results],
        [r.latency_ms for r in results], [r.error for r in results],
        [r.retry_in.total_seconds() if r.retry_in is not None else None for r in results])


# The deliveries at the head of their member's queue: the only ones that can be sent next.
_HEADS = ("SELECT min(d.next_attempt_at) FROM deliveries d WHERE d.subscription_id = $1 AND d.status = 'pending'"
          " AND NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.subscription_id = d.subscription_id"
          "   AND p.status = 'pending' AND p.member_key = d.member_key"
          "   AND (p.event_sequence, p.id) < (d.event_sequence, d.id))")


async def next_due(conn: asyncpg.Connection, subscription_id: uuid.UUID) -> dt.datetime | None:
    """When the subscription's next delivery can be sent (None: nothing pending)."""
    return await conn.fetchval(_HEADS, subscription_id)


# ---- the due directory (no program: ids and times only) --------------------------------------

async def due_subscriptions(conn: asyncpg.Connection, *, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT subscription_id, program_id FROM due_subscriptions WHERE due_at <= now()"
        " AND (leased_until IS NULL OR leased_until < now()) ORDER BY due_at LIMIT $1", limit)


async def lease(conn: asyncpg.Connection, *, subscription_id: uuid.UUID, holder: str,
                seconds: float) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "UPDATE due_subscriptions SET leased_until = now() + make_interval(secs => $3), leased_by = $2"
        " WHERE subscription_id = $1 AND (leased_until IS NULL OR leased_until < now() OR leased_by = $2)"
        " RETURNING program_id", subscription_id, holder, seconds)


async def settle_due(conn: asyncpg.Connection, *, subscription_id: uuid.UUID, holder: str, park: bool) -> None:
    """The worker is done: the row says when its next delivery is due (infinity: none, or `park`: the
    subscription is paused) and is free. The row is locked first, so an event fanned out meanwhile
    (which updates the row in its own transaction) is either seen below or moves due_at back to now
    after this commits."""
    await conn.execute("SELECT 1 FROM due_subscriptions WHERE subscription_id = $1 FOR UPDATE", subscription_id)
    await conn.execute(
        f"UPDATE due_subscriptions SET due_at = CASE WHEN $3 THEN 'infinity' ELSE coalesce(({_HEADS}), 'infinity') END,"
        " leased_until = NULL, leased_by = NULL WHERE subscription_id = $1 AND leased_by = $2",
        subscription_id, holder, park)
