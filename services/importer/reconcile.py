"""`loyalty-import reconcile`: the post-migration report, the legacy control totals against the ledger's.

Kept apart from the run's modules: it is a short command, often run again, and starts without them.
"""

import datetime as dt
import json
import pathlib

from services.common.errors import DomainError, ErrorCode
from services.importer.peers import Peers
from services.importer.settings import ImportSettings
from services.importer.staging import current_import, open_staging


async def reconcile(settings: ImportSettings, *, program_code: str, label: str, directory: pathlib.Path) -> dict:
    """Compare the import recorded under `label`; the report is written into `directory`."""
    pool = await open_staging(settings)
    peers = Peers.connect(settings)
    try:
        async with pool.acquire() as conn:
            row = await current_import(conn, program_code=program_code, directory=label)
            if row is None:
                raise DomainError(ErrorCode.NOT_FOUND, f"no import of {label} into {program_code!r}")
            legacy = await conn.fetchrow(
                "SELECT (SELECT count(*) FROM members WHERE import_id = $1) AS members,"
                " (SELECT coalesce(sum(points_balance), 0)::bigint FROM balances WHERE import_id = $1) AS balances,"
                " (SELECT count(*) FROM quarantine WHERE import_id = $1) AS quarantined", row["id"])
            by_kind = {r["kind"]: r["points"] for r in await conn.fetch(
                "SELECT kind, sum(points)::bigint AS points FROM transactions WHERE import_id = $1 GROUP BY kind",
                row["id"])}
        compared = await peers.compare_balances(row["id"], max_mismatches=100)
        report = {
            "import_id": str(row["id"]), "state": row["state"],
            "members_imported": compared.members, "balances_matching": compared.matching,
            "matching_share": (compared.matching / compared.members) if compared.members else 1.0,
            "mismatches": [{"legacy_id": m.legacy_id, "loyalty_number": m.loyalty_number,
                            "legacy": m.legacy_balance, "platform": m.platform_balance} for m in compared.mismatches],
            "remediation": [{"range": b.range, "members": b.members, "points": b.points} for b in compared.remediation],
            "control_totals": {
                "legacy": {"members": legacy["members"], "balances": legacy["balances"], "points_by_kind": by_kind},
                "platform": {"members": compared.members, "balances": compared.platform_balance_total,
                             "points_by_kind": dict(compared.imported_points_by_kind),
                             "transactions_imported": compared.transactions_imported},
            },
            "rows_quarantined": legacy["quarantined"],
        }
        (directory / "reconciliation-report.json").write_text(json.dumps(report, indent=2))
        # kept on the import record too: the admin console's import status screen shows the last one
        async with pool.acquire() as conn:
            await conn.execute("UPDATE imports SET reconciliation = $2::jsonb WHERE id = $1", row["id"],
                               json.dumps(report | {"checked_at": dt.datetime.now(dt.timezone.utc).isoformat()}))
        return report
    finally:
        await peers.close()
        await pool.close()
