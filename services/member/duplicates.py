"""Duplicate rules (same email, or phone, or name and birth date in one program), the blocklist of
blacklisted identities, and the report of likely duplicates already present."""

import hashlib
import uuid

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode
from services.member import repository

_RULE_FIELD = {"email": "email", "phone": "phone", "name_birth": "birthDate"}
_RULE_TEXT = {"email": "email", "phone": "phone", "name_birth": "name and birth date"}
_CONSTRAINT_RULE = {"members_program_id_email_normalized_key": "email", "members_unique_phone": "phone",
                    "members_unique_name_birth": "name_birth"}


def duplicate(rule: str) -> DomainError:
    return DomainError(
        ErrorCode.DUPLICATE_MEMBER, f"a member with the same {_RULE_TEXT[rule]} is already enrolled in this program",
        field=_RULE_FIELD[rule],
    )


def from_unique_violation(exc: asyncpg.UniqueViolationError) -> DomainError:
    """A concurrent enrolment or update won the race on one of the unique indexes."""
    return duplicate(_CONSTRAINT_RULE.get(exc.constraint_name, "email"))


def identity_hashes(*, program_id: uuid.UUID, email_normalized: str, phone: str, first_name: str, last_name: str,
                    birth_date) -> dict[str, bytes]:
    """Keyed by program, so the blocklist is useless outside it and holds no readable data."""
    values = {"email": email_normalized, "phone": phone}
    if birth_date is not None:
        values["name_birth"] = f"{first_name.strip().lower()}|{last_name.strip().lower()}|{birth_date.isoformat()}"
    return {kind: hashlib.sha256(f"{program_id}|{kind}|{value}".encode()).digest()
            for kind, value in values.items() if value}


async def refuse_blocked_or_duplicate(
    conn: asyncpg.Connection, *, program_id: uuid.UUID, email_normalized: str, phone: str, first_name: str,
    last_name: str, birth_date, exclude_id: uuid.UUID | None = None,
) -> None:
    hashes = identity_hashes(program_id=program_id, email_normalized=email_normalized, phone=phone,
                             first_name=first_name, last_name=last_name, birth_date=birth_date)
    blocked = await repository.blocked_kinds(conn, hashes)
    if blocked:
        raise DomainError(
            ErrorCode.MEMBER_BLOCKED,
            f"this {_RULE_TEXT[blocked[0]]} belongs to a blacklisted member and cannot enrol again",
            field=_RULE_FIELD[blocked[0]],
        )
    found = await repository.find_duplicate(
        conn, email_normalized=email_normalized, phone=phone, first_name=first_name, last_name=last_name,
        birth_date=birth_date, exclude_id=exclude_id,
    )
    if found:
        raise duplicate(found[0])


async def likely_duplicates(pool: asyncpg.Pool, *, program_id: uuid.UUID, limit: int = 100, page_token: str = "",
                            min_score: int = 0, query: str = ""):
    """A page of the likely duplicates queue, highest score first, and the next page's token ("" at the end)."""
    limit = min(max(limit or 100, 1), 1000)
    after = _after(page_token)
    async with tenant_tx(pool, program_id) as conn:
        pairs = await repository.likely_duplicates(conn, limit=limit + 1, after=after, min_score=min_score,
                                                   query=query.strip())
        more, pairs = len(pairs) > limit, pairs[:limit]
        members = await repository.members_by_ids(conn, list({i for p in pairs for i in (p["a"], p["b"])}))
    last = pairs[-1] if pairs else None
    token = f"{last['score']}:{last['a']}:{last['b']}" if more and last else ""
    return [(members[p["a"]], members[p["b"]], list(p["reasons"]), p["score"]) for p in pairs], token


def _after(token: str) -> tuple[int, uuid.UUID, uuid.UUID] | None:
    if not token:
        return None
    try:
        score, a, b = token.split(":")
        return int(score), uuid.UUID(a), uuid.UUID(b)
    except ValueError:
        raise DomainError(ErrorCode.INVALID_INPUT, "after: is not a page token of this list", field="after") from None
