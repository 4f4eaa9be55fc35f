"""Per-program API keys for POS terminals and partners: `lk_<key id>_<secret>`, hash stored."""

import dataclasses
import datetime as dt
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
    expires_at: object = None  # datetime while a rotated key's grace period runs
    store: str = ""  # a store's key: its location code


def _hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


async def create(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, name: str, scopes: list[str], created_by: str, store: str = ""
) -> tuple[str, str]:
    if not name.strip():
        raise invalid("name", "is required")
    store = store.strip()
    if len(store) > 64 or not store.isprintable():
        raise invalid("store", "a store is a location code of the program, at most 64 printable characters")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(24)
    async with global_tx(pool) as conn:
        if await repository.program_by_id(conn, program_id) is None:
            raise DomainError(ErrorCode.NOT_FOUND, f"program {program_id} not found")
        await repository.insert_api_key(
            conn, key_id=key_id, program_id=program_id, name=name.strip(), secret_hash=_hash(secret),
            scopes=list(scopes or DEFAULT_SCOPES), created_by=created_by, store=store,
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
    if row["expires_at"] is not None and row["expires_at"] <= row["now"]:
        raise refused
    if row["last_used_at"] is None or row["last_used_at"] < row["now"] - dt.timedelta(minutes=1):
        # Last use to the minute: the gateway asks again at least that often (its cache's TTL).
        async with global_tx(pool) as conn:
            await conn.execute("UPDATE api_keys SET last_used_at = now() WHERE key_id = $1", key_id)
    return KeyPrincipal(key_id=key_id, program_id=row["program_id"], program_code=row["program_code"],
                        scopes=list(row["scopes"]), expires_at=row["expires_at"], store=row["store"])


DEFAULT_GRACE_SECONDS = 24 * 3600
MAX_GRACE_SECONDS = 30 * 24 * 3600


async def list_keys(pool: asyncpg.Pool, *, program_id: uuid.UUID, include_revoked: bool) -> list[asyncpg.Record]:
    async with global_tx(pool) as conn:
        return await conn.fetch(
            "SELECT key_id, name, scopes, created_by, created_at, revoked_at, expires_at, last_used_at, rotated_to"
            " FROM api_keys WHERE program_id = $1 AND ($2 OR (revoked_at IS NULL"
            " AND (expires_at IS NULL OR expires_at > now()))) ORDER BY created_at DESC", program_id, include_revoked)


async def revoke(pool: asyncpg.Pool, *, program_id: uuid.UUID, key_id: str, revoked_by: str) -> asyncpg.Record:
    async with global_tx(pool) as conn:
        row = await conn.fetchrow(
            "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()), revoked_by = coalesce(revoked_by, $3)"
            " WHERE key_id = $1 AND program_id = $2 RETURNING key_id, name, scopes, created_by, created_at,"
            " revoked_at, expires_at, last_used_at, rotated_to", key_id, program_id, revoked_by)
    if row is None:  # another program's key is as unknown as a missing one
        raise DomainError(ErrorCode.NOT_FOUND, f"API key {key_id!r} not found", field="keyId")
    return row


async def rotate(pool: asyncpg.Pool, *, program_id: uuid.UUID, key_id: str, grace_seconds: int,
                 created_by: str) -> tuple[str, str]:
    grace = grace_seconds or DEFAULT_GRACE_SECONDS
    if grace < 0 or grace > MAX_GRACE_SECONDS:
        raise invalid("graceSeconds", f"must be between 0 and {MAX_GRACE_SECONDS}")
    new_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(24)
    async with global_tx(pool) as conn:
        old = await conn.fetchrow("SELECT * FROM api_keys WHERE key_id = $1 AND program_id = $2 FOR UPDATE",
                                  key_id, program_id)
        if old is None or old["revoked_at"] is not None:
            raise DomainError(ErrorCode.NOT_FOUND, f"API key {key_id!r} not found", field="keyId")
        await repository.insert_api_key(conn, key_id=new_id, program_id=program_id, name=old["name"],
                                        secret_hash=_hash(secret), scopes=list(old["scopes"]), created_by=created_by,
                                        store=old["store"])
        await conn.execute(
            "UPDATE api_keys SET rotated_to = $2, expires_at = least(coalesce(expires_at, 'infinity'),"
            " now() + make_interval(secs => $3)) WHERE key_id = $1", key_id, new_id, float(grace))
    return new_id, f"lk_{new_id}_{secret}"
