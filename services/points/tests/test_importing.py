"""Legacy history into the ledger: balances equal the legacy balances, nothing doubles on rerun."""

import datetime as dt
import uuid

from loyalty.common.v1 import program_pb2
from services.importer.loading import load
from services.importer.tests.legacy_dump import write_dump
from services.member import importing as member_importing
from services.member import programs as member_programs
from services.points.importing import report as import_report
from services.points.importing import history as importing
from services.points.ledger.hooks import NO_HOOKS
from services.points import api as points_api
from services.points.ledger import programs as points_programs
from tests.fixtures.postgres import program_spec

NOW = dt.datetime(2026, 11, 1, 12, tzinfo=dt.timezone.utc)


async def _imported_program(pools, tmp_path, *, members=30, expiry_days=0):
    spec = program_spec(expiry=program_pb2.ExpiryPolicy(days=expiry_days, round_to_month_end=True))
    row, _ = await member_programs.provision(pools["member"], member_programs.ProgramInput(
        code=spec.code, name=spec.name, currency="EUR", timezone="Europe/Madrid",
        expiry_days=expiry_days, expiry_round_to_month_end=True))
    spec.id = str(row["id"])
    await points_programs.provision(pools["points"], points_api.provision_command(spec))
    answers = write_dump(tmp_path, members=members, now=NOW)
    import_id = uuid.uuid4()
    async with pools["staging"].acquire() as conn, conn.transaction():
        await conn.execute("INSERT INTO imports(id, program_code, program_id, directory) VALUES ($1, $2, $3, $4)",
                           import_id, spec.code, row["id"], str(tmp_path))
        await load(conn, import_id=import_id, directory=tmp_path, now=NOW)
    await member_importing.import_members(pools["member"], import_id=import_id)
    return row["id"], import_id, answers


async def _balances(admin_conn, program_id) -> dict[str, int]:
    rows = await admin_conn.fetch(
        "SELECT mm.legacy_id, a.balance FROM staging.member_map mm"
        " JOIN points.accounts a ON a.member_id = mm.member_id AND a.kind = 'member_available'"
        " WHERE mm.program_id = $1", program_id)
    return {r["legacy_id"]: r["balance"] for r in rows}


async def test_every_balance_matches_the_legacy_balance_and_reruns_post_nothing(pools, admin_conn, tmp_path):
    program_id, import_id, answers = await _imported_program(pools, tmp_path)
    totals = await importing.import_history(pools["points"], import_id=import_id, now=NOW, batch_members=7,
                                            hooks=NO_HOOKS)
    assert totals["transactions_imported"] == 30 * 6
    assert totals["members_registered"] == 30
    # the planted differences got exactly one remediation each
    expected_fixes = sum(1 for k in answers.valid_members if answers.balances[k] != answers.computed[k])
    assert totals["members_remediated"] == expected_fixes > 0
    assert await _balances(admin_conn, program_id) == answers.balances

    again = await importing.import_history(pools["points"], import_id=import_id, now=NOW, batch_members=7,
                                            hooks=NO_HOOKS)
    assert again["transactions_imported"] == 0 and again["members_remediated"] == 0
    assert await admin_conn.fetchval(
        "SELECT count(*) FROM points.transactions WHERE program_id = $1 AND reference LIKE 'legacy:%'",
        program_id) == 30 * 6
    compared = await import_report.compare(pools["points"], import_id=import_id, max_mismatches=10)
    assert compared["matching"] == compared["members"] == 30
    assert compared["by_kind"] == {k: v for k, v in answers.points_by_kind.items() if v}
    # the remediation bands: each member in the one band its fix falls in, the fixes summed per band
    fixes = [answers.balances[k] - answers.computed[k] for k in answers.valid_members]
    bands = {label: [f for f in fixes if (low is None or f >= low) and (high is None or f <= high)]
             for label, low, high in import_report.BUCKETS}
    assert compared["remediation"] == [{"range": label, "members": len(bands[label]), "points": sum(bands[label])}
                                       for label, _, _ in import_report.BUCKETS]
    assert sum(b["members"] for b in compared["remediation"]) == 30
    # another import's legacy posting for one of these members counts in that import's report only
    member_id = await admin_conn.fetchval(
        "SELECT member_id FROM points.imported_members WHERE import_id = $1 LIMIT 1", import_id)
    await admin_conn.execute(
        "INSERT INTO points.transactions(program_id, id, kind, reference, member_id, points, occurred_at, details)"
        " VALUES ($1, $2, 'EARN', 'legacy:from-another-import', $3, 500, now(), $4::jsonb)",
        program_id, uuid.uuid4(), member_id, f'{{"import_id": "{uuid.uuid4()}"}}')
    again = await import_report.compare(pools["points"], import_id=import_id, max_mismatches=10)
    assert (again["by_kind"], again["transactions"]) == (compared["by_kind"], compared["transactions"])


async def test_ledger_invariants_hold_after_import(pools, admin_conn, tmp_path):
    program_id, import_id, _ = await _imported_program(pools, tmp_path)
    await importing.import_history(pools["points"], import_id=import_id, now=NOW, hooks=NO_HOOKS)
    unbalanced = await admin_conn.fetchval(
        "SELECT count(*) FROM (SELECT transaction_id FROM points.entries WHERE program_id = $1"
        " GROUP BY transaction_id HAVING sum(amount) <> 0) x", program_id)
    assert unbalanced == 0
    drift = await admin_conn.fetchval(
        """SELECT count(*) FROM points.accounts a
           LEFT JOIN (SELECT account_id, sum(amount) s FROM points.entries GROUP BY account_id) e ON e.account_id = a.id
           WHERE a.program_id = $1 AND a.member_id IS NOT NULL AND a.balance <> coalesce(e.s, 0)""", program_id)
    assert drift == 0
    lots_vs_balance = await admin_conn.fetchval(
        """SELECT count(*) FROM points.accounts a
           LEFT JOIN (SELECT member_id, sum(remaining) s FROM points.lots GROUP BY member_id) l USING (member_id)
           WHERE a.program_id = $1 AND a.kind = 'member_available' AND a.balance <> coalesce(l.s, 0)""", program_id)
    assert lots_vs_balance == 0
    movements = await admin_conn.fetchval(
        """SELECT count(*) FROM points.lots l
           LEFT JOIN (SELECT lot_id, sum(delta) d FROM points.lot_movements GROUP BY lot_id) m ON m.lot_id = l.id
           WHERE l.program_id = $1 AND l.remaining <> l.points + coalesce(m.d, 0)""", program_id)
    assert movements == 0


async def test_the_expiry_policy_applies_to_imported_lots(pools, admin_conn, tmp_path):
    # 180 days, month end: history older than that has expired by now; the balance still matches
    program_id, import_id, answers = await _imported_program(pools, tmp_path, expiry_days=180)
    totals = await importing.import_history(pools["points"], import_id=import_id, now=NOW, hooks=NO_HOOKS)
    assert totals["lots_expired"] > 0
    assert await _balances(admin_conn, program_id) == answers.balances
    past_due = await admin_conn.fetchval(
        "SELECT count(*) FROM points.lots WHERE program_id = $1 AND remaining > 0 AND expires_at <= $2",
        program_id, NOW)
    assert past_due == 0
    month_ends = await admin_conn.fetch(
        "SELECT DISTINCT (expires_at AT TIME ZONE 'Europe/Madrid')::time AS t,"
        " extract(day FROM (expires_at AT TIME ZONE 'Europe/Madrid')) AS d FROM points.lots WHERE program_id = $1",
        program_id)
    assert {(r["t"], r["d"]) for r in month_ends} == {(dt.time(0), 1)}  # the day after a month's last day


async def test_imported_postings_get_time_ordered_ids(admin_conn):
    # ids made later sort later (UUIDv7 layout), so bulk postings append to the ledger's id indexes
    first = await admin_conn.fetchval("SELECT points.time_ordered_uuid()")
    await admin_conn.execute("SELECT pg_sleep(0.005)")
    later = await admin_conn.fetchval("SELECT points.time_ordered_uuid()")
    assert first.version == later.version == 7
    assert str(first) < str(later)
    assert abs(int(str(first).replace("-", "")[:12], 16) / 1000 - dt.datetime.now(dt.timezone.utc).timestamp()) < 60

