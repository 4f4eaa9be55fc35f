"""A legacy program migrates in through `loyalty-import` against the real platform, and reconciles."""

import csv
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from loyalty.tier.v1 import tier_service_pb2 as tier_pb
from loyalty.tier.v1 import tier_service_pb2_grpc as tier_grpc
from services.common import clients
from services.common.clients import call
from services.importer.tests import malformed
from services.importer.tests.foreign_dumps import MAPPINGS, write_bank_crm
from services.importer.tests.legacy_dump import write_control_totals, write_dump
from services.importer.tests.servers import s3, s3_server  # noqa: F401 - fixtures
from tests.e2e.test_contract import ENQUIRE, EARN, ENROLL, new_program
from tests.fixtures.postgres import ROOT

pytestmark = pytest.mark.e2e

SUPERKING = tier_pb.Slab(
    code="status", name="Guest status", metric="points", window_length=6, window_unit="month",
    downgrade="one_level", grace_days=0, close_to_upgrade_percent=90,
    tiers=[tier_pb.Tier(code="KING", name="King"),
           tier_pb.Tier(code="SUPERKING", name="Superking", threshold="15000", validity_months=6)])


def cli_env(platform, database) -> dict:
    env = dict(os.environ)
    env.update(IMPORT_DATABASE_URL=database.tool_dsn("staging"),
               MEMBER_ADDR=f"127.0.0.1:{platform.ports['member']}", POINTS_ADDR=f"127.0.0.1:{platform.ports['points']}",
               TIER_ADDR=f"127.0.0.1:{platform.ports['tier']}")
    return env


def loyalty_import(env, *args, check=True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "services.importer.cli", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


async def _define_tiers(platform, admin, program: str) -> None:
    spec = (await admin("query($p: String!) { program(program: $p) { id } }", p=program)).ok()
    channel = clients.channel(f"127.0.0.1:{platform.ports['tier']}")
    try:
        await call(tier_grpc.TierServiceStub(channel).DefineSlab(
            tier_pb.DefineSlabRequest(slab=SUPERKING),
            metadata=clients.metadata(program_id=spec["program"]["id"], principal="test"), timeout=10))
    finally:
        await channel.close()


async def test_import_reconciles_every_balance_and_keeps_history(admin, platform, database, tmp_path, admin_conn):
    # given a program where one guest already earned during dual running, and a legacy dump
    program = await new_program(admin)
    await _define_tiers(platform, admin, program)
    dual = (await admin(ENROLL, program=program, email="guest7@example.com")).ok()["enroll"]["member"]["loyaltyNumber"]
    await admin(EARN, program=program, number=dual, amount="40", currency="EUR", reference="dual-run-1")
    dump = tmp_path / "dump"
    answers = write_dump(dump, members=60, now=dt.datetime.now(dt.timezone.utc))
    with (dump / "balances.csv").open() as fh:
        rows = list(csv.reader(fh))
    rows[1][2], rows[1][3] = "SUPERKING", "2026-09-01"  # L0000000 is a Superking since September
    with (dump / "balances.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    env = cli_env(platform, database)

    # when the dump is validated, run with --void-before and reconciled
    assert loyalty_import(env, "validate", str(dump), "--max-reject-rate", "0.1").returncode == 0
    run = loyalty_import(env, "run", str(dump), "--program", program, "--max-reject-rate", "0.1",
                         "--void-before", dt.datetime.now(dt.timezone.utc).isoformat())
    assert "done" in run.stdout
    reconcile = loyalty_import(env, "reconcile", "--program", program, str(dump))
    report = json.loads((dump / "reconciliation-report.json").read_text())

    # then every imported member's balance is the legacy balance, through GraphQL too
    assert report["members_imported"] == report["balances_matching"] == 60
    assert "100.00%" in reconcile.stdout
    mapping = loyalty_import(env, "mapping", "--program", program, "--out", str(tmp_path / "map.csv"))
    assert mapping.returncode == 0
    with (tmp_path / "map.csv").open() as fh:
        mapped = {r["legacy_id"]: r for r in csv.DictReader(fh)}
    assert len(mapped) == 60
    for legacy_id in ("L0000001", "L0000007", "L0000042"):
        enquiry = await admin(ENQUIRE, program=program, number=mapped[legacy_id]["loyalty_number"])
        assert enquiry.ok()["enquire"]["availablePoints"] == answers.balances[legacy_id]
    # the dual-running guest kept their number; their earlier earn here is voided, not deleted
    assert mapped["L0000007"]["loyalty_number"] == dual
    kinds = await admin_conn.fetch(
        "SELECT t.kind FROM points.transactions t JOIN points.members m ON m.id = t.member_id"
        " WHERE m.loyalty_number = $1 AND t.reference NOT LIKE 'legacy%'", dual)
    assert sorted(r["kind"] for r in kinds) == ["EARN", "VOID"]
    # control totals on both sides, quarantine with reasons
    totals = report["control_totals"]
    assert totals["platform"]["points_by_kind"] == totals["legacy"]["points_by_kind"]
    assert totals["platform"]["balances"] == totals["legacy"]["balances"] == sum(answers.balances.values())
    assert report["rows_quarantined"] == sum(answers.planted.values())
    with (dump / "quarantine.csv").open() as fh:
        reasons = {r["reason"] for r in csv.DictReader(fh)}
    assert "duplicate legacy_id" in reasons and "transaction of an unknown member" in reasons
    # the Superking came across with the legacy achieved date
    channel = clients.channel(f"127.0.0.1:{platform.ports['tier']}")
    try:
        spec = (await admin("query($p: String!) { program(program: $p) { id } }", p=program)).ok()
        tiers = await call(tier_grpc.TierServiceStub(channel).GetMemberTiers(
            tier_pb.GetMemberTiersRequest(loyalty_number=mapped["L0000000"]["loyalty_number"]),
            metadata=clients.metadata(program_id=spec["program"]["id"], principal="test"), timeout=10))
    finally:
        await channel.close()
    assert [(t.tier_code, t.achieved_at[:10]) for t in tiers.tiers] == [("SUPERKING", "2026-09-01")]
    # and a rerun imports nothing new
    loyalty_import(env, "run", str(dump), "--program", program, "--max-reject-rate", "0.1")
    assert await admin_conn.fetchval(
        "SELECT count(*) FROM points.transactions WHERE program_id = $1::uuid AND reference LIKE 'legacy:%'",
        spec["program"]["id"]) == 60 * 6
    status = loyalty_import(env, "status", "--program", program)
    assert '"state": "done"' in status.stdout


async def test_a_killed_import_resumes_to_the_same_state(admin, platform, database, tmp_path, admin_conn):
    program = await new_program(admin)
    await _define_tiers(platform, admin, program)
    dump = tmp_path / "dump"
    answers = write_dump(dump, members=1500, transactions_per_member=4, plant_errors=False,
                         now=dt.datetime.now(dt.timezone.utc))
    env = cli_env(platform, database)
    program_id = (await admin("query($p: String!) { program(program: $p) { id } }", p=program)).ok()["program"]["id"]

    # when the import is killed while the ledger batches are going in
    proc = subprocess.Popen([sys.executable, "-m", "services.importer.cli", "run", str(dump), "--program", program,
                             "--batch-members", "25"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while True:
        done = await admin_conn.fetchval("SELECT count(*) FROM points.imported_members WHERE program_id = $1::uuid",
                                         program_id)
        if done > 0 or proc.poll() is not None or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(1.0)  # the service rolls back the batch it was in when the caller went away
    partial = await admin_conn.fetchval("SELECT count(*) FROM points.imported_members WHERE program_id = $1::uuid",
                                        program_id)
    assert 0 < partial < 1500, "the kill did not land mid-import; the test proves nothing"

    # then a rerun resumes and ends where an uninterrupted import ends
    rerun = loyalty_import(env, "run", str(dump), "--program", program, "--batch-members", "200")
    assert await admin_conn.fetchval("SELECT count(*) FROM points.imported_members WHERE program_id = $1::uuid",
                                     program_id) == 1500
    # with the members left, batch by batch, shown as it goes and kept for `status`
    assert f"history: {1500 - partial:,} of {1500 - partial:,} members" in rerun.stdout + rerun.stderr
    status = loyalty_import(env, "status", "--program", program).stdout.strip().splitlines()
    assert json.loads(status[-1])["counters"]["history_members_done"] == 1500 - partial
    legacy = await admin_conn.fetchval(
        "SELECT count(*), count(DISTINCT reference) FROM points.transactions"
        " WHERE program_id = $1::uuid AND reference LIKE 'legacy:%'", program_id)
    assert legacy == 1500 * 4
    distinct = await admin_conn.fetchval(
        "SELECT count(DISTINCT reference) FROM points.transactions WHERE program_id = $1::uuid AND reference LIKE 'legacy:%'",
        program_id)
    assert distinct == 1500 * 4
    remediations = await admin_conn.fetchval(
        "SELECT count(*) - count(DISTINCT member_id) FROM points.transactions"
        " WHERE program_id = $1::uuid AND kind = 'REMEDIATION'", program_id)
    assert remediations == 0  # never more than one per member
    reconcile = loyalty_import(env, "reconcile", "--program", program, str(dump))
    assert "100.00%" in reconcile.stdout
    balances = await admin_conn.fetch(
        "SELECT mm.legacy_id, a.balance FROM staging.member_map mm JOIN points.accounts a"
        " ON a.member_id = mm.member_id AND a.kind = 'member_available' WHERE mm.program_id = $1::uuid", program_id)
    assert {r["legacy_id"]: r["balance"] for r in balances} == answers.balances


async def test_every_malformed_dump_is_refused_naming_file_and_line_with_nothing_imported(
        admin, platform, database, tmp_path, admin_conn):
    # given a program and dumps broken in each of the ways clients break them
    program = await new_program(admin)
    program_id = (await admin("query($p: String!) { program(program: $p) { id } }", p=program)).ok()["program"]["id"]
    env = cli_env(platform, database)
    for case in sorted(malformed.CASES):
        dump = tmp_path / case
        expected = malformed.broken_dump(dump, case, now=dt.datetime.now(dt.timezone.utc))

        # when each is run
        run = loyalty_import(env, "run", str(dump), "--program", program, check=False)

        # then it ends in a message naming the file, the line and the problem, and a non-zero exit
        assert run.returncode == 1, (case, run.stdout, run.stderr)
        assert "Traceback" not in run.stderr and "refused, nothing imported" in run.stderr, (case, run.stderr)
        for fragment in expected:
            assert fragment in run.stderr, (case, fragment, run.stderr)
        assert "done" not in run.stdout
    # and nothing was imported, and no import record is left 'loading'
    states = await admin_conn.fetch("SELECT state, error FROM staging.imports WHERE program_code = $1", program)
    assert states and {r["state"] for r in states} == {"failed"} and all(r["error"] for r in states)
    assert await admin_conn.fetchval("SELECT count(*) FROM staging.member_map WHERE program_id = $1::uuid",
                                     program_id) == 0
    assert await admin_conn.fetchval(
        "SELECT count(*) FROM staging.members m JOIN staging.imports i ON i.id = m.import_id"
        " WHERE i.program_code = $1", program) == 0
    assert await admin_conn.fetchval("SELECT count(*) FROM points.transactions WHERE program_id = $1::uuid",
                                     program_id) == 0

    # and once the unterminated quote is fixed, the refused import runs again to the end
    fixed = tmp_path / "unterminated_quote"
    (fixed / "members.csv").write_text((fixed / "members.csv").read_text().replace('"Guest4,', "Guest4,"))
    rerun = loyalty_import(env, "run", str(fixed), "--program", program)
    assert "refused earlier" in rerun.stderr and "done" in rerun.stdout
    assert await admin_conn.fetchval("SELECT count(*) FROM staging.member_map WHERE program_id = $1::uuid",
                                     program_id) == 20


async def test_a_bank_crm_dump_in_s3_imports_through_its_mapping_and_reconciles(
        admin, platform, database, tmp_path, admin_conn, s3, s3_server):
    # given the bank CRM's extracts (seed 003's layout) in a bucket
    program = await new_program(admin)
    answers = write_bank_crm(tmp_path, members=40, now=dt.datetime.now(dt.timezone.utc))
    s3.create_bucket(Bucket="crm-extracts")
    for path in (tmp_path / "bank").iterdir():
        s3.upload_file(str(path), "crm-extracts", f"2026-11/{path.name}")
    env = cli_env(platform, database) | {"S3_ENDPOINT_URL": s3_server}
    location, spool = "s3://crm-extracts/2026-11", str(tmp_path / "spool")

    # when it is run straight from the bucket through the shipped mapping, then reconciled
    run = loyalty_import(env, "run", location, "--program", program, "--spool", spool,
                         "--mapping", str(MAPPINGS / "bank_crm.yaml"))
    reconcile = loyalty_import(env, "reconcile", "--program", program, location, "--spool", spool)

    # then every client's balance is the CRM's, and the import is recorded under the bucket address
    assert "done" in run.stdout and "100.00%" in reconcile.stdout
    report = json.loads((tmp_path / "spool" / "reconciliation-report.json").read_text())
    assert report["control_totals"]["platform"]["balances"] == sum(answers.balances.values())
    assert await admin_conn.fetchval("SELECT directory FROM staging.imports WHERE program_code = $1", program) == location


def _append(path, rows) -> None:
    with path.open("a", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


async def test_compare_reports_missing_extra_different_and_drift_per_member_during_dual_running(
        admin, platform, database, tmp_path, admin_conn):
    # given a program that imported the legacy history and then ran beside the legacy system
    program = await new_program(admin)
    env = cli_env(platform, database)
    dump = tmp_path / "dump"
    answers = write_dump(dump, members=30, transactions_per_member=3, plant_errors=False,
                         now=dt.datetime.now(dt.timezone.utc))
    loyalty_import(env, "run", str(dump), "--program", program)
    loyalty_import(env, "mapping", "--program", program, "--out", str(tmp_path / "map.csv"))
    with (tmp_path / "map.csv").open() as fh:
        number = {r["legacy_id"]: r["loyalty_number"] for r in csv.DictReader(fh)}

    async def earn(legacy_id: str, reference: str) -> int:
        return (await admin(EARN, program=program, number=number[legacy_id], amount="40", currency="EUR",
                            reference=reference)).ok()["earn"]["pointsEarned"]

    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    balances = dict(answers.balances)
    legacy_txns = []
    # the till sent POS-A to both systems: the same earn on both sides
    points = await earn("L0000003", "POS-A")
    legacy_txns.append(["D1", "L0000003", now.isoformat(), "earn", str(points), "pos", "POS-A"])
    balances["L0000003"] += points
    # POS-B reached only the legacy system; POS-C only this one; POS-D both, with other points there
    legacy_txns.append(["D2", "L0000004", now.isoformat(), "earn", "50", "pos", "POS-B"])
    balances["L0000004"] += 50
    await earn("L0000005", "POS-C")
    points = await earn("L0000006", "POS-D")
    legacy_txns.append(["D3", "L0000006", now.isoformat(), "earn", str(points + 5), "pos", "POS-D"])
    balances["L0000006"] += points + 5
    # guests who enrolled in both systems during dual running: found by email, by phone, or not at all
    await admin(ENROLL, program=program, email="newguest@example.com")
    await admin(ENROLL, program=program, email="other@example.com", phone="+34600111222")
    _append(dump / "members.csv", [
        ["N1", "NEWGUEST@example.com", "New", "Guest", "", "", now.isoformat(), "active"],
        ["N2", "different@example.com", "Phone", "Guest", "+34 600 111 222", "", now.isoformat(), "active"],
        ["N3", "nobody@example.com", "No", "Body", "", "", now.isoformat(), "active"]])
    balances |= {"N1": 0, "N2": 0, "N3": 0}
    _append(dump / "transactions.csv", legacy_txns)
    with (dump / "balances.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["legacy_id", "points_balance", "tier_code", "tier_achieved_at"])
        w.writerows([k, v, "", ""] for k, v in balances.items())

    # when the fresh legacy dump is compared with the ledger
    result = loyalty_import(env, "compare", "--program", program, str(dump), check=False)

    # then each difference is reported for its member, with the balance drift
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads((dump / "compare-report.json").read_text())
    assert report["summary"]["identified"] == {"map": 30, "email": 1, "phone": 1, "not_found": 1}
    by_member = {m["legacy_id"]: m for m in report["members"]}
    assert sorted(by_member) == ["L0000004", "L0000005", "L0000006", "N3"]
    assert [t["reference"] for t in by_member["L0000004"]["missing"]] == ["POS-B"]
    assert by_member["L0000004"]["drift"] == 50
    assert [t["reference"] for t in by_member["L0000005"]["extra"]] == ["POS-C"]
    assert by_member["L0000005"]["drift"] < 0
    assert [t["reference"] for t in by_member["L0000006"]["different"]] == ["POS-D"]
    assert by_member["L0000006"]["drift"] == 5
    assert by_member["N3"]["matched_by"] == "" and by_member["N3"]["loyalty_number"] == ""
    assert report["summary"]["missing"] == 1 and report["summary"]["extra"] == 1
    assert "members compared: 33" in result.stdout


async def test_the_import_stops_at_the_first_batch_breaking_control_totals_and_resumes_after_the_fix(
        admin, platform, database, tmp_path, admin_conn):
    # given a bank dump with control totals per batch of 10 clients, where batch 2 lost a transaction
    program = await new_program(admin)
    program_id = (await admin("query($p: String!) { program(program: $p) { id } }", p=program)).ok()["program"]["id"]
    env = cli_env(platform, database)
    dump = tmp_path / "dump"
    answers = write_dump(dump, members=30, transactions_per_member=4, plant_errors=False,
                         now=dt.datetime.now(dt.timezone.utc))
    write_control_totals(dump, batch_members=10)
    original = (dump / "transactions.csv").read_text()
    (dump / "transactions.csv").write_text("".join(
        line for line in original.splitlines(keepends=True) if not line.startswith("T0000013-1,")))

    # when it is run
    run = loyalty_import(env, "run", str(dump), "--program", program, check=False)

    # then it stops at that batch, names its member range and what differs, and imported only batch 1
    assert run.returncode == 1
    assert ("stopped: batch 0002 (members L0000010 to L0000019) breaks the control totals: transactions 39 in the"
            " dump, 40 in control_totals.csv line 3") in run.stderr
    assert "The 1 batches before it are imported" in run.stderr
    mapped = await admin_conn.fetch("SELECT legacy_id FROM staging.member_map WHERE program_id = $1::uuid", program_id)
    assert sorted(r["legacy_id"] for r in mapped) == [f"L{i:07d}" for i in range(10)]

    # and after the fix a rerun imports the rest, once, and every balance reconciles
    (dump / "transactions.csv").write_text(original)
    rerun = loyalty_import(env, "run", str(dump), "--program", program)
    assert "done" in rerun.stdout
    assert await admin_conn.fetchval("SELECT count(*) FROM staging.member_map WHERE program_id = $1::uuid",
                                     program_id) == 30
    assert await admin_conn.fetchval(
        "SELECT count(*) FROM points.transactions WHERE program_id = $1::uuid AND reference LIKE 'legacy:%'",
        program_id) == 30 * 4
    assert "100.00%" in loyalty_import(env, "reconcile", "--program", program, str(dump)).stdout
    report = json.loads((dump / "reconciliation-report.json").read_text())
    assert report["control_totals"]["platform"]["balances"] == sum(answers.balances.values())
