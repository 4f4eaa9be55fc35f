"""The shared core of every posting: loading the program and members, one call to post, events.

A posting is one call to the `ledger_post` plpgsql function (migration 0002): the transaction, its
entries (summing to zero), the member balances, the lots and the ledger events, in one round trip.
Before a balance-changing operation the member rows are locked in id order and touched: lots past
their date expire and holds past their timeout release (`ledger_touch`).
"""

import contextlib
import dataclasses
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode, invalid, not_found
from services.points.ledger import changes, repository

SPENDING_STATUSES = frozenset({"active"})
INSUFFICIENT = "LY001"
HOLD_CLOSED = "LY002"


@dataclasses.dataclass(frozen=True)
class Leg:
    """One entry: `amount` (signed) on an account, with what it does to lots."""

    account: str
    amount: int
    member_id: uuid.UUID | None = None
    lots: str | None = None  # create, consume, restore, mirror
    source: uuid.UUID | None = None
    prefer: uuid.UUID | None = None
    expires_at: dt.datetime | None = None
    earned_at: dt.datetime | None = None

    def as_json(self) -> dict:
        out = {"account": self.account, "amount": self.amount}
        for key in ("member_id", "lots", "source", "prefer", "expires_at", "earned_at"):
            value = getattr(self, key)
            if value is not None:
                out["member" if key == "member_id" else key] = (
                    value.isoformat() if isinstance(value, dt.datetime) else str(value)
                )
        return out


def rfc3339(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def event(
    event_type: str, *, transaction_id: uuid.UUID, kind: str, member: asyncpg.Record, points: int,
    reference: str, occurred_at: dt.datetime, details: dict | None = None, amount=None, currency: str | None = None,
    voided: asyncpg.Record | None = None,
) -> dict:
    """A loyalty.common.v1.LedgerEvent as JSON (proto field names); the relay adds event_id."""
    details = details or {}
    campaigns = sorted({line.get("campaign_code") for line in details.get("breakdown", []) if line.get("campaign_code")})
    payload = {
        "event_type": event_type, "transaction_id": str(transaction_id), "transaction_kind": kind,
        "member_id": str(member["id"]), "loyalty_number": member["loyalty_number"], "points": points,
        "occurred_at": rfc3339(occurred_at), "reference": reference,
        "partner_code": details.get("partner_code") or "", "location_code": details.get("location_code") or "",
        "campaign_code": ",".join(campaigns), "imported": bool(details.get("imported")),
    }
    if amount is not None:
        payload["amount"] = str(amount)
        payload["currency"] = currency or ""
    if voided is not None:
        payload["voided_transaction_id"] = str(voided["id"])
        payload["voided_occurred_at"] = rfc3339(voided["occurred_at"])
    return payload


@contextlib.asynccontextmanager
async def transaction(pool: asyncpg.Pool, program_id: uuid.UUID) -> AsyncIterator[asyncpg.Connection]:
    """A posting's transaction: when the service writes member cards, the cards of the members it changed
    are read as its last statements (ledger/changes.py)."""
    changes.begin()
    async with tenant_tx(pool, program_id) as conn:
        yield conn
        await changes.read_cards(conn)


@contextlib.contextmanager
def refusals() -> Iterator[None]:
    """Turn the database's refusals into domain errors (the transaction then rolls back)."""
    try:
        yield
    except asyncpg.UniqueViolationError as exc:
        if "reference" in (exc.constraint_name or "") or "reference" in str(exc.detail or ""):
            raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, "reference was already used for another posting",
                              field="reference") from None
        raise
    except asyncpg.PostgresError as exc:
        if exc.sqlstate == INSUFFICIENT:
            raise DomainError(ErrorCode.INSUFFICIENT_POINTS, str(exc.args[0] if exc.args else exc).split(": ", 1)[-1],
                              field="points") from None
        if exc.sqlstate == HOLD_CLOSED:
            raise DomainError(ErrorCode.HOLD_NOT_ACTIVE, str(exc).split(": ", 1)[-1], field="holdReference") from None
        raise


async def post(
    conn: asyncpg.Connection, *, kind: str, reference: str, member_id: uuid.UUID, points: int, legs: Sequence[Leg],
    events: Sequence[dict] = (), counterparty_id: uuid.UUID | None = None, amount=None, currency: str | None = None,
    occurred_at: dt.datetime | None = None, details: dict | None = None, target_id: uuid.UUID | None = None,
    order_reference: str | None = None, transaction_id: uuid.UUID | None = None,
    touch: Sequence[uuid.UUID] = (),
) -> tuple[uuid.UUID, int]:
    """Post one transaction; returns its id and the member's new available balance. `touch`: members
    to lock (in id order) and touch first, in the same round trip."""
    transaction_id = transaction_id or uuid.uuid4()
    changes.note((member_id, counterparty_id, *touch))
    with refusals():
        balance = await repository.ledger_post(
            conn, transaction_id=transaction_id, kind=kind, reference=reference, member_id=member_id,
            counterparty_id=counterparty_id, points=points, amount=amount, currency=currency,
            occurred_at=occurred_at or now(), details=details or {}, target_id=target_id,
            order_reference=order_reference or None, legs=[leg.as_json() for leg in legs], events=list(events),
            touch=sorted(set(touch)) or None,
        )
    return transaction_id, balance


async def touch(conn: asyncpg.Connection, member_ids: Sequence[uuid.UUID]) -> None:
    changes.note(member_ids)  # (expiries and timed-out holds are postings too)
    with refusals():
        await repository.touch(conn, sorted(set(member_ids)))


async def load_program(conn: asyncpg.Connection, program_id: uuid.UUID) -> asyncpg.Record:
    program = await repository.program(conn, program_id)
    if program is None:
        raise not_found("program", str(program_id))
    if program["archived"]:
        raise DomainError(ErrorCode.PROGRAM_ARCHIVED, f"program {program['code']!r} is archived")
    return program


async def load_program_and_active_member(
    conn: asyncpg.Connection, program_id: uuid.UUID, loyalty_number: str, *, currency: str,
    field: str = "loyaltyNumber", claim: tuple[str, str, bytes] | None = None,
) -> tuple[asyncpg.Record, dict]:
    """Both in one round trip (the earn path): the program's row (whose currency the purchase must be in)
    and the member, who must be active. With `claim` (operation, key, fingerprint) the idempotency key is
    claimed in the same statement: the row's `claimed` says whether this request holds it."""
    if not loyalty_number:
        raise DomainError(ErrorCode.INVALID_INPUT, f"{field}: is required", field=field)
    if claim is None:
        row = await repository.program_and_member(conn, program_id, loyalty_number)
    else:
        operation, key, fingerprint = claim
        row = await repository.program_member_and_claim(conn, program_id, loyalty_number, operation=operation,
                                                        key=key, fingerprint=fingerprint)
    if row is None:
        raise not_found("program", str(program_id))
    if row["archived"]:
        raise DomainError(ErrorCode.PROGRAM_ARCHIVED, f"program {row['code']!r} is archived")
    if currency != row["currency"]:
        raise invalid("currency", f"{currency!r} is not the program's currency {row['currency']}")
    if row["m_id"] is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"member {loyalty_number!r} not found", field=field)
    member = {"id": row["m_id"], "loyalty_number": row["m_loyalty_number"], "status": row["m_status"]}
    ensure_active(member, field)
    return row, member


async def load_member(conn: asyncpg.Connection, loyalty_number: str, field: str = "loyaltyNumber") -> asyncpg.Record:
    if not loyalty_number:
        raise DomainError(ErrorCode.INVALID_INPUT, f"{field}: is required", field=field)
    member = await repository.member_by_loyalty_number(conn, loyalty_number)
    if member is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"member {loyalty_number!r} not found", field=field)
    return member


async def load_active_member(conn: asyncpg.Connection, loyalty_number: str, field: str = "loyaltyNumber"):
    member = await load_member(conn, loyalty_number, field)
    ensure_active(member, field)
    return member


def ensure_active(member: asyncpg.Record, field: str = "loyaltyNumber") -> None:
    if member["status"] not in SPENDING_STATUSES:
        raise DomainError(
            ErrorCode.MEMBER_BLOCKED,
            f"member {member['loyalty_number']} is {member['status']} and cannot earn or burn", field=field,
        )


def within_cap(program: asyncpg.Record, points: int, field: str) -> int:
    """A credit no larger than the program's maximum per posting (checked before anything is posted)."""
    cap = program["max_points_per_posting"]
    if abs(points) > cap:
        raise invalid(field, f"would post {abs(points)} points; the program's maximum per posting is {cap}")
    return points
