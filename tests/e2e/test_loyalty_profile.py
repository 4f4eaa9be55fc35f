"""loyaltyProfile answers in one round trip what the separate queries (member, enquire, tierProgress,
rewardEligibility) answer, for generated members: earns and redemptions of generated sizes."""

import datetime as dt
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.test_contract import new_program
from tests.e2e.test_points_ledger import EARN, REDEEM
from tests.e2e.test_tiers_graphql import DEFINE_SLAB, RESTAURANT
from tests.fixtures.graphql import GraphQLClient, unique
from tests.fixtures.platform import ADMIN_TOKEN

pytestmark = pytest.mark.e2e

PROFILE = """
query($program: String!, $number: String!) {
  loyaltyProfile(program: $program, loyaltyNumber: $number) {
    loyaltyId firstName lastName email status activeStatus birthday loyaltyAnniversary phone zip
    optInStatus optInDate availablePoints earnedPoints usedPoints heldPoints expiredPoints nextExpiringPoints
    pointsExpirationDate currentTier nextTier pointsRequiredForNextTier tierAchievedDate availableRewards
    pointsRequiredForNextReward highestAvailableReward firstLoyaltyActivityDate lastLoyaltyActivityDate
    firstPurchaseDate lastPurchaseDate
  }
}"""
SEPARATE = """
query($program: String!, $number: String!) {
  member(program: $program, loyaltyNumber: $number) {
    loyaltyNumber firstName lastName email status birthDate enrolledAt phone zip optedInAt
  }
  enquire(program: $program, loyaltyNumber: $number) {
    availablePoints lifetimeEarned usedPoints onHoldPoints expiredPoints nextExpiringPoints nextExpiryDate
    firstActivityAt lastActivityAt firstPurchaseAt lastPurchaseAt
  }
  tierProgress(program: $program, loyaltyNumber: $number) { slabCode tierCode nextTierCode needed achievedOn }
  rewardEligibility(program: $program, loyaltyNumber: $number) {
    available { reward { name } } next { pointsNeeded } highest { reward { name } }
  }
}"""
ENROLL = """
mutation($program: String!, $email: String!, $first: String!, $phone: String, $birth: String, $zip: String) {
  enroll(input: {program: $program, email: $email, firstName: $first, lastName: "Profile", phone: $phone,
                 birthDate: $birth, zip: $zip}) { member { loyaltyNumber } }
}"""
CREATE_REWARD = """
mutation($program: String!, $code: String!, $name: String!, $cost: Int!) {
  createReward(input: {program: $program, code: $code, name: $name, kind: "free_item", plu: "X", pointsCost: $cost}) {
    code
  }
}"""


@pytest.fixture(scope="module")
async def shop(platform):
    admin = GraphQLClient(platform.url, token=ADMIN_TOKEN)
    program = await new_program(admin)
    (await admin(DEFINE_SLAB, program=program, tiers=RESTAURANT, window=6)).ok()
    for code, name, cost in (("coffee", "Coffee", 100), ("lunch", "Lunch", 1000), ("trip", "Trip", 20000)):
        (await admin(CREATE_REWARD, program=program, code=code, name=name, cost=cost)).ok()
    yield admin, program
    await admin.aclose()


def _date(value):
    return value[:10] if value else None


def expected_from(separate: dict) -> dict:
    """The profile as the separate queries say it should be."""
    m, e, r = separate["member"], separate["enquire"], separate["rewardEligibility"]
    tier = min(separate["tierProgress"], key=lambda s: s["slabCode"], default=None)
    return {
        "loyaltyId": m["loyaltyNumber"], "firstName": m["firstName"], "lastName": m["lastName"], "email": m["email"],
        "status": m["status"], "birthday": m["birthDate"], "loyaltyAnniversary": m["enrolledAt"][:10],
        "phone": m["phone"], "zip": m["zip"], "optInStatus": m["status"] == "active",
        "optInDate": _date(m["optedInAt"] or m["enrolledAt"]),
        "availablePoints": e["availablePoints"], "earnedPoints": e["lifetimeEarned"], "usedPoints": e["usedPoints"],
        "heldPoints": e["onHoldPoints"], "expiredPoints": e["expiredPoints"],
        "nextExpiringPoints": e["nextExpiringPoints"], "pointsExpirationDate": _date(e["nextExpiryDate"]),
        "currentTier": tier and tier["tierCode"], "nextTier": tier and tier["nextTierCode"],
        "pointsRequiredForNextTier": tier["needed"] if tier and tier["nextTierCode"] else None,
        "tierAchievedDate": _date(tier and tier["achievedOn"]),
        "availableRewards": [a["reward"]["name"] for a in r["available"]],
        "pointsRequiredForNextReward": r["next"]["pointsNeeded"] if r["next"] else None,
        "highestAvailableReward": r["highest"]["reward"]["name"] if r["highest"] else None,
        "firstLoyaltyActivityDate": _date(e["firstActivityAt"]), "lastLoyaltyActivityDate": _date(e["lastActivityAt"]),
        "firstPurchaseDate": _date(e["firstPurchaseAt"]), "lastPurchaseDate": _date(e["lastPurchaseAt"]),
    }


operations = st.lists(st.one_of(st.tuples(st.just("earn"), st.integers(1, 12000)),
                                st.tuples(st.just("redeem"), st.integers(1, 800))), max_size=4)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations, birth=st.one_of(st.none(), st.dates(dt.date(1940, 1, 1), dt.date(2005, 12, 31))),
       zip_code=st.one_of(st.none(), st.from_regex(r"[0-9]{5}", fullmatch=True)))
async def test_the_profile_equals_the_separate_queries(shop, ops, birth, zip_code):
    admin, program = shop
    # given a generated member and what it did
    phone = "+3469" + str(uuid.uuid4().int % 10**7).zfill(7)
    number = (await admin(ENROLL, program=program, email=f"{unique('p')}@example.com", first=unique("f"),
                          phone=phone, birth=birth.isoformat() if birth else None, zip=zip_code)).ok()[
        "enroll"]["member"]["loyaltyNumber"]
    earned = used = 0
    for i, (kind, size) in enumerate(ops):
        if kind == "earn":
            (await admin(EARN, program=program, number=number, amount=str(size), reference=f"{number}-e{i}")).ok()
            earned += size
        elif size <= earned - used:  # a redemption the balance allows
            (await admin(REDEEM, program=program, number=number, points=size, reference=f"{number}-r{i}")).ok()
            used += size
    # when the profile and the separate queries are asked (the tier follows the ledger's events: the
    # separate queries are read after the profile and both again until they agree on the tier)
    for _ in range(100):
        profile = (await admin(PROFILE, program=program, number=number)).ok()["loyaltyProfile"]
        separate = (await admin(SEPARATE, program=program, number=number)).ok()
        expected = expected_from(separate)
        if profile["currentTier"] == expected["currentTier"] and profile["tierAchievedDate"] == expected[
                "tierAchievedDate"] and profile["pointsRequiredForNextTier"] == expected["pointsRequiredForNextTier"]:
            break
    # then they agree, and with what was done
    assert {k: v for k, v in profile.items() if k != "activeStatus"} == expected
    assert (profile["earnedPoints"], profile["usedPoints"], profile["availablePoints"]) == (earned, used, earned - used)
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    assert profile["firstPurchaseDate"] == (today if earned else None) == profile["lastPurchaseDate"]
    assert profile["activeStatus"] is bool(ops and earned)
    assert profile["birthday"] == (birth.isoformat() if birth else None)


async def test_the_profile_needs_each_domains_read_permission(shop, platform):
    admin, program = shop
    number = (await admin(ENROLL, program=program, email=f"{unique('p')}@example.com", first="Ana")).ok()[
        "enroll"]["member"]["loyaltyNumber"]
    anonymous = GraphQLClient(platform.url)
    try:
        assert (await anonymous(PROFILE, program=program, number=number)).codes == ["UNAUTHENTICATED"]
    finally:
        await anonymous.aclose()
    refused = await admin(PROFILE.replace("loyaltyProfile(program: $program, loyaltyNumber: $number)",
                                          "loyaltyProfile(program: $program, loyaltyNumber: $number, "
                                          "activeWithinDays: 0)"), program=program, number=number)
    assert refused.codes == ["INVALID_INPUT"] and refused.errors[0]["extensions"]["field"] == "activeWithinDays"
