"""Webhooks end to end: subscriptions made over GraphQL, earns and redemptions through the gateway,
signed deliveries to a real local HTTP receiver (tests/fixtures/webhooks.py) that verifies them."""

import asyncio
import datetime as dt

import pytest

from services.notifications import signing
from tests.e2e.test_contract import new_member, new_program
from tests.e2e.test_events import Notifications
from tests.e2e.test_points_ledger import EARN, REDEEM

pytestmark = pytest.mark.e2e

CREATE = """
mutation($program: String!, $url: String!, $types: [String!]!) {
  createWebhookSubscription(input: {program: $program, url: $url, eventTypes: $types}) {
    secret subscription { id url eventTypes active }
  }
}"""
UPDATE = """
mutation($program: String!, $id: ID!, $active: Boolean, $types: [String!]) {
  updateWebhookSubscription(input: {program: $program, id: $id, active: $active, eventTypes: $types}) {
    id active eventTypes
  }
}"""
DELETE = "mutation($program: String!, $id: ID!) { deleteWebhookSubscription(input: {program: $program, id: $id}) }"
LIST = "query($program: String!) { webhookSubscriptions(program: $program) { id url eventTypes active } }"
DELIVERIES = """
query($program: String!, $id: ID!) {
  webhookDeliveries(program: $program, subscriptionId: $id) {
    id eventId eventType kind status attempts lastStatusCode lastLatencyMs lastError
    attemptLog { statusCode latencyMs error }
  }
}"""
REPLAY = """
mutation($program: String!, $id: ID!, $from: String!, $to: String!) {
  replayWebhookEvents(input: {program: $program, subscriptionId: $id, from: $from, to: $to}) { deliveries }
}"""
REDELIVER = """
mutation($program: String!, $id: ID!) {
  redeliverWebhook(input: {program: $program, deliveryId: $id}) { id kind status eventId }
}"""
EVENT_TYPES = "query($program: String!) { eventTypes(program: $program) { name version emitted note schemaJson } }"


async def subscribe(admin, program: str, url: str, *types: str) -> dict:
    return (await admin(CREATE, program=program, url=url, types=list(types))).ok()["createWebhookSubscription"]


async def unsubscribe_all(admin, program: str) -> None:
    for s in (await admin(LIST, program=program)).ok()["webhookSubscriptions"]:
        (await admin(DELETE, program=program, id=s["id"])).ok()


async def settled_log(admin, program: str, subscription_id: str, count: int) -> list[dict]:
    """The log is written right after the receiver answers: wait for `count` delivered (bounded rounds)."""
    for _ in range(300):
        log = (await admin(DELIVERIES, program=program, id=subscription_id)).ok()["webhookDeliveries"]
        if sum(d["status"] == "delivered" for d in log) >= count:
            return log
        await asyncio.sleep(0.05)
    raise AssertionError(f"not {count} delivered: {log}")


@pytest.fixture
async def program(admin):
    code = await new_program(admin)
    yield code
    await unsubscribe_all(admin, code)


async def test_an_earn_reaches_the_receiver_signed_and_verified(admin, program, receiver):
    # given a subscription to accruals, made over GraphQL
    made = await subscribe(admin, program, receiver.endpoint("earns"), "LOY_POINT_ACCRUAL")
    assert made["secret"].startswith("whsec_") and made["subscription"]["active"]
    listed = (await admin(LIST, program=program)).ok()["webhookSubscriptions"]
    assert listed == [made["subscription"]]

    # when a member earns at the till
    number = await new_member(admin, program)
    (await admin(EARN, program=program, number=number, amount="42", reference="e1")).ok()

    # then the receiver gets the accrual, and verifies its signature with the secret
    (got,) = await receiver.wait_accepted("earns", 1)
    assert signing.verify(got.headers["loyalty-signature"], got.body, made["secret"])
    event = got.event
    assert (event["type"], event["member"]["loyalty_number"], event["data"]["points"]) == (
        "LOY_POINT_ACCRUAL", number, 42)
    assert event["data"]["transaction_kind"] == "EARN" and event["data"]["amount"] == "42"
    # and the delivery log says delivered at the first attempt
    log = await settled_log(admin, program, made["subscription"]["id"], 1)
    assert [(d["status"], d["attempts"], d["lastStatusCode"], d["eventId"]) for d in log] == [
        ("delivered", 1, 204, event["id"])]


async def test_a_receiver_failing_five_times_then_accepting_gets_one_delivery(admin, program, receiver):
    made = await subscribe(admin, program, receiver.endpoint("flaky", fail_first=5), "LOY_POINT_ACCRUAL")
    number = await new_member(admin, program)
    (await admin(EARN, program=program, number=number, amount="5", reference="e1")).ok()
    await receiver.wait_accepted("flaky", 1)
    (delivery,) = await settled_log(admin, program, made["subscription"]["id"], 1)
    assert len(receiver.accepted("flaky")) == 1 and len(receiver.received("flaky")) == 6
    assert delivery["attempts"] == 6
    assert [a["statusCode"] for a in delivery["attemptLog"]] == [500] * 5 + [204]


async def test_only_the_subscribed_event_types_are_delivered(admin, program, receiver):
    # given one subscription to redemptions only, one to accruals only
    await subscribe(admin, program, receiver.endpoint("redemptions"), "LOY_POINT_REDEMPTION")
    await subscribe(admin, program, receiver.endpoint("accruals"), "LOY_POINT_ACCRUAL")
    number = await new_member(admin, program)
    # when the member earns twice and redeems once
    (await admin(EARN, program=program, number=number, amount="100", reference="e1")).ok()
    (await admin(REDEEM, program=program, number=number, points=30, reference="r1")).ok()
    (await admin(EARN, program=program, number=number, amount="10", reference="e2")).ok()
    # then each receiver gets only its type (the last earn's arrival bounds what could still come)
    assert [g.event["data"]["points"] for g in await receiver.wait_accepted("accruals", 2)] == [100, 10]
    (redemption,) = await receiver.wait_accepted("redemptions", 1)
    assert redemption.event["type"] == "LOY_POINT_REDEMPTION" and redemption.event["data"]["points"] == -30
    assert {g.event["type"] for g in receiver.received("redemptions")} == {"LOY_POINT_REDEMPTION"}
    assert {g.event["type"] for g in receiver.received("accruals")} == {"LOY_POINT_ACCRUAL"}


async def test_a_hung_receiver_does_not_delay_another_subscription(admin, program, receiver):
    await subscribe(admin, program, receiver.endpoint("stuck", hang=True), "LOY_POINT_ACCRUAL")
    await subscribe(admin, program, receiver.endpoint("prompt"), "LOY_POINT_ACCRUAL")
    numbers = [await new_member(admin, program) for _ in range(3)]
    for i, number in enumerate(numbers):
        (await admin(EARN, program=program, number=number, amount="10", reference=f"e{i}")).ok()
    await receiver.wait_accepted("prompt", 3)
    assert receiver.in_flight("stuck") >= 1 and receiver.accepted("stuck") == []
    receiver.release("stuck")


async def test_a_replay_of_a_time_range_redelivers_exactly_those_events(admin, program, receiver):
    made = await subscribe(admin, program, receiver.endpoint("replay"), "LOY_POINT_ACCRUAL")
    number = await new_member(admin, program)
    for i in range(1, 5):
        (await admin(EARN, program=program, number=number, amount=str(i), reference=f"e{i}")).ok()
    first = await receiver.wait_accepted("replay", 4)
    occurred = [dt.datetime.fromisoformat(g.event["occurred_at"].replace("Z", "+00:00")) for g in first]
    # when the second and third earns' span is replayed: [second, fourth)
    replayed = await admin(REPLAY, program=program, id=made["subscription"]["id"], **{
        "from": occurred[1].isoformat(), "to": occurred[3].isoformat()})
    assert replayed.ok()["replayWebhookEvents"] == {"deliveries": 2}
    again = (await receiver.wait_accepted("replay", 6))[4:]
    assert [g.event["id"] for g in again] == [first[1].event["id"], first[2].event["id"]]
    # a redelivery by hand sends the first again, same id
    log = await settled_log(admin, program, made["subscription"]["id"], 6)
    oldest = next(d for d in log if d["eventId"] == first[0].event["id"])
    redone = (await admin(REDELIVER, program=program, id=oldest["id"])).ok()["redeliverWebhook"]
    assert (redone["kind"], redone["eventId"]) == ("redelivery", first[0].event["id"])
    assert (await receiver.wait_accepted("replay", 7))[6].event["id"] == first[0].event["id"]


async def test_bad_input_names_the_field_and_the_catalogue_is_listed(admin, program, receiver):
    refused = await admin(CREATE, program=program, url=receiver.endpoint("x"), types=["NOT_AN_EVENT"])
    assert refused.codes == ["INVALID_INPUT"] and refused.errors[0]["extensions"]["field"] == "eventTypes"
    refused = await admin(CREATE, program=program, url="gopher://x", types=["LOY_OPT_IN"])
    assert refused.codes == ["INVALID_INPUT"] and refused.errors[0]["extensions"]["field"] == "url"
    types = {t["name"]: t for t in (await admin(EVENT_TYPES, program=program)).ok()["eventTypes"]}
    assert all(t["emitted"] for t in types.values())  # every catalogue event is produced now
    assert "campaign-events" in types["CAMPAIGN_STARTED"]["note"]


async def test_a_paused_subscription_gets_nothing_until_it_is_active_again(admin, program, receiver, platform):
    made = await subscribe(admin, program, receiver.endpoint("paused"), "LOY_POINT_ACCRUAL")
    sid = made["subscription"]["id"]
    assert (await admin(UPDATE, program=program, id=sid, active=False)).ok()["updateWebhookSubscription"][
        "active"] is False
    number = await new_member(admin, program)
    (await admin(EARN, program=program, number=number, amount="1", reference="while-paused")).ok()
    # (the event reaches the notifications service after the earn commits: the pause applies to what
    # arrives while paused, so wait for its arrival before activating again)
    notifications = Notifications(platform)
    try:
        await notifications.eventually(await notifications.program_id(program), number, {"LOY_POINT_ACCRUAL"})
    finally:
        await notifications.close()
    (await admin(UPDATE, program=program, id=sid, active=True)).ok()
    (await admin(EARN, program=program, number=number, amount="2", reference="after")).ok()
    (got,) = await receiver.wait_accepted("paused", 1)
    assert got.event["data"]["points"] == 2
