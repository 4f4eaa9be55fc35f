"""Access tokens minted from a session grant: the staff JWT shape plus `sid`, `grants` and `roles`."""

import datetime as dt

import jwt

from loyalty.identity.v1 import identity_service_pb2 as identity_pb

from gateway.permissions import ALL, expand
from gateway.settings import GatewaySettings


def claims_for(grant: identity_pb.SessionGrant, *, now: dt.datetime, ttl_seconds: int, audience: str) -> dict:
    claims: dict = {"sub": grant.user_id, "sid": grant.session_id, "kind": grant.kind, "aud": audience,
                    "iat": int(now.timestamp()), "exp": int(now.timestamp()) + ttl_seconds}
    if grant.kind == "member":
        claims.update(programs=[], permissions=[],
                      member={"loyaltyNumber": grant.member_loyalty_number, "program": grant.member_program_code,
                              "id": grant.user_id})
        return claims
    platform: set[str] = set()
    grants: dict[str, set[str]] = {}
    roles: dict[str, set[str]] = {}
    stores: dict[str, set[str]] = {}
    unbound: set[str] = set()  # programs where some role is held at every store
    for a in grant.assignments:
        roles.setdefault(a.program_code, set()).add(a.role_code)
        if a.store:
            stores.setdefault(a.program_code, set()).add(a.store)
        else:
            unbound.add(a.program_code)
        if a.program_code == ALL:
            platform |= {ALL} if list(a.permissions) == [ALL] else expand(a.permissions, platform=True)
        else:
            grants.setdefault(a.program_code, set()).update(expand(a.permissions))
    claims.update(
        programs=ALL if platform else sorted(grants),
        permissions=sorted(platform),
        grants={code: sorted(held) for code, held in grants.items()},
        roles={code: sorted(r) for code, r in roles.items()},
        stores={code: sorted(s) for code, s in stores.items() if code not in unbound},
        email=grant.email, name=grant.display_name,
    )
    return claims


def mint(grant: identity_pb.SessionGrant, settings: GatewaySettings) -> tuple[str, dt.datetime]:
    now = dt.datetime.now(dt.timezone.utc)
    claims = claims_for(grant, now=now, ttl_seconds=settings.access_token_seconds, audience=settings.jwt_audience)
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256"), dt.datetime.fromtimestamp(claims["exp"],
                                                                                                 dt.timezone.utc)
