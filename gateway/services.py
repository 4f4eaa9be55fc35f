"""Stubs for every gRPC service the gateway calls, one channel per process for the gateway's life."""

import dataclasses
from collections.abc import Awaitable
from typing import TypeVar

from loyalty.billing.v1 import billing_service_pb2_grpc
from loyalty.identity.v1 import identity_service_pb2_grpc
from loyalty.member.v1 import member_import_service_pb2_grpc, member_service_pb2_grpc, program_config_service_pb2_grpc
from loyalty.notifications.v1 import notifications_service_pb2_grpc
from loyalty.points.v1 import points_service_pb2_grpc, rules_service_pb2_grpc
from loyalty.rewards.v1 import rewards_service_pb2_grpc
from loyalty.tier.v1 import tier_service_pb2_grpc
from services.common import clients
from services.common.cache import NoCache, SharedCache, open_cache
from services.common.errors import DomainError, ErrorCode
from gateway.errors import from_domain
from gateway.programs.directory import ProgramDirectory
from gateway.settings import GatewaySettings

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Services:
    member: member_service_pb2_grpc.MemberServiceStub
    program_config: program_config_service_pb2_grpc.ProgramConfigServiceStub  # served by the member process
    member_import: member_import_service_pb2_grpc.MemberImportServiceStub  # the import records (member process)
    points: points_service_pb2_grpc.PointsServiceStub
    rules: rules_service_pb2_grpc.RulesServiceStub  # served by the points process
    tier: tier_service_pb2_grpc.TierServiceStub
    rewards: rewards_service_pb2_grpc.RewardsServiceStub
    billing: billing_service_pb2_grpc.BillingServiceStub
    identity: identity_service_pb2_grpc.IdentityServiceStub
    notifications: notifications_service_pb2_grpc.NotificationsServiceStub
    addresses: dict[str, str]
    channels: tuple
    programs: ProgramDirectory
    cache: SharedCache = dataclasses.field(default_factory=NoCache)  # shared by every replica (docs/cache.md)

    async def close(self) -> None:
        for ch in self.channels:
            await ch.close()
        await self.cache.close()

    @classmethod
    def connect(cls, settings: GatewaySettings) -> "Services":
        addresses = {
            "member": settings.member_addr, "points": settings.points_addr, "tier": settings.tier_addr,
            "rewards": settings.rewards_addr, "billing": settings.billing_addr, "identity": settings.identity_addr,
            "notifications": settings.notifications_addr,
        }
        # clients.channel holds each call to the request's deadline (services/common/deadlines.py)
        # and, multiplexed, sends them as messages on a few long-lived streams (services/common/multiplex.py)
        channels = {name: clients.channel(address, multiplexed=settings.multiplex_calls)
                    for name, address in addresses.items()}
        return cls(
            member=member_service_pb2_grpc.MemberServiceStub(channels["member"]),
            program_config=program_config_service_pb2_grpc.ProgramConfigServiceStub(channels["member"]),
            member_import=member_import_service_pb2_grpc.MemberImportServiceStub(channels["member"]),
            points=points_service_pb2_grpc.PointsServiceStub(channels["points"]),
            rules=rules_service_pb2_grpc.RulesServiceStub(channels["points"]),
            tier=tier_service_pb2_grpc.TierServiceStub(channels["tier"]),
            rewards=rewards_service_pb2_grpc.RewardsServiceStub(channels["rewards"]),
            billing=billing_service_pb2_grpc.BillingServiceStub(channels["billing"]),
            identity=identity_service_pb2_grpc.IdentityServiceStub(channels["identity"]),
            notifications=notifications_service_pb2_grpc.NotificationsServiceStub(channels["notifications"]),
            addresses=addresses,
            channels=tuple(channels.values()),
            programs=ProgramDirectory(settings.program_cache_seconds),
            cache=open_cache(settings.ignite_addresses, deadline_seconds=settings.cache_deadline_seconds),
        )


# What a client is told when a service cannot answer: retryable, and nothing about where it runs.
UNAVAILABLE_MESSAGE = "service unavailable: retry (a mutation with the same reference)"


async def rpc(pending: Awaitable[T]) -> T:
    """Await a call; a refusal from the service becomes a GraphQL error with its reason code."""
    try:
        return await clients.call(pending)
    except DomainError as err:
        if err.code == ErrorCode.UNAVAILABLE:
            err = DomainError(ErrorCode.UNAVAILABLE, UNAVAILABLE_MESSAGE)
        elif err.code == ErrorCode.INTERNAL:
            err = DomainError(ErrorCode.INTERNAL, "internal error")
        raise from_domain(err) from None
