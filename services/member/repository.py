"""SQL for the member service, in one place."""

import uuid

import asyncpg

PROGRAM_COLUMNS = "id, code, name, currency, timezone, expiry_days, expiry_round_to_month_end, loyalty_number_prefix, archived_at"
MEMBER_COLUMNS = "id, program_id, loyalty_number, email, first_name, last_name, phone, birth_date, status, channel, enrolled_at"


async def program_by_code(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {PROGRAM_COLUMNS} FROM programs WHERE code = $1", code)


async def program_by_id(conn: asyncpg.Connection, program_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {PROGRAM_COLUMNS} FROM programs WHERE id = $1", program_id)


async def insert_program(
    conn: asyncpg.Connection, *, program_id: uuid.UUID, code: str, name: str, currency: str, timezone: str,
    expiry_days: int, expiry_round_to_month_end: bool,
) -> asyncpg.Record | None:
    """None when the code is taken (the caller compares with what is there)."""
    return await conn.fetchrow(
        "INSERT INTO programs(id, code, name, currency, timezone, expiry_days, expiry_round_to_month_end)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO NOTHING"
        f" RETURNING {PROGRAM_COLUMNS}",
        program_id, code, name, currency, timezone, expiry_days, expiry_round_to_month_end,
    )


async def update_program(
    conn: asyncpg.Connection, *, program_id: uuid.UUID, name: str, timezone: str, expiry_days: int,
    expiry_round_to_month_end: bool, archived: bool,
) -> asyncpg.Record:
    return await conn.fetchrow(
        "UPDATE programs SET name = $2, timezone = $3, expiry_days = $4, expiry_round_to_month_end = $5,"
        " archived_at = CASE WHEN $6 THEN coalesce(archived_at, now()) END WHERE id = $1"
        f" RETURNING {PROGRAM_COLUMNS}",
        program_id, name, timezone, expiry_days, expiry_round_to_month_end, archived,
    )


async def set_program_archived(conn: asyncpg.Connection, program_id: uuid.UUID, archived: bool) -> None:
    await conn.execute(
        "UPDATE programs SET archived_at = CASE WHEN $2 THEN coalesce(archived_at, now()) END WHERE id = $1",
        program_id, archived,
    )


async def next_loyalty_sequence(conn: asyncpg.Connection) -> int:
    return await conn.fetchval("SELECT nextval('loyalty_number_seq')")


async def member_by_email(conn: asyncpg.Connection, email_normalized: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {MEMBER_COLUMNS} FROM members WHERE email_normalized = $1", email_normalized)


async def insert_member(
    conn: asyncpg.Connection, *, program_id: uuid.UUID, member_id: uuid.UUID, loyalty_number: str, email: str,
    email_normalized: str, first_name: str, last_name: str, phone: str, birth_date, channel: str,
) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO members(program_id, id, loyalty_number, email, email_normalized, first_name, last_name,"
        " phone, birth_date, channel) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        f" RETURNING {MEMBER_COLUMNS}",
        program_id, member_id, loyalty_number, email, email_normalized, first_name, last_name, phone,
        birth_date, channel,
    )


async def member_by_loyalty_number(conn: asyncpg.Connection, loyalty_number: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {MEMBER_COLUMNS} FROM members WHERE loyalty_number = $1", loyalty_number)


async def member_by_id(conn: asyncpg.Connection, member_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {MEMBER_COLUMNS} FROM members WHERE id = $1", member_id)


async def insert_api_key(
    conn: asyncpg.Connection, *, key_id: str, program_id: uuid.UUID, name: str, secret_hash: bytes,
    scopes: list[str], created_by: str,
) -> None:
    await conn.execute(
        "INSERT INTO api_keys(key_id, program_id, name, secret_hash, scopes, created_by)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        key_id, program_id, name, secret_hash, scopes, created_by,
    )


async def api_key(conn: asyncpg.Connection, key_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT k.key_id, k.program_id, k.secret_hash, k.scopes, k.revoked_at, p.code AS program_code,"
        " p.archived_at FROM api_keys k JOIN programs p ON p.id = k.program_id WHERE k.key_id = $1",
        key_id,
    )
