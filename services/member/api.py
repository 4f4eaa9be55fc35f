"""gRPC servicer: translates proto <-> domain, nothing else."""

import uuid

import asyncpg
import grpc

from loyalty.common.v1 import program_pb2
from loyalty.member.v1 import member_service_pb2 as pb
from loyalty.member.v1 import member_service_pb2_grpc as pb_grpc
from services.common.errors import invalid
from services.common.outbox import OutboxRelay
from services.common.tenancy import call_context, require_program
from services.member import api_keys, enrolment, programs


def program_to_proto(row) -> program_pb2.ProgramSpec:
    return program_pb2.ProgramSpec(
        id=str(row["id"]), code=row["code"], name=row["name"], currency=row["currency"], timezone=row["timezone"],
        expiry=program_pb2.ExpiryPolicy(days=row["expiry_days"], round_to_month_end=row["expiry_round_to_month_end"]),
        archived=row["archived_at"] is not None,
    )


def member_to_proto(row) -> pb.Member:
    return pb.Member(
        id=str(row["id"]), loyalty_number=row["loyalty_number"], email=row["email"], first_name=row["first_name"],
        last_name=row["last_name"], phone=row["phone"],
        birth_date=row["birth_date"].isoformat() if row["birth_date"] else "", status=row["status"],
        enrolled_at=row["enrolled_at"].isoformat(), channel=row["channel"],
    )


def _program_id(raw: str) -> uuid.UUID | None:
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise invalid("spec.id", "is not a UUID") from None


class MemberServicer(pb_grpc.MemberServiceServicer):
    def __init__(self, pool: asyncpg.Pool, relay: OutboxRelay):
        self._pool = pool
        self._relay = relay

    async def ProvisionProgram(self, request, context):
        spec = request.spec
        row, created = await programs.provision(
            self._pool,
            programs.ProgramInput(
                code=spec.code, name=spec.name, currency=spec.currency, timezone=spec.timezone,
                expiry_days=spec.expiry.days, expiry_round_to_month_end=spec.expiry.round_to_month_end,
                program_id=_program_id(spec.id), archived=spec.archived,
            ),
        )
        return program_pb2.ProvisionProgramResponse(spec=program_to_proto(row), created=created)

    async def GetProgram(self, request, context):
        return program_to_proto(await programs.get_by_code(self._pool, request.code))

    async def Enroll(self, request, context):
        ctx = require_program(context)
        member = await enrolment.enroll(
            self._pool,
            program_id=ctx.program_id,
            data=enrolment.EnrolmentInput(
                email=request.email, first_name=request.first_name, last_name=request.last_name,
                phone=request.phone, birth_date=request.birth_date, channel=request.channel,
            ),
        )
        # Deliver LOY_OPT_IN to the points service now, so an earn right after enrolment works.
        await self._relay.deliver_batch()
        return member_to_proto(member)

    async def GetMember(self, request, context):
        ctx = require_program(context)
        which = request.WhichOneof("by")
        member = await enrolment.get_member(
            self._pool, program_id=ctx.program_id,
            loyalty_number=request.loyalty_number if which == "loyalty_number" else "",
            member_id=uuid.UUID(request.member_id) if which == "member_id" else None,
        )
        return member_to_proto(member)

    async def CreateApiKey(self, request, context):
        ctx = require_program(context)
        key_id, api_key = await api_keys.create(
            self._pool, program_id=ctx.program_id, name=request.name, scopes=list(request.scopes),
            created_by=ctx.principal,
        )
        return pb.CreateApiKeyResponse(key_id=key_id, api_key=api_key)

    async def AuthenticateApiKey(self, request, context):
        principal = await api_keys.authenticate(self._pool, request.api_key)
        return pb.ApiKeyPrincipal(
            key_id=principal.key_id, program_id=str(principal.program_id), program_code=principal.program_code,
            scopes=principal.scopes,
        )


def register(server: grpc.aio.Server, servicer: MemberServicer) -> None:
    pb_grpc.add_MemberServiceServicer_to_server(servicer, server)
