from loyalty.tier.v1 import tier_service_pb2 as tier_pb
from services.common.tenancy import outgoing_metadata

from gateway.dataloader_base import PerKeyLoader
from gateway.programs.dataloaders import ProgramByCodeLoader
from gateway.services import Services, rpc


class TierSlabsByProgramLoader(PerKeyLoader[str, tier_pb.ListSlabsResponse]):
    """Keyed by program code."""

    def __init__(self, services: Services, *, programs: ProgramByCodeLoader, principal: str):
        async def fetch(code: str) -> tier_pb.ListSlabsResponse:
            program = await programs.load(code)
            md = outgoing_metadata(program_id=program.id, principal=principal)
            return await rpc(services.tier.ListSlabs(tier_pb.ListSlabsRequest(), metadata=md, timeout=5))

        super().__init__(fetch)


class TierProgressByLoyaltyNumberLoader(PerKeyLoader[tuple[str, str, str], tier_pb.MemberProgress]):
    """Keyed by (program code, loyalty number, as-of date or "")."""

    def __init__(self, services: Services, *, programs: ProgramByCodeLoader, principal: str):
        async def fetch(key: tuple[str, str, str]) -> tier_pb.MemberProgress:
            code, number, as_of = key
            program = await programs.load(code)
            md = outgoing_metadata(program_id=program.id, principal=principal)
            return await rpc(services.tier.GetProgress(
                tier_pb.GetProgressRequest(loyalty_number=number, as_of=as_of), metadata=md, timeout=5))

        super().__init__(fetch)
