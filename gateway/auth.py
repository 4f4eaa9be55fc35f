"""Who is calling: the dev administrator token, a staff JWT, or a program's API key."""

import dataclasses
import hmac
import time

import jwt
from starlette.requests import Request

from loyalty.member.v1 import member_service_pb2 as member_pb
from services.common.errors import ErrorCode

from gateway.errors import graphql_error
from gateway.services import Services, rpc
from gateway.settings import GatewaySettings

ALL = "*"


@dataclasses.dataclass(frozen=True)
class Principal:
    subject: str
    kind: str  # admin, staff, api_key
    programs: frozenset[str]  # program codes this principal may act on; {"*"}: every program
    permissions: frozenset[str]  # namespaced, e.g. "points.adjust"; {"*"}: all

    def may_act_on(self, program_code: str) -> bool:
        return ALL in self.programs or program_code in self.programs

    def has(self, permission: str) -> bool:
        return ALL in self.permissions or permission in self.permissions


class ApiKeyCache:
    """Authenticated keys for a short while, so a POS's every call is not a database lookup."""

    def __init__(self, ttl: float):
        self._ttl = ttl
        self._entries: dict[str, tuple[float, Principal]] = {}

    def get(self, key: str) -> Principal | None:
        hit = self._entries.get(key)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        return None

    def put(self, key: str, principal: Principal) -> None:
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self._ttl, principal)


def _unauthenticated(message: str):
    return graphql_error(ErrorCode.UNAUTHENTICATED, message)


async def authenticate(
    request: Request, *, settings: GatewaySettings, services: Services, api_keys: ApiKeyCache
) -> Principal | None:
    """None when no credentials were sent; a GraphQL UNAUTHENTICATED error when they are wrong."""
    api_key = request.headers.get("x-api-key")
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "apikey":
        api_key = credentials.strip()
    if api_key:
        cached = api_keys.get(api_key)
        if cached:
            return cached
        found = await rpc(services.member.AuthenticateApiKey(member_pb.AuthenticateApiKeyRequest(api_key=api_key), timeout=5))
        principal = Principal(
            subject=f"api_key:{found.key_id}", kind="api_key", programs=frozenset({found.program_code}),
            permissions=frozenset(found.scopes),
        )
        api_keys.put(api_key, principal)
        return principal
    if scheme.lower() != "bearer" or not credentials:
        return None
    token = credentials.strip()
    if settings.loyalty_admin_token and hmac.compare_digest(token, settings.loyalty_admin_token):
        return Principal(subject="admin", kind="admin", programs=frozenset({ALL}), permissions=frozenset({ALL}))
    try:
        claims = jwt.decode(token, settings.jwt_secret, algorithms=["HS256"], audience=settings.jwt_audience,
                            options={"require": ["sub", "exp"]})
    except jwt.PyJWTError as exc:
        raise _unauthenticated(f"invalid bearer token: {exc}") from None
    programs = claims.get("programs", [])
    return Principal(
        subject=f"staff:{claims['sub']}", kind="staff",
        programs=frozenset({ALL} if programs == ALL else programs),
        permissions=frozenset(claims.get("permissions", [])),
    )
