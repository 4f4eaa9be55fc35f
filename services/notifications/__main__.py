"""The notifications service: events out. Read this first.

The services export their outbox rows here after commit (services/common/event_export.py); the
rows become the catalogue's events (catalogue.py, mapping.py, events.py), stored once each, and
each new event is queued for the program's webhook subscriptions that want it (subscriptions.py),
which the dispatcher (dispatch.py) sends, signed (signing.py), to public addresses only (targets.py).
"""

import pathlib

from loyalty.notifications.v1 import notifications_service_pb2
from services.common.server import ServiceDefinition, run
from services.common.settings import ServiceSettings, load_settings
from services.notifications import api
from services.notifications.dispatch import Dispatcher, Options


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
    api.register(server, api.NotificationsServicer(pool, options=opts, on_events=dispatcher.notify))


DEFINITION = ServiceDefinition(
    name="notifications",
    migrations=pathlib.Path(__file__).parent / "migrations",
    full_names=(notifications_service_pb2.DESCRIPTOR.services_by_name["NotificationsService"].full_name,),
    register=assemble,
)

if __name__ == "__main__":
    run(DEFINITION, load_settings(NotificationsSettings))
