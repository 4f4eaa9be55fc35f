"""Idempotency keys: the same key and request return the first answer; a different request conflicts.

The key row is inserted in the same transaction as the operation, so a concurrent replay waits on
the unique index until the first commits, then reads its stored answer.

What is compared and what is kept is a `Replay`: the request's fingerprint and the codec of the
answer. A service whose domain takes protos passes `request` and `response_type`; one whose
domain takes commands (points) gets a Replay from its api.py, made from the wire request, so keys
stored by earlier versions keep replaying; a command made inside the service (not from a request)
uses `json_replay`.
"""

import dataclasses
import datetime as dt
import hashlib
import json
import typing
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Generic, TypeVar

import asyncpg
from google.protobuf.message import Message

from services.common.errors import DomainError, ErrorCode

M = TypeVar("M", bound=Message)
A = TypeVar("A")


def request_fingerprint(request: Message) -> bytes:
    return hashlib.sha256(request.SerializeToString(deterministic=True)).digest()


@dataclasses.dataclass(frozen=True)
class Replay(Generic[A]):
    fingerprint: bytes
    encode: Callable[[A], bytes]
    decode: Callable[[bytes], A]


def proto_replay(request: Message, response_type: type[M]) -> Replay[M]:
    return Replay(request_fingerprint(request), lambda r: r.SerializeToString(deterministic=True),
                  response_type.FromString)


def _plain(value):
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _rebuild(cls, data):
    """A frozen dataclass (with tuples of dataclasses inside) from its JSON form."""
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if not f.init or f.name not in data:
            continue
        value, hint = data[f.name], hints[f.name]
        args = typing.get_args(hint)
        if typing.get_origin(hint) is tuple and args and dataclasses.is_dataclass(args[0]):
            value = tuple(_rebuild(args[0], v) for v in value)
        elif typing.get_origin(hint) is tuple:
            value = tuple(value)
        values[f.name] = value
    return cls(**values)


def json_replay(command, answer_type: type[A]) -> Replay[A]:
    """For a command made inside the service: its fields are the fingerprint, the answer kept as JSON."""
    canonical = json.dumps(dataclasses.asdict(command), sort_keys=True, default=_plain)
    return Replay(hashlib.sha256(canonical.encode()).digest(),
                  lambda answer: json.dumps(dataclasses.asdict(answer), default=_plain).encode(),
                  lambda raw: _rebuild(answer_type, json.loads(raw)))


async def run_once(
    conn: asyncpg.Connection,
    *,
    program_id: uuid.UUID,
    operation: str,
    key: str,
    perform: Callable[[], Awaitable[A]],
    replay: Replay[A] | None = None,
    request: Message | None = None,
    response_type: type[M] | None = None,
) -> A:
    replay = replay or proto_replay(request, response_type)
    claimed = await conn.fetchval(CLAIM, program_id, operation, key, replay.fingerprint)
    return await run_claimed(conn, claimed=bool(claimed), program_id=program_id, operation=operation, key=key,
                             perform=perform, replay=replay)


# The claim: a row under the key, or nothing when one is there (a concurrent first request: wait for it).
CLAIM = ("INSERT INTO idempotency_keys(program_id, operation, key, request_hash) VALUES ($1, $2, $3, $4)"
         " ON CONFLICT DO NOTHING RETURNING true")


async def run_claimed(
    conn: asyncpg.Connection, *, claimed: bool, program_id: uuid.UUID, operation: str, key: str,
    perform: Callable[[], Awaitable[A]], replay: Replay[A],
) -> A:
    """run_once after the claim, for a caller that made it inside a statement of its own (CLAIM's insert
    in a CTE; the earn path: one round trip fewer): perform and keep the answer, or replay the stored one."""
    if not claimed:
        row = await stored(conn, program_id=program_id, operation=operation, key=key, fingerprint=replay.fingerprint)
        return replay.decode(row["response"])
    response = await perform()
    await keep_answer(conn, program_id=program_id, operation=operation, key=key, response=replay.encode(response))
    return response


async def stored(conn: asyncpg.Connection, *, program_id: uuid.UUID, operation: str, key: str,
                 fingerprint: bytes, extra: tuple[str, ...] = ()) -> asyncpg.Record:
    """The row under a key this request did not claim (a request before it did); IDEMPOTENCY_CONFLICT
    when that request was a different one. `extra`: columns a service keeps beside the answer (the
    points service an earn's balances, its migration 0111)."""
    row = await conn.fetchrow(
        f"SELECT {', '.join(('request_hash', 'response', *extra))} FROM idempotency_keys"
        " WHERE program_id = $1 AND operation = $2 AND key = $3",
        program_id, operation, key,
    )
    if row["request_hash"] != fingerprint:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_CONFLICT,
            f"reference {key!r} was already used for a different {operation} request",
            field="reference",
        )
    return row


async def keep_answer(conn: asyncpg.Connection, *, program_id: uuid.UUID, operation: str, key: str,
                      response: bytes) -> None:
    """The answer under a key this request claimed."""
    await conn.execute(
        "UPDATE idempotency_keys SET response = $4 WHERE program_id = $1 AND operation = $2 AND key = $3",
        program_id, operation, key, response,
    )


async def has_answer(conn: asyncpg.Connection, *, operation: str, key: str) -> bool:
    """Whether `operation` already answered under `key` in this transaction's program (a replay is
    coming): a caller that must not repeat work done before the operation (a passcode check) peeks first."""
    return bool(await conn.fetchval(
        "SELECT true FROM idempotency_keys WHERE operation = $1 AND key = $2 AND response IS NOT NULL",
        operation, key))
