"""Member self-service: passcode sign-in (no enumeration, single use, lockout) and a member token
that reads only its own member, by any query."""

import pytest

from tests.e2e.identity_helpers import MEMBER_SIGN_IN, REFRESH, REQUEST_PASSCODE, as_bearer, mailed
from tests.e2e.test_members_statuses import EARN, ENQUIRE_POINTS, MEMBER, enrol, new_program
from tests.fixtures.graphql import unique

pytestmark = pytest.mark.e2e

MY = """{ me { kind subject member { loyaltyNumber program tierProgress { slabCode }
  claimableRewards { availablePoints }
  profile { loyaltyNumber email consents { email } points { availablePoints } recentActivity { points } } } } }"""
EXPORT_MINE = """mutation { exportMyData }"""
SEARCH = """query($program: String!) { searchMembers(program: $program, query: "") { members { loyaltyNumber } } }"""


async def sign_in_member(anonymous, smtp_server, *, program: str, email: str) -> dict:
    before = len(smtp_server.to(email))
    assert (await anonymous(REQUEST_PASSCODE, program=program, email=email)).ok()["requestMemberPasscode"] is True
    code = await mailed(smtp_server, email, r"\b(\d{6})\b", after=before)
    return (await anonymous(MEMBER_SIGN_IN, program=program, email=email, code=code)).ok()["memberSignIn"]


async def test_member_signs_in_and_sees_only_themselves(admin, anonymous, platform, smtp_server):
    # given two members with points
    program = await new_program(admin)
    ana = await enrol(admin, program, email=f"{unique('ana')}@example.com")
    bob = await enrol(admin, program, email=f"{unique('bob')}@example.com")
    for m, amount in ((ana, "30"), (bob, "70")):
        (await admin(EARN, program=program, number=m["loyaltyNumber"], amount=amount, reference=unique("r"))).ok()

    # when Ana signs in with a mailed passcode
    tokens = await sign_in_member(anonymous, smtp_server, program=program, email=ana["email"])
    me_client = as_bearer(platform, tokens["accessToken"])

    # then `me` is Ana, with her points and history
    me = (await me_client(MY)).ok()["me"]
    assert me["kind"] == "MEMBER"
    assert (me["member"]["loyaltyNumber"], me["member"]["program"]) == (ana["loyaltyNumber"], program)
    assert me["member"]["profile"]["points"]["availablePoints"] == 30
    assert [a["points"] for a in me["member"]["profile"]["recentActivity"]] == [30]
    assert me["member"]["claimableRewards"]["availablePoints"] == 30
    assert (await me_client(EXPORT_MINE)).ok()["exportMyData"]["member"]["email"] == ana["email"]

    # and every staff query about Bob (or anyone) is refused
    for query, args in ((MEMBER, {"number": bob["loyaltyNumber"]}), (ENQUIRE_POINTS, {"number": bob["loyaltyNumber"]}),
                        (MEMBER, {"number": ana["loyaltyNumber"]}), (SEARCH, {})):
        refused = await me_client(query, program=program, **args)
        assert refused.codes == ["FORBIDDEN"], (query, refused.errors)
    earn = await me_client(EARN, program=program, number=ana["loyaltyNumber"], amount="5", reference=unique("r"))
    assert earn.codes == ["FORBIDDEN"]

    # the member's refresh token rotates like a staff one
    assert (await anonymous(REFRESH, token=tokens["refreshToken"])).ok()["refreshSession"]["accessToken"]


async def test_passcode_no_enumeration_single_use_and_lockout(admin, anonymous, platform, smtp_server):
    program = await new_program(admin)
    ana = await enrol(admin, program, email=f"{unique('ana')}@example.com")
    ghost = f"{unique('ghost')}@example.com"
    assert (await anonymous(REQUEST_PASSCODE, program=program, email=ghost)).ok()["requestMemberPasscode"] is True
    assert (await anonymous(REQUEST_PASSCODE, program=unique("noprogram"), email=ghost)).ok()
    assert (await anonymous(MEMBER_SIGN_IN, program=program, email=ghost, code="123456")).codes == ["UNAUTHENTICATED"]

    # a used passcode does not work twice
    before = len(smtp_server.to(ana["email"]))
    (await anonymous(REQUEST_PASSCODE, program=program, email=ana["email"])).ok()
    code = await mailed(smtp_server, ana["email"], r"\b(\d{6})\b", after=before)
    (await anonymous(MEMBER_SIGN_IN, program=program, email=ana["email"], code=code)).ok()
    assert (await anonymous(MEMBER_SIGN_IN, program=program, email=ana["email"], code=code)).codes == \
        ["UNAUTHENTICATED"]

    # five wrong tries lock the code: the right one is refused after
    before = len(smtp_server.to(ana["email"]))
    (await anonymous(REQUEST_PASSCODE, program=program, email=ana["email"])).ok()
    code = await mailed(smtp_server, ana["email"], r"\b(\d{6})\b", after=before)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert (await anonymous(MEMBER_SIGN_IN, program=program, email=ana["email"], code=wrong)).codes == \
            ["UNAUTHENTICATED"]
    assert (await anonymous(MEMBER_SIGN_IN, program=program, email=ana["email"], code=code)).codes == \
        ["UNAUTHENTICATED"]
    assert smtp_server.to(ghost) == []
