"""Voids: a VOID posts the reverse of (part of) a transaction; nothing is deleted.

The target is a transaction reference, or an order reference: then every not-yet-voided EARN,
BURN, CAPTURE of the order is voided and its open HOLDs are released. A void of a void, an
expiry, a merge, a release or an activation is refused (NOT_VOIDABLE); a transaction with
nothing left to void is ALREADY_VOIDED.
"""

import uuid

import asyncpg

from services.common.errors import DomainError, ErrorCode
from services.common.idempotency import Replay, json_replay, run_once
from services.points.ledger import commands, posting, repository
from services.points.ledger.hooks import LedgerHooks
from services.points.ledger.posting import Leg
from services.points.ledger.results import Posted

NOT_VOIDABLE = frozenset({"VOID", "EXPIRE", "MERGE", "RELEASE", "ACTIVATE", "EXTEND"})
EVENTED = frozenset({"EARN", "RETRO_CLAIM", "GOODWILL", "ADJUST", "BURN", "CAPTURE", "TRANSFER"})


class _Skip(Exception):
    """Within an order, a transaction with nothing left to void is passed over."""


def _refuse(strict: bool, code: ErrorCode, message: str) -> None:
    if strict:
        raise DomainError(code, message, field="targetReference")
    raise _Skip


async def _funding_account(conn: asyncpg.Connection, transaction_id: uuid.UUID) -> str:
    return await conn.fetchval(
        "SELECT a.kind FROM entries e JOIN accounts a ON a.id = e.account_id"
        " WHERE e.transaction_id = $1 AND a.member_id IS NULL LIMIT 1", transaction_id)


async def _void_one(
    conn: asyncpg.Connection, target: asyncpg.Record, *, reference: str, points: int, reason: str, strict: bool,
    members: dict, hooks: LedgerHooks, holders: dict[uuid.UUID, uuid.UUID], actor: str = "",
) -> tuple[uuid.UUID, int, int]:
    """Returns (transaction id, change to the member's available balance, new balance)."""
    kind = target["kind"]
    name = target["reference"]
    if kind in NOT_VOIDABLE:
        _refuse(strict, ErrorCode.NOT_VOIDABLE, f"a {kind} ({name!r}) cannot be voided")
    transaction_id = uuid.uuid4()
    details = {"reason": reason, "target_reference": name, "target_kind": kind}
    if actor:
        details["by"] = actor  # who voided it (the acting principal from the gateway)
    if kind == "HOLD":
        h = await repository.hold_by_id(conn, target["id"])
        open_points = h["points"] - h["captured"] - h["released"]
        if open_points == 0:
            code = ErrorCode.ALREADY_VOIDED if h["released"] == h["points"] else ErrorCode.HOLD_NOT_ACTIVE
            _refuse(strict, code, f"hold {name!r} has nothing open to void")
        amount = points or open_points
        if amount > open_points:
            raise DomainError(ErrorCode.INVALID_INPUT, f"points: hold {name!r} has only {open_points} points open",
                              field="points")
        with posting.refusals():
            balance = await repository.release_hold(conn, hold_id=h["id"], points=amount,
                                                    transaction_id=transaction_id, kind="VOID", reference=reference,
                                                    details=details)
        return transaction_id, amount, balance

    magnitude = abs(target["points"])
    remaining = magnitude - target["voided"]
    if remaining <= 0:
        _refuse(strict, ErrorCode.ALREADY_VOIDED, f"{name!r} was already voided")
    amount = points or remaining
    if amount > remaining:
        raise DomainError(ErrorCode.INVALID_INPUT, f"points: only {remaining} points of {name!r} are left to void",
                          field="points")
    member_id, other_id = target["member_id"], target["counterparty_id"]
    credited = target["points"] > 0  # the target credited its member: the void debits them
    pending = kind == "EARN" and target["details"].get("pending") and not target["activated"]
    # a member merged away has nothing left: what the void takes back is taken from who holds it now
    if credited or pending:
        member_id = holders.get(member_id, member_id)
    other_id = holders.get(other_id, other_id)
    if kind == "ADJUST":
        details["target_kind"] = "ADJUST_CREDIT" if credited else "ADJUST_DEBIT"
    if kind == "TRANSFER":
        legs = [Leg("member_available", -amount, other_id, lots="consume", prefer=target["id"]),
                Leg("member_available", amount, member_id, lots="restore", source=target["id"])]
    elif kind in ("BURN", "CAPTURE"):
        source = target["target_id"] if kind == "CAPTURE" else target["id"]
        legs = [Leg("redemption", -amount), Leg("member_available", amount, member_id, lots="restore", source=source)]
    elif pending:
        legs = [Leg("member_pending", -amount, member_id), Leg(await _funding_account(conn, target["id"]), amount)]
    elif credited:
        legs = [Leg("member_available", -amount, member_id, lots="consume", prefer=target["id"]),
                Leg(await _funding_account(conn, target["id"]), amount)]
    else:  # a debit adjustment
        legs = [Leg(await _funding_account(conn, target["id"]), -amount),
                Leg("member_available", amount, member_id, lots="restore", source=target["id"])]
    signed = -amount if credited else amount
    events = []
    if kind in EVENTED and not pending:
        for mid, pts in ((member_id, signed), (other_id, -signed)) if other_id else ((member_id, signed),):
            events.append(posting.event(
                "LOY_POINT_VOID", transaction_id=transaction_id, kind="VOID", member=members[mid], points=pts,
                reference=reference, occurred_at=posting.now(), details=target["details"], voided=target,
                amount=target["amount"], currency=target["currency"]))
    _, balance = await posting.post(
        conn, kind="VOID", reference=reference, member_id=member_id, counterparty_id=other_id, points=signed,
        target_id=target["id"], order_reference=target["order_reference"], details=details, legs=legs,
        events=events, transaction_id=transaction_id,
    )
    await hooks.on_void(conn, target, points=amount)  # the rules give back the caps and budgets the earn used
    return transaction_id, 0 if pending else signed, balance


def _at_stores(targets: list[asyncpg.Record], stores: tuple[str, ...]) -> None:
    """A principal bound to some stores (a Front-Line Manager of one store) voids only what was posted there."""
    for t in targets:
        store = (t["details"] or {}).get("location_code") or ""
        if store not in stores:
            raise DomainError(ErrorCode.FORBIDDEN, f"targetReference: {t['reference']!r} was not posted at "
                              f"store {', '.join(stores)}", field="targetReference")


async def void(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.Void, hooks: LedgerHooks,
    replay: Replay[Posted] | None = None, actor: str = "", stores: tuple[str, ...] = (),
) -> Posted:
    """`stores`: the caller acts for these stores only (empty: any)."""
    reference, target_reference = command.reference, command.target_reference
    async with posting.transaction(pool, program_id) as conn:
        await posting.load_program(conn, program_id)

        async def load_targets() -> tuple[list[asyncpg.Record], bool]:
            single = await repository.transaction_by_reference(conn, target_reference)
            if single is not None:
                return [single], False
            return await repository.transactions_of_order(conn, target_reference), True

        async def perform() -> Posted:
            targets, is_order = await load_targets()
            if not targets:
                raise DomainError(ErrorCode.NOT_FOUND, f"no transaction or order {target_reference!r}",
                                  field="targetReference")
            owner = None
            if command.loyalty_number:
                owner = await posting.load_member(conn, command.loyalty_number)
            if owner is not None and any(owner["id"] not in (t["member_id"], t["counterparty_id"]) for t in targets):
                raise DomainError(ErrorCode.NOT_FOUND, f"no transaction {target_reference!r} of member "
                                  f"{command.loyalty_number}", field="targetReference")
            if stores:
                _at_stores(targets, stores)
            if is_order and command.points:
                raise DomainError(ErrorCode.INVALID_INPUT, "points: a whole order is voided in full", field="points")
            member_ids = {m for t in targets for m in (t["member_id"], t["counterparty_id"]) if m}
            holders = await repository.merge_holders(conn, list(member_ids))
            member_ids |= set(holders.values())
            await hooks.lock_for_void(conn, targets)  # counters before accounts, as an earn takes them
            await posting.touch(conn, list(member_ids))
            targets, _ = await load_targets()  # re-read under the member locks
            targets.sort(key=lambda t: t["kind"] == "EARN")  # give points back before taking earns back
            members = await repository.members_by_id(conn, list(member_ids))
            posted: list[uuid.UUID] = []
            change, balance = 0, 0
            for target in targets:
                try:
                    transaction_id, delta, balance = await _void_one(
                        conn, target, reference=reference if not posted else f"{reference}#{len(posted)}",
                        points=command.points, reason=command.reason, strict=not is_order, members=members,
                        hooks=hooks, holders=holders, actor=actor)
                except _Skip:
                    continue
                posted.append(transaction_id)
                change += delta
            if not posted:
                raise DomainError(ErrorCode.ALREADY_VOIDED, f"every transaction of order {target_reference!r} "
                                  "was already voided", field="targetReference")
            return Posted(transaction_id=str(posted[0]), kind="VOID", points=change, new_balance=balance,
                          transaction_ids=tuple(str(t) for t in posted))

        return await run_once(conn, program_id=program_id, operation="void", key=reference, perform=perform,
                              replay=replay or json_replay(command, Posted))
