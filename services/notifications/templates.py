"""Message templates: per program, kind and language, Jinja2 in a sandbox (a program's staff write
them; they must not reach Python). A kind/language the program has not written falls back to its
fallback language, then to the shipped default (DEFAULTS). A template that does not render over
sample data is refused at save, naming the line."""

import dataclasses
import datetime as dt
import re
import uuid

import asyncpg
import jinja2
from jinja2.sandbox import SandboxedEnvironment

from services.common.db import tenant_tx
from services.common.errors import invalid

KINDS = ("welcome", "expiry_warning", "tier_upgrade", "tier_downgrade", "close_to_tier_upgrade",
         "transfer_sent", "transfer_received", "reward_claimed", "passcode")

# A missing variable is an error, not an empty string: a typo is found at save, not by a member.
ENV = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False, trim_blocks=True)

_HELLO = "Hello {{ member.first_name or 'there' }},\n\n"
_BYE = "\n\n{{ program.name or 'Your loyalty program' }}"
DEFAULTS: dict[str, tuple[str, str, str]] = {  # kind -> (subject, body, sms)
    "welcome": ("Welcome to {{ program.name or 'our loyalty program' }}",
                _HELLO + "welcome! Your loyalty number is {{ member.loyalty_number }}." + _BYE,
                "Welcome! Your loyalty number is {{ member.loyalty_number }}."),
    "expiry_warning": ("{{ data.points }} points expire on {{ data.expires_on }}",
                       _HELLO + "{{ data.points }} of your points expire on {{ data.expires_on }}"
                       " ({{ data.days }} days from now)." + _BYE,
                       "{{ data.points }} points expire on {{ data.expires_on }}."),
    "tier_upgrade": ("You reached {{ data.to_tier }}",
                     _HELLO + "congratulations, you are now {{ data.to_tier }}." + _BYE,
                     "Congratulations, you are now {{ data.to_tier }}."),
    "tier_downgrade": ("Your tier is now {{ data.to_tier }}",
                       _HELLO + "your tier changed from {{ data.from_tier }} to {{ data.to_tier }}." + _BYE,
                       "Your tier is now {{ data.to_tier }}."),
    "close_to_tier_upgrade": ("You are close to {{ data.next_tier }}",
                              _HELLO + "only {{ data.needed }} more to reach {{ data.next_tier }}." + _BYE,
                              "Only {{ data.needed }} more to reach {{ data.next_tier }}."),
    "transfer_sent": ("You sent {{ data.points | abs }} points",
                      _HELLO + "{{ data.points | abs }} points left your account." + _BYE,
                      "You sent {{ data.points | abs }} points."),
    "transfer_received": ("You received {{ data.points }} points",
                          _HELLO + "{{ data.points }} points arrived in your account." + _BYE,
                          "You received {{ data.points }} points."),
    "passcode": ("Your one-time passcode",
                 "Your passcode is {{ data.code }}.\nShow it at the counter within {{ data.minutes }} minutes. "
                 "It works once. If you did not ask for it, ignore this message.",
                 "Your passcode is {{ data.code }} (valid {{ data.minutes }} min). It works once."),
    "reward_claimed": ("Your reward is on its way",
                       _HELLO + "you claimed {{ data.reward_code }}." + _BYE,
                       "You claimed {{ data.reward_code }}."),
}

# What a template may use, with sample values for the check at save.
SAMPLE_MEMBER = {"loyalty_number": "1234567890", "first_name": "Ana", "last_name": "López",
                 "email": "ana@example.com", "phone": "+34600000000", "status": "active"}
SAMPLE_DATA = {
    "welcome": {"status": "active", "opted_in_at": "2026-01-01T00:00:00Z", "channel": "web"},
    "expiry_warning": {"points": 120, "expires_on": "2026-12-31", "days": 30},
    "tier_upgrade": {"slab_code": "main", "from_tier": "Silver", "to_tier": "Gold", "level": 2,
                     "effective_on": "2026-01-01", "reason": ""},
    "close_to_tier_upgrade": {"slab_code": "main", "from_tier": None, "to_tier": "Silver", "level": 1,
                              "effective_on": "2026-01-01", "reason": "", "next_tier": "Gold", "needed": "100"},
    "transfer_sent": {"points": -50, "transaction_id": str(uuid.UUID(int=0)), "direction": "out"},
    "transfer_received": {"points": 50, "transaction_id": str(uuid.UUID(int=0)), "direction": "in"},
    "reward_claimed": {"redemption_id": str(uuid.UUID(int=0)), "reward_code": "COFFEE", "points": 200,
                       "reference": "pos-1"},
}
SAMPLE_DATA["passcode"] = {"code": "123456", "minutes": 10}
SAMPLE_DATA["tier_downgrade"] = {**SAMPLE_DATA["tier_upgrade"], "from_tier": "Gold", "to_tier": "Silver"}


@dataclasses.dataclass(frozen=True)
class Template:
    kind: str
    language: str
    subject: str
    body: str
    sms: str
    default: bool  # the shipped wording, not one the program saved
    updated_by: str = ""
    updated_at: dt.datetime | None = None


@dataclasses.dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    sms: str


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise invalid("kind", f"{kind!r} is not one of {', '.join(KINDS)}")
    return kind


LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,4})?")


def _language(language: str) -> str:
    if not LANGUAGE.fullmatch(language.lower()):
        raise invalid("language", f"{language!r} is not a language code such as en or es-MX")
    return language.lower()


def render(template: Template, *, member: dict, program: dict, data: dict) -> Rendered:
    context = {"member": member, "program": program, "data": data}
    return Rendered(*(ENV.from_string(t).render(context).strip() for t in
                      (template.subject, template.body, template.sms)))


def check(*, kind: str, subject: str, body: str, sms: str) -> None:
    """Raises INVALID_INPUT naming the field and line of the first template that does not parse or
    render over the kind's sample data."""
    context = {"member": SAMPLE_MEMBER, "program": {"name": "Sample", "code": "sample"},
               "data": SAMPLE_DATA[kind]}
    for field, text in (("subject", subject), ("body", body), ("sms", sms)):
        try:
            ENV.from_string(text).render(context)
        except jinja2.TemplateSyntaxError as err:
            raise invalid(field, f"line {err.lineno}: {err.message}") from None
        except Exception as err:  # noqa: BLE001 - any failure to render is the template's fault
            raise invalid(field, f"line {_line(err)}: {err}") from None
    if not subject.strip() or not body.strip():
        raise invalid("subject" if not subject.strip() else "body", "must not be empty")


def _line(err: Exception) -> int:
    """The template line of a render error: the innermost traceback frame of a template."""
    line, tb = 1, err.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":  # jinja rewrites these frames to template lines
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


async def save(pool: asyncpg.Pool, *, program_id: uuid.UUID, kind: str, language: str, subject: str, body: str,
               sms: str, by: str) -> Template:
    kind, language = _kind(kind), _language(language)
    check(kind=kind, subject=subject, body=body, sms=sms)
    async with tenant_tx(pool, program_id) as conn:
        row = await conn.fetchrow(
            "INSERT INTO message_templates(program_id, kind, language, subject, body, sms, updated_by)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (program_id, kind, language) DO UPDATE SET"
            " subject = excluded.subject, body = excluded.body, sms = excluded.sms,"
            " updated_by = excluded.updated_by, updated_at = now() RETURNING *",
            program_id, kind, language, subject, body, sms, by)
    return _from_row(row)


def _from_row(row: asyncpg.Record) -> Template:
    return Template(kind=row["kind"], language=row["language"], subject=row["subject"], body=row["body"],
                    sms=row["sms"], default=False, updated_by=row["updated_by"], updated_at=row["updated_at"])


def default(kind: str, language: str = "en") -> Template:
    subject, body, sms = DEFAULTS[kind]
    return Template(kind=kind, language=language, subject=subject, body=body, sms=sms, default=True)


async def list_saved(pool: asyncpg.Pool, *, program_id: uuid.UUID) -> list[Template]:
    async with tenant_tx(pool, program_id) as conn:
        rows = await conn.fetch("SELECT * FROM message_templates ORDER BY kind, language")
    return [_from_row(r) for r in rows]


async def pick(conn: asyncpg.Connection, *, kind: str, language: str, fallback: str) -> Template:
    """The program's template for the language, else for its fallback language, else the default."""
    row = await conn.fetchrow(
        "SELECT * FROM message_templates WHERE kind = $1 AND language = ANY($2::text[])"
        " ORDER BY language = $3 DESC LIMIT 1", kind, [language.lower(), fallback], language.lower())
    return _from_row(row) if row else default(kind, fallback)
