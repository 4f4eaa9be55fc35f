"""The points ledger through the real gateway, services and PostgreSQL."""

import datetime as dt

import jwt

import pytest

from tests.e2e.test_contract import new_member, new_program
from tests.fixtures.graphql import GraphQLClient
from tests.fixtures.platform import JWT_SECRET

pytestmark = pytest.mark.e2e

EARN = """
mutation($program: String!, $number: String!, $amount: String!, $reference: String!, $order: String) {
  earn(input: {program: $program, loyaltyNumber: $number, amount: $amount, currency: "EUR",
               reference: $reference, orderReference: $order}) {
    transactionId pointsEarned newBalance breakdown { rule pointType points }
  }
}"""
REDEEM = """
mutation($program: String!, $number: String!, $points: Int!, $reference: String!, $order: String) {
  redeem(input: {program: $program, loyaltyNumber: $number, points: $points, reference: $reference,
                 orderReference: $order}) { kind points newBalance }
}"""
HOLD = """
mutation($program: String!, $number: String!, $points: Int!, $reference: String!, $order: String) {
  hold(input: {program: $program, loyaltyNumber: $number, points: $points, reference: $reference,
               orderReference: $order}) { holdId points availableAfter expiresAt }
}"""
CAPTURE = """
mutation($program: String!, $hold: String!, $reference: String!, $points: Int!) {
  captureHold(input: {program: $program, holdReference: $hold, reference: $reference, points: $points}) {
    kind newBalance
  }
}"""
VOID = """
mutation($program: String!, $target: String!, $reference: String!, $points: Int! = 0) {
  void(input: {program: $program, targetReference: $target, reference: $reference, points: $points}) {
    kind points newBalance transactionIds
  }
}"""
ADJUST = """
mutation($program: String!, $number: String!, $points: Int!, $reference: String!, $reason: String!) {
  adjust(input: {program: $program, loyaltyNumber: $number, points: $points, reference: $reference,
                 reason: $reason}) { kind points newBalance }
}"""
ENQUIRE = """
query($program: String!, $number: String!) {
  enquire(program: $program, loyaltyNumber: $number) {
    availablePoints pendingPoints onHoldPoints lifetimeEarned usedPoints expiredPoints
    nextExpiringPoints nextExpiryDate firstActivityAt lastActivityAt
  }
}"""
HISTORY = """
query($program: String!, $number: String!, $after: String, $kinds: [String!]) {
  pointsHistory(program: $program, loyaltyNumber: $number, first: 2, after: $after, kinds: $kinds) {
    items { kind reference points status orderReference } nextCursor
  }
}"""
LIABILITY = """
query($program: String!) { pointsLiability(program: $program) { rows { expiryMonth points } totalPoints } }
"""


async def test_an_order_earned_redeemed_held_captured_and_voided_whole(admin):
    # given a member with 100 points from an order and 50 from another purchase
    program = await new_program(admin)
    number = await new_member(admin, program)
    earned = (await admin(EARN, program=program, number=number, amount="100", reference="e1", order="o1")).ok()
    assert earned["earn"]["breakdown"] == [{"rule": "base-rate", "pointType": "base", "points": 100}]
    (await admin(EARN, program=program, number=number, amount="50", reference="e2")).ok()

    # when the order redeems 30, holds 40 and captures 10 of the hold
    assert (await admin(REDEEM, program=program, number=number, points=30, reference="r1", order="o1")).ok()[
        "redeem"] == {"kind": "BURN", "points": -30, "newBalance": 120}
    held = (await admin(HOLD, program=program, number=number, points=40, reference="h1", order="o1")).ok()["hold"]
    assert held["availableAfter"] == 80
    (await admin(CAPTURE, program=program, hold="h1", reference="c1", points=10)).ok()
    summary = (await admin(ENQUIRE, program=program, number=number)).ok()["enquire"]
    assert (summary["availablePoints"], summary["onHoldPoints"], summary["usedPoints"]) == (80, 30, 40)

    # then a redeem beyond the balance is refused and changes nothing
    refused = await admin(REDEEM, program=program, number=number, points=81, reference="r2")
    assert refused.codes == ["INSUFFICIENT_POINTS"]

    # when the whole order is voided by its reference
    voided = (await admin(VOID, program=program, target="o1", reference="v1")).ok()["void"]
    assert len(voided["transactionIds"]) == 4  # the hold's open part, the capture, the burn, the earn
    summary = (await admin(ENQUIRE, program=program, number=number)).ok()["enquire"]
    assert (summary["availablePoints"], summary["onHoldPoints"], summary["usedPoints"],
            summary["lifetimeEarned"]) == (50, 0, 0, 50)
    # and a second void of the order finds nothing left
    assert (await admin(VOID, program=program, target="o1", reference="v2")).codes == ["ALREADY_VOIDED"]
    # and a void of a void is refused
    assert (await admin(VOID, program=program, target="v1", reference="v3")).codes == ["NOT_VOIDABLE"]

    # the history pages through everything, newest first
    seen, after = [], None
    while True:
        page = (await admin(HISTORY, program=program, number=number, after=after)).ok()["pointsHistory"]
        seen += page["items"]
        after = page["nextCursor"]
        if not after:
            break
    assert [t["reference"] for t in seen if t["kind"] == "EARN"] == ["e2", "e1"]
    assert {t["reference"]: t["status"] for t in seen}["e1"] == "voided"
    burns = (await admin(HISTORY, program=program, number=number, kinds=["BURN"])).ok()["pointsHistory"]["items"]
    assert [b["reference"] for b in burns] == ["r1"]
    liability = (await admin(LIABILITY, program=program)).ok()["pointsLiability"]
    assert liability == {"rows": [{"expiryMonth": "never", "points": 50}], "totalPoints": 50}


async def test_adjust_needs_its_permission_and_a_reason(admin, platform):
    program = await new_program(admin)
    number = await new_member(admin, program)
    claims = {"sub": "clerk@example.com", "aud": "loyalty", "programs": [program],
              "permissions": ["points.read", "points.earn"],
              "exp": dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)}
    clerk = GraphQLClient(platform.url, token=jwt.encode(claims, JWT_SECRET, algorithm="HS256"))
    try:
        result = await clerk(ADJUST, program=program, number=number, points=10, reference="a1", reason="sorry")
        assert result.codes == ["FORBIDDEN"]
    finally:
        await clerk.aclose()
    missing = await admin(ADJUST, program=program, number=number, points=10, reference="a1", reason=" ")
    assert missing.codes == ["INVALID_INPUT"] and "reason" in missing.errors[0]["message"]
    done = (await admin(ADJUST, program=program, number=number, points=10, reference="a1", reason="sorry")).ok()
    assert done["adjust"] == {"kind": "ADJUST", "points": 10, "newBalance": 10}


STAFF_OPERATIONS = """
mutation($program: String!, $a: String!, $b: String!, $purchasedAt: String!, $later: String!) {
  goodwill(input: {program: $program, loyaltyNumber: $a, points: 20, reference: "g1", reason: "birthday"}) {
    newBalance
  }
  transfer(input: {program: $program, fromLoyaltyNumber: $a, toLoyaltyNumber: $b, points: 5, reference: "t1"}) {
    kind points newBalance
  }
  retroClaim(input: {program: $program, loyaltyNumber: $b, receiptReference: "rcpt-9", amount: "8",
                     currency: "EUR", purchasedAt: $purchasedAt}) { pointsEarned newBalance }
  extendExpiry(input: {program: $program, loyaltyNumber: $b, newExpiresAt: $later, reason: "works",
                       reference: "x1"}) { lotsExtended }
}"""
PENDING = """
mutation($program: String!, $number: String!) {
  earn(input: {program: $program, loyaltyNumber: $number, amount: "30", currency: "EUR", reference: "p1",
               pending: true}) { pending newBalance }
}"""
ACTIVATE = """
mutation($program: String!) { activatePending(input: {program: $program, reference: "act1", targetReference: "p1"}) {
  kind points newBalance } }"""
REPORTS = """
query($program: String!, $number: String!) {
  expiringPoints(program: $program, withinDays: 3650, loyaltyNumber: $number) { items { points } }
  pointsBreakage(program: $program) { rows { period pointsExpired pointsIssued } }
  enquire(program: $program, loyaltyNumber: $number) { pendingPoints availablePoints }
}"""


async def test_staff_operations_pending_points_and_reports(admin):
    program = await new_program(admin)
    a, b = await new_member(admin, program), await new_member(admin, program)
    now = dt.datetime.now(dt.timezone.utc)
    done = (await admin(STAFF_OPERATIONS, program=program, a=a, b=b,
                        purchasedAt=(now - dt.timedelta(days=2)).isoformat(),
                        later=(now + dt.timedelta(days=400)).isoformat())).ok()
    assert done["transfer"] == {"kind": "TRANSFER", "points": -5, "newBalance": 15}
    assert done["retroClaim"] == {"pointsEarned": 8, "newBalance": 13}
    assert done["extendExpiry"] == {"lotsExtended": 0}  # this program's points never expire

    assert (await admin(PENDING, program=program, number=b)).ok()["earn"] == {"pending": True, "newBalance": 13}
    assert (await admin(REPORTS, program=program, number=b)).ok()["enquire"] == {"pendingPoints": 30,
                                                                                 "availablePoints": 13}
    activated = (await admin(ACTIVATE, program=program)).ok()["activatePending"]
    assert activated == {"kind": "ACTIVATE", "points": 30, "newBalance": 43}
    reports = (await admin(REPORTS, program=program, number=b)).ok()
    assert reports["expiringPoints"]["items"] == []
    assert sum(r["pointsIssued"] for r in reports["pointsBreakage"]["rows"]) == 20 + 8 + 30
