"""Earning: earn (optionally pending), retro-claim of a past receipt, activation of pending points."""

import dataclasses
import datetime as dt
import uuid

import asyncpg

from services.common import idempotency
from services.common.errors import DomainError, ErrorCode, invalid
from services.common.idempotency import Replay, json_replay, run_once
from services.points.ledger import changes, commands, posting, repository
from services.points.ledger.earn_policy import EarnPolicy, EarnQuote, FactsNeeded, posting_details
from services.points.ledger.expiry import lot_expiry
from services.points.ledger.posting import Leg
from services.points.ledger.results import Earned, Posted


def _expiry(program: asyncpg.Record, quote: EarnQuote, earned_at: dt.datetime) -> dt.datetime | None:
    return quote.expires_at_override or lot_expiry(
        earned_at=earned_at, days=program["expiry_days"], round_to_month_end=program["expiry_round_to_month_end"],
        timezone=program["timezone"],
    )


async def _quoting(operation, *, program_id: uuid.UUID, policy: EarnPolicy):
    """Run `operation(facts)` until its policy has the member facts it reads. A policy that needs facts
    from other services raises FactsNeeded inside the transaction, which rolls back; they are fetched
    here with no connection held, and the operation runs again with them (the needs only grow)."""
    facts = None
    while True:
        try:
            return await operation(facts)
        except FactsNeeded as need:
            facts = await policy.fetch_facts(program_id=program_id, member_id=need.member_id, needs=need.needs)


async def earn(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.Earn, policy: EarnPolicy,
    replay: Replay[Earned] | None = None,
) -> Earned:
    occurred_at = command.occurred_at or posting.now()

    async def operation(facts) -> Earned:
        return await _earn(pool, program_id=program_id, command=command, policy=policy, replay=replay,
                           occurred_at=occurred_at, facts=facts)

    return await _quoting(operation, program_id=program_id, policy=policy)


async def _earn(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.Earn, policy: EarnPolicy,
    replay: Replay[Earned] | None, occurred_at: dt.datetime, facts,
) -> Earned:
    replay = replay or json_replay(command, Earned)
    async with posting.transaction(pool, program_id) as conn:
        # the idempotency claim rides on the first read (one round trip fewer per earn)
        program, member = await posting.load_program_and_active_member(
            conn, program_id, command.loyalty_number, currency=command.currency,
            claim=("earn", command.reference, replay.fingerprint))
        if not program["claimed"]:
            return await replayed(conn, program_id=program_id, key=command.reference, replay=replay)
        quote = await policy.quote(conn, program=program, member_id=member["id"], request=command,
                                   amount=command.amount, occurred_at=occurred_at, facts=facts)
        points = posting.within_cap(program, quote.points, "amount")
        if points == 0:
            balance = await repository.available_balance(conn, member["id"])
            earned = Earned(old_balance=balance, points_earned=0, new_balance=balance, pending=command.pending,
                            breakdown=quote.lines)
            await idempotency.keep_answer(conn, program_id=program_id, operation="earn", key=command.reference,
                                          response=replay.encode(earned))
            return earned
        transaction_id = uuid.uuid4()
        expires_at = _expiry(program, quote, occurred_at)
        details = {**posting_details(quote), "channel": command.channel,
                   "partner_code": command.partner_code, "location_code": command.location_code}
        if command.pending:
            details["pending"] = True
            details["expires_at"] = expires_at.isoformat() if expires_at else None
        event = None if command.pending else posting.event(
            "LOY_POINT_ACCRUAL", transaction_id=transaction_id, kind="EARN", member=member, points=points,
            reference=command.reference, occurred_at=occurred_at, details=details, amount=command.amount,
            currency=command.currency,
        )
        # the answer is kept by the posting's own statement, with the balances only it knows (one round trip)
        earned = Earned(transaction_id=str(transaction_id), points_earned=points, pending=command.pending,
                        breakdown=quote.lines)
        changes.note([member["id"]])
        with posting.refusals():
            row = await repository.post_earn(
                conn, program_id=program_id, transaction_id=transaction_id, member_id=member["id"],
                reference=command.reference, points=points, amount=command.amount, currency=command.currency,
                occurred_at=occurred_at, expires_at=expires_at, details=details, pending=command.pending,
                order_reference=command.order_reference, event=event,
                funding_account="partner_funded" if command.partner_code else "issuance",
                answer=replay.encode(earned),
            )
        return dataclasses.replace(earned, old_balance=row["old_balance"], new_balance=row["new_balance"])


async def replayed(conn: asyncpg.Connection, *, program_id: uuid.UUID, key: str, replay: Replay[Earned]) -> Earned:
    """The first answer under an earn's key (the key was not claimed: a request before this one holds it).
    A key kept by a posting's statement has the balances beside the answer; one kept before migration
    0111 (or by an earn that posted nothing) has them in the answer itself."""
    row = await idempotency.stored(conn, program_id=program_id, operation="earn", key=key,
                                   fingerprint=replay.fingerprint, extra=("old_balance", "new_balance"))
    answer = replay.decode(row["response"])
    if row["old_balance"] is None:
        return answer
    return dataclasses.replace(answer, old_balance=row["old_balance"], new_balance=row["new_balance"])


async def retro_claim(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.RetroClaim, policy: EarnPolicy,
    today: dt.datetime | None = None, replay: Replay[Earned] | None = None,
) -> Earned:
    """Points for a past purchase, within the program's window, never twice for one receipt."""
    current = today or posting.now()
    if command.purchased_at > current:
        raise invalid("purchasedAt", "is in the future")

    async def operation(facts) -> Earned:
        return await _retro_claim(pool, program_id=program_id, command=command, policy=policy, replay=replay,
                                  current=current, facts=facts)

    return await _quoting(operation, program_id=program_id, policy=policy)


async def _retro_claim(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.RetroClaim, policy: EarnPolicy,
    replay: Replay[Earned] | None, current: dt.datetime, facts,
) -> Earned:
    receipt, purchased_at = command.receipt_reference, command.purchased_at
    async with posting.transaction(pool, program_id) as conn:
        program = await posting.load_program(conn, program_id)
        if command.currency != program["currency"]:
            raise invalid("currency", f"{command.currency!r} is not the program's currency {program['currency']}")
        window = program["retro_claim_days"]
        if purchased_at < current - dt.timedelta(days=window):
            raise DomainError(ErrorCode.RETRO_CLAIM_WINDOW_CLOSED,
                              f"purchases can be claimed up to {window} days later", field="purchasedAt")
        member = await posting.load_active_member(conn, command.loyalty_number)

        async def perform() -> Earned:
            as_earn = commands.Earn(loyalty_number=command.loyalty_number, amount=command.amount,
                                    currency=command.currency, reference=receipt, occurred_at=purchased_at,
                                    partner_code=command.partner_code, location_code=command.location_code,
                                    channel="retro_claim")
            quote = await policy.quote(conn, program=program, member_id=member["id"], request=as_earn,
                                       amount=command.amount, occurred_at=purchased_at, facts=facts)
            posting.within_cap(program, quote.points, "amount")
            if quote.points == 0:
                balance = await repository.available_balance(conn, member["id"])
                return Earned(old_balance=balance, new_balance=balance, breakdown=quote.lines)
            details = {**posting_details(quote), "channel": "retro_claim",
                       "partner_code": command.partner_code, "location_code": command.location_code,
                       "claimed_at": current.isoformat()}
            transaction_id = uuid.uuid4()
            event = posting.event("LOY_POINT_ACCRUAL", transaction_id=transaction_id, kind="RETRO_CLAIM",
                                  member=member, points=quote.points, reference=receipt, occurred_at=purchased_at,
                                  details=details, amount=command.amount, currency=command.currency)
            _, balance = await posting.post(
                conn, kind="RETRO_CLAIM", reference=receipt, member_id=member["id"], points=quote.points,
                amount=command.amount, currency=command.currency, occurred_at=purchased_at, details=details,
                transaction_id=transaction_id, events=[event],
                legs=[Leg("partner_funded" if command.partner_code else "issuance", -quote.points),
                      Leg("member_available", quote.points, member["id"], lots="create",
                          expires_at=_expiry(program, quote, current), earned_at=current)],
            )
            return Earned(transaction_id=str(transaction_id), old_balance=balance - quote.points,
                          points_earned=quote.points, new_balance=balance, breakdown=quote.lines)

        return await run_once(conn, program_id=program_id, operation="retro_claim", key=receipt, perform=perform,
                              replay=replay or json_replay(command, Earned))


async def activate_pending(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.ActivatePending,
    replay: Replay[Posted] | None = None,
) -> Posted:
    reference, target_reference = command.reference, command.target_reference
    async with posting.transaction(pool, program_id) as conn:
        await posting.load_program(conn, program_id)

        async def perform() -> Posted:
            target = await repository.transaction_by_reference(conn, target_reference)
            if target is None:
                raise DomainError(ErrorCode.NOT_FOUND, f"transaction {target_reference!r} not found",
                                  field="targetReference")
            if target["kind"] != "EARN" or not target["details"].get("pending"):
                raise invalid("targetReference", f"{target_reference!r} is not a pending earn")
            await posting.touch(conn, [target["member_id"]])
            target = await repository.transaction_by_reference(conn, target_reference)
            if target["activated"]:
                raise DomainError(ErrorCode.NOT_VOIDABLE, f"{target_reference!r} was already activated",
                                  field="targetReference")
            open_points = target["points"] - target["voided"]
            if open_points <= 0:
                raise DomainError(ErrorCode.ALREADY_VOIDED, f"{target_reference!r} was voided", field="targetReference")
            member = (await repository.members_by_id(conn, [target["member_id"]]))[target["member_id"]]
            posting.ensure_active(member)
            expires_raw = target["details"].get("expires_at")
            transaction_id = uuid.uuid4()
            details = {**{k: target["details"].get(k) for k in ("partner_code", "location_code", "breakdown")},
                       "activates": target_reference}
            event = posting.event("LOY_POINT_ACCRUAL", transaction_id=transaction_id, kind="ACTIVATE", member=member,
                                  points=open_points, reference=reference, occurred_at=posting.now(), details=details,
                                  amount=target["amount"], currency=target["currency"])
            _, balance = await posting.post(
                conn, kind="ACTIVATE", reference=reference, member_id=member["id"], points=open_points,
                target_id=target["id"], order_reference=target["order_reference"], details=details,
                transaction_id=transaction_id, events=[event],
                legs=[Leg("member_pending", -open_points, member["id"]),
                      Leg("member_available", open_points, member["id"], lots="create",
                          expires_at=dt.datetime.fromisoformat(expires_raw) if expires_raw else None,
                          earned_at=target["occurred_at"])],
            )
            return Posted(transaction_id=str(transaction_id), kind="ACTIVATE", points=open_points,
                          new_balance=balance, transaction_ids=(str(transaction_id),))

        return await run_once(conn, program_id=program_id, operation="activate", key=reference, perform=perform,
                              replay=replay or json_replay(command, Posted))
