"""Member statuses take effect at earn and redeem, through the real gateway, services and database."""

import pytest

from tests.fixtures.graphql import unique

pytestmark = pytest.mark.e2e

CREATE_PROGRAM = """
mutation($code: String!, $expiryDays: Int!) {
  createProgram(input: {code: $code, name: "Members test", currency: "EUR", timezone: "Europe/Madrid",
                        expiryDays: $expiryDays}) { program { code } }
}"""
ENROLL = """
mutation($program: String!, $email: String!, $firstName: String!, $lastName: String!, $phone: String,
         $birthDate: String, $zip: String, $nationality: String, $customAttributes: JSON, $optedInAt: String,
         $channel: String) {
  enroll(input: {program: $program, email: $email, firstName: $firstName, lastName: $lastName, phone: $phone,
                 birthDate: $birthDate, zip: $zip, nationality: $nationality, customAttributes: $customAttributes,
                 optedInAt: $optedInAt, channel: $channel}) {
    member { id loyaltyNumber email status channel optedInAt zip nationality customAttributes }
  }
}"""
EARN = """
mutation($program: String!, $number: String!, $amount: String!, $reference: String!, $occurredAt: String) {
  earn(input: {program: $program, loyaltyNumber: $number, amount: $amount, currency: "EUR",
               reference: $reference, occurredAt: $occurredAt}) { pointsEarned newBalance }
}"""
REDEEM = """
mutation($program: String!, $number: String!, $points: Int!, $reference: String!) {
  redeem(input: {program: $program, loyaltyNumber: $number, points: $points, reference: $reference}) {
    points newBalance
  }
}"""
CHANGE_STATUS = """
mutation($program: String!, $number: String!, $status: String!, $reason: String!) {
  changeMemberStatus(input: {program: $program, loyaltyNumber: $number, status: $status, reason: $reason}) {
    member { status statusChangedAt }
  }
}"""
ENQUIRE_POINTS = """
query($program: String!, $number: String!) { enquire(program: $program, loyaltyNumber: $number) { availablePoints } }
"""
MEMBER = """
query($program: String!, $number: String!) {
  member(program: $program, loyaltyNumber: $number) {
    loyaltyNumber status mergedInto
    statusHistory { fromStatus toStatus reason changedBy changedAt }
  }
}"""


async def new_program(admin, expiry_days: int = 0) -> str:
    code = unique("m")
    (await admin(CREATE_PROGRAM, code=code, expiryDays=expiry_days)).ok()
    return code


async def enrol(admin, program: str, **fields) -> dict:
    values = {"email": f"{unique('m')}@example.com", "firstName": "Ana", "lastName": unique("López")}
    values.update(fields)
    return (await admin(ENROLL, program=program, **values)).ok()["enroll"]["member"]


@pytest.mark.parametrize("status", ["suspended", "blacklisted", "opted_out"])
async def test_a_member_who_is_not_active_cannot_earn_or_redeem(admin, status):
    # given an active member with points
    program = await new_program(admin)
    number = (await enrol(admin, program))["loyaltyNumber"]
    assert (await admin(EARN, program=program, number=number, amount="50", reference="e1")).ok()
    # when staff change the status
    changed = await admin(CHANGE_STATUS, program=program, number=number, status=status, reason="test: " + status)
    assert changed.ok()["changeMemberStatus"]["member"]["status"] == status
    # then earn and redeem are refused by the points service
    earn = await admin(EARN, program=program, number=number, amount="10", reference="e2")
    assert earn.codes == ["MEMBER_BLOCKED"]
    redeem = await admin(REDEEM, program=program, number=number, points=10, reference="r1")
    assert redeem.codes == ["MEMBER_BLOCKED"]
    # and back to active, both work again
    (await admin(CHANGE_STATUS, program=program, number=number, status="active", reason="resolved")).ok()
    assert (await admin(EARN, program=program, number=number, amount="10", reference="e3")).ok()["earn"][
        "newBalance"] == 60
    assert (await admin(REDEEM, program=program, number=number, points=10, reference="r2")).ok()["redeem"][
        "newBalance"] == 50


async def test_every_status_change_records_who_when_and_why(admin):
    program = await new_program(admin)
    number = (await enrol(admin, program))["loyaltyNumber"]
    for status, reason in (("suspended", "chargeback under review"), ("active", "chargeback settled"),
                           ("opted_out", "asked to leave by phone")):
        (await admin(CHANGE_STATUS, program=program, number=number, status=status, reason=reason)).ok()
    history = (await admin(MEMBER, program=program, number=number)).ok()["member"]["statusHistory"]
    assert [(h["fromStatus"], h["toStatus"], h["reason"]) for h in history] == [
        ("active", "suspended", "chargeback under review"), ("suspended", "active", "chargeback settled"),
        ("active", "opted_out", "asked to leave by phone")]
    assert {h["changedBy"] for h in history} == {"admin"}
    assert all(h["changedAt"] for h in history)


async def test_status_changes_need_a_reason_and_an_allowed_transition(admin):
    program = await new_program(admin)
    number = (await enrol(admin, program))["loyaltyNumber"]
    assert (await admin(CHANGE_STATUS, program=program, number=number, status="suspended", reason=" ")).codes == [
        "INVALID_INPUT"]
    assert (await admin(CHANGE_STATUS, program=program, number=number, status="merged", reason="x")).codes == [
        "INVALID_INPUT"]
    assert (await admin(CHANGE_STATUS, program=program, number=number, status="frozen", reason="x")).codes == [
        "INVALID_INPUT"]


async def test_a_blacklisted_identity_cannot_enrol_again(admin):
    program = await new_program(admin)
    bad = await enrol(admin, program, email="fraudster@example.com", phone="+34655000111")
    (await admin(CHANGE_STATUS, program=program, number=bad["loyaltyNumber"], status="blacklisted",
                 reason="stolen card")).ok()
    again = await admin(ENROLL, program=program, email="someone.else@example.com", firstName="X", lastName="Y",
                        phone="+34 655 000 111")
    assert again.codes == ["MEMBER_BLOCKED"]
    assert again.errors[0]["extensions"]["field"] == "phone"


async def test_staff_need_the_status_permission(admin, platform):
    import datetime as dt

    import jwt

    from tests.fixtures.graphql import GraphQLClient
    from tests.fixtures.platform import JWT_SECRET

    program = await new_program(admin)
    number = (await enrol(admin, program))["loyaltyNumber"]
    claims = {"sub": "agent@example.com", "aud": "loyalty", "programs": [program], "permissions": ["member.read"],
              "exp": dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)}
    agent = GraphQLClient(platform.url, token=jwt.encode(claims, JWT_SECRET, algorithm="HS256"))
    try:
        assert (await agent(MEMBER, program=program, number=number)).ok()
        refused = await agent(CHANGE_STATUS, program=program, number=number, status="suspended", reason="x")
        assert refused.codes == ["FORBIDDEN"]
    finally:
        await agent.aclose()
