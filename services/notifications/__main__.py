"""The notifications service: events out. Read this first.

The services export their outbox rows here after commit (services/common/event_export.py); the
rows become the catalogue's events (catalogue.py, mapping.py, events.py), stored once each.
"""

import pathlib

from loyalty.notifications.v1 import notifications_service_pb2
from services.common.server import ServiceDefinition, run
from services.common.settings import ServiceSettings, load_settings
from services.notifications import api


class NotificationsSettings(ServiceSettings):
    grpc_port: int = 50057


def assemble(server, pool, settings) -> None:
    api.register(server, api.NotificationsServicer(pool))


DEFINITION = ServiceDefinition(
    name="notifications",
    migrations=pathlib.Path(__file__).parent / "migrations",
    full_names=(notifications_service_pb2.DESCRIPTOR.services_by_name["NotificationsService"].full_name,),
    register=assemble,
)

if __name__ == "__main__":
    run(DEFINITION, load_settings(NotificationsSettings))
