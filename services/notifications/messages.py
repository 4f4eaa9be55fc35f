"""Member messages: queued when an event with a template kind is ingested (in its transaction, one
per event and kind: `key`), sent by the Messenger through the member's consented channel outside
the program's quiet hours, each logged (status, channel, recipient, sent at, error).

Events carry no personal data (catalogue.py): the Messenger asks the member service for the
member's status, consents, email, phone and name when it sends, so an opt-out or a withdrawn
consent made after the event still stops the message."""

import asyncio
import dataclasses
import datetime as dt
import json
import logging
import uuid
import zoneinfo

import asyncpg

from services.common.db import global_tx, tenant_tx
from services.common.errors import DomainError, ErrorCode, invalid
from services.notifications import peers, repository, templates
from services.notifications.mapping import Mapped

log = logging.getLogger(__name__)

NO_MESSAGES = {"opted_out", "blacklisted", "merged", "erased"}  # member statuses that get nothing
LEASE = dt.timedelta(minutes=5)  # a claimed message not marked by then (a killed sender) is tried again
MAX_ATTEMPTS = 5


def kind_of(mapped: Mapped) -> str | None:
    """The template kind an event makes a message of, if any."""
    if mapped.name == "LOY_POINT_TRANSFER" and mapped.data.get("transaction_kind") == "TRANSFER":
        return "transfer_received" if mapped.data.get("points", 0) > 0 else "transfer_sent"
    return {"LOY_OPT_IN": "welcome", "TIER_UPGRADE": "tier_upgrade", "TIER_DOWNGRADE": "tier_downgrade",
            "CLOSE_TO_TIER_UPGRADE": "close_to_tier_upgrade", "REWARD_CLAIMED": "reward_claimed"}.get(mapped.name)


async def queue(conn: asyncpg.Connection, *, program_id: uuid.UUID, rows: list[dict]) -> int:
    """Queues messages (dicts of key, kind, member_id, loyalty_number, data); a key already there is
    left alone, so an event or a warning arriving again queues nothing."""
    if not rows:
        return 0
    made = await conn.fetch(
        "INSERT INTO messages(program_id, key, kind, member_id, loyalty_number, data)"
        " SELECT $1, x.key, x.kind, x.member_id, x.loyalty_number, x.data FROM jsonb_to_recordset($2::jsonb)"
        " AS x(key text, kind text, member_id uuid, loyalty_number text, data jsonb)"
        " ON CONFLICT (program_id, key) DO NOTHING RETURNING id", program_id, rows)
    return len(made)


def event_rows(events: list[tuple[uuid.UUID, Mapped]]) -> list[dict]:
    rows = []
    for event_id, mapped in events:
        kind = kind_of(mapped)
        if kind and mapped.loyalty_number:
            rows.append({"key": f"event:{event_id}:{kind}", "kind": kind, "member_id": mapped.member_id,
                         "loyalty_number": mapped.loyalty_number, "data": mapped.data})
    return rows


@dataclasses.dataclass(frozen=True)
class Message:
    id: int
    key: str
    kind: str
    loyalty_number: str
    status: str
    channel: str
    recipient: str
    subject: str
    attempts: int
    not_before: dt.datetime
    created_at: dt.datetime
    sent_at: dt.datetime | None
    error: str

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> "Message":
        return cls(**{f.name: row[f.name] for f in dataclasses.fields(cls)})


async def log_of(pool: asyncpg.Pool, *, program_id: uuid.UUID, loyalty_number: str, limit: int = 100) -> list[Message]:
    async with tenant_tx(pool, program_id) as conn:
        rows = await conn.fetch("SELECT * FROM messages WHERE ($1 = '' OR loyalty_number = $1)"
                                " ORDER BY id DESC LIMIT $2", loyalty_number, limit)
    return [Message.from_row(r) for r in rows]


@dataclasses.dataclass(frozen=True)
class Settings:
    fallback_language: str = "en"
    time_zone: str = ""  # '': the program's own time zone (its ProgramSpec.timezone)
    quiet_start: dt.time = dt.time(0)
    quiet_end: dt.time = dt.time(0)
    expiry_offsets: tuple[int, ...] = (30, 7)


async def settings_of(conn: asyncpg.Connection) -> Settings:
    row = await conn.fetchrow("SELECT * FROM message_settings")
    if row is None:
        return Settings()
    return Settings(fallback_language=row["fallback_language"], time_zone=row["time_zone"],
                    quiet_start=row["quiet_start"], quiet_end=row["quiet_end"],
                    expiry_offsets=tuple(row["expiry_offsets"]))


async def get_settings(pool: asyncpg.Pool, *, program_id: uuid.UUID) -> Settings:
    async with tenant_tx(pool, program_id) as conn:
        return await settings_of(conn)


def in_zone(settings: Settings, program_zone: str) -> Settings:
    """The settings with the time zone their quiet hours and dates are in: their own, else the program's."""
    return dataclasses.replace(settings, time_zone=settings.time_zone or program_zone or "UTC")


async def save_settings(pool: asyncpg.Pool, *, program_id: uuid.UUID, settings: Settings) -> None:
    try:
        if settings.time_zone:
            zoneinfo.ZoneInfo(settings.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise invalid("timeZone", f"{settings.time_zone!r} is not an IANA time zone") from None
    if any(not 0 < d <= 366 for d in settings.expiry_offsets):
        raise invalid("expiryOffsets", "each must be between 1 and 366 days")
    if not templates.LANGUAGE.fullmatch(settings.fallback_language):
        raise invalid("fallbackLanguage", f"{settings.fallback_language!r} is not a language code such as en")
    async with tenant_tx(pool, program_id) as conn:
        await conn.execute(
            "INSERT INTO message_settings(program_id, fallback_language, time_zone, quiet_start, quiet_end,"
            " expiry_offsets) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (program_id) DO UPDATE SET"
            " fallback_language = excluded.fallback_language, time_zone = excluded.time_zone,"
            " quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end,"
            " expiry_offsets = excluded.expiry_offsets",
            program_id, settings.fallback_language, settings.time_zone, settings.quiet_start, settings.quiet_end,
            list(settings.expiry_offsets))


def quiet_until(settings: Settings, now: dt.datetime) -> dt.datetime | None:
    """When the quiet window that `now` falls in ends (None: not quiet). A window may span midnight."""
    start, end = settings.quiet_start, settings.quiet_end
    if start == end:
        return None
    local = now.astimezone(zoneinfo.ZoneInfo(settings.time_zone))
    t = local.time().replace(tzinfo=None)
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    opens = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if opens <= local:
        opens += dt.timedelta(days=1)
    return opens.astimezone(dt.timezone.utc)


class Messenger:
    """Sends due messages; woken after ingest (notify) and on a sweep."""

    def __init__(self, pool: asyncpg.Pool, *, member_addr: str | None, email, sms, sweep_seconds: float = 2.0):
        self._pool = self.pool = pool
        self._member = None
        if member_addr:
            self._member = peers.Members(member_addr)
        self._email, self._sms = email, sms
        self.email_sender, self.sms_sender = email, sms
        self._sweep = sweep_seconds
        self._wake = asyncio.Event()
        self._programs: dict[uuid.UUID, dict] = {}
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def notify(self, program_id=None) -> None:
        self._wake.set()

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()

    async def _run(self) -> None:
        while True:
            try:
                await self.send_due()
            except Exception:  # noqa: BLE001 - one bad sweep must not stop the messenger
                log.exception("message sweep failed")
            try:
                await asyncio.wait_for(self._wake.wait(), self._sweep)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()

    async def send_due(self) -> int:
        async with global_tx(self._pool) as conn:
            programs = await repository.known_programs(conn)
        sent = 0
        for program_id in programs:
            sent += await self.send_program(program_id)
        return sent

    async def send_program(self, program_id: uuid.UUID) -> int:
        now = dt.datetime.now(dt.timezone.utc)
        async with tenant_tx(self._pool, program_id) as conn:
            settings = await settings_of(conn)
        if not settings.time_zone:  # quiet hours in the program's own time zone
            try:
                settings = in_zone(settings, (await self.program_of(program_id)).get("timezone", ""))
            except Exception as err:  # noqa: BLE001 - the member service away: nothing is sent until it is back
                log.warning("program %s time zone unknown (%s): messages wait", program_id, err)
                return 0
        async with tenant_tx(self._pool, program_id) as conn:
            opens = quiet_until(settings, now)
            if opens is not None:  # the whole program waits: its due messages move to the window's end
                await conn.execute("UPDATE messages SET not_before = $1 WHERE status = 'queued' AND not_before < $1",
                                   opens)
                return 0
            claimed = await conn.fetch(
                "UPDATE messages SET attempts = attempts + 1, not_before = now() + $1::interval WHERE id IN ("
                " SELECT id FROM messages WHERE status = 'queued' AND not_before <= now() ORDER BY id LIMIT 50"
                " FOR UPDATE SKIP LOCKED) RETURNING *", LEASE)
        done = 0
        for row in claimed:  # no connection is held while a message is in flight
            status, channel, recipient, subject, error = await self._send_one(program_id, settings, row)
            async with tenant_tx(self._pool, program_id) as conn:
                if status == "failed" and row["attempts"] < MAX_ATTEMPTS:
                    status = "queued"  # tried again after a back-off
                await conn.execute(
                    "UPDATE messages SET status = $2, channel = $3, recipient = $4, subject = $5, error = $6,"
                    " sent_at = CASE WHEN $2 = 'sent' THEN now() END,"
                    " not_before = CASE WHEN $2 = 'queued' THEN now() + make_interval(secs => 30 * attempts)"
                    " ELSE not_before END WHERE id = $1",
                    row["id"], status, channel, recipient, subject, error)
            done += status == "sent"
        return done

    async def member_of(self, program_id: uuid.UUID, loyalty_number: str) -> peers.Contact:
        if self._member is None:
            raise RuntimeError("no member service address (MEMBER_ADDR)")
        return await self._member.contact(program_id, loyalty_number)

    async def program_of(self, program_id: uuid.UUID) -> dict:
        """The program's name and code for templates (kept: they rarely change; a restart refreshes)."""
        if program_id not in self._programs:
            self._programs.update(await self._member.programs())
        return self._programs.get(program_id, {"name": "", "code": ""})

    async def _member_service_welcomes(self, program_id: uuid.UUID) -> bool:
        return await self._member.sends_own_welcome(program_id)

    async def _send_one(self, program_id: uuid.UUID, settings: Settings, row: asyncpg.Record):
        """(status, channel, recipient, subject, error) of one attempt."""
        try:
            member = await self.member_of(program_id, row["loyalty_number"])
        except DomainError as err:
            return "skipped", "", "", "", f"member: {err}"
        except Exception as err:  # noqa: BLE001 - the member service away: try again later
            return "failed", "", "", "", f"member service: {err}"
        if member.status in NO_MESSAGES:
            return "skipped", "", "", "", f"member is {member.status}"
        if row["kind"] == "welcome" and await self._member_service_welcomes(program_id):
            # one welcome, not two: the member service's own welcome mail (services/member/welcome.py) is on
            return "skipped", "", "", "", "the member service sends the welcome (memberSettings.welcomeEnabled)"
        if member.email_consent and member.email and self._email is not None:
            channel, recipient, sender = "email", member.email, self._email
        elif member.sms_consent and member.phone and self._sms is not None:
            channel, recipient, sender = "sms", member.phone, self._sms
        else:
            return "skipped", "", "", "", "no consented channel (email or SMS) with an address"
        language = language_of(member, settings)
        async with tenant_tx(self._pool, program_id) as conn:
            template = await templates.pick(conn, kind=row["kind"], language=language,
                                            fallback=settings.fallback_language)
        data = row["data"] if isinstance(row["data"], dict) else json.loads(row["data"])
        try:
            program = await self.program_of(program_id)
        except Exception as err:  # noqa: BLE001 - the member service away: try again later
            return "failed", channel, recipient, "", f"member service: {err}"
        try:
            rendered = templates.render(template, member=member_context(member), program=program, data=data)
        except Exception as err:  # noqa: BLE001 - a template that cannot render this member's data
            return "failed", channel, recipient, "", f"template: {err}"
        try:
            if channel == "email":
                await sender.send(to=recipient, subject=rendered.subject, body=rendered.body)
            else:
                await sender.send(to=recipient, subject="", body=rendered.sms or rendered.subject)
        except Exception as err:  # noqa: BLE001 - logged on the message, retried
            return "failed", channel, recipient, rendered.subject, f"{channel}: {err}"
        return "sent", channel, recipient, rendered.subject, ""


async def send_passcode(messenger: "Messenger", *, program_id: uuid.UUID, loyalty_number: str, code: str,
                        minutes: int) -> tuple[str, str]:
    """The program's passcode template to the member now, by email, else SMS (a passcode the member
    asked for: no marketing consent needed, no quiet hours); logged without the code. Returns
    (channel, recipient)."""
    member = await messenger.member_of(program_id, loyalty_number)
    if member.email and messenger.email_sender is not None:
        channel, recipient, sender = "email", member.email, messenger.email_sender
    elif member.phone and messenger.sms_sender is not None:
        channel, recipient, sender = "sms", member.phone, messenger.sms_sender
    else:
        raise invalid("loyaltyNumber", "the member has no email address (or phone for SMS) to send a passcode to")
    async with tenant_tx(messenger.pool, program_id) as conn:
        settings = await settings_of(conn)
        template = await templates.pick(conn, kind="passcode", language=language_of(member, settings),
                                        fallback=settings.fallback_language)
    rendered = templates.render(template, member=member_context(member), program=await messenger.program_of(program_id),
                                data={"code": code, "minutes": minutes})
    error = ""
    try:
        if channel == "email":
            await sender.send(to=recipient, subject=rendered.subject, body=rendered.body)
        else:
            await sender.send(to=recipient, subject="", body=rendered.sms or rendered.subject)
    except Exception as err:  # noqa: BLE001 - logged, and the caller is told
        error = f"{channel}: {err}"[:500]
    async with tenant_tx(messenger.pool, program_id) as conn:
        await conn.execute(
            "INSERT INTO messages(program_id, key, kind, loyalty_number, data, status, channel, recipient, subject,"
            " attempts, sent_at, error) VALUES ($1, $2, 'passcode', $3, $4::jsonb, $5, $6, $7, $8, 1,"
            " CASE WHEN $5 = 'sent' THEN now() END, $9)",
            program_id, f"passcode:{uuid.uuid4()}", loyalty_number, {"minutes": minutes},
            "failed" if error else "sent", channel, recipient, rendered.subject, error)
    if error:
        raise DomainError(ErrorCode.UNAVAILABLE, "the passcode could not be sent; try again")
    return channel, recipient


def language_of(member, settings: Settings) -> str:
    try:
        custom = json.loads(member.custom_attributes_json or "{}")
    except ValueError:
        custom = {}
    return str(custom.get("language") or settings.fallback_language)


def member_context(member) -> dict:
    return {"loyalty_number": member.loyalty_number, "first_name": member.first_name,
            "last_name": member.last_name, "email": member.email, "phone": member.phone, "status": member.status}


async def preview(messenger: "Messenger", *, program_id: uuid.UUID, kind: str, language: str,
                  loyalty_number: str) -> tuple[templates.Template, templates.Rendered]:
    """The kind's template for the language rendered over the member's real data (the event's part
    is the kind's sample: there is no event)."""
    kind = templates._kind(kind)
    member = await messenger.member_of(program_id, loyalty_number)
    async with tenant_tx(messenger.pool, program_id) as conn:
        settings = await settings_of(conn)
        template = await templates.pick(conn, kind=kind, language=language or settings.fallback_language,
                                        fallback=settings.fallback_language)
    try:
        rendered = templates.render(template, member=member_context(member),
                                    program=await messenger.program_of(program_id), data=templates.SAMPLE_DATA[kind])
    except Exception as err:  # noqa: BLE001 - this member's data breaks the template
        raise invalid("template", f"does not render for {loyalty_number}: {err}") from None
    return template, rendered
