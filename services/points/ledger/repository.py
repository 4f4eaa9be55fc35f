"""SQL for the points service, in one place."""

import uuid

import asyncpg


async def upsert_program(
    conn: asyncpg.Connection, *, program_id: uuid.UUID, code: str, currency: str, timezone: str,
    expiry_days: int, expiry_round_to_month_end: bool, archived: bool, retro_claim_days: int = 30,
    hold_timeout_seconds: int = 900,
) -> bool:
    """True when the program was new."""
    await conn.execute("INSERT INTO known_programs(id) VALUES ($1) ON CONFLICT DO NOTHING", program_id)
    return await conn.fetchval(
        "INSERT INTO programs(id, code, currency, timezone, expiry_days, expiry_round_to_month_end, archived,"
        " retro_claim_days, hold_timeout_seconds)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (id) DO UPDATE SET code = EXCLUDED.code, currency = EXCLUDED.currency,"
        " timezone = EXCLUDED.timezone, expiry_days = EXCLUDED.expiry_days,"
        " expiry_round_to_month_end = EXCLUDED.expiry_round_to_month_end, archived = EXCLUDED.archived,"
        " retro_claim_days = EXCLUDED.retro_claim_days, hold_timeout_seconds = EXCLUDED.hold_timeout_seconds,"
        " updated_at = now()"
        " RETURNING xmax = 0",
        program_id, code, currency, timezone, expiry_days, expiry_round_to_month_end, archived,
        retro_claim_days, hold_timeout_seconds,
    )


async def open_program_accounts(conn: asyncpg.Connection, program_id: uuid.UUID) -> None:
    await conn.execute(
        "INSERT INTO accounts(program_id, kind, member_id)"
        " SELECT $1, kind, NULL FROM unnest(ARRAY['issuance', 'redemption', 'breakage', 'partner_funded',"
        " 'adjustment']) AS kind ON CONFLICT DO NOTHING",
        program_id,
    )


async def set_goodwill_limit(conn: asyncpg.Connection, program_id: uuid.UUID, limit: int | None) -> None:
    await conn.execute("UPDATE programs SET goodwill_limit = $2, updated_at = now() WHERE id = $1", program_id, limit)


async def program(conn: asyncpg.Connection, program_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM programs WHERE id = $1", program_id)


async def program_and_member(
    conn: asyncpg.Connection, program_id: uuid.UUID, loyalty_number: str
) -> asyncpg.Record | None:
    """The program's row (plus m_id, m_loyalty_number, m_status of the member, NULL if unknown) in one trip."""
    return await conn.fetchrow(
        "SELECT p.*, m.id AS m_id, m.loyalty_number AS m_loyalty_number, m.status AS m_status"
        " FROM programs p LEFT JOIN members m ON m.loyalty_number = $2 WHERE p.id = $1",
        program_id, loyalty_number,
    )


async def program_member_and_claim(
    conn: asyncpg.Connection, program_id: uuid.UUID, loyalty_number: str, *, operation: str, key: str,
    fingerprint: bytes,
) -> asyncpg.Record | None:
    """program_and_member and the idempotency claim (services/common/idempotency.py CLAIM) in one trip:
    `claimed` is true when this request holds the key. A refusal after it (no such member) rolls the
    claim back with the transaction."""
    return await conn.fetchrow(
        "WITH claim AS (INSERT INTO idempotency_keys(program_id, operation, key, request_hash)"
        " VALUES ($1, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING true AS claimed)"
        " SELECT p.*, m.id AS m_id, m.loyalty_number AS m_loyalty_number, m.status AS m_status,"
        " coalesce((SELECT claimed FROM claim), false) AS claimed"
        " FROM programs p LEFT JOIN members m ON m.loyalty_number = $2 WHERE p.id = $1",
        program_id, loyalty_number, operation, key, fingerprint,
    )


async def upsert_member(
    conn: asyncpg.Connection, *, program_id: uuid.UUID, member_id: uuid.UUID, loyalty_number: str, status: str
) -> bool:
    """True when the member is new here."""
    return await conn.fetchval(
        "INSERT INTO members(program_id, id, loyalty_number, status) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (program_id, id) DO UPDATE SET loyalty_number = EXCLUDED.loyalty_number,"
        " status = EXCLUDED.status, updated_at = now() RETURNING xmax = 0",
        program_id, member_id, loyalty_number, status,
    )


async def member_by_loyalty_number(conn: asyncpg.Connection, loyalty_number: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, loyalty_number, status FROM members WHERE loyalty_number = $1", loyalty_number)


async def members_by_id(conn: asyncpg.Connection, member_ids: list[uuid.UUID]) -> dict[uuid.UUID, asyncpg.Record]:
    rows = await conn.fetch("SELECT id, loyalty_number, status FROM members WHERE id = ANY($1)", member_ids)
    return {r["id"]: r for r in rows}


async def merge_holders(conn: asyncpg.Connection, member_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """For each of `member_ids` merged away: the member who holds their points now (merges chain)."""
    rows = await conn.fetch(
        """
        WITH RECURSIVE chain(origin, id, depth) AS (
            SELECT m.id, m.id, 0 FROM members m WHERE m.id = ANY($1) AND m.status = 'merged'
            UNION ALL
            SELECT c.origin, t.counterparty_id, c.depth + 1 FROM chain c
            CROSS JOIN LATERAL (SELECT counterparty_id FROM transactions
                                WHERE kind = 'MERGE' AND member_id = c.id
                                ORDER BY occurred_at DESC, id DESC LIMIT 1) t
            WHERE c.depth < 50
        )
        SELECT DISTINCT ON (origin) origin, id FROM chain WHERE depth > 0 ORDER BY origin, depth DESC
        """,
        member_ids,
    )
    return {r["origin"]: r["id"] for r in rows}


async def post_earn(
    conn: asyncpg.Connection, *, program_id: uuid.UUID, transaction_id: uuid.UUID, member_id: uuid.UUID,
    reference: str, points: int, amount, currency: str, occurred_at, expires_at, details: dict,
    pending: bool = False, order_reference: str | None = None, event: dict | None = None,
    funding_account: str = "issuance", answer: bytes | None = None,
) -> asyncpg.Record:
    """Transaction, two entries, a lot and both balances in one statement; returns the old and new
    spendable balance (what the summary shows: lots past their date do not count). With `answer` (the
    earn's answer without its balances) the same statement keeps it under the earn's idempotency key,
    claimed before, with the balances it computes (migration 0111; earning.replayed reads them)."""
    return await conn.fetchrow(
        """
        WITH program_account AS (
            SELECT id FROM accounts WHERE kind = $14 AND member_id IS NULL
        ), member_account AS (
            INSERT INTO accounts(program_id, kind, member_id, balance)
            VALUES ($1, CASE WHEN $11 THEN 'member_pending' ELSE 'member_available' END, $3, $5)
            ON CONFLICT (program_id, kind, member_id) DO UPDATE SET balance = accounts.balance + $5
            RETURNING id, balance
        ), txn AS (
            INSERT INTO transactions(program_id, id, kind, reference, member_id, points, amount, currency,
                                     occurred_at, details, order_reference)
            VALUES ($1, $2, 'EARN', $4, $3, $5, $6, $7, $8, $10, $12)
            RETURNING id
        ), posted AS (
            INSERT INTO entries(program_id, transaction_id, account_id, amount)
            SELECT $1, txn.id, a.id, a.amount
            FROM txn, (SELECT id, -$5::bigint AS amount FROM program_account
                       UNION ALL SELECT id, $5::bigint FROM member_account) a
        ), lot AS (
            INSERT INTO lots(program_id, member_id, transaction_id, points, remaining, earned_at, expires_at)
            SELECT $1, $3, txn.id, $5, $5, $8, $9 FROM txn WHERE NOT $11
        ), event AS (
            INSERT INTO outbox(program_id, event_type, payload)
            SELECT $1, $13::jsonb->>'event_type', $13::jsonb FROM txn WHERE $13::jsonb IS NOT NULL
        ), available AS (
            SELECT coalesce((SELECT balance FROM accounts WHERE kind = 'member_available' AND member_id = $3), 0)
                AS balance
        ), stale AS (  -- past their date, not yet expired by the job: not spendable, as the summary says
            SELECT coalesce(sum(remaining), 0)::bigint AS points FROM lots
            WHERE member_id = $3 AND remaining > 0 AND expires_at <= now()
        ), born_stale AS (  -- an earn dated further back than the expiry policy: its lot is already past
            SELECT CASE WHEN NOT $11 AND $9::timestamptz <= now() THEN $5::bigint ELSE 0 END AS points
        ), balances AS (
            SELECT CASE WHEN $11 THEN available.balance ELSE member_account.balance - $5 END - stale.points
                       AS old_balance,
                   CASE WHEN $11 THEN available.balance ELSE member_account.balance END - stale.points
                       - born_stale.points AS new_balance
            FROM member_account, available, stale, born_stale
        ), answered AS (
            UPDATE idempotency_keys k SET response = $15, old_balance = b.old_balance, new_balance = b.new_balance
            FROM balances b WHERE $15::bytea IS NOT NULL AND k.program_id = $1 AND k.operation = 'earn' AND k.key = $4
        )
        SELECT old_balance, new_balance FROM balances
        """,
        program_id, transaction_id, member_id, reference, points, amount, currency, occurred_at, expires_at, details,
        pending, order_reference, event, funding_account, answer,
    )


async def available_balance(conn: asyncpg.Connection, member_id: uuid.UUID) -> int:
    return await conn.fetchval(
        "SELECT coalesce(max(balance), 0) FROM accounts WHERE kind = 'member_available' AND member_id = $1",
        member_id,
    )




async def ledger_post(
    conn: asyncpg.Connection, *, transaction_id: uuid.UUID, kind: str, reference: str, member_id: uuid.UUID,
    counterparty_id: uuid.UUID | None, points: int, amount, currency: str | None, occurred_at, details: dict,
    target_id: uuid.UUID | None, order_reference: str | None, legs: list[dict], events: list[dict],
    touch: list[uuid.UUID] | None = None,
) -> int:
    """One posting (transaction, entries, balances, lots, events) in one round trip; the new available balance.
    With `touch`, those members are locked and touched first, in the same statement."""
    if touch:
        return await conn.fetchval(
            "SELECT ledger_post($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
            " FROM (SELECT ledger_touch($15::uuid[])) AS locked",
            transaction_id, kind, reference, member_id, counterparty_id, points, amount, currency, occurred_at,
            details, target_id, order_reference, legs, events, touch,
        )
    return await conn.fetchval(
        "SELECT ledger_post($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        transaction_id, kind, reference, member_id, counterparty_id, points, amount, currency, occurred_at, details,
        target_id, order_reference, legs, events,
    )


async def touch(conn: asyncpg.Connection, member_ids: list[uuid.UUID]) -> None:
    await conn.execute("SELECT ledger_touch($1::uuid[])", member_ids)


TRANSACTION_COLUMNS = """
    t.id, t.kind, t.reference, t.member_id, t.counterparty_id, t.points, t.amount, t.currency, t.occurred_at,
    t.details, t.target_id, t.order_reference,
    coalesce((SELECT -sum(v.points) * sign(t.points) FROM transactions v WHERE v.target_id = t.id AND v.kind = 'VOID'),
             0)::bigint AS voided,
    EXISTS (SELECT 1 FROM transactions a WHERE a.target_id = t.id AND a.kind = 'ACTIVATE') AS activated
"""


async def transaction_by_reference(conn: asyncpg.Connection, reference: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {TRANSACTION_COLUMNS} FROM transactions t WHERE t.reference = $1", reference)


async def transactions_of_order(conn: asyncpg.Connection, order_reference: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {TRANSACTION_COLUMNS} FROM transactions t WHERE t.order_reference = $1"
        " AND t.kind IN ('EARN', 'BURN', 'HOLD', 'CAPTURE') ORDER BY t.occurred_at, t.id",
        order_reference,
    )


async def hold_by_reference(conn: asyncpg.Connection, reference: str, *, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM holds WHERE reference = $1" + (" FOR UPDATE" if lock else ""), reference
    )


async def hold_by_id(conn: asyncpg.Connection, hold_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM holds WHERE id = $1", hold_id)


async def insert_hold(
    conn: asyncpg.Connection, *, program_id: uuid.UUID, hold_id: uuid.UUID, member_id: uuid.UUID, reference: str,
    order_reference: str | None, points: int, expires_at,
) -> None:
    await conn.execute(
        "INSERT INTO holds(program_id, id, member_id, reference, order_reference, points, expires_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        program_id, hold_id, member_id, reference, order_reference, points, expires_at,
    )


async def capture_hold(conn: asyncpg.Connection, hold_id: uuid.UUID, points: int) -> None:
    await conn.execute("UPDATE holds SET captured = captured + $2 WHERE id = $1", hold_id, points)


async def release_hold(
    conn: asyncpg.Connection, *, hold_id: uuid.UUID, points: int, transaction_id: uuid.UUID, kind: str,
    reference: str, details: dict,
) -> int:
    return await conn.fetchval(
        "SELECT ledger_release_hold($1, $2, $3, $4, $5, $6)", hold_id, points, transaction_id, kind, reference, details
    )


async def extend_expiry(
    conn: asyncpg.Connection, *, member_id: uuid.UUID, new_expires_at, transaction_id: uuid.UUID, reference: str,
    reason: str, program_id: uuid.UUID, actor: str = "",
) -> asyncpg.Record:
    """Move every open lot expiring before `new_expires_at` to it, recorded as an EXTEND transaction
    (naming who extended them when an acting principal is given)."""
    return await conn.fetchrow(
        """
        WITH moved AS (
            UPDATE lots SET expires_at = $2
            WHERE member_id = $1 AND remaining > 0 AND expires_at IS NOT NULL AND expires_at < $2
            RETURNING id, remaining
        ), summary AS (
            SELECT count(*)::int AS lots, coalesce(sum(remaining), 0)::bigint AS points FROM moved
        ), txn AS (
            INSERT INTO transactions(program_id, id, kind, reference, member_id, points, occurred_at, details)
            SELECT $6, $3, 'EXTEND', $4, $1, 0, now(),
                   jsonb_build_object('reason', $5::text, 'new_expires_at', $2::timestamptz, 'lots', lots,
                                      'points_extended', points)
                   || CASE WHEN $7::text = '' THEN '{}'::jsonb ELSE jsonb_build_object('by', $7::text) END
            FROM summary
        )
        SELECT lots, points FROM summary
        """,
        member_id, new_expires_at, transaction_id, reference, reason, program_id, actor,
    )


SUMMARY = """
        WITH bal AS (
            SELECT coalesce(sum(balance) FILTER (WHERE kind = 'member_available'), 0)::bigint AS available,
                   coalesce(sum(balance) FILTER (WHERE kind = 'member_pending'), 0)::bigint AS pending,
                   coalesce(sum(balance) FILTER (WHERE kind = 'member_held'), 0)::bigint AS on_hold
            FROM accounts WHERE member_id = $1
        ), stale AS (  -- past their date but not yet expired by the job: not spendable
            SELECT coalesce(sum(remaining), 0)::bigint AS points FROM lots
            WHERE member_id = $1 AND remaining > 0 AND expires_at <= now()
        ), txns AS (
            SELECT
              coalesce(sum(points) FILTER (WHERE kind IN ('EARN', 'RETRO_CLAIM', 'GOODWILL')
                  OR (kind = 'ADJUST' AND points > 0)
                  OR (kind = 'VOID' AND details->>'target_kind' IN ('EARN', 'RETRO_CLAIM', 'GOODWILL', 'ADJUST_CREDIT'))),
                  0)::bigint AS lifetime_earned,
              coalesce(-sum(points) FILTER (WHERE kind IN ('BURN', 'CAPTURE')
                  OR (kind = 'VOID' AND details->>'target_kind' IN ('BURN', 'CAPTURE'))), 0)::bigint AS used,
              coalesce(-sum(points) FILTER (WHERE kind = 'EXPIRE'), 0)::bigint AS expired,
              min(occurred_at) AS first_activity_at, max(occurred_at) AS last_activity_at,
              min(occurred_at) FILTER (WHERE kind IN ('EARN', 'RETRO_CLAIM') AND amount IS NOT NULL)
                  AS first_purchase_at,
              max(occurred_at) FILTER (WHERE kind IN ('EARN', 'RETRO_CLAIM') AND amount IS NOT NULL)
                  AS last_purchase_at,
              count(*) AS n
            FROM transactions WHERE member_id = $1
        ), other_side AS (
            SELECT min(occurred_at) AS first_activity_at, max(occurred_at) AS last_activity_at, count(*) AS n
            FROM transactions WHERE counterparty_id = $1
        ), next_lot AS (
            SELECT expires_at, sum(remaining)::bigint AS points FROM lots
            WHERE member_id = $1 AND remaining > 0 AND expires_at > now()
            GROUP BY expires_at ORDER BY expires_at LIMIT 1
        )
        SELECT bal.available - stale.points AS available, bal.pending, bal.on_hold,
               txns.lifetime_earned, txns.used, txns.expired,
               next_lot.points AS next_expiring_points, next_lot.expires_at AS next_expiry_date,
               least(txns.first_activity_at, other_side.first_activity_at) AS first_activity_at,
               greatest(txns.last_activity_at, other_side.last_activity_at) AS last_activity_at,
               txns.first_purchase_at, txns.last_purchase_at,
               -- the member card's version (services/points/ledger/changes.py): transactions are append-only,
               -- and the card writers of a member are serialised by its card lock, so this grows with each commit
               txns.n + other_side.n AS version, stale.points AS stale_points
        FROM bal, stale, txns, other_side LEFT JOIN next_lot ON true
        """


async def summary(conn: asyncpg.Connection, member_id: uuid.UUID) -> asyncpg.Record:
    return await conn.fetchrow(SUMMARY, member_id)


# The member cards a posting changed (ledger/changes.py): each member with its summary, in one statement.
CARDS = """
    SELECT t.id AS member_id, t.loyalty_number, s.* FROM members t, LATERAL (""" + SUMMARY.replace("$1", "t.id") + """) s
    WHERE t.id = ANY($1::uuid[])"""
CARD_LOCK = 0x63617264  # the class of the card locks (two-int advisory locks: apart from the bigint ones)


def card_lock_key(member_id: uuid.UUID) -> int:
    return int.from_bytes(member_id.bytes[-4:], "big", signed=True)  # a collision only makes one more wait


async def lock_cards(conn: asyncpg.Connection, member_ids: list[uuid.UUID]) -> None:
    """The members' card locks, exclusive, in key order, held to the end of the transaction."""
    keys = sorted({card_lock_key(m) for m in member_ids})
    await conn.execute("SELECT pg_advisory_xact_lock($1, k) FROM unnest($2::int[]) AS k", CARD_LOCK, keys)


async def lock_card_shared(conn: asyncpg.Connection, member_id: uuid.UUID) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock_shared($1, $2)", CARD_LOCK, card_lock_key(member_id))


async def cards_of(conn: asyncpg.Connection, member_ids: list[uuid.UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(CARDS, member_ids)


async def history(
    conn: asyncpg.Connection, *, member_id: uuid.UUID, kinds: list[str], since, until, after: tuple | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Newest first, keyset-paginated by (occurred_at, id)."""
    return await conn.fetch(
        f"""
        SELECT {TRANSACTION_COLUMNS},
               (SELECT reference FROM transactions x WHERE x.id = t.target_id) AS target_reference,
               (SELECT loyalty_number FROM members m WHERE m.id = $1) AS loyalty_number,
               (SELECT loyalty_number FROM members m
                WHERE m.id = CASE WHEN t.member_id = $1 THEN t.counterparty_id ELSE t.member_id END
                  AND t.counterparty_id IS NOT NULL) AS counterparty_loyalty_number,
               (SELECT row_to_json(h) FROM (SELECT points, captured, released, expires_at FROM holds
                                             WHERE holds.id = t.id) h) AS hold,
               t.member_id = $1 AS own
        FROM transactions t
        WHERE (t.member_id = $1 OR t.counterparty_id = $1)
          AND (cardinality($2::text[]) = 0 OR t.kind = ANY($2))
          AND ($3::timestamptz IS NULL OR t.occurred_at >= $3)
          AND ($4::timestamptz IS NULL OR t.occurred_at < $4)
          AND ($5::timestamptz IS NULL OR (t.occurred_at, t.id) < ($5, $6::uuid))
        ORDER BY t.occurred_at DESC, t.id DESC
        LIMIT $7
        """,
        member_id, kinds, since, until, after[0] if after else None, after[1] if after else None, limit,
    )


async def program_history(
    conn: asyncpg.Connection, *, kinds: list[str], since, until, after: tuple | None, limit: int,
) -> list[asyncpg.Record]:
    """Every member's transactions, newest first, keyset-paginated by (occurred_at, id)."""
    return await conn.fetch(
        f"""
        SELECT {TRANSACTION_COLUMNS},
               (SELECT reference FROM transactions x WHERE x.id = t.target_id) AS target_reference,
               m.loyalty_number,
               (SELECT loyalty_number FROM members c WHERE c.id = t.counterparty_id) AS counterparty_loyalty_number,
               (SELECT row_to_json(h) FROM (SELECT points, captured, released, expires_at FROM holds
                                             WHERE holds.id = t.id) h) AS hold,
               true AS own
        FROM transactions t JOIN members m ON m.id = t.member_id
        WHERE (cardinality($1::text[]) = 0 OR t.kind = ANY($1))
          AND ($2::timestamptz IS NULL OR t.occurred_at >= $2)
          AND ($3::timestamptz IS NULL OR t.occurred_at < $3)
          AND ($4::timestamptz IS NULL OR (t.occurred_at, t.id) < ($4, $5::uuid))
        ORDER BY t.occurred_at DESC, t.id DESC
        LIMIT $6
        """,
        kinds, since, until, after[0] if after else None, after[1] if after else None, limit,
    )


async def activity(conn: asyncpg.Connection, *, timezone: str, unit: str, since, until) -> list[asyncpg.Record]:
    """Per period, earned/used/expired counted as a member's summary counts them (voids net out)."""
    return await conn.fetch(
        """
        SELECT to_char(date_trunc($2, occurred_at AT TIME ZONE $1),
                       CASE $2 WHEN 'month' THEN 'YYYY-MM' ELSE 'YYYY-MM-DD' END) AS period,
               coalesce(sum(points) FILTER (WHERE kind IN ('EARN', 'RETRO_CLAIM', 'GOODWILL')
                   OR (kind = 'ADJUST' AND points > 0)
                   OR (kind = 'VOID' AND details->>'target_kind' IN ('EARN', 'RETRO_CLAIM', 'GOODWILL', 'ADJUST_CREDIT'))),
                   0)::bigint AS earned,
               coalesce(-sum(points) FILTER (WHERE kind IN ('BURN', 'CAPTURE')
                   OR (kind = 'VOID' AND details->>'target_kind' IN ('BURN', 'CAPTURE'))), 0)::bigint AS used,
               coalesce(-sum(points) FILTER (WHERE kind = 'EXPIRE'), 0)::bigint AS expired,
               count(*) AS transactions,
               count(DISTINCT member_id) FILTER (WHERE kind IN ('EARN', 'RETRO_CLAIM')) AS active_members
        FROM transactions
        WHERE ($3::timestamptz IS NULL OR occurred_at >= $3) AND ($4::timestamptz IS NULL OR occurred_at < $4)
        GROUP BY 1 ORDER BY 1
        """,
        timezone, unit, since, until,
    )


async def activity_totals(conn: asyncpg.Connection) -> asyncpg.Record:
    """What members hold now (spendable: lots past their date wait for the job) and what expires soon."""
    return await conn.fetchrow(
        """
        SELECT coalesce(sum(remaining) FILTER (WHERE expires_at IS NULL OR expires_at > now()), 0)::bigint
                 AS outstanding,
               count(DISTINCT member_id) FILTER (WHERE expires_at IS NULL OR expires_at > now()) AS members,
               coalesce(sum(remaining) FILTER (WHERE expires_at > now()
                                               AND expires_at <= now() + interval '30 days'), 0)::bigint AS in_30,
               coalesce(sum(remaining) FILTER (WHERE expires_at > now()
                                               AND expires_at <= now() + interval '60 days'), 0)::bigint AS in_60,
               coalesce(sum(remaining) FILTER (WHERE expires_at > now()
                                               AND expires_at <= now() + interval '90 days'), 0)::bigint AS in_90
        FROM lots WHERE remaining > 0
        """,
    )


async def expiring(
    conn: asyncpg.Connection, *, until, member_id: uuid.UUID | None, after: tuple | None, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """
        SELECT m.loyalty_number, l.member_id, l.expires_at, sum(l.remaining)::bigint AS points
        FROM lots l JOIN members m ON m.id = l.member_id
        WHERE l.remaining > 0 AND l.expires_at > now() AND l.expires_at <= $1
          AND ($2::uuid IS NULL OR l.member_id = $2)
          AND ($3::timestamptz IS NULL OR (l.expires_at, l.member_id) > ($3, $4::uuid))
        GROUP BY m.loyalty_number, l.member_id, l.expires_at
        ORDER BY l.expires_at, l.member_id
        LIMIT $5
        """,
        until, member_id, after[0] if after else None, after[1] if after else None, limit,
    )


async def lots(conn: asyncpg.Connection, *, member_id: uuid.UUID, include_closed: bool,
               limit: int) -> list[asyncpg.Record]:
    # Open lots in the order they are spent and expire; spent or expired ones after, newest first.
    return await conn.fetch(
        """
        SELECT l.id, l.transaction_id, t.kind, t.reference, l.points, l.remaining, l.earned_at, l.expires_at
        FROM lots l JOIN transactions t ON t.id = l.transaction_id
        WHERE l.member_id = $1 AND ($2 OR l.remaining > 0)
        ORDER BY (l.remaining > 0 AND (l.expires_at IS NULL OR l.expires_at > now())) DESC,
                 CASE WHEN l.remaining > 0 THEN l.expires_at END NULLS LAST, l.earned_at DESC, l.id DESC
        LIMIT $3
        """,
        member_id, include_closed, limit,
    )


async def liability(conn: asyncpg.Connection, *, timezone: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        """
        SELECT month, sum(remaining)::bigint AS points FROM (
            SELECT coalesce(to_char(expires_at AT TIME ZONE $1, 'YYYY-MM'), 'never') AS month, remaining
            FROM lots WHERE remaining > 0 AND (expires_at IS NULL OR expires_at > now())
        ) open_lots
        GROUP BY month ORDER BY month = 'never', month
        """,
        timezone,
    )


async def breakage(conn: asyncpg.Connection, *, timezone: str, unit: str, since, until) -> list[asyncpg.Record]:
    return await conn.fetch(
        """
        WITH moves AS (
            SELECT date_trunc($2, occurred_at AT TIME ZONE $1) AS period,
                   CASE WHEN kind = 'EXPIRE' THEN -points ELSE 0 END AS expired,
                   CASE WHEN kind IN ('EARN', 'RETRO_CLAIM', 'GOODWILL') OR (kind = 'ADJUST' AND points > 0)
                        THEN points ELSE 0 END AS issued
            FROM transactions
            WHERE kind IN ('EXPIRE', 'EARN', 'RETRO_CLAIM', 'GOODWILL', 'ADJUST')
              AND ($3::timestamptz IS NULL OR occurred_at >= $3) AND ($4::timestamptz IS NULL OR occurred_at < $4)
        )
        SELECT to_char(period, CASE WHEN $2 = 'day' THEN 'YYYY-MM-DD' ELSE 'YYYY-MM' END) AS period,
               sum(expired)::bigint AS expired, sum(issued)::bigint AS issued
        FROM moves GROUP BY moves.period ORDER BY moves.period
        """,
        timezone, unit, since, until,
    )


async def program_ids(conn: asyncpg.Connection) -> list[uuid.UUID]:
    return [r["id"] for r in await conn.fetch("SELECT id FROM known_programs ORDER BY id")]


async def expire_batch(conn: asyncpg.Connection, *, now, limit: int) -> int:
    return await conn.fetchval("SELECT ledger_expire_batch($1, $2)", now, limit)


async def expired_hold_members(conn: asyncpg.Connection, *, limit: int) -> list[uuid.UUID]:
    return [r["member_id"] for r in await conn.fetch(
        "SELECT DISTINCT member_id FROM holds WHERE captured + released < points AND expires_at <= now()"
        " ORDER BY member_id LIMIT $1", limit)]
