"""SQL of the notifications service (keyword-only arguments, one tenant transaction each caller)."""

import datetime as dt
import uuid

import asyncpg

from services.notifications.mapping import Mapped, SourceEvent

EVENT_COLUMNS = "sequence, id, type, version, occurred_at, member_id, loyalty_number, data, program_id"


async def insert_event(conn: asyncpg.Connection, *, program_id: uuid.UUID, event_id: uuid.UUID,
                       source: SourceEvent, mapped: Mapped, version: int) -> int | None:
    """The event's sequence when stored now, None when this row's event was already there."""
    return await conn.fetchval(
        "INSERT INTO events(id, program_id, type, version, member_id, loyalty_number, occurred_at, data, source,"
        " outbox_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        " ON CONFLICT (program_id, source, outbox_id, type) DO NOTHING RETURNING sequence",
        event_id, program_id, mapped.name, version, uuid.UUID(mapped.member_id) if mapped.member_id else None,
        mapped.loyalty_number, mapped.occurred_at, mapped.data, source.source, source.outbox_id)


async def reject(conn: asyncpg.Connection, *, program_id: uuid.UUID, source: SourceEvent, name: str, data: dict,
                 errors: list[str]) -> None:
    await conn.execute(
        "INSERT INTO rejected_events(program_id, source, outbox_id, type, data, errors)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        program_id, source.source, source.outbox_id, name, data, errors)


async def list_events(conn: asyncpg.Connection, *, after_sequence: int, limit: int, type_: str,
                      loyalty_number: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {EVENT_COLUMNS} FROM events WHERE sequence > $1"
        " AND ($3 = '' OR type = $3) AND ($4 = '' OR loyalty_number = $4) ORDER BY sequence LIMIT $2",
        after_sequence, limit, type_, loyalty_number)


async def know_program(conn: asyncpg.Connection, program_id: uuid.UUID) -> None:
    await conn.execute("INSERT INTO known_programs(program_id) VALUES ($1) ON CONFLICT DO NOTHING", program_id)


async def known_programs(conn: asyncpg.Connection) -> list[uuid.UUID]:
    return [r["program_id"] for r in await conn.fetch("SELECT program_id FROM known_programs ORDER BY program_id")]


async def delete_events_before(conn: asyncpg.Connection, *, before: dt.datetime) -> int:
    status = await conn.execute("DELETE FROM events WHERE recorded_at < $1", before)
    return int(status.rsplit(" ", 1)[1])
