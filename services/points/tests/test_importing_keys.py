"""The import's batches prove the ledger's foreign keys set-based, with their per-row triggers off
(where the database grants session_replication_role to the points role, as dbsetup does): the rows
written are the rows the per-row checks let through, and every key holds afterwards."""

from services.points.importing import history as importing
from services.points.ledger.hooks import NO_HOOKS
from services.points.tests.helpers import check_invariants
from services.points.tests.test_importing import NOW, _imported_program


async def _written(admin_conn, program_id) -> dict:
    """What the import wrote, by legacy reference and member, without the ids each run makes its own."""
    q = admin_conn.fetch
    return {
        "transactions": sorted(tuple(r) for r in await q(
            "SELECT t.kind, t.points, t.occurred_at, m.legacy_id, t.details - 'import_id' AS details"
            " FROM points.transactions t JOIN staging.member_map m ON m.member_id = t.member_id"
            " WHERE t.program_id = $1", program_id)),
        "entries": sorted(tuple(r) for r in await q(
            "SELECT t.points, t.occurred_at, a.kind, a.member_id IS NOT NULL, e.amount FROM points.entries e"
            " JOIN points.transactions t ON t.id = e.transaction_id JOIN points.accounts a ON a.id = e.account_id"
            " WHERE e.program_id = $1", program_id)),
        "lots": sorted(tuple(r) for r in await q(
            "SELECT m.legacy_id, l.points, l.remaining, l.earned_at, l.expires_at FROM points.lots l"
            " JOIN staging.member_map m ON m.member_id = l.member_id WHERE l.program_id = $1",
            program_id)),
        "movements": sorted(tuple(r) for r in await q(
            "SELECT l.points, l.earned_at, t.kind, t.occurred_at, mv.delta FROM points.lot_movements mv"
            " JOIN points.lots l ON l.id = mv.lot_id JOIN points.transactions t ON t.id = mv.transaction_id"
            " WHERE mv.program_id = $1", program_id)),
    }


async def _dangling(admin_conn, program_id) -> int:
    return await admin_conn.fetchval(
        """SELECT (SELECT count(*) FROM points.entries e WHERE e.program_id = $1
                   AND (NOT EXISTS (SELECT 1 FROM points.transactions t WHERE t.id = e.transaction_id)
                        OR NOT EXISTS (SELECT 1 FROM points.accounts a WHERE a.id = e.account_id)))
                + (SELECT count(*) FROM points.lots l WHERE l.program_id = $1
                   AND NOT EXISTS (SELECT 1 FROM points.transactions t WHERE t.id = l.transaction_id))
                + (SELECT count(*) FROM points.lot_movements m WHERE m.program_id = $1
                   AND (NOT EXISTS (SELECT 1 FROM points.transactions t WHERE t.id = m.transaction_id)
                        OR NOT EXISTS (SELECT 1 FROM points.lots l WHERE l.id = m.lot_id)))""", program_id)


async def test_batches_without_per_row_key_checks_write_what_the_checks_let_through(
        pools, admin_conn, tmp_path, monkeypatch):
    assert await importing._keys_per_batch(pools["points"])  # the test database is set up as dbsetup does
    set_based, set_based_import, _ = await _imported_program(pools, tmp_path / "a", members=25, expiry_days=180)
    await importing.import_history(pools["points"], import_id=set_based_import, now=NOW, batch_members=6,
                                   hooks=NO_HOOKS)

    async def per_row(pool):
        return False
    monkeypatch.setattr(importing, "_keys_per_batch", per_row)
    checked, checked_import, _ = await _imported_program(pools, tmp_path / "b", members=25, expiry_days=180)
    await importing.import_history(pools["points"], import_id=checked_import, now=NOW, batch_members=6,
                                   hooks=NO_HOOKS)

    assert await _written(admin_conn, set_based) == await _written(admin_conn, checked)
    assert len((await _written(admin_conn, set_based))["movements"]) > 0
    for program_id in (set_based, checked):
        assert await _dangling(admin_conn, program_id) == 0
        await check_invariants(admin_conn, program_id)
