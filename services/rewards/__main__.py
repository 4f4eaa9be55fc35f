import pathlib

from loyalty.notifications.v1 import notifications_service_pb2_grpc as notifications_grpc
from loyalty.rewards.v1 import rewards_service_pb2
from services.common.event_export import start_export
from services.common.outbox import OutboxRelay
from services.common.mail import smtp_sender
from services.common.server import ServiceDefinition, run
from services.common.settings import load_settings
from services.rewards import api
from services.rewards.otp import OtpPolicy
from services.rewards.peers import Passcodes, Peers
from services.rewards.settings import RewardsSettings


async def export_events(stub: notifications_grpc.NotificationsServiceStub, batch, **call):
    """This service's outbox rows to the notifications service (services/common/event_export.py)."""
    return await stub.ConsumeSourceEvents(batch, **call)


def register(server, pool, settings: RewardsSettings) -> None:
    # REWARD_* and VOUCHER_ISSUED (events.py): no subscriber inside the platform (the relay marks them
    # delivered, the table keeps them as the record); they leave through the export, within its sweep.
    relay = OutboxRelay(pool, {}, sweep_seconds=1.0)
    relay.start()
    start_export(pool, settings, source="rewards", consume=export_events, relay=relay)
    peers = Peers(member_addr=settings.member_addr, points_addr=settings.points_addr, tier_addr=settings.tier_addr)
    policy = OtpPolicy(pepper=settings.rewards_otp_pepper, requests_per_hour=settings.rewards_otp_requests_per_hour)
    # passcodes go through the notifications service's template when it is there, else straight by mail
    passcodes = Passcodes(settings.notifications_addr) if settings.notifications_addr else None
    api.register(server, api.RewardsServicer(pool, peers=peers, sender=smtp_sender(settings), otp_policy=policy,
                                             passcodes=passcodes))


DEFINITION = ServiceDefinition(
    name="rewards",
    migrations=pathlib.Path(__file__).parent / "migrations",
    full_names=(rewards_service_pb2.DESCRIPTOR.services_by_name["RewardsService"].full_name,),
    register=register,
)

if __name__ == "__main__":
    run(DEFINITION, load_settings(RewardsSettings))
