"""A program's webhook subscriptions: where its events go (URL), which (event types), whether now
(active), and the secret that signs them: shown once when made or rotated, never again."""

import dataclasses
import datetime as dt
import uuid

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import invalid, not_found
from services.notifications import catalogue, signing, targets
from services.notifications import webhook_repository as repo

MAX_DESCRIPTION = 500
MAX_GRACE_SECONDS = 7 * 24 * 3600
MAX_PER_PROGRAM = 50


@dataclasses.dataclass(frozen=True)
class Subscription:
    id: uuid.UUID
    url: str
    event_types: tuple[str, ...]
    active: bool
    description: str
    created_at: dt.datetime
    updated_at: dt.datetime
    secret_rotated_at: dt.datetime | None
    previous_secret_expires_at: dt.datetime | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> "Subscription":
        return cls(id=row["id"], url=row["url"], event_types=tuple(row["event_types"]), active=row["active"],
                   description=row["description"], created_at=row["created_at"], updated_at=row["updated_at"],
                   secret_rotated_at=row["secret_rotated_at"],
                   previous_secret_expires_at=row["previous_secret_expires_at"])


@dataclasses.dataclass(frozen=True)
class WithSecret:
    subscription: Subscription
    secret: str  # shown to the caller this once


def event_types(values, *, field: str = "eventTypes") -> tuple[str, ...]:
    values = tuple(dict.fromkeys(v.strip() for v in values))
    if not values:
        raise invalid(field, "name at least one event type (docs/events.md)")
    unknown = [v for v in values if v not in catalogue.CATALOGUE]
    if unknown:
        raise invalid(field, f"{unknown[0]!r} is not an event type of the catalogue (docs/events.md)")
    return values


def description(value: str) -> str:
    if len(value) > MAX_DESCRIPTION:
        raise invalid("description", f"at most {MAX_DESCRIPTION} characters")
    return value.strip()


@dataclasses.dataclass(frozen=True)
class CreateCommand:
    url: str
    event_types: tuple[str, ...]
    active: bool = True
    description: str = ""
    created_by: str = ""

    def __post_init__(self):
        targets.parse_url(self.url)
        object.__setattr__(self, "event_types", event_types(self.event_types))
        object.__setattr__(self, "description", description(self.description))


@dataclasses.dataclass(frozen=True)
class UpdateCommand:
    id: uuid.UUID
    url: str | None = None
    event_types: tuple[str, ...] | None = None
    active: bool | None = None
    description: str | None = None

    def __post_init__(self):
        if self.url is not None:
            targets.parse_url(self.url)
        if self.event_types is not None:
            object.__setattr__(self, "event_types", event_types(self.event_types))
        if self.description is not None:
            object.__setattr__(self, "description", description(self.description))


async def create(pool: asyncpg.Pool, *, program_id: uuid.UUID, command: CreateCommand,
                 allow_private: bool) -> WithSecret:
    url = await targets.check_for_saving(command.url, allow_private=allow_private)
    secret = signing.new_secret()
    async with tenant_tx(pool, program_id) as conn:
        if await repo.count_subscriptions(conn) >= MAX_PER_PROGRAM:
            raise invalid("url", f"a program has at most {MAX_PER_PROGRAM} subscriptions")
        row = await repo.insert_subscription(
            conn, program_id=program_id, subscription_id=uuid.uuid4(), url=url, event_types=list(command.event_types),
            active=command.active, description=command.description, secret=secret, created_by=command.created_by)
    return WithSecret(Subscription.from_row(row), secret)


async def update(pool: asyncpg.Pool, *, program_id: uuid.UUID, command: UpdateCommand,
                 allow_private: bool) -> Subscription:
    url = None
    if command.url is not None:
        url = await targets.check_for_saving(command.url, allow_private=allow_private)
    async with tenant_tx(pool, program_id) as conn:
        row = await repo.update_subscription(
            conn, subscription_id=command.id, url=url,
            event_types=list(command.event_types) if command.event_types is not None else None,
            active=command.active, description=command.description)
        if row is None:
            raise not_found("webhook subscription", str(command.id))
        if command.active:  # what waited while it was paused is due again
            await repo.mark_due(conn, program_id=program_id, subscription_ids=[command.id])
    return Subscription.from_row(row)


async def rotate_secret(pool: asyncpg.Pool, *, program_id: uuid.UUID, subscription_id: uuid.UUID,
                        grace_seconds: int) -> WithSecret:
    """A new secret signs from now on; the previous one also signs for `grace_seconds` (0: not at all)."""
    if not 0 <= grace_seconds <= MAX_GRACE_SECONDS:
        raise invalid("graceSeconds", f"must be between 0 and {MAX_GRACE_SECONDS}")
    secret = signing.new_secret()
    async with tenant_tx(pool, program_id) as conn:
        row = await repo.rotate_secret(conn, subscription_id=subscription_id, secret=secret,
                                       grace=dt.timedelta(seconds=grace_seconds))
        if row is None:
            raise not_found("webhook subscription", str(subscription_id))
    return WithSecret(Subscription.from_row(row), secret)


async def delete(pool: asyncpg.Pool, *, program_id: uuid.UUID, subscription_id: uuid.UUID) -> None:
    async with tenant_tx(pool, program_id) as conn:
        if not await repo.delete_subscription(conn, subscription_id=subscription_id):
            raise not_found("webhook subscription", str(subscription_id))


async def list_all(pool: asyncpg.Pool, *, program_id: uuid.UUID) -> list[Subscription]:
    async with tenant_tx(pool, program_id) as conn:
        return [Subscription.from_row(r) for r in await repo.list_subscriptions(conn)]


async def get(pool: asyncpg.Pool, *, program_id: uuid.UUID, subscription_id: uuid.UUID) -> Subscription:
    async with tenant_tx(pool, program_id) as conn:
        row = await repo.subscription(conn, subscription_id)
    if row is None:
        raise not_found("webhook subscription", str(subscription_id))
    return Subscription.from_row(row)
