"""One-time passcodes for the POS: 6 digits, bound to a member, mailed, 15 minutes, single use.

Only an HMAC-SHA256 of the code is stored, keyed by the server's pepper and a random secret of
the program. Comparisons are constant time. Every wrong guess for a member's code is counted
with one atomic UPDATE on the code's row, so five wrong guesses lock it however many arrive at
once; a locked code is refused even when right. The clock is injected (`now`).
"""

import dataclasses
import datetime as dt
import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import Callable

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode, invalid, not_found
from services.common.mail import Sender
from services.rewards import repository
from services.rewards.peers import MemberRef
from services.rewards.results import Identified, OtpSent

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]


@dataclasses.dataclass(frozen=True)
class OtpPolicy:
    pepper: str = ""                  # server secret (REWARDS_OTP_PEPPER); mixed with the program's secret
    valid_for: dt.timedelta = dt.timedelta(minutes=15)
    max_attempts: int = 5
    requests_per_hour: int = 5
    identify_failures_per_window: int = 20   # wrong codes a POS may try per window when identifying
    identify_window: dt.timedelta = dt.timedelta(minutes=15)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def code_hash(*, pepper: str, program_secret: bytes, code: str) -> bytes:
    key = hmac.new(pepper.encode(), program_secret, hashlib.sha256).digest()
    return hmac.new(key, code.encode(), hashlib.sha256).digest()


def _check_format(code: str, field: str = "otp") -> str:
    code = (code or "").strip()
    if len(code) != 6 or not code.isdigit():
        raise invalid(field, "must be the 6-digit passcode")
    return code


def mask(address: str) -> str:
    if "@" not in address:  # a phone number
        return f"***{address[-3:]}"
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


async def _secret(conn: asyncpg.Connection, program_id: uuid.UUID) -> bytes:
    program = await repository.program(conn, program_id)
    if program is None:
        raise not_found("program", str(program_id))
    return bytes(program["otp_secret"])


async def issue(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, member: MemberRef, sender: Sender, policy: OtpPolicy, now: Clock,
    passcodes=None,
) -> OtpSent:
    """A new code for the member (earlier live codes stop working), sent to them: through the
    notifications service's passcode template when `passcodes` is given (peers.Passcodes), else
    mailed by `sender`."""
    if member.status != "active":
        raise DomainError(ErrorCode.MEMBER_BLOCKED, f"member {member.loyalty_number} is {member.status}",
                          field="loyaltyNumber")
    if passcodes is None and not member.email:
        raise invalid("loyaltyNumber", "the member has no email address to send a passcode to")
    issued_at = now()
    expires_at = issued_at + policy.valid_for
    async with tenant_tx(pool, program_id) as conn:
        secret = await _secret(conn, program_id)
        await repository.lock_member_otps(conn, program_id, member.loyalty_number)
        recent = await repository.otps_issued_since(conn, member.loyalty_number, issued_at - dt.timedelta(hours=1))
        if recent >= policy.requests_per_hour:
            raise DomainError(ErrorCode.OTP_RATE_LIMITED,
                              f"at most {policy.requests_per_hour} passcodes per member per hour; try later",
                              field="loyaltyNumber")
        await repository.supersede_member_otps(conn, member.loyalty_number)
        for _ in range(10):
            code = f"{secrets.randbelow(10**6):06d}"
            digest = code_hash(pepper=policy.pepper, program_secret=secret, code=code)
            await repository.retire_expired_with_hash(conn, digest, issued_at)
            try:
                async with conn.transaction():  # a savepoint: a clash with another member's live code retries
                    await repository.insert_otp(
                        conn, program_id=program_id, id=uuid.uuid4(), member_id=uuid.UUID(member.member_id),
                        loyalty_number=member.loyalty_number, code_hash=digest, issued_at=issued_at,
                        expires_at=expires_at)
                break
            except asyncpg.UniqueViolationError:
                continue
        else:
            raise DomainError(ErrorCode.UNAVAILABLE, "could not allocate a passcode; try again")
    minutes = int(policy.valid_for.total_seconds() // 60)
    if passcodes is not None:
        try:
            channel, recipient = await passcodes.send(program_id, loyalty_number=member.loyalty_number, code=code,
                                                      minutes=minutes)
        except DomainError as err:  # the code stays unusable by anyone but the member's mailbox or phone
            log.warning("sending passcode to member %s failed: %s", member.loyalty_number, err)
            if err.code == ErrorCode.INVALID_INPUT:
                raise
            raise DomainError(ErrorCode.UNAVAILABLE, "the passcode could not be sent; try again") from None
        return OtpSent(expires_at=expires_at.isoformat(), channel=channel, destination=mask(recipient))
    try:
        await sender.send(
            to=member.email, subject="Your one-time passcode",
            body=f"Your passcode is {code}.\nShow it at the counter within {minutes} minutes. "
                 "It works once. If you did not ask for it, ignore this message.",
        )
    except Exception as exc:  # the code stays unusable by anyone but the mailbox; say the channel failed
        log.warning("sending passcode to member %s failed: %s", member.loyalty_number, exc)
        raise DomainError(ErrorCode.UNAVAILABLE, "the passcode could not be sent; try again") from None
    return OtpSent(expires_at=expires_at.isoformat(), channel="email", destination=mask(member.email))


def _refusal(row, *, now: dt.datetime) -> DomainError | None:
    if row["status"] == "locked":
        return DomainError(ErrorCode.OTP_LOCKED, "too many wrong attempts: request a new passcode", field="otp")
    if row["status"] == "used":
        return DomainError(ErrorCode.OTP_USED, "this passcode was already used: request a new one", field="otp")
    if row["status"] != "active":
        return DomainError(ErrorCode.OTP_INVALID, "wrong passcode", field="otp")
    if now >= row["expires_at"]:
        return DomainError(ErrorCode.OTP_EXPIRED, "the passcode has expired: request a new one", field="otp")
    return None


async def identify(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, code: str, principal: str, policy: OtpPolicy, now: Clock,
) -> Identified:
    """The member a live code belongs to. Wrong codes are counted per caller and window."""
    code = _check_format(code)
    at = now()
    window = policy.identify_window.total_seconds()
    window_start = dt.datetime.fromtimestamp(at.timestamp() // window * window, dt.timezone.utc)
    refusal: DomainError | None = None
    async with tenant_tx(pool, program_id) as conn:
        # The caller's counter row, locked until this transaction ends: concurrent guesses from one
        # terminal queue here, so the check and the count are one step (never limit + 1 guesses).
        if await repository.lock_identify_failures(conn, program_id=program_id, principal=principal,
                                                   window_start=window_start) \
                >= policy.identify_failures_per_window:
            raise DomainError(ErrorCode.OTP_RATE_LIMITED, "too many wrong passcodes from this terminal; wait",
                              field="otp")
        digest = code_hash(pepper=policy.pepper, program_secret=await _secret(conn, program_id), code=code)
        row = await repository.otp_by_hash(conn, digest)
        if row is None or not hmac.compare_digest(bytes(row["code_hash"]), digest):
            refusal = DomainError(ErrorCode.OTP_INVALID, "no member has this passcode", field="otp")
        else:
            refusal = _refusal(row, now=at)
        if refusal is not None:
            await repository.add_identify_failure(conn, program_id=program_id, principal=principal,
                                                  window_start=window_start)
    if refusal is not None:  # raised after commit, so the failure is counted
        raise refusal
    return Identified(loyalty_number=row["loyalty_number"], member_id=str(row["member_id"]),
                      otp_expires_at=row["expires_at"].isoformat())


async def match(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, loyalty_number: str, code: str, policy: OtpPolicy,
) -> uuid.UUID:
    """The member's code this is, before any transaction of the caller's opens. A wrong code is
    counted (and refused) here, in a transaction of its own that commits; a right one is judged
    (live? used? expired?) by `use`, under the row's lock, inside the caller's transaction."""
    code = _check_format(code)
    async with tenant_tx(pool, program_id) as conn:
        digest = code_hash(pepper=policy.pepper, program_secret=await _secret(conn, program_id), code=code)
        row = await repository.latest_otp_of_member(conn, loyalty_number)
        if row is not None and hmac.compare_digest(bytes(row["code_hash"]), digest):
            return row["id"]
        if row is None or row["status"] != "active":
            locked = row is not None and row["status"] == "locked"
            raise DomainError(ErrorCode.OTP_LOCKED if locked else ErrorCode.OTP_INVALID,
                              "too many wrong attempts: request a new passcode" if locked else "wrong passcode",
                              field="otp")
        status = await repository.record_wrong_attempt(conn, row["id"], max_attempts=policy.max_attempts)
    if status == "active":
        raise DomainError(ErrorCode.OTP_INVALID, "wrong passcode", field="otp")
    raise DomainError(ErrorCode.OTP_LOCKED, "too many wrong attempts: request a new passcode", field="otp")


async def use(conn: asyncpg.Connection, otp_id: uuid.UUID, *, now: Clock) -> None:
    """Spend a matched code inside the caller's transaction: if that rolls back, the code stays usable."""
    at = now()
    row = await repository.otp_by_id(conn, otp_id, lock=True)  # waits for concurrent guesses and uses
    refusal = _refusal(row, now=at)
    if refusal is not None:
        raise refusal
    await repository.mark_otp_used(conn, otp_id, at)


async def verify(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, loyalty_number: str, code: str, policy: OtpPolicy, now: Clock,
) -> uuid.UUID:
    """Check and spend the member's code on its own (a claim does the same around its transaction)."""
    otp_id = await match(pool, program_id=program_id, loyalty_number=loyalty_number, code=code, policy=policy)
    async with tenant_tx(pool, program_id) as conn:
        await use(conn, otp_id, now=now)
    return otp_id
