from loyalty.points.v1 import points_service_pb2 as points_pb
from services.common.cache import member_cards
from services.common.tenancy import outgoing_metadata

from gateway.dataloader_base import PerKeyLoader
from gateway.programs.dataloaders import ProgramByCodeLoader
from gateway.services import Services, rpc


class PointsSummaryByLoyaltyNumberLoader(PerKeyLoader[tuple[str, str], points_pb.PointsSummary]):
    """Keyed by (program code, loyalty number). The member card in the shared cache first (written through
    by the points service after each posting, docs/cache.md); a miss asks the points service."""

    def __init__(self, services: Services, *, programs: ProgramByCodeLoader, principal: str):
        async def fetch(key: tuple[str, str]) -> points_pb.PointsSummary:
            code, number = key
            program = await programs.load(code)
            card = await member_cards.load(services.cache, program_id=program.id, loyalty_number=number)
            if card is not None:
                return points_pb.PointsSummary(**card)
            md = outgoing_metadata(program_id=program.id, principal=principal)
            return await rpc(
                services.points.GetSummary(points_pb.GetSummaryRequest(loyalty_number=number), metadata=md, timeout=5)
            )

        super().__init__(fetch)
