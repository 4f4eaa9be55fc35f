"""Segments over profile fields and activity the ledger reports, through the real platform."""

import asyncio
import subprocess
import sys

import pytest

from tests.e2e.test_members_statuses import EARN, enrol, new_program
from tests.fixtures.postgres import ROOT

pytestmark = pytest.mark.e2e

SAVE_RULE = """
mutation($program: String!, $code: String!, $rule: JSON) {
  saveSegment(input: {program: $program, code: $code, rule: $rule}) { code kind memberCount }
}"""
SAVE_STATIC = """
mutation($program: String!, $code: String!, $csv: String) {
  saveSegment(input: {program: $program, code: $code, loyaltyNumbersCsv: $csv}) {
    code kind memberCount unknownLoyaltyNumbers
  }
}"""
PREVIEW = """
query($program: String!, $rule: JSON!) { segmentPreview(program: $program, rule: $rule) { memberCount } }
"""
MEMBER_SEGMENTS = """
query($program: String!, $number: String!) { member(program: $program, loyaltyNumber: $number) { segments } }
"""
SEGMENTS = """query($program: String!) { segments(program: $program) { code memberCount refreshedAt } }"""

BIG_SPENDERS_IN_MADRID = {"and": [{">=": [{"var": "lifetime_points"}, 100]}, {"==": [{"var": "zip"}, "28001"]}]}


async def segments_of(admin, program, number, *, until) -> list[str]:
    for _ in range(200):  # ledger events reach the member service after the points commit
        codes = (await admin(MEMBER_SEGMENTS, program=program, number=number)).ok()["member"]["segments"]
        if until(codes):
            return codes
        await asyncio.sleep(0.05)
    return codes


async def test_rule_segment_follows_profile_and_ledger_activity(admin):
    # given a rule over the zip code and lifetime points, saved before anyone qualifies
    program = await new_program(admin)
    madrid_big = (await enrol(admin, program, zip="28001"))["loyaltyNumber"]
    madrid_small = (await enrol(admin, program, zip="28001"))["loyaltyNumber"]
    barcelona_big = (await enrol(admin, program, zip="08001"))["loyaltyNumber"]
    saved = (await admin(SAVE_RULE, program=program, code="big-madrid", rule=BIG_SPENDERS_IN_MADRID)).ok()
    assert saved["saveSegment"] == {"code": "big-madrid", "kind": "rule", "memberCount": 0}

    # when they buy
    for number, amount in ((madrid_big, "150"), (madrid_small, "50"), (barcelona_big, "150")):
        (await admin(EARN, program=program, number=number, amount=amount, reference=f"buy-{number}")).ok()

    # then membership follows the ledger events, and only the big spender in Madrid is in
    assert await segments_of(admin, program, madrid_big, until=lambda c: c) == ["big-madrid"]
    for _ in range(200):  # the last buyer's ledger event may still be on its way
        preview = (await admin(PREVIEW, program=program, rule={">=": [{"var": "lifetime_points"}, 100]})).ok()
        if preview["segmentPreview"]["memberCount"] == 2:
            break
        await asyncio.sleep(0.05)
    assert preview["segmentPreview"]["memberCount"] == 2
    # (every ledger event has arrived now)
    assert await segments_of(admin, program, madrid_small, until=lambda c: True) == []
    assert await segments_of(admin, program, barcelona_big, until=lambda c: True) == []

    # when the small spender buys more, the segment follows
    (await admin(EARN, program=program, number=madrid_small, amount="60", reference="more")).ok()
    assert await segments_of(admin, program, madrid_small, until=lambda c: c) == ["big-madrid"]


async def test_static_segment_from_csv(admin):
    program = await new_program(admin)
    a = (await enrol(admin, program))["loyaltyNumber"]
    b = (await enrol(admin, program))["loyaltyNumber"]
    csv = f"loyalty_number,note\n{a},vip\n{b},press\n12345678903,gone\n"
    saved = (await admin(SAVE_STATIC, program=program, code="launch-guests", csv=csv)).ok()["saveSegment"]
    assert saved == {"code": "launch-guests", "kind": "static", "memberCount": 2,
                     "unknownLoyaltyNumbers": ["12345678903"]}
    assert (await admin(MEMBER_SEGMENTS, program=program, number=a)).ok()["member"]["segments"] == ["launch-guests"]


async def test_bad_rules_are_refused(admin):
    program = await new_program(admin)
    result = await admin(SAVE_RULE, program=program, code="x", rule={"no_such_op": [1, 2]})
    assert result.codes == ["INVALID_INPUT"] and "rule" in result.errors[0]["message"]
    result = await admin(SAVE_RULE, program=program, code="Bad Code!", rule={"==": [1, 1]})
    assert result.codes == ["INVALID_INPUT"] and "code" in result.errors[0]["message"]


async def test_refresh_job_reevaluates_time_based_rules(admin, platform):
    # given a segment on enrolment date that a member enters with time, not with an event
    program = await new_program(admin)
    number = (await enrol(admin, program))["loyaltyNumber"]
    (await admin(SAVE_RULE, program=program, code="everyone", rule={">=": [{"var": "days_since_enrolment"}, 0]})).ok()
    # when the job runs
    env = dict(platform.env, DATABASE_URL=platform.env["TEST_DSN_MEMBER"])
    done = subprocess.run([sys.executable, "-m", "services.member.jobs", "refresh-segments"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    # then the segment is refreshed, and a rerun changes nothing
    segments = (await admin(SEGMENTS, program=program)).ok()["segments"]
    assert segments[0]["memberCount"] == 1 and segments[0]["refreshedAt"]
    assert (await admin(MEMBER_SEGMENTS, program=program, number=number)).ok()["member"]["segments"] == ["everyone"]
    rerun = subprocess.run([sys.executable, "-m", "services.member.jobs", "refresh-segments"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0
    assert (await admin(SEGMENTS, program=program)).ok()["segments"][0]["memberCount"] == 1
