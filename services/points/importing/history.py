"""Legacy history into the ledger, set-based, from the import staging area.

For each batch of members not yet imported (one transaction each, so a killed import resumes
with the members left and a rerun posts nothing twice; batches run side by side on disjoint members):
1. register the members here (status from the dump) and open their wallets;
2. post their legacy transactions with original timestamps as imported EARN/ADJUST/BURN/EXPIRE
   transactions (reference `legacy:<legacy_txn_id>`; no earn rules, no outbound events);
3. credits become lots with the program's expiry policy; debits consume lots soonest-expiring
   first (legacy history gives no lot links, so FIFO by expiry is the rule);
4. lots already past their date under the policy expire now (one EXPIRE posting);
5. one REMEDIATION posting per member whose balance then differs from the legacy balance, so the
   ledger shows exactly the legacy balance.
Every transaction's entries sum to zero (checked for the whole batch before commit) and each
member's balance equals the sum of their lots.
"""

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode, not_found
from services.common.idempotency import Replay
from services.points.ledger import commands, voiding
from services.points.ledger.hooks import LedgerHooks

BATCH_MEMBERS = 20_000
WORKERS = 2  # one batch per core of a small database host; PostgreSQL does the work
VOIDABLE_KINDS = ("BURN", "CAPTURE", "HOLD", "EARN", "RETRO_CLAIM", "GOODWILL", "ADJUST", "TRANSFER")

# A staging member (sm) this import ($1) into the program ($2) has not finished: batches are whole.
_NOT_YET_IMPORTED = """NOT EXISTS (SELECT 1 FROM imported_members im
                          WHERE im.program_id = $2 AND im.import_id = $1 AND im.legacy_id = sm.legacy_id)"""

_PROGRAM_ACCOUNT = """CASE t.kind WHEN 'earn' THEN 'issuance' WHEN 'adjust' THEN 'adjustment'
                                  WHEN 'burn' THEN 'redemption' ELSE 'breakage' END"""


async def _import(pool: asyncpg.Pool, import_id: uuid.UUID) -> asyncpg.Record:
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT program_id, void_before FROM staging.imports WHERE id = $1", import_id)
    if row is None:
        raise not_found("import", str(import_id))
    return row


async def void_earlier_postings(
    pool: asyncpg.Pool, *, import_id: uuid.UUID, program_id: uuid.UUID, before: dt.datetime, hooks: LedgerHooks,
    replay_of: Callable[[commands.Void], Replay] | None = None,
) -> tuple[int, int]:
    """Void what members who were already here posted before `before` (their legacy history
    replaces it). Each void is its own idempotent posting; returns (voided, skipped)."""
    async with tenant_tx(pool, program_id) as conn:
        targets = await conn.fetch(
            """
            SELECT t.reference FROM staging.member_map mm
            JOIN transactions t ON t.member_id = mm.member_id
            WHERE mm.program_id = $1 AND mm.import_id = $2 AND mm.existing
              AND t.occurred_at < $3 AND t.kind = ANY($4) AND t.reference NOT LIKE 'legacy:%'
            ORDER BY (t.kind IN ('EARN', 'RETRO_CLAIM', 'GOODWILL', 'ADJUST')), t.occurred_at DESC
            """, program_id, import_id, before, list(VOIDABLE_KINDS))
    voided = skipped = 0
    for target in targets:
        try:
            void = commands.Void(reference=f"import-void:{import_id}:{target['reference']}"[:128],
                                 target_reference=target["reference"], reason="replaced by the legacy import")
            await voiding.void(pool, program_id=program_id, command=void, hooks=hooks,
                               replay=replay_of(void) if replay_of else None)
            voided += 1
        except DomainError as err:
            if err.code not in (ErrorCode.ALREADY_VOIDED, ErrorCode.NOT_VOIDABLE, ErrorCode.INSUFFICIENT_POINTS,
                                ErrorCode.HOLD_NOT_ACTIVE):
                raise
            skipped += 1
    return voided, skipped


async def import_history(
    pool: asyncpg.Pool, *, import_id: uuid.UUID, void_before: dt.datetime | None = None,
    now: dt.datetime | None = None, batch_members: int = BATCH_MEMBERS, workers: int = WORKERS,
    hooks: LedgerHooks, progress: Callable[[dict[str, int]], None] | None = None,
    replay_of: Callable[[commands.Void], Replay] | None = None,
) -> dict[str, int]:
    """Totals of this run; `progress` gets the running totals with members done after each batch."""
    imp = await _import(pool, import_id)
    program_id = imp["program_id"]
    now = now or dt.datetime.now(dt.timezone.utc)
    totals = {"members_done": 0, "members_total": 0, "members_registered": 0, "transactions_imported": 0,
              "transactions_voided": 0, "lots_created": 0, "members_remediated": 0, "points_credited": 0,
              "points_debited": 0, "lots_expired": 0}
    async with tenant_tx(pool, program_id) as conn:
        program = await conn.fetchrow("SELECT * FROM programs WHERE id = $1", program_id)
    if program is None:
        raise not_found("program", str(program_id))
    if void_before is not None:
        totals["transactions_voided"], _ = await void_earlier_postings(
            pool, import_id=import_id, program_id=program_id, before=void_before, hooks=hooks,
            replay_of=replay_of)
    stripes, totals["members_total"] = await _stripes(pool, import_id=import_id, program_id=program_id,
                                                      size=batch_members, workers=max(1, workers))
    lock = asyncio.Lock()

    async def worker() -> None:
        while stripes:
            lo, hi = stripes.pop(0)
            async with tenant_tx(pool, program_id) as conn:
                await conn.execute("SET LOCAL app.ledger_bulk = 'on'")
                done = await _batch(conn, import_id=import_id, program=program, now=now, lo=lo, hi=hi)
            async with lock:
                for key, value in (done or {}).items():
                    totals[key] += value
                if progress and done:
                    progress(dict(totals))

    # batches touch disjoint members, so they run side by side, one database connection each
    await asyncio.gather(*(worker() for _ in range(max(1, workers))))
    async with pool.acquire() as conn:  # fresh statistics after millions of rows
        await conn.execute("ANALYZE members, accounts, transactions, entries, lots, lot_movements, imported_members")
    return totals


async def _stripes(
    pool: asyncpg.Pool, *, import_id: uuid.UUID, program_id: uuid.UUID, size: int, workers: int
) -> tuple[list[tuple[str, str | None]], int]:
    """Ranges of legacy ids, `size` members each, of the members this import has not finished yet
    (a killed run resumes with what is left, whatever batch size it ran with before)."""
    async with tenant_tx(pool, program_id) as conn:
        # every worker gets a share of a small import: `size` shrinks to the pending count / workers
        bounds = await conn.fetch(
            f"""
            SELECT legacy_id, pending FROM (
                SELECT sm.legacy_id, row_number() OVER (ORDER BY sm.legacy_id) AS n, count(*) OVER () AS pending
                FROM staging.members sm JOIN staging.member_map mm ON mm.program_id = $2 AND mm.legacy_id = sm.legacy_id
                WHERE sm.import_id = $1 AND {_NOT_YET_IMPORTED}
            ) s WHERE n % greatest(1, least($3, ceil(pending::numeric / $4)::bigint)) = 0 ORDER BY legacy_id
            """, import_id, program_id, size, workers)
    pending = bounds[0]["pending"] if bounds else 0  # size <= pending, so a pending import has a bound
    edges = ["", *(b["legacy_id"] for b in bounds)]
    return [(edges[i], edges[i + 1] if i + 1 < len(edges) else None) for i in range(len(edges))], pending


async def _batch(
    conn: asyncpg.Connection, *, import_id: uuid.UUID, program: asyncpg.Record, now: dt.datetime,
    lo: str, hi: str | None,
) -> dict[str, int] | None:
    """Members with legacy ids in (lo, hi] that this import has not finished, whole histories."""
    program_id = program["id"]
    await conn.execute(
        f"""
        CREATE TEMP TABLE imp_members ON COMMIT DROP AS
        SELECT mm.member_id, mm.loyalty_number, sm.legacy_id, sm.status, b.points_balance AS legacy_balance,
               false AS fresh
        FROM staging.members sm
        JOIN staging.member_map mm ON mm.program_id = $2 AND mm.legacy_id = sm.legacy_id
        LEFT JOIN staging.balances b ON b.import_id = $1 AND b.legacy_id = sm.legacy_id
        WHERE sm.import_id = $1 AND sm.legacy_id > $3 AND ($4::text IS NULL OR sm.legacy_id <= $4)
          AND {_NOT_YET_IMPORTED}
        """, import_id, program_id, lo, hi)
    await conn.execute("ANALYZE imp_members")
    members = await conn.fetchval("SELECT count(*) FROM imp_members")
    if members == 0:
        return None
    # a member registered by this batch is fresh: nothing of theirs is posted, held or in use yet
    registered = await conn.fetchval(
        """
        WITH added AS (
            INSERT INTO members(program_id, id, loyalty_number, status)
            SELECT $1, member_id, loyalty_number, status FROM imp_members
            ON CONFLICT (program_id, id) DO NOTHING RETURNING id
        ), marked AS (
            UPDATE imp_members m SET fresh = true FROM added a WHERE a.id = m.member_id RETURNING 1
        ) SELECT count(*) FROM marked
        """, program_id)
    await conn.execute(
        "INSERT INTO accounts(program_id, kind, member_id) SELECT $1, 'member_available', member_id FROM imp_members"
        " ON CONFLICT DO NOTHING", program_id)
    await conn.execute(
        "CREATE TEMP TABLE imp_accounts ON COMMIT DROP AS"
        " SELECT a.member_id, a.id FROM imp_members m JOIN accounts a"
        " ON a.program_id = $1 AND a.kind = 'member_available' AND a.member_id = m.member_id", program_id)
    await conn.execute(
        "CREATE TEMP TABLE imp_program_accounts ON COMMIT DROP AS"
        " SELECT kind, id FROM accounts WHERE program_id = $1 AND member_id IS NULL", program_id)
    await conn.execute("ANALYZE imp_accounts; ANALYZE imp_program_accounts")
    # members who were already here may be in use: lock them in id order, then expire and release
    if registered < members:
        await conn.execute(
            "SELECT ledger_touch(array_agg(member_id ORDER BY member_id)) FROM imp_members WHERE NOT fresh")

    await conn.execute(
        """
        CREATE TEMP TABLE imp_txns ON COMMIT DROP AS
        SELECT time_ordered_uuid() AS id, m.member_id, t.legacy_txn_id, t.occurred_at, t.kind, t.points, t.channel,
               t.reference AS legacy_reference,
               CASE WHEN t.kind IN ('earn', 'adjust') THEN t.points ELSE -t.points END AS signed
        FROM imp_members m
        JOIN staging.transactions t ON t.import_id = $1 AND t.legacy_id = m.legacy_id
        WHERE m.fresh OR NOT EXISTS (SELECT 1 FROM transactions x WHERE x.program_id = $2
                                     AND x.reference = 'legacy:' || t.legacy_txn_id)
        """, import_id, program_id)
    await conn.execute("ANALYZE imp_txns")
    imported = await conn.fetchval(
        """
        WITH posted AS (
            INSERT INTO transactions(program_id, id, kind, reference, member_id, points, occurred_at, details)
            SELECT $1, id, upper(kind), 'legacy:' || legacy_txn_id, member_id, signed, occurred_at,
                   jsonb_build_object('imported', true, 'import_id', $2::text, 'legacy_txn_id', legacy_txn_id,
                                      'channel', channel, 'legacy_reference', legacy_reference)
            FROM imp_txns RETURNING 1
        ) SELECT count(*) FROM posted
        """, program_id, str(import_id))
    await conn.execute(
        f"""
        INSERT INTO entries(program_id, transaction_id, account_id, amount)
        SELECT $1::uuid, t.id, a.id, t.signed FROM imp_txns t JOIN imp_accounts a ON a.member_id = t.member_id
        UNION ALL
        SELECT $1::uuid, t.id, p.id, -t.signed FROM imp_txns t JOIN imp_program_accounts p ON p.kind = {_PROGRAM_ACCOUNT}
        """, program_id)

    tz, days, month_end = program["timezone"], program["expiry_days"], program["expiry_round_to_month_end"]
    # the sequence's name as a literal: pg_get_serial_sequence() per row costs a catalog lookup each time
    sequence = await conn.fetchval("SELECT pg_get_serial_sequence('lots', 'id')")
    next_lot = f"nextval('{sequence}'::regclass)"
    await conn.execute(
        f"""
        CREATE TEMP TABLE imp_lots ON COMMIT DROP AS
        WITH credits AS (SELECT *, (occurred_at AT TIME ZONE $1)::date AS local_day FROM imp_txns WHERE signed > 0),
             -- the expiry depends on the local day only: the policy function runs once per day, not per lot
             policy AS (SELECT local_day,
                               policy_lot_expiry(local_day::timestamp AT TIME ZONE $1, $1, $2, $3) AS expires_at
                        FROM (SELECT DISTINCT local_day FROM credits) d)
        SELECT {next_lot} AS id, c.member_id, c.id AS transaction_id, c.points,
               c.occurred_at AS earned_at, p.expires_at
        FROM credits c JOIN policy p USING (local_day)
        """, tz, days, month_end)
    await conn.execute("ANALYZE imp_lots")
    # every open lot of these members, old and new, in the order they are spent
    await conn.execute(
        """
        CREATE TEMP TABLE imp_pool ON COMMIT DROP AS
        WITH lots_open AS (
            SELECT l.id, l.member_id, l.remaining AS pts, l.points AS lot_points, l.expires_at, l.earned_at,
                   l.transaction_id, false AS fresh
            FROM lots l WHERE l.member_id IN (SELECT member_id FROM imp_members WHERE NOT fresh)
              AND l.remaining > 0
            UNION ALL
            SELECT id, member_id, points, points, expires_at, earned_at, transaction_id, true FROM imp_lots
        )
        SELECT *, sum(pts) OVER w - pts AS lo, sum(pts) OVER w AS hi
        FROM lots_open WINDOW w AS (PARTITION BY member_id ORDER BY expires_at NULLS LAST, earned_at, id)
        """)
    await conn.execute("ANALYZE imp_pool")
    await conn.execute(
        """
        CREATE TEMP TABLE imp_moves ON COMMIT DROP AS
        WITH debits AS (
            SELECT id AS transaction_id, member_id,
                   sum(-signed) OVER w + signed AS lo, sum(-signed) OVER w AS hi
            FROM imp_txns WHERE signed < 0
            WINDOW w AS (PARTITION BY member_id ORDER BY occurred_at, legacy_txn_id)
        )
        SELECT p.id AS lot_id, d.transaction_id, least(p.hi, d.hi) - greatest(p.lo, d.lo) AS pts
        FROM imp_pool p JOIN debits d ON d.member_id = p.member_id AND p.lo < d.hi AND d.lo < p.hi
        """)
    await conn.execute("ANALYZE imp_moves")
    await conn.execute(
        """
        CREATE TEMP TABLE imp_after ON COMMIT DROP AS
        SELECT p.*, p.pts - coalesce(u.used, 0) AS left_pts, (p.expires_at <= $1) AS past_due
        FROM imp_pool p LEFT JOIN (SELECT lot_id, sum(pts) AS used FROM imp_moves GROUP BY lot_id) u ON u.lot_id = p.id
        """, now)
    await conn.execute("ANALYZE imp_after")
    # lots past their date under the policy expire now, as one EXPIRE posting per member
    await conn.execute(
        """
        CREATE TEMP TABLE imp_expire ON COMMIT DROP AS
        SELECT member_id, time_ordered_uuid() AS transaction_id, sum(left_pts) AS pts
        FROM imp_after WHERE past_due AND left_pts > 0 GROUP BY member_id
        """)
    await conn.execute(
        """
        INSERT INTO imp_moves(lot_id, transaction_id, pts)
        SELECT a.id, e.transaction_id, a.left_pts FROM imp_after a JOIN imp_expire e USING (member_id)
        WHERE a.past_due AND a.left_pts > 0
        """)
    # what the ledger shows after history and expiry, and what the legacy system says
    await conn.execute(
        """
        CREATE TEMP TABLE imp_fix ON COMMIT DROP AS
        WITH state AS (
            SELECT m.member_id, m.legacy_id, a.balance + coalesce(h.delta, 0) - coalesce(e.pts, 0) AS ledger_balance,
                   coalesce(l.live, 0) AS live_lots, m.legacy_balance
            FROM imp_members m
            JOIN accounts a ON a.kind = 'member_available' AND a.member_id = m.member_id
            LEFT JOIN (SELECT member_id, sum(signed) AS delta FROM imp_txns GROUP BY member_id) h
                   ON h.member_id = m.member_id
            LEFT JOIN imp_expire e ON e.member_id = m.member_id
            LEFT JOIN (SELECT member_id, sum(left_pts) AS live FROM imp_after WHERE NOT coalesce(past_due, false)
                       GROUP BY member_id) l ON l.member_id = m.member_id
        )
        SELECT member_id, legacy_id, ledger_balance, live_lots, legacy_balance,
               coalesce(legacy_balance, greatest(ledger_balance, 0)) AS target,
               coalesce(legacy_balance, greatest(ledger_balance, 0)) - ledger_balance AS remediation,
               time_ordered_uuid() AS transaction_id
        FROM state
        """)
    await conn.execute("ANALYZE imp_fix")
    # lots follow the target: a new lot for what is missing, or the soonest-expiring live lots give way
    await conn.execute(
        """
        INSERT INTO imp_moves(lot_id, transaction_id, pts)
        WITH live AS (
            SELECT a.id, a.member_id, a.left_pts,
                   sum(a.left_pts) OVER w - a.left_pts AS lo, sum(a.left_pts) OVER w AS hi
            FROM imp_after a WHERE NOT coalesce(a.past_due, false) AND a.left_pts > 0
            WINDOW w AS (PARTITION BY a.member_id ORDER BY a.expires_at NULLS LAST, a.earned_at, a.id)
        )
        SELECT l.id, f.transaction_id, least(l.hi, f.live_lots - f.target) - l.lo
        FROM live l JOIN imp_fix f USING (member_id)
        WHERE f.live_lots > f.target AND l.lo < f.live_lots - f.target
        """)
    await conn.execute(
        f"""
        INSERT INTO imp_lots(id, member_id, transaction_id, points, earned_at, expires_at)
        SELECT {next_lot}, member_id, transaction_id, target - live_lots, $1,
               policy_lot_expiry($1, $2, $3, $4)
        FROM imp_fix WHERE target > live_lots
        """, now, tz, days, month_end)

    await conn.execute(
        """
        INSERT INTO transactions(program_id, id, kind, reference, member_id, points, occurred_at, details)
        SELECT $1::uuid, e.transaction_id, 'EXPIRE', 'legacy-expire:' || $2::text || ':' || f.legacy_id, e.member_id, -e.pts,
               $3::timestamptz, jsonb_build_object('imported', true, 'import_id', $2::text,
                                      'reason', 'past the program''s expiry policy at import')
        FROM imp_expire e JOIN imp_fix f USING (member_id)
        UNION ALL
        SELECT $1::uuid, transaction_id, 'REMEDIATION', 'legacy-remediation:' || $2::text || ':' || legacy_id, member_id,
               remediation, $3::timestamptz, jsonb_build_object('imported', true, 'import_id', $2::text,
               'reason', 'legacy balance remediation', 'legacy_balance', legacy_balance,
               'computed_balance', ledger_balance)
        FROM imp_fix WHERE remediation <> 0
        """, program_id, str(import_id), now)
    await conn.execute(
        """
        INSERT INTO entries(program_id, transaction_id, account_id, amount)
        SELECT $1::uuid, x.transaction_id, a.id, x.amount FROM (
            SELECT e.transaction_id, e.member_id, -e.pts AS amount FROM imp_expire e
            UNION ALL SELECT transaction_id, member_id, remediation FROM imp_fix WHERE remediation <> 0
        ) x JOIN imp_accounts a ON a.member_id = x.member_id
        UNION ALL
        SELECT $1::uuid, e.transaction_id, p.id, e.pts FROM imp_expire e JOIN imp_program_accounts p ON p.kind = 'breakage'
        UNION ALL
        SELECT $1::uuid, f.transaction_id, p.id, -f.remediation FROM imp_fix f
        JOIN imp_program_accounts p ON p.kind = 'adjustment' WHERE f.remediation <> 0
        """, program_id)

    # lots: new ones with what is left of them, old ones reduced; every change recorded as a movement
    await conn.execute(
        """
        CREATE TEMP TABLE imp_used ON COMMIT DROP AS
        SELECT lot_id, sum(pts) AS used FROM imp_moves GROUP BY lot_id
        """)
    await conn.execute("ANALYZE imp_used")
    lots_created = await conn.fetchval(
        """
        WITH made AS (
            INSERT INTO lots(program_id, id, member_id, transaction_id, points, remaining, earned_at, expires_at)
            SELECT $1, n.id, n.member_id, n.transaction_id, n.points, n.points - coalesce(u.used, 0), n.earned_at,
                   n.expires_at
            FROM imp_lots n LEFT JOIN imp_used u ON u.lot_id = n.id
            RETURNING 1
        ) SELECT count(*) FROM made
        """, program_id)
    await conn.execute(
        "UPDATE lots l SET remaining = l.remaining - u.used FROM imp_used u, imp_pool p"
        " WHERE l.id = u.lot_id AND p.id = u.lot_id AND NOT p.fresh")
    await conn.execute(
        "INSERT INTO lot_movements(program_id, lot_id, transaction_id, source_transaction_id, delta)"
        " SELECT $1, lot_id, transaction_id, transaction_id, -pts FROM imp_moves WHERE pts > 0", program_id)
    await conn.execute(
        "UPDATE accounts a SET balance = f.target FROM imp_fix f"
        " WHERE a.kind = 'member_available' AND a.member_id = f.member_id")
    await conn.execute(
        "INSERT INTO imported_members(program_id, import_id, member_id, legacy_id, legacy_balance, remediation)"
        " SELECT $1, $2, member_id, legacy_id, legacy_balance, remediation FROM imp_fix", program_id, import_id)

    unbalanced = await conn.fetchval(
        """
        WITH posted AS (
            SELECT id FROM imp_txns UNION ALL SELECT transaction_id FROM imp_expire
            UNION ALL SELECT transaction_id FROM imp_fix WHERE remediation <> 0
        )
        SELECT p.id FROM posted p LEFT JOIN entries e ON e.transaction_id = p.id
        GROUP BY p.id HAVING count(e.id) < 2 OR sum(e.amount) <> 0 LIMIT 1
        """)
    if unbalanced is not None:
        raise DomainError(ErrorCode.INTERNAL, f"import batch left transaction {unbalanced} unbalanced")
    drift = await conn.fetchval(
        """
        SELECT f.member_id FROM imp_fix f
        CROSS JOIN LATERAL (SELECT coalesce(sum(remaining), 0) AS pts FROM lots l
                            WHERE l.program_id = $1 AND l.member_id = f.member_id AND l.remaining > 0) l
        WHERE f.target <> l.pts LIMIT 1
        """, program_id)
    if drift is not None:
        raise DomainError(ErrorCode.INTERNAL, f"import batch left member {drift}'s lots apart from the balance")
    fixes = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE remediation <> 0) AS n,"
        " coalesce(sum(remediation) FILTER (WHERE remediation > 0), 0)::bigint AS credited,"
        " coalesce(-sum(remediation) FILTER (WHERE remediation < 0), 0)::bigint AS debited FROM imp_fix")
    expired = await conn.fetchval("SELECT count(*) FROM imp_moves m JOIN imp_expire e USING (transaction_id)")
    return {"members_done": members, "members_registered": registered, "transactions_imported": imported,
            "lots_created": lots_created, "members_remediated": fixes["n"], "points_credited": fixes["credited"],
            "points_debited": fixes["debited"], "lots_expired": expired}
