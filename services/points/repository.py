"""SQL for the points service, in one place."""

import uuid

import asyncpg


async def upsert_program(
    conn: asyncpg.Connection, *, program_id: uuid.UUID, code: str, currency: str, timezone: str,
    expiry_days: int, expiry_round_to_month_end: bool, archived: bool,
) -> bool:
    """True when the program was new."""
    return await conn.fetchval(
        "INSERT INTO programs(id, code, currency, timezone, expiry_days, expiry_round_to_month_end, archived)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (id) DO UPDATE SET code = EXCLUDED.code, currency = EXCLUDED.currency,"
        " timezone = EXCLUDED.timezone, expiry_days = EXCLUDED.expiry_days,"
        " expiry_round_to_month_end = EXCLUDED.expiry_round_to_month_end, archived = EXCLUDED.archived,"
        " updated_at = now()"
        " RETURNING xmax = 0",
        program_id, code, currency, timezone, expiry_days, expiry_round_to_month_end, archived,
    )


async def open_program_accounts(conn: asyncpg.Connection, program_id: uuid.UUID) -> None:
    await conn.execute(
        "INSERT INTO accounts(program_id, kind, member_id)"
        " SELECT $1, kind, NULL FROM unnest(ARRAY['issuance', 'redemption', 'breakage', 'partner_funded',"
        " 'adjustment']) AS kind ON CONFLICT DO NOTHING",
        program_id,
    )


async def program(conn: asyncpg.Connection, program_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM programs WHERE id = $1", program_id)


async def upsert_member(
    conn: asyncpg.Connection, *, program_id: uuid.UUID, member_id: uuid.UUID, loyalty_number: str, status: str
) -> None:
    await conn.execute(
        "INSERT INTO members(program_id, id, loyalty_number, status) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (program_id, id) DO UPDATE SET loyalty_number = EXCLUDED.loyalty_number,"
        " status = EXCLUDED.status, updated_at = now()",
        program_id, member_id, loyalty_number, status,
    )


async def member_by_loyalty_number(conn: asyncpg.Connection, loyalty_number: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, loyalty_number, status FROM members WHERE loyalty_number = $1", loyalty_number)


async def post_earn(
    conn: asyncpg.Connection, *, program_id: uuid.UUID, transaction_id: uuid.UUID, member_id: uuid.UUID,
    reference: str, points: int, amount, currency: str, occurred_at, expires_at, details: dict,
) -> asyncpg.Record:
    """Transaction, two entries, a lot and both balances in one statement; returns old and new balance."""
    return await conn.fetchrow(
        """
        WITH program_account AS (
            SELECT id FROM accounts WHERE kind = 'issuance' AND member_id IS NULL
        ), member_account AS (
            INSERT INTO accounts(program_id, kind, member_id, balance) VALUES ($1, 'member_available', $3, $5)
            ON CONFLICT (program_id, kind, member_id) DO UPDATE SET balance = accounts.balance + $5
            RETURNING id, balance
        ), txn AS (
            INSERT INTO transactions(program_id, id, kind, reference, member_id, points, amount, currency,
                                     occurred_at, details)
            VALUES ($1, $2, 'EARN', $4, $3, $5, $6, $7, $8, $10)
            RETURNING id
        ), posted AS (
            INSERT INTO entries(program_id, transaction_id, account_id, amount)
            SELECT $1, txn.id, a.id, a.amount
            FROM txn, (SELECT id, -$5::bigint AS amount FROM program_account
                       UNION ALL SELECT id, $5::bigint FROM member_account) a
        ), lot AS (
            INSERT INTO lots(program_id, member_id, transaction_id, points, remaining, earned_at, expires_at)
            SELECT $1, $3, txn.id, $5, $5, $8, $9 FROM txn
        )
        SELECT balance - $5 AS old_balance, balance AS new_balance FROM member_account
        """,
        program_id, transaction_id, member_id, reference, points, amount, currency, occurred_at, expires_at, details,
    )


async def available_balance(conn: asyncpg.Connection, member_id: uuid.UUID) -> int:
    return await conn.fetchval(
        "SELECT coalesce(max(balance), 0) FROM accounts WHERE kind = 'member_available' AND member_id = $1",
        member_id,
    )


async def summary(conn: asyncpg.Connection, member_id: uuid.UUID) -> asyncpg.Record:
    return await conn.fetchrow(
        """
        SELECT
            coalesce((SELECT balance FROM accounts WHERE kind = 'member_available' AND member_id = $1), 0) AS available,
            coalesce((SELECT sum(points) FROM lots WHERE member_id = $1), 0)::bigint AS lifetime_earned
        """,
        member_id,
    )
