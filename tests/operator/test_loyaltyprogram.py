"""A tenant operator applies a LoyaltyProgram; the operator provisions it in the real services.

Real kube-apiserver, real service processes and gateway, the operator under kopf's KopfRunner;
a namespace per test and a program code per test.
"""

import base64
import json
import uuid

import grpc
import pytest

from loyalty.tier.v1 import tier_service_pb2 as tier_pb
from loyalty.tier.v1 import tier_service_pb2_grpc
from tests.fixtures.graphql import GraphQLClient, unique
from tests.operator.conftest import apoll, condition, get_program

pytestmark = [pytest.mark.kube, pytest.mark.e2e]

ENROLL = """
mutation($program: String!, $email: String!) {
  enroll(input: {program: $program, email: $email, firstName: "Ana", lastName: "López"}) {
    member { loyaltyNumber }
  }
}"""
EARN = """
mutation($program: String!, $number: String!, $amount: String!, $reference: String!) {
  earn(input: {program: $program, loyaltyNumber: $number, amount: $amount, currency: "EUR", reference: $reference}) {
    pointsEarned newBalance
  }
}"""


def program_spec(**overrides) -> dict:
    spec = {
        "code": f"op-{uuid.uuid4().hex[:10]}",
        "name": "Tapas Group",
        "currency": "EUR",
        "timezone": "Europe/Madrid",
        "expiryPolicy": {"days": 180, "roundToMonthEnd": True},
        "tiers": [{"code": "silver", "name": "Silver", "threshold": 0},
                  {"code": "gold", "name": "Gold", "threshold": 1000}],
        "initialAdministratorEmail": "admin@tapas.example",
        "apiClients": [{"name": "pos"}, {"name": "app", "scopes": ["member.enroll", "member.read"]}],
    }
    spec.update(overrides)
    return spec


def tier_slabs(platform, program_id: str):
    with grpc.insecure_channel(platform.env["TIER_ADDR"]) as channel:
        reply = tier_service_pb2_grpc.TierServiceStub(channel).ListSlabs(
            tier_pb.ListSlabsRequest(), metadata=(("x-principal", "test"), ("x-program-id", program_id)), timeout=10)
    return list(reply.slabs)


def secret_keys(secret: dict) -> dict[str, str]:
    return {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}


async def enroll_and_earn(platform, api_key: str, program: str, reference: str = "pos-1"):
    client = GraphQLClient(platform.url, api_key=api_key)
    try:
        enrolled = await client(ENROLL, program=program, email=f"{unique('ana')}@example.com")
        if enrolled.errors:
            return enrolled, None
        number = enrolled.data["enroll"]["member"]["loyaltyNumber"]
        return enrolled, await client(EARN, program=program, number=number, amount="12.50", reference=reference)
    finally:
        await client.aclose()


async def test_applied_program_is_ready_and_usable_through_graphql(programs, platform, member_stub, admin_conn):
    # given a LoyaltyProgram applied by a tenant operator
    spec = program_spec()
    status, created = programs.apply("tapas", spec)
    assert status == 201, created

    # then it becomes Ready, with the program's id and the generation it reflects
    ready = await programs.wait_phase("tapas", "Ready")
    st = ready["status"]
    assert st["observedGeneration"] == ready["metadata"]["generation"]
    assert st["programId"] == ready["metadata"]["uid"]
    for type_ in ("Ready", "Provisioned", "ApiKeysReady", "AuthorizationPolicyReady"):
        assert condition(ready, type_)["status"] == "True", st["conditions"]
    # the tiers are defined in the tier service: silver the base, gold from 1,000 points in 12 months
    assert st["tiers"] == {"count": 2, "state": "Provisioned"}
    assert condition(ready, "TiersProvisioned")["status"] == "True"
    slabs = tier_slabs(platform, st["programId"])
    assert [(t.code, t.threshold, t.validity_months) for t in slabs[0].tiers] == [("silver", "0", 0),
                                                                                   ("gold", "1000", 12)]
    assert (slabs[0].metric, slabs[0].window_length, slabs[0].window_unit) == ("points", 12, "month")

    # and the member service holds the program with the spec's settings
    program = get_program(member_stub, spec["code"])
    assert (program.id, program.name, program.currency, program.timezone) == (
        st["programId"], "Tapas Group", "EUR", "Europe/Madrid")
    assert (program.expiry.days, program.expiry.round_to_month_end, program.archived) == (180, True, False)

    # and the Secret holds one key per API client, owned by the resource
    secret = programs.core("secrets", "tapas-api-keys")
    assert secret is not None
    owners = secret["metadata"]["ownerReferences"]
    assert [(o["kind"], o["name"], o["uid"]) for o in owners] == [("LoyaltyProgram", "tapas", created["metadata"]["uid"])]
    keys = secret_keys(secret)
    assert sorted(keys) == ["app", "pos"]

    # and the mesh policy allows exactly those clients' key ids at the gateway, owned by the resource
    policy = programs.authorization_policy("tapas-api-clients")
    assert policy["metadata"]["ownerReferences"][0]["uid"] == created["metadata"]["uid"]
    allowed = policy["spec"]["rules"][0]["when"][0]["values"]
    assert sorted(allowed) == sorted(f"lk_{k.split('_')[1]}_*" for k in keys.values())

    # when a POS uses the pos key from the Secret through the GraphQL gateway
    enrolled, earned = await enroll_and_earn(platform, keys["pos"], spec["code"])
    # then it enrolls and earns
    assert enrolled.ok()
    assert earned.ok()["earn"] == {"pointsEarned": 12, "newBalance": 12}

    # and the app key got only the scopes asked for: it may enroll but not earn
    enrolled, earned = await enroll_and_earn(platform, keys["app"], spec["code"])
    assert enrolled.ok()
    assert earned.codes == ["FORBIDDEN"]

    # and each change the operator made is in the audit log under its own principal
    rows = await admin_conn.fetch("SELECT subject, subject_kind, operation, outcome FROM identity.audit_log"
                                  " WHERE program_code = $1 AND subject_kind = 'operator' ORDER BY id", spec["code"])
    operations = {(r["operation"], r["outcome"]) for r in rows}
    assert {("provisionProgram", "ok"), ("createApiKey", "ok"), ("defineSlab", "ok")} <= operations, rows
    assert {r["subject"] for r in rows} == {f"operator:{ready['metadata']['namespace']}/tapas"}


async def test_spec_breaking_the_schema_is_rejected_by_the_server(programs):
    bad_specs = {
        "currency": program_spec(currency="euro"),
        "code": program_spec(code="Not A Code"),
        "missing name": {k: v for k, v in program_spec().items() if k != "name"},
        "expiry days": program_spec(expiryPolicy={"days": -1}),
        "tier threshold": program_spec(tiers=[{"code": "gold", "name": "Gold", "threshold": "lots"}]),
        "api client name": program_spec(apiClients=[{"name": "POS Terminal!"}]),
        "duplicate api client": program_spec(apiClients=[{"name": "pos"}, {"name": "pos"}]),
    }
    for what, spec in bad_specs.items():
        status, body = programs.apply(f"bad-{uuid.uuid4().hex[:6]}", spec)
        assert status == 422, (what, body)
        assert body["reason"] == "Invalid", (what, body)
    # nothing was stored
    status, listed = programs.kube.request("GET", programs.base)
    assert status == 200 and listed["items"] == []


async def test_spec_change_reconciles_in_place_and_currency_change_fails_for_good(programs, member_stub):
    # given a Ready program
    spec = program_spec(tiers=[])
    programs.apply("bistro", spec)
    first = await programs.wait_phase("bistro", "Ready")
    keys_before = secret_keys(programs.core("secrets", "bistro-api-keys"))

    # when its name and expiry change and a new API client is added
    changed = programs.patch_spec("bistro", {
        "name": "Bistro Group", "expiryPolicy": {"days": 365, "roundToMonthEnd": False},
        "apiClients": [*spec["apiClients"], {"name": "partner"}],
    })
    ready = await programs.wait_phase("bistro", "Ready", generation=changed["metadata"]["generation"])

    # then the same program is updated in place
    program = get_program(member_stub, spec["code"])
    assert program.id == first["status"]["programId"] == ready["status"]["programId"]
    assert (program.name, program.expiry.days, program.expiry.round_to_month_end) == ("Bistro Group", 365, False)
    # and the new client has a key while the existing keys are kept as they were
    keys_after = secret_keys(programs.core("secrets", "bistro-api-keys"))
    assert sorted(keys_after) == ["app", "partner", "pos"]
    assert {k: keys_after[k] for k in keys_before} == keys_before

    # when the currency changes
    changed = programs.patch_spec("bistro", {"currency": "USD"})
    failed = await programs.wait_phase("bistro", "Failed", generation=changed["metadata"]["generation"])
    # then it fails for good with a condition naming the problem, and the program keeps its currency
    ready_condition = condition(failed, "Ready")
    assert ready_condition["status"] == "False"
    assert ready_condition["reason"] == "CurrencyImmutable"
    assert "spec.currency" in ready_condition["message"]
    assert get_program(member_stub, spec["code"]).currency == "EUR"

    # when it is set back, the program is Ready again
    changed = programs.patch_spec("bistro", {"currency": "EUR"})
    await programs.wait_phase("bistro", "Ready", generation=changed["metadata"]["generation"])


async def test_invalid_spec_for_the_services_fails_with_a_condition(programs):
    # given a time zone that passes the schema's pattern but is no IANA zone
    programs.apply("mars", program_spec(timezone="Mars/Olympus_Mons"))
    failed = await programs.wait_phase("mars", "Failed")
    ready_condition = condition(failed, "Ready")
    assert ready_condition["reason"] == "InvalidSpec"
    assert "timezone" in ready_condition["message"]

    # given a second resource claiming a code already provisioned with other settings
    spec = program_spec()
    programs.apply("first", spec)
    await programs.wait_phase("first", "Ready")
    programs.apply("second", {**spec, "name": "Someone else"})
    failed = await programs.wait_phase("second", "Failed")
    assert condition(failed, "Ready")["reason"] == "DuplicateProgram"
    assert spec["code"] in condition(failed, "Ready")["message"]


async def test_delete_archives_the_program_and_keeps_its_ledger(programs, platform, member_stub, admin_conn):
    # given a Ready program with one member who earned
    spec = program_spec()
    programs.apply("closing", spec)
    ready = await programs.wait_phase("closing", "Ready")
    keys = secret_keys(programs.core("secrets", "closing-api-keys"))
    enrolled, earned = await enroll_and_earn(platform, keys["pos"], spec["code"])
    assert earned.ok()
    program_id = uuid.UUID(ready["status"]["programId"])
    count_sql = "SELECT count(*) FROM points.transactions WHERE program_id = $1"
    ledger_before = await admin_conn.fetchval(count_sql, program_id)
    assert ledger_before > 0

    # when the resource is deleted
    programs.delete("closing")
    # then the finalizer lets it go once the program is archived
    await apoll("the resource to be gone", lambda: programs.get("closing") is None)
    assert get_program(member_stub, spec["code"]).archived is True
    # and a further enrolment is refused
    enrolled, _ = await enroll_and_earn(platform, keys["pos"], spec["code"])
    assert enrolled.codes == ["PROGRAM_ARCHIVED"]
    # and the ledger is untouched
    assert await admin_conn.fetchval(count_sql, program_id) == ledger_before


async def test_service_down_during_provisioning_retries_then_ready(programs, platform):
    # given the tier service is down
    platform.stop_service("tier")
    try:
        # when a program is applied
        programs.apply("patient", program_spec())

        # then the operator reports the failure and retries
        def tier_failure_seen():
            obj = programs.get("patient")
            ready = condition(obj or {}, "Ready")
            return obj and obj["status"].get("phase") == "Provisioning" and ready and \
                ready["reason"] == "ServiceUnavailable" and "tier" in ready["message"]

        await apoll("the tier failure in the status", tier_failure_seen)
        # and keeps retrying (kopf records each attempt on the resource) while the service is down
        def retried():
            obj = programs.get("patient")
            progress = (obj or {}).get("metadata", {}).get("annotations", {}).get("loyalty.dev/loyaltyprogram_create")
            return progress and json.loads(progress).get("retries", 0) >= 2

        await apoll("retries", retried)
    finally:
        # when the tier service is back
        platform.start_service("tier")

    # then the program becomes Ready
    ready = await programs.wait_phase("patient", "Ready", timeout=180)
    assert condition(ready, "Ready")["status"] == "True"
