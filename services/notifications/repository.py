"""SQL of the notifications service (keyword-only arguments, one tenant transaction each caller)."""

import dataclasses
import datetime as dt
import uuid

import asyncpg

from services.notifications.mapping import SourceEvent

EVENT_COLUMNS = "sequence, id, type, version, occurred_at, member_id, loyalty_number, data, program_id"


@dataclasses.dataclass(frozen=True)
class NewEvent:
    id: uuid.UUID
    type: str
    version: int
    member_id: str | None
    loyalty_number: str
    occurred_at: dt.datetime
    data: dict
    source: str
    outbox_id: int


async def insert_events(conn: asyncpg.Connection, *, program_id: uuid.UUID, rows: list[NewEvent]) -> list[int]:
    """The sequences of the events stored now, in the order given (a row already there is left out)."""
    stored = await conn.fetch(
        "INSERT INTO events(id, program_id, type, version, member_id, loyalty_number, occurred_at, data, source,"
        " outbox_id) SELECT x.id, $1, x.type, x.version, x.member_id, x.loyalty_number, x.occurred_at, x.data,"
        " x.source, x.outbox_id FROM jsonb_to_recordset($2::jsonb) AS x(id uuid, type text,"
        " version int, member_id uuid, loyalty_number text, occurred_at timestamptz, data jsonb, source text,"
        " outbox_id bigint, n int) ORDER BY x.n"
        " ON CONFLICT (program_id, source, outbox_id, type) DO NOTHING RETURNING sequence",
        program_id, [{**dataclasses.asdict(r), "id": str(r.id), "occurred_at": r.occurred_at.isoformat(), "n": n}
                     for n, r in enumerate(rows)])
    return sorted(r["sequence"] for r in stored)


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
