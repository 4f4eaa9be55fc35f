from loyalty.member.v1 import program_config_service_pb2 as config_pb
from services.common.tenancy import outgoing_metadata

from gateway.dataloader_base import PerKeyLoader
from gateway.programs.dataloaders import ProgramByCodeLoader
from gateway.services import Services, rpc


class ClubsByLoyaltyNumberLoader(PerKeyLoader[tuple[str, str], config_pb.MemberClubs]):
    """Keyed by (program code, loyalty number)."""

    def __init__(self, services: Services, *, programs: ProgramByCodeLoader, principal: str):
        async def fetch(key: tuple[str, str]) -> config_pb.MemberClubs:
            program_code, number = key
            program = await programs.load(program_code)
            md = outgoing_metadata(program_id=program.id, principal=principal)
            return await rpc(services.program_config.GetMemberClubs(
                config_pb.GetMemberClubsRequest(loyalty_number=number), metadata=md, timeout=10))

        super().__init__(fetch)
