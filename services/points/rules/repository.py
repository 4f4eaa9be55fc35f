"""SQL of the rules engine, in one place (tables of migration 0050)."""

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal

import asyncpg

from services.points.rules.evaluation import Counter


async def revision(conn: asyncpg.Connection) -> int | None:
    return await conn.fetchval("SELECT revision FROM rules_revision")


async def share_revision(conn: asyncpg.Connection) -> None:
    """Hold the program's rules as they are until this transaction ends: a publish or archive
    (bump_revision) waits for it, and it waits for one under way."""
    await conn.execute("SELECT revision FROM rules_revision FOR SHARE")


async def bump_revision(conn: asyncpg.Connection, program_id: uuid.UUID) -> None:
    await conn.execute(
        "INSERT INTO rules_revision(program_id) VALUES ($1)"
        " ON CONFLICT (program_id) DO UPDATE SET revision = rules_revision.revision + 1",
        program_id,
    )


async def published_sets(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """The latest published version of every live rule set, with its campaign when it is one."""
    return await conn.fetch(
        """
        SELECT s.code, s.scope, s.scope_ref, v.version, v.rules,
               c.code AS campaign_code, c.starts_at, c.ends_at, c.targets, c.budget_total, c.budget_per_member,
               c.discount_budget_total, c.discount_budget_per_member
        FROM rule_sets s
        JOIN LATERAL (SELECT version, rules FROM rule_set_versions
                      WHERE rule_set_id = s.id AND status = 'published' ORDER BY version DESC LIMIT 1) v ON true
        LEFT JOIN campaigns c ON s.scope = 'campaign' AND c.code = s.scope_ref AND c.archived_at IS NULL
        WHERE s.archived_at IS NULL
        ORDER BY s.code
        """
    )


async def rule_set(conn: asyncpg.Connection, code: str, *, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM rule_sets WHERE code = $1" + (" FOR UPDATE" if lock else ""), code)


async def rule_sets(conn: asyncpg.Connection, *, include_archived: bool) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM rule_sets WHERE $1 OR archived_at IS NULL ORDER BY scope, scope_ref, code", include_archived
    )


async def insert_rule_set(
    conn: asyncpg.Connection, *, program_id: uuid.UUID, code: str, name: str, scope: str, scope_ref: str
) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO rule_sets(program_id, id, code, name, scope, scope_ref) VALUES ($1, $2, $3, $4, $5, $6)"
        " RETURNING *",
        program_id, uuid.uuid4(), code, name, scope, scope_ref,
    )


async def rename_rule_set(conn: asyncpg.Connection, set_id: uuid.UUID, name: str) -> None:
    await conn.execute("UPDATE rule_sets SET name = $2 WHERE id = $1", set_id, name)


async def versions(conn: asyncpg.Connection, set_ids: Sequence[uuid.UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM rule_set_versions WHERE rule_set_id = ANY($1) ORDER BY rule_set_id, version", list(set_ids)
    )


async def save_draft(
    conn: asyncpg.Connection, *, program_id: uuid.UUID, set_id: uuid.UUID, rules: list, by: str
) -> int:
    """Replace the set's draft, or start one after the latest version; returns its version."""
    updated = await conn.fetchval(
        "UPDATE rule_set_versions SET rules = $2, created_at = now(), created_by = $3"
        " WHERE rule_set_id = $1 AND status = 'draft' RETURNING version",
        set_id, rules, by,
    )
    if updated is not None:
        return updated
    return await conn.fetchval(
        "INSERT INTO rule_set_versions(program_id, rule_set_id, version, status, rules, created_by)"
        " SELECT $1, $2, coalesce(max(version), 0) + 1, 'draft', $3, $4 FROM rule_set_versions WHERE rule_set_id = $2"
        " RETURNING version",
        program_id, set_id, rules, by,
    )


async def draft(conn: asyncpg.Connection, set_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM rule_set_versions WHERE rule_set_id = $1 AND status = 'draft'", set_id
    )


async def latest_published(conn: asyncpg.Connection, set_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM rule_set_versions WHERE rule_set_id = $1 AND status = 'published'"
        " ORDER BY version DESC LIMIT 1", set_id
    )


async def publish(conn: asyncpg.Connection, *, set_id: uuid.UUID, version: int, by: str) -> None:
    await conn.execute(
        "UPDATE rule_set_versions SET status = 'published', published_at = now(), published_by = $3"
        " WHERE rule_set_id = $1 AND version = $2 AND status = 'draft'",
        set_id, version, by,
    )


async def archive_rule_set(conn: asyncpg.Connection, set_id: uuid.UUID) -> None:
    await conn.execute("UPDATE rule_sets SET archived_at = coalesce(archived_at, now()) WHERE id = $1", set_id)


# --- usage counters for caps and budgets ---------------------------------------------------------

async def read_usage(
    conn: asyncpg.Connection, *, program_id: uuid.UUID, member_id: uuid.UUID | None, counters: Sequence[Counter],
) -> dict[Counter, int]:
    """What each counter has used so far, without locking (dry runs; the earn path uses `take`)."""
    if not counters:
        return {}
    kinds = [c.kind for c in counters]
    keys = [stored_key(c) for c in counters]
    members = [member_id if c.member else None for c in counters]
    days = [c.day for c in counters]
    rows = await conn.fetch(
        "SELECT r.kind, r.key, r.member_id, r.day, r.points FROM rule_usage r"
        " JOIN unnest($1::text[], $2::text[], $3::uuid[], $4::date[]) AS u(k, y, m, d)"
        " ON r.kind = u.k AND r.key = u.y AND r.member_id IS NOT DISTINCT FROM u.m"
        " AND r.day IS NOT DISTINCT FROM u.d",
        kinds, keys, members, days,
    )
    found = {(r["kind"], r["key"], r["member_id"] is not None, r["day"]): r["points"] for r in rows}
    used = {c: found.get((c.kind, stored_key(c), c.member, c.day), 0) for c in counters}
    totals = sorted({(c.kind, c.key) for c in counters if c.kind in TOTAL_KINDS})
    if totals:  # a campaign's total budget: every shard's share
        rows = await conn.fetch(
            "SELECT kind, split_part(key, '#', 1) AS code, sum(points)::bigint AS points FROM rule_usage"
            " WHERE kind = ANY($1) AND split_part(key, '#', 1) = ANY($2) GROUP BY 1, 2",
            sorted({k for k, _ in totals}), sorted({code for _, code in totals}),
        )
        spent = {(r["kind"], r["code"]): r["points"] for r in rows}
        for c in counters:
            if c.kind in TOTAL_KINDS:
                used[c] = spent.get((c.kind, c.key), 0)
    return used


TOTAL_KINDS = ("campaign_total", "discount_total")


def stored_key(counter: Counter) -> str:
    """A campaign's total is kept in shards (by member), so earns of different members do not queue
    on one row; the budget check sums them."""
    return f"{counter.key}#{counter.shard}" if counter.kind in TOTAL_KINDS else counter.key


# Lock order of counters (migration 0053): discounts first (an earn takes them before its points).
KIND_ORDER = {"discount_member": 0, "discount_total": 1, "campaign_member": 2, "campaign_total": 3,
              "campaign_lease": 3.5, "rule_day": 4, "rule_member": 5}  # a lease: its budget row (0056)


def _lock_order(counter: Counter) -> tuple:
    return (KIND_ORDER[counter.kind], stored_key(counter), counter.member, counter.day or dt.date.min)


def _take_payload(*, counters: Sequence[Counter], limits: dict[Counter, int], lines: Sequence[Sequence[Counter]],
                  points: Sequence[int]) -> tuple[list, list]:
    ordered = sorted(counters, key=_lock_order)
    position = {c: i + 1 for i, c in enumerate(ordered)}
    want: dict[Counter, int] = {}
    for line_points, line_counters in zip(points, lines):
        for c in line_counters:
            want[c] = want.get(c, 0) + max(line_points, 0)
    payload = [{"kind": c.kind, "key": stored_key(c), "member": c.member,
                "day": c.day.isoformat() if c.day else None, "limit": limits[c], "code": c.key,
                "want": want.get(c, 0)} for c in ordered]
    return payload, [{"points": p, "counters": [position[c] for c in cs]} for p, cs in zip(points, lines)]


def _granted(result) -> list[tuple[int, int | None]]:
    granted, binding = result
    return [(int(p), b) for p, b in zip(granted, binding)]


async def take(
    conn: asyncpg.Connection, *, member_id: uuid.UUID, counters: Sequence[Counter], limits: dict[Counter, int],
    lines: Sequence[Sequence[Counter]], points: Sequence[int],
) -> list[tuple[int, int | None]]:
    """Lock, clamp and add in one round trip (rules_take, migration 0055): per line (points,
    binding). A total budget's shard is told the most this earn could take from it (`want`), so it
    asks its campaign for more reservation only when that much is not there already."""
    payload, line_payload = _take_payload(counters=counters, limits=limits, lines=lines, points=points)
    return _granted(await conn.fetchval("SELECT rules_take($1, $2, $3)", member_id, payload, line_payload))


async def revision_and_take(
    conn: asyncpg.Connection, *, expected: int, member_id: uuid.UUID, counters: Sequence[Counter],
    limits: dict[Counter, int], lines: Sequence[Sequence[Counter]], points: Sequence[int], xact: int | None = None,
) -> tuple[int | None, list[tuple[int, int | None]] | None, str | None]:
    """The program's rules revision, and `take` done in the same round trip when the revision is
    still `expected` (the rules the caller evaluated with); otherwise nothing is taken. With
    `xact`, also that transaction's status (a budget lease's, see leases.py)."""
    payload, line_payload = _take_payload(counters=counters, limits=limits, lines=lines, points=points)
    row = await conn.fetchrow(
        "SELECT revision, CASE WHEN revision = $1 THEN rules_take($2, $3, $4) END AS granted,"
        " CASE WHEN $5::bigint IS NOT NULL THEN pg_xact_status($5::text::xid8) END AS xact FROM rules_revision",
        expected, member_id, payload, line_payload, xact,
    )
    if row is None:
        return None, None, None
    return row["revision"], (_granted(row["granted"]) if row["granted"] is not None else None), row["xact"]


async def revision_and_take_one(
    conn: asyncpg.Connection, *, expected: int, member_id: uuid.UUID, counter: Counter, limit: int, points: int,
    xact: int | None = None,
) -> tuple[int | None, tuple[int, int | None] | None, str | None]:
    """The usual capped earn in one statement, without rules_take: one line with one member counter
    (a daily or per-member cap) that already has a row. Adds what the cap leaves, if anything,
    when the revision is still `expected`. Returns (revision, (points, binding) or None when the
    counter has no row yet: use `take`, the xact's status)."""
    row = await conn.fetchrow(
        """
        WITH granted AS (
            UPDATE rule_usage SET last_grant = least($2, $3 - points), points = points + least($2, $3 - points),
                                  transactions = transactions + 1
            WHERE kind = $4 AND key = $5 AND member_id = $6 AND day IS NOT DISTINCT FROM $7 AND points < $3
              AND (SELECT revision FROM rules_revision) = $1
            RETURNING last_grant
        )
        SELECT r.revision, (SELECT last_grant FROM granted) AS granted,
               EXISTS (SELECT 1 FROM rule_usage WHERE kind = $4 AND key = $5 AND member_id = $6
                       AND day IS NOT DISTINCT FROM $7) AS counted,
               CASE WHEN $8::bigint IS NOT NULL THEN pg_xact_status($8::bigint::text::xid8) END AS xact
        FROM rules_revision r
        """,
        expected, points, limit, counter.kind, stored_key(counter), member_id, counter.day, xact,
    )
    if row is None:
        return None, None, None
    if row["granted"] is not None:
        granted = int(row["granted"])
        return row["revision"], (granted, 0 if granted < points else None), row["xact"]
    if row["counted"] and row["revision"] == expected:  # the cap is reached
        return row["revision"], (0, 0) if points > 0 else (0, None), row["xact"]
    return row["revision"], None, row["xact"]


async def revision_and_status(conn: asyncpg.Connection, xact: int | None) -> tuple[int | None, str | None]:
    if xact is None:
        return await revision(conn), None
    row = await conn.fetchrow("SELECT revision, pg_xact_status($1::bigint::text::xid8) AS xact FROM rules_revision", xact)
    return (row["revision"], row["xact"]) if row else (None, None)


async def lease(conn: asyncpg.Connection, *, code: str, points: int, least: int) -> tuple[int, int]:
    """A lease of a campaign's total budget (rules_budget_lease, migration 0056): (points, xid)."""
    granted, xid = await conn.fetchval("SELECT rules_budget_lease($1, $2, $3)", code, points, least)
    return int(granted), int(xid)


async def give_back(conn: asyncpg.Connection, *, member_id: uuid.UUID, usage: dict[Counter, int]) -> None:
    """A void returns what its earn took from caps and budgets (rules_give_back, migration 0053;
    points granted from a budget lease go back to the budget, 0056)."""
    ordered = sorted(((c, p) for c, p in usage.items() if p > 0), key=lambda kv: _lock_order(kv[0]))
    counted = [{"kind": c.kind, "key": stored_key(c), "member": c.member, "day": c.day.isoformat() if c.day else None,
                "points": points} for c, points in ordered if c.kind != "campaign_lease"]
    if counted:
        await conn.execute("SELECT rules_give_back($1, $2)", member_id, counted)
    for c, points in ordered:
        if c.kind == "campaign_lease":
            await conn.execute("SELECT rules_lease_give_back($1, $2)", c.key, points)


async def lock_usage(conn: asyncpg.Connection, *, member_id: uuid.UUID, counters: Sequence[Counter]) -> None:
    """Lock the counters a void will give back to before the void locks the member's accounts, in
    the order an earn takes them (an earn locks counters, then accounts)."""
    ordered = sorted(set(counters), key=_lock_order)
    before = [c for c in ordered if KIND_ORDER[c.kind] < KIND_ORDER["campaign_lease"]]
    after = [c for c in ordered if KIND_ORDER[c.kind] > KIND_ORDER["campaign_lease"]]
    await _lock_rows(conn, member_id=member_id, counters=before)
    leased = sorted({c.key for c in ordered if c.kind == "campaign_lease"})
    if leased:
        await conn.execute("SELECT 1 FROM rule_budgets WHERE kind = 'campaign_total' AND code = ANY($1)"
                           " ORDER BY code FOR UPDATE", leased)
    await _lock_rows(conn, member_id=member_id, counters=after)


async def _lock_rows(conn: asyncpg.Connection, *, member_id: uuid.UUID, counters: Sequence[Counter]) -> None:
    if not counters:
        return
    await conn.execute(
        "SELECT 1 FROM rule_usage r JOIN unnest($1::text[], $2::text[], $3::uuid[], $4::date[])"
        " WITH ORDINALITY AS u(k, y, m, d, n)"
        " ON r.kind = u.k AND r.key = u.y AND r.member_id IS NOT DISTINCT FROM u.m AND r.day IS NOT DISTINCT FROM u.d"
        " ORDER BY u.n FOR UPDATE OF r",
        [c.kind for c in counters], [stored_key(c) for c in counters],
        [member_id if c.member else None for c in counters], [c.day for c in counters],
    )


async def lock_budgets(conn: asyncpg.Connection, code: str) -> None:
    """Before a campaign's budgets change: its shards and budget rows, in the lock order of 0053."""
    for kind in ("discount_total", "campaign_total"):
        await conn.execute("SELECT 1 FROM rule_usage WHERE kind = $1 AND split_part(key, '#', 1) = $2"
                           " ORDER BY key FOR UPDATE", kind, code)
        await conn.execute("SELECT 1 FROM rule_budgets WHERE kind = $1 AND code = $2 FOR UPDATE", kind, code)


async def reset_budgets(
    conn: asyncpg.Connection, *, program_id: uuid.UUID, code: str, points_total: int, discount_cents: int
) -> None:
    """The shards give back their unused reservations and the budgets take their (new) totals, so a
    lowered budget is never passed by what the shards had reserved under the old one."""
    await conn.execute("UPDATE rule_usage SET reserved = points WHERE kind IN ('campaign_total', 'discount_total')"
                       " AND split_part(key, '#', 1) = $1 AND reserved <> points", code)
    await conn.execute(
        "INSERT INTO rule_budgets(program_id, kind, code, total, allocated)"
        " SELECT $1, x.k, $2, x.t, coalesce((SELECT sum(points) FROM rule_usage"
        "   WHERE kind = x.k AND split_part(key, '#', 1) = $2), 0)"
        " FROM unnest($3::text[], $4::bigint[]) AS x(k, t)"
        " ON CONFLICT (program_id, kind, code) DO UPDATE SET total = EXCLUDED.total,"
        " allocated = EXCLUDED.allocated + rule_budgets.leased",  # what processes hold stays handed out
        program_id, code, ["campaign_total", "discount_total"], [points_total, discount_cents],
    )


# --- campaigns -----------------------------------------------------------------------------------

async def upsert_campaign(
    conn: asyncpg.Connection, *, program_id: uuid.UUID, code: str, name: str, starts_at: dt.datetime,
    ends_at: dt.datetime, targets: dict, budget_total: int, budget_per_member: int,
    discount_budget_total: Decimal = Decimal(0), discount_budget_per_member: Decimal = Decimal(0),
) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO campaigns(program_id, code, name, starts_at, ends_at, targets, budget_total, budget_per_member,"
        " discount_budget_total, discount_budget_per_member)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        " ON CONFLICT (program_id, code) DO UPDATE SET name = EXCLUDED.name, starts_at = EXCLUDED.starts_at,"
        " ends_at = EXCLUDED.ends_at, targets = EXCLUDED.targets, budget_total = EXCLUDED.budget_total,"
        " budget_per_member = EXCLUDED.budget_per_member, discount_budget_total = EXCLUDED.discount_budget_total,"
        " discount_budget_per_member = EXCLUDED.discount_budget_per_member, updated_at = now()"
        " RETURNING *",
        program_id, code, name, starts_at, ends_at, targets, budget_total, budget_per_member, discount_budget_total,
        discount_budget_per_member,
    )


async def campaigns(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM campaigns ORDER BY starts_at, code")


async def campaign(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM campaigns WHERE code = $1", code)


async def campaign_issued(
    conn: asyncpg.Connection, *, code: str, starts_at: dt.datetime, ends_at: dt.datetime
) -> asyncpg.Record:
    """What the campaign's rules gave, read from the breakdowns the postings recorded."""
    return await conn.fetchrow(
        """
        SELECT coalesce(sum((l->>'points')::bigint), 0)::bigint AS points,
               count(DISTINCT t.member_id) FILTER (WHERE (l->>'points')::bigint > 0) AS members,
               count(DISTINCT t.id) FILTER (WHERE (l->>'points')::bigint > 0) AS transactions
        FROM transactions t, jsonb_array_elements(t.details->'breakdown') l
        WHERE t.kind IN ('EARN', 'RETRO_CLAIM') AND t.occurred_at >= $2 AND t.occurred_at < $3
          AND l->>'campaign_code' = $1
        """,
        code, starts_at, ends_at,
    )


async def campaign_budget_used(conn: asyncpg.Connection, code: str) -> int:
    """Points counted in the shards, and the leases points processes hold (spent or not)."""
    return await conn.fetchval(
        "SELECT coalesce((SELECT sum(points) FROM rule_usage WHERE kind = 'campaign_total'"
        "   AND split_part(key, '#', 1) = $1), 0)::bigint"
        " + coalesce((SELECT leased FROM rule_budgets WHERE kind = 'campaign_total' AND code = $1), 0)",
        code,
    )


# --- the ledger's postings, read for replays and explanations ------------------------------------

async def earn_transactions(conn: asyncpg.Connection, *, since: dt.datetime, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT t.reference, t.member_id, t.points, t.amount, t.currency, t.occurred_at, t.details"
        " FROM transactions t WHERE t.kind IN ('EARN', 'RETRO_CLAIM') AND t.occurred_at >= $1"
        " AND t.amount IS NOT NULL ORDER BY t.occurred_at, t.id LIMIT $2",
        since, limit,
    )


async def transaction(conn: asyncpg.Connection, reference: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, kind, points, details FROM transactions WHERE reference = $1", reference
    )


async def transaction_exists(conn: asyncpg.Connection, reference: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM transactions WHERE reference = $1", reference))


async def member_by_id(conn: asyncpg.Connection, member_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, loyalty_number, status FROM members WHERE id = $1", member_id)


async def member_numbers(conn: asyncpg.Connection, statuses: Sequence[str]) -> list[str]:
    rows = await conn.fetch("SELECT loyalty_number FROM members WHERE status = ANY($1) ORDER BY id", list(statuses))
    return [r["loyalty_number"] for r in rows]
