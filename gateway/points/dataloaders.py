from loyalty.points.v1 import points_service_pb2 as points_pb
from services.common.tenancy import outgoing_metadata

from gateway.dataloader_base import PerKeyLoader
from gateway.programs.dataloaders import ProgramByCodeLoader
from gateway.services import Services, rpc


class PointsSummaryByLoyaltyNumberLoader(PerKeyLoader[tuple[str, str], points_pb.PointsSummary]):
    """Keyed by (program code, loyalty number)."""

    def __init__(self, services: Services, *, programs: ProgramByCodeLoader, principal: str):
        async def fetch(key: tuple[str, str]) -> points_pb.PointsSummary:
            code, number = key
            program = await programs.load(code)
            md = outgoing_metadata(program_id=program.id, principal=principal)
            return await rpc(
                services.points.GetSummary(points_pb.GetSummaryRequest(loyalty_number=number), metadata=md, timeout=5)
            )

        super().__init__(fetch)
