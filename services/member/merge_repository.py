"""SQL for the merge saga."""

import uuid

import asyncpg

MERGE_COLUMNS = "id, from_member_id, to_member_id, reference, state, reason, requested_by, attempts, last_error"


async def lock_members(conn: asyncpg.Connection, numbers: list[str]) -> dict[str, asyncpg.Record]:
    """Both rows locked in primary-key order, so two merges touching the same members cannot deadlock."""
    rows = await conn.fetch(
        "SELECT id, loyalty_number, status FROM members WHERE loyalty_number = ANY($1::text[]) ORDER BY id FOR UPDATE",
        numbers,
    )
    return {r["loyalty_number"]: r for r in rows}


async def merge_of(conn: asyncpg.Connection, from_member_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {MERGE_COLUMNS} FROM merges WHERE from_member_id = $1", from_member_id)


async def merge_by_id(conn: asyncpg.Connection, merge_id: uuid.UUID, *, lock: bool = False) -> asyncpg.Record:
    return await conn.fetchrow(
        f"SELECT {MERGE_COLUMNS} FROM merges WHERE id = $1" + (" FOR UPDATE" if lock else ""), merge_id
    )


async def insert_merge(conn: asyncpg.Connection, *, program_id: uuid.UUID, merge_id: uuid.UUID,
                       from_member_id: uuid.UUID, to_member_id: uuid.UUID, reference: str, reason: str,
                       requested_by: str) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO merges(program_id, id, from_member_id, to_member_id, reference, state, reason, requested_by)"
        f" VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7) RETURNING {MERGE_COLUMNS}",
        program_id, merge_id, from_member_id, to_member_id, reference, reason, requested_by,
    )


async def merge_failed(conn: asyncpg.Connection, merge_id: uuid.UUID, error: str) -> None:
    await conn.execute(
        "UPDATE merges SET attempts = attempts + 1, last_error = $2 WHERE id = $1", merge_id, error[:500]
    )


async def set_state(conn: asyncpg.Connection, merge_id: uuid.UUID, state: str) -> None:
    await conn.execute(
        "UPDATE merges SET state = $2, attempts = attempts + 1, last_error = NULL,"
        " completed_at = CASE WHEN $2 = 'completed' THEN now() END WHERE id = $1",
        merge_id, state,
    )


async def open_merges(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(f"SELECT {MERGE_COLUMNS} FROM merges WHERE state <> 'completed' ORDER BY created_at")


async def program_ids(conn: asyncpg.Connection) -> list[uuid.UUID]:
    return [r["id"] for r in await conn.fetch("SELECT id FROM programs ORDER BY id")]


async def merges_of_member(conn: asyncpg.Connection, member_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {MERGE_COLUMNS}, created_at, completed_at FROM merges"
        " WHERE from_member_id = $1 OR to_member_id = $1 ORDER BY created_at", member_id,
    )
