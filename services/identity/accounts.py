"""Staff accounts: invitation, sign-in with atomic lockout, password reset, deactivation, roles, TOTP."""

import dataclasses
import datetime as dt
import hashlib
import logging
import re
import secrets
import uuid

import asyncpg
import pyotp

from services.common.errors import DomainError, ErrorCode, invalid, not_found
from services.identity import mailing, passwords, sessions, tokens

log = logging.getLogger(__name__)

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PLATFORM = "*"


@dataclasses.dataclass(frozen=True)
class Policy:
    invitation_valid: dt.timedelta = dt.timedelta(hours=72)
    reset_valid: dt.timedelta = dt.timedelta(hours=2)
    session_lifetime: dt.timedelta = dt.timedelta(days=14)
    max_failed_sign_ins: int = 5
    lockout: dt.timedelta = dt.timedelta(minutes=15)
    totp_issuer: str = "Loyalty"


def _email(value: str) -> str:
    value = value.strip()
    if not EMAIL.match(value) or len(value) > 320:
        raise invalid("email", "is not an email address")
    return value


def _link(base: str, token: str) -> str:
    if not base:
        return token
    return f"{base}{'&' if '?' in base else '?'}token={token}"


async def role_exists(conn: asyncpg.Connection, *, program_code: str, role_code: str) -> asyncpg.Record:
    row = await conn.fetchrow("SELECT * FROM roles WHERE code = $1 AND (program_code = '' OR program_code = $2)",
                              role_code, program_code)
    if row is None:
        raise invalid("role", f"unknown role {role_code!r}")
    if row["platform"] != (program_code == PLATFORM):
        raise invalid("role", f"role {role_code!r} is {'platform-wide' if row['platform'] else 'per program'}")
    return row


def _store(value: str, program_code: str) -> str:
    store = (value or "").strip()
    if store and (program_code == PLATFORM or len(store) > 64 or not store.isprintable()):
        raise invalid("store", "a store is a location code of the program, at most 64 printable characters")
    return store


ASSIGN = ("INSERT INTO role_assignments (user_id, program_code, role_code, store) VALUES ($1, $2, $3, $4)"
          " ON CONFLICT (user_id, program_code, role_code) DO UPDATE SET store = EXCLUDED.store")


async def invite(pool: asyncpg.Pool, *, email: str, program_code: str, role_code: str, invited_by: str,
                 accept_url: str, policy: Policy, store: str = "") -> tuple[uuid.UUID, str | None, dt.datetime | None]:
    """Creates (or finds) the user, assigns the role, mails a 72-hour single-use link to set a password.
    An active user gets the role and a notice, no token."""
    email = _email(email)
    if not program_code:
        raise invalid("program", "is required")
    store = _store(store, program_code)
    async with pool.acquire() as conn, conn.transaction():
        await role_exists(conn, program_code=program_code, role_code=role_code)
        user = await conn.fetchrow("SELECT * FROM users WHERE lower(email) = lower($1) FOR UPDATE", email)
        if user is None:
            user = await conn.fetchrow("INSERT INTO users (id, email) VALUES ($1, $2) RETURNING *", uuid.uuid4(), email)
        if user["status"] == "deactivated":
            raise DomainError(ErrorCode.FORBIDDEN, "this user is deactivated", field="email")
        await conn.execute(ASSIGN, user["id"], program_code, role_code, store)
        where = "the platform" if program_code == PLATFORM else f"program {program_code}"
        if user["status"] == "active":
            await mailing.enqueue(conn, to=email, subject=f"You have a new role in {where}",
                                  body=f"{invited_by} gave you the role {role_code} in {where}.\n")
            return user["id"], None, None
        token = tokens.new_token("inv")
        expires = await conn.fetchval(
            "INSERT INTO mail_tokens (token_hash, kind, user_id, expires_at) VALUES ($1, 'invitation', $2, now() + $3::interval)"
            " RETURNING expires_at", tokens.digest(token), user["id"], policy.invitation_valid)
        hours = int(policy.invitation_valid.total_seconds() // 3600)
        await mailing.enqueue(
            conn, to=email, subject=f"You are invited to {where}",
            body=(f"{invited_by} invited you to {where} as {role_code}.\n\nSet your password here within {hours} hours"
                  f" (the link works once):\n{_link(accept_url, token)}\n\nInvitation token: {token}\n"))
        return user["id"], hashlib.sha256(token.encode()).hexdigest()[:16], expires


async def _spend_mail_token(conn: asyncpg.Connection, token: str, kind: str, field: str = "token") -> asyncpg.Record:
    row = await conn.fetchrow(
        "SELECT t.*, u.email, u.status FROM mail_tokens t JOIN users u ON u.id = t.user_id"
        " WHERE t.token_hash = $1 AND t.kind = $2 FOR UPDATE OF t, u", tokens.digest(token), kind)
    if row is None or row["used_at"] is not None or row["expires_at"] <= dt.datetime.now(dt.timezone.utc):
        raise DomainError(ErrorCode.UNAUTHENTICATED, f"{field}: invalid, expired or already used", field=field)
    await conn.execute("UPDATE mail_tokens SET used_at = now() WHERE token_hash = $1", row["token_hash"])
    return row


async def accept_invitation(pool: asyncpg.Pool, hasher: passwords.Hasher, *, token: str, password: str,
                            display_name: str, ip: str, user_agent: str, policy: Policy) -> sessions.Grant:
    display_name = display_name.strip()[:200]
    async with pool.acquire() as conn, conn.transaction():
        row = await _spend_mail_token(conn, token, "invitation")
        if row["status"] == "deactivated":
            raise DomainError(ErrorCode.UNAUTHENTICATED, "token: invalid, expired or already used", field="token")
        passwords.check_policy(password, email=row["email"])
        hashed = await hasher.hash(password)
        user = await conn.fetchrow(
            "UPDATE users SET password_hash = $2, status = 'active', display_name = COALESCE(NULLIF($3, ''),"
            " display_name) WHERE id = $1 RETURNING *", row["user_id"], hashed, display_name)
        return await sessions.start_staff(conn, user, lifetime=policy.session_lifetime, ip=ip, user_agent=user_agent)


def _refused() -> DomainError:
    return DomainError(ErrorCode.UNAUTHENTICATED, "invalid email or password")


async def _claim_attempt(conn: asyncpg.Connection, user_id: uuid.UUID, policy: Policy) -> bool:
    """Counts this attempt before the password is checked, in one statement: however many guesses arrive at
    once, at most `max_failed_sign_ins` are ever verified before the lock. False: locked."""
    count = await conn.fetchval(
        "UPDATE users SET"
        " failed_sign_ins = CASE WHEN locked_until IS NOT NULL AND locked_until <= now() THEN 1"
        "                   ELSE failed_sign_ins + 1 END,"
        " locked_until = CASE WHEN locked_until IS NOT NULL AND locked_until <= now() THEN NULL ELSE locked_until END"
        " WHERE id = $1 AND (locked_until IS NULL OR locked_until <= now()) RETURNING failed_sign_ins", user_id)
    if count is None:
        return False
    if count > policy.max_failed_sign_ins:
        await conn.execute("UPDATE users SET locked_until = now() + $2::interval WHERE id = $1", user_id, policy.lockout)
        return False
    return True


async def sign_in(pool: asyncpg.Pool, hasher: passwords.Hasher, *, email: str, password: str, totp_code: str,
                  ip: str, user_agent: str, policy: Policy) -> sessions.Grant:
    async with pool.acquire() as conn:
        user = await conn.fetchrow("SELECT * FROM users WHERE lower(email) = lower($1)", email.strip())
        if user is None or user["status"] != "active":
            await hasher.verify(None, password)  # the same time as a real check: no enumeration by timing
            raise _refused()
        if not await _claim_attempt(conn, user["id"], policy):
            raise DomainError(ErrorCode.UNAUTHENTICATED, "too many failed sign-ins: try again later")
    if not await hasher.verify(user["password_hash"], password):
        raise _refused()
    async with pool.acquire() as conn, conn.transaction():
        if user["totp_enabled"]:
            if not totp_code:
                return sessions.Grant(session_id=uuid.UUID(int=0), refresh_token="", refresh_expires_at=None,
                                      kind="staff", user_id=str(user["id"]), mfa_required=True)
            if not await _check_second_factor(conn, user, totp_code):
                raise DomainError(ErrorCode.UNAUTHENTICATED, "totpCode: wrong code", field="totpCode")
        if hasher.needs_rehash(user["password_hash"]):
            await conn.execute("UPDATE users SET password_hash = $2 WHERE id = $1", user["id"],
                               await hasher.hash(password))
        return await sessions.start_staff(conn, user, lifetime=policy.session_lifetime, ip=ip, user_agent=user_agent)


async def _check_second_factor(conn: asyncpg.Connection, user, code: str) -> bool:
    code = code.strip().replace(" ", "")
    if code.isdigit() and len(code) == 6:
        return pyotp.TOTP(user["totp_secret"]).verify(code, valid_window=1)
    used = await conn.fetchval(
        "UPDATE recovery_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL"
        " RETURNING true", user["id"], tokens.digest(code.lower()))
    return bool(used)


async def request_reset(pool: asyncpg.Pool, *, email: str, reset_url: str, policy: Policy) -> None:
    """Mails a link when the address has an active account; otherwise nothing. The caller answers the same."""
    async with pool.acquire() as conn, conn.transaction():
        user = await conn.fetchrow("SELECT * FROM users WHERE lower(email) = lower($1) AND status = 'active'",
                                   email.strip())
        if user is None:
            return
        token = tokens.new_token("rst")
        await conn.execute("INSERT INTO mail_tokens (token_hash, kind, user_id, expires_at) VALUES ($1, 'reset', $2,"
                           " now() + $3::interval)", tokens.digest(token), user["id"], policy.reset_valid)
        minutes = int(policy.reset_valid.total_seconds() // 60)
        await mailing.enqueue(conn, to=user["email"], subject="Reset your password",
                              body=(f"Someone asked to reset your password. If it was you, use this link within"
                                    f" {minutes} minutes (it works once):\n{_link(reset_url, token)}\n\n"
                                    f"Reset token: {token}\n\nIf it was not you, ignore this mail.\n"))


async def reset_password(pool: asyncpg.Pool, hasher: passwords.Hasher, *, token: str, password: str) -> None:
    async with pool.acquire() as conn, conn.transaction():
        row = await _spend_mail_token(conn, token, "reset")
        if row["status"] != "active":
            raise DomainError(ErrorCode.UNAUTHENTICATED, "token: invalid, expired or already used", field="token")
        passwords.check_policy(password, email=row["email"])
        await conn.execute("UPDATE users SET password_hash = $2, failed_sign_ins = 0, locked_until = NULL"
                           " WHERE id = $1", row["user_id"], await hasher.hash(password))
        # A new password ends every session opened with the old one.
        for session_id in await conn.fetch("SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL",
                                           row["user_id"]):
            await sessions.revoke(conn, session_id["id"], "password reset")


async def user(pool: asyncpg.Pool, user_id: uuid.UUID) -> tuple[asyncpg.Record, tuple[sessions.Assignment, ...]]:
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM users WHERE id = $1", user_id)
        if row is None:
            raise not_found("user", str(user_id))
        return row, await sessions.assignments(conn, user_id)


async def list_users(pool: asyncpg.Pool, *, program_code: str) -> list[tuple[asyncpg.Record, tuple]]:
    async with pool.acquire() as conn:
        if program_code:
            rows = await conn.fetch("SELECT DISTINCT u.* FROM users u JOIN role_assignments a ON a.user_id = u.id"
                                    " WHERE a.program_code = $1 ORDER BY u.email", program_code)
        else:
            rows = await conn.fetch("SELECT * FROM users ORDER BY email")
        return [(r, await sessions.assignments(conn, r["id"])) for r in rows]


async def deactivate(pool: asyncpg.Pool, *, user_id: uuid.UUID, program_code: str) -> None:
    """The user can no longer sign in, and every live session is revoked in the same transaction
    (announced on the revocation feed at commit)."""
    async with pool.acquire() as conn, conn.transaction():
        if program_code != PLATFORM and not await conn.fetchval(
                "SELECT true FROM role_assignments WHERE user_id = $1 AND program_code = $2", user_id, program_code):
            raise not_found("user", str(user_id))  # not one of this program's users: never reveal another tenant's
        done = await conn.fetchval("UPDATE users SET status = 'deactivated', deactivated_at = now() WHERE id = $1"
                                   " RETURNING true", user_id)
        if not done:
            raise not_found("user", str(user_id))
        for row in await conn.fetch("SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL FOR UPDATE",
                                    user_id):
            await sessions.revoke(conn, row["id"], "user deactivated")


async def assign_role(pool: asyncpg.Pool, *, user_id: uuid.UUID, program_code: str, role_code: str,
                      remove: bool = False, store: str = "") -> None:
    """Assigning a role the user holds again sets its store (a Front-Line Manager moved to another store)."""
    store = _store(store, program_code)
    async with pool.acquire() as conn, conn.transaction():
        if not await conn.fetchval("SELECT true FROM users WHERE id = $1", user_id):
            raise not_found("user", str(user_id))
        if remove:
            await conn.execute("DELETE FROM role_assignments WHERE user_id = $1 AND program_code = $2 AND role_code = $3",
                               user_id, program_code, role_code)
        else:
            await role_exists(conn, program_code=program_code, role_code=role_code)
            await conn.execute(ASSIGN, user_id, program_code, role_code, store)


async def list_roles(pool: asyncpg.Pool, *, program_code: str) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return await conn.fetch("SELECT * FROM roles WHERE program_code = '' OR program_code = $1"
                                " ORDER BY builtin DESC, code", program_code)


ROLE_CODE = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


async def save_role(pool: asyncpg.Pool, *, program_code: str, code: str, name: str,
                    permissions: list[str]) -> asyncpg.Record:
    """A program's custom role. The gateway has checked the permissions against its catalogue."""
    if not program_code or program_code == PLATFORM:
        raise invalid("program", "custom roles belong to one program")
    if not ROLE_CODE.match(code):
        raise invalid("code", "lower-case letters, digits and _ (2-41 characters), starting with a letter")
    if not name.strip():
        raise invalid("name", "is required")
    if not permissions:
        raise invalid("permissions", "give at least one permission")
    async with pool.acquire() as conn, conn.transaction():
        if await conn.fetchval("SELECT true FROM roles WHERE program_code = '' AND code = $1", code):
            raise invalid("code", f"{code!r} is a built-in role")
        return await conn.fetchrow(
            "INSERT INTO roles (program_code, code, name, permissions) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (program_code, code) DO UPDATE SET name = EXCLUDED.name, permissions = EXCLUDED.permissions"
            " RETURNING *", program_code, code, name.strip(), sorted(set(permissions)))


async def begin_totp(pool: asyncpg.Pool, *, user_id: uuid.UUID, policy: Policy) -> tuple[str, str]:
    secret = pyotp.random_base32()
    async with pool.acquire() as conn:
        email = await conn.fetchval("UPDATE users SET totp_pending_secret = $2 WHERE id = $1 AND status = 'active'"
                                    " RETURNING email", user_id, secret)
    if email is None:
        raise not_found("user", str(user_id))
    return secret, pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=policy.totp_issuer)


async def confirm_totp(pool: asyncpg.Pool, *, user_id: uuid.UUID, code: str) -> list[str]:
    """Turns TOTP on once a code from the new secret checks; returns ten recovery codes, shown once."""
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow("SELECT totp_pending_secret FROM users WHERE id = $1 FOR UPDATE", user_id)
        if row is None or not row["totp_pending_secret"]:
            raise invalid("code", "start TOTP enrolment first")
        if not pyotp.TOTP(row["totp_pending_secret"]).verify(code.strip(), valid_window=1):
            raise invalid("code", "wrong code")
        await conn.execute("UPDATE users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL,"
                           " totp_enabled = true WHERE id = $1", user_id)
        await conn.execute("DELETE FROM recovery_codes WHERE user_id = $1", user_id)
        codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(10)]
        await conn.executemany("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)",
                               [(user_id, tokens.digest(c)) for c in codes])
        return codes
