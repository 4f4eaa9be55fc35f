"""Tiers through the real platform: earn via GraphQL -> ledger event -> tier upgrade; overrides,
freezes, the daily evaluation, progress, history, reports and permissions."""

import asyncio
import datetime as dt

import jwt
import pytest

from tests.e2e.test_contract import EARN, new_member, new_program
from tests.fixtures.graphql import GraphQLClient
from tests.fixtures.platform import JWT_SECRET

pytestmark = pytest.mark.e2e

DEFINE_SLAB = """
mutation($program: String!, $tiers: [TierInput!]!, $window: Int!) {
  defineTierSlab(input: {program: $program, code: "status", name: "Guest status", metric: "points",
                         windowLength: $window, windowUnit: "month", downgrade: "one_level", tiers: $tiers}) {
    code windowLength tiers { level code earnMultiplier threshold validityMonths }
  }
}"""
TIER_STATUS = """
query($program: String!, $number: String!) {
  tierStatus(program: $program, loyaltyNumber: $number) { slabCode tierCode level earnMultiplier lapsesOn overrideTierCode }
}"""
PROGRESS = """
query($program: String!, $number: String!) {
  tierProgress(program: $program, loyaltyNumber: $number) { tierCode currentValue nextTierCode needed closeToUpgrade }
}"""
HISTORY = """
query($program: String!, $number: String!) {
  tierHistory(program: $program, loyaltyNumber: $number) { change fromTierCode toTierCode reason effectiveOn }
}"""
OVERRIDE = """
mutation($program: String!, $number: String!, $tier: String!, $endsOn: String) {
  setTierOverride(input: {program: $program, loyaltyNumber: $number, slabCode: "status", tierCode: $tier,
                          reason: "VIP guest", endsOn: $endsOn, reference: "ovr-1"}) { tierCode overrideTierCode }
}"""
CLEAR = """
mutation($program: String!, $number: String!) {
  clearTierOverride(input: {program: $program, loyaltyNumber: $number, slabCode: "status", reason: "done"}) { tierCode }
}"""
FREEZE = """
mutation($program: String!, $startsOn: String!, $endsOn: String!) {
  addTierFreezeWindow(input: {program: $program, startsOn: $startsOn, endsOn: $endsOn, reason: "migration"}) { id }
}"""
FREEZES = "query($program: String!) { tierFreezeWindows(program: $program) { id startsOn endsOn reason } }"
EVALUATE = """
mutation($program: String!, $asOf: String) {
  evaluateTiers(input: {program: $program, asOf: $asOf}) { slabCode upgrades downgrades anniversaries skipped }
}"""
REPORT = """
query($program: String!, $from: String!, $to: String!) {
  tierReport(program: $program, slabCode: "status", from: $from, to: $to) {
    tiers { tierCode members spend } periods { period upgrades downgrades }
  }
}"""
SLABS = "query($program: String!) { tierSlabs(program: $program) { code metric tiers { code benefits } } }"

RESTAURANT = [
    {"code": "KING", "name": "King", "benefits": "Birthday drink"},
    {"code": "SUPERKING", "name": "Superking", "benefits": "Free fries", "earnMultiplier": "1.5",
     "threshold": "15000", "validityMonths": 6},
]


async def restaurant(admin) -> str:
    program = await new_program(admin)
    result = await admin(DEFINE_SLAB, program=program, tiers=RESTAURANT, window=6)
    assert result.ok()["defineTierSlab"]["tiers"][1] == {
        "level": 1, "code": "SUPERKING", "earnMultiplier": "1.5", "threshold": "15000", "validityMonths": 6}
    return program


async def tier_of(admin, program: str, number: str) -> str:
    return (await admin(TIER_STATUS, program=program, number=number)).ok()["tierStatus"][0]["tierCode"]


async def eventually_tier(admin, program: str, number: str, expected: str) -> str:
    """The ledger delivers its events after the earn commits: wait for them (not for a time)."""
    for _ in range(200):
        if (current := await tier_of(admin, program, number)) == expected:
            return current
        await asyncio.sleep(0.05)
    return current


async def test_earning_via_graphql_upgrades_the_member(admin):
    # given the restaurant's tiers and a new guest, who is a King
    program = await restaurant(admin)
    number = await new_member(admin, program)
    assert await tier_of(admin, program, number) == "KING"

    # when the guest earns 10,000 points, then 5,000 more
    await admin(EARN, program=program, number=number, amount="10000", currency="EUR", reference="t1")
    progress = None
    for _ in range(200):
        progress = (await admin(PROGRESS, program=program, number=number)).ok()["tierProgress"][0]
        if progress["currentValue"] == "10000":
            break
        await asyncio.sleep(0.05)
    assert progress == {"tierCode": "KING", "currentValue": "10000", "nextTierCode": "SUPERKING", "needed": "5000",
                        "closeToUpgrade": False}
    assert (await admin(EARN, program=program, number=number, amount="5000", currency="EUR",
                        reference="t2")).ok()["earn"]["pointsEarned"] == 5000

    # then the earn that crossed 15,000 made the guest a Superking, with its multiplier
    assert await eventually_tier(admin, program, number, "SUPERKING") == "SUPERKING"
    status = (await admin(TIER_STATUS, program=program, number=number)).ok()["tierStatus"][0]
    lapse = dt.date.today() + dt.timedelta(days=180)
    assert status["earnMultiplier"] == "1.5" and abs((dt.date.fromisoformat(status["lapsesOn"]) - lapse).days) <= 4
    history = (await admin(HISTORY, program=program, number=number)).ok()["tierHistory"]
    assert [(h["change"], h["fromTierCode"], h["toTierCode"]) for h in history] == [("upgrade", "KING", "SUPERKING")]
    report = (await admin(REPORT, program=program, **{"from": "2000-01-01"}, to="2100-01-01")).ok()["tierReport"]
    assert report["tiers"] == [{"tierCode": "KING", "members": 0, "spend": "0"},
                               {"tierCode": "SUPERKING", "members": 1, "spend": "15000"}]


async def test_override_freeze_and_evaluation_via_graphql(admin):
    program = await restaurant(admin)
    number = await new_member(admin, program)  # no earn yet: the override introduces the member
    today = dt.date.today()
    ends = (today + dt.timedelta(days=30)).isoformat()
    result = await admin(OVERRIDE, program=program, number=number, tier="SUPERKING", endsOn=ends)
    assert result.ok()["setTierOverride"] == [{"tierCode": "SUPERKING", "overrideTierCode": "SUPERKING"}]
    replay = await admin(OVERRIDE, program=program, number=number, tier="SUPERKING", endsOn=ends)
    assert replay.ok() == result.ok()
    conflict = await admin(OVERRIDE, program=program, number=number, tier="KING", endsOn=ends)
    assert conflict.codes == ["IDEMPOTENCY_CONFLICT"]

    # a freeze over the override's end keeps the guest; after it, the daily evaluation downgrades
    freeze = await admin(FREEZE, program=program, startsOn=ends, endsOn=(today + dt.timedelta(days=40)).isoformat())
    assert freeze.ok()
    assert len((await admin(FREEZES, program=program)).ok()["tierFreezeWindows"]) == 1
    frozen = await admin(EVALUATE, program=program, asOf=ends)
    assert frozen.ok()["evaluateTiers"][0]["downgrades"] == 0
    after = await admin(EVALUATE, program=program, asOf=(today + dt.timedelta(days=41)).isoformat())
    assert after.ok()["evaluateTiers"][0]["downgrades"] == 1
    assert await tier_of(admin, program, number) == "KING"
    again = await admin(EVALUATE, program=program, asOf=(today + dt.timedelta(days=41)).isoformat())
    assert again.ok()["evaluateTiers"][0]["skipped"] is True
    changes = (await admin(HISTORY, program=program, number=number)).ok()["tierHistory"]
    assert [c["change"] for c in changes] == ["override", "downgrade"] and "VIP guest" in changes[0]["reason"]


async def test_bad_tier_input_via_graphql(admin):
    program = await new_program(admin)
    overlapping = [*RESTAURANT, {"code": "EMPEROR", "name": "Emperor", "threshold": "15000", "validityMonths": 6}]
    result = await admin(DEFINE_SLAB, program=program, tiers=overlapping, window=6)
    assert result.codes == ["INVALID_INPUT"]
    assert result.errors[0]["extensions"]["field"] == "slab.tiers[2].threshold"
    result = await admin(DEFINE_SLAB, program=program, tiers=RESTAURANT, window=0)
    assert result.codes == ["INVALID_INPUT"] and "windowLength" in result.errors[0]["message"]
    assert (await admin(SLABS, program=program)).ok()["tierSlabs"] == []
    await admin(DEFINE_SLAB, program=program, tiers=RESTAURANT, window=6)
    number = await new_member(admin, program)
    result = await admin(OVERRIDE, program=program, number=number, tier="EMPEROR", endsOn=None)
    assert result.codes == ["INVALID_INPUT"] and "EMPEROR" in result.errors[0]["message"]
    assert (await admin(CLEAR, program=program, number=number)).codes == ["NOT_FOUND"]


async def test_tier_permissions(admin, platform):
    program = await restaurant(admin)
    number = await new_member(admin, program)
    claims = {"sub": "host@example.com", "aud": "loyalty", "programs": [program], "permissions": ["tier.read"],
              "exp": dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)}
    staff = GraphQLClient(platform.url, token=jwt.encode(claims, JWT_SECRET, algorithm="HS256"))
    try:
        assert (await staff(TIER_STATUS, program=program, number=number)).ok()
        assert (await staff(OVERRIDE, program=program, number=number, tier="SUPERKING", endsOn=None)).codes == [
            "FORBIDDEN"]
        assert (await staff(DEFINE_SLAB, program=program, tiers=RESTAURANT, window=6)).codes == ["FORBIDDEN"]
        other = await new_program(admin)
        assert (await staff(SLABS, program=other)).codes == ["FORBIDDEN"]
    finally:
        await staff.aclose()
