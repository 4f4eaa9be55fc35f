import strawberry

from loyalty.notifications.v1 import notifications_service_pb2 as pb

from gateway.cdp.types import (
    CdpConnector, CdpJob, SaveCdpConnectorInput, StartCdpBackfillInput, TagCdpMembersInput,
)
from gateway.context import Info
from gateway.permissions import Allow, P
from gateway.services import rpc


@strawberry.type
class CdpMutations:
    @strawberry.mutation(permission_classes=[Allow(P.PROGRAM_MANAGE)],
                         description="Connect the program to Infobip People: base URL, API key (kept secret), "
                                     "attribute names, loyalty tag, which events to send")
    async def save_cdp_connector(self, info: Info, input: SaveCdpConnectorInput) -> CdpConnector:
        md = await info.context.metadata(input.program)
        request = pb.SaveCdpConnectorRequest(
            base_url=input.base_url, api_key=input.api_key or "", tag=input.tag, active=input.active,
            debounce_seconds=input.debounce_seconds, creates_per_second=input.creates_per_second,
            updates_per_second=input.updates_per_second, tag_batch_size=input.tag_batch_size,
            active_within_days=input.active_within_days)
        if input.attributes is not None:
            request.attributes.extend(pb.CdpAttribute(field=a.field, attribute=a.attribute) for a in input.attributes)
            request.set_attributes = True
        if input.event_types is not None:
            request.event_types.extend(input.event_types)
            request.set_event_types = True
        return CdpConnector.from_proto(await rpc(info.context.services.notifications.SaveCdpConnector(
            request, metadata=md, timeout=10)))

    @strawberry.mutation(permission_classes=[Allow(P.PROGRAM_MANAGE)],
                         description="Set (or remove) the loyalty tag in People on one member, many, or all")
    async def tag_cdp_members(self, info: Info, input: TagCdpMembersInput) -> CdpJob:
        md = await info.context.metadata(input.program)
        return CdpJob.from_proto(await rpc(info.context.services.notifications.TagCdpPeople(
            pb.TagCdpPeopleRequest(loyalty_numbers=input.loyalty_numbers or [], all_members=input.all_members,
                                   remove=input.remove), metadata=md, timeout=30)))

    @strawberry.mutation(permission_classes=[Allow(P.PROGRAM_MANAGE)],
                         description="Send every member's person, attributes and tag to People (resumable)")
    async def start_cdp_backfill(self, info: Info, input: StartCdpBackfillInput) -> CdpJob:
        md = await info.context.metadata(input.program)
        return CdpJob.from_proto(await rpc(info.context.services.notifications.StartCdpBackfill(
            pb.StartCdpBackfillRequest(), metadata=md, timeout=10)))
