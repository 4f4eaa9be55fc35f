"""API keys of a program: list (never secrets), rotate (grace period), revoke (at once, every replica)."""

import strawberry

from loyalty.member.v1 import member_service_pb2 as member_pb

from gateway.context import Info
from gateway.permissions import Allow, P
from gateway.programs.types import CreateApiKeyPayload
from gateway.services import rpc


@strawberry.type
class ApiKey:
    key_id: str
    name: str
    scopes: list[str]
    created_by: str
    created_at: str
    revoked_at: str | None
    expires_at: str | None = strawberry.field(description="Set while a rotated key's grace period runs")
    last_used_at: str | None = strawberry.field(description="To the minute")
    rotated_to: str | None

    @classmethod
    def from_proto(cls, k: member_pb.ApiKeyInfo) -> "ApiKey":
        return cls(key_id=k.key_id, name=k.name, scopes=list(k.scopes), created_by=k.created_by,
                   created_at=k.created_at, revoked_at=k.revoked_at or None, expires_at=k.expires_at or None,
                   last_used_at=k.last_used_at or None, rotated_to=k.rotated_to or None)


@strawberry.input
class ApiKeyInput:
    program: str
    key_id: str


@strawberry.input
class RotateApiKeyInput:
    program: str
    key_id: str
    grace_seconds: int | None = strawberry.field(
        default=None, description="How long the old key keeps working; default 86400 (24 hours), at most 30 days")


@strawberry.type
class ApiKeyQueries:
    @strawberry.field(permission_classes=[Allow(P.PROGRAM_MANAGE_API_KEYS)])
    async def api_keys(self, info: Info, program: str, include_revoked: bool = False) -> list[ApiKey]:
        md = await info.context.metadata(program)
        reply = await rpc(info.context.services.member.ListApiKeys(
            member_pb.ListApiKeysRequest(include_revoked=include_revoked), metadata=md, timeout=5))
        return [ApiKey.from_proto(k) for k in reply.keys]


@strawberry.type
class ApiKeyMutations:
    @strawberry.mutation(permission_classes=[Allow(P.PROGRAM_MANAGE_API_KEYS)],
                         description="Refused at once on every gateway replica")
    async def revoke_api_key(self, info: Info, input: ApiKeyInput) -> ApiKey:
        md = await info.context.metadata(input.program)
        return ApiKey.from_proto(await rpc(info.context.services.member.RevokeApiKey(
            member_pb.RevokeApiKeyRequest(key_id=input.key_id), metadata=md, timeout=5)))

    @strawberry.mutation(permission_classes=[Allow(P.PROGRAM_MANAGE_API_KEYS)],
                         description="A new key with the same name and scopes (shown once); the old one keeps "
                                     "working for the grace period")
    async def rotate_api_key(self, info: Info, input: RotateApiKeyInput) -> CreateApiKeyPayload:
        md = await info.context.metadata(input.program)
        made = await rpc(info.context.services.member.RotateApiKey(
            member_pb.RotateApiKeyRequest(key_id=input.key_id, grace_seconds=input.grace_seconds or 0),
            metadata=md, timeout=5))
        return CreateApiKeyPayload(key_id=made.key_id, api_key=made.api_key)
