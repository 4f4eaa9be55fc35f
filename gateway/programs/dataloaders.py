from loyalty.common.v1 import program_pb2
from loyalty.member.v1 import member_service_pb2 as member_pb

from gateway.dataloader_base import PerKeyLoader
from gateway.services import Services, rpc


class ProgramByCodeLoader(PerKeyLoader[str, program_pb2.ProgramSpec]):
    def __init__(self, services: Services):
        async def fetch(code: str) -> program_pb2.ProgramSpec:
            known = services.programs.get(code)
            if known is not None:
                return known
            spec = await rpc(services.member.GetProgram(member_pb.GetProgramRequest(code=code), timeout=5))
            services.programs.put(spec)
            return spec

        super().__init__(fetch)
