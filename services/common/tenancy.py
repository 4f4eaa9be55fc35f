"""Who is calling and for which program, read from gRPC metadata set by the gateway."""

import dataclasses
import uuid

import grpc

from services.common.errors import DomainError, ErrorCode

PROGRAM_KEY = "x-program-id"
PRINCIPAL_KEY = "x-principal"
IDEMPOTENCY_KEY = "idempotency-key"


@dataclasses.dataclass(frozen=True)
class CallContext:
    program_id: uuid.UUID | None
    principal: str
    idempotency_key: str | None


def call_context(context: grpc.aio.ServicerContext) -> CallContext:
    md = dict(context.invocation_metadata() or ())
    raw = md.get(PROGRAM_KEY)
    program_id = None
    if raw:
        try:
            program_id = uuid.UUID(raw)
        except ValueError:
            raise DomainError(ErrorCode.INVALID_INPUT, f"{PROGRAM_KEY} is not a UUID", field=PROGRAM_KEY) from None
    return CallContext(
        program_id=program_id,
        principal=md.get(PRINCIPAL_KEY, "anonymous"),
        idempotency_key=md.get(IDEMPOTENCY_KEY) or None,
    )


def require_program(context: grpc.aio.ServicerContext) -> CallContext:
    ctx = call_context(context)
    if ctx.program_id is None:
        raise DomainError(ErrorCode.INVALID_INPUT, f"{PROGRAM_KEY} metadata is required", field=PROGRAM_KEY)
    return ctx


def outgoing_metadata(
    *, program_id: uuid.UUID | str | None, principal: str, idempotency_key: str | None = None
) -> tuple[tuple[str, str], ...]:
    md = [(PRINCIPAL_KEY, principal)]
    if program_id:
        md.append((PROGRAM_KEY, str(program_id)))
    if idempotency_key:
        md.append((IDEMPOTENCY_KEY, idempotency_key))
    return tuple(md)
