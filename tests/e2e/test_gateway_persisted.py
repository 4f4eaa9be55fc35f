"""Persisted operations (gateway/persisted.py) against the real platform: the till sends a hash, an unknown
one is answered PERSISTED_QUERY_NOT_FOUND, a hash that is not the text's is refused, and a hash never
carries anyone's rights: each request is checked as its own caller's."""

import hashlib

import httpx
import pytest

from tests.e2e.test_identity_access import CREATE_KEY, staff_token
from tests.e2e.test_members_statuses import EARN, ENQUIRE_POINTS, enrol, new_program
from tests.fixtures.graphql import unique
from tests.fixtures.platform import ADMIN_TOKEN

pytestmark = pytest.mark.e2e


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Till:
    """A client speaking Apollo's persisted queries: the hash first, the text only when asked for it."""

    def __init__(self, url: str, headers: dict[str, str]):
        self.client = httpx.AsyncClient(base_url=url, headers=headers, timeout=30)

    async def post(self, body: dict) -> tuple[int, dict]:
        response = await self.client.post("/graphql", json=body)
        return response.status_code, response.json()

    async def hashed(self, query: str, *, key: str | None = None, **variables) -> dict:
        return (await self.post({"variables": variables,
                                 "extensions": {"persistedQuery": {"version": 1, "sha256Hash": key or sha(query)}}}))[1]

    async def __call__(self, query: str, **variables) -> dict:
        body = await self.hashed(query, **variables)
        if codes(body) == ["PERSISTED_QUERY_NOT_FOUND"]:
            body = (await self.post({"query": query, "variables": variables,
                                     "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha(query)}}}))[1]
        return body

    async def aclose(self) -> None:
        await self.client.aclose()


def codes(body: dict) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]


@pytest.fixture
async def tills(platform):
    made = []

    def till(**headers) -> Till:
        made.append(Till(platform.url, headers))
        return made[-1]

    yield till
    for t in made:
        await t.aclose()


async def test_a_known_hash_runs_its_document_with_the_requests_own_variables(admin, platform, tills):
    program = await new_program(admin)
    number = (await enrol(admin, program))["loyaltyNumber"]
    till = tills(authorization=f"Bearer {ADMIN_TOKEN}")
    query = EARN + f"# {unique('doc')}"  # a text no other test registered
    first = await till.hashed(query, program=program, number=number, amount="10", reference=unique("r"))
    assert codes(first) == ["PERSISTED_QUERY_NOT_FOUND"] and first["data"] is None
    registered = await till(query, program=program, number=number, amount="10", reference=unique("r"))
    assert registered["data"]["earn"]["newBalance"] == 10, registered
    again = await till.hashed(query, program=program, number=number, amount="25", reference=unique("r"))
    assert again == {"data": {"earn": {"pointsEarned": 25, "newBalance": 35}}}
    enquired = await till(ENQUIRE_POINTS, program=program, number=number)
    assert enquired == {"data": {"enquire": {"availablePoints": 35}}}
    # variables are checked per request, as on the full path
    missing = await till.hashed(query, program=program, number=number)
    assert missing["data"] is None and codes(missing)[0] == "INVALID_INPUT"


async def test_a_hash_that_is_not_the_texts_is_refused_and_binds_nothing(admin, platform, tills):
    program = await new_program(admin)
    number = (await enrol(admin, program))["loyaltyNumber"]
    till = tills(authorization=f"Bearer {ADMIN_TOKEN}")
    harmless = ENQUIRE_POINTS + f"# {unique('doc')}"
    status, body = await till.post({"query": EARN, "variables": {"program": program, "number": number, "amount": "10",
                                                                  "reference": unique("r")},
                                    "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha(harmless)}}})
    assert status == 400 and codes(body) == ["PERSISTED_QUERY_MISMATCH"]
    assert codes(await till.hashed(harmless, program=program, number=number)) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert (await till(ENQUIRE_POINTS, program=program, number=number))["data"]["enquire"]["availablePoints"] == 0


async def test_a_persisted_hash_never_skips_authentication_or_another_callers_rights(admin, platform, tills):
    mine, theirs = await new_program(admin), await new_program(admin)
    my_member = (await enrol(admin, mine))["loyaltyNumber"]
    their_member = (await enrol(admin, theirs))["loyaltyNumber"]
    query = EARN + f"# {unique('doc')}"
    # registered by a till of program `mine`, with its key
    key = (await admin(CREATE_KEY, program=mine, scopes=["points.earn", "points.read"])).ok()["createApiKey"]["apiKey"]
    my_till = tills(**{"x-api-key": key})
    assert (await my_till(query, program=mine, number=my_member, amount="10",
                          reference=unique("r")))["data"]["earn"]["newBalance"] == 10
    # the same key, by hash, on another program: refused as with the text
    other = await my_till.hashed(query, program=theirs, number=their_member, amount="10", reference=unique("r"))
    assert other["data"] is None and codes(other) == ["FORBIDDEN"]
    # nobody signed in: refused (the hash is known, the caller is not)
    nobody = await tills().hashed(query, program=mine, number=my_member, amount="10", reference=unique("r"))
    assert nobody["data"] is None and codes(nobody) == ["UNAUTHENTICATED"]
    # nobody signed in registers anything: the text is answered (refused) on the full path, the hash stays unknown
    fresh = EARN + f"# {unique('doc')}"
    anonymous = tills()
    assert codes(await anonymous(fresh, program=mine, number=my_member, amount="10", reference=unique("r"))) == \
        ["UNAUTHENTICATED"]
    assert codes(await anonymous.hashed(fresh, program=mine, number=my_member, amount="10",
                                        reference=unique("r"))) == ["PERSISTED_QUERY_NOT_FOUND"]
    # a bad token is the same refusal it is on the full path
    forged = await tills(authorization="Bearer not-a-token").hashed(query, program=mine, number=my_member,
                                                                     amount="10", reference=unique("r"))
    assert forged["data"] is None and codes(forged) == ["UNAUTHENTICATED"]
    # a staff user of `theirs` with only points.read: no earn, on either program
    reader = tills(authorization=f"Bearer {staff_token(programs=[theirs], permissions=['points.read'])}")
    for program, number in ((theirs, their_member), (mine, my_member)):
        refused = await reader.hashed(query, program=program, number=number, amount="10", reference=unique("r"))
        assert refused["data"] is None and codes(refused) == ["FORBIDDEN"]
    # and the balances say nothing of the refused ones was posted
    assert (await my_till(ENQUIRE_POINTS, program=mine, number=my_member))["data"]["enquire"]["availablePoints"] == 10
    admin_till = tills(authorization=f"Bearer {ADMIN_TOKEN}")
    assert (await admin_till(ENQUIRE_POINTS, program=theirs, number=their_member))["data"] == \
        {"enquire": {"availablePoints": 0}}


async def test_a_document_sent_as_text_runs_as_its_hash_would_checked_as_its_callers_own(admin, platform, tills):
    program = await new_program(admin)
    number = (await enrol(admin, program))["loyaltyNumber"]
    query = EARN + f"# {unique('doc')}"

    def variables(amount: str) -> dict:
        return {"program": program, "number": number, "amount": amount, "reference": unique("r")}

    staff = tills(authorization=f"Bearer {ADMIN_TOKEN}")
    status, body = await staff.post({"query": query, "variables": variables("10")})
    assert status == 200 and body["data"]["earn"]["newBalance"] == 10
    # kept under its hash by a signed-in caller's text: the hash alone is known now
    assert (await staff.hashed(query, **variables("5")))["data"]["earn"]["newBalance"] == 15
    status, body = await staff.post({"query": query, "variables": variables("1")})
    assert body == {"data": {"earn": {"pointsEarned": 1, "newBalance": 16}}}
    # the same text from a reader without points.earn, and from nobody: refused as on the full path
    reader = tills(authorization=f"Bearer {staff_token(programs=[program], permissions=['points.read'])}")
    status, body = await reader.post({"query": query, "variables": variables("10")})
    assert body["data"] is None and codes(body) == ["FORBIDDEN"]
    status, body = await tills().post({"query": query, "variables": variables("10")})
    assert body["data"] is None and codes(body) == ["UNAUTHENTICATED"]
    # a text nested too deeply is never kept: the full path refuses it as before
    deep = "{ " + "a { " * 500 + "}" * 500 + " }"
    status, body = await staff.post({"query": deep})
    assert codes(body) == ["QUERY_TOO_COMPLEX"]
    assert codes(await staff.hashed(deep)) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert (await staff(ENQUIRE_POINTS, program=program, number=number))["data"]["enquire"]["availablePoints"] == 16


async def test_a_persisted_mutation_is_audited_like_one_sent_as_text(admin, platform, tills):
    from tests.e2e.test_identity_access import audited

    program = await new_program(admin)
    number = (await enrol(admin, program))["loyaltyNumber"]
    query = EARN + f"# {unique('doc')}"
    till = tills(authorization=f"Bearer {ADMIN_TOKEN}")
    await till(query, program=program, number=number, amount="10", reference="persisted-1")
    await till.hashed(query, program=program, number=number, amount="10", reference="persisted-2")
    await tills().hashed(query, program=program, number=number, amount="10", reference="persisted-3")
    entries = await audited(admin, program, "earn", 3)
    assert sorted((e["subject"], e["outcome"], e["summary"]["input"]["reference"]) for e in entries) == [
        ("admin", "ok", "persisted-1"), ("admin", "ok", "persisted-2"),
        ("anonymous", "UNAUTHENTICATED", "persisted-3")]
