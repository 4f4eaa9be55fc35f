"""Every domain's dataloaders, made once per request (a module-level loader would cache across requests)."""

import dataclasses

from gateway.members.dataloaders import MemberByLoyaltyNumberLoader
from gateway.points.dataloaders import PointsSummaryByLoyaltyNumberLoader
from gateway.programs.dataloaders import ProgramByCodeLoader
from gateway.services import Services


@dataclasses.dataclass
class Loaders:
    program_by_code: ProgramByCodeLoader
    member_by_loyalty_number: MemberByLoyaltyNumberLoader
    points_summary_by_loyalty_number: PointsSummaryByLoyaltyNumberLoader


def make_loaders(services: Services, *, principal: str) -> Loaders:
    programs = ProgramByCodeLoader(services)
    return Loaders(
        program_by_code=programs,
        member_by_loyalty_number=MemberByLoyaltyNumberLoader(services, programs=programs, principal=principal),
        points_summary_by_loyalty_number=PointsSummaryByLoyaltyNumberLoader(
            services, programs=programs, principal=principal
        ),
    )
