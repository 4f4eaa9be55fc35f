import strawberry

from loyalty.notifications.v1 import notifications_service_pb2 as pb


@strawberry.type(description="A business event the platform emits (docs/events.md): its data's JSON Schema.")
class EventType:
    name: str
    version: int
    description: str
    source: str = strawberry.field(description="The service whose outbox it comes from")
    emitted: bool = strawberry.field(description="False: documented, not yet produced (note says why)")
    note: str
    schema_json: str = strawberry.field(description="JSON Schema of the event's data")

    @classmethod
    def from_proto(cls, e: pb.EventType) -> "EventType":
        return cls(name=e.name, version=e.version, description=e.description, source=e.source, emitted=e.emitted,
                   note=e.note, schema_json=e.schema_json)


@strawberry.type(description="Where a program's events go: signed POSTs of the chosen event types to a URL.")
class WebhookSubscription:
    id: strawberry.ID
    url: str
    event_types: list[str]
    active: bool
    description: str
    created_at: str
    updated_at: str
    secret_rotated_at: str | None
    previous_secret_expires_at: str | None = strawberry.field(
        description="Until then the previous secret signs too (after a rotation with a grace period)")

    @classmethod
    def from_proto(cls, s: pb.Subscription) -> "WebhookSubscription":
        return cls(id=strawberry.ID(s.id), url=s.url, event_types=list(s.event_types), active=s.active,
                   description=s.description, created_at=s.created_at, updated_at=s.updated_at,
                   secret_rotated_at=s.secret_rotated_at or None,
                   previous_secret_expires_at=s.previous_secret_expires_at or None)


@strawberry.type(description="A subscription with its signing secret: shown this once, never again.")
class WebhookSubscriptionWithSecret:
    subscription: WebhookSubscription
    secret: str

    @classmethod
    def from_proto(cls, made: pb.SubscriptionWithSecret) -> "WebhookSubscriptionWithSecret":
        return cls(subscription=WebhookSubscription.from_proto(made.subscription), secret=made.secret)


@strawberry.type
class WebhookAttempt:
    attempted_at: str
    status_code: int | None = strawberry.field(description="None: no HTTP answer (timeout, refused, connection)")
    latency_ms: int
    error: str | None


@strawberry.type(description="One event to one subscription: its attempts and where it stands.")
class WebhookDelivery:
    id: strawberry.ID
    subscription_id: strawberry.ID
    event_id: str
    event_type: str
    kind: str = strawberry.field(description="live, redelivery or replay")
    status: str = strawberry.field(description="pending (retrying), delivered, dead (retries gave up)")
    attempts: int
    next_attempt_at: str | None
    last_attempt_at: str | None
    last_status_code: int | None
    last_latency_ms: int | None
    last_error: str | None
    delivered_at: str | None
    created_at: str
    attempt_log: list[WebhookAttempt]

    @classmethod
    def from_proto(cls, d: pb.Delivery) -> "WebhookDelivery":
        return cls(
            id=strawberry.ID(str(d.id)), subscription_id=strawberry.ID(d.subscription_id), event_id=d.event_id,
            event_type=d.event_type, kind=d.kind, status=d.status, attempts=d.attempts,
            next_attempt_at=d.next_attempt_at or None, last_attempt_at=d.last_attempt_at or None,
            last_status_code=d.last_status_code or None, last_latency_ms=d.last_latency_ms if d.attempts else None,
            last_error=d.last_error or None, delivered_at=d.delivered_at or None, created_at=d.created_at,
            attempt_log=[WebhookAttempt(attempted_at=a.attempted_at, status_code=a.status_code or None,
                                        latency_ms=a.latency_ms, error=a.error or None) for a in d.attempt_log])


@strawberry.input
class CreateWebhookSubscriptionInput:
    program: str
    url: str
    event_types: list[str] = strawberry.field(description="Catalogue names (eventTypes query); at least one")
    active: bool = True
    description: str = ""


@strawberry.input
class UpdateWebhookSubscriptionInput:
    program: str
    id: strawberry.ID
    url: str | None = None
    event_types: list[str] | None = None
    active: bool | None = None
    description: str | None = None


@strawberry.input
class WebhookSubscriptionRef:
    program: str
    id: strawberry.ID


@strawberry.input
class RotateWebhookSecretInput:
    program: str
    id: strawberry.ID
    grace_seconds: int = strawberry.field(default=86400,
                                          description="How long the previous secret still signs (0: not at all)")


@strawberry.input
class RedeliverWebhookInput:
    program: str
    delivery_id: strawberry.ID


@strawberry.input
class ReplayWebhookEventsInput:
    program: str
    subscription_id: strawberry.ID
    from_: str = strawberry.field(name="from", description="RFC 3339, inclusive (the events' occurredAt)")
    to: str = strawberry.field(description="RFC 3339, exclusive")


@strawberry.type
class ReplayWebhookEventsResult:
    deliveries: int
