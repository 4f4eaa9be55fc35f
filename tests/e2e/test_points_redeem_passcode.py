"""Paying with points at the POS needs the member's passcode; staff may bypass it with a permission."""

import pytest

from tests.e2e.test_contract import new_program
from tests.e2e.test_rewards_pos import REQUEST_OTP, balance, mailed_code, member_with_points, pos_client

pytestmark = pytest.mark.e2e

REDEEM = """
mutation($program: String!, $number: String!, $points: Int!, $reference: String!, $otp: String) {
  redeem(input: {program: $program, loyaltyNumber: $number, points: $points, reference: $reference, otp: $otp}) {
    points newBalance
  }
}"""
POS_SCOPES = ["member.read", "points.read", "points.redeem", "rewards.redeem"]


async def test_redeem_needs_a_valid_passcode_and_a_refused_burn_keeps_it(admin, platform, smtp_server):
    program = await new_program(admin)
    number, email = await member_with_points(admin, program, 100)
    pos = await pos_client(admin, platform, program, scopes=POS_SCOPES)
    try:
        # without a passcode the POS is refused and nothing is spent
        refused = await pos(REDEEM, program=program, number=number, points=30, reference="pay-1")
        assert refused.codes == ["OTP_REQUIRED"]
        await pos(REQUEST_OTP, program=program, number=number)
        code = await mailed_code(smtp_server, email)
        wrong = "000000" if code != "000000" else "111111"
        assert (await pos(REDEEM, program=program, number=number, points=30, reference="pay-1",
                          otp=wrong)).codes == ["OTP_INVALID"]
        # a burn the ledger refuses does not use up the passcode
        too_much = await pos(REDEEM, program=program, number=number, points=500, reference="pay-2", otp=code)
        assert too_much.codes == ["INSUFFICIENT_POINTS"]
        paid = await pos(REDEEM, program=program, number=number, points=30, reference="pay-1", otp=code)
        assert paid.ok()["redeem"] == {"points": -30, "newBalance": 70}
        # the same reference replays the answer; the passcode cannot pay twice
        assert (await pos(REDEEM, program=program, number=number, points=30, reference="pay-1",
                          otp=code)).ok()["redeem"] == {"points": -30, "newBalance": 70}
        again = await pos(REDEEM, program=program, number=number, points=10, reference="pay-3", otp=code)
        assert again.codes == ["OTP_USED"]
    finally:
        await pos.aclose()
    assert await balance(admin, program, number) == 70


async def test_staff_with_the_bypass_permission_may_redeem_without_a_passcode(admin, platform):
    program = await new_program(admin)
    number, _ = await member_with_points(admin, program, 50)
    staff = await pos_client(admin, platform, program, scopes=[*POS_SCOPES, "rewards.redeem_without_otp"])
    try:
        paid = await staff(REDEEM, program=program, number=number, points=20, reference="desk-1")
        assert paid.ok()["redeem"]["newBalance"] == 30
    finally:
        await staff.aclose()
