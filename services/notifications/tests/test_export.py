"""A service's outbox rows reach the notifications service after commit: in order per program, at
least once with stable ids, and a program the receiver refuses does not hold up the others.

The billing schema's outbox stands in for a source service (billing writes no outbox rows itself)."""

import datetime as dt
import json
import uuid

from loyalty.notifications.v1 import notifications_service_pb2 as pb
from services.common.clients import call, metadata
from services.common.db import tenant_tx
from services.common.event_export import OutboxExport, grpc_sender
from services.common.outbox import add_event
from services.tier.__main__ import export_events

NOW = dt.datetime.now(dt.timezone.utc).isoformat()


async def opt_ins(pool, program_id: uuid.UUID, count: int) -> list[str]:
    numbers = [f"L-{uuid.uuid4().hex[:8]}" for _ in range(count)]
    async with tenant_tx(pool, program_id) as conn:
        for n in numbers:
            await add_event(conn, program_id=program_id, event_type="LOY_OPT_IN", payload={
                "member_id": str(uuid.uuid4()), "loyalty_number": n, "status": "active", "opted_in_at": NOW,
                "channel": "pos"})
    return numbers


async def listed(stub, program_id) -> list[pb.Event]:
    reply = await call(stub.ListEvents(pb.ListEventsRequest(limit=1000),
                                       metadata=metadata(program_id=program_id, principal="test")))
    return list(reply.events)


async def drain(export: OutboxExport) -> None:
    while await export.export_once():
        pass


async def test_rows_arrive_in_outbox_order_once_each_with_stable_ids(pools, notifications_channel,
                                                                     notifications_stub):
    # given two programs' opt-ins interleaved in the outbox
    a, b = uuid.uuid4(), uuid.uuid4()
    numbers_a = await opt_ins(pools["billing"], a, 3)
    numbers_b = await opt_ins(pools["billing"], b, 2)
    numbers_a += await opt_ins(pools["billing"], a, 2)
    export = OutboxExport(pools["billing"], source="member", send=grpc_sender(notifications_channel, export_events))

    # when the export runs, then again after a crash forgot that it had sent them
    await drain(export)
    first = await listed(notifications_stub, a)
    async with pools["billing"].acquire() as conn:
        await conn.execute("UPDATE outbox SET exported_at = NULL WHERE program_id = ANY($1::uuid[])", [a, b])
    await drain(export)

    # then each program has its events once, in the order they were written, with the same ids
    again = await listed(notifications_stub, a)
    assert [e.loyalty_number for e in again] == numbers_a
    assert [(e.id, e.sequence) for e in again] == [(e.id, e.sequence) for e in first]
    assert [e.loyalty_number for e in await listed(notifications_stub, b)] == numbers_b
    assert {e.type for e in again} == {"LOY_OPT_IN"}
    assert json.loads(again[0].data_json)["channel"] == "pos"


async def test_a_refused_program_waits_while_the_others_go_on(pools, notifications_channel, notifications_stub):
    # given a receiver that refuses program `refused` and two programs with rows, the refused one first
    refused, fine = uuid.uuid4(), uuid.uuid4()
    await opt_ins(pools["billing"], refused, 2)
    numbers = await opt_ins(pools["billing"], fine, 2)
    real = grpc_sender(notifications_channel, export_events)
    refusing = True

    async def send(program_id, source, rows):
        if program_id == refused and refusing:
            raise ConnectionError("receiver down")
        await real(program_id, source, rows)

    export = OutboxExport(pools["billing"], source="member", send=send)

    # when the export runs
    await drain(export)

    # then the other program's rows went out, the refused ones wait unexported
    assert [e.loyalty_number for e in await listed(notifications_stub, fine)] == numbers
    assert await listed(notifications_stub, refused) == []
    async with pools["billing"].acquire() as conn:
        waiting = await conn.fetchval("SELECT count(*) FROM outbox WHERE program_id = $1 AND exported_at IS NULL",
                                      refused)
    assert waiting == 2

    # and once the receiver takes them (its backoff over), they go out too
    refusing = False
    export._backoff.clear()
    await drain(export)
    assert len(await listed(notifications_stub, refused)) == 2


async def test_another_programs_events_are_not_visible(pools, notifications_channel, notifications_stub):
    mine, other = uuid.uuid4(), uuid.uuid4()
    await opt_ins(pools["billing"], other, 1)
    await drain(OutboxExport(pools["billing"], source="member", send=grpc_sender(notifications_channel, export_events)))
    assert await listed(notifications_stub, mine) == []
    assert len(await listed(notifications_stub, other)) == 1


async def test_the_prune_job_deletes_only_old_events_of_its_program(pools, notifications_channel,
                                                                     notifications_stub):
    from services.notifications import events

    # given a program with two events, one recorded long ago
    program = uuid.uuid4()
    await opt_ins(pools["billing"], program, 2)
    await drain(OutboxExport(pools["billing"], source="member", send=grpc_sender(notifications_channel, export_events)))
    old, new = await listed(notifications_stub, program)
    async with tenant_tx(pools["notifications"], program) as conn:
        await conn.execute("UPDATE events SET recorded_at = now() - interval '100 days' WHERE id = $1",
                           uuid.UUID(old.id))
    # when pruning what is older than 90 days, twice
    cutoff = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=90)
    assert await events.prune(pools["notifications"], program_id=program, before=cutoff) == 1
    assert await events.prune(pools["notifications"], program_id=program, before=cutoff) == 0
    # then the recent one stays
    assert [e.id for e in await listed(notifications_stub, program)] == [new.id]
