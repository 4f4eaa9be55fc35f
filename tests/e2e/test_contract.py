"""The GraphQL contract POS integrations depend on, through the real gateway, services and PostgreSQL."""

import asyncio
import datetime as dt
import json

import jwt
import pytest

from tests.fixtures.graphql import GraphQLClient, unique
from tests.fixtures.platform import JWT_SECRET

pytestmark = pytest.mark.e2e

CREATE_PROGRAM = """
mutation($code: String!, $currency: String!, $timezone: String!) {
  createProgram(input: {code: $code, name: "Test program", currency: $currency, timezone: $timezone}) {
    program { code currency }
  }
}"""
ENROLL = """
mutation($program: String!, $email: String!, $phone: String, $birthDate: String) {
  enroll(input: {program: $program, email: $email, firstName: "Ana", lastName: "López",
                 phone: $phone, birthDate: $birthDate}) {
    member { loyaltyNumber }
  }
}"""
EARN = """
mutation($program: String!, $number: String!, $amount: String!, $currency: String!, $reference: String!) {
  earn(input: {program: $program, loyaltyNumber: $number, amount: $amount, currency: $currency,
               reference: $reference}) {
    oldBalance pointsEarned newBalance
  }
}"""
ENQUIRE = """
query($program: String!, $number: String!) { enquire(program: $program, loyaltyNumber: $number) { availablePoints } }
"""
CREATE_API_KEY = """
mutation($program: String!) { createApiKey(input: {program: $program, name: "till 1"}) { keyId apiKey } }
"""


async def new_program(admin, currency="EUR") -> str:
    code = unique("p")
    result = await admin(CREATE_PROGRAM, code=code, currency=currency, timezone="Europe/Madrid")
    assert result.ok()["createProgram"]["program"] == {"code": code, "currency": currency}
    return code


async def new_member(admin, program: str) -> str:
    result = await admin(ENROLL, program=program, email=f"{unique('ana')}@example.com")
    return result.ok()["enroll"]["member"]["loyaltyNumber"]


def luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


async def test_enroll_earn_enquire_and_idempotent_replay(admin):
    # given a new program and a member
    program = await new_program(admin)
    number = await new_member(admin, program)
    assert number.isdigit() and luhn_ok(number)

    # when the POS earns 12.50 EUR
    first = await admin(EARN, program=program, number=number, amount="12.50", currency="EUR", reference="pos-1")
    # then one point per whole euro
    assert first.ok()["earn"] == {"oldBalance": 0, "pointsEarned": 12, "newBalance": 12}

    # when the same reference is replayed, the same answer comes back and nothing is posted
    replay = await admin(EARN, program=program, number=number, amount="12.50", currency="EUR", reference="pos-1")
    assert replay.ok()["earn"] == first.ok()["earn"]
    second = await admin(EARN, program=program, number=number, amount="7.99", currency="EUR", reference="pos-2")
    assert second.ok()["earn"] == {"oldBalance": 12, "pointsEarned": 7, "newBalance": 19}
    enquiry = await admin(ENQUIRE, program=program, number=number)
    assert enquiry.ok()["enquire"]["availablePoints"] == 19


async def test_same_reference_different_request_conflicts(admin):
    program = await new_program(admin)
    number = await new_member(admin, program)
    await admin(EARN, program=program, number=number, amount="10", currency="EUR", reference="r")
    result = await admin(EARN, program=program, number=number, amount="11", currency="EUR", reference="r")
    assert result.codes == ["IDEMPOTENCY_CONFLICT"]


async def test_concurrent_replays_post_once(admin):
    program = await new_program(admin)
    number = await new_member(admin, program)
    results = await asyncio.gather(*(
        admin(EARN, program=program, number=number, amount="25.00", currency="EUR", reference="same")
        for _ in range(20)
    ))
    answers = {json.dumps(r.ok()["earn"], sort_keys=True) for r in results}
    assert len(answers) == 1
    enquiry = await admin(ENQUIRE, program=program, number=number)
    assert enquiry.ok()["enquire"]["availablePoints"] == 25


async def test_duplicate_email_is_refused(admin):
    program = await new_program(admin)
    email = f"{unique('dup')}@example.com"
    assert (await admin(ENROLL, program=program, email=email)).ok()
    again = await admin(ENROLL, program=program, email=email.upper())
    assert again.codes == ["DUPLICATE_MEMBER"]
    # the same email may enrol in another program
    other = await new_program(admin)
    assert (await admin(ENROLL, program=other, email=email)).ok()


@pytest.mark.parametrize(
    ("amount", "currency", "field"),
    [("-5", "EUR", "amount"), ("0", "EUR", "amount"), ("12,50", "EUR", "amount"), ("abc", "EUR", "amount"),
     ("NaN", "EUR", "amount"), ("10", "USD", "currency")],
)
async def test_bad_earn_input_names_the_field_and_posts_nothing(admin, amount, currency, field):
    program = await new_program(admin)
    number = await new_member(admin, program)
    result = await admin(EARN, program=program, number=number, amount=amount, currency=currency, reference="bad")
    assert result.codes == ["INVALID_INPUT"]
    assert field in result.errors[0]["message"]
    assert (await admin(ENQUIRE, program=program, number=number)).ok()["enquire"]["availablePoints"] == 0
    # the reference was not consumed by the refusal
    fixed = await admin(EARN, program=program, number=number, amount="3", currency="EUR", reference="bad")
    assert fixed.ok()["earn"]["pointsEarned"] == 3


async def test_unknown_program_and_member(admin):
    result = await admin(EARN, program="no-such-program", number="1", amount="1", currency="EUR", reference="x")
    assert result.codes == ["NOT_FOUND"]
    program = await new_program(admin)
    result = await admin(EARN, program=program, number="12345678903", amount="1", currency="EUR", reference="x")
    assert result.codes == ["NOT_FOUND"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "x@example.com'; DROP TABLE members; --"), ("email", "not-an-email"),
     ("phone", "call me"), ("birthDate", "2999-01-01"), ("birthDate", "01/02/1990")],
)
async def test_bad_enrol_input(admin, field, value):
    program = await new_program(admin)
    variables = {"program": program, "email": f"{unique('e')}@example.com", field: value}
    result = await admin(ENROLL, **variables)
    assert result.codes == ["INVALID_INPUT"]
    assert field in result.errors[0]["message"]


async def test_bad_program_input(admin):
    result = await admin(CREATE_PROGRAM, code=unique("p"), currency="EURO", timezone="Europe/Madrid")
    assert result.codes == ["INVALID_INPUT"] and "currency" in result.errors[0]["message"]
    result = await admin(CREATE_PROGRAM, code=unique("p"), currency="EUR", timezone="Mars/Olympus")
    assert result.codes == ["INVALID_INPUT"] and "timezone" in result.errors[0]["message"]


async def test_missing_and_wrong_credentials(anonymous, platform):
    result = await anonymous(ENQUIRE, program="any", number="1")
    assert result.codes == ["UNAUTHENTICATED"]
    wrong = GraphQLClient(platform.url, token="not-a-token")
    try:
        assert (await wrong(ENQUIRE, program="any", number="1")).codes == ["UNAUTHENTICATED"]
    finally:
        await wrong.aclose()
    bad_key = GraphQLClient(platform.url, api_key="lk_000000000000_nope")
    try:
        assert (await bad_key(ENQUIRE, program="any", number="1")).codes == ["UNAUTHENTICATED"]
    finally:
        await bad_key.aclose()


async def test_api_key_works_on_its_program_only(admin, platform):
    program_a = await new_program(admin)
    program_b = await new_program(admin)
    member_b = await new_member(admin, program_b)
    key = (await admin(CREATE_API_KEY, program=program_a)).ok()["createApiKey"]["apiKey"]
    pos = GraphQLClient(platform.url, api_key=key)
    try:
        member_a = (await pos(ENROLL, program=program_a, email=f"{unique('pos')}@example.com")).ok()
        number_a = member_a["enroll"]["member"]["loyaltyNumber"]
        earned = await pos(EARN, program=program_a, number=number_a, amount="5", currency="EUR", reference="k1")
        assert earned.ok()["earn"]["newBalance"] == 5
        # program A's key on program B is refused
        result = await pos(EARN, program=program_b, number=member_b, amount="5", currency="EUR", reference="k2")
        assert result.codes == ["FORBIDDEN"]
        assert (await pos(ENQUIRE, program=program_b, number=member_b)).codes == ["FORBIDDEN"]
        # and cannot create programs
        assert (await pos(CREATE_PROGRAM, code=unique("p"), currency="EUR", timezone="UTC")).codes == ["FORBIDDEN"]
    finally:
        await pos.aclose()
    assert (await admin(ENQUIRE, program=program_b, number=member_b)).ok()["enquire"]["availablePoints"] == 0


async def test_staff_jwt_is_limited_to_its_programs_and_permissions(admin, platform):
    program = await new_program(admin)
    other = await new_program(admin)
    number = await new_member(admin, program)
    claims = {"sub": "clerk@example.com", "aud": "loyalty", "programs": [program], "permissions": ["points.read"],
              "exp": dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)}
    staff = GraphQLClient(platform.url, token=jwt.encode(claims, JWT_SECRET, algorithm="HS256"))
    try:
        assert (await staff(ENQUIRE, program=program, number=number)).ok()
        assert (await staff(ENQUIRE, program=other, number=number)).codes == ["FORBIDDEN"]
        earn = await staff(EARN, program=program, number=number, amount="5", currency="EUR", reference="s1")
        assert earn.codes == ["FORBIDDEN"]
    finally:
        await staff.aclose()
    expired = dict(claims, exp=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5))
    late = GraphQLClient(platform.url, token=jwt.encode(expired, JWT_SECRET, algorithm="HS256"))
    try:
        assert (await late(ENQUIRE, program=program, number=number)).codes == ["UNAUTHENTICATED"]
    finally:
        await late.aclose()


async def test_health_reports_every_service(platform):
    import httpx

    async with httpx.AsyncClient() as client:
        response = await client.get(f"{platform.url}/healthz")
    assert response.status_code == 200
    assert set(response.json()["services"]) == {"member", "points", "tier", "rewards", "billing", "identity",
                                                      "notifications"}
