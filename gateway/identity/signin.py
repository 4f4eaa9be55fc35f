"""Helpers of the sign-in mutations: the caller's client details, tokens from a grant, the member by contact."""

from loyalty.identity.v1 import identity_service_pb2 as identity_pb
from loyalty.member.v1 import member_service_pb2 as member_pb
from services.common.errors import DomainError
from services.common.tenancy import outgoing_metadata

from gateway.identity import tokens
from gateway.identity.types import SessionTokens
from gateway.services import rpc


def client(info) -> identity_pb.Client:
    request = info.context.request
    forwarded = request.headers.get("x-forwarded-for", "")
    ip = forwarded.split(",")[0].strip() if forwarded else (request.client.host if request.client else "")
    return identity_pb.Client(ip=ip, user_agent=request.headers.get("user-agent", "")[:300])


def session_tokens(info, grant: identity_pb.SessionGrant) -> SessionTokens:
    if grant.mfa_required:
        return SessionTokens(access_token=None, refresh_token=None, expires_at=None, mfa_required=True)
    access, expires = tokens.mint(grant, info.context.settings)
    return SessionTokens(access_token=access, refresh_token=grant.refresh_token, expires_at=expires,
                         mfa_required=False)


async def find_member(info, *, program: str, email: str | None, phone: str | None):
    """The member with exactly this email or phone in the program, the program's spec; (None, None) when none.
    Whatever goes wrong looks the same to the caller (no enumeration)."""
    value = (email or phone or "").strip()
    if not value or not program:
        return None, None
    field = "email" if email else "phone"
    services = info.context.services
    try:
        spec = services.programs.get(program) or await info.context.loaders.program_by_code.load(program)
        md = outgoing_metadata(program_id=spec.id, principal="identity:member-sign-in")
        found = await rpc(services.member.SearchMembers(
            member_pb.SearchMembersRequest(query=value, field=field, page_size=5), metadata=md, timeout=5))
    except (DomainError, Exception):  # an unknown program answers like an unknown member
        return None, None
    for m in found.members:
        if getattr(m, field).strip().lower() == value.lower() and m.status in ("active", ""):
            return m, spec
    return None, spec
