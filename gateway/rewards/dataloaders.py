from loyalty.rewards.v1 import rewards_service_pb2 as rewards_pb
from services.common.tenancy import outgoing_metadata

from gateway.dataloader_base import PerKeyLoader
from gateway.programs.dataloaders import ProgramByCodeLoader
from gateway.services import Services, rpc


class RewardByCodeLoader(PerKeyLoader[tuple[str, str], rewards_pb.Reward]):
    """Keyed by (program code, reward code)."""

    def __init__(self, services: Services, *, programs: ProgramByCodeLoader, principal: str):
        async def fetch(key: tuple[str, str]) -> rewards_pb.Reward:
            program_code, code = key
            program = await programs.load(program_code)
            md = outgoing_metadata(program_id=program.id, principal=principal)
            return await rpc(services.rewards.GetReward(rewards_pb.GetRewardRequest(code=code), metadata=md, timeout=5))

        super().__init__(fetch)


class RewardClaimByReferenceLoader(PerKeyLoader[tuple[str, str], rewards_pb.RewardClaim]):
    """Keyed by (program code, claim reference)."""

    def __init__(self, services: Services, *, programs: ProgramByCodeLoader, principal: str):
        async def fetch(key: tuple[str, str]) -> rewards_pb.RewardClaim:
            program_code, reference = key
            program = await programs.load(program_code)
            md = outgoing_metadata(program_id=program.id, principal=principal)
            return await rpc(services.rewards.GetClaim(rewards_pb.GetClaimRequest(reference=reference), metadata=md,
                                                       timeout=5))

        super().__init__(fetch)
