"""The legacy import records through GraphQL (legacyImports, legacyImport): a real `loyalty-import run`
and `reconcile` against the platform, read back with their counts, reconciliation and rejected rows;
refused without `import.read` and scoped to the caller's program."""

import csv
import datetime as dt

import jwt
import pytest

from services.importer.tests.legacy_dump import write_dump
from tests.e2e.test_contract import new_program
from tests.e2e.test_migration import cli_env, loyalty_import
from tests.fixtures.graphql import GraphQLClient
from tests.fixtures.platform import ADMIN_TOKEN, JWT_SECRET

pytestmark = pytest.mark.e2e

RUNS = """query($p: String!) { legacyImports(program: $p) {
  id source state error finishedAt rowsRead { file count } rowsLoaded { file count } rejectedRows
  rejectedByFile { file count } membersCreated membersMatched membersQuarantined transactionsImported
  lotsCreated membersRemediated membersTiered stepSeconds { step seconds }
  reconciliation { membersImported balancesMatching matchingShare legacyBalances platformBalances rowsQuarantined
                   pointsByKind { kind legacyPoints platformPoints } mismatches { legacyId } } } }"""
RUN = """query($p: String!, $id: ID!, $first: Int!, $after: String) {
  legacyImport(program: $p, id: $id, first: $first, after: $after) {
    run { id state rejectedRows } rejections { file line key problem } nextCursor } }"""
ROLES = "query($p: String!) { roles(program: $p) { code builtin expandedPermissions } }"


def staff(platform, *, programs: list[str], permissions: list[str]) -> GraphQLClient:
    claims = {"sub": "import-reader", "aud": "loyalty", "programs": programs, "permissions": permissions,
              "exp": dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=10)}
    return GraphQLClient(platform.url, token=jwt.encode(claims, JWT_SECRET, algorithm="HS256"))


@pytest.fixture(scope="module")
async def imported(platform, database, tmp_path_factory):
    """One program with a legacy dump run in and reconciled (the dump plants five bad rows)."""
    admin = GraphQLClient(platform.url, token=ADMIN_TOKEN)
    try:
        program = await new_program(admin)
    finally:
        await admin.aclose()
    dump = tmp_path_factory.mktemp("imports") / "dump"
    answers = write_dump(dump, members=20, now=dt.datetime.now(dt.timezone.utc))
    env = cli_env(platform, database)
    loyalty_import(env, "run", str(dump), "--program", program, "--max-reject-rate", "0.1")
    loyalty_import(env, "reconcile", "--program", program, str(dump), check=False)
    with (dump / "quarantine.csv").open() as fh:
        quarantined = [(r["file"], int(r["line"]), r["key"], r["reason"]) for r in csv.DictReader(fh)]
    return program, str(dump), answers, quarantined


async def test_a_run_reads_back_with_counts_reconciliation_and_rejected_rows(admin, imported):
    program, source, answers, quarantined = imported

    # when the program's runs are listed
    [run] = (await admin(RUNS, p=program)).ok()["legacyImports"]

    # then the run shows the importer's record: state, counts per file and step, the reconciliation
    assert (run["source"], run["state"], run["error"]) == (source, "done", "")
    assert run["finishedAt"]
    assert {r["file"]: r["count"] for r in run["rowsLoaded"]}["members.csv"] == 20
    assert run["membersCreated"] == 20 and run["membersMatched"] == 0
    assert run["transactionsImported"] > 0 and run["membersTiered"] >= 0
    assert {s["step"] for s in run["stepSeconds"]} == {"load", "members", "history", "tiers"}
    assert run["rejectedRows"] == len(quarantined) == sum(answers.planted.values())
    assert sum(f["count"] for f in run["rejectedByFile"]) == len(quarantined)
    reconciled = run["reconciliation"]
    assert reconciled["membersImported"] == reconciled["balancesMatching"] == 20
    assert reconciled["matchingShare"] == 1.0 and reconciled["mismatches"] == []
    assert reconciled["legacyBalances"] == reconciled["platformBalances"] == sum(answers.balances.values())
    assert reconciled["rowsQuarantined"] == len(quarantined)
    assert all(k["legacyPoints"] == k["platformPoints"] for k in reconciled["pointsByKind"])

    # and one run's rejected rows page through in file and line order, each with its problem
    seen, after = [], None
    while True:
        page = (await admin(RUN, p=program, id=run["id"], first=2, after=after)).ok()["legacyImport"]
        assert page["run"]["id"] == run["id"] and len(page["rejections"]) <= 2
        seen += [(r["file"], r["line"], r["key"], r["problem"]) for r in page["rejections"]]
        after = page["nextCursor"]
        if after is None:
            break
    assert seen == sorted(quarantined)
    assert any(line > 0 and problem for _, line, _, problem in seen)


async def test_without_import_read_the_records_are_refused(admin, platform, imported):
    program, _, _, _ = imported
    roles = (await admin(ROLES, p=program)).ok()["roles"]
    [front_line] = [r["expandedPermissions"] for r in roles if r["code"] == "front_line_manager" and r["builtin"]]
    [management] = [r["expandedPermissions"] for r in roles if r["code"] == "management" and r["builtin"]]
    assert "import.read" not in front_line and "import.read" in management

    cashier = staff(platform, programs=[program], permissions=front_line)
    manager = staff(platform, programs=[program], permissions=management)
    try:
        refused = await cashier(RUNS, p=program)
        assert refused.codes == ["FORBIDDEN"] and refused.data is None
        [run] = (await manager(RUNS, p=program)).ok()["legacyImports"]
        refused = await cashier(RUN, p=program, id=run["id"], first=10)
        assert refused.codes == ["FORBIDDEN"]
        assert (await manager(RUN, p=program, id=run["id"], first=10)).ok()["legacyImport"]["run"]["state"] == "done"
    finally:
        await cashier.aclose()
        await manager.aclose()


async def test_runs_are_the_callers_programs_only(admin, platform, imported):
    program, _, _, _ = imported
    other = await new_program(admin)
    [run] = (await admin(RUNS, p=program)).ok()["legacyImports"]

    # another program sees no runs, and cannot open this one by its id
    assert (await admin(RUNS, p=other)).ok()["legacyImports"] == []
    assert (await admin(RUN, p=other, id=run["id"], first=10)).codes == ["NOT_FOUND"]
    # a reader of the other program is refused on this one
    reader = staff(platform, programs=[other], permissions=["import.read"])
    try:
        assert (await reader(RUNS, p=program)).codes == ["FORBIDDEN"]
    finally:
        await reader.aclose()
    # a bad id or page token is named
    assert (await admin(RUN, p=program, id="nope", first=10)).codes == ["INVALID_INPUT"]
    assert (await admin(RUN, p=program, id=run["id"], first=10, after="garbage")).codes == ["INVALID_INPUT"]
