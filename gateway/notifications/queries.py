import strawberry

from loyalty.notifications.v1 import notifications_service_pb2 as pb

from gateway.context import Info
from gateway.errors import invalid_input
from gateway.notifications.types import EventType, WebhookDelivery, WebhookSubscription
from gateway.permissions import Allow, P
from gateway.services import rpc


def delivery_id(value: str, field: str) -> int:
    if not str(value).isdigit():
        raise invalid_input(field, "is not a delivery id")
    return int(value)


@strawberry.type
class NotificationsQueries:
    @strawberry.field(permission_classes=[Allow(P.WEBHOOK_READ)],
                      description="The event catalogue: what webhooks can subscribe to (docs/events.md)")
    async def event_types(self, info: Info, program: str) -> list[EventType]:
        md = await info.context.metadata(program)
        reply = await rpc(info.context.services.notifications.ListEventTypes(pb.ListEventTypesRequest(), metadata=md,
                                                                            timeout=5))
        return [EventType.from_proto(e) for e in reply.event_types]

    @strawberry.field(permission_classes=[Allow(P.WEBHOOK_READ)])
    async def webhook_subscriptions(self, info: Info, program: str) -> list[WebhookSubscription]:
        md = await info.context.metadata(program)
        reply = await rpc(info.context.services.notifications.ListSubscriptions(
            pb.ListSubscriptionsRequest(), metadata=md, timeout=5))
        return [WebhookSubscription.from_proto(s) for s in reply.subscriptions]

    @strawberry.field(permission_classes=[Allow(P.WEBHOOK_READ)],
                      description="A subscription's delivery log, newest first; `before` pages on (a delivery id)")
    async def webhook_deliveries(self, info: Info, program: str, subscription_id: strawberry.ID,
                                 status: str | None = None, first: int = 50,
                                 before: strawberry.ID | None = None) -> list[WebhookDelivery]:
        md = await info.context.metadata(program)
        reply = await rpc(info.context.services.notifications.ListDeliveries(pb.ListDeliveriesRequest(
            subscription_id=str(subscription_id), status=status or "", limit=first,
            before_id=delivery_id(before, "before") if before else 0), metadata=md, timeout=10))
        return [WebhookDelivery.from_proto(d) for d in reply.deliveries]
