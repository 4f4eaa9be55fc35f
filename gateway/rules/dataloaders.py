from loyalty.points.v1 import rules_service_pb2 as rules_pb
from services.common.tenancy import outgoing_metadata

from gateway.dataloader_base import PerKeyLoader
from gateway.programs.dataloaders import ProgramByCodeLoader
from gateway.services import Services, rpc


class RuleSetByCodeLoader(PerKeyLoader[tuple[str, str], rules_pb.RuleSet]):
    """Keyed by (program code, rule set code)."""

    def __init__(self, services: Services, *, programs: ProgramByCodeLoader, principal: str):
        async def fetch(key: tuple[str, str]) -> rules_pb.RuleSet:
            program_code, code = key
            program = await programs.load(program_code)
            md = outgoing_metadata(program_id=program.id, principal=principal)
            return await rpc(services.rules.GetRuleSet(rules_pb.GetRuleSetRequest(code=code), metadata=md,
                                                             timeout=10))

        super().__init__(fetch)
