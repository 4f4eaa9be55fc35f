"""Rewards at the POS through the real gateway, services, ledger, PostgreSQL and SMTP server."""

import asyncio
import datetime as dt
import re
from collections import Counter

import jwt
import pytest

from tests.e2e.test_contract import EARN, ENQUIRE, new_program
from tests.fixtures.graphql import GraphQLClient, unique
from tests.fixtures.platform import JWT_SECRET

pytestmark = pytest.mark.e2e

ENROLL = """
mutation($program: String!, $email: String!) {
  enroll(input: {program: $program, email: $email, firstName: "Lucía", lastName: "Gómez"}) { member { loyaltyNumber } }
}"""
CREATE_REWARD = """
mutation($program: String!, $code: String!, $cost: Int!, $stock: Int, $limit: Int, $tiers: [String!],
         $until: String, $kind: String! = "free_item", $plu: String = "COFFEE", $partner: String) {
  createReward(input: {program: $program, code: $code, name: "Free coffee", kind: $kind, plu: $plu,
                       partnerCode: $partner, pointsCost: $cost, stock: $stock, perMemberLimit: $limit,
                       tierCodes: $tiers, validUntil: $until, imageUrl: "https://cdn.example.com/c.png",
                       description: "A coffee on us"}) {
    code pointsCost stock perMemberLimit imageUrl issuesVoucher
  }
}"""
REQUEST_OTP = """
mutation($program: String!, $number: String!) {
  requestOtp(input: {program: $program, loyaltyNumber: $number}) { expiresAt channel destination }
}"""
IDENTIFY = """
mutation($program: String!, $otp: String!) {
  identifyMember(input: {program: $program, otp: $otp}) { loyaltyNumber points { availablePoints } }
}"""
ELIGIBILITY = """
query($program: String!, $number: String!) {
  rewardEligibility(program: $program, loyaltyNumber: $number) {
    availablePoints
    available { reward { code } pointsNeeded }
    next { reward { code } pointsNeeded }
    highest { reward { code } }
  }
}"""
CLAIM = """
mutation($program: String!, $number: String!, $reward: String!, $reference: String!, $order: String, $otp: String) {
  claimReward(input: {program: $program, loyaltyNumber: $number, rewardCode: $reward, reference: $reference,
                      orderReference: $order, otp: $otp}) {
    reference loyaltyNumber status points otpBypassed voucherCode availableAfter
  }
}"""
SETTLE = """
mutation($program: String!, $reference: String!) {
  settleRewardClaim(input: {program: $program, reference: $reference}) { status }
}"""
VOID_ORDER = """
mutation($program: String!, $order: String!) {
  voidOrder(input: {program: $program, orderReference: $order, reason: "order cancelled"}) {
    newBalance claims { reference status }
  }
}"""
EARN_IN_ORDER = """
mutation($program: String!, $number: String!, $amount: String!, $reference: String!, $order: String!) {
  earn(input: {program: $program, loyaltyNumber: $number, amount: $amount, currency: "EUR", reference: $reference,
               orderReference: $order}) { newBalance }
}"""
HISTORY = """
query($program: String!, $number: String!) {
  pointsHistory(program: $program, loyaltyNumber: $number) { items { kind reference status points } }
}"""
VOUCHER = """
query($program: String!, $code: String!) { voucher(program: $program, code: $code) { status partnerCode } }
"""
CONSUME = """
mutation($program: String!, $code: String!, $reference: String!) {
  consumeVoucher(input: {program: $program, code: $code, reference: $reference}) { status consumedReference }
}"""
REPORT = """
query($program: String!, $from: String!, $to: String!) {
  rewardsReport(program: $program, from: $from, to: $to, period: "month") {
    rows { rewardCode redemptions settled pointsBurned } totalPointsBurned openHolds openHoldPoints
  }
}"""
CREATE_API_KEY = """
mutation($program: String!, $scopes: [String!]) {
  createApiKey(input: {program: $program, name: "till", scopes: $scopes}) { apiKey }
}"""
POS_SCOPES = ["member.read", "points.earn", "points.read", "rewards.read", "rewards.redeem"]


async def member_with_points(admin, program: str, points: int) -> tuple[str, str]:
    email = f"{unique('guest')}@example.com"
    number = (await admin(ENROLL, program=program, email=email)).ok()["enroll"]["member"]["loyaltyNumber"]
    if points:
        await admin(EARN, program=program, number=number, amount=str(points), currency="EUR",
                    reference=unique("seed"))
    return number, email


async def balance(admin, program: str, number: str) -> int:
    return (await admin(ENQUIRE, program=program, number=number)).ok()["enquire"]["availablePoints"]


async def mailed_code(smtp_server, email: str) -> str:
    for _ in range(100):  # the service sends before it answers; this only waits for the mailbox thread
        messages = smtp_server.to(email)
        if messages:
            body = messages[-1].get_body(preferencelist=("plain",)).get_content()
            return re.search(r"\b(\d{6})\b", body).group(1)
        await asyncio.sleep(0.05)
    raise AssertionError(f"no passcode mailed to {email}")


async def pos_client(admin, platform, program: str, scopes=POS_SCOPES) -> GraphQLClient:
    key = (await admin(CREATE_API_KEY, program=program, scopes=scopes)).ok()["createApiKey"]["apiKey"]
    return GraphQLClient(platform.url, api_key=key)


async def test_the_counter_flow_and_a_cancelled_order_gives_everything_back(admin, platform, smtp_server):
    # given a program with a coffee for 200 points and a guest with 500
    program = await new_program(admin)
    assert (await admin(CREATE_REWARD, program=program, code="coffee", cost=200, stock=10)).ok()["createReward"] == {
        "code": "coffee", "pointsCost": 200, "stock": 10, "perMemberLimit": None,
        "imageUrl": "https://cdn.example.com/c.png", "issuesVoucher": False}
    number, email = await member_with_points(admin, program, 500)
    pos = await pos_client(admin, platform, program)
    try:
        # when the guest asks for a passcode and shows it at the counter
        sent = (await pos(REQUEST_OTP, program=program, number=number)).ok()["requestOtp"]
        assert sent["channel"] == "email" and sent["destination"].endswith("@example.com")
        code = await mailed_code(smtp_server, email)
        found = (await pos(IDENTIFY, program=program, otp=code)).ok()["identifyMember"]
        # then the cashier sees the member, their balance and what they can take
        assert found == {"loyaltyNumber": number, "points": {"availablePoints": 500}}
        seen = (await pos(ELIGIBILITY, program=program, number=number)).ok()["rewardEligibility"]
        assert [a["reward"]["code"] for a in seen["available"]] == ["coffee"]
        assert seen["highest"]["reward"]["code"] == "coffee" and seen["next"] is None

        # when the reward is claimed at payment with the passcode
        claim = (await pos(CLAIM, program=program, number=number, reward="coffee", reference="pay-1",
                           order="order-1", otp=code)).ok()["claimReward"]
        assert (claim["status"], claim["points"], claim["otpBypassed"], claim["availableAfter"]) == \
            ("held", 200, False, 300)
        # a replay answers the same; the spent passcode cannot claim again
        replay = (await pos(CLAIM, program=program, number=number, reward="coffee", reference="pay-1",
                            order="order-1", otp=code)).ok()["claimReward"]
        assert replay == claim
        again = await pos(CLAIM, program=program, number=number, reward="coffee", reference="pay-2", otp=code)
        assert again.codes == ["OTP_USED"]
        # and at pickup the purchase earns in the same order and the claim settles
        earned = await pos(EARN_IN_ORDER, program=program, number=number, amount="40", reference="pickup-1",
                           order="order-1")
        assert earned.ok()["earn"]["newBalance"] == 340
        assert (await pos(SETTLE, program=program, reference="pay-1")).ok()["settleRewardClaim"]["status"] == "settled"
        assert await balance(admin, program, number) == 340

        # when the order is cancelled
        voided = (await pos(VOID_ORDER, program=program, order="order-1")).ok()["voidOrder"]
        # then the balance is exactly restored and both transactions are voided in the history
        assert voided == {"newBalance": 500, "claims": [{"reference": "pay-1", "status": "voided"}]}
        assert await balance(admin, program, number) == 500
        items = (await pos(HISTORY, program=program, number=number)).ok()["pointsHistory"]["items"]
        by_kind = {(i["kind"], i["reference"]): i["status"] for i in items}
        assert by_kind[("EARN", "pickup-1")] == "voided"
        assert [s for (k, _), s in by_kind.items() if k == "CAPTURE"] == ["voided"]
        # and the unit is back in stock
        listed = await admin("query($p: String!) { reward(program: $p, code: \"coffee\") { stock claimed } }", p=program)
        assert listed.ok()["reward"] == {"stock": 10, "claimed": 0}
    finally:
        await pos.aclose()


async def test_a_claim_needs_the_passcode_unless_staff_may_bypass_it(admin, platform):
    program = await new_program(admin)
    await admin(CREATE_REWARD, program=program, code="coffee", cost=100)
    number, _ = await member_with_points(admin, program, 300)
    pos = await pos_client(admin, platform, program)
    claims = {"sub": "manager@example.com", "aud": "loyalty", "programs": [program],
              "permissions": ["rewards.redeem", "rewards.redeem_without_otp", "rewards.read"],
              "exp": dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)}
    manager = GraphQLClient(platform.url, token=jwt.encode(claims, JWT_SECRET, algorithm="HS256"))
    try:
        # a POS without the staff permission must send the passcode
        result = await pos(CLAIM, program=program, number=number, reward="coffee", reference="no-otp")
        assert result.codes == ["OTP_REQUIRED"]
        result = await pos(CLAIM, program=program, number=number, reward="coffee", reference="bad-otp", otp="000000")
        assert result.codes == ["OTP_INVALID"]
        # a manager may claim without it, and the claim records it
        claim = (await manager(CLAIM, program=program, number=number, reward="coffee", reference="mgr-1")).ok()
        assert claim["claimReward"]["otpBypassed"] is True
        # a POS key cannot manage the catalogue nor read the report
        assert (await pos(CREATE_REWARD, program=program, code="x", cost=1)).codes == ["FORBIDDEN"]
        assert (await pos(REPORT, program=program, **{"from": "2020-01-01T00:00:00Z", "to": "2999-01-01T00:00:00Z"})
                ).codes == ["FORBIDDEN"]
        # nor act on another program
        other = await new_program(admin)
        assert (await pos(ELIGIBILITY, program=other, number=number)).codes == ["FORBIDDEN"]
    finally:
        await pos.aclose()
        await manager.aclose()


async def test_bad_input_gets_clear_codes_and_changes_nothing(admin):
    program = await new_program(admin)
    await admin(CREATE_REWARD, program=program, code="old", cost=10, until="2020-01-01T00:00:00Z")
    await admin(CREATE_REWARD, program=program, code="gold-only", cost=10, tiers=["gold"])
    await admin(CREATE_REWARD, program=program, code="dinner", cost=1000)
    number, _ = await member_with_points(admin, program, 100)
    cases = {"no-such": "NOT_FOUND", "old": "REWARD_EXPIRED", "gold-only": "REWARD_NOT_ELIGIBLE",
             "dinner": "INSUFFICIENT_POINTS"}
    for reward, code in cases.items():
        result = await admin(CLAIM, program=program, number=number, reward=reward, reference=f"bad-{reward}")
        assert result.codes == [code], (reward, result.errors)
        assert result.errors[0]["message"]
    assert await balance(admin, program, number) == 100
    assert (await admin(CLAIM, program=program, number="12345678903", reward="old", reference="x")).codes == \
        ["NOT_FOUND"]
    bad = await admin(CREATE_REWARD, program=program, code="Bad Code!", cost=10)
    assert bad.codes == ["INVALID_INPUT"] and bad.errors[0]["extensions"]["field"] == "code"
    dup = await admin(CREATE_REWARD, program=program, code="old", cost=10)
    assert dup.codes == ["DUPLICATE_REWARD"]


async def test_concurrent_claims_respect_balance_stock_and_limit(admin):
    # given a reward of 100 points, 4 in stock, 2 per member; one member with 250, another with 1000
    program = await new_program(admin)
    await admin(CREATE_REWARD, program=program, code="cake", cost=100, stock=4, limit=2)
    poor, _ = await member_with_points(admin, program, 250)
    rich, _ = await member_with_points(admin, program, 1000)
    other, _ = await member_with_points(admin, program, 1000)
    # when all three try five claims each at once
    results = await asyncio.gather(*(
        admin(CLAIM, program=program, number=n, reward="cake", reference=unique("c"))
        for n in (poor, rich, other) for _ in range(5)
    ))
    won = Counter(r.data["claimReward"]["loyaltyNumber"] for r in results if not r.errors)
    refused = {c for r in results for c in r.codes}
    # then exactly the stock went, nobody got more than two, and nobody overspent
    assert sum(won.values()) == 4
    assert refused <= {"OUT_OF_STOCK", "REWARD_LIMIT_REACHED", "INSUFFICIENT_POINTS"}
    for number, start in ((poor, 250), (rich, 1000), (other, 1000)):
        assert won[number] <= 2
        assert await balance(admin, program, number) == start - 100 * won[number]
    stock = await admin("query($p: String!) { reward(program: $p, code: \"cake\") { stock claimed } }", p=program)
    assert stock.ok()["reward"] == {"stock": 0, "claimed": 4}


async def test_a_voucher_is_consumed_once_and_reported(admin):
    program = await new_program(admin)
    made = await admin(CREATE_REWARD, program=program, code="cinema", cost=50, kind="partner_voucher", plu=None,
                       partner="cinemas-sa")
    assert made.ok()["createReward"]["issuesVoucher"] is True
    number, _ = await member_with_points(admin, program, 80)
    claim = (await admin(CLAIM, program=program, number=number, reward="cinema", reference="v-1")).ok()["claimReward"]
    code = claim["voucherCode"]
    assert (await admin(VOUCHER, program=program, code=code)).ok()["voucher"] == {"status": "issued",
                                                                                   "partnerCode": "cinemas-sa"}
    used = (await admin(CONSUME, program=program, code=code, reference="box-office-1")).ok()["consumeVoucher"]
    assert used == {"status": "consumed", "consumedReference": "box-office-1"}
    assert (await admin(CONSUME, program=program, code=code, reference="box-office-2")).codes == ["VOUCHER_ALREADY_USED"]
    assert (await admin(VOUCHER, program=program, code="NOSUCHVOUCHER")).codes == ["NOT_FOUND"]
    # the claim settled with the voucher; a second claim stays on hold
    await admin(EARN, program=program, number=number, amount="30", currency="EUR", reference="top-up")
    await admin(CLAIM, program=program, number=number, reward="cinema", reference="v-2")
    report = (await admin(REPORT, program=program, **{"from": "2020-01-01T00:00:00Z", "to": "2999-01-01T00:00:00Z"})
              ).ok()["rewardsReport"]
    assert report["rows"] == [{"rewardCode": "cinema", "redemptions": 2, "settled": 1, "pointsBurned": 50}]
    assert (report["totalPointsBurned"], report["openHolds"], report["openHoldPoints"]) == (50, 1, 50)
