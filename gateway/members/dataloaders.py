from loyalty.member.v1 import member_service_pb2 as member_pb
from services.common.tenancy import outgoing_metadata

from gateway.dataloader_base import PerKeyLoader
from gateway.programs.dataloaders import ProgramByCodeLoader
from gateway.services import Services, rpc


class MemberByLoyaltyNumberLoader(PerKeyLoader[tuple[str, str], member_pb.Member]):
    """Keyed by (program code, loyalty number)."""

    def __init__(self, services: Services, *, programs: ProgramByCodeLoader, principal: str):
        async def fetch(key: tuple[str, str]) -> member_pb.Member:
            code, number = key
            program = await programs.load(code)
            md = outgoing_metadata(program_id=program.id, principal=principal)
            return await rpc(
                services.member.GetMember(member_pb.GetMemberRequest(loyalty_number=number), metadata=md, timeout=5)
            )

        super().__init__(fetch)
