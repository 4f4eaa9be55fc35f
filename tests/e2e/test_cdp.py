"""The CDP connector end to end: the real services and gateway, and a local Infobip People written
in the tests (services/notifications/tests/people_server.py) with the documented rate limits and
error shapes. The real Infobip cannot be reached from the test machine: only this local server."""

import asyncio
import json

import grpc
import pytest

from loyalty.notifications.v1 import notifications_service_pb2 as pb
from loyalty.notifications.v1 import notifications_service_pb2_grpc as pb_grpc
from services.common.clients import call, metadata
from services.notifications.tests.people_server import PeopleServer
from tests.e2e.test_contract import new_member, new_program
from tests.e2e.test_events import Notifications
from tests.e2e.test_members_profiles import UPDATE as UPDATE_PROFILE
from tests.e2e.test_members_statuses import CHANGE_STATUS
from tests.e2e.test_points_ledger import EARN, REDEEM
from tests.e2e.test_tiers_graphql import DEFINE_SLAB, RESTAURANT

pytestmark = pytest.mark.e2e

SAVE_CONNECTOR = """
mutation($program: String!, $baseUrl: String!, $apiKey: String, $tagBatchSize: Int!, $createsPerSecond: Float!,
         $debounce: Float!) {
  saveCdpConnector(input: {program: $program, baseUrl: $baseUrl, apiKey: $apiKey, tag: "Loyalty",
                           tagBatchSize: $tagBatchSize, createsPerSecond: $createsPerSecond,
                           debounceSeconds: $debounce}) {
    baseUrl apiKeySet tag eventTypes attributes { field attribute } createsPerSecond updatesPerSecond
  }
}"""
CONNECTOR = """
query($program: String!) { cdpConnector(program: $program) { apiKeySet pending failed lastError } }"""
TAG = """
mutation($program: String!, $numbers: [String!], $remove: Boolean!) {
  tagCdpMembers(input: {program: $program, loyaltyNumbers: $numbers, remove: $remove}) { id kind status total }
}"""
BACKFILL = """
mutation($program: String!) { startCdpBackfill(input: {program: $program}) { id kind status } }"""
JOBS = """
query($program: String!) { cdpJobs(program: $program) { id kind status done failed total lastError } }"""


@pytest.fixture
async def people():
    server = PeopleServer(keys={"people-key-1"})
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def ids(platform):
    made = Notifications(platform)
    yield made
    await made.close()


async def connect(admin, program: str, people: PeopleServer, *, tag_batch_size: int = 1000,
                  creates_per_second: float = 10.0, debounce: float = 0.5) -> dict:
    result = await admin(SAVE_CONNECTOR, program=program, baseUrl=people.url, apiKey="people-key-1",
                         tagBatchSize=tag_batch_size, createsPerSecond=creates_per_second, debounce=debounce)
    return result.ok()["saveCdpConnector"]


async def eventually(check, what: str, rounds: int = 600, pause: float = 0.1):
    """The connector works after commit, asynchronously: a bounded count of short waits."""
    for _ in range(rounds):
        if await check() if asyncio.iscoroutinefunction(check) else check():
            return
        await asyncio.sleep(pause)
    raise AssertionError(f"not reached: {what}")


def definitions(people: PeopleServer, number: str) -> list[str]:
    return [d for person, d, _ in people.events if person == number]


async def test_a_members_life_reaches_people_as_person_attributes_events_and_tag(admin, people):
    # given a program with a tier slab connected to People (the key is never shown again)
    program = await new_program(admin)
    (await admin(DEFINE_SLAB, program=program, tiers=RESTAURANT, window=6)).ok()
    saved = await connect(admin, program, people)
    assert saved["apiKeySet"] is True and saved["tag"] == "Loyalty" and len(saved["eventTypes"]) == 8
    assert {"field": "available_points", "attribute": "Available Points"} in saved["attributes"]
    shown = await admin(CONNECTOR, program=program)
    assert shown.ok()["cdpConnector"]["apiKeySet"] is True and "people-key-1" not in json.dumps(shown.ok())

    # when a member enrols, earns, reaches the upper tier and redeems
    number = await new_member(admin, program)
    await eventually(lambda: number in people.persons, "the person")
    person = people.persons[number]
    assert person["externalId"] == number and person["tags"] == ["Loyalty"]
    assert person["contactInformation"]["email"][0]["address"].endswith("@example.com")
    (await admin(EARN, program=program, number=number, amount="100", reference="e1")).ok()
    (await admin(EARN, program=program, number=number, amount="15000", reference="e2")).ok()
    await eventually(lambda: "TIER_UPGRADE" in definitions(people, number), "the tier upgrade")
    (await admin(REDEEM, program=program, number=number, points=30, reference="r1")).ok()

    # then People has the events in the order they happened, with their properties
    loyalty = ["LOY_OPT_IN", "LOY_POINT_ACCRUAL", "LOY_POINT_ACCRUAL", "TIER_UPGRADE", "LOY_POINT_REDEMPTION"]
    await eventually(lambda: "LOY_POINT_REDEMPTION" in definitions(people, number), "the redemption")
    assert [d for d in definitions(people, number) if d != "CLOSE_TO_TIER_UPGRADE"] == loyalty
    props = {d: p for n, d, p in people.events if n == number}
    assert props["TIER_UPGRADE"]["toTier"] == "SUPERKING" and props["LOY_POINT_REDEMPTION"]["points"] == -30
    assert len({p["eventId"] for n, _, p in people.events if n == number}) == len(definitions(people, number))
    # and the person's attributes, pushed debounced, end at the latest state
    await eventually(lambda: people.persons[number]["customAttributes"].get("Available Points") == 15070,
                     "the latest points")
    attributes = people.persons[number]["customAttributes"]
    assert attributes["Current Tier"] == "SUPERKING" and attributes["Loyalty Id"] == number
    assert attributes["Earned Points"] == 15100 and attributes["Opt-in Status"] is True
    assert people.persons[number]["tags"] == ["Loyalty"]

    # when staff change the member's profile, the person follows
    (await admin(UPDATE_PROFILE, program=program, number=number, zip="08001")).ok()
    await eventually(lambda: people.persons[number]["customAttributes"].get("Zip Code") == "08001", "the new zip")

    # when the member opts out, People gets LOY_OPT_OUT, the tag comes off and the status is pushed
    (await admin(CHANGE_STATUS, program=program, number=number, status="opted_out", reason="asked")).ok()
    await eventually(lambda: "LOY_OPT_OUT" in definitions(people, number), "the opt-out")
    await eventually(lambda: people.persons[number]["tags"] == [], "the tag removed")
    await eventually(lambda: people.persons[number]["customAttributes"]["Opt-in Status"] is False, "opted out")
    # and staff can set the tag on one member by hand
    job = (await admin(TAG, program=program, numbers=[number], remove=False)).ok()["tagCdpMembers"]
    assert (job["kind"], job["total"]) == ("tag", 1)
    await eventually(lambda: people.persons[number]["tags"] == ["Loyalty"], "the tag set by hand")
    assert people.rate_limited == 0
    backlog = (await admin(CONNECTOR, program=program)).ok()["cdpConnector"]
    assert backlog["failed"] == 0


async def test_the_bulk_tag_on_10000_members_keeps_the_rate_limit_through_429s_and_503s(admin, people, platform, ids):
    # given 10,000 people in People and a connector sending 250 people per tag request
    program = await new_program(admin)
    await connect(admin, program, people, tag_batch_size=250)
    numbers = [f"B{n:06d}" for n in range(10_000)]
    for n in numbers:
        people.persons[n] = {"externalId": n, "tags": ["VIP"]}
    # and a server that answers some tag requests 503 and some 429 (Retry-After: 1)
    people.fail_every("update", lambda n: (503, None) if n % 5 == 0 else (429, 1) if n % 7 == 3 else None)

    # when the program tags them all (over gRPC: 10,000 loyalty numbers in one request)
    program_id = await ids.program_id(program)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{platform.ports['notifications']}")
    try:
        stub = pb_grpc.NotificationsServiceStub(channel)
        job = await call(stub.TagCdpPeople(pb.TagCdpPeopleRequest(loyalty_numbers=numbers),
                                           metadata=metadata(program_id=program_id, principal="test")))
        assert job.total == 10_000

        async def finished() -> bool:
            jobs = await call(stub.ListCdpJobs(pb.ListCdpJobsRequest(),
                                               metadata=metadata(program_id=program_id, principal="test")))
            return next(j for j in jobs.jobs if j.id == job.id).status == "done"

        await eventually(finished, "the bulk tag", rounds=1200)
    finally:
        await channel.close()

    # then every person has the tag (and kept its own), no second ever saw more than 5 tag requests,
    # and the server never had to refuse one for going over: the 429s and 503s were its own doing
    assert all(people.persons[n]["tags"] == ["Loyalty", "VIP"] for n in numbers)
    statuses = [r.status for r in people.requests("update")]
    assert statuses.count(429) > 0 and statuses.count(503) > 0 and statuses.count(200) == 40
    assert people.max_in_any_second("update") <= 5
    assert people.rate_limited == 0


async def test_a_backfill_resumes_after_the_service_is_killed(admin, people, platform, ids):
    # given 20 members enrolled before the program had a connector
    program = await new_program(admin)
    numbers = sorted([await new_member(admin, program) for _ in range(20)])
    program_id = await ids.program_id(program)
    for number in numbers:  # their enrolments have reached the notifications service (nothing owed yet)
        await ids.eventually(program_id, number, {"LOY_OPT_IN"})
    await connect(admin, program, people, creates_per_second=2.0)

    # when a backfill starts and the notifications service is killed part way
    job = (await admin(BACKFILL, program=program)).ok()["startCdpBackfill"]
    await eventually(lambda: len(people.persons) >= 4, "the backfill under way")
    platform.processes["notifications"].kill()
    platform.processes["notifications"].wait(timeout=15)
    before = len(people.persons)
    assert before < 20
    platform.start_service("notifications")

    # then it resumes where it was and finishes: every member's person once, tagged
    async def finished() -> bool:
        result = await admin(JOBS, program=program)
        if result.errors:
            return False  # the service is still starting
        found = next(j for j in result.ok()["cdpJobs"] if j["id"] == job["id"])
        return found["status"] == "done"

    await eventually(finished, "the backfill", rounds=900)
    final = next(j for j in (await admin(JOBS, program=program)).ok()["cdpJobs"] if j["id"] == job["id"])
    assert (final["done"], final["failed"], final["total"]) == (20, 0, 20)
    assert sorted(people.persons) == numbers
    assert all(people.persons[n]["tags"] == ["Loyalty"] for n in numbers)
    creates = [r for r in people.requests("create")]
    assert [r.status for r in creates].count(200) == 20
    assert len(creates) <= 21  # at most the one in flight at the kill is asked again (answered 409)
    assert people.rate_limited == 0
