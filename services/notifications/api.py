"""gRPC servicer: translates proto <-> domain, nothing else."""

import json

import asyncpg
import grpc

from loyalty.common.v1 import events_pb2
from loyalty.notifications.v1 import notifications_service_pb2 as pb
from loyalty.notifications.v1 import notifications_service_pb2_grpc as pb_grpc
from services.common.errors import invalid
from services.common.tenancy import require_program
from services.notifications import events
from services.notifications.mapping import SourceEvent, parse_time

MAX_LIST = 1000


def _source_events(batch: pb.SourceEventBatch) -> list[SourceEvent]:
    made = []
    for i, e in enumerate(batch.events):
        try:
            payload = json.loads(e.payload_json)
        except ValueError:
            raise invalid(f"events[{i}].payloadJson", "is not JSON") from None
        made.append(SourceEvent(source=batch.source, outbox_id=e.outbox_id, event_type=e.event_type,
                                payload=payload, recorded_at=parse_time(e.recorded_at, f"events[{i}].recordedAt")))
    return made


def event_to_proto(event: events.Event) -> pb.Event:
    env = events.envelope(event)
    return pb.Event(id=env["id"], type=event.type, version=event.version, occurred_at=env["occurred_at"],
                    member_id=str(event.member_id or ""), loyalty_number=event.loyalty_number,
                    data_json=json.dumps(event.data, sort_keys=True), sequence=event.sequence)


class NotificationsServicer(pb_grpc.NotificationsServiceServicer):
    def __init__(self, pool: asyncpg.Pool, *, on_events=None):
        self._pool = pool
        self._on_events = on_events  # called after new events committed (the webhook dispatcher's kick)

    async def ConsumeSourceEvents(self, request, context):
        ctx = require_program(context)
        accepted = await events.ingest(self._pool, program_id=ctx.program_id, events=_source_events(request))
        if accepted and self._on_events is not None:
            self._on_events()
        return events_pb2.ConsumeAck(accepted=accepted)

    async def ListEvents(self, request, context):
        ctx = require_program(context)
        limit = request.limit or 100
        if not 0 < limit <= MAX_LIST:
            raise invalid("limit", f"must be between 1 and {MAX_LIST}")
        found = await events.list_events(self._pool, program_id=ctx.program_id, after_sequence=request.after_sequence,
                                         limit=limit, type_=request.type, loyalty_number=request.loyalty_number)
        return pb.ListEventsResponse(events=[event_to_proto(e) for e in found])


def register(server: grpc.aio.Server, servicer: NotificationsServicer) -> None:
    pb_grpc.add_NotificationsServiceServicer_to_server(servicer, server)
