from loyalty.billing.v1 import billing_service_pb2 as pb
from services.common.tenancy import outgoing_metadata

from gateway.dataloader_base import PerKeyLoader
from gateway.programs.dataloaders import ProgramByCodeLoader
from gateway.services import Services, rpc


class PartnerByCodeLoader(PerKeyLoader[tuple[str, str], pb.Partner]):
    """Keyed by (program code, partner code)."""

    def __init__(self, services: Services, *, programs: ProgramByCodeLoader, principal: str):
        async def fetch(key: tuple[str, str]) -> pb.Partner:
            program_code, partner_code = key
            program = await programs.load(program_code)
            md = outgoing_metadata(program_id=program.id, principal=principal)
            return await rpc(services.billing.GetPartner(pb.GetPartnerRequest(code=partner_code), metadata=md,
                                                         timeout=5))

        super().__init__(fetch)
