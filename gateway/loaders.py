"""Every domain's dataloaders, made once per request (a module-level loader would cache across requests).

Each is built on first use: a request touches one or two of them, and building all of them for
every request was a measurable share of the gateway's CPU per POS call.
"""

from functools import cached_property

from gateway.billing.dataloaders import PartnerByCodeLoader
from gateway.members.dataloaders import (
    MemberByLoyaltyNumberLoader,
    MemberTiersByLoyaltyNumberLoader,
    RecentActivityByLoyaltyNumberLoader,
    SegmentsByLoyaltyNumberLoader,
    StatusHistoryByLoyaltyNumberLoader,
)
from gateway.points.dataloaders import PointsSummaryByLoyaltyNumberLoader
from gateway.program_config.dataloaders import ClubsByLoyaltyNumberLoader
from gateway.programs.dataloaders import ProgramByCodeLoader
from gateway.rewards.dataloaders import RewardByCodeLoader, RewardClaimByReferenceLoader
from gateway.rules.dataloaders import RuleSetByCodeLoader
from gateway.services import Services
from gateway.tiers.dataloaders import TierProgressByLoyaltyNumberLoader, TierSlabsByProgramLoader


class Loaders:
    def __init__(self, services: Services, *, principal: str):
        self._services = services
        self._principal = principal

    def _make(self, loader_type):
        return loader_type(self._services, programs=self.program_by_code, principal=self._principal)

    @cached_property
    def program_by_code(self) -> ProgramByCodeLoader:
        return ProgramByCodeLoader(self._services)

    @cached_property
    def member_by_loyalty_number(self) -> MemberByLoyaltyNumberLoader:
        return self._make(MemberByLoyaltyNumberLoader)

    @cached_property
    def points_summary_by_loyalty_number(self) -> PointsSummaryByLoyaltyNumberLoader:
        return self._make(PointsSummaryByLoyaltyNumberLoader)

    @cached_property
    def member_tiers_by_loyalty_number(self) -> MemberTiersByLoyaltyNumberLoader:
        return self._make(MemberTiersByLoyaltyNumberLoader)

    @cached_property
    def recent_activity_by_loyalty_number(self) -> RecentActivityByLoyaltyNumberLoader:
        return self._make(RecentActivityByLoyaltyNumberLoader)

    @cached_property
    def segments_by_loyalty_number(self) -> SegmentsByLoyaltyNumberLoader:
        return self._make(SegmentsByLoyaltyNumberLoader)

    @cached_property
    def status_history_by_loyalty_number(self) -> StatusHistoryByLoyaltyNumberLoader:
        return self._make(StatusHistoryByLoyaltyNumberLoader)

    @cached_property
    def reward_by_code(self) -> RewardByCodeLoader:
        return self._make(RewardByCodeLoader)

    @cached_property
    def reward_claim_by_reference(self) -> RewardClaimByReferenceLoader:
        return self._make(RewardClaimByReferenceLoader)

    @cached_property
    def tier_slabs_by_program(self) -> TierSlabsByProgramLoader:
        return self._make(TierSlabsByProgramLoader)

    @cached_property
    def tier_progress_by_loyalty_number(self) -> TierProgressByLoyaltyNumberLoader:
        return self._make(TierProgressByLoyaltyNumberLoader)

    @cached_property
    def partner_by_code(self) -> PartnerByCodeLoader:
        return self._make(PartnerByCodeLoader)

    @cached_property
    def rule_set_by_code(self) -> RuleSetByCodeLoader:
        return self._make(RuleSetByCodeLoader)

    @cached_property
    def clubs_by_loyalty_number(self) -> ClubsByLoyaltyNumberLoader:
        return self._make(ClubsByLoyaltyNumberLoader)


def make_loaders(services: Services, *, principal: str) -> Loaders:
    return Loaders(services, principal=principal)
