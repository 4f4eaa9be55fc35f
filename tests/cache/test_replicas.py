"""Two gateway replicas over one Ignite node: what one replica's callers change, the other's see."""

import asyncio

import pytest

from tests.e2e.test_contract import CREATE_API_KEY, EARN, ENQUIRE, new_member, new_program
from tests.fixtures.graphql import unique

pytestmark = pytest.mark.e2e

POS_SCOPES = ["member.read", "points.read", "points.earn", "points.redeem", "rewards.redeem"]
CARD = """
query($program: String!, $number: String!) {
  enquire(program: $program, loyaltyNumber: $number) { availablePoints lifetimeEarned lastPurchaseAt }
}"""


async def test_an_earn_on_one_replica_is_seen_at_once_by_an_enquire_on_the_other(admins, replicas):
    admin_a, admin_b = admins
    program = await new_program(admin_a)
    number = await new_member(admin_a, program)
    # the card is cached by the first read (on replica B)
    assert (await admin_b(ENQUIRE, program=program, number=number)).ok()["enquire"]["availablePoints"] == 0
    for i in range(1, 6):
        earned = (await admin_a(EARN, program=program, number=number, amount="10", currency="EUR",
                                reference=unique("till"))).ok()["earn"]
        # read-your-writes: the other replica's very next enquire shows the new balance
        seen = (await admin_b(CARD, program=program, number=number)).ok()["enquire"]
        assert seen["availablePoints"] == earned["newBalance"] == 10 * i
        assert seen["lifetimeEarned"] == 10 * i and seen["lastPurchaseAt"]


async def test_enquires_are_answered_from_the_card_in_ignite(admins, replicas):
    admin_a, admin_b = admins
    program = await new_program(admin_a)
    number = await new_member(admin_a, program)
    await admin_a(EARN, program=program, number=number, amount="25", currency="EUR", reference=unique("till"))
    # the points service's GetSummary is not asked when the card is there: stop it, the enquire still answers
    stopped = replicas.processes["points"]
    stopped.terminate()
    stopped.wait(timeout=15)
    try:
        for admin in admins:
            assert (await admin(ENQUIRE, program=program, number=number)).ok()["enquire"]["availablePoints"] == 25
    finally:
        from tests.fixtures.platform import _spawn
        ports = {"points": int(replicas.env["POINTS_ADDR"].rsplit(":", 1)[1])}
        replicas.processes["points"] = _spawn("points", replicas.env, ports, replicas.logs_dir.parent / "spans",
                                              replicas.logs_dir)
        await _until_serving(admin_a, program, number)


async def _until_serving(admin, program, number):
    for _ in range(600):  # a readiness wait for the restarted points service, not a timed assertion
        result = await admin(EARN, program=program, number=number, amount="1", currency="EUR",
                             reference=unique("probe"))
        if not result.errors:
            return
        await asyncio.sleep(0.2)
    raise AssertionError("points service did not come back")


async def test_ignite_killed_during_enquires_no_request_fails_and_the_cache_comes_back(admins, replicas, ignite):
    import httpx

    from services.common.cache import member_cards, open_cache

    admin_a, admin_b = admins
    program = await new_program(admin_a)
    numbers = [await new_member(admin_a, program) for _ in range(3)]
    for i, number in enumerate(numbers):
        await admin_a(EARN, program=program, number=number, amount=str(10 * (i + 1)), currency="EUR",
                      reference=unique("till"))
    expected = {number: 10 * (i + 1) for i, number in enumerate(numbers)}
    failures, answered = [], 0

    async def enquire_loop(admin, stop: asyncio.Event):
        nonlocal answered
        while not stop.is_set():
            for number in numbers:
                result = await admin(ENQUIRE, program=program, number=number)
                if result.errors or result.data["enquire"]["availablePoints"] != expected[number]:
                    failures.append(result.errors or result.data)
                answered += 1
                # the four loops share the admin key's 200 requests/s (the gateway's rate limit), which they
                # passed unpaced on a fast machine: a 429 would be this load's own doing, not the cache's
                await asyncio.sleep(0.03)

    stop = asyncio.Event()
    load = [asyncio.create_task(enquire_loop(admin, stop)) for admin in admins for _ in range(2)]
    try:
        await asyncio.sleep(1.0)
        # in a thread: the load's event loop keeps running (a loop blocked for the JVM's start would
        # leave the gateways' keep-alive connections idle past their timeout, a client-side artefact)
        await asyncio.to_thread(ignite.kill)  # as a crash, in the middle of the load
        await asyncio.sleep(4.0)
        async with httpx.AsyncClient() as http:
            states = [(await http.get(f"{url}/healthz")).json()["cache"]["state"] for url in replicas.urls]
        assert "open" in states or "half_open" in states, states  # the breaker noticed
        await asyncio.to_thread(ignite.start)
        await asyncio.sleep(4.0)
    finally:
        stop.set()
        await asyncio.gather(*load)
    assert answered > 0 and failures == [], failures[:3]
    # the cache is used again: both breakers closed and the cards rebuilt by the next reads (bounded wait)
    cache = open_cache(ignite.address, deadline_seconds=2.0)
    try:
        for _ in range(100):
            for admin in admins:
                for number in numbers:
                    (await admin(ENQUIRE, program=program, number=number)).ok()
            async with httpx.AsyncClient() as http:
                states = [(await http.get(f"{url}/healthz")).json()["cache"]["state"] for url in replicas.urls]
            cards = [await member_cards.load(cache, program_id=await _program_id(admin_a, program),
                                             loyalty_number=n) for n in numbers]
            if states == ["closed", "closed"] and all(cards):
                break
            await asyncio.sleep(0.2)
        assert states == ["closed", "closed"]
        assert [c["available"] for c in cards] == [expected[n] for n in numbers]
        async with httpx.AsyncClient() as http:
            metrics = (await http.get(f"{replicas.urls[0]}/metrics")).text
        assert 'loyalty_cache_breaker_state{backend="ignite",state="closed"} 1' in metrics
    finally:
        await cache.close()


async def _program_id(admin, code: str) -> str:
    result = await admin("query($code: String!) { program(program: $code) { id } }", code=code)
    return result.ok()["program"]["id"]


REVOKE = """mutation($program: String!, $key: String!) { revokeApiKey(input: {program: $program, keyId: $key}) {
  keyId revokedAt } }"""
CREATE_KEY = """
mutation($program: String!, $scopes: [String!]) {
  createApiKey(input: {program: $program, name: "till", scopes: $scopes}) { keyId apiKey }
}"""


async def test_a_key_revoked_on_one_replica_is_refused_by_the_other_at_once(admins, replicas):
    import time

    admin_a, _ = admins
    program = await new_program(admin_a)
    number = await new_member(admin_a, program)
    made = (await admin_a(CREATE_KEY, program=program, scopes=POS_SCOPES)).ok()["createApiKey"]
    tills = [replicas.client(0, api_key=made["apiKey"]), replicas.client(1, api_key=made["apiKey"])]
    try:
        for till in tills:  # the key is known (and cached) on both replicas and in Ignite
            for _ in range(3):
                assert (await till(ENQUIRE, program=program, number=number)).ok()
        assert (await admin_a(REVOKE, program=program, key=made["keyId"])).ok()["revokeApiKey"]["revokedAt"]
        revoked_at = time.monotonic()
        # a bounded wait (not a timed assertion): the other replica refuses it as soon as the feed announces it
        for _ in range(200):
            result = await tills[1](ENQUIRE, program=program, number=number)
            if result.codes == ["UNAUTHENTICATED"]:
                break
            await asyncio.sleep(0.05)
        took = time.monotonic() - revoked_at
        assert result.codes == ["UNAUTHENTICATED"], result
        assert (await tills[0](ENQUIRE, program=program, number=number)).codes == ["UNAUTHENTICATED"]
        print(f"revocation seen by the other replica after {took:.3f}s")
    finally:
        for till in tills:
            await till.aclose()


SAVE_RULES = """
mutation($program: String!, $code: String!, $rules: JSON!) {
  saveRuleSet(input: {program: $program, code: $code, rules: $rules}) { code draftVersion }
}"""
PUBLISH = """
mutation($program: String!, $code: String!) { publishRuleSet(program: $program, code: $code) { publishedVersion } }"""
EARN_RULES = """
mutation($program: String!, $number: String!, $reference: String!) {
  earn(input: {program: $program, loyaltyNumber: $number, amount: "10", currency: "EUR", reference: $reference}) {
    pointsEarned breakdown { rule ruleVersion }
  }
}"""


async def test_a_rule_version_published_on_one_replica_is_used_by_the_next_earn_on_the_other(admins):
    admin_a, admin_b = admins
    program = await new_program(admin_a)
    number = await new_member(admin_a, program)
    for version, per_euro in ((1, "2"), (2, "7"), (3, "3")):
        rules = [{"code": "per-euro", "action": {"points_per_unit": per_euro}}]
        (await admin_a(SAVE_RULES, program=program, code="base", rules=rules)).ok()
        assert (await admin_a(PUBLISH, program=program, code="base")).ok()["publishRuleSet"]["publishedVersion"] == version
        earned = (await admin_b(EARN_RULES, program=program, number=number, reference=unique("till"))).ok()["earn"]
        assert earned["pointsEarned"] == 10 * int(per_euro)
        assert {(b["rule"], b["ruleVersion"]) for b in earned["breakdown"]} == {("per-euro", f"base@v{version}")}


REQUEST_OTP = """
mutation($program: String!, $number: String!) {
  requestOtp(input: {program: $program, loyaltyNumber: $number}) { expiresAt }
}"""
REDEEM = """
mutation($program: String!, $number: String!, $points: Int!, $reference: String!, $otp: String) {
  redeem(input: {program: $program, loyaltyNumber: $number, points: $points, reference: $reference, otp: $otp}) {
    points newBalance
  }
}"""
ENROLL = """
mutation($program: String!, $email: String!) {
  enroll(input: {program: $program, email: $email, firstName: "Lucía", lastName: "Gómez"}) { member { loyaltyNumber } }
}"""


async def test_wrong_passcodes_split_across_two_replicas_lock_it_at_exactly_five(admins, replicas, smtp_server,
                                                                                  admin_conn):
    from tests.e2e.test_rewards_pos import mailed_code

    admin_a, _ = admins
    program = await new_program(admin_a)
    email = f"{unique('guest')}@example.com"
    number = (await admin_a(ENROLL, program=program, email=email)).ok()["enroll"]["member"]["loyaltyNumber"]
    await admin_a(EARN, program=program, number=number, amount="100", currency="EUR", reference=unique("seed"))
    key = (await admin_a(CREATE_KEY, program=program, scopes=POS_SCOPES)).ok()["createApiKey"]["apiKey"]
    tills = [replicas.client(0, api_key=key), replicas.client(1, api_key=key)]
    try:
        (await tills[0](REQUEST_OTP, program=program, number=number)).ok()
        code = await mailed_code(smtp_server, email)
        wrong = [f"{(int(code) + n) % 1_000_000:06d}" for n in range(1, 13)]
        # twelve wrong guesses at once, every other one on the other replica
        results = await asyncio.gather(*(
            tills[i % 2](REDEEM, program=program, number=number, points=10, reference=unique("pay"), otp=guess)
            for i, guess in enumerate(wrong)))
        codes = sorted(c for r in results for c in r.codes)
        assert codes.count("OTP_INVALID") == 4 and codes.count("OTP_LOCKED") == 8, codes
        attempts = await admin_conn.fetchval(
            "SELECT attempts FROM rewards.otps WHERE loyalty_number = $1 ORDER BY issued_at DESC LIMIT 1", number)
        assert attempts == 5
        # locked for good: the right code is refused on either replica, and nothing was spent
        for till in tills:
            refused = await till(REDEEM, program=program, number=number, points=10, reference=unique("pay"), otp=code)
            assert refused.codes == ["OTP_LOCKED"]
        assert (await admin_a(ENQUIRE, program=program, number=number)).ok()["enquire"]["availablePoints"] == 100
    finally:
        for till in tills:
            await till.aclose()


async def test_a_session_signed_out_on_one_replica_is_refused_by_the_other_at_once(admins, replicas, smtp_server):
    import time
    import types

    from tests.e2e.identity_helpers import ME, SIGN_OUT, invite_and_accept
    from tests.fixtures.graphql import GraphQLClient

    admin_a, _ = admins
    program = await new_program(admin_a)
    _, tokens = await invite_and_accept(admin_a, types.SimpleNamespace(url=replicas.urls[0]), smtp_server,
                                        program=program, role="front_line_manager")
    staff = [replicas.client(0, token=tokens["accessToken"]), replicas.client(1, token=tokens["accessToken"])]
    anonymous_a = GraphQLClient(replicas.urls[0])
    try:
        for client in staff:  # the session is in use on both replicas
            assert (await client(ME)).ok()["me"]["kind"] == "STAFF"
        assert (await anonymous_a(SIGN_OUT, token=tokens["refreshToken"])).ok()["signOut"] is True
        signed_out_at = time.monotonic()
        # a bounded wait (not a timed assertion): the other replica refuses it as soon as the feed announces it
        for _ in range(200):
            result = await staff[1](ME)
            if result.codes == ["UNAUTHENTICATED"]:
                break
            await asyncio.sleep(0.05)
        took = time.monotonic() - signed_out_at
        assert result.codes == ["UNAUTHENTICATED"], result
        assert (await staff[0](ME)).codes == ["UNAUTHENTICATED"]
        print(f"sign-out seen by the other replica after {took:.3f}s")
    finally:
        for client in (*staff, anonymous_a):
            await client.aclose()
