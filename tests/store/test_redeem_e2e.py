"""Redeem with the bill: the program's burn rules decide the points; the passcode is still needed;
the answer (and the receipt) has the balance before and after, the money value and the new bill."""

import httpx
import pytest

from tests.e2e.test_rewards_pos import mailed_code
from tests.e2e.test_rules_graphql import publish
from tests.fixtures.graphql import GraphQLClient
from tests.store.conftest import ENROLL, print_job, receipt

pytestmark = pytest.mark.e2e

EARN = """
mutation($program: String!, $number: String!, $amount: String!, $reference: String!) {
  earn(input: {program: $program, loyaltyNumber: $number, amount: $amount, currency: "EUR",
               reference: $reference}) { newBalance }
}"""
REDEEM = """
mutation($program: String!, $number: String!, $reference: String!, $otp: String, $points: Int, $value: String,
         $currency: String) {
  redeem(input: {program: $program, loyaltyNumber: $number, reference: $reference, otp: $otp, points: $points,
                 transactionValue: $value, currency: $currency}) {
    oldBalance pointsUsed newBalance moneyValue currency transactionValue newTransactionValue
    breakdown { rule points value maxPoints }
  }
}"""
REQUEST_OTP = """
mutation($program: String!, $number: String!) { requestOtp(input: {program: $program, loyaltyNumber: $number}) {
  channel } }"""
# 100 points a euro, 500 at least, at most half the bill
BURN = [{"code": "base", "action": {"points_per_unit": "1"}},
        {"code": "pay", "type": "burn", "action": {"points_per_unit": 100, "min_points": 500, "max_percent": 50}}]


async def member_with(store, smtp_email: str, points: int) -> str:
    number = (await store.admin(ENROLL, program=store.program, email=smtp_email)).ok()["enroll"]["member"][
        "loyaltyNumber"]
    (await store.admin(EARN, program=store.program, number=number, amount=str(points), reference=f"seed-{number}")).ok()
    return number


async def test_redeem_with_the_bill_applies_the_burn_rules_and_keeps_the_passcode(platform, store, smtp_server):
    await publish(store.admin, store.program, "base", BURN)
    email = f"{store.program}@example.com"
    number = await member_with(store, email, 5000)
    pos = GraphQLClient(platform.url, api_key=store.api_key)
    try:
        # without the passcode nothing is spent
        refused = await pos(REDEEM, program=store.program, number=number, reference="pay-1", value="20.00")
        assert refused.codes == ["OTP_REQUIRED"]
        (await pos(REQUEST_OTP, program=store.program, number=number)).ok()
        code = await mailed_code(smtp_server, email)
        # more than the rules allow on this bill is refused, and the passcode stays usable
        too_much = await pos(REDEEM, program=store.program, number=number, reference="pay-1", otp=code,
                             points=1500, value="20.00")
        assert too_much.codes == ["BURN_NOT_ALLOWED"]
        assert "at most 1000 points" in too_much.errors[0]["message"]
        wrong_currency = await pos(REDEEM, program=store.program, number=number, reference="pay-1", otp=code,
                                   value="20.00", currency="USD")
        assert wrong_currency.codes == ["INVALID_INPUT"]
        assert wrong_currency.errors[0]["extensions"]["field"] == "currency"
        # with the bill and no points: as many as the rules allow (half of 20.00 at 100 a euro)
        paid = (await pos(REDEEM, program=store.program, number=number, reference="pay-1", otp=code,
                          value="20.00", currency="EUR")).ok()["redeem"]
        assert paid == {"oldBalance": 5000, "pointsUsed": 1000, "newBalance": 4000, "moneyValue": "10.00",
                        "currency": "EUR", "transactionValue": "20.00", "newTransactionValue": "10.00",
                        "breakdown": [{"rule": "pay", "points": 1000, "value": "10.00", "maxPoints": 1000}]}
        # a replay answers the same although the balance moved
        again = (await pos(REDEEM, program=store.program, number=number, reference="pay-1", otp=code,
                           value="20.00", currency="EUR")).ok()["redeem"]
        assert again == paid
        assert await store.balance(number) == 4000
        # below the rule's minimum
        (await pos(REQUEST_OTP, program=store.program, number=number)).ok()
        code = await mailed_code(smtp_server, email)
        small = await pos(REDEEM, program=store.program, number=number, reference="pay-2", otp=code,
                          points=200, value="20.00")
        assert small.codes == ["BURN_NOT_ALLOWED"] and "at least 500" in small.errors[0]["message"]
        # without a bill, the old redeem by points still works
        plain = (await pos(REDEEM, program=store.program, number=number, reference="pay-3", otp=code,
                           points=100)).ok()["redeem"]
        assert (plain["oldBalance"], plain["pointsUsed"], plain["newBalance"], plain["moneyValue"]) == \
            (4000, 100, 3900, None)
    finally:
        await pos.aclose()


async def test_the_till_redeems_with_the_bill_and_the_receipt_shows_it(platform, store, smtp_server, printer, agents):
    await publish(store.admin, store.program, "base", BURN)
    email = f"till-{store.program}@example.com"
    number = await member_with(store, email, 3000)
    agent = agents(platform_url=platform.url, store=store, printer_port=printer.port).start()
    async with httpx.AsyncClient(base_url=agent.url, timeout=30) as till:
        assert (await till.post("/v1/passcode", json={"loyalty_number": number})).status_code == 200
        code = await mailed_code(smtp_server, email)
        r = await till.post("/v1/redeem", json={"loyalty_number": number, "reference": "R-500", "passcode": code,
                                                "transaction_value": "12.00"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["old_balance"], body["points_used"], body["new_balance"], body["money_value"],
                body["new_transaction_value"]) == (3000, 600, 2400, "6.00", "6.00")
    sent = receipt("R-500", "12.00")
    await print_job(int(agent.env["STORE_AGENT_PROXY_PORT"]), sent)
    job = (await printer.wait_jobs(1))[0]
    cut = sent.rindex(b"\x1dV")
    block = job[cut:-len(sent[cut:])].decode("cp437")
    assert "Points used" in block and "600" in block and "EUR 6.00" in block
    assert "12.00 -> 6.00" in block and "3000 -> 2400" in block
