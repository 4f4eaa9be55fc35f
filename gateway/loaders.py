"""Every domain's dataloaders, made once per request (a module-level loader would cache across requests)."""

import dataclasses

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


@dataclasses.dataclass
class Loaders:
    program_by_code: ProgramByCodeLoader
    member_by_loyalty_number: MemberByLoyaltyNumberLoader
    points_summary_by_loyalty_number: PointsSummaryByLoyaltyNumberLoader
    member_tiers_by_loyalty_number: MemberTiersByLoyaltyNumberLoader
    recent_activity_by_loyalty_number: RecentActivityByLoyaltyNumberLoader
    segments_by_loyalty_number: SegmentsByLoyaltyNumberLoader
    status_history_by_loyalty_number: StatusHistoryByLoyaltyNumberLoader
    reward_by_code: RewardByCodeLoader
    reward_claim_by_reference: RewardClaimByReferenceLoader
    tier_slabs_by_program: TierSlabsByProgramLoader
    tier_progress_by_loyalty_number: TierProgressByLoyaltyNumberLoader
    partner_by_code: PartnerByCodeLoader
    rule_set_by_code: RuleSetByCodeLoader
    clubs_by_loyalty_number: ClubsByLoyaltyNumberLoader


def make_loaders(services: Services, *, principal: str) -> Loaders:
    programs = ProgramByCodeLoader(services)
    return Loaders(
        program_by_code=programs,
        member_by_loyalty_number=MemberByLoyaltyNumberLoader(services, programs=programs, principal=principal),
        points_summary_by_loyalty_number=PointsSummaryByLoyaltyNumberLoader(
            services, programs=programs, principal=principal
        ),
        member_tiers_by_loyalty_number=MemberTiersByLoyaltyNumberLoader(services, programs=programs, principal=principal),
        recent_activity_by_loyalty_number=RecentActivityByLoyaltyNumberLoader(
            services, programs=programs, principal=principal),
        segments_by_loyalty_number=SegmentsByLoyaltyNumberLoader(services, programs=programs, principal=principal),
        status_history_by_loyalty_number=StatusHistoryByLoyaltyNumberLoader(
            services, programs=programs, principal=principal),
        reward_by_code=RewardByCodeLoader(services, programs=programs, principal=principal),
        reward_claim_by_reference=RewardClaimByReferenceLoader(services, programs=programs, principal=principal),
        tier_slabs_by_program=TierSlabsByProgramLoader(services, programs=programs, principal=principal),
        tier_progress_by_loyalty_number=TierProgressByLoyaltyNumberLoader(
            services, programs=programs, principal=principal),
        partner_by_code=PartnerByCodeLoader(services, programs=programs, principal=principal),
        rule_set_by_code=RuleSetByCodeLoader(services, programs=programs, principal=principal),
        clubs_by_loyalty_number=ClubsByLoyaltyNumberLoader(services, programs=programs, principal=principal),
    )
