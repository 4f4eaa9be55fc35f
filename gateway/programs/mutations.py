import asyncio

import strawberry

from loyalty.common.v1 import program_pb2
from loyalty.member.v1 import member_service_pb2 as member_pb
from loyalty.points.v1 import points_service_pb2 as points_pb

from gateway.context import Info
from gateway.permissions import DEFAULT_KEY_SCOPES, Allow, P, grantable_scopes
from gateway.programs.types import (
    CreateApiKeyInput, CreateApiKeyPayload, CreateProgramInput, CreateProgramPayload, Program, UpdateProgramInput,
)
from gateway.services import rpc


async def _provision(info: Info, spec: program_pb2.ProgramSpec) -> program_pb2.ProvisionProgramResponse:
    """The member service first (it assigns the id), then every other service with its answer.
    With the program's id, the settings are updated in place."""
    services = info.context.services
    md = (("x-principal", info.context.subject),)
    made = await rpc(services.member.ProvisionProgram(program_pb2.ProvisionProgramRequest(spec=spec), metadata=md,
                                                      timeout=10))
    request = program_pb2.ProvisionProgramRequest(spec=made.spec)
    await asyncio.gather(*(
        rpc(stub.ProvisionProgram(request, metadata=md, timeout=10))
        for stub in (services.points, services.tier, services.rewards, services.billing)
    ))
    services.programs.forget(made.spec.code)
    return made


async def _current(info: Info, code: str) -> program_pb2.ProgramSpec:
    spec = program_pb2.ProgramSpec()
    spec.CopyFrom(await rpc(info.context.services.member.GetProgram(member_pb.GetProgramRequest(code=code),
                                                                      timeout=5)))
    return spec


@strawberry.type
class ProgramMutations:
    @strawberry.mutation(permission_classes=[Allow(P.PROGRAM_CREATE, program_scoped=False)],
                         description="Platform users only: a program's own staff can never create or probe programs")
    async def create_program(self, info: Info, input: CreateProgramInput) -> CreateProgramPayload:
        """The member service assigns the id; every other service is then provisioned with it.
        Safe to retry: the same input provisions nothing new."""
        spec = program_pb2.ProgramSpec(
            code=input.code, name=input.name, currency=input.currency, timezone=input.timezone,
            expiry=program_pb2.ExpiryPolicy(days=input.expiry_days, round_to_month_end=input.expiry_round_to_month_end),
        )
        created = await _provision(info, spec)
        return CreateProgramPayload(program=Program.from_proto(created.spec), created=created.created)

    @strawberry.mutation(permission_classes=[Allow(P.PROGRAM_MANAGE)],
                         description="Changes only the fields given (the currency never changes)")
    async def update_program(self, info: Info, input: UpdateProgramInput) -> Program:
        spec = await _current(info, input.program)
        if input.name is not None:
            spec.name = input.name
        if input.timezone is not None:
            spec.timezone = input.timezone
        if input.expiry_days is not None:
            spec.expiry.days = input.expiry_days
        if input.expiry_round_to_month_end is not None:
            spec.expiry.round_to_month_end = input.expiry_round_to_month_end
        if input.goodwill_limit is not None:  # the ledger's own setting, not part of the provisioned spec
            md = await info.context.metadata(input.program)
            await rpc(info.context.services.points.SetProgramLimits(
                points_pb.ProgramLimits(goodwill_limit=input.goodwill_limit), metadata=md, timeout=10))
        return Program.from_proto((await _provision(info, spec)).spec)

    @strawberry.mutation(permission_classes=[Allow(P.PROGRAM_MANAGE)],
                         description="The services refuse an archived program's operations; its ledger is kept")
    async def archive_program(self, info: Info, program: str, archived: bool = True) -> Program:
        spec = await _current(info, program)
        spec.archived = archived
        return Program.from_proto((await _provision(info, spec)).spec)

    @strawberry.mutation(permission_classes=[Allow(P.PROGRAM_MANAGE_API_KEYS)],
                         description="Scopes: catalogue permissions of this program that you hold yourself; "
                                     "default: the POS set")
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> CreateApiKeyPayload:
        scopes = grantable_scopes(info.context.principal, input.program, input.scopes or list(DEFAULT_KEY_SCOPES))
        md = await info.context.metadata(input.program)
        made = await rpc(info.context.services.member.CreateApiKey(
            member_pb.CreateApiKeyRequest(name=input.name, scopes=scopes, store=input.store or ""), metadata=md,
            timeout=5))
        return CreateApiKeyPayload(key_id=made.key_id, api_key=made.api_key)
