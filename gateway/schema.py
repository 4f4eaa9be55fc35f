"""The federated schema, composed from one package per domain."""

import strawberry
from strawberry.schema.config import StrawberryConfig

from gateway.billing.mutations import BillingMutations
from gateway.billing.queries import BillingQueries
from gateway.cdp.mutations import CdpMutations
from gateway.cdp.queries import CdpQueries
from gateway.execution import PlainFieldExecutionContext
from gateway.identity.api_keys import ApiKeyMutations, ApiKeyQueries
from gateway.identity.mutations import IdentityMutations, MemberSelfMutations
from gateway.identity.queries import IdentityQueries
from gateway.imports.queries import ImportQueries
from gateway.members.mutations import MemberMutations
from gateway.members.queries import MemberQueries
from gateway.notifications.messages import (
    MessageMutations, MessageQueries, MessageSettingsMutations, MessageSettingsQueries,
)
from gateway.notifications.mutations import NotificationsMutations
from gateway.notifications.queries import NotificationsQueries
from gateway.points.mutations import PointsMutations
from gateway.profiles.queries import ProfileQueries
from gateway.points.queries import PointsQueries
from gateway.program_config.mutations import ProgramConfigMutations
from gateway.program_config.queries import ProgramConfigQueries
from gateway.programs.mutations import ProgramMutations
from gateway.programs.queries import ProgramQueries
from gateway.rewards.mutations import RewardsMutations
from gateway.rewards.queries import RewardsQueries
from gateway.rule_vocabulary.queries import RuleVocabularyQueries
from gateway.rules.mutations import RulesMutations
from gateway.rules.queries import RulesQueries
from gateway.tiers.mutations import TierMutations
from gateway.tiers.queries import TierQueries
from gateway.document_cache import DocumentCache
from gateway.identity.audit import AuditExtension, AuditMutations, AuditQueries
from gateway.errors import is_fault
from gateway.federation import resolve_entities
from gateway.limits import DocumentLimits
from gateway.scalars import SCALAR_MAP

QUERIES = (ProgramQueries, MemberQueries, PointsQueries, RewardsQueries, BillingQueries, TierQueries,
           RulesQueries, ProgramConfigQueries, IdentityQueries, ApiKeyQueries, AuditQueries, RuleVocabularyQueries,
           NotificationsQueries, ProfileQueries, MessageQueries, MessageSettingsQueries, CdpQueries, ImportQueries)
MUTATIONS = (ProgramMutations, MemberMutations, PointsMutations, RewardsMutations, BillingMutations, TierMutations,
             RulesMutations, ProgramConfigMutations, IdentityMutations, ApiKeyMutations, AuditMutations, MemberSelfMutations,
             NotificationsMutations, MessageMutations,
             MessageSettingsMutations, CdpMutations)


@strawberry.type
class Query(*QUERIES):
    pass


@strawberry.type
class Mutation(*MUTATIONS):
    pass


class LoyaltySchema(strawberry.federation.Schema):
    async def entities_resolver(self, info: strawberry.Info,
                                representations: list[strawberry.federation.schema.FederationAny]):
        """Authenticated, permission-checked, fetched from the services (gateway/federation.py)."""
        return await resolve_entities(info, representations)

    def process_errors(self, errors, execution_context=None) -> None:
        """Refusals with a code are answers, not faults: log only the unexpected ones."""
        unexpected = [e for e in errors if is_fault(e)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


# Limits first: the caller's token limit and rules are set before DocumentCache parses and validates.
# POS documents repeat: parse and validate each distinct document once (most of a request's CPU otherwise).
# Plain scalar fields skip graphql-core's per-field machinery (gateway/execution.py).
schema = LoyaltySchema(query=Query, mutation=Mutation,
                       config=StrawberryConfig(scalar_map=SCALAR_MAP),
                       extensions=[DocumentLimits, DocumentCache, AuditExtension],
                       execution_context_class=PlainFieldExecutionContext)
