"""Ledger events: written with every posting, relayed per subscriber (one failing consumer neither
blocks nor duplicates the others)."""

import uuid

import pytest
from google.protobuf import json_format
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty.common.v1 import events_pb2
from services.points.ledger.events import LedgerEventRelay, to_event
from services.points.tests.helpers import Ledger


class Consumer:
    """Records what it receives; fails while `down` is set, as an unreachable service would."""

    def __init__(self, down: bool = False):
        self.down = down
        self.events = []

    async def __call__(self, program_id, batch):
        if self.down:
            raise ConnectionError("UNAVAILABLE")
        self.events += [(str(program_id), e) for e in batch.events]


async def _drain(relay: LedgerEventRelay) -> None:
    for _ in range(200):
        if not await relay.deliver_once():
            return


async def test_events_reach_each_subscriber_once_in_order(pools, admin_conn):
    # given postings of every event type
    ledger = await Ledger.new(pools["points"])
    a, b = await ledger.member(), await ledger.member()
    await ledger.earn(a, "30", "e1", partner_code="acme", location_code="store-1")
    await ledger.burn(a, 10, "b1")
    await ledger.void("e1", "v1", points=5)
    await ledger.adjust(a, -2, "a1")
    await ledger.transfer(a, b, 3, "t1")
    own = str(ledger.program_id)

    # when one consumer is down and another is up
    up, down = Consumer(), Consumer(down=True)
    names = {f"test-up-{uuid.uuid4().hex[:6]}": up, f"test-down-{uuid.uuid4().hex[:6]}": down}
    relay = LedgerEventRelay(pools["points"], names, batch_size=500, max_backoff=0)
    try:
        await _drain(relay)
        mine = [e for p, e in up.events if p == own]
        # then the healthy one has every event of the program, in order, with what is known
        assert [(e.event_type, e.transaction_kind, e.points) for e in mine] == [
            ("LOY_POINT_ACCRUAL", "EARN", 30), ("LOY_POINT_REDEMPTION", "BURN", -10),
            ("LOY_POINT_VOID", "VOID", -5), ("LOY_POINT_ADJUSTMENT", "ADJUST", -2),
            ("LOY_POINT_ADJUSTMENT", "TRANSFER", -3), ("LOY_POINT_ACCRUAL", "TRANSFER", 3)]
        earn, void = mine[0], mine[2]
        assert (earn.amount, earn.currency, earn.partner_code, earn.location_code) == ("30", "EUR", "acme", "store-1")
        assert void.voided_transaction_id == earn.transaction_id and void.voided_occurred_at == earn.occurred_at
        assert len({e.event_id for e in mine}) == len(mine)
        assert not down.events

        # when the failed one comes back, it gets them all, and the other gets nothing twice
        down.down = False
        await _drain(relay)
        assert [e.event_id for p, e in down.events if p == own] == [e.event_id for e in mine]
        assert len([e for p, e in up.events if p == own]) == len(mine)
    finally:
        await admin_conn.execute("DELETE FROM points.outbox_subscribers WHERE subscriber = ANY($1)", list(names))


class RefusesOneProgram(Consumer):
    """A consumer that refuses one program's events (it does not know that program, say)."""

    def __init__(self, refused: str):
        super().__init__()
        self.refused = refused

    async def __call__(self, program_id, batch):
        if str(program_id) == self.refused:
            raise ValueError("NOT_FOUND: program unknown here")
        await super().__call__(program_id, batch)


async def test_a_program_a_consumer_refuses_does_not_hold_up_other_programs(pools, admin_conn):
    # given events of two programs, the older ones from a program the consumer refuses
    poisoned, healthy = await Ledger.new(pools["points"]), await Ledger.new(pools["points"])
    await poisoned.earn(await poisoned.member(), "10", "p1")
    await healthy.earn(await healthy.member(), "20", "h1")
    consumer = RefusesOneProgram(str(poisoned.program_id))
    name = f"test-refuses-{uuid.uuid4().hex[:6]}"
    relay = LedgerEventRelay(pools["points"], {name: consumer}, batch_size=500, max_backoff=60)
    try:
        # when the relay runs
        await _drain(relay)
        # then the healthy program's events arrive although the older, refused ones wait
        received = {p for p, _ in consumer.events}
        assert str(healthy.program_id) in received and str(poisoned.program_id) not in received
    finally:
        await admin_conn.execute("DELETE FROM points.outbox_subscribers WHERE subscriber = $1", name)


_FIELD_VALUES = {
    **{f.name: st.text(max_size=12) for f in events_pb2.LedgerEvent.DESCRIPTOR.fields
       if f.type == f.TYPE_STRING},
    "points": st.integers(-2**63, 2**63 - 1) | st.integers(-10**6, 10**6).map(float) | st.integers().map(str),
    "imported": st.booleans(),
}
_ODD_VALUES = st.none() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5) | st.booleans()


@settings(max_examples=400, deadline=None)
@given(known=st.fixed_dictionaries({}, optional=_FIELD_VALUES),
       odd=st.dictionaries(st.sampled_from(["details", "transactionId", "points", "amount", "imported", "x"]),
                           _ODD_VALUES, max_size=3))
def test_an_outbox_row_becomes_the_event_json_format_makes_of_it(known, odd):
    payload = {**known, **odd}
    row = {"id": 7, "program_id": uuid.UUID(int=1), "payload": payload}
    full = {**payload, "event_id": "7", "program_id": str(uuid.UUID(int=1))}
    try:
        expected = json_format.ParseDict(full, events_pb2.LedgerEvent(), ignore_unknown_fields=True)
    except json_format.ParseError:
        with pytest.raises(json_format.ParseError):
            to_event(row)
        return
    assert to_event(row) == expected


async def test_a_pass_lets_a_busy_moments_events_gather_but_a_backlog_goes_on_at_once(pools):
    ledger = await Ledger.new(pools["points"])
    member = await ledger.member()
    name, consumer = f"test-linger-{uuid.uuid4().hex[:6]}", Consumer()
    await _drain(LedgerEventRelay(pools["points"], {name: consumer}, batch_size=500))  # other tests' events
    relay = LedgerEventRelay(pools["points"], {name: consumer}, batch_size=3, linger_seconds=0.05)
    waits = []

    async def gather():
        waits.append(relay.linger_seconds)
    relay._gather = gather
    mine = lambda: [e.reference for p, e in consumer.events if p == str(ledger.program_id)]  # noqa: E731

    await ledger.earn(member, "10", "g1")
    await ledger.earn(member, "10", "g2")
    assert await relay.paced_step() == 2 and waits == [0.05]  # waited, then both in one pass
    for k in range(3, 7):
        await ledger.earn(member, "10", f"g{k}")
    assert await relay.paced_step() == 3 and len(waits) == 2  # a full batch: more are waiting ...
    assert await relay.paced_step() == 1 and len(waits) == 2  # ... so the next pass does not wait
    assert await relay.paced_step() == 0 and len(waits) == 3
    assert mine() == [f"g{k}" for k in range(1, 7)]
