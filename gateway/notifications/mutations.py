import strawberry

from loyalty.notifications.v1 import notifications_service_pb2 as pb

from gateway.context import Info
from gateway.notifications.queries import delivery_id
from gateway.notifications.types import (
    CreateWebhookSubscriptionInput, RedeliverWebhookInput, ReplayWebhookEventsInput, ReplayWebhookEventsResult,
    RotateWebhookSecretInput, UpdateWebhookSubscriptionInput, WebhookDelivery, WebhookSubscription,
    WebhookSubscriptionRef, WebhookSubscriptionWithSecret,
)
from gateway.permissions import Allow, P
from gateway.services import rpc


@strawberry.type
class NotificationsMutations:
    @strawberry.mutation(permission_classes=[Allow(P.WEBHOOK_MANAGE)],
                         description="A new subscription; its signing secret is in this answer only")
    async def create_webhook_subscription(self, info: Info,
                                          input: CreateWebhookSubscriptionInput) -> WebhookSubscriptionWithSecret:
        md = await info.context.metadata(input.program)
        made = await rpc(info.context.services.notifications.CreateSubscription(pb.CreateSubscriptionRequest(
            url=input.url, event_types=input.event_types, active=input.active, description=input.description),
            metadata=md, timeout=10))
        return WebhookSubscriptionWithSecret.from_proto(made)

    @strawberry.mutation(permission_classes=[Allow(P.WEBHOOK_MANAGE)],
                         description="Change what is given; activate or pause it")
    async def update_webhook_subscription(self, info: Info,
                                          input: UpdateWebhookSubscriptionInput) -> WebhookSubscription:
        md = await info.context.metadata(input.program)
        request = pb.UpdateSubscriptionRequest(id=str(input.id))
        if input.url is not None:
            request.url = input.url
        if input.event_types is not None:
            request.event_types.extend(input.event_types)
            request.set_event_types = True
        if input.active is not None:
            request.active = input.active
        if input.description is not None:
            request.description = input.description
        updated = await rpc(info.context.services.notifications.UpdateSubscription(request, metadata=md, timeout=10))
        return WebhookSubscription.from_proto(updated)

    @strawberry.mutation(permission_classes=[Allow(P.WEBHOOK_MANAGE)],
                         description="Removes the subscription and its delivery log")
    async def delete_webhook_subscription(self, info: Info, input: WebhookSubscriptionRef) -> bool:
        md = await info.context.metadata(input.program)
        await rpc(info.context.services.notifications.DeleteSubscription(
            pb.DeleteSubscriptionRequest(id=str(input.id)), metadata=md, timeout=10))
        return True

    @strawberry.mutation(permission_classes=[Allow(P.WEBHOOK_MANAGE)],
                         description="A new signing secret (in this answer only); the previous one signs too "
                                     "for graceSeconds")
    async def rotate_webhook_secret(self, info: Info, input: RotateWebhookSecretInput) -> WebhookSubscriptionWithSecret:
        md = await info.context.metadata(input.program)
        made = await rpc(info.context.services.notifications.RotateSecret(
            pb.RotateSecretRequest(id=str(input.id), grace_seconds=input.grace_seconds), metadata=md, timeout=10))
        return WebhookSubscriptionWithSecret.from_proto(made)

    @strawberry.mutation(permission_classes=[Allow(P.WEBHOOK_MANAGE)],
                         description="The same event (same id) again, as a new delivery due now")
    async def redeliver_webhook(self, info: Info, input: RedeliverWebhookInput) -> WebhookDelivery:
        md = await info.context.metadata(input.program)
        made = await rpc(info.context.services.notifications.Redeliver(
            pb.RedeliverRequest(delivery_id=delivery_id(input.delivery_id, "deliveryId")), metadata=md, timeout=10))
        return WebhookDelivery.from_proto(made)

    @strawberry.mutation(permission_classes=[Allow(P.WEBHOOK_MANAGE)],
                         description="Every event that occurred in [from, to) of a type the subscription takes, "
                                     "delivered again")
    async def replay_webhook_events(self, info: Info, input: ReplayWebhookEventsInput) -> ReplayWebhookEventsResult:
        md = await info.context.metadata(input.program)
        request = pb.ReplayRequest(subscription_id=str(input.subscription_id), to=input.to)
        setattr(request, "from", input.from_)
        reply = await rpc(info.context.services.notifications.Replay(request, metadata=md, timeout=30))
        return ReplayWebhookEventsResult(deliveries=reply.deliveries)
