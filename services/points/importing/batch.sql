-- One batch of the legacy import (importing/history.py runs these blocks in order on the batch's
-- transaction, with app.ledger_bulk on). Each block is one statement, named, with the parameters it
-- binds in order ($1, $2, ...); `-> value` / `-> row` blocks answer what the batch reports.
-- What a posting writes (transactions, entries, lots, lot movements, balances) is written here
-- set-based for thousands of members at once; tests/test_posting_contract.py holds it to what
-- the online postings write.

-- A staging member (sm) this import ($1) into the program ($2) has not finished: batches are whole.
-- fragment: not_yet_imported
NOT EXISTS (SELECT 1 FROM imported_members im
            WHERE im.program_id = $2 AND im.import_id = $1 AND im.legacy_id = sm.legacy_id)

-- A new posting's id: time_ordered_uuid()'s UUIDv7 layout (the time in milliseconds, then version 7 and
-- random bits), written out here: the function's own search_path setting costs more than the id.
-- fragment: new_id
(overlay(lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') PLACING '-' FROM 9 FOR 0)
 || '-7' || substr(gen_random_uuid()::text, 16))::uuid

-- The bounds of the batches (history.py's stripes): every `size`-th pending legacy id, `size` evened out
-- so the batches are a whole number of rounds of the workers (no worker idles through a last batch
-- alone); every worker gets a share of a small import (`size` shrinks to the pending count / workers).
-- name: bounds(import_id, program_id, size, workers)
SELECT legacy_id, pending FROM (
    SELECT sm.legacy_id, row_number() OVER (ORDER BY sm.legacy_id) AS n, count(*) OVER () AS pending
    FROM staging.members sm JOIN staging.member_map mm ON mm.program_id = $2 AND mm.legacy_id = sm.legacy_id
    WHERE sm.import_id = $1 AND {not_yet_imported}
) s WHERE n % greatest(1, ceil(pending::numeric / ($4::int * ceil(pending::numeric / ($3::int * $4::int))))::bigint) = 0
ORDER BY legacy_id;

-- The members with legacy ids in ($3, $4] that import $1 into program $2 has not finished.
-- name: members(import_id, program_id, lo, hi)
CREATE TEMP TABLE imp_members ON COMMIT DROP AS
SELECT mm.member_id, mm.loyalty_number, sm.legacy_id, sm.status, b.points_balance AS legacy_balance,
       false AS fresh
FROM staging.members sm
JOIN staging.member_map mm ON mm.program_id = $2 AND mm.legacy_id = sm.legacy_id
LEFT JOIN staging.balances b ON b.import_id = $1 AND b.legacy_id = sm.legacy_id
WHERE sm.import_id = $1 AND sm.legacy_id > $3 AND ($4::text IS NULL OR sm.legacy_id <= $4)
  AND {not_yet_imported};

-- name: analyze_members()
ANALYZE imp_members;

-- name: count_members() -> value
SELECT count(*) FROM imp_members;

-- A member registered by this batch is fresh: nothing of theirs is posted, held or in use yet.
-- name: register_members(program_id) -> value
WITH added AS (
    INSERT INTO members(program_id, id, loyalty_number, status)
    SELECT $1, member_id, loyalty_number, status FROM imp_members
    ON CONFLICT (program_id, id) DO NOTHING RETURNING id
), marked AS (
    UPDATE imp_members m SET fresh = true FROM added a WHERE a.id = m.member_id RETURNING 1
) SELECT count(*) FROM marked;

-- A member who was already here may have no wallet yet. A fresh member's wallet gets its id now and is
-- written once the batch knows its balance (write_wallets): one insert, not an insert and an update.
-- name: open_wallets(program_id)
INSERT INTO accounts(program_id, kind, member_id)
SELECT $1, 'member_available', member_id FROM imp_members WHERE NOT fresh
ON CONFLICT DO NOTHING;

-- The accounts sequence comes as its oid, like the lots' (below).
-- name: member_accounts(program_id, account_sequence)
CREATE TEMP TABLE imp_accounts ON COMMIT DROP AS
SELECT a.member_id, a.id, false AS fresh FROM imp_members m
JOIN accounts a ON a.program_id = $1 AND a.kind = 'member_available' AND a.member_id = m.member_id
WHERE NOT m.fresh
UNION ALL
SELECT member_id, nextval($2::oid::regclass), true FROM imp_members WHERE fresh;

-- Locked as a foreign key's check would (the entries point at them); the member accounts are locked
-- by the balances' update.
-- name: program_accounts(program_id)
CREATE TEMP TABLE imp_program_accounts ON COMMIT DROP AS
SELECT kind, id FROM accounts WHERE program_id = $1 AND member_id IS NULL FOR KEY SHARE;

-- name: analyze_accounts()
ANALYZE imp_accounts; ANALYZE imp_program_accounts;

-- Members who were already here may be in use: lock them in id order, then expire and release
-- (fresh ones are not: none of them, no call).
-- name: touch_members()
SELECT ledger_touch(array_agg(member_id ORDER BY member_id)) FROM imp_members WHERE NOT fresh HAVING count(*) > 0;

-- The batch's slice of staging, read as a range of the (import_id, legacy_id) index: joined by member
-- alone, the planner's guess of rows per member (from a sample of millions) made it hash all of staging
-- for every batch once the staged rows were not in file order on disk.
-- name: transactions(import_id, program_id)
CREATE TEMP TABLE imp_txns ON COMMIT DROP AS
SELECT {new_id} AS id, m.member_id, t.legacy_txn_id, t.occurred_at, t.kind, t.points, t.channel,
       t.reference AS legacy_reference,
       CASE WHEN t.kind IN ('earn', 'adjust') THEN t.points ELSE -t.points END AS signed
FROM imp_members m
JOIN staging.transactions t ON t.import_id = $1 AND t.legacy_id = m.legacy_id
    AND t.legacy_id BETWEEN (SELECT min(legacy_id) FROM imp_members) AND (SELECT max(legacy_id) FROM imp_members)
WHERE m.fresh OR NOT EXISTS (SELECT 1 FROM transactions x WHERE x.program_id = $2
                             AND x.reference = 'legacy:' || t.legacy_txn_id);

-- name: analyze_transactions()
ANALYZE imp_txns;

-- name: post_transactions(program_id, import_text) -> value
WITH posted AS (
    INSERT INTO transactions(program_id, id, kind, reference, member_id, points, occurred_at, details)
    SELECT $1, id, upper(kind), 'legacy:' || legacy_txn_id, member_id, signed, occurred_at,
           jsonb_build_object('imported', true, 'import_id', $2::text, 'legacy_txn_id', legacy_txn_id,
                              'channel', channel, 'legacy_reference', legacy_reference)
    FROM imp_txns RETURNING 1
) SELECT count(*) FROM posted;

-- Entries are built here and written with one INSERT once the batch's transactions are posted.
-- name: history_entries()
CREATE TEMP TABLE imp_entries ON COMMIT DROP AS
SELECT t.id AS transaction_id, a.id AS account_id, t.signed AS amount
FROM imp_txns t JOIN imp_accounts a ON a.member_id = t.member_id
UNION ALL
SELECT t.id, p.id, -t.signed FROM imp_txns t JOIN imp_program_accounts p
    ON p.kind = CASE t.kind WHEN 'earn' THEN 'issuance' WHEN 'adjust' THEN 'adjustment'
                          WHEN 'burn' THEN 'redemption' ELSE 'breakage' END;

-- Credits become lots under the program's expiry policy ($1 zone, $2 days, $3 month end); the expiry
-- depends on the local day only, so the policy function runs once per day, not per lot.
-- The lots sequence comes as its oid ($4, named once per batch): pg_get_serial_sequence() per row costs a
-- catalog lookup each time.
-- name: new_lots(timezone, expiry_days, month_end, lot_sequence)
CREATE TEMP TABLE imp_lots ON COMMIT DROP AS
WITH credits AS (SELECT *, (occurred_at AT TIME ZONE $1)::date AS local_day FROM imp_txns WHERE signed > 0),
     -- MATERIALIZED: inlined, the call moved into the join's output and ran per lot (about 0.2 ms each)
     policy AS MATERIALIZED (SELECT local_day,
                       policy_lot_expiry(local_day::timestamp AT TIME ZONE $1, $1, $2, $3) AS expires_at
                FROM (SELECT DISTINCT local_day FROM credits) d)
SELECT nextval($4::oid::regclass) AS id, c.member_id, c.id AS transaction_id, c.points,
       c.occurred_at AS earned_at, p.expires_at
FROM credits c JOIN policy p USING (local_day);

-- name: analyze_new_lots()
ANALYZE imp_lots;

-- Every open lot of these members, old and new, in the order they are spent.
-- name: lot_pool()
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
FROM lots_open WINDOW w AS (PARTITION BY member_id ORDER BY expires_at NULLS LAST, earned_at, id);

-- name: analyze_lot_pool()
ANALYZE imp_pool;

-- Debits consume lots soonest-expiring first (legacy history gives no lot links).
-- name: moves()
CREATE TEMP TABLE imp_moves ON COMMIT DROP AS
WITH debits AS (
    SELECT id AS transaction_id, member_id,
           sum(-signed) OVER w + signed AS lo, sum(-signed) OVER w AS hi
    FROM imp_txns WHERE signed < 0
    WINDOW w AS (PARTITION BY member_id ORDER BY occurred_at, legacy_txn_id)
)
SELECT p.id AS lot_id, d.transaction_id, least(p.hi, d.hi) - greatest(p.lo, d.lo) AS pts
FROM imp_pool p JOIN debits d ON d.member_id = p.member_id AND p.lo < d.hi AND d.lo < p.hi;

-- name: analyze_moves()
ANALYZE imp_moves;

-- name: after_history(now)
CREATE TEMP TABLE imp_after ON COMMIT DROP AS
SELECT p.*, p.pts - coalesce(u.used, 0) AS left_pts, (p.expires_at <= $1) AS past_due
FROM imp_pool p LEFT JOIN (SELECT lot_id, sum(pts) AS used FROM imp_moves GROUP BY lot_id) u ON u.lot_id = p.id;

-- name: analyze_after_history()
ANALYZE imp_after;

-- Lots past their date under the policy expire now, as one EXPIRE posting per member.
-- name: expiring()
CREATE TEMP TABLE imp_expire ON COMMIT DROP AS
SELECT member_id, {new_id} AS transaction_id, sum(left_pts) AS pts
FROM imp_after WHERE past_due AND left_pts > 0 GROUP BY member_id;

-- name: expiry_moves()
INSERT INTO imp_moves(lot_id, transaction_id, pts)
SELECT a.id, e.transaction_id, a.left_pts FROM imp_after a JOIN imp_expire e USING (member_id)
WHERE a.past_due AND a.left_pts > 0;

-- What the ledger shows after history and expiry, and what the legacy system says.
-- name: fixes()
CREATE TEMP TABLE imp_fix ON COMMIT DROP AS
WITH state AS (
    SELECT m.member_id, m.legacy_id,
           coalesce(a.balance, 0) + coalesce(h.delta, 0) - coalesce(e.pts, 0) AS ledger_balance,
           coalesce(l.live, 0) AS live_lots, m.legacy_balance
    FROM imp_members m
    LEFT JOIN accounts a ON NOT m.fresh AND a.kind = 'member_available' AND a.member_id = m.member_id
    LEFT JOIN (SELECT member_id, sum(signed) AS delta FROM imp_txns GROUP BY member_id) h
           ON h.member_id = m.member_id
    LEFT JOIN imp_expire e ON e.member_id = m.member_id
    LEFT JOIN (SELECT member_id, sum(left_pts) AS live FROM imp_after WHERE NOT coalesce(past_due, false)
               GROUP BY member_id) l ON l.member_id = m.member_id
)
SELECT member_id, legacy_id, ledger_balance, live_lots, legacy_balance,
       coalesce(legacy_balance, greatest(ledger_balance, 0)) AS target,
       coalesce(legacy_balance, greatest(ledger_balance, 0)) - ledger_balance AS remediation,
       {new_id} AS transaction_id
FROM state;

-- name: analyze_fixes()
ANALYZE imp_fix;

-- Lots follow the target: the soonest-expiring live lots give way ...
-- name: give_way()
INSERT INTO imp_moves(lot_id, transaction_id, pts)
WITH live AS (
    SELECT a.id, a.member_id, a.left_pts,
           sum(a.left_pts) OVER w - a.left_pts AS lo, sum(a.left_pts) OVER w AS hi
    FROM imp_after a WHERE NOT coalesce(a.past_due, false) AND a.left_pts > 0
    WINDOW w AS (PARTITION BY a.member_id ORDER BY a.expires_at NULLS LAST, a.earned_at, a.id)
)
SELECT l.id, f.transaction_id, least(l.hi, f.live_lots - f.target) - l.lo
FROM live l JOIN imp_fix f USING (member_id)
WHERE f.live_lots > f.target AND l.lo < f.live_lots - f.target;

-- ... or a new lot holds what is missing.
-- name: missing_lots(now, timezone, expiry_days, month_end, lot_sequence)
INSERT INTO imp_lots(id, member_id, transaction_id, points, earned_at, expires_at)
SELECT nextval($5::oid::regclass), member_id, transaction_id, target - live_lots, $1,
       (SELECT policy_lot_expiry($1, $2, $3, $4))  -- once, not per lot
FROM imp_fix WHERE target > live_lots;

-- name: post_expiry_and_remediation(program_id, import_text, now)
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
FROM imp_fix WHERE remediation <> 0;

-- name: expiry_and_remediation_entries()
INSERT INTO imp_entries(transaction_id, account_id, amount)
SELECT x.transaction_id, a.id, x.amount FROM (
    SELECT e.transaction_id, e.member_id, -e.pts AS amount FROM imp_expire e
    UNION ALL SELECT transaction_id, member_id, remediation FROM imp_fix WHERE remediation <> 0
) x JOIN imp_accounts a ON a.member_id = x.member_id
UNION ALL
SELECT e.transaction_id, p.id, e.pts FROM imp_expire e JOIN imp_program_accounts p ON p.kind = 'breakage'
UNION ALL
SELECT f.transaction_id, p.id, -f.remediation FROM imp_fix f
JOIN imp_program_accounts p ON p.kind = 'adjustment' WHERE f.remediation <> 0;

-- Fresh members' wallets, with the balance the batch leaves them (before their entries: with per-row key
-- checks on, an entry's account must exist).
-- name: write_wallets(program_id)
INSERT INTO accounts(program_id, id, kind, member_id, balance)
SELECT $1, a.id, 'member_available', a.member_id, f.target FROM imp_accounts a JOIN imp_fix f USING (member_id)
WHERE a.fresh;

-- name: write_entries(program_id)
INSERT INTO entries(program_id, transaction_id, account_id, amount)
SELECT $1, transaction_id, account_id, amount FROM imp_entries;

-- Lots: new ones with what is left of them, old ones reduced; every change recorded as a movement.
-- name: used()
CREATE TEMP TABLE imp_used ON COMMIT DROP AS
SELECT lot_id, sum(pts) AS used FROM imp_moves GROUP BY lot_id;

-- name: analyze_used()
ANALYZE imp_used;

-- name: write_lots(program_id) -> value
WITH made AS (
    INSERT INTO lots(program_id, id, member_id, transaction_id, points, remaining, earned_at, expires_at)
    SELECT $1, n.id, n.member_id, n.transaction_id, n.points, n.points - coalesce(u.used, 0), n.earned_at,
           n.expires_at
    FROM imp_lots n LEFT JOIN imp_used u ON u.lot_id = n.id
    RETURNING 1
) SELECT count(*) FROM made;

-- name: reduce_old_lots()
UPDATE lots l SET remaining = l.remaining - u.used FROM imp_used u, imp_pool p
WHERE l.id = u.lot_id AND p.id = u.lot_id AND NOT p.fresh;

-- name: lot_movements(program_id)
INSERT INTO lot_movements(program_id, lot_id, transaction_id, source_transaction_id, delta)
SELECT $1, lot_id, transaction_id, transaction_id, -pts FROM imp_moves WHERE pts > 0;

-- name: balances()
UPDATE accounts a SET balance = f.target FROM imp_fix f JOIN imp_accounts x ON x.member_id = f.member_id AND NOT x.fresh
WHERE a.kind = 'member_available' AND a.member_id = f.member_id;

-- name: imported_members(program_id, import_id)
INSERT INTO imported_members(program_id, import_id, member_id, legacy_id, legacy_balance, remediation)
SELECT $1, $2, member_id, legacy_id, legacy_balance, remediation FROM imp_fix;

-- Checks before commit: every transaction's entries (the batch wrote exactly imp_entries) sum to zero ...
-- name: unbalanced() -> value
WITH posted AS (
    SELECT id FROM imp_txns UNION ALL SELECT transaction_id FROM imp_expire
    UNION ALL SELECT transaction_id FROM imp_fix WHERE remediation <> 0
)
SELECT p.id FROM posted p LEFT JOIN imp_entries e ON e.transaction_id = p.id
GROUP BY p.id HAVING count(e.transaction_id) < 2 OR sum(e.amount) <> 0 LIMIT 1;

-- ... every entry, lot and movement points at a transaction the batch posted, an account it holds and
-- a lot it wrote or changed: what the foreign keys check row by row, proved here for the batch at once
-- (history.py turns their per-row triggers off for the batch where the database allows it) ...
-- name: dangling() -> value
WITH posted AS (
    SELECT id FROM imp_txns UNION ALL SELECT transaction_id FROM imp_expire
    UNION ALL SELECT transaction_id FROM imp_fix WHERE remediation <> 0
), held AS (
    SELECT id FROM imp_accounts UNION ALL SELECT id FROM imp_program_accounts
), lots_held AS (
    SELECT id FROM imp_lots UNION ALL SELECT id FROM imp_pool
)
SELECT 'an entry of transaction ' || e.transaction_id FROM imp_entries e
WHERE NOT EXISTS (SELECT 1 FROM posted p WHERE p.id = e.transaction_id)
   OR NOT EXISTS (SELECT 1 FROM held a WHERE a.id = e.account_id)
UNION ALL
SELECT 'lot ' || l.id FROM imp_lots l WHERE NOT EXISTS (SELECT 1 FROM posted p WHERE p.id = l.transaction_id)
UNION ALL
SELECT 'a movement of lot ' || m.lot_id FROM imp_moves m
WHERE m.pts > 0 AND (NOT EXISTS (SELECT 1 FROM posted p WHERE p.id = m.transaction_id)
                     OR NOT EXISTS (SELECT 1 FROM lots_held l WHERE l.id = m.lot_id))
LIMIT 1;

-- ... and each member's lots sum to the balance.
-- name: drift(program_id) -> value
SELECT f.member_id FROM imp_fix f
CROSS JOIN LATERAL (SELECT coalesce(sum(remaining), 0) AS pts FROM lots l
                    WHERE l.program_id = $1 AND l.member_id = f.member_id AND l.remaining > 0) l
WHERE f.target <> l.pts LIMIT 1;

-- name: fix_totals() -> row
SELECT count(*) FILTER (WHERE remediation <> 0) AS n,
       coalesce(sum(remediation) FILTER (WHERE remediation > 0), 0)::bigint AS credited,
       coalesce(-sum(remediation) FILTER (WHERE remediation < 0), 0)::bigint AS debited
FROM imp_fix;

-- name: lots_expired() -> value
SELECT count(*) FROM imp_moves m JOIN imp_expire e USING (transaction_id);
