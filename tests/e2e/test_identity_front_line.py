"""The Front-Line Manager's limits of issue 14, against the real platform with tokens from real sign-ins:
goodwill within the program's limit, and voids of their own store's transactions only."""

import pytest

from tests.e2e.identity_helpers import as_bearer, invite_and_accept
from tests.e2e.test_members_statuses import ENQUIRE_POINTS, enrol, new_program
from tests.fixtures.graphql import unique

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
