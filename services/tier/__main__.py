import pathlib

from loyalty.notifications.v1 import notifications_service_pb2_grpc as notifications_grpc
from loyalty.tier.v1 import tier_service_pb2
from services.common.event_export import start_export
from services.common.outbox import OutboxRelay
from services.common.server import ServiceDefinition, run
from services.common.settings import ServiceSettings, load_settings
from services.tier import api, import_api


class TierSettings(ServiceSettings):
    grpc_port: int = 50053


async def export_events(stub: notifications_grpc.NotificationsServiceStub, batch, **call):
    """This service's outbox rows to the notifications service (services/common/event_export.py)."""
    return await stub.ConsumeSourceEvents(batch, **call)


def register(server, pool, settings: TierSettings) -> None:
    # TIER_* events: no subscriber inside the platform (the relay marks them delivered and they stay
    # in the table as the record); they leave through the export to the notifications service.
    relay = OutboxRelay(pool, {})
    relay.start()
    start_export(pool, settings, source="tier", consume=export_events, relay=relay)
    api.register(server, pool, settings, relay)
    import_api.register(server, pool)


DEFINITION = ServiceDefinition(
    name="tier",
    migrations=pathlib.Path(__file__).parent / "migrations",
    full_names=(tier_service_pb2.DESCRIPTOR.services_by_name["TierService"].full_name,),
    register=register,
)

if __name__ == "__main__":
    run(DEFINITION, load_settings(TierSettings))
