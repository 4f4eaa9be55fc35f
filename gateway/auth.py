"""Who is calling: the dev administrator token, a staff or member JWT, or a program's API key.

Access tokens are short-lived JWTs (HS256, audience `loyalty`): `sub`, `exp`, `programs` (codes or
"*"), `permissions` (held in every program listed; platform permissions need `programs` "*"), and
from sign-in also `sid` (the session), `kind`, `grants` ({program code: [permissions]}) and, for a
member, `member` ({loyaltyNumber, program, id}); `stores` ({program code: [location codes]}) for roles held
at some stores only. Malformed claims are refused as UNAUTHENTICATED.
A revoked session or API key is refused as soon as the revocation feed announces it.
"""

import asyncio
import base64
import dataclasses
import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any

import jwt
from starlette.requests import Request

from loyalty.identity.v1 import identity_service_pb2 as identity_pb
from loyalty.member.v1 import member_service_pb2 as member_pb
from services.common.errors import ErrorCode

from gateway.errors import graphql_error
from gateway.permissions import ALL, PLATFORM_PERMISSIONS, PROGRAM_PERMISSIONS
from gateway.revocation import RevocationFeed
from gateway.services import Services, rpc
from gateway.settings import GatewaySettings


@dataclasses.dataclass(frozen=True)
class MemberIdentity:
    loyalty_number: str
    program: str
    member_id: str


@dataclasses.dataclass(frozen=True)
class Principal:
    subject: str
    kind: str  # admin, staff, api_key, member
    programs: frozenset[str]  # program codes this principal may act on; {"*"}: every program
    permissions: frozenset[str]  # held in every program of `programs`; {"*"}: all
    grants: Mapping[str, frozenset[str]] = dataclasses.field(default_factory=dict)  # per program, from sign-in
    roles: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    # per program, the stores (location codes) its roles are held at; a program absent: every store
    stores: Mapping[str, frozenset[str]] = dataclasses.field(default_factory=dict)
    session_id: str | None = None
    member: MemberIdentity | None = None
    email: str | None = None
    display_name: str | None = None

    @property
    def platform_wide(self) -> bool:
        return ALL in self.programs and self.kind in ("admin", "staff")

    def may_act_on(self, program_code: str) -> bool:
        return ALL in self.programs or program_code in self.programs

    def has(self, permission: str, program: str | None = None) -> bool:
        if ALL in self.permissions or permission in self.permissions:
            return True
        if not self.grants:
            return False
        if program is not None:
            held = self.grants.get(program)
            return held is not None and (permission in held or ALL in held)
        # No program named: only what every program of the principal grants.
        return all(permission in held or ALL in held for held in self.grants.values())

    def stores_in(self, program: str) -> tuple[str, ...]:
        """The stores this principal acts for in `program`; empty: every store."""
        return tuple(sorted(self.stores.get(program, ())))

    def posting_store(self, program: str, location_code: str | None) -> str:
        """The store a posting is made at: a store-bound principal's own store when none is given; another
        store than its own is refused."""
        mine = self.stores_in(program)
        if not mine or (location_code and location_code in mine):
            return location_code or ""
        if not location_code and len(mine) == 1:
            return mine[0]
        raise graphql_error(ErrorCode.FORBIDDEN, f"locationCode: {self.subject} acts for store "
                            f"{', '.join(mine)} only", field="locationCode")

    def permissions_in(self, program: str) -> frozenset[str]:
        held = set(self.permissions)
        held |= self.grants.get(program, frozenset())
        if ALL in held:
            return PROGRAM_PERMISSIONS
        return frozenset(held & PROGRAM_PERMISSIONS)

    def owns(self, source: Any) -> bool:
        """Is `source` (a member object) this member principal's own member?"""
        m = self.member
        return (m is not None and getattr(source, "loyalty_number", None) == m.loyalty_number
                and getattr(source, "program", None) == m.program)


class ApiKeyCache:
    """Authenticated keys for a short while, so a POS's every call is not a database lookup. Entries die
    at once when the revocation feed names their key, and all of them when the feed is not live."""

    def __init__(self, ttl: float):
        self._ttl = ttl
        self._entries: dict[str, tuple[float, Principal, str]] = {}

    def get(self, key: str) -> Principal | None:
        hit = self._entries.get(key)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        return None

    def put(self, key: str, principal: Principal, *, key_id: str, ttl: float | None = None) -> None:
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + min(self._ttl, ttl if ttl is not None else self._ttl), principal,
                              key_id)

    def forget_key(self, key_id: str) -> None:
        for key, entry in list(self._entries.items()):
            if entry[2] == key_id:
                self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()


class SharedApiKeys:
    """Authenticated keys in the shared cache (docs/cache.md), so a replica whose own ApiKeyCache has not seen
    a key yet does not ask the member service: entries are the member service's answer, keyed by the key's
    SHA-256 (never the key), with an index by key id. A revocation from the feed is remembered by each replica
    (an entry of a revoked key is never used, even before its removal lands), and writes a tombstone before it
    removes the entry; a replica that stores an entry checks the tombstone after, so a store racing a
    revocation is undone by one side or the other."""

    CACHE = "api_keys"

    REMEMBER_SECONDS = 900.0  # past an entry's TTL in Ignite (600 s)

    def __init__(self, cache):
        self._cache = cache
        self._tasks: set = set()
        # key ids this replica heard revoked: an entry of one is never used, even before its removal lands
        self._revoked: dict[str, float] = {}

    @property
    def enabled(self) -> bool:
        return self._cache.backend != "none"

    @staticmethod
    def _digest(api_key: str) -> str:
        return hashlib.sha256(api_key.encode()).hexdigest()

    async def get(self, api_key: str) -> member_pb.ApiKeyPrincipal | None:
        if not self.enabled:
            return None
        raw = await self._cache.get(self.CACHE, self._digest(api_key))
        if not raw:
            return None
        try:
            found = member_pb.ApiKeyPrincipal.FromString(base64.b64decode(raw))
        except Exception:
            return None
        if found.expires_at and _seconds_until(found.expires_at) <= 0:
            return None
        if found.key_id in self._revoked:
            return None
        return found

    async def put(self, api_key: str, found: member_pb.ApiKeyPrincipal) -> None:
        if not self.enabled:
            return
        digest = self._digest(api_key)
        await self._cache.put(self.CACHE, f"id:{found.key_id}", digest)
        await self._cache.put(self.CACHE, digest, base64.b64encode(found.SerializeToString()).decode())
        if await self._cache.get(self.CACHE, f"revoked:{found.key_id}") is not None:
            await self._cache.remove(self.CACHE, digest)

    def revoked(self, key_id: str) -> None:
        """From the revocation feed (every replica hears it; the removals are idempotent)."""
        if not self.enabled:
            return
        now = time.monotonic()
        if len(self._revoked) > 10_000:
            self._revoked = {k: t for k, t in self._revoked.items() if now - t < self.REMEMBER_SECONDS}
        self._revoked[key_id] = now

        async def forget():
            await self._cache.put(self.CACHE, f"revoked:{key_id}", "1")
            digest = await self._cache.get(self.CACHE, f"id:{key_id}")
            if digest:
                await self._cache.remove(self.CACHE, digest)

        task = asyncio.get_running_loop().create_task(forget())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _unauthenticated(message: str):
    return graphql_error(ErrorCode.UNAUTHENTICATED, message)


def _strings(claims: dict, name: str, *, allow_all: bool = False, required: bool = False) -> frozenset[str]:
    value = claims.get(name)
    if value is None and not required and name not in claims:
        return frozenset()
    if allow_all and value == ALL:
        return frozenset({ALL})
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _unauthenticated(f"invalid bearer token: claim {name!r} must be a list of strings")
    return frozenset(value)


def principal_from_claims(claims: dict) -> Principal:
    """Validated claims -> principal; any claim of the wrong type refuses the token."""
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise _unauthenticated("invalid bearer token: claim 'sub' must be a string")
    kind = claims.get("kind", "staff")
    if kind not in ("staff", "member"):
        raise _unauthenticated("invalid bearer token: claim 'kind' must be staff or member")
    programs = _strings(claims, "programs", allow_all=True)
    permissions = _strings(claims, "permissions")
    sid = claims.get("sid")
    if sid is not None and (not isinstance(sid, str) or not sid):
        raise _unauthenticated("invalid bearer token: claim 'sid' must be a string")
    grants_claim = claims.get("grants", {})
    if not isinstance(grants_claim, dict):
        raise _unauthenticated("invalid bearer token: claim 'grants' must be an object")
    grants = {code: _strings(grants_claim, code) for code in grants_claim}
    roles_claim = claims.get("roles", {})
    if not isinstance(roles_claim, dict):
        raise _unauthenticated("invalid bearer token: claim 'roles' must be an object")
    roles = {code: tuple(sorted(_strings(roles_claim, code))) for code in roles_claim}
    stores_claim = claims.get("stores", {})
    if not isinstance(stores_claim, dict):
        raise _unauthenticated("invalid bearer token: claim 'stores' must be an object")
    stores = {code: _strings(stores_claim, code, required=True) for code in stores_claim}
    if ALL not in programs:
        # A program's principal never holds platform permissions, whatever its token says.
        permissions = permissions - PLATFORM_PERMISSIONS
        grants = {code: held - PLATFORM_PERMISSIONS for code, held in grants.items()}
    member = None
    if kind == "member":
        m = claims.get("member")
        if (not isinstance(m, dict) or not all(isinstance(m.get(k), str) and m.get(k) for k in
                                               ("loyaltyNumber", "program", "id"))):
            raise _unauthenticated("invalid bearer token: claim 'member' must name the member")
        member = MemberIdentity(loyalty_number=m["loyaltyNumber"], program=m["program"], member_id=m["id"])
        # A member token acts on its own member only: no program powers at all.
        programs, permissions, grants = frozenset(), frozenset(), {}
    subject = f"member:{member.program}:{member.loyalty_number}" if member else f"staff:{claims['sub']}"
    email = claims.get("email") if isinstance(claims.get("email"), str) else None
    name = claims.get("name") if isinstance(claims.get("name"), str) else None
    return Principal(subject=subject, kind=kind, programs=programs, permissions=permissions, grants=grants,
                     roles=roles, stores=stores, session_id=sid, member=member, email=email, display_name=name)


def key_principal(found: member_pb.ApiKeyPrincipal) -> Principal:
    scopes = set(found.scopes)
    if ALL in scopes:  # an old key with every scope: every program permission, never a platform one
        scopes = set(PROGRAM_PERMISSIONS)
    return Principal(subject=f"api_key:{found.key_id}", kind="api_key", programs=frozenset({found.program_code}),
                     permissions=frozenset(scopes - PLATFORM_PERMISSIONS - {"self.read", "self.act"}),
                     stores={found.program_code: frozenset({found.store})} if found.store else {})


async def authenticate(
    request: Request, *, settings: GatewaySettings, services: Services, api_keys: ApiKeyCache,
    revocations: RevocationFeed, shared_keys: SharedApiKeys | None = None,
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
        # Without the feed a revocation could go unseen: no cache is read or written then.
        found = await shared_keys.get(api_key) if shared_keys is not None and revocations.live else None
        if found is None:
            found = await rpc(services.member.AuthenticateApiKey(
                member_pb.AuthenticateApiKeyRequest(api_key=api_key), timeout=5))
            if shared_keys is not None and revocations.live:
                await shared_keys.put(api_key, found)
        principal = key_principal(found)
        if revocations.live:
            expires_in = None
            if found.expires_at:
                expires_in = max(0.0, _seconds_until(found.expires_at))
            api_keys.put(api_key, principal, key_id=found.key_id, ttl=expires_in)
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
    principal = principal_from_claims(claims)
    if principal.session_id is not None and not await _session_live(principal.session_id, services, revocations):
        raise _unauthenticated("session revoked: sign in again")
    return principal


async def _session_live(session_id: str, services: Services, revocations: RevocationFeed) -> bool:
    if revocations.live:
        return not revocations.session_revoked(session_id)
    reply = await rpc(services.identity.CheckSession(identity_pb.CheckSessionRequest(session_id=session_id),
                                                     timeout=5))
    return reply.live


def _seconds_until(rfc3339: str) -> float:
    import datetime as dt
    try:
        when = dt.datetime.fromisoformat(rfc3339)
    except ValueError:
        return 0.0
    return (when - dt.datetime.now(dt.timezone.utc)).total_seconds()
