"""The CDP connector's parts: the account's token buckets (their accounting, exactly, on a fake
clock), the People client against the local People server (people_server.py: the real Infobip
cannot be reached from the test machine) with its rate limits and error shapes, the person made of
a profile, what an event owes People, and the sync worker over the session's PostgreSQL."""

import asyncio
import datetime as dt
import uuid

import aiohttp
import pytest

from services.common.db import tenant_tx
from services.common.errors import DomainError
from services.notifications import cdp, cdp_sync, people, profile
from services.notifications.mapping import Mapped
from services.notifications.tests.people_server import PeopleServer


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


async def test_a_bucket_gives_out_exactly_its_rate_and_a_pause_holds_every_caller():
    clock = FakeClock()
    bucket = people.TokenBucket(5.0, clock=clock, sleep=clock.sleep)
    # one token saved up (no burst beyond it), then one every 1/5 s
    took_at = []
    for _ in range(6):
        await bucket.take()
        took_at.append(round(clock.now, 6))
    assert took_at == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert bucket.taken == 6
    # in any one-second window [t, t+1) there are at most 5
    assert max(sum(1 for t in took_at if s <= t < s + 1) for s in took_at) == 5
    # idle for a long time: still only one token saved up
    clock.now += 10
    await bucket.take()
    await bucket.take()
    assert clock.sleeps[-1] == 0.2
    # a 429's Retry-After: nobody gets a token until it is over, then one at a time again
    bucket.pause(3.0)
    start = clock.now
    await bucket.take()
    assert round(clock.now - start, 6) == 3.0
    await bucket.take()
    assert round(clock.now - start, 6) == 3.2


async def test_the_limiter_shares_an_accounts_bucket_and_keeps_a_margin_under_the_limit():
    limiter = people.Limiter(margin=0.9)
    account = people.account_of("https://a.example", "k")
    assert limiter.bucket(account, people.CREATE) is limiter.bucket(account, people.CREATE)
    assert limiter.bucket(account, people.CREATE).rate == pytest.approx(9.0)
    assert limiter.bucket(account, people.UPDATE).rate == pytest.approx(4.5)
    assert limiter.bucket(people.account_of("https://a.example", "other"), people.CREATE) is not \
        limiter.bucket(account, people.CREATE)
    # the same key on another base URL is another account
    assert people.account_of("https://b.example", "k") != account


@pytest.fixture
async def server():
    made = PeopleServer(keys={"key-1"})
    await made.start()
    yield made
    await made.stop()


@pytest.fixture
async def session():
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as made:
        yield made


def client(server, session, *, key="key-1", limiter=None) -> people.People:
    return people.People(session, base_url=server.url, api_key=key, limiter=limiter or people.Limiter(),
                         backoff_seconds=0.01)


async def test_people_create_get_replace_tag_and_event(server, session):
    api = client(server, session)
    await api.create({"externalId": "L1", "firstName": "Ana", "tags": ["Loyalty"]})
    with pytest.raises(people.Conflict, match="409 CONFLICT"):
        await api.create({"externalId": "L1"})
    assert (await api.get("L1"))["firstName"] == "Ana"
    assert await api.get("nobody") is None
    await api.replace("L1", {"externalId": "L1", "firstName": "Ana María", "tags": ["Loyalty", "VIP"]})
    await api.tag("Loyalty", ["L1"], remove=True)
    assert server.persons["L1"]["tags"] == ["VIP"]
    await api.event("L1", "LOY_POINT_ACCRUAL", {"points": 10})
    assert server.events == [("L1", "LOY_POINT_ACCRUAL", {"points": 10})]
    with pytest.raises(people.NotFound):
        await api.event("nobody", "LOY_POINT_ACCRUAL", {})
    with pytest.raises(people.Refused, match="401 UNAUTHORIZED"):
        await client(server, session, key="wrong").get("L1")


async def test_people_honours_retry_after_and_retries_a_5xx(server, session):
    api = client(server, session)
    server.fail("create", (429, 0.5), (503, None), (500, None))
    started = asyncio.get_running_loop().time()
    await api.create({"externalId": "L2"})
    assert asyncio.get_running_loop().time() - started >= 0.5  # waited out the Retry-After
    assert [r.status for r in server.requests("create")] == [429, 503, 500, 200]
    assert "L2" in server.persons
    # a server that keeps failing: handed back as retryable, nothing lost
    server.fail("update", *[(503, None)] * people.People.RETRIES)
    with pytest.raises(people.Retryable):
        await api.tag("Loyalty", ["L2"])


async def test_the_client_never_goes_over_the_servers_limit(server, session):
    api = client(server, session)
    for n in range(12):
        await api.tag("Loyalty", [f"L{n}"])
    assert server.rate_limited == 0
    assert server.max_in_any_second("update") <= server.limits["update"]


# the local People server listens on 127.0.0.1: let the sync's connector reach it
LOCAL_SYNC = cdp_sync.Options(sweep_seconds=0.05, allow_private_targets=True)
PROFILE = {field: None for field in profile.FIELDS} | {
    "loyalty_id": "L7", "first_name": "Ana", "last_name": "López", "email": "ana@example.com", "phone": "+34600000001",
    "birthday": "1990-02-03", "available_points": 120, "available_rewards": ["$5 Reward", "$10 Reward"],
    "opt_in_status": True, "current_tier": "GOLD"}


def test_a_person_carries_the_seeds_attribute_names_and_people_fields():
    body = profile.person(PROFILE, attributes=profile.SEED_ATTRIBUTES, tags=["Loyalty"])
    assert body["externalId"] == "L7" and body["birthDate"] == "1990-02-03"
    assert body["contactInformation"] == {"email": [{"address": "ana@example.com"}],
                                          "phone": [{"number": "34600000001"}]}
    assert body["customAttributes"]["Available Points"] == 120
    assert body["customAttributes"]["Available Rewards"] == "$5 Reward | $10 Reward"
    assert body["customAttributes"]["Current Tier"] == "GOLD"
    assert body["tags"] == ["Loyalty"]
    # a program renames one attribute and leaves another out
    renamed = profile.person(PROFILE, attributes={"available_points": "Points", "zip": ""}, tags=[])
    assert renamed["customAttributes"] == {"Points": 120}


def test_an_update_keeps_what_others_wrote_in_people():
    ours = profile.person(PROFILE, attributes=profile.SEED_ATTRIBUTES, tags=["Loyalty"])
    theirs = {"id": 9, "externalId": "L7", "firstName": "A.", "tags": ["VIP"],
              "customAttributes": {"Favourite Colour": "blue", "Available Points": 3},
              "contactInformation": {"email": [{"address": "other@example.com"}]}}
    body = profile.merged(theirs, ours, managed=set(profile.SEED_ATTRIBUTES.values()), tag="Loyalty", tagged=True)
    assert body["firstName"] == "Ana" and "id" not in body
    assert body["customAttributes"]["Favourite Colour"] == "blue"
    assert body["customAttributes"]["Available Points"] == 120
    assert body["tags"] == ["Loyalty", "VIP"]
    assert [e["address"] for e in body["contactInformation"]["email"]] == ["other@example.com", "ana@example.com"]
    assert profile.merged(theirs, ours, managed=set(), tag="VIP", tagged=False)["tags"] == []
    assert profile.merged(theirs, ours, managed=set(), tag="", tagged=False)["tags"] == ["VIP"]


def connector(**kw) -> cdp.Connector:
    values = dict(program_id=uuid.uuid4(), base_url="http://x", api_key="k", account="a",
                  attributes=dict(profile.SEED_ATTRIBUTES), tag="Loyalty", event_types=cdp.EIGHT, active=True,
                  debounce_seconds=0.2, creates_per_second=10, updates_per_second=5, tag_batch_size=1000,
                  active_within_days=365, updated_by="", updated_at=dt.datetime.now(dt.timezone.utc))
    return cdp.Connector(**(values | kw))


AT = dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.timezone.utc)


def test_an_enrolment_creates_the_person_and_events_go_in_order_with_their_properties():
    e1, e2, e3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    made = [(e1, Mapped("LOY_OPT_IN", "m", "L1", AT, {"status": "active", "opted_in_at": "x", "channel": "web"})),
            (e2, Mapped("LOY_POINT_ACCRUAL", "m", "L2", AT, {"points": 10, "transaction_id": "t",
                                                            "campaign_codes": ["A", "B"]})),
            (e3, Mapped("LOY_OPT_OUT", "m", "L3", AT, {"from_status": "active"}))]
    rows, members = cdp.task_rows(connector(event_types=("LOY_POINT_ACCRUAL", "LOY_OPT_OUT")), made, ["L4"])
    assert [(r["loyalty_number"], r["kind"]) for r in rows] == [
        ("L1", "create"), ("L2", "event"), ("L3", "event"), ("L3", "untag")]
    assert rows[1]["properties"] == {"points": 10, "transactionId": "t", "campaignCodes": "A,B",
                                     "eventId": str(e2), "occurredAt": "2026-12-03T10:00:00Z"}
    assert members == ["L4", "L2", "L3"]  # the enrolled one's attributes go with its creation
    assert cdp.touched_members([{"loyalty_number": "L9"}, {"to_loyalty_number": "L8", "from_loyalty_number": "L7"},
                                {"x": 1}]) == ["L9", "L8", "L7"]


async def test_the_connector_is_checked_and_its_key_is_kept(pools):
    pool, program_id = pools["notifications"], uuid.uuid4()
    command = cdp.SaveCommand(base_url="http://127.0.0.1:9", api_key="", attributes=None, tag="Loyalty",
                              event_types=None)
    with pytest.raises(DomainError, match="apiKey"):
        await cdp.save(pool, program_id=program_id, command=command, allow_private=True)
    with pytest.raises(DomainError, match="baseUrl"):
        await cdp.save(pool, program_id=program_id, command=command, allow_private=False)
    with pytest.raises(DomainError, match="eventTypes"):
        await cdp.save(pool, program_id=program_id, allow_private=True,
                       command=cdp.SaveCommand(**{**command.__dict__, "api_key": "k", "event_types": ("NOPE",)}))
    with pytest.raises(DomainError, match="shoe_size"):
        await cdp.save(pool, program_id=program_id, allow_private=True,
                       command=cdp.SaveCommand(**{**command.__dict__, "api_key": "k", "attributes": {"shoe_size": "S"}}))
    saved = await cdp.save(pool, program_id=program_id, allow_private=True,
                           command=cdp.SaveCommand(**{**command.__dict__, "api_key": "secret-1"}))
    assert saved.attributes == profile.SEED_ATTRIBUTES and saved.event_types == cdp.EIGHT
    assert "secret-1" not in repr(saved)
    again = await cdp.save(pool, program_id=program_id, allow_private=True,
                           command=cdp.SaveCommand(**{**command.__dict__, "tag": "Club"}))
    assert again.api_key == "secret-1" and again.tag == "Club"


class Profiles:
    """The member, points, tier and rewards services' answers, as a dict per member (mutable)."""

    def __init__(self):
        self.profiles: dict[str, dict] = {}
        self.asked = 0

    async def profile(self, program_id, number, *, active_within_days):
        self.asked += 1
        found = self.profiles.get(number)
        return dict(found) if found else None

    async def members_page(self, program_id, *, page_token, page_size):
        numbers = sorted(self.profiles)
        start = int(page_token or 0)
        end = start + page_size
        return numbers[start:end], str(end) if end < len(numbers) else ""


async def queue_events(pool, program_id, made, touched=()):
    async with tenant_tx(pool, program_id) as conn:
        return await cdp.queue(conn, program_id=program_id, made=made, touched=list(touched))


async def until(check, rounds: int = 400):
    for _ in range(rounds):
        if check():
            return
        await asyncio.sleep(0.025)
    raise AssertionError("not reached")


async def test_attribute_pushes_are_debounced_per_member_and_the_latest_state_wins(pools, server):
    # given a connector to the local People and a member enrolled
    pool, program_id = pools["notifications"], uuid.uuid4()
    await cdp.save(pool, program_id=program_id, allow_private=True, command=cdp.SaveCommand(
        base_url=server.url, api_key="key-1", attributes=None, tag="Loyalty", event_types=None,
        debounce_seconds=0.5))
    profiles = Profiles()
    profiles.profiles["L1"] = PROFILE | {"loyalty_id": "L1", "available_points": 0}
    sync = cdp_sync.CdpSync(pool, profiles=profiles, options=LOCAL_SYNC)
    sync.start()
    sync.kick()
    try:
        await queue_events(pool, program_id, [(uuid.uuid4(), Mapped("LOY_OPT_IN", None, "L1", AT, {
            "status": "active", "opted_in_at": "2026-12-03T10:00:00Z", "channel": "web"}))])
        sync.notify(program_id)
        await until(lambda: "L1" in server.persons)
        assert server.persons["L1"]["tags"] == ["Loyalty"]
        # when ten changes come within the debounce
        for points in range(1, 11):
            profiles.profiles["L1"] = profiles.profiles["L1"] | {"available_points": points}
            await queue_events(pool, program_id, [], touched=["L1"])
        sync.notify(program_id)
        # then one push carries the latest state
        await until(lambda: server.persons["L1"]["customAttributes"]["Available Points"] == 10)
        await asyncio.sleep(0.8)
        assert len(server.requests("update")) == 1
        assert server.persons["L1"]["tags"] == ["Loyalty"]  # the overwrite kept the tag
    finally:
        await sync.stop()


async def test_one_programs_slow_people_does_not_hold_up_another(pools):
    slow, fast = PeopleServer(keys={"s"}), PeopleServer(keys={"f"})
    await slow.start()
    await fast.start()
    slow.delay = 5.0
    pool = pools["notifications"]
    profiles = Profiles()
    profiles.profiles["S1"] = PROFILE | {"loyalty_id": "S1"}
    profiles.profiles["F1"] = PROFILE | {"loyalty_id": "F1"}
    sync = cdp_sync.CdpSync(pool, profiles=profiles, options=LOCAL_SYNC)
    try:
        slow_program, fast_program = uuid.uuid4(), uuid.uuid4()
        for program_id, srv, key in ((slow_program, slow, "s"), (fast_program, fast, "f")):
            await cdp.save(pool, program_id=program_id, allow_private=True, command=cdp.SaveCommand(
                base_url=srv.url, api_key=key, attributes=None, tag="", event_types=None))
        sync.start()
        await queue_events(pool, slow_program, [(uuid.uuid4(), Mapped("LOY_OPT_IN", None, "S1", AT, {
            "status": "active", "opted_in_at": "x", "channel": ""}))])
        await asyncio.sleep(0.3)
        await queue_events(pool, fast_program, [(uuid.uuid4(), Mapped("LOY_OPT_IN", None, "F1", AT, {
            "status": "active", "opted_in_at": "x", "channel": ""}))])
        sync.kick()
        started = asyncio.get_running_loop().time()
        await until(lambda: "F1" in fast.persons)
        assert asyncio.get_running_loop().time() - started < 3.0
        assert "S1" not in slow.persons  # still in flight at the slow one
    finally:
        await sync.stop()
        slow.delay = 0
        await slow.stop()
        await fast.stop()


async def test_the_prune_job_deletes_finished_cdp_tasks_and_keeps_pending_ones(pools):
    from services.notifications import events
    pool, program_id = pools["notifications"], uuid.uuid4()
    async with tenant_tx(pool, program_id) as conn:
        await conn.execute(
            "INSERT INTO cdp_tasks(program_id, loyalty_number, kind, status, done_at) VALUES"
            " ($1, 'L1', 'event', 'done', now() - interval '100 days'), ($1, 'L2', 'event', 'failed', now()),"
            " ($1, 'L3', 'attributes', 'pending', NULL)", program_id)
    await events.prune(pool, program_id=program_id, before=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=90))
    async with tenant_tx(pool, program_id) as conn:
        left = [r["loyalty_number"] for r in await conn.fetch("SELECT loyalty_number FROM cdp_tasks ORDER BY id")]
    assert left == ["L2", "L3"]


async def test_a_members_events_reach_people_in_the_order_they_happened_not_the_order_they_came(pools, server):
    # given a connector and an enrolled member
    pool, program_id = pools["notifications"], uuid.uuid4()
    await cdp.save(pool, program_id=program_id, allow_private=True, command=cdp.SaveCommand(
        base_url=server.url, api_key="key-1", attributes=None, tag="", event_types=None))
    profiles = Profiles()
    profiles.profiles["O1"] = PROFILE | {"loyalty_id": "O1"}
    sync = cdp_sync.CdpSync(pool, profiles=profiles, options=LOCAL_SYNC)
    accrual = {"points": 15000, "transaction_kind": "EARN"}
    upgrade = {"from_tier": "SILVER", "to_tier": "GOLD"}
    try:
        # when the tier upgrade an accrual caused comes (from the tier service) before the accrual
        # (from the points service), within the settle time, after the member's opt-in
        await queue_events(pool, program_id, [(uuid.uuid4(), Mapped("LOY_OPT_IN", None, "O1", AT, {
            "status": "active", "opted_in_at": "x", "channel": ""}))])
        await queue_events(pool, program_id, [(uuid.uuid4(), Mapped(
            "TIER_UPGRADE", None, "O1", AT + dt.timedelta(seconds=2), upgrade))])
        await queue_events(pool, program_id, [(uuid.uuid4(), Mapped(
            "LOY_POINT_ACCRUAL", None, "O1", AT + dt.timedelta(seconds=1), accrual))])
        sync.start()
        sync.kick()
        # then People has them in the order they happened
        await until(lambda: len([e for e in server.events if e[0] == "O1"]) >= 3)
        assert [d for person, d, _ in server.events if person == "O1"] == [
            "LOY_OPT_IN", "LOY_POINT_ACCRUAL", "TIER_UPGRADE"]
    finally:
        await sync.stop()
