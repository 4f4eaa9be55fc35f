import pathlib

from loyalty.member.v1 import member_service_pb2
from loyalty.notifications.v1 import notifications_service_pb2_grpc as notifications_grpc
from services.common import clients
from services.common.event_export import start_export
from services.common.mail import smtp_sender
from services.common.outbox import OutboxRelay
from services.common.server import ServiceDefinition, run
from services.common.settings import load_settings
from services.member import api, events, import_api
from services.member import welcome
from services.member import program_config_api
from services.member.peers import PointsLedger
from services.member.settings import MemberSettings
from services.member.tenant_read import TenantReadConnection


async def export_events(stub: notifications_grpc.NotificationsServiceStub, batch, **call):
    """This service's outbox rows to the notifications service (services/common/event_export.py)."""
    return await stub.ConsumeSourceEvents(batch, **call)


def register(server, pool, settings: MemberSettings) -> None:
    points = PointsLedger(clients.channel(settings.points_addr))
    relay = OutboxRelay(pool, events.handlers(points))
    relay.start()
    start_export(pool, settings, source="member", consume=export_events, relay=relay)
    mail = welcome.MailRelay(pool, smtp_sender(settings))
    mail.start()
    api.register(server, api.MemberServicer(pool, relay, mail=mail, points=points))
    import_api.register(server, pool)
    program_config_api.register(server, pool)


DEFINITION = ServiceDefinition(
    name="member",
    migrations=pathlib.Path(__file__).parent / "migrations",
    full_names=(member_service_pb2.DESCRIPTOR.services_by_name["MemberService"].full_name,),
    register=register,
    connection_class=TenantReadConnection,  # searches skip the pool's reset query (tenant_read.py)
)

if __name__ == "__main__":
    run(DEFINITION, load_settings(MemberSettings))
