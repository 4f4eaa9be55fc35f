"""Member self-service sign-in: a 6-digit passcode mailed to the member, 15 minutes, single use,
locked after five wrong tries (the rewards passcode rules). Requests are answered the same whether
or not a member matched; the gateway finds the member and passes what it found."""

import dataclasses
import datetime as dt
import uuid

import asyncpg

from services.common.errors import DomainError, ErrorCode
from services.identity import mailing, sessions, tokens


@dataclasses.dataclass(frozen=True)
class PasscodePolicy:
    valid_for: dt.timedelta = dt.timedelta(minutes=15)
    max_attempts: int = 5
    max_requests: int = 5  # per member per `valid_for`: more are silently not sent
    session_lifetime: dt.timedelta = dt.timedelta(days=1)


def _refused() -> DomainError:
    return DomainError(ErrorCode.UNAUTHENTICATED, "passcode: wrong, expired or already used", field="passcode")


async def request(pool: asyncpg.Pool, *, program_code: str, member_id: uuid.UUID, loyalty_number: str, email: str,
                  program_name: str, policy: PasscodePolicy) -> None:
    code = tokens.passcode()
    async with pool.acquire() as conn, conn.transaction():
        recent = await conn.fetchval(
            "SELECT count(*) FROM member_passcodes WHERE program_code = $1 AND member_id = $2"
            " AND created_at > now() - $3::interval", program_code, member_id, policy.valid_for)
        if recent >= policy.max_requests:
            return
        await conn.execute("UPDATE member_passcodes SET status = 'superseded' WHERE program_code = $1"
                           " AND member_id = $2 AND status = 'live'", program_code, member_id)
        await conn.execute(
            "INSERT INTO member_passcodes (id, program_code, member_id, loyalty_number, code_hash, expires_at)"
            " VALUES ($1, $2, $3, $4, $5, now() + $6::interval)", uuid.uuid4(), program_code, member_id, loyalty_number,
            tokens.digest(code), policy.valid_for)
        minutes = int(policy.valid_for.total_seconds() // 60)
        await mailing.enqueue(conn, to=email, subject=f"Your {program_name or program_code} sign-in code",
                              body=f"Your sign-in code is {code}. It works once, within {minutes} minutes.\n")


async def sign_in(pool: asyncpg.Pool, *, program_code: str, member_id: uuid.UUID | None, loyalty_number: str,
                  passcode: str, ip: str, user_agent: str, policy: PasscodePolicy) -> sessions.Grant:
    if member_id is None:
        raise _refused()
    failed = False
    async with pool.acquire() as conn, conn.transaction():
        # The row lock makes concurrent guesses count one after another.
        row = await conn.fetchrow(
            "SELECT * FROM member_passcodes WHERE program_code = $1 AND member_id = $2 AND status = 'live'"
            " ORDER BY created_at DESC LIMIT 1 FOR UPDATE", program_code, member_id)
        if row is None or row["expires_at"] <= dt.datetime.now(dt.timezone.utc):
            raise _refused()
        if not tokens.same(row["code_hash"], tokens.digest(passcode.strip())):
            await conn.execute(
                "UPDATE member_passcodes SET attempts = attempts + 1,"
                " status = CASE WHEN attempts + 1 >= $2 THEN 'locked' ELSE status END WHERE id = $1",
                row["id"], policy.max_attempts)
            failed = True
        else:
            await conn.execute("UPDATE member_passcodes SET status = 'used' WHERE id = $1", row["id"])
            return await sessions.start_member(conn, member_id=member_id, loyalty_number=row["loyalty_number"],
                                               program_code=program_code, lifetime=policy.session_lifetime,
                                               ip=ip, user_agent=user_agent)
    if failed:  # committed: the wrong try counts
        raise _refused()
