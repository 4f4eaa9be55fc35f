"""Per-program API keys for POS terminals and partners: `lk_<key id>_<secret>`, hash stored."""

import dataclasses
import hashlib
import hmac
import secrets
import uuid

import asyncpg

from services.common.db import global_tx
from services.common.errors import DomainError, ErrorCode, invalid
from services.member import repository

# What a POS terminal or an app does by default: enrol, look up, earn, pay with points and claim
# rewards with the member's passcode. Staff-only powers (bypassing the passcode, adjusting) need scopes.
DEFAULT_SCOPES = ("member.enroll", "member.read", "points.earn", "points.read", "points.redeem", "rewards.read",
                  "rewards.redeem")


@dataclasses.dataclass(frozen=True)
class KeyPrincipal:
    key_id: str
    program_id: uuid.UUID
    program_code: str
    scopes: list[str]


def _hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


async def create(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, name: str, scopes: list[str], created_by: str
) -> tuple[str, str]:
    if not name.strip():
        raise invalid("name", "is required")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(24)
    async with global_tx(pool) as conn:
        if await repository.program_by_id(conn, program_id) is None:
            raise DomainError(ErrorCode.NOT_FOUND, f"program {program_id} not found")
        await repository.insert_api_key(
            conn, key_id=key_id, program_id=program_id, name=name.strip(), secret_hash=_hash(secret),
            scopes=list(scopes or DEFAULT_SCOPES), created_by=created_by,
        )
    return key_id, f"lk_{key_id}_{secret}"


async def authenticate(pool: asyncpg.Pool, api_key: str) -> KeyPrincipal:
    refused = DomainError(ErrorCode.UNAUTHENTICATED, "invalid API key")
    prefix, _, rest = api_key.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != "lk" or not key_id or not secret:
        raise refused
    async with global_tx(pool) as conn:
        row = await repository.api_key(conn, key_id)
    if row is None or row["revoked_at"] is not None or not hmac.compare_digest(row["secret_hash"], _hash(secret)):
        raise refused
    return KeyPrincipal(key_id=key_id, program_id=row["program_id"], program_code=row["program_code"],
                        scopes=list(row["scopes"]))
