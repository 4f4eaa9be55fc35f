"""The points service, assembled: the one place that decides which parts run together.

Read this first. The ledger (ledger/) is the floor: it knows nothing of rules. The rules engine
(rules/) is handed to it as the earn policy (RulesEarnPolicy) and as the ledger's hooks
(RulesHooks: the welcome bonus, the give-back of caps on a void). The legacy importer
(importing/) posts through the same ledger. Ledger events leave through LedgerEventRelay.
"""

import pathlib

import asyncpg
import grpc

from loyalty.notifications.v1 import notifications_service_pb2_grpc as notifications_grpc
from loyalty.points.v1 import points_service_pb2
from services.common.cache import open_cache
from services.common.event_export import start_export
from services.common.server import ServiceDefinition, run
from services.common.settings import ServiceSettings, load_settings
from services.points import api
from services.points.importing import api as import_api
from services.points.ledger.cards import MemberCards
from services.points.ledger.events import LedgerEventRelay, subscribers_from_settings
from services.points.rules import api as rules_api
from services.points.rules.facts import RemoteFacts
from services.points.rules.hooks import RulesHooks
from services.points.rules.policy import RulesEarnPolicy


class PointsSettings(ServiceSettings):
    grpc_port: int = 50052
    # Where ledger events go (each optional: an unset one is not a subscriber).
    member_addr: str | None = None
    tier_addr: str | None = None
    billing_addr: str | None = None
    # How long the ledger-event relay (and the export that follows it) lets events gather before a pass
    # (services/common/outbox.py RelayLoop.paced_step)
    ledger_events_linger_seconds: float = 0.05


async def export_events(stub: notifications_grpc.NotificationsServiceStub, batch, **call):
    """This service's outbox rows to the notifications service (services/common/event_export.py)."""
    return await stub.ConsumeSourceEvents(batch, **call)


def assemble(server: grpc.aio.Server, pool: asyncpg.Pool, settings) -> None:
    """The three servicers of this process over one pool (settings may be None in tests)."""
    facts = RemoteFacts.from_settings(settings)
    policy = RulesEarnPolicy(facts)
    hooks = RulesHooks()
    senders, _channels = subscribers_from_settings(settings)
    relay = LedgerEventRelay(pool, senders,
                             linger_seconds=getattr(settings, "ledger_events_linger_seconds", 0.0))
    relay.start()
    start_export(pool, settings, source="points", consume=export_events, relay=relay)
    cache = open_cache(getattr(settings, "ignite_addresses", None),
                       deadline_seconds=getattr(settings, "cache_deadline_seconds", 0.5))
    cards = MemberCards(cache)
    api.register(server, api.PointsServicer(pool, earn_policy=policy, hooks=hooks, relay=relay, cards=cards))
    rules_api.register(server, rules_api.RulesServicer(pool, policy, facts, relay=relay, cards=cards))
    import_api.register(server, import_api.PointsImportServicer(pool, hooks=hooks, cards=cards))


DEFINITION = ServiceDefinition(
    name="points",
    migrations=pathlib.Path(__file__).parent / "migrations",
    full_names=(points_service_pb2.DESCRIPTOR.services_by_name["PointsService"].full_name,),
    register=assemble,
)

if __name__ == "__main__":
    run(DEFINITION, load_settings(PointsSettings))
