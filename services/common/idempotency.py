"""Idempotency keys: the same key and request return the first answer; a different request conflicts.

The key row is inserted in the same transaction as the operation, so a concurrent replay waits on
the unique index until the first commits, then reads its stored answer.
"""

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
from google.protobuf.message import Message

from services.common.errors import DomainError, ErrorCode

M = TypeVar("M", bound=Message)

def request_fingerprint(request: Message) -> bytes:
    return hashlib.sha256(request.SerializeToString(deterministic=True)).digest()


async def run_once(
    conn: asyncpg.Connection,
    *,
    program_id: uuid.UUID,
    operation: str,
    key: str,
    request: Message,
    response_type: type[M],
    perform: Callable[[], Awaitable[M]],
) -> M:
    fingerprint = request_fingerprint(request)
    claimed = await conn.fetchval(
        "INSERT INTO idempotency_keys(program_id, operation, key, request_hash) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT DO NOTHING RETURNING true",
        program_id, operation, key, fingerprint,
    )
    if not claimed:
        row = await conn.fetchrow(
            "SELECT request_hash, response FROM idempotency_keys WHERE program_id = $1 AND operation = $2 AND key = $3",
            program_id, operation, key,
        )
        if row["request_hash"] != fingerprint:
            raise DomainError(
                ErrorCode.IDEMPOTENCY_CONFLICT,
                f"reference {key!r} was already used for a different {operation} request",
                field="reference",
            )
        return response_type.FromString(row["response"])
    response = await perform()
    await conn.execute(
        "UPDATE idempotency_keys SET response = $4 WHERE program_id = $1 AND operation = $2 AND key = $3",
        program_id, operation, key, response.SerializeToString(deterministic=True),
    )
    return response
