"""Sessions: a family of one-time refresh tokens. Refreshing spends the token and issues the next;
presenting a spent token again revokes the whole session (someone else holds a copy)."""

import dataclasses
import datetime as dt
import uuid

import asyncpg

from services.common.errors import DomainError, ErrorCode
from services.identity import tokens

REFRESH_PREFIX = "rt"


@dataclasses.dataclass(frozen=True)
class Assignment:
    program_code: str
    role_code: str
    permissions: tuple[str, ...]
    store: str = ""  # held at this store only ('' every store)


@dataclasses.dataclass(frozen=True)
class Grant:
    session_id: uuid.UUID
    refresh_token: str
    refresh_expires_at: dt.datetime | None
    kind: str
    user_id: str
    email: str = ""
    display_name: str = ""
    assignments: tuple[Assignment, ...] = ()
    mfa_required: bool = False
    member_loyalty_number: str = ""
    member_program_code: str = ""


def refused(message: str = "invalid or expired refresh token") -> DomainError:
    return DomainError(ErrorCode.UNAUTHENTICATED, message, field="refreshToken")


async def assignments(conn: asyncpg.Connection, user_id: uuid.UUID) -> tuple[Assignment, ...]:
    rows = await conn.fetch(
        "SELECT a.program_code, a.role_code, a.store, r.permissions FROM role_assignments a"
        " JOIN roles r ON r.code = a.role_code AND (r.program_code = '' OR r.program_code = a.program_code)"
        " WHERE a.user_id = $1 ORDER BY a.program_code, a.role_code", user_id)
    return tuple(Assignment(r["program_code"], r["role_code"], tuple(r["permissions"]), r["store"]) for r in rows)


async def _issue(conn: asyncpg.Connection, session_id: uuid.UUID) -> str:
    token = tokens.new_token(REFRESH_PREFIX)
    await conn.execute("INSERT INTO refresh_tokens (token_hash, session_id) VALUES ($1, $2)",
                       tokens.digest(token), session_id)
    return token


async def start_staff(conn: asyncpg.Connection, user, *, lifetime: dt.timedelta, ip: str, user_agent: str) -> Grant:
    session_id = uuid.uuid4()
    expires = await conn.fetchval(
        "INSERT INTO sessions (id, kind, user_id, expires_at, ip, user_agent) VALUES ($1, 'staff', $2, now() + $3::interval, $4, $5)"
        " RETURNING expires_at", session_id, user["id"], lifetime, ip, user_agent)
    await conn.execute("UPDATE users SET last_sign_in_at = now(), failed_sign_ins = 0, locked_until = NULL"
                       " WHERE id = $1", user["id"])
    return Grant(session_id=session_id, refresh_token=await _issue(conn, session_id), refresh_expires_at=expires,
                 kind="staff", user_id=str(user["id"]), email=user["email"], display_name=user["display_name"],
                 assignments=await assignments(conn, user["id"]))


async def start_member(conn: asyncpg.Connection, *, member_id: uuid.UUID, loyalty_number: str, program_code: str,
                       lifetime: dt.timedelta, ip: str, user_agent: str) -> Grant:
    session_id = uuid.uuid4()
    expires = await conn.fetchval(
        "INSERT INTO sessions (id, kind, member_id, member_loyalty_number, member_program_code, expires_at, ip,"
        " user_agent) VALUES ($1, 'member', $2, $3, $4, now() + $5::interval, $6, $7) RETURNING expires_at",
        session_id, member_id, loyalty_number, program_code, lifetime, ip, user_agent)
    return Grant(session_id=session_id, refresh_token=await _issue(conn, session_id), refresh_expires_at=expires,
                 kind="member", user_id=str(member_id), member_loyalty_number=loyalty_number,
                 member_program_code=program_code,
                 assignments=(Assignment(program_code, "member", ("self.read", "self.act")),))


async def revoke(conn: asyncpg.Connection, session_id: uuid.UUID, reason: str) -> None:
    await conn.execute("UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL",
                       session_id, reason)


async def refresh(pool: asyncpg.Pool, refresh_token: str) -> Grant:
    if not refresh_token.startswith(REFRESH_PREFIX + "_"):
        raise refused()
    reused = False
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            "SELECT r.spent_at, s.* FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id"
            " WHERE r.token_hash = $1 FOR UPDATE OF r, s", tokens.digest(refresh_token))
        if row is None:
            raise refused()
        if row["spent_at"] is not None:
            # Spent before: whoever presents it now (or presented it first) is not alone. End the family.
            await revoke(conn, row["id"], "refresh token reused")
            reused = True
        elif row["revoked_at"] is not None or row["expires_at"] <= dt.datetime.now(dt.timezone.utc):
            raise refused()
        else:
            await conn.execute("UPDATE refresh_tokens SET spent_at = now() WHERE token_hash = $1",
                               tokens.digest(refresh_token))
            if row["kind"] == "member":
                grant = Grant(session_id=row["id"], refresh_token=await _issue(conn, row["id"]),
                              refresh_expires_at=row["expires_at"], kind="member", user_id=str(row["member_id"]),
                              member_loyalty_number=row["member_loyalty_number"],
                              member_program_code=row["member_program_code"],
                              assignments=(Assignment(row["member_program_code"], "member", ("self.read", "self.act")),))
            else:
                user = await conn.fetchrow("SELECT * FROM users WHERE id = $1", row["user_id"])
                if user is None or user["status"] != "active":
                    await revoke(conn, row["id"], "user not active")
                    raise refused()
                grant = Grant(session_id=row["id"], refresh_token=await _issue(conn, row["id"]),
                              refresh_expires_at=row["expires_at"], kind="staff", user_id=str(user["id"]),
                              email=user["email"], display_name=user["display_name"],
                              assignments=await assignments(conn, user["id"]))
    if reused:  # after commit: the revocation stands
        raise refused("refresh token already used: the session has been revoked")
    return grant


async def sign_out(pool: asyncpg.Pool, refresh_token: str) -> bool:
    async with pool.acquire() as conn, conn.transaction():
        session_id = await conn.fetchval("SELECT session_id FROM refresh_tokens WHERE token_hash = $1",
                                         tokens.digest(refresh_token))
        if session_id is None:
            return False
        await revoke(conn, session_id, "signed out")
    return True


async def is_live(pool: asyncpg.Pool, session_id: uuid.UUID) -> bool:
    async with pool.acquire() as conn:
        return bool(await conn.fetchval(
            "SELECT true FROM sessions s LEFT JOIN users u ON u.id = s.user_id WHERE s.id = $1"
            " AND s.revoked_at IS NULL AND s.expires_at > now() AND (s.kind = 'member' OR u.status = 'active')",
            session_id))
