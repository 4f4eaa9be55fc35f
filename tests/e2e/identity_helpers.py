"""Helpers for the identity tests: invite through the real SMTP path, sign in, sign members in."""

import asyncio
import re

from tests.fixtures.graphql import GraphQLClient, unique

INVITE = """mutation($program: String!, $email: String!, $role: String!) {
  inviteUser(input: {program: $program, email: $email, role: $role}) { userId expiresAt } }"""
ACCEPT = """mutation($token: String!, $password: String!, $name: String) {
  acceptInvitation(input: {token: $token, password: $password, displayName: $name}) {
    accessToken refreshToken expiresAt mfaRequired } }"""
SIGN_IN = """mutation($email: String!, $password: String!, $totp: String) {
  signIn(input: {email: $email, password: $password, totpCode: $totp}) {
    accessToken refreshToken expiresAt mfaRequired } }"""
REFRESH = """mutation($token: String!) { refreshSession(refreshToken: $token) { accessToken refreshToken expiresAt } }"""
SIGN_OUT = """mutation($token: String!) { signOut(refreshToken: $token) }"""
ME = """{ me { subject kind email displayName platformPermissions
  programs { code name roles permissions } member { loyaltyNumber program } } }"""
REQUEST_PASSCODE = """mutation($program: String!, $email: String, $phone: String) {
  requestMemberPasscode(input: {program: $program, email: $email, phone: $phone}) }"""
MEMBER_SIGN_IN = """mutation($program: String!, $email: String, $phone: String, $code: String!) {
  memberSignIn(input: {program: $program, email: $email, phone: $phone, passcode: $code}) {
    accessToken refreshToken expiresAt mfaRequired } }"""
PASSWORD = "Tortilla-de-patatas-42"


async def mailed(smtp_server, address: str, pattern: str, *, after: int = 0) -> str:
    """The first match of `pattern` in the mails to `address` after the first `after` of them."""
    for _ in range(400):  # sent after commit by the service's relay; this waits for the mailbox thread
        messages = smtp_server.to(address)[after:]
        for message in messages:
            found = re.search(pattern, message.get_body(preferencelist=("plain",)).get_content())
            if found:
                return found.group(1)
        await asyncio.sleep(0.05)
    raise AssertionError(f"no mail to {address} matching {pattern}")


async def invite_and_accept(admin, platform, smtp_server, *, program: str, role: str,
                            email: str | None = None, password: str = PASSWORD) -> tuple[str, dict]:
    email = email or f"{unique('staff')}@example.com"
    (await admin(INVITE, program=program, email=email, role=role)).ok()
    token = await mailed(smtp_server, email, r"token=(inv_[A-Za-z0-9_\-]+)")
    tokens = (await GraphQLClient(platform.url)(ACCEPT, token=token, password=password, name="Test Person")).ok()
    return email, tokens["acceptInvitation"]


def as_bearer(platform, access_token: str) -> GraphQLClient:
    return GraphQLClient(platform.url, token=access_token)
