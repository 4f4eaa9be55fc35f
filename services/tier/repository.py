"""SQL for the tier service, in one place."""

import datetime as dt
import uuid

import asyncpg

# The activity column each metric sums (a whitelist: only these are spliced into SQL).
METRIC_COLUMN = {"points": "points", "spend": "spend", "transactions": "transactions"}


def window_interval(slab) -> tuple[int, int]:
    """(months, days) to subtract from the evaluation date for the window's open start."""
    return (slab.window_length, 0) if slab.window_unit == "month" else (0, slab.window_length)


# ---- programs, slabs, tiers -------------------------------------------------------------------

async def program(conn: asyncpg.Connection, program_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, code, currency, timezone, archived FROM programs WHERE id = $1", program_id)


async def program_exists(conn: asyncpg.Connection, program_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval("SELECT true FROM programs WHERE id = $1", program_id))


async def directory(conn: asyncpg.Connection) -> list[uuid.UUID]:
    return [r["program_id"] for r in await conn.fetch("SELECT program_id FROM program_directory ORDER BY program_id")]


async def slabs(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM slabs ORDER BY code")


async def tiers(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM tiers ORDER BY slab_code, level")


async def highest_held_level(conn: asyncpg.Connection, slab_code: str) -> int | None:
    return await conn.fetchval(
        "SELECT max(greatest(level, coalesce(override_level, 0))) FROM member_tiers WHERE slab_code = $1", slab_code
    )


async def upsert_slab(conn: asyncpg.Connection, *, program_id: uuid.UUID, slab) -> None:
    await conn.execute(
        "INSERT INTO slabs(program_id, code, name, metric, window_length, window_unit, downgrade, grace_days,"
        " close_to_upgrade_percent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (program_id, code) DO UPDATE SET name = EXCLUDED.name, metric = EXCLUDED.metric,"
        " window_length = EXCLUDED.window_length, window_unit = EXCLUDED.window_unit,"
        " downgrade = EXCLUDED.downgrade, grace_days = EXCLUDED.grace_days,"
        " close_to_upgrade_percent = EXCLUDED.close_to_upgrade_percent, updated_at = now()",
        program_id, slab.code, slab.name, slab.metric, slab.window_length, slab.window_unit, slab.downgrade,
        slab.grace_days, slab.close_to_upgrade_percent,
    )


async def replace_tiers(conn: asyncpg.Connection, *, program_id: uuid.UUID, slab) -> None:
    await conn.execute("DELETE FROM tiers WHERE slab_code = $1", slab.code)
    await conn.executemany(
        "INSERT INTO tiers(program_id, slab_code, level, code, name, benefits, earn_multiplier, threshold,"
        " retention_threshold, validity_months) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        [(program_id, slab.code, t.level, t.code, t.name, t.benefits, t.earn_multiplier, t.threshold,
          t.retention_threshold, t.validity_months) for t in slab.tiers],
    )


async def add_base_rows_for_known_members(conn: asyncpg.Connection, *, program_id: uuid.UUID, slab_code: str) -> None:
    await conn.execute(
        "INSERT INTO member_tiers(program_id, slab_code, member_id, level, achieved_on)"
        " SELECT $1, $2, member_id, 0, first_seen_at::date FROM members ON CONFLICT DO NOTHING",
        program_id, slab_code,
    )


# ---- members and activity ---------------------------------------------------------------------

async def record_events(conn: asyncpg.Connection, *, program_id: uuid.UUID, rows: list[tuple]) -> set[str]:
    """Insert consumed events; returns the ids that were new (the rest were delivered before)."""
    if not rows:
        return set()
    columns = list(zip(*rows))
    new = await conn.fetch(
        "INSERT INTO consumed_events(program_id, event_id, transaction_id, member_id, day, points, amount, qualifying)"
        " SELECT $1, * FROM unnest($2::text[], $3::text[], $4::uuid[], $5::date[], $6::bigint[], $7::numeric[],"
        " $8::boolean[]) ON CONFLICT DO NOTHING RETURNING event_id",
        program_id, *columns,
    )
    return {r["event_id"] for r in new}


async def qualifying_earns(conn: asyncpg.Connection, transaction_ids: list[str]) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT event_id, transaction_id, member_id, day, points, amount, voided_points FROM consumed_events"
        " WHERE qualifying AND transaction_id = ANY($1::text[])",
        transaction_ids,
    )


async def set_voided_points(conn: asyncpg.Connection, updates: list[tuple[str, int]]) -> None:
    if updates:
        ids, points = zip(*updates)
        await conn.execute(
            "UPDATE consumed_events c SET voided_points = u.voided FROM unnest($1::text[], $2::bigint[]) AS u(id, voided)"
            " WHERE c.event_id = u.id",
            list(ids), list(points),
        )


async def upsert_members(conn: asyncpg.Connection, *, program_id: uuid.UUID, members: dict[uuid.UUID, str]) -> list[uuid.UUID]:
    """Returns the members seen for the first time."""
    if not members:
        return []
    rows = await conn.fetch(
        "INSERT INTO members(program_id, member_id, loyalty_number)"
        " SELECT $1, * FROM unnest($2::uuid[], $3::text[])"
        " ON CONFLICT (program_id, member_id) DO UPDATE SET loyalty_number = EXCLUDED.loyalty_number"
        " WHERE members.loyalty_number IS DISTINCT FROM EXCLUDED.loyalty_number OR EXCLUDED.loyalty_number = ''"
        " RETURNING member_id, xmax = 0 AS created",
        program_id, list(members), list(members.values()),
    )
    return [r["member_id"] for r in rows if r["created"]]


async def add_base_rows(conn: asyncpg.Connection, *, program_id: uuid.UUID, member_ids: list[uuid.UUID], day: dt.date) -> None:
    if member_ids:
        await conn.execute(
            "INSERT INTO member_tiers(program_id, slab_code, member_id, level, achieved_on)"
            " SELECT $1, s.code, m, 0, $3 FROM slabs s, unnest($2::uuid[]) AS m ON CONFLICT DO NOTHING",
            program_id, member_ids, day,
        )


async def add_activity(conn: asyncpg.Connection, *, program_id: uuid.UUID, deltas: dict) -> None:
    """deltas: (member_id, day) -> [points, spend, transactions], added to what is there."""
    if not deltas:
        return
    keys = list(deltas)
    await conn.execute(
        "INSERT INTO activity AS a (program_id, member_id, day, points, spend, transactions)"
        " SELECT $1, * FROM unnest($2::uuid[], $3::date[], $4::bigint[], $5::numeric[], $6::int[])"
        " ON CONFLICT (program_id, member_id, day) DO UPDATE SET points = a.points + EXCLUDED.points,"
        " spend = a.spend + EXCLUDED.spend, transactions = a.transactions + EXCLUDED.transactions",
        program_id, [k[0] for k in keys], [k[1] for k in keys], [deltas[k][0] for k in keys],
        [deltas[k][1] for k in keys], [deltas[k][2] for k in keys],
    )


async def member_by_number(conn: asyncpg.Connection, loyalty_number: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT member_id, loyalty_number FROM members WHERE loyalty_number = $1 LIMIT 1", loyalty_number)


async def member_by_id(conn: asyncpg.Connection, member_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT member_id, loyalty_number FROM members WHERE member_id = $1", member_id)


async def window_value(conn: asyncpg.Connection, *, program_id: uuid.UUID, member_id: uuid.UUID, slab,
                       as_of: dt.date) -> object:
    months, days = window_interval(slab)
    column = METRIC_COLUMN[slab.metric]
    return await conn.fetchval(
        f"SELECT coalesce(sum({column}), 0) FROM activity WHERE program_id = $1 AND member_id = $2"
        " AND day > ($3::date - make_interval(months => $4, days => $5))::date AND day <= $3",
        program_id, member_id, as_of, months, days,
    )


async def member_tier_rows(conn: asyncpg.Connection, member_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM member_tiers WHERE member_id = $1", member_id)


async def member_tier_for_update(conn: asyncpg.Connection, *, program_id: uuid.UUID, slab_code: str,
                                 member_id: uuid.UUID, day: dt.date) -> asyncpg.Record:
    await conn.execute(
        "INSERT INTO member_tiers(program_id, slab_code, member_id, level, achieved_on) VALUES ($1, $2, $3, 0, $4)"
        " ON CONFLICT DO NOTHING",
        program_id, slab_code, member_id, day,
    )
    return await conn.fetchrow(
        "SELECT * FROM member_tiers WHERE slab_code = $1 AND member_id = $2 FOR UPDATE", slab_code, member_id
    )


async def update_member_tier(conn: asyncpg.Connection, *, slab_code: str, member_id: uuid.UUID, level: int,
                             achieved_on: dt.date, lapse_on: dt.date | None, override_level: int | None,
                             override_reason: str | None, override_ends_on: dt.date | None) -> None:
    await conn.execute(
        "UPDATE member_tiers SET level = $3, achieved_on = $4, lapse_on = $5, override_level = $6,"
        " override_reason = $7, override_ends_on = $8, updated_at = now() WHERE slab_code = $1 AND member_id = $2",
        slab_code, member_id, level, achieved_on, lapse_on, override_level, override_reason, override_ends_on,
    )


async def add_history(conn: asyncpg.Connection, *, program_id: uuid.UUID, member_id: uuid.UUID, slab_code: str,
                      change: str, from_level: int, to_level: int, reason: str, effective_on: dt.date) -> None:
    await conn.execute(
        "INSERT INTO tier_history(program_id, member_id, slab_code, change, from_level, to_level, reason, effective_on)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        program_id, member_id, slab_code, change, from_level, to_level, reason, effective_on,
    )


async def history(conn: asyncpg.Connection, *, member_id: uuid.UUID, slab_code: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT h.*, fc.code AS from_code, tc.code AS to_code FROM tier_history h"
        " LEFT JOIN tiers fc ON fc.slab_code = h.slab_code AND fc.level = h.from_level"
        " LEFT JOIN tiers tc ON tc.slab_code = h.slab_code AND tc.level = h.to_level"
        " WHERE h.member_id = $1 AND ($2 = '' OR h.slab_code = $2) ORDER BY h.id",
        member_id, slab_code,
    )


# ---- evaluation: upgrades at the event, and the daily job --------------------------------------

def _payload(codes: str) -> str:
    """The TIER_* event payload from a changed row `u`; `codes` is the tier-codes array parameter."""
    return f"""jsonb_build_object(
    'member_id', u.member_id, 'loyalty_number', coalesce(m.loyalty_number, ''), 'slab_code', $2::text,
    'from_tier', ({codes}::text[])[u.from_level + 1], 'to_tier', ({codes}::text[])[u.to_level + 1],
    'level', u.to_level, 'value', u.v::text, 'effective_on', u.effective_on, 'reason', u.reason)"""


async def upgrade_at_events(conn: asyncpg.Connection, *, program_id: uuid.UUID, slab, as_of: dict) -> list[asyncpg.Record]:
    """Members whose activity now reaches a higher tier move up, as of their event's day; those
    within `close_to_upgrade_percent` of the next tier get CLOSE_TO_TIER_UPGRADE once per tier."""
    months, days = window_interval(slab)
    column = METRIC_COLUMN[slab.metric]
    members = list(as_of)
    return await conn.fetch(
        f"""
        WITH input AS (
            SELECT * FROM unnest($3::uuid[], $4::date[]) AS i(member_id, as_of)
        ), valued AS (
            SELECT i.member_id, i.as_of, coalesce((
                SELECT sum(a.{column})::numeric FROM activity a
                WHERE a.program_id = $1 AND a.member_id = i.member_id AND a.day <= i.as_of
                  AND a.day > (i.as_of - make_interval(months => $5, days => $6))::date), 0) AS v
            FROM input i
        ), decided AS (
            SELECT mt.member_id, mt.level AS from_level, x.as_of, x.v,
                   greatest(mt.level, width_bucket(x.v, $7::numeric[])) AS to_level, mt.close_notified_level
            FROM member_tiers mt JOIN valued x USING (member_id)
            WHERE mt.program_id = $1 AND mt.slab_code = $2
        ), flagged AS (
            SELECT d.*, CASE WHEN d.to_level < $10 AND d.close_notified_level < d.to_level + 1
                              AND d.v * 100 >= ($8::numeric[])[d.to_level + 1] * $11
                         THEN d.to_level + 1 END AS close_to
            FROM decided d
        ), u AS (
            UPDATE member_tiers mt SET
                level = f.to_level,
                achieved_on = CASE WHEN f.to_level > f.from_level THEN f.as_of ELSE mt.achieved_on END,
                lapse_on = CASE WHEN f.to_level > f.from_level
                                THEN (f.as_of + make_interval(months => ($12::int[])[f.to_level]))::date
                                ELSE mt.lapse_on END,
                close_notified_level = coalesce(f.close_to, mt.close_notified_level),
                updated_at = now()
            FROM flagged f
            WHERE mt.program_id = $1 AND mt.slab_code = $2 AND mt.member_id = f.member_id
              AND (f.to_level > f.from_level OR f.close_to IS NOT NULL)
            RETURNING mt.member_id, f.from_level, f.to_level, f.v, f.as_of AS effective_on, f.close_to,
                      'qualified: ' || f.v::text || ' {slab.metric} in the window' AS reason
        ), hist AS (
            INSERT INTO tier_history(program_id, member_id, slab_code, change, from_level, to_level, reason, effective_on)
            SELECT $1, member_id, $2, 'upgrade', from_level, to_level, reason, effective_on
            FROM u WHERE to_level > from_level
        ), events AS (
            INSERT INTO outbox(program_id, event_type, payload)
            SELECT $1, 'TIER_UPGRADE', {_payload('$9')}
            FROM u LEFT JOIN members m ON m.program_id = $1 AND m.member_id = u.member_id
            WHERE u.to_level > u.from_level
            UNION ALL
            SELECT $1, 'CLOSE_TO_TIER_UPGRADE', {_payload('$9')} || jsonb_build_object(
                'next_tier', ($9::text[])[u.close_to + 1],
                'needed', (($8::numeric[])[u.close_to] - u.v)::text)
            FROM u LEFT JOIN members m ON m.program_id = $1 AND m.member_id = u.member_id
            WHERE u.close_to IS NOT NULL
        )
        SELECT member_id, from_level, to_level, close_to FROM u
        """,
        program_id, slab.code, members, [as_of[m] for m in members], months, days, slab.thresholds,
        [*slab.thresholds, None], slab.codes, slab.top_level, slab.close_to_upgrade_percent, slab.validity,
    )


async def evaluate_slab(conn: asyncpg.Connection, *, program_id: uuid.UUID, slab, as_of: dt.date,
                        frozen: bool) -> asyncpg.Record:
    """The daily job for one slab, in one statement: members who now qualify above their tier move
    up; members whose lapse date came keep the tier (anniversary) when they meet its retention
    threshold, else move down (one level or to the base, never below an active override) once the
    grace period is over and no freeze window covers the day."""
    months, days = window_interval(slab)
    column = METRIC_COLUMN[slab.metric]
    # Decide first into a small temporary table, so the update joins the few changed members by
    # their key (a planner estimate over the whole program would hash every member's row).
    await conn.execute("DROP TABLE IF EXISTS pg_temp.tier_decisions")
    await conn.execute(
        f"""
        CREATE TEMPORARY TABLE tier_decisions ON COMMIT DROP AS
        WITH qualified AS (
            SELECT member_id, sum({column})::numeric AS v FROM activity
            WHERE program_id = $1 AND day > ($3::date - make_interval(months => $4, days => $5))::date AND day <= $3
            GROUP BY member_id HAVING sum({column}) >= ($6::numeric[])[1]
        ), candidates AS (
            -- members who now qualify above their tier, then (disjoint) those whose lapse date came
            SELECT mt.member_id, mt.level, mt.lapse_on, mt.override_level, mt.override_ends_on, q.v
            FROM qualified q
            JOIN member_tiers mt ON mt.program_id = $1 AND mt.slab_code = $2 AND mt.member_id = q.member_id
            WHERE width_bucket(q.v, $6::numeric[]) > mt.level
            UNION ALL
            SELECT * FROM (
                SELECT mt.member_id, mt.level, mt.lapse_on, mt.override_level, mt.override_ends_on, coalesce((
                    SELECT sum(a.{column})::numeric FROM activity a
                    WHERE a.program_id = $1 AND a.member_id = mt.member_id AND a.day <= $3
                      AND a.day > ($3::date - make_interval(months => $4, days => $5))::date), 0) AS v
                FROM member_tiers mt WHERE mt.program_id = $1 AND mt.slab_code = $2 AND mt.lapse_on <= $3
            ) lapsed WHERE width_bucket(lapsed.v, $6::numeric[]) <= lapsed.level
        ), state AS (
            SELECT c.member_id, c.level, c.lapse_on, c.override_ends_on, c.v,
                   width_bucket(c.v, $6::numeric[]) AS q,
                   CASE WHEN c.override_level IS NOT NULL AND (c.override_ends_on IS NULL OR c.override_ends_on > $3)
                        THEN c.override_level ELSE 0 END AS floor
            FROM candidates c
        ), decided AS (
            SELECT s.*,
                CASE
                    WHEN s.q > s.level THEN 'upgrade'
                    WHEN s.lapse_on IS NULL OR s.lapse_on > $3 THEN 'none'
                    WHEN s.v >= ($7::numeric[])[s.level] THEN 'anniversary'
                    WHEN $9::boolean OR $3 < s.lapse_on + $8::int THEN 'none'
                    WHEN greatest(CASE WHEN $10::boolean THEN s.level - 1 ELSE 0 END, s.q, s.floor) < s.level THEN 'downgrade'
                    ELSE 'kept'
                END AS action,
                greatest(CASE WHEN $10::boolean THEN s.level - 1 ELSE 0 END, s.q, s.floor) AS down_to
            FROM state s
        )
        SELECT * FROM decided WHERE action <> 'none'
        """,
        program_id, slab.code, as_of, months, days, slab.thresholds, slab.retention, slab.grace_days,
        frozen, slab.downgrade == "one_level",
    )
    await conn.execute("ANALYZE pg_temp.tier_decisions")
    return await conn.fetchrow(
        f"""
        WITH u AS (
            UPDATE member_tiers mt SET
                level = CASE d.action WHEN 'upgrade' THEN d.q WHEN 'downgrade' THEN d.down_to ELSE mt.level END,
                achieved_on = CASE WHEN d.action IN ('upgrade', 'downgrade') THEN $3 ELSE mt.achieved_on END,
                lapse_on = CASE d.action
                    WHEN 'upgrade' THEN ($3 + make_interval(months => ($4::int[])[d.q]))::date
                    WHEN 'downgrade' THEN CASE WHEN d.down_to > 0
                                               THEN ($3 + make_interval(months => ($4::int[])[d.down_to]))::date END
                    WHEN 'anniversary' THEN next_anniversary(mt.lapse_on, ($4::int[])[mt.level], $3)
                    ELSE mt.override_ends_on END,
                updated_at = now()
            FROM tier_decisions d
            WHERE mt.program_id = $1 AND mt.slab_code = $2 AND mt.member_id = d.member_id
              AND mt.level = d.level AND mt.lapse_on IS NOT DISTINCT FROM d.lapse_on
            RETURNING mt.member_id, d.level AS from_level, mt.level AS to_level, d.v, d.action, $3::date AS effective_on,
                CASE d.action
                    WHEN 'upgrade' THEN 'qualified: ' || d.v::text || ' {slab.metric} in the window'
                    WHEN 'anniversary' THEN 'retained: ' || d.v::text || ' {slab.metric} in the window'
                    WHEN 'downgrade' THEN 'not retained: ' || d.v::text || ' {slab.metric} in the window'
                        || CASE WHEN d.floor = d.down_to AND d.floor > 0 THEN ' (held at the override floor)' ELSE '' END
                    ELSE 'kept by an override until ' || coalesce(mt.override_ends_on::text, 'cleared')
                END AS reason
        ), hist AS (
            INSERT INTO tier_history(program_id, member_id, slab_code, change, from_level, to_level, reason, effective_on)
            SELECT $1, member_id, $2, action, from_level, to_level, reason, effective_on FROM u
            WHERE action IN ('upgrade', 'downgrade', 'anniversary')
        ), events AS (
            INSERT INTO outbox(program_id, event_type, payload)
            SELECT $1, CASE u.action WHEN 'upgrade' THEN 'TIER_UPGRADE' WHEN 'downgrade' THEN 'TIER_DOWNGRADE'
                                     ELSE 'TIER_ANNIVERSARY' END, {_payload('$5')}
            FROM u LEFT JOIN members m ON m.program_id = $1 AND m.member_id = u.member_id
            WHERE u.action IN ('upgrade', 'downgrade', 'anniversary')
        ), run AS (
            INSERT INTO evaluation_runs(program_id, slab_code, as_of, upgrades, downgrades, anniversaries)
            SELECT $1, $2, $3, count(*) FILTER (WHERE action = 'upgrade'), count(*) FILTER (WHERE action = 'downgrade'),
                   count(*) FILTER (WHERE action = 'anniversary') FROM u
            ON CONFLICT (program_id, slab_code, as_of) DO UPDATE SET finished_at = now()
        )
        SELECT count(*) FILTER (WHERE action = 'upgrade') AS upgrades,
               count(*) FILTER (WHERE action = 'downgrade') AS downgrades,
               count(*) FILTER (WHERE action = 'anniversary') AS anniversaries
        FROM u
        """,
        program_id, slab.code, as_of, slab.validity, slab.codes,
    )


async def evaluated(conn: asyncpg.Connection, *, slab_code: str, as_of: dt.date) -> bool:
    return bool(await conn.fetchval(
        "SELECT true FROM evaluation_runs WHERE slab_code = $1 AND as_of = $2", slab_code, as_of
    ))


# ---- freeze windows ---------------------------------------------------------------------------

async def frozen_on(conn: asyncpg.Connection, day: dt.date) -> bool:
    return bool(await conn.fetchval("SELECT true FROM freeze_windows WHERE $1 BETWEEN starts_on AND ends_on LIMIT 1", day))


async def add_freeze(conn: asyncpg.Connection, *, program_id: uuid.UUID, starts_on: dt.date, ends_on: dt.date,
                     reason: str, created_by: str) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO freeze_windows(program_id, starts_on, ends_on, reason, created_by) VALUES ($1, $2, $3, $4, $5)"
        " RETURNING *",
        program_id, starts_on, ends_on, reason, created_by,
    )


async def remove_freeze(conn: asyncpg.Connection, freeze_id: int) -> bool:
    return await conn.fetchval("DELETE FROM freeze_windows WHERE id = $1 RETURNING true", freeze_id) or False


async def freezes(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM freeze_windows ORDER BY starts_on, id")


# ---- reports ----------------------------------------------------------------------------------

async def members_per_tier(conn: asyncpg.Connection, slab_code: str) -> dict[int, int]:
    rows = await conn.fetch("SELECT level, count(*) AS n FROM member_tiers WHERE slab_code = $1 GROUP BY level", slab_code)
    return {r["level"]: r["n"] for r in rows}


async def spend_per_tier(conn: asyncpg.Connection, *, slab_code: str, start: dt.date, end: dt.date) -> dict[int, object]:
    rows = await conn.fetch(
        "SELECT mt.level, sum(a.spend) AS spend FROM activity a"
        " JOIN member_tiers mt ON mt.program_id = a.program_id AND mt.member_id = a.member_id AND mt.slab_code = $1"
        " WHERE a.day BETWEEN $2 AND $3 GROUP BY mt.level",
        slab_code, start, end,
    )
    return {r["level"]: r["spend"] for r in rows}


async def changes_per_period(conn: asyncpg.Connection, *, slab_code: str, start: dt.date, end: dt.date,
                             period: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT date_trunc($4, effective_on)::date AS period,"
        " count(*) FILTER (WHERE change = 'upgrade' OR (change = 'override' AND to_level > from_level)) AS upgrades,"
        " count(*) FILTER (WHERE change = 'downgrade') AS downgrades"
        " FROM tier_history WHERE slab_code = $1 AND effective_on BETWEEN $2 AND $3 GROUP BY 1 ORDER BY 1",
        slab_code, start, end, period,
    )
