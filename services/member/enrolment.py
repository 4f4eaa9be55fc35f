"""Enrolment: validated profile, duplicate check, loyalty number, LOY_OPT_IN in the outbox."""

import dataclasses
import datetime as dt
import uuid

import asyncpg

from services.common import validation
from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode, not_found
from services.common.outbox import add_event
from services.member import repository
from services.member.loyalty_numbers import make_loyalty_number


@dataclasses.dataclass(frozen=True)
class EnrolmentInput:
    email: str
    first_name: str
    last_name: str
    phone: str = ""
    birth_date: str = ""
    channel: str = ""


def _duplicate(email: str) -> DomainError:
    return DomainError(
        ErrorCode.DUPLICATE_MEMBER, f"a member with email {email!r} is already enrolled in this program", field="email"
    )


async def enroll(pool: asyncpg.Pool, *, program_id: uuid.UUID, data: EnrolmentInput) -> asyncpg.Record:
    email = validation.email(data.email)
    first_name = validation.name(data.first_name, "firstName")
    last_name = validation.name(data.last_name, "lastName")
    phone = validation.phone(data.phone)
    birth_date = validation.past_date(data.birth_date, "birthDate")
    normalized = validation.normalized_email(email)
    try:
        async with tenant_tx(pool, program_id) as conn:
            program = await repository.program_by_id(conn, program_id)
            if program is None:
                raise not_found("program", str(program_id))
            if program["archived_at"] is not None:
                raise DomainError(ErrorCode.PROGRAM_ARCHIVED, f"program {program['code']!r} is archived")
            if await repository.member_by_email(conn, normalized):
                raise _duplicate(email)
            sequence = await repository.next_loyalty_sequence(conn)
            member = await repository.insert_member(
                conn, program_id=program_id, member_id=uuid.uuid4(),
                loyalty_number=make_loyalty_number(prefix=program["loyalty_number_prefix"], sequence=sequence),
                email=email, email_normalized=normalized, first_name=first_name, last_name=last_name,
                phone=phone, birth_date=birth_date, channel=(data.channel or "api")[:40],
            )
            await add_event(
                conn, program_id=program_id, event_type="LOY_OPT_IN",
                payload={"member_id": str(member["id"]), "loyalty_number": member["loyalty_number"],
                         "status": member["status"], "opted_in_at": member["enrolled_at"].isoformat()},
            )
    except asyncpg.UniqueViolationError:  # a concurrent enrolment with the same email won the race
        raise _duplicate(email) from None
    return member


async def get_member(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, loyalty_number: str = "", member_id: uuid.UUID | None = None
) -> asyncpg.Record:
    async with tenant_tx(pool, program_id) as conn:
        if member_id is not None:
            row = await repository.member_by_id(conn, member_id)
        else:
            row = await repository.member_by_loyalty_number(conn, loyalty_number)
    if row is None:
        raise not_found("member", loyalty_number or str(member_id))
    return row


def today() -> dt.date:
    return dt.date.today()
