"""The per-request context: the principal (resolved once, up front) and fresh dataloaders."""

import dataclasses
import re

import strawberry
from graphql import GraphQLError
from starlette.requests import Request

from services.common.tenancy import outgoing_metadata

from gateway.auth import Principal
from gateway.errors import invalid_input
from gateway.loaders import Loaders
from gateway.services import Services
from gateway.settings import GatewaySettings


REFERENCE = re.compile(r"[\x21-\x7e]{1,128}")


@dataclasses.dataclass
class Context:
    request: Request
    response: object
    settings: GatewaySettings
    services: Services
    loaders: Loaders
    principal: Principal | None
    auth_error: GraphQLError | None = None  # raised by the permission check, where it is reported
    audit: object | None = None  # gateway.identity.audit.AuditWriter, when the audit log is on

    @property
    def subject(self) -> str:
        return self.principal.subject if self.principal else "anonymous"

    async def metadata(self, program_code: str, *, idempotency_key: str | None = None,
                       reference_field: str = "reference"):
        """gRPC metadata for a call on behalf of this principal in this program.

        The reference travels as the idempotency key in ASCII metadata: one that is not 1-128 printable
        ASCII characters without spaces (the services' rule) is refused here, naming the field."""
        if idempotency_key is not None and not REFERENCE.fullmatch(idempotency_key):
            raise invalid_input(reference_field, "must be 1-128 printable ASCII characters without spaces")
        # The process-wide directory first: the request's loader would ask it too, at the cost of a
        # dataloader round on the event loop.
        program = self.services.programs.get(program_code)
        if program is None:
            program = await self.loaders.program_by_code.load(program_code)
        return outgoing_metadata(program_id=program.id, principal=self.subject, idempotency_key=idempotency_key)


Info = strawberry.Info[Context, None]
