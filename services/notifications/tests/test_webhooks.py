"""Webhooks against a real local HTTP receiver: signed deliveries, retries then one acceptance,
dead letters and redelivery, the event-type filter, a hung receiver that holds up nobody else,
replay of a time range, secret rotation, and the program boundary.

The service runs in-process with a dispatcher that is only kicked (no sweep), with a fast backoff."""

import asyncio
import datetime as dt
import itertools
import json
import time
import uuid

import grpc
import pytest

from loyalty.notifications.v1 import notifications_service_pb2 as pb
from loyalty.notifications.v1 import notifications_service_pb2_grpc as pb_grpc
from services.common.clients import call, metadata
from services.common.db import tenant_tx
from services.common.errors import DomainError, DomainErrorInterceptor
from services.notifications import api, events, signing
from services.notifications.dispatch import Dispatcher, Options
from services.notifications.mapping import SourceEvent

# (a long timeout: the hung receiver's request must still be open when the others are done, on a busy machine)
FAST = Options(timeout_seconds=60, backoff_base_seconds=0.01, backoff_max_seconds=0.05, allow_private_targets=True,
               sweep_seconds=3600)
_outbox_ids = itertools.count(int(uuid.uuid4().int % 10**12))
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
async def service(pools):
    dispatcher = Dispatcher(pools["notifications"], FAST)
    dispatcher.start()
    server = grpc.aio.server(interceptors=[DomainErrorInterceptor()])
    api.register(server, api.NotificationsServicer(pools["notifications"], options=FAST, on_events=dispatcher.notify))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    yield pb_grpc.NotificationsServiceStub(channel), dispatcher
    await asyncio.wait_for(dispatcher.stop(), 30)
    await asyncio.wait_for(channel.close(), 30)
    await asyncio.wait_for(server.stop(0), 30)


class Program:
    def __init__(self, stub, pools):
        self.id = uuid.uuid4()
        self.stub = stub
        self.pools = pools

    async def rpc(self, method: str, request):
        return await call(getattr(self.stub, method)(request, metadata=metadata(program_id=self.id, principal="t")))

    async def subscribe(self, url: str, *types: str) -> pb.SubscriptionWithSecret:
        return await self.rpc("CreateSubscription", pb.CreateSubscriptionRequest(
            url=url, event_types=list(types or ["LOY_POINT_ACCRUAL"]), active=True))

    def accrual(self, points: int, *, number: str = "L-1", at: dt.datetime | None = None) -> pb.SourceEvent:
        payload = {"event_type": "LOY_POINT_ACCRUAL", "transaction_id": str(uuid.uuid4()),
                   "transaction_kind": "EARN", "member_id": str(uuid.uuid5(uuid.NAMESPACE_OID, number)),
                   "loyalty_number": number, "points": points, "reference": f"r{points}",
                   "occurred_at": (at or dt.datetime.now(dt.timezone.utc)).isoformat()}
        return pb.SourceEvent(outbox_id=next(_outbox_ids), event_type="LOY_POINT_ACCRUAL",
                              payload_json=json.dumps(payload), recorded_at=dt.datetime.now(dt.timezone.utc).isoformat())

    def opt_in(self, number: str = "L-1") -> pb.SourceEvent:
        payload = {"member_id": str(uuid.uuid5(uuid.NAMESPACE_OID, number)), "loyalty_number": number,
                   "status": "active", "opted_in_at": T0.isoformat(), "channel": "pos"}
        return pb.SourceEvent(outbox_id=next(_outbox_ids), event_type="LOY_OPT_IN", payload_json=json.dumps(payload),
                              recorded_at=dt.datetime.now(dt.timezone.utc).isoformat())

    async def emit(self, *events_, source: str = "points") -> int:
        ack = await self.rpc("ConsumeSourceEvents", pb.SourceEventBatch(source=source, events=list(events_)))
        return ack.accepted

    async def log(self, subscription_id: str) -> list[pb.Delivery]:
        reply = await self.rpc("ListDeliveries", pb.ListDeliveriesRequest(subscription_id=subscription_id))
        return list(reply.deliveries)

    async def cleanup(self) -> None:
        for s in (await self.rpc("ListSubscriptions", pb.ListSubscriptionsRequest())).subscriptions:
            await self.rpc("DeleteSubscription", pb.DeleteSubscriptionRequest(id=s.id))


@pytest.fixture
async def program(service, pools):
    made = Program(service[0], pools)
    yield made
    await made.cleanup()


async def eventually(predicate, rounds: int = 600):
    for _ in range(rounds):
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


async def test_an_event_arrives_signed_with_the_secret_shown_once(program, receiver):
    # given a subscription to accruals
    made = await program.subscribe(receiver.endpoint("signed"))
    assert made.secret.startswith("whsec_")
    listed = (await program.rpc("ListSubscriptions", pb.ListSubscriptionsRequest())).subscriptions
    assert [s.id for s in listed] == [made.subscription.id] and "secret" not in pb.Subscription.DESCRIPTOR.fields_by_name

    # when an accrual happens
    await program.emit(program.accrual(100))

    # then the receiver gets it, signed with the secret over timestamp and body
    (got,) = await receiver.wait_accepted("signed", 1)
    assert signing.verify(got.headers["loyalty-signature"], got.body, made.secret)
    assert not signing.verify(got.headers["loyalty-signature"], got.body, signing.new_secret())
    assert not signing.verify(got.headers["loyalty-signature"], got.body + b" ", made.secret)
    event = got.event
    assert (event["type"], event["data"]["points"], event["program_id"]) == ("LOY_POINT_ACCRUAL", 100, str(program.id))
    assert got.headers["loyalty-event-id"] == event["id"]
    # and the log says so
    (delivery,) = await eventually(lambda: _delivered(program, made.subscription.id, 1))
    assert (delivery.attempts, delivery.last_status_code, delivery.event_id) == (1, 204, event["id"])


async def _delivered(program, subscription_id, count):
    log = await program.log(subscription_id)
    done = [d for d in log if d.status == "delivered"]
    return done if len(done) >= count else None


async def test_a_receiver_failing_five_times_gets_one_accepted_delivery_after_six_attempts(program, receiver):
    made = await program.subscribe(receiver.endpoint("flaky", fail_first=5))
    await program.emit(program.accrual(7))
    (delivery,) = await eventually(lambda: _delivered(program, made.subscription.id, 1))
    assert len(receiver.accepted("flaky")) == 1
    assert len(receiver.received("flaky")) == 6
    assert delivery.attempts == 6
    assert [a.status_code for a in delivery.attempt_log] == [500] * 5 + [204]
    assert all(a.error == "HTTP 500" for a in delivery.attempt_log[:5])
    # every attempt carried the same event id, numbered
    ids = {r.headers["loyalty-event-id"] for r in receiver.received("flaky")}
    assert len(ids) == 1
    assert [r.headers["loyalty-delivery-attempt"] for r in receiver.received("flaky")] == list("123456")


async def test_a_delivery_past_its_retry_window_is_dead_lettered_and_can_be_redelivered(program, receiver, service,
                                                                                       pools):
    # given a receiver that always fails, and an event whose delivery is already older than the window
    made = await program.subscribe(receiver.endpoint("down", fail_first=10**6))
    await events.ingest(pools["notifications"], program_id=program.id, events=[SourceEvent(
        "points", next(_outbox_ids), "LOY_POINT_ACCRUAL", json.loads(program.accrual(3).payload_json), T0)])
    async with tenant_tx(pools["notifications"], program.id) as conn:
        await conn.execute("UPDATE deliveries SET created_at = now() - interval '25 hours'")
    # when the dispatcher tries it
    service[1].kick()
    dead = await eventually(lambda: _with_status(program, made.subscription.id, "dead"))
    # then after one failed attempt it is dead, not retried
    assert dead.attempts == 1 and dead.next_attempt_at == ""
    # and a redelivery by hand, to a receiver that now answers, gets there with the same event id
    ok_url = receiver.endpoint("back")
    await program.rpc("UpdateSubscription", pb.UpdateSubscriptionRequest(id=made.subscription.id, url=ok_url))
    again = await program.rpc("Redeliver", pb.RedeliverRequest(delivery_id=dead.id))
    assert (again.kind, again.status, again.event_id) == ("redelivery", "pending", dead.event_id)
    (got,) = await receiver.wait_accepted("back", 1)
    assert got.event["id"] == dead.event_id


async def _with_status(program, subscription_id, status):
    return next((d for d in await program.log(subscription_id) if d.status == status), None)


async def test_deliveries_honour_the_event_type_filter(program, receiver):
    accruals = await program.subscribe(receiver.endpoint("accruals"), "LOY_POINT_ACCRUAL")
    opt_ins = await program.subscribe(receiver.endpoint("opt-ins"), "LOY_OPT_IN")
    await program.emit(program.opt_in("L-9"), source="member")
    await program.emit(program.accrual(5, number="L-9"), program.accrual(6, number="L-9"))
    assert [g.event["data"]["points"] for g in await receiver.wait_accepted("accruals", 2)] == [5, 6]
    assert [g.event["type"] for g in await receiver.wait_accepted("opt-ins", 1)] == ["LOY_OPT_IN"]
    # (a marker after them, to the opt-in endpoint: once it is there, nothing else is on the way)
    await program.emit(program.opt_in("L-10"), source="member")
    await receiver.wait_accepted("opt-ins", 2)
    assert {g.event["type"] for g in receiver.received("opt-ins")} == {"LOY_OPT_IN"}
    assert len(await program.log(accruals.subscription.id)) == 2 and len(await program.log(opt_ins.subscription.id)) == 2


async def test_a_hung_receiver_holds_up_no_other_subscription_or_program(program, receiver, service, pools):
    # given one subscription whose receiver never answers, another of the same program, one of another program
    hung = await program.subscribe(receiver.endpoint("hung", hang=True))
    await program.subscribe(receiver.endpoint("healthy"))
    other = Program(service[0], pools)
    try:
        await other.subscribe(receiver.endpoint("other-program"))
        # when events flow to all of them
        await program.emit(*(program.accrual(i, number=f"M-{i}") for i in range(1, 9)))
        await other.emit(other.accrual(1))
        # then the others get everything while the hung receiver still holds its requests open
        await receiver.wait_accepted("healthy", 8)
        await receiver.wait_accepted("other-program", 1)
        assert receiver.in_flight("hung") >= 1 and receiver.accepted("hung") == []
        # and once it answers, its deliveries go through too
        receiver.release("hung")
        await eventually(lambda: _delivered(program, hung.subscription.id, 8))
    finally:
        await other.cleanup()


async def test_a_replay_of_a_time_range_redelivers_exactly_those_events(program, receiver):
    made = await program.subscribe(receiver.endpoint("replay"))
    days = [T0 + dt.timedelta(days=d) for d in range(5)]
    await program.emit(*(program.accrual(d + 1, number=f"R-{d}", at=day) for d, day in enumerate(days)))
    first = await receiver.wait_accepted("replay", 5)
    ids = {g.event["data"]["points"]: g.event["id"] for g in first}
    # when days 2 and 3 (from day 1 inclusive to day 3 exclusive) are replayed
    reply = await program.rpc("Replay", pb.ReplayRequest(subscription_id=made.subscription.id,
                                                         to=days[3].isoformat(), **{"from": days[1].isoformat()}))
    assert reply.deliveries == 2
    again = (await receiver.wait_accepted("replay", 7))[5:]
    # then exactly those two arrive again, with their original ids
    assert sorted(g.event["id"] for g in again) == sorted([ids[2], ids[3]])
    assert {d.kind for d in await program.log(made.subscription.id)} == {"live", "replay"}


async def test_a_rotated_secret_and_the_previous_one_both_sign_during_the_grace_period(program, receiver):
    made = await program.subscribe(receiver.endpoint("rotate"))
    rotated = await program.rpc("RotateSecret", pb.RotateSecretRequest(id=made.subscription.id, grace_seconds=3600))
    assert rotated.secret != made.secret and rotated.subscription.previous_secret_expires_at
    await program.emit(program.accrual(1))
    (got,) = await receiver.wait_accepted("rotate", 1)
    assert signing.verify(got.headers["loyalty-signature"], got.body, made.secret)
    assert signing.verify(got.headers["loyalty-signature"], got.body, rotated.secret)
    # without a grace period only the newest secret signs
    last = await program.rpc("RotateSecret", pb.RotateSecretRequest(id=made.subscription.id, grace_seconds=0))
    await program.emit(program.accrual(2))
    got = (await receiver.wait_accepted("rotate", 2))[1]
    assert signing.verify(got.headers["loyalty-signature"], got.body, last.secret)
    assert not signing.verify(got.headers["loyalty-signature"], got.body, rotated.secret)


async def test_another_program_can_neither_see_nor_change_a_subscription(program, receiver, service, pools):
    made = await program.subscribe(receiver.endpoint("mine"))
    other = Program(service[0], pools)
    assert (await other.rpc("ListSubscriptions", pb.ListSubscriptionsRequest())).subscriptions == []
    for method, request in (
            ("UpdateSubscription", pb.UpdateSubscriptionRequest(id=made.subscription.id, active=False)),
            ("RotateSecret", pb.RotateSecretRequest(id=made.subscription.id)),
            ("DeleteSubscription", pb.DeleteSubscriptionRequest(id=made.subscription.id)),
            ("ListDeliveries", pb.ListDeliveriesRequest(subscription_id=made.subscription.id))):
        with pytest.raises(DomainError) as refused:
            await other.rpc(method, request)
        assert refused.value.code.value == "NOT_FOUND"
    # and its events do not reach this program's subscription
    await other.emit(other.accrual(1))
    await program.emit(program.accrual(2))
    (got,) = await receiver.wait_accepted("mine", 1)
    assert got.event["program_id"] == str(program.id)


@pytest.mark.parametrize(("url", "why"), [
    ("http://127.0.0.1:8080/hook", "non-public"), ("http://localhost/hook", "non-public"),
    ("http://169.254.169.254/latest/meta-data", "non-public"), ("http://10.1.2.3/hook", "non-public"),
    ("http://192.168.0.10/hook", "non-public"), ("http://[::1]/hook", "non-public"),
    ("http://[::ffff:127.0.0.1]/hook", "non-public"), ("http://0.0.0.0/hook", "non-public"),
    ("ftp://example.com/hook", "http"), ("http://user:pw@example.com/hook", "credentials"),
])
async def test_private_and_odd_targets_are_refused_unless_the_operator_allows_them(notifications_stub, url, why):
    # the session's service runs with the default options: private targets not allowed
    with pytest.raises(DomainError) as refused:
        await call(notifications_stub.CreateSubscription(
            pb.CreateSubscriptionRequest(url=url, event_types=["LOY_OPT_IN"], active=True),
            metadata=metadata(program_id=uuid.uuid4(), principal="t")))
    assert refused.value.code.value == "INVALID_INPUT" and refused.value.field == "url"
    assert why in refused.value.message


async def test_bad_subscriptions_are_refused_naming_the_field(program, receiver):
    for request, field in (
            (pb.CreateSubscriptionRequest(url=receiver.endpoint("x"), event_types=[]), "eventTypes"),
            (pb.CreateSubscriptionRequest(url=receiver.endpoint("x"), event_types=["NOPE"]), "eventTypes"),
            (pb.CreateSubscriptionRequest(url="not a url", event_types=["LOY_OPT_IN"]), "url")):
        with pytest.raises(DomainError) as refused:
            await program.rpc("CreateSubscription", request)
        assert refused.value.field == field
    assert (await program.rpc("ListSubscriptions", pb.ListSubscriptionsRequest())).subscriptions == []


def test_backoff_grows_with_jitter_and_stops_at_the_retry_window():
    options = Options(backoff_base_seconds=5, backoff_max_seconds=3600, retry_window_seconds=24 * 3600)
    now = dt.datetime.now(dt.timezone.utc)
    for attempts, ceiling in ((1, 5), (2, 10), (5, 80), (20, 3600)):
        delays = {options.retry_in(attempts=attempts, created_at=now).total_seconds() for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays) and len(delays) > 1
    assert options.retry_in(attempts=3, created_at=now - dt.timedelta(hours=24)) is None


def test_the_documented_verification_snippet_verifies_our_signatures():
    from services.notifications import webhook_doc

    code = webhook_doc.TEXT.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - the snippet docs/events.md shows, run as written
    old, new = signing.new_secret(), signing.new_secret()
    body = b'{"id":"x"}'
    header = signing.header([new, old], int(time.time()), body)
    assert namespace["verify"](header, body, new) and namespace["verify"](header, body, old)
    assert not namespace["verify"](header, body + b"!", new)
    assert not namespace["verify"](header, body, signing.new_secret())
    stale = signing.header([new], int(time.time()) - 3600, body)
    assert not namespace["verify"](stale, body, new)
