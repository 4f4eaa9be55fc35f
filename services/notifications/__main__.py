"""The notifications service: events out. Read this first.

The services export their outbox rows here after commit (services/common/event_export.py); the
rows become the catalogue's events (catalogue.py, mapping.py, events.py), stored once each, and
each new event is queued for the program's webhook subscriptions that want it (subscriptions.py),
which the dispatcher (dispatch.py) sends, signed (signing.py), to public addresses only (targets.py).
A program's CDP connector (cdp.py) is owed the person, attributes, loyalty events and tag of its
members, which cdp_sync.py sends to Infobip People (people.py) within the account's rate limits.
An event with a template kind also queues the member's message (messages.py, templates.py), which
the messenger sends by email or SMS (senders.py) as the member consented, outside quiet hours.
"""

import pathlib

from loyalty.notifications.v1 import notifications_service_pb2
from services.common.server import ServiceDefinition, run
from services.common.settings import ServiceSettings, load_settings
from services.common.mail import smtp_sender
import socket

from services.notifications import api, cdp_sync, peers, senders
from services.notifications.dispatch import Dispatcher, Options
from services.notifications.messages import Messenger


class NotificationsSettings(ServiceSettings):
    grpc_port: int = 50057
    # Webhooks (dispatch.Options): a receiver's answer is awaited this long; a failed delivery is retried
    # after base * 2^(attempt-1) seconds (at most max, jittered) for the retry window, then dead-lettered.
    webhook_timeout_seconds: float = 10.0
    webhook_backoff_base_seconds: float = 5.0
    webhook_backoff_max_seconds: float = 3600.0
    webhook_retry_window_seconds: float = 24 * 3600.0
    webhook_concurrency_per_subscription: int = 4
    # Local development and tests only: let webhooks reach loopback and private addresses.
    webhook_allow_private_targets: bool = False
    # Member messages (messages.py): the member service is asked for consents and addresses; email goes
    # through the SMTP settings, SMS through Infobip when its base URL is set (else SMS is skipped).
    member_addr: str | None = None
    messages_sweep_seconds: float = 2.0
    infobip_base_url: str = ""
    infobip_api_key: str = ""
    infobip_sender: str = "Loyalty"
    # The CDP connector (cdp_sync.py) reads members' profiles from these services; without them it is off.
    points_addr: str | None = None
    tier_addr: str | None = None
    rewards_addr: str | None = None
    cdp_sweep_seconds: float = 1.0


def options(settings: NotificationsSettings | None) -> Options:
    if settings is None:
        return Options()
    return Options(timeout_seconds=settings.webhook_timeout_seconds,
                   backoff_base_seconds=settings.webhook_backoff_base_seconds,
                   backoff_max_seconds=settings.webhook_backoff_max_seconds,
                   retry_window_seconds=settings.webhook_retry_window_seconds,
                   concurrency_per_subscription=settings.webhook_concurrency_per_subscription,
                   allow_private_targets=settings.webhook_allow_private_targets)


def assemble(server, pool, settings) -> None:
    opts = options(settings)
    dispatcher = Dispatcher(pool, opts)
    dispatcher.start()
    messenger = Messenger(pool, member_addr=getattr(settings, "member_addr", None),
                          email=smtp_sender(settings) if settings else None,
                          sms=senders.sms_sender(settings) if settings else None,
                          sweep_seconds=getattr(settings, "messages_sweep_seconds", 2.0))
    messenger.start()

    sync = None
    addrs = [getattr(settings, f"{s}_addr", None) for s in ("member", "points", "tier", "rewards")]
    if all(addrs):
        profiles = peers.Profiles(member_addr=addrs[0], points_addr=addrs[1], tier_addr=addrs[2],
                                  rewards_addr=addrs[3])
        # named by host and port: this process restarted takes its programs' leases back at once
        sync_options = cdp_sync.Options(sweep_seconds=settings.cdp_sweep_seconds,
                                        allow_private_targets=settings.webhook_allow_private_targets)
        sync = cdp_sync.CdpSync(pool, profiles=profiles, options=sync_options,
                                holder=f"{socket.gethostname()}:{settings.grpc_port}")
        sync.start()
        sync.kick()

    def on_cdp(program_id=None) -> None:
        if sync is not None:
            sync.notify(program_id)

    def on_events(program_id=None) -> None:
        dispatcher.notify(program_id)
        messenger.notify(program_id)
        on_cdp(program_id)

    api.register(server, api.NotificationsServicer(pool, options=opts, on_events=on_events, messenger=messenger,
                                                   on_cdp=on_cdp))


DEFINITION = ServiceDefinition(
    name="notifications",
    migrations=pathlib.Path(__file__).parent / "migrations",
    full_names=(notifications_service_pb2.DESCRIPTOR.services_by_name["NotificationsService"].full_name,),
    register=assemble,
)

if __name__ == "__main__":
    run(DEFINITION, load_settings(NotificationsSettings))
