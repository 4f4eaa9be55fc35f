"""Per-program member settings (the welcome mail template, the custom attributes' schema) and the
mail relay: welcome mails are queued in the enrolment's transaction and sent after commit through
SMTP, retried with backoff on failure, never holding up the enrolment."""

import dataclasses
import json
import logging
import string
import uuid

import asyncpg

from services.common.db import global_tx, tenant_tx
from services.common.errors import invalid
from services.common.mail import Sender
from services.common.outbox import RelayLoop
from services.member import profiles, repository

log = logging.getLogger(__name__)

PLACEHOLDERS = frozenset({"first_name", "last_name", "loyalty_number", "program_name"})
DEFAULT_SUBJECT = "Welcome to {program_name}, {first_name}!"
DEFAULT_BODY = (
    "Hello {first_name} {last_name},\n\nwelcome to {program_name}. Your loyalty number is {loyalty_number}.\n"
    "Show it at every visit to earn points.\n"
)


@dataclasses.dataclass(frozen=True)
class Settings:
    welcome_enabled: bool = True
    welcome_subject: str = DEFAULT_SUBJECT
    welcome_body: str = DEFAULT_BODY
    custom_attributes_schema: dict | None = None


def check_template(template: str, field: str) -> str:
    if not template.strip():
        raise invalid(field, "is required")
    if len(template) > (200 if field.endswith("Subject") else 20000):
        raise invalid(field, "is too long")
    try:
        names = {name for _, name, spec, conv in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise invalid(field, f"is not a valid template: {exc}") from None
    unknown = names - PLACEHOLDERS
    if unknown:
        raise invalid(field, f"unknown placeholder {{{sorted(unknown)[0]}}}; use {sorted(PLACEHOLDERS)}")
    return template


def render(template: str, values: dict) -> str:
    return template.format_map({k: values.get(k, "") for k in PLACEHOLDERS})


async def get_settings(pool: asyncpg.Pool, *, program_id: uuid.UUID) -> Settings:
    async with tenant_tx(pool, program_id) as conn:
        row = await repository.member_settings(conn)
    return _settings(row)


def _settings(row) -> Settings:
    if row is None:
        return Settings()
    return Settings(welcome_enabled=row["welcome_enabled"], welcome_subject=row["welcome_subject"],
                    welcome_body=row["welcome_body"], custom_attributes_schema=row["custom_attributes_schema"])


async def update_settings(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, welcome_enabled: bool, welcome_subject: str, welcome_body: str,
    custom_attributes_schema_json: str, updated_by: str,
) -> Settings:
    subject = check_template(welcome_subject or DEFAULT_SUBJECT, "welcomeSubject")
    body = check_template(welcome_body or DEFAULT_BODY, "welcomeBody")
    schema = None
    if custom_attributes_schema_json:
        try:
            parsed = json.loads(custom_attributes_schema_json)
        except json.JSONDecodeError as exc:
            raise invalid("customAttributesSchema", f"is not valid JSON: {exc.msg}") from None
        if not isinstance(parsed, dict):
            raise invalid("customAttributesSchema", "must be a JSON object")
        schema = profiles.check_schema(parsed)
    async with tenant_tx(pool, program_id) as conn:
        if await repository.program_by_id(conn, program_id) is None:
            raise invalid("program", "unknown program")
        row = await repository.save_member_settings(
            conn, program_id=program_id, welcome_enabled=welcome_enabled, welcome_subject=subject,
            welcome_body=body, custom_attributes_schema=schema, updated_by=updated_by,
        )
    return _settings(row)


class MailRelay(RelayLoop):
    """Sends queued mail after commit. `kick()` after an enrolment commits; a sweep retries failures."""

    name = "mail-relay"

    def __init__(self, pool: asyncpg.Pool, sender: Sender, *, sweep_seconds: float = 5.0):
        super().__init__(sweep_seconds=sweep_seconds)
        self._pool = pool
        self._sender = sender

    async def step(self) -> int:
        return await self.send_batch()

    async def send_batch(self, limit: int = 20) -> int:
        async with global_tx(self._pool) as conn:
            rows = await repository.due_mail(conn, limit)
            for row in rows:
                try:
                    await self._send(row)
                except Exception as exc:
                    # The reason only: an SMTP error can quote the address, which must not reach logs.
                    reason = type(exc).__name__
                    log.warning("mail %s (%s) failed: %s; will retry", row["id"], row["kind"], reason)
                    await repository.mail_failed(conn, row["id"], reason)
                else:
                    await repository.mail_sent(conn, row["id"])
            return len(rows)

    async def _send(self, row) -> None:
        async with tenant_tx(self._pool, row["program_id"]) as conn:
            member = await repository.member_by_id(conn, row["member_id"])
            program = await repository.program_by_id(conn, row["program_id"])
            settings = _settings(await repository.member_settings(conn))
        if member is None or member["erased_at"] is not None or member["status"] in ("merged", "erased"):
            return  # nothing to send any more
        values = {"first_name": member["first_name"], "last_name": member["last_name"],
                  "loyalty_number": member["loyalty_number"], "program_name": program["name"]}
        await self._sender.send(to=member["email"], subject=render(settings.welcome_subject, values),
                                body=render(settings.welcome_body, values))
