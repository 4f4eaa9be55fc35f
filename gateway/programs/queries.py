import strawberry

from gateway.context import Info
from gateway.permissions import Allow
from gateway.programs.types import Program


@strawberry.type
class ProgramQueries:
    @strawberry.field(permission_classes=[Allow("program.read")])
    async def program(self, info: Info, program: str) -> Program:
        return Program.from_proto(await info.context.loaders.program_by_code.load(program))
