"""The per-request context: the principal (resolved once, up front) and fresh dataloaders."""

import dataclasses

import strawberry
from graphql import GraphQLError
from starlette.requests import Request

from services.common.tenancy import outgoing_metadata

from gateway.auth import Principal
from gateway.loaders import Loaders
from gateway.services import Services
from gateway.settings import GatewaySettings


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

    async def metadata(self, program_code: str, *, idempotency_key: str | None = None):
        """gRPC metadata for a call on behalf of this principal in this program."""
        # The process-wide directory first: the request's loader would ask it too, at the cost of a
        # dataloader round on the event loop.
        program = self.services.programs.get(program_code)
        if program is None:
            program = await self.loaders.program_by_code.load(program_code)
        return outgoing_metadata(program_id=program.id, principal=self.subject, idempotency_key=idempotency_key)


Info = strawberry.Info[Context, None]
