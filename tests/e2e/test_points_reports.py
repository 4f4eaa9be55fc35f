"""The staff console's program-wide reads through the real gateway: every member's transactions and
the activity report, behind points.report, scoped to the caller's program."""

import datetime as dt

import jwt
import pytest

from tests.e2e.test_members_statuses import EARN, REDEEM, enrol, new_program
from tests.fixtures.graphql import GraphQLClient, unique
from tests.fixtures.platform import JWT_SECRET

pytestmark = pytest.mark.e2e

TRANSACTIONS = """query($program: String!, $kinds: [String!], $first: Int!, $after: String) {
  programTransactions(program: $program, kinds: $kinds, first: $first, after: $after) {
    items { reference kind points loyaltyNumber amount } nextCursor } }"""
ACTIVITY = """query($program: String!, $period: String!) {
  pointsActivity(program: $program, period: $period) {
    rows { period pointsEarned pointsUsed pointsExpired transactions activeMembers }
    outstandingPoints membersWithPoints expiringIn30Days expiringIn60Days expiringIn90Days } }"""


def token(program: str, permissions: list[str]) -> str:
    return jwt.encode({"sub": unique("s"), "aud": "loyalty", "programs": [program], "permissions": permissions,
                       "exp": dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)}, JWT_SECRET, algorithm="HS256")


async def test_transactions_and_activity_of_a_program(admin, platform):
    program, other = await new_program(admin, expiry_days=365), await new_program(admin)
    ana, bob = await enrol(admin, program), await enrol(admin, program)
    for member, amount, ref in ((ana, "50", "r1"), (bob, "20", "r2"), (ana, "5", "r3")):
        (await admin(EARN, program=program, number=member["loyaltyNumber"], amount=amount, reference=ref)).ok()
    (await admin(REDEEM, program=program, number=ana["loyaltyNumber"], points=15, reference="r4")).ok()
    stranger = await enrol(admin, other)
    (await admin(EARN, program=other, number=stranger["loyaltyNumber"], amount="99", reference="x1")).ok()

    first = (await admin(TRANSACTIONS, program=program, first=3)).ok()["programTransactions"]
    rest = (await admin(TRANSACTIONS, program=program, first=3, after=first["nextCursor"])).ok()["programTransactions"]
    items = first["items"] + rest["items"]
    assert [(i["reference"], i["loyaltyNumber"], i["points"]) for i in items] == [
        ("r4", ana["loyaltyNumber"], -15), ("r3", ana["loyaltyNumber"], 5), ("r2", bob["loyaltyNumber"], 20),
        ("r1", ana["loyaltyNumber"], 50)]
    assert rest["nextCursor"] is None
    earns = (await admin(TRANSACTIONS, program=program, kinds=["EARN"], first=50)).ok()["programTransactions"]
    assert {i["kind"] for i in earns["items"]} == {"EARN"} and len(earns["items"]) == 3

    report = (await admin(ACTIVITY, program=program, period="day")).ok()["pointsActivity"]
    assert [(r["pointsEarned"], r["pointsUsed"], r["transactions"], r["activeMembers"]) for r in report["rows"]] == \
        [(75, 15, 4, 2)]
    assert (report["outstandingPoints"], report["membersWithPoints"]) == (60, 2)
    assert report["expiringIn90Days"] == 0  # a year's expiry

    bad = await admin(ACTIVITY, program=program, period="fortnight")
    assert bad.codes == ["INVALID_INPUT"] and bad.errors[0]["extensions"]["field"] == "period"


async def test_reports_need_points_report_in_that_program(admin, platform):
    program, other = await new_program(admin), await new_program(admin)
    reader = GraphQLClient(platform.url, token=token(program, ["points.read", "member.read"]))
    reporter = GraphQLClient(platform.url, token=token(program, ["points.report"]))
    for query, args in ((TRANSACTIONS, {"first": 5}), (ACTIVITY, {"period": "month"})):
        assert (await reader(query, program=program, **args)).codes == ["FORBIDDEN"]
        assert (await reporter(query, program=program, **args)).ok()
        assert (await reporter(query, program=other, **args)).codes == ["FORBIDDEN"]
