"""Enrolment: validated profile, blocklist and duplicate rules, loyalty number, LOY_OPT_IN in the
outbox and the welcome mail queued, all in one transaction."""

import dataclasses
import datetime as dt
import uuid

import asyncpg

from services.common import validation
from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode, not_found
from services.common.outbox import add_event
from services.member import duplicates, profiles, repository, segments
from services.member.loyalty_numbers import make_loyalty_number

CHANNELS = frozenset({"api", "pos", "web", "app", "kiosk", "call_center", "import", "partner", "ui"})


@dataclasses.dataclass(frozen=True)
class EnrolmentInput:
    email: str
    first_name: str
    last_name: str
    phone: str = ""
    birth_date: str = ""
    channel: str = ""
    zip: str = ""
    nationality: str = ""
    consents: profiles.Consents = profiles.Consents()
    custom_attributes_json: str = ""
    opted_in_at: str = ""


def channel(value: str) -> str:
    value = (value or "api").strip().lower()
    if value not in CHANNELS:
        raise validation.invalid("channel", f"{value!r} is not one of {sorted(CHANNELS)}")
    return value


async def enroll(pool: asyncpg.Pool, *, program_id: uuid.UUID, data: EnrolmentInput) -> asyncpg.Record:
    email = validation.email(data.email)
    first_name = validation.name(data.first_name, "firstName")
    last_name = validation.name(data.last_name, "lastName")
    phone = validation.phone(data.phone)
    birth_date = validation.past_date(data.birth_date, "birthDate")
    zip_code = profiles.zip_code(data.zip)
    nationality = profiles.nationality(data.nationality)
    opted_in_at = profiles.opted_in_at(data.opted_in_at)
    enrol_channel = channel(data.channel)
    custom = profiles.parse_custom_attributes(data.custom_attributes_json)
    normalized = validation.normalized_email(email)
    try:
        async with tenant_tx(pool, program_id) as conn:
            program = await repository.program_by_id(conn, program_id)
            if program is None:
                raise not_found("program", str(program_id))
            if program["archived_at"] is not None:
                raise DomainError(ErrorCode.PROGRAM_ARCHIVED, f"program {program['code']!r} is archived")
            settings = await repository.member_settings(conn)
            profiles.check_custom_attributes(custom, settings["custom_attributes_schema"] if settings else None)
            await duplicates.refuse_blocked_or_duplicate(
                conn, program_id=program_id, email_normalized=normalized, phone=phone, first_name=first_name,
                last_name=last_name, birth_date=birth_date,
            )
            sequence = await repository.next_loyalty_sequence(conn)
            member = await repository.insert_member(
                conn, program_id=program_id, member_id=uuid.uuid4(),
                loyalty_number=make_loyalty_number(prefix=program["loyalty_number_prefix"], sequence=sequence),
                email=email, email_normalized=normalized, first_name=first_name, last_name=last_name,
                phone=phone, birth_date=birth_date, channel=enrol_channel, zip_code=zip_code,
                nationality=nationality, consents=data.consents.as_tuple(), custom_attributes=custom,
                opted_in_at=opted_in_at,
            )
            await add_event(
                conn, program_id=program_id, event_type="LOY_OPT_IN",
                payload={"member_id": str(member["id"]), "loyalty_number": member["loyalty_number"],
                         "status": member["status"], "opted_in_at": member["opted_in_at"].isoformat(),
                         "channel": enrol_channel},
            )
            if settings is None or settings["welcome_enabled"]:
                await repository.queue_mail(conn, program_id=program_id, member_id=member["id"], kind="welcome")
            await segments.reevaluate_member(conn, program_id=program_id, member_id=member["id"])
    except asyncpg.UniqueViolationError as exc:  # a concurrent enrolment won the race
        raise duplicates.from_unique_violation(exc) from None
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
