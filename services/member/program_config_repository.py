"""SQL for clubs, club memberships and locations (migration 0050), in one place."""

import datetime as dt
import uuid

import asyncpg

DEFAULT_CLUB = "default"


async def ensure_default_club(conn: asyncpg.Connection, program_id: uuid.UUID) -> None:
    """Every program has a club: the first read or write of its clubs creates `default` if none is."""
    await conn.execute(
        "INSERT INTO clubs(program_id, code, name, is_default)"
        " SELECT $1, $2, 'Default club', true WHERE NOT EXISTS (SELECT 1 FROM clubs WHERE is_default)"
        " ON CONFLICT DO NOTHING",
        program_id, DEFAULT_CLUB,
    )


CLUB_COLUMNS = "c.*, (SELECT count(*) FROM club_members m WHERE m.club_code = c.code) AS member_count"


async def clubs(conn: asyncpg.Connection, *, include_archived: bool) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {CLUB_COLUMNS} FROM clubs c WHERE $1 OR c.archived_at IS NULL ORDER BY NOT c.is_default, c.code",
        include_archived,
    )


async def club(conn: asyncpg.Connection, code: str, *, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {CLUB_COLUMNS} FROM clubs c WHERE c.code = $1"
                               + (" FOR UPDATE" if lock else ""), code)


async def upsert_club(
    conn: asyncpg.Connection, *, program_id: uuid.UUID, code: str, name: str, description: str
) -> None:
    await conn.execute(
        "INSERT INTO clubs(program_id, code, name, description) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (program_id, code) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description",
        program_id, code, name, description,
    )


async def make_default(conn: asyncpg.Connection, code: str) -> None:
    await conn.execute("UPDATE clubs SET is_default = false WHERE is_default AND code <> $1", code)
    await conn.execute("UPDATE clubs SET is_default = true WHERE code = $1", code)


async def archive_club(conn: asyncpg.Connection, code: str) -> None:
    await conn.execute("UPDATE clubs SET archived_at = coalesce(archived_at, now()) WHERE code = $1", code)


async def member_id_by_number(conn: asyncpg.Connection, loyalty_number: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, status FROM members WHERE loyalty_number = $1", loyalty_number)


async def member_exists(conn: asyncpg.Connection, member_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM members WHERE id = $1", member_id))


async def join(conn: asyncpg.Connection, *, program_id: uuid.UUID, member_id: uuid.UUID, club_code: str) -> None:
    await conn.execute(
        "INSERT INTO club_members(program_id, club_code, member_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        program_id, club_code, member_id,
    )


async def leave(conn: asyncpg.Connection, *, member_id: uuid.UUID, club_code: str) -> None:
    await conn.execute("DELETE FROM club_members WHERE member_id = $1 AND club_code = $2", member_id, club_code)


async def member_clubs(conn: asyncpg.Connection, member_id: uuid.UUID) -> list[str]:
    """The member's live clubs; none joined: the default club."""
    rows = await conn.fetch(
        "SELECT m.club_code FROM club_members m JOIN clubs c ON c.code = m.club_code"
        " WHERE m.member_id = $1 AND c.archived_at IS NULL ORDER BY m.club_code",
        member_id,
    )
    if rows:
        return [r["club_code"] for r in rows]
    default = await conn.fetchval("SELECT code FROM clubs WHERE is_default")
    return [default] if default else []


async def locations(conn: asyncpg.Connection, *, include_archived: bool, kind: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM locations WHERE ($1 OR archived_at IS NULL) AND ($2 = '' OR kind = $2) ORDER BY code",
        include_archived, kind,
    )


async def location(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM locations WHERE code = $1", code)


async def upsert_location(
    conn: asyncpg.Connection, *, program_id: uuid.UUID, code: str, name: str, kind: str, address: str, timezone: str
) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO locations(program_id, code, name, kind, address, timezone) VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (program_id, code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind,"
        " address = EXCLUDED.address, timezone = EXCLUDED.timezone RETURNING *",
        program_id, code, name, kind, address, timezone,
    )


async def archive_location(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "UPDATE locations SET archived_at = coalesce(archived_at, now()) WHERE code = $1 RETURNING *", code
    )


async def birthdays(conn: asyncpg.Connection, day: dt.date, *, include_leap_day: bool) -> list[asyncpg.Record]:
    """Active members born on this month and day (and on 29 February, when asked)."""
    return await conn.fetch(
        "SELECT id, loyalty_number FROM members WHERE birth_date IS NOT NULL AND status = 'active'"
        " AND ((extract(month FROM birth_date) = $1 AND extract(day FROM birth_date) = $2)"
        "      OR ($3 AND extract(month FROM birth_date) = 2 AND extract(day FROM birth_date) = 29))"
        " ORDER BY id",
        day.month, day.day, include_leap_day,
    )
