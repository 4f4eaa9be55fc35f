"""The Front-Line Manager's limits of issue 14, against the real platform with tokens from real sign-ins:
goodwill within the program's limit, and voids of their own store's transactions only."""

import pytest

from tests.e2e.identity_helpers import ACCEPT, PASSWORD, as_bearer, invite_and_accept, mailed
from tests.e2e.test_members_statuses import ENQUIRE_POINTS, enrol, new_program
from tests.fixtures.graphql import GraphQLClient, unique

pytestmark = pytest.mark.e2e

SET_LIMIT = """mutation($program: String!, $limit: Int!) {
  updateProgram(input: {program: $program, goodwillLimit: $limit}) { code } }"""
LIMITS = """query($program: String!) { programLimits(program: $program) { goodwillLimit } }"""
GOODWILL = """mutation($program: String!, $number: String!, $points: Int!, $reference: String!) {
  goodwill(input: {program: $program, loyaltyNumber: $number, points: $points, reference: $reference,
                   reason: "service_recovery"}) { newBalance } }"""


async def signed_in(admin, platform, smtp_server, *, program: str, role: str):
    _, tokens = await invite_and_accept(admin, platform, smtp_server, program=program, role=role)
    return as_bearer(platform, tokens["accessToken"])


async def balance(admin, program: str, number: str) -> int:
    return (await admin(ENQUIRE_POINTS, program=program, number=number)).ok()["enquire"]["availablePoints"]


async def test_goodwill_within_the_programs_limit_unless_the_role_lifts_it(admin, platform, smtp_server):
    # given a program whose admin (a real Admin user) sets a goodwill limit of 500 points
    program = await new_program(admin)
    number = (await enrol(admin, program))["loyaltyNumber"]
    program_admin = await signed_in(admin, platform, smtp_server, program=program, role="admin")
    front_line = await signed_in(admin, platform, smtp_server, program=program, role="front_line_manager")
    assert (await admin(LIMITS, program=program)).ok()["programLimits"]["goodwillLimit"] is None
    (await program_admin(SET_LIMIT, program=program, limit=500)).ok()
    assert (await front_line(LIMITS, program=program)).ok()["programLimits"]["goodwillLimit"] == 500
    # the Front-Line Manager may not change it, nor set a negative one
    assert (await front_line(SET_LIMIT, program=program, limit=100_000)).codes == ["FORBIDDEN"]
    negative = await program_admin(SET_LIMIT, program=program, limit=-1)
    assert negative.codes == ["INVALID_INPUT"] and negative.errors[0]["extensions"]["field"] == "goodwillLimit"

    # when the Front-Line Manager gives more than the limit: refused naming it, nothing posted
    over = await front_line(GOODWILL, program=program, number=number, points=501, reference=unique("gw"))
    assert over.codes == ["FORBIDDEN"], over.errors
    assert "goodwill limit of 500" in over.errors[0]["message"] and over.errors[0]["extensions"]["field"] == "points"
    assert await balance(admin, program, number) == 0
    # the limit itself is allowed
    (await front_line(GOODWILL, program=program, number=number, points=500, reference=unique("gw"))).ok()
    # an Admin holds points.goodwill_unlimited
    (await program_admin(GOODWILL, program=program, number=number, points=5_000, reference=unique("gw"))).ok()
    assert await balance(admin, program, number) == 5_500

    # and with the limit removed (0) the Front-Line Manager is bound only by the posting cap
    (await program_admin(SET_LIMIT, program=program, limit=0)).ok()
    assert (await admin(LIMITS, program=program)).ok()["programLimits"]["goodwillLimit"] is None
    (await front_line(GOODWILL, program=program, number=number, points=501, reference=unique("gw"))).ok()
    assert await balance(admin, program, number) == 6_001


INVITE_AT = """mutation($program: String!, $email: String!, $role: String!, $store: String) {
  inviteUser(input: {program: $program, email: $email, role: $role, store: $store}) { userId } }"""
EARN_AT = """mutation($program: String!, $number: String!, $reference: String!, $store: String) {
  earn(input: {program: $program, loyaltyNumber: $number, amount: "10", currency: "EUR", reference: $reference,
               locationCode: $store}) { newBalance } }"""
EARN_ORDER = """mutation($program: String!, $number: String!, $reference: String!, $store: String!) {
  earn(input: {program: $program, loyaltyNumber: $number, amount: "10", currency: "EUR", reference: $reference,
               orderReference: $reference, locationCode: $store}) { newBalance } }"""
VOID_ORDER = """mutation($program: String!, $order: String!) {
  voidOrder(input: {program: $program, orderReference: $order}) { newBalance } }"""
VOID = """mutation($program: String!, $reference: String!, $target: String!) {
  void(input: {program: $program, reference: $reference, targetReference: $target}) { kind points } }"""
HISTORY = """query($program: String!, $number: String!) { pointsHistory(program: $program, loyaltyNumber: $number) {
  items { reference locationCode } } }"""
USERS = """query($program: String!) { users(program: $program) { email roles { program role store } } }"""


async def front_line_at(admin, platform, smtp_server, *, program: str, store: str | None):
    email = f"{unique('flm')}@example.com"
    (await admin(INVITE_AT, program=program, email=email, role="front_line_manager", store=store)).ok()
    token = await mailed(smtp_server, email, r"token=(inv_[A-Za-z0-9_\-]+)")
    tokens = (await GraphQLClient(platform.url)(ACCEPT, token=token, password=PASSWORD, name="Till")).ok()
    return email, as_bearer(platform, tokens["acceptInvitation"]["accessToken"])


async def test_a_front_line_manager_of_a_store_voids_only_that_stores_transactions(admin, platform, smtp_server):
    # given a Front-Line Manager of store S1, one with no store, and a member
    program = await new_program(admin)
    number = (await enrol(admin, program))["loyaltyNumber"]
    email, s1 = await front_line_at(admin, platform, smtp_server, program=program, store="S1")
    _, anywhere = await front_line_at(admin, platform, smtp_server, program=program, store=None)
    users = {u["email"]: u for u in (await admin(USERS, program=program)).ok()["users"]}
    assert users[email]["roles"] == [{"program": program, "role": "front_line_manager", "store": "S1"}]

    # the S1 manager's earn is posted at S1 without saying so; another store is refused, nothing posted
    (await s1(EARN_AT, program=program, number=number, reference="at-s1", store=None)).ok()
    elsewhere = await s1(EARN_AT, program=program, number=number, reference="s1-at-s2", store="S2")
    assert elsewhere.codes == ["FORBIDDEN"] and elsewhere.errors[0]["extensions"]["field"] == "locationCode"
    (await admin(EARN_AT, program=program, number=number, reference="at-s2", store="S2")).ok()
    (await admin(GOODWILL, program=program, number=number, points=7, reference="gw-no-store")).ok()
    items = (await admin(HISTORY, program=program, number=number)).ok()["pointsHistory"]["items"]
    assert {i["reference"]: i["locationCode"] for i in items} == {"at-s1": "S1", "at-s2": "S2", "gw-no-store": None}
    before = await balance(admin, program, number)

    # when the S1 manager voids another store's earn, or a posting made at no store: refused, nothing posted
    for target in ("at-s2", "gw-no-store"):
        refused = await s1(VOID, program=program, reference=unique("v"), target=target)
        assert refused.codes == ["FORBIDDEN"], refused.errors
        assert refused.errors[0]["extensions"]["field"] == "targetReference"
    assert await balance(admin, program, number) == before
    # its own store's earn it may void; a manager with no store may void any store's
    assert (await s1(VOID, program=program, reference=unique("v"), target="at-s1")).ok()["void"]["kind"] == "VOID"
    (await anywhere(VOID, program=program, reference=unique("v"), target="at-s2")).ok()
    assert await balance(admin, program, number) == before - 20

    # the same through a void of the whole order
    (await admin(EARN_ORDER, program=program, number=number, reference="order-s2", store="S2")).ok()
    (await admin(EARN_ORDER, program=program, number=number, reference="order-s1", store="S1")).ok()
    before = await balance(admin, program, number)
    refused = await s1(VOID_ORDER, program=program, order="order-s2")
    assert refused.codes == ["FORBIDDEN"], refused.errors
    assert await balance(admin, program, number) == before
    assert (await s1(VOID_ORDER, program=program, order="order-s1")).ok()["voidOrder"]["newBalance"] == before - 10


CREATE_STORE_KEY = """mutation($program: String!, $store: String) {
  createApiKey(input: {program: $program, name: "till", scopes: ["points.earn", "points.void"], store: $store}) {
    keyId apiKey } }"""
ROTATE = """mutation($program: String!, $key: String!) { rotateApiKey(input: {program: $program, keyId: $key}) {
  apiKey } }"""


async def test_a_stores_api_key_posts_at_its_store_and_voids_only_there(admin, platform):
    program = await new_program(admin)
    number = (await enrol(admin, program))["loyaltyNumber"]
    made = (await admin(CREATE_STORE_KEY, program=program, store="S7")).ok()["createApiKey"]
    till = GraphQLClient(platform.url, api_key=made["apiKey"])
    (await till(EARN_AT, program=program, number=number, reference="till-1", store=None)).ok()
    assert (await till(EARN_AT, program=program, number=number, reference="till-2", store="S8")).codes == \
        ["FORBIDDEN"]
    (await admin(EARN_AT, program=program, number=number, reference="other-store", store="S8")).ok()
    items = (await admin(HISTORY, program=program, number=number)).ok()["pointsHistory"]["items"]
    assert {i["reference"]: i["locationCode"] for i in items} == {"till-1": "S7", "other-store": "S8"}
    assert (await till(VOID, program=program, reference=unique("v"), target="other-store")).codes == ["FORBIDDEN"]
    (await till(VOID, program=program, reference=unique("v"), target="till-1")).ok()
    # a rotated key keeps its store
    rotated = (await admin(ROTATE, program=program, key=made["keyId"])).ok()["rotateApiKey"]["apiKey"]
    new_till = GraphQLClient(platform.url, api_key=rotated)
    assert (await new_till(EARN_AT, program=program, number=number, reference="till-3", store="S8")).codes == \
        ["FORBIDDEN"]
    assert await balance(admin, program, number) == 10
