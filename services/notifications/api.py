"""gRPC servicer: translates proto <-> domain, nothing else."""

import datetime as dt
import json
import uuid

import asyncpg
import grpc

from loyalty.common.v1 import events_pb2
from loyalty.notifications.v1 import notifications_service_pb2 as pb
from loyalty.notifications.v1 import notifications_service_pb2_grpc as pb_grpc
from services.common.errors import invalid, not_found
from services.common.tenancy import require_program
from services.notifications import catalogue, cdp, deliveries, events, messages, subscriptions, templates
from services.notifications.dispatch import Options
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


def _time(value: dt.datetime | None) -> str:
    return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z") if value else ""


def _uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise invalid(field, f"{value!r} is not an id") from None


def subscription_to_proto(s: subscriptions.Subscription) -> pb.Subscription:
    return pb.Subscription(id=str(s.id), url=s.url, event_types=list(s.event_types), active=s.active,
                           description=s.description, created_at=_time(s.created_at), updated_at=_time(s.updated_at),
                           secret_rotated_at=_time(s.secret_rotated_at),
                           previous_secret_expires_at=_time(s.previous_secret_expires_at))


def with_secret_to_proto(made: subscriptions.WithSecret) -> pb.SubscriptionWithSecret:
    return pb.SubscriptionWithSecret(subscription=subscription_to_proto(made.subscription), secret=made.secret)


def delivery_to_proto(d: deliveries.Delivery) -> pb.Delivery:
    return pb.Delivery(
        id=d.id, subscription_id=str(d.subscription_id), event_id=str(d.event_id), event_type=d.event_type,
        kind=d.kind, status=d.status, attempts=d.attempts, next_attempt_at=_time(d.next_attempt_at),
        last_attempt_at=_time(d.last_attempt_at), last_status_code=d.last_status_code or 0,
        last_latency_ms=d.last_latency_ms or 0, last_error=d.last_error or "", delivered_at=_time(d.delivered_at),
        created_at=_time(d.created_at),
        attempt_log=[pb.DeliveryAttempt(attempted_at=_time(a.attempted_at), status_code=a.status_code or 0,
                                        latency_ms=a.latency_ms, error=a.error or "") for a in d.attempt_log])


def template_to_proto(t: templates.Template) -> pb.MessageTemplate:
    return pb.MessageTemplate(kind=t.kind, language=t.language, subject=t.subject, body=t.body, sms=t.sms,
                              default=t.default, updated_by=t.updated_by, updated_at=_time(t.updated_at))


def message_to_proto(m: messages.Message) -> pb.MessageLogEntry:
    return pb.MessageLogEntry(id=m.id, kind=m.kind, loyalty_number=m.loyalty_number, status=m.status,
                              channel=m.channel, recipient=m.recipient, subject=m.subject, attempts=m.attempts,
                              not_before=_time(m.not_before), created_at=_time(m.created_at),
                              sent_at=_time(m.sent_at), error=m.error)


class NotificationsServicer(pb_grpc.NotificationsServiceServicer):
    def __init__(self, pool: asyncpg.Pool, *, options: Options | None = None, on_events=None,
                 messenger: messages.Messenger | None = None, on_cdp=None):
        self._pool = pool
        # after CDP work was queued by hand (a tag job, a backfill, a changed connector): on_cdp(program_id)
        self._on_cdp = on_cdp or (lambda program_id=None: None)
        self._messenger = messenger or messages.Messenger(pool, member_addr=None, email=None, sms=None)
        self._options = options or Options()
        # after new deliveries committed: on_events(program_id), the dispatcher's notify
        self._on_events = on_events or (lambda program_id=None: None)

    async def ConsumeSourceEvents(self, request, context):
        ctx = require_program(context)
        accepted = await events.ingest(self._pool, program_id=ctx.program_id, events=_source_events(request))
        if accepted:
            self._on_events(ctx.program_id)
        return events_pb2.ConsumeAck(accepted=accepted)

    async def ListEvents(self, request, context):
        ctx = require_program(context)
        limit = request.limit or 100
        if not 0 < limit <= MAX_LIST:
            raise invalid("limit", f"must be between 1 and {MAX_LIST}")
        found = await events.list_events(self._pool, program_id=ctx.program_id, after_sequence=request.after_sequence,
                                         limit=limit, type_=request.type, loyalty_number=request.loyalty_number)
        return pb.ListEventsResponse(events=[event_to_proto(e) for e in found])


    async def ListEventTypes(self, request, context):
        return pb.ListEventTypesResponse(event_types=[
            pb.EventType(name=e.name, version=e.version, description=e.description, source=e.source,
                         emitted=e.emitted, note=e.note, schema_json=json.dumps(e.schema, sort_keys=True))
            for e in catalogue.CATALOGUE.values()])

    async def CreateSubscription(self, request, context):
        ctx = require_program(context)
        command = subscriptions.CreateCommand(url=request.url, event_types=tuple(request.event_types),
                                              active=request.active, description=request.description,
                                              created_by=ctx.principal)
        made = await subscriptions.create(self._pool, program_id=ctx.program_id, command=command,
                                          allow_private=self._options.allow_private_targets)
        return with_secret_to_proto(made)

    async def UpdateSubscription(self, request, context):
        ctx = require_program(context)
        command = subscriptions.UpdateCommand(
            id=_uuid(request.id, "id"), url=request.url if request.HasField("url") else None,
            event_types=tuple(request.event_types) if request.set_event_types else None,
            active=request.active if request.HasField("active") else None,
            description=request.description if request.HasField("description") else None)
        updated = await subscriptions.update(self._pool, program_id=ctx.program_id, command=command,
                                             allow_private=self._options.allow_private_targets)
        self._on_events(ctx.program_id)
        return subscription_to_proto(updated)

    async def DeleteSubscription(self, request, context):
        ctx = require_program(context)
        await subscriptions.delete(self._pool, program_id=ctx.program_id, subscription_id=_uuid(request.id, "id"))
        return pb.DeleteSubscriptionResponse()

    async def RotateSecret(self, request, context):
        ctx = require_program(context)
        made = await subscriptions.rotate_secret(self._pool, program_id=ctx.program_id,
                                                 subscription_id=_uuid(request.id, "id"),
                                                 grace_seconds=request.grace_seconds)
        return with_secret_to_proto(made)

    async def ListSubscriptions(self, request, context):
        ctx = require_program(context)
        found = await subscriptions.list_all(self._pool, program_id=ctx.program_id)
        return pb.ListSubscriptionsResponse(subscriptions=[subscription_to_proto(s) for s in found])

    async def ListDeliveries(self, request, context):
        ctx = require_program(context)
        found = await deliveries.list_log(self._pool, program_id=ctx.program_id,
                                          subscription_id=_uuid(request.subscription_id, "subscriptionId"),
                                          status=request.status, before_id=request.before_id,
                                          limit=request.limit or 50)
        return pb.ListDeliveriesResponse(deliveries=[delivery_to_proto(d) for d in found])

    async def Redeliver(self, request, context):
        ctx = require_program(context)
        made = await deliveries.redeliver(self._pool, program_id=ctx.program_id, delivery_id=request.delivery_id)
        self._on_events(ctx.program_id)
        return delivery_to_proto(made)

    async def Replay(self, request, context):
        ctx = require_program(context)
        count = await deliveries.replay(self._pool, program_id=ctx.program_id,
                                        subscription_id=_uuid(request.subscription_id, "subscriptionId"),
                                        since=parse_time(getattr(request, "from"), "from"),
                                        until=parse_time(request.to, "to"))
        self._on_events(ctx.program_id)
        return pb.ReplayResponse(deliveries=count)

    async def SaveMessageTemplate(self, request, context):
        ctx = require_program(context)
        saved = await templates.save(self._pool, program_id=ctx.program_id, kind=request.kind,
                                     language=request.language, subject=request.subject, body=request.body,
                                     sms=request.sms, by=ctx.principal)
        return template_to_proto(saved)

    async def ListMessageTemplates(self, request, context):
        ctx = require_program(context)
        saved = await templates.list_saved(self._pool, program_id=ctx.program_id)
        written = {t.kind for t in saved}
        shipped = [templates.default(k) for k in templates.KINDS if k not in written]
        return pb.ListMessageTemplatesResponse(templates=[template_to_proto(t) for t in (*saved, *shipped)])

    async def PreviewMessage(self, request, context):
        ctx = require_program(context)
        template, rendered = await messages.preview(self._messenger, program_id=ctx.program_id, kind=request.kind,
                                                    language=request.language,
                                                    loyalty_number=request.loyalty_number)
        return pb.PreviewMessageResponse(subject=rendered.subject, body=rendered.body, sms=rendered.sms,
                                         language=template.language)

    async def ListMessages(self, request, context):
        ctx = require_program(context)
        limit = request.limit or 100
        if not 0 < limit <= MAX_LIST:
            raise invalid("limit", f"must be between 1 and {MAX_LIST}")
        found = await messages.log_of(self._pool, program_id=ctx.program_id, loyalty_number=request.loyalty_number,
                                      limit=limit)
        return pb.ListMessagesResponse(messages=[message_to_proto(m) for m in found])

    async def GetMessageSettings(self, request, context):
        ctx = require_program(context)
        return settings_to_proto(await messages.get_settings(self._pool, program_id=ctx.program_id))

    async def SaveMessageSettings(self, request, context):
        ctx = require_program(context)
        settings = messages.Settings(
            fallback_language=request.fallback_language or "en", time_zone=request.time_zone,
            quiet_start=_clock(request.quiet_start, "quietStart"), quiet_end=_clock(request.quiet_end, "quietEnd"),
            expiry_offsets=tuple(request.expiry_offsets))
        await messages.save_settings(self._pool, program_id=ctx.program_id, settings=settings)
        return settings_to_proto(await messages.get_settings(self._pool, program_id=ctx.program_id))

    async def SendPasscode(self, request, context):
        ctx = require_program(context)
        if not request.code or not 0 < request.valid_minutes <= 1440:
            raise invalid("code", "a code and its minutes of validity (1 to 1440) are required")
        channel, recipient = await messages.send_passcode(
            self._messenger, program_id=ctx.program_id, loyalty_number=request.loyalty_number, code=request.code,
            minutes=request.valid_minutes)
        return pb.SendPasscodeResponse(channel=channel, recipient=recipient)

    async def SaveCdpConnector(self, request, context):
        ctx = require_program(context)
        command = cdp.SaveCommand(
            base_url=request.base_url, api_key=request.api_key,
            attributes=({a.field: a.attribute for a in request.attributes} if request.set_attributes else None),
            tag=request.tag, event_types=tuple(request.event_types) if request.set_event_types else None,
            active=request.active, debounce_seconds=request.debounce_seconds,
            creates_per_second=request.creates_per_second or cdp.people.DOCUMENTED["create"],
            updates_per_second=request.updates_per_second or cdp.people.DOCUMENTED["update"],
            tag_batch_size=request.tag_batch_size or cdp.people.MAX_TAG_BATCH,
            active_within_days=request.active_within_days or 365, by=ctx.principal)
        saved = await cdp.save(self._pool, program_id=ctx.program_id, command=command,
                               allow_private=self._options.allow_private_targets)
        self._on_cdp(ctx.program_id)
        return connector_to_proto(saved, await cdp.backlog(self._pool, program_id=ctx.program_id))

    async def GetCdpConnector(self, request, context):
        ctx = require_program(context)
        found = await cdp.get(self._pool, program_id=ctx.program_id)
        if found is None:
            raise not_found("CDP connector of program", str(ctx.program_id))
        return connector_to_proto(found, await cdp.backlog(self._pool, program_id=ctx.program_id))

    async def TagCdpPeople(self, request, context):
        ctx = require_program(context)
        if request.all_members == bool(request.loyalty_numbers):
            raise invalid("loyaltyNumbers", "name the members, or ask for all members (not both)")
        job = await cdp.start_job(self._pool, program_id=ctx.program_id, kind="untag" if request.remove else "tag",
                                  loyalty_numbers=None if request.all_members else list(request.loyalty_numbers),
                                  by=ctx.principal)
        self._on_cdp(ctx.program_id)
        return job_to_proto(job)

    async def StartCdpBackfill(self, request, context):
        ctx = require_program(context)
        job = await cdp.start_job(self._pool, program_id=ctx.program_id, kind="backfill", loyalty_numbers=None,
                                  by=ctx.principal)
        self._on_cdp(ctx.program_id)
        return job_to_proto(job)

    async def ListCdpJobs(self, request, context):
        ctx = require_program(context)
        limit = request.limit or 20
        if not 0 < limit <= 200:
            raise invalid("limit", "must be between 1 and 200")
        return pb.ListCdpJobsResponse(jobs=[job_to_proto(j) for j in
                                            await cdp.list_jobs(self._pool, program_id=ctx.program_id, limit=limit)])


def connector_to_proto(c: cdp.Connector, backlog: cdp.Backlog) -> pb.CdpConnector:
    return pb.CdpConnector(
        base_url=c.base_url, api_key_set=bool(c.api_key),
        attributes=[pb.CdpAttribute(field=f, attribute=a) for f, a in c.attributes.items()], tag=c.tag,
        event_types=list(c.event_types), active=c.active, debounce_seconds=c.debounce_seconds,
        creates_per_second=c.creates_per_second, updates_per_second=c.updates_per_second,
        tag_batch_size=c.tag_batch_size, active_within_days=c.active_within_days, updated_at=_time(c.updated_at),
        updated_by=c.updated_by, pending=backlog.pending, failed=backlog.failed, last_error=backlog.last_error)


def job_to_proto(j: cdp.Job) -> pb.CdpJob:
    return pb.CdpJob(id=str(j.id), kind=j.kind, status=j.status, done=j.done, failed=j.failed, total=j.total or 0,
                     last_error=j.last_error, created_at=_time(j.created_at), updated_at=_time(j.updated_at),
                     finished_at=_time(j.finished_at))


def _clock(value: str, field: str) -> dt.time:
    if not value:
        return dt.time(0)
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise invalid(field, f"{value!r} is not a time of day HH:MM") from None


def settings_to_proto(s: messages.Settings) -> pb.MessageSettings:
    return pb.MessageSettings(fallback_language=s.fallback_language, time_zone=s.time_zone,
                              quiet_start=s.quiet_start.strftime("%H:%M"), quiet_end=s.quiet_end.strftime("%H:%M"),
                              expiry_offsets=list(s.expiry_offsets))


def register(server: grpc.aio.Server, servicer: NotificationsServicer) -> None:
    pb_grpc.add_NotificationsServiceServicer_to_server(servicer, server)
