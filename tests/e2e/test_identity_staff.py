"""Staff accounts against the real platform: invitation by mail, sign-in, refresh rotation, reuse
detection, sign-out, reset without enumeration, lockout under concurrent guesses, deactivation."""

import asyncio

import pytest

from tests.e2e.identity_helpers import (
    ACCEPT, INVITE, ME, PASSWORD, REFRESH, SIGN_IN, SIGN_OUT, as_bearer, invite_and_accept, mailed,
)
from tests.e2e.test_members_statuses import new_program
from tests.fixtures.graphql import GraphQLClient, unique

pytestmark = pytest.mark.e2e

DEACTIVATE = """mutation($id: ID!, $program: String!) { deactivateUser(input: {userId: $id, program: $program}) {
  status } }"""
RESET_REQUEST = """mutation($email: String!) { requestPasswordReset(email: $email) }"""
RESET = """mutation($token: String!, $password: String!) { resetPassword(input: {token: $token, password: $password}) }"""


async def test_invitation_mail_accept_and_me(admin, anonymous, platform, smtp_server):
    # given a program and an invitation mailed to a new person
    program = await new_program(admin)
    email = f"{unique('ana')}@example.com"
    (await admin(INVITE, program=program, email=email, role="admin")).ok()
    token = await mailed(smtp_server, email, r"token=(inv_[A-Za-z0-9_\-]+)")

    # when they choose a common password, then a good one
    weak = await anonymous(ACCEPT, token=token, password="password1234")
    assert weak.codes == ["INVALID_INPUT"] and weak.errors[0]["extensions"]["field"] == "password"
    tokens = (await anonymous(ACCEPT, token=token, password=PASSWORD, name="Ana")).ok()["acceptInvitation"]

    # then the link worked once, and the access token says who they are and what they may do here
    again = await anonymous(ACCEPT, token=token, password=PASSWORD)
    assert again.codes == ["UNAUTHENTICATED"]
    me = (await as_bearer(platform, tokens["accessToken"])(ME)).ok()["me"]
    assert (me["kind"], me["email"], me["displayName"]) == ("STAFF", email, "Ana")
    [mine] = me["programs"]
    assert mine["code"] == program and mine["roles"] == ["admin"]
    assert "points.adjust" in mine["permissions"] and "user.manage" not in mine["permissions"]
    assert me["platformPermissions"] == []


async def test_sign_in_refresh_rotation_and_reuse_kills_the_family(admin, anonymous, platform, smtp_server):
    program = await new_program(admin)
    email, _ = await invite_and_accept(admin, platform, smtp_server, program=program, role="management")
    wrong = await anonymous(SIGN_IN, email=email, password="not-the-password-at-all")
    unknown = await anonymous(SIGN_IN, email=f"{unique('nobody')}@example.com", password=PASSWORD)
    assert wrong.codes == unknown.codes == ["UNAUTHENTICATED"]
    assert wrong.errors[0]["message"] == unknown.errors[0]["message"]  # no enumeration

    first = (await anonymous(SIGN_IN, email=email, password=PASSWORD)).ok()["signIn"]
    assert first["mfaRequired"] is False
    second = (await anonymous(REFRESH, token=first["refreshToken"])).ok()["refreshSession"]
    assert second["refreshToken"] != first["refreshToken"]
    assert (await as_bearer(platform, second["accessToken"])(ME)).ok()["me"]["email"] == email

    # when the spent token is presented again (a thief's copy), the whole session ends
    reused = await anonymous(REFRESH, token=first["refreshToken"])
    assert reused.codes == ["UNAUTHENTICATED"]
    assert (await anonymous(REFRESH, token=second["refreshToken"])).codes == ["UNAUTHENTICATED"]
    await refused_soon(as_bearer(platform, second["accessToken"]))


async def refused_soon(client: GraphQLClient) -> None:
    """The revocation reaches the gateway through its feed after commit; wait for it, boundedly."""
    for _ in range(100):
        if (await client(ME)).codes == ["UNAUTHENTICATED"]:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the revoked session's access token still works")


async def test_sign_out_ends_the_session(admin, anonymous, platform, smtp_server):
    program = await new_program(admin)
    _, tokens = await invite_and_accept(admin, platform, smtp_server, program=program, role="front_line_manager")
    assert (await anonymous(SIGN_OUT, token=tokens["refreshToken"])).ok()["signOut"] is True
    assert (await anonymous(REFRESH, token=tokens["refreshToken"])).codes == ["UNAUTHENTICATED"]
    await refused_soon(as_bearer(platform, tokens["accessToken"]))


async def test_password_reset_without_enumeration(admin, anonymous, platform, smtp_server):
    program = await new_program(admin)
    email, tokens = await invite_and_accept(admin, platform, smtp_server, program=program, role="admin")
    before = len(smtp_server.to(email))
    ghost = f"{unique('ghost')}@example.com"
    assert (await anonymous(RESET_REQUEST, email=ghost)).ok() == (await anonymous(RESET_REQUEST, email=email)).ok()
    token = await mailed(smtp_server, email, r"token=(rst_[A-Za-z0-9_\-]+)", after=before)
    new_password = "Gazpacho-andaluz-2026"
    assert (await anonymous(RESET, token=token, password=new_password)).ok()["resetPassword"] is True
    assert (await anonymous(RESET, token=token, password=new_password)).codes == ["UNAUTHENTICATED"]
    assert (await anonymous(SIGN_IN, email=email, password=PASSWORD)).codes == ["UNAUTHENTICATED"]
    assert (await anonymous(SIGN_IN, email=email, password=new_password)).ok()["signIn"]["accessToken"]
    # the sessions of the old password are over
    await refused_soon(as_bearer(platform, tokens["accessToken"]))
    assert smtp_server.to(ghost) == []


async def test_lockout_under_concurrent_wrong_passwords(admin, anonymous, platform, smtp_server):
    program = await new_program(admin)
    email, _ = await invite_and_accept(admin, platform, smtp_server, program=program, role="admin")
    # when twelve wrong guesses arrive at once
    results = await asyncio.gather(*(anonymous(SIGN_IN, email=email, password=f"wrong-guess-{i}-xyz")
                                     for i in range(12)))
    assert all(r.codes == ["UNAUTHENTICATED"] for r in results), [r.errors for r in results]
    # then the account is locked: even the right password is refused now
    locked = await anonymous(SIGN_IN, email=email, password=PASSWORD)
    assert locked.codes == ["UNAUTHENTICATED"] and "too many" in locked.errors[0]["message"]
    # and the service verified at most five of them (counted before checking, in one statement)
    messages = [r.errors[0]["message"] for r in results]
    assert messages.count("invalid email or password") <= 5


async def test_deactivation_kills_live_sessions(admin, anonymous, platform, smtp_server):
    program = await new_program(admin)
    email, tokens = await invite_and_accept(admin, platform, smtp_server, program=program, role="admin")
    user_id = (await as_bearer(platform, tokens["accessToken"])(ME)).ok()["me"]["subject"]
    assert user_id.startswith("staff:")
    done = (await admin(DEACTIVATE, id=user_id.removeprefix("staff:"), program=program)).ok()
    assert done["deactivateUser"]["status"] == "deactivated"
    await refused_soon(as_bearer(platform, tokens["accessToken"]))
    assert (await anonymous(REFRESH, token=tokens["refreshToken"])).codes == ["UNAUTHENTICATED"]
    assert (await anonymous(SIGN_IN, email=email, password=PASSWORD)).codes == ["UNAUTHENTICATED"]
