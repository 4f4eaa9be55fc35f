import asyncio

import strawberry

from loyalty.common.v1 import program_pb2
from loyalty.member.v1 import member_service_pb2 as member_pb

from gateway.context import Info
from gateway.permissions import DEFAULT_KEY_SCOPES, Allow, P, grantable_scopes
from gateway.programs.types import CreateApiKeyInput, CreateApiKeyPayload, CreateProgramInput, CreateProgramPayload, Program
from gateway.services import rpc


@strawberry.type
class ProgramMutations:
    @strawberry.mutation(permission_classes=[Allow(P.PROGRAM_CREATE, program_scoped=False)],
                         description="Platform users only: a program's own staff can never create or probe programs")
    async def create_program(self, info: Info, input: CreateProgramInput) -> CreateProgramPayload:
        """The member service assigns the id; every other service is then provisioned with it.
        Safe to retry: the same input provisions nothing new."""
        services = info.context.services
        spec = program_pb2.ProgramSpec(
            code=input.code, name=input.name, currency=input.currency, timezone=input.timezone,
            expiry=program_pb2.ExpiryPolicy(days=input.expiry_days, round_to_month_end=input.expiry_round_to_month_end),
        )
        md = (("x-principal", info.context.subject),)
        created = await rpc(services.member.ProvisionProgram(program_pb2.ProvisionProgramRequest(spec=spec), metadata=md, timeout=10))
        request = program_pb2.ProvisionProgramRequest(spec=created.spec)
        await asyncio.gather(*(
            rpc(stub.ProvisionProgram(request, metadata=md, timeout=10))
            for stub in (services.points, services.tier, services.rewards, services.billing)
        ))
        return CreateProgramPayload(program=Program.from_proto(created.spec), created=created.created)

    @strawberry.mutation(permission_classes=[Allow(P.PROGRAM_MANAGE_API_KEYS)],
                         description="Scopes: catalogue permissions of this program that you hold yourself; "
                                     "default: the POS set")
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> CreateApiKeyPayload:
        scopes = grantable_scopes(info.context.principal, input.program, input.scopes or list(DEFAULT_KEY_SCOPES))
        md = await info.context.metadata(input.program)
        made = await rpc(info.context.services.member.CreateApiKey(
            member_pb.CreateApiKeyRequest(name=input.name, scopes=scopes), metadata=md, timeout=5))
        return CreateApiKeyPayload(key_id=made.key_id, api_key=made.api_key)
