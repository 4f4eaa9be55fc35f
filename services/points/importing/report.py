"""What the ledger shows for an import's members: the reconciliation's platform side."""

import uuid

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import not_found

BUCKETS = (("< -100", None, -101), ("-100..-1", -100, -1), ("0", 0, 0), ("1..100", 1, 100), ("> 100", 101, None))


def _bucket(i: int, low: int | None, high: int | None) -> str:
    within = " AND ".join(c for c in (low is not None and f"im.remediation >= {low}",
                                      high is not None and f"im.remediation <= {high}") if c)
    return (f"count(*) FILTER (WHERE {within}) AS members_{i},"
            f" coalesce(sum(im.remediation) FILTER (WHERE {within}), 0)::bigint AS points_{i}")


# Balances compared and remediation bands in one pass over the import's members: a member without
# an account counts in the bands, not in the comparison.
_TOTALS = f"""
    SELECT count(a.member_id) AS members,
           count(a.member_id) FILTER (WHERE a.balance = coalesce(im.legacy_balance, a.balance)) AS matching,
           coalesce(sum(im.legacy_balance) FILTER (WHERE a.member_id IS NOT NULL), 0)::bigint AS legacy_total,
           coalesce(sum(a.balance), 0)::bigint AS platform_total,
           {", ".join(_bucket(i, low, high) for i, (_, low, high) in enumerate(BUCKETS))}
    FROM imported_members im
    LEFT JOIN accounts a ON a.kind = 'member_available' AND a.member_id = im.member_id
    WHERE im.import_id = $1
"""


# The import's own postings by kind (each carries its import's id). The id is tested inside the
# aggregate, not in WHERE, so the planner expects every legacy posting and hashes them into the few
# kinds instead of sorting them all; OFFSET 0 keeps the subquery whole, so each row's id is read once.
_IMPORTED_BY_KIND = """
    SELECT lower(kind) AS kind, coalesce(sum(points) FILTER (WHERE ours), 0)::bigint AS points,
           count(*) FILTER (WHERE ours) AS n
    FROM (SELECT kind, abs(points) AS points, details->>'import_id' = $1::uuid::text AS ours
          FROM transactions WHERE reference LIKE 'legacy:%' OFFSET 0) legacy
    GROUP BY kind
    HAVING bool_or(ours)
"""


async def compare(pool: asyncpg.Pool, *, import_id: uuid.UUID, max_mismatches: int) -> dict:
    async with pool.acquire() as conn:
        program_id = await conn.fetchval("SELECT program_id FROM staging.imports WHERE id = $1", import_id)
    if program_id is None:
        raise not_found("import", str(import_id))
    async with tenant_tx(pool, program_id) as conn:
        totals = await conn.fetchrow(_TOTALS, import_id)
        mismatches = [] if totals["matching"] == totals["members"] else await conn.fetch(
            """
            SELECT im.legacy_id, m.loyalty_number, im.legacy_balance, a.balance AS platform_balance
            FROM imported_members im
            JOIN accounts a ON a.kind = 'member_available' AND a.member_id = im.member_id
            JOIN members m ON m.id = im.member_id
            WHERE im.import_id = $1 AND a.balance <> im.legacy_balance
            ORDER BY im.legacy_id LIMIT $2
            """, import_id, max_mismatches)
        kinds = await conn.fetch(_IMPORTED_BY_KIND, import_id)
    return {
        "members": totals["members"], "matching": totals["matching"], "legacy_total": totals["legacy_total"],
        "platform_total": totals["platform_total"], "transactions": sum(r["n"] for r in kinds),
        "by_kind": {r["kind"]: r["points"] for r in kinds},
        "mismatches": [{"legacy_id": r["legacy_id"], "loyalty_number": r["loyalty_number"],
                        "legacy_balance": r["legacy_balance"], "platform_balance": r["platform_balance"]}
                       for r in mismatches],
        "remediation": [{"range": label, "members": totals[f"members_{i}"], "points": totals[f"points_{i}"]}
                        for i, (label, _, _) in enumerate(BUCKETS)],
    }
